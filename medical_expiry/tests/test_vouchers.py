from datetime import date, datetime, timedelta

from lxml import html

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import format_date

from .common import PASSWORD, MedicalExpiryCase


@tagged("post_install", "-at_install")
class TestVouchers(MedicalExpiryCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.syringe.device_specification = "5ml Luer Lock"
        cls.env["medical.qualification"].create(
            {
                "qualification_type": "registration_certificate",
                "product_tmpl_id": cls.syringe.product_tmpl_id.id,
                "number": "GXZZ-20263140001",
            }
        )

    def _receive(self, lot_name, quantity):
        picking = self._create_picking(
            self.syringe, quantity, partner=self.supplier, picking_type=self.warehouse.in_type_id
        )
        picking.move_ids.move_line_ids.write(
            {
                "lot_name": lot_name,
                "expiration_date": fields.Datetime.now() + timedelta(days=400),
                "quantity": quantity,
            }
        )
        picking.move_ids.picked = True
        picking.button_validate()
        self.assertEqual(picking.state, "done")
        return picking

    def _sign(self, user, records, signed_action):
        return (
            self.env["medical.signature"].with_user(user)._sign(records, signed_action, PASSWORD, "approval")
        )

    def test_inbound_voucher_prints_lot_dates_registration_and_signatures_of_its_lots(self):
        receipt = self._receive("LOT-IN-001", 10)
        lot = receipt.move_line_ids.lot_id
        lot.production_date = date(2026, 1, 15)
        signature = self._sign(self.manager, lot, "expiry_date_change")
        self._sign(
            self.manager, self._create_lot(self.syringe, 300, name="LOT-ELSEWHERE"), "expiry_date_change"
        )

        self.assertEqual(receipt._medical_signatures(), signature, "only the signatures of its own lots")
        _pdf, text = self._render_pdf("medical_expiry.action_report_inbound_voucher", receipt)
        for expected in (
            "Inbound Voucher",
            receipt.name,
            "Supplier",
            "LOT-IN-001",
            "5ml Luer Lock",
            "GXZZ-20263140001",
            format_date(self.env, lot.production_date),
            format_date(self.env, lot.expiration_date),
            "Expiry Manager",
            "Prepared by",
            "Received by",
            "Quality check",
        ):
            self.assertIn(expected, text)
        self.assertNotIn("LOT-ELSEWHERE", text)

    def test_outbound_voucher_prints_each_lot_line_and_the_signatures_of_the_transfer(self):
        first = self._create_lot(self.syringe, 200, name="LOT-OUT-001", quantity=5)
        second = self._create_lot(self.syringe, 250, name="LOT-OUT-002", quantity=5)
        delivery = self._create_picking(self.syringe, 8)
        self._set_lines(delivery, (first, 5), (second, 3))
        delivery.button_validate()
        self.assertEqual(delivery.state, "done")
        other_delivery = self._create_picking(self.syringe, 1)
        signature = self._sign(self.compliance_officer, delivery, "quarantine_release")

        self.assertEqual(delivery._medical_signatures(), signature)
        self.assertFalse(
            other_delivery._medical_signatures(), "a signature covers the transfers it names only"
        )
        _pdf, text = self._render_pdf("medical_expiry.action_report_outbound_voucher", delivery)
        for expected in ("Outbound Voucher", "Customer", "LOT-OUT-001", "LOT-OUT-002", "Compliance Officer"):
            self.assertIn(expected, text)
        self.assertIn("Issued by", text)

    def test_voucher_of_the_wrong_kind_of_transfer_is_refused(self):
        delivery = self._create_picking(self.syringe, 1)
        with self.assertRaises(UserError):
            self._render_pdf("medical_expiry.action_report_inbound_voucher", delivery)
        receipt = self._create_picking(
            self.syringe, 1, partner=self.supplier, picking_type=self.warehouse.in_type_id
        )
        with self.assertRaises(UserError):
            self._render_pdf("medical_expiry.action_report_outbound_voucher", receipt)

    def _voucher_table(self, report_ref, picking):
        """(header texts, [cell texts of each body row]) of the lines table of a voucher, as HTML renders it
        for a user in UTC."""
        page, _type = (
            self.env["ir.actions.report"].with_context(tz="UTC")._render_qweb_html(report_ref, picking.ids)
        )
        [table] = html.fromstring(page).xpath("//table[@name='voucher_lines']")
        header = [cell.text_content().strip() for cell in table.xpath("./thead/tr/th")]
        rows = [
            [cell.text_content().strip() for cell in row.xpath("./td")] for row in table.xpath("./tbody/tr")
        ]
        return header, rows

    def test_every_voucher_row_has_every_column_whatever_is_empty(self):
        receipt = self._create_picking(
            self.syringe, 4, partner=self.supplier, picking_type=self.warehouse.in_type_id
        )
        lot = self._create_lot(self.syringe, 300, name="LOT-ROW", quantity=5)
        delivery = self._create_picking(self.syringe, 5)
        self._set_lines(delivery, (lot, 3))
        self.env["stock.move.line"].create(
            {
                "move_id": delivery.move_ids.id,
                "picking_id": delivery.id,
                "product_id": self.syringe.id,
                "product_uom_id": self.syringe.uom_id.id,
                "location_id": delivery.location_id.id,
                "location_dest_id": delivery.location_dest_id.id,
                "quantity": 2,
            }
        )
        for report_ref, picking in (
            ("medical_expiry.action_report_inbound_voucher", receipt),
            ("medical_expiry.action_report_outbound_voucher", delivery),
        ):
            with self.subTest(voucher=report_ref):
                self.assertTrue(picking.move_line_ids.filtered(lambda line: not line.lot_id))
                header, rows = self._voucher_table(report_ref, picking)
                self.assertEqual(len(rows), len(picking.move_line_ids))
                for line, cells in zip(picking.move_line_ids, rows, strict=True):
                    self.assertEqual(len(cells), len(header))
                    self.assertEqual(float(cells[header.index("Quantity")]), line.quantity)
                    self.assertEqual(cells[header.index("Unit")], line.product_uom_id.name)

    def test_voucher_prints_the_expiry_date_in_the_company_time_zone(self):
        self.company.expiry_tz = "Asia/Shanghai"
        lot = self._create_lot(self.syringe, 300, name="LOT-TZ", quantity=1)
        # 有效期至 2026-12-31 typed by a Shanghai user at local midnight: 2026-12-30 16:00 UTC.
        lot.expiration_date = datetime(2026, 12, 30, 16, 0)
        delivery = self._create_picking(self.syringe, 1)
        self._set_lines(delivery, (lot, 1))
        header, [cells] = self._voucher_table("medical_expiry.action_report_outbound_voucher", delivery)
        self.assertEqual(cells[header.index("Expiration Date")], format_date(self.env, date(2026, 12, 31)))
