import csv
import io
import unicodedata

from odoo.exceptions import UserError
from odoo.tests import tagged

from .recall_common import RecallCase

MA_STERILE = "MA.156.M0.100001.10000013"


@tagged("post_install", "-at_install")
class TestSterilisationLot(RecallCase):
    """灭菌批号: the sterilisation lot of a sterile device, from its MA code or the lot import to the vouchers
    and the recall notice."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.catheter = cls._create_product(
            "Sterile catheter",
            cls.categ_device,
            barcode=MA_STERILE,
            medical_sterile=True,
            default_code="CAT-1",
        )

    def _scanned_receipt(self, code):
        receipt = self._create_picking(
            self.catheter, 10, partner=self.supplier, picking_type=self.warehouse.in_type_id
        )
        receipt._apply_udi_code(code)
        return receipt

    def _pdf_text(self, report, records):
        _pdf, text = self._render_pdf(report, records)
        return " ".join(unicodedata.normalize("NFKC", text).split())

    def test_an_ma_code_gives_the_new_lot_its_sterilisation_lot_printed_on_the_vouchers(self):
        receipt = self._scanned_receipt(f"{MA_STERILE}.LCAT01.V301231.DST2401")
        self.assertEqual(receipt.move_line_ids.sterilisation_lot, "ST2401")
        receipt.move_line_ids.quantity = 10
        receipt.button_validate()
        lot = receipt.move_line_ids.lot_id
        self.assertEqual(lot.sterilisation_lot, "ST2401")
        text = self._pdf_text("medical_expiry.action_report_inbound_voucher", receipt)
        self.assertIn("灭菌批号 Sterilisation Lot: ST2401", text)
        delivery = self._deliver(self.customer, (lot, 4))
        text = self._pdf_text("medical_expiry.action_report_outbound_voucher", delivery)
        self.assertIn("灭菌批号 Sterilisation Lot: ST2401", text)

    def test_the_recall_notice_prints_the_sterilisation_lot(self):
        lot = self._create_lot(self.catheter, 300, name="CAT02", quantity=5)
        lot.sterilisation_lot = "ST2402"
        self._deliver(self.customer, (lot, 2))
        recall = self._open_recall(lot)
        self._confirm_recall(recall, self.compliance_officer)
        notice = recall.notice_ids.filtered(lambda n: n.partner_id == self.customer)
        text = self._pdf_text("medical_expiry.action_report_medical_recall_notice", notice)
        self.assertIn("灭菌批号 Sterilisation Lot: ST2402", text)

    def test_a_code_contradicting_the_known_sterilisation_lot_is_refused(self):
        lot = self._create_lot(self.catheter, 300, name="CAT03")
        lot.sterilisation_lot = "ST1"
        receipt = self._create_picking(
            self.catheter, 10, partner=self.supplier, picking_type=self.warehouse.in_type_id
        )
        before = receipt.move_line_ids.read(["lot_id", "lot_name", "quantity", "sterilisation_lot", "picked"])
        with self.assertRaisesRegex(UserError, "known with sterilisation lot ST1, the code says ST2"):
            receipt._apply_udi_code(f"{MA_STERILE}.LCAT03.DST2")
        self.assertEqual(
            receipt.move_line_ids.read(["lot_id", "lot_name", "quantity", "sterilisation_lot", "picked"]),
            before,
        )
        self.assertEqual(lot.sterilisation_lot, "ST1")

    def test_the_lot_import_reads_the_sterilisation_lot_column(self):
        output = io.StringIO()
        writer = csv.writer(output)
        writer.writerow(["产品编码", "批号", "有效期至", "数量", "库位", "灭菌批号"])
        writer.writerow(["CAT-1", "CAT04", "2030-12-31", 3, self.stock.complete_name, "ST2404"])
        writer.writerow(["CAT-1", "CAT05", "2030-12-31", 3, self.stock.complete_name, ""])
        self.env["medical.lot.import"]._run(
            output.getvalue().encode("utf-8-sig"), "lots.csv", "all_or_nothing"
        )
        lots = self.env["stock.lot"].search([("product_id", "=", self.catheter.id)], order="name")
        self.assertEqual(lots.mapped("sterilisation_lot"), ["ST2404", False])
