from datetime import date

from odoo import Command
from odoo.tests import HttpCase, tagged

from .common import MedicalExpiryCase, gtin


@tagged("post_install", "-at_install")
class TestTours(HttpCase, MedicalExpiryCase):
    """The main screens, driven in Chromium as a user would."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.expired = cls._create_lot(cls.syringe, -5, quantity=10, name="SYR-EXPIRED")
        cls.good = cls._create_lot(cls.syringe, 200, quantity=10, name="SYR-GOOD")
        cls.later = cls._create_lot(cls.syringe, 400, quantity=10, name="SYR-LATER")

    def _form_url(self, record):
        return f"/odoo/{record._name}/{record.id}"

    def test_fefo_delivery_proposes_the_earliest_lot_that_may_leave(self):
        picking = self._create_picking(self.syringe, 5)
        self.start_tour(self._form_url(picking), "medical_expiry_fefo_delivery", login="admin")
        self.assertEqual(picking.move_line_ids.lot_id, self.good)

    def test_expired_lot_is_refused_at_validation(self):
        picking = self._create_picking(self.syringe, 5)
        self._set_lines(picking, (self.expired, 5))
        self.start_tour(self._form_url(picking), "medical_expiry_expired_refused", login="admin")
        self.assertNotEqual(picking.state, "done")

    def test_workbench_kanban(self):
        self.start_tour(
            "/odoo/action-medical_expiry.action_expiry_workbench",
            "medical_expiry_workbench_kanban",
            login="admin",
        )

    def test_unblock_is_signed_in_the_dialog(self):
        self.good._block("quality", "Packaging check")
        self.start_tour(self._form_url(self.good), "medical_expiry_signed_unblock", login="admin")
        self.assertFalse(self.good.is_blocked)
        row = self._audit_rows(self.good, "lot_unblock")
        self.assertEqual(row.signature_id.user_id.login, "admin")
        self.assertEqual(row.reason, "Re-inspected, packaging intact")

    def test_receive_by_scanning_a_gs1_code(self):
        self.syringe.barcode = gtin("0690123456789")
        receipt = self._create_picking(
            self.syringe, 4, partner=self.supplier, picking_type=self.warehouse.in_type_id
        )
        self.start_tour(self._form_url(receipt), "medical_expiry_gs1_receipt", login="admin")
        line = receipt.move_line_ids.filtered(lambda ml: ml.lot_name == "LOT-TOUR")
        self.assertEqual(line.quantity, 4)
        self.assertEqual(str(line.expiration_date.date()), "2028-12-31")

    def test_start_a_recall_from_a_lot(self):
        self.start_tour(self._form_url(self.good), "medical_expiry_recall_from_lot", login="admin")
        recall = self.env["medical.recall"].search([("lot_ids", "in", self.good.ids)])
        self.assertEqual(recall.recall_class, "class_2")
        self.assertEqual(recall.reason, "Sterile barrier may be damaged")

    def test_a_shanghai_user_scans_a_lot_typed_by_hand(self):
        self.company.expiry_tz = "Asia/Shanghai"
        self.syringe.barcode = gtin("0690123456789")
        shanghai_user = self.env["res.users"].create(
            {
                "name": "Shanghai Clerk",
                "login": "shanghai_clerk",
                "password": "shanghai_clerk",
                "tz": "Asia/Shanghai",
                "groups_id": [
                    Command.link(self.env.ref("stock.group_stock_user").id),
                    Command.link(self.env.ref("stock.group_production_lot").id),
                ],
            }
        )
        typed = self._create_picking(
            self.syringe, 3, partner=self.supplier, picking_type=self.warehouse.in_type_id
        )
        self.start_tour(self._form_url(typed), "medical_expiry_type_lot_expiry", login=shanghai_user.login)
        typed.button_validate()
        lot = self.env["stock.lot"].search([("name", "=", "SH-TYPED")])
        self.assertEqual(self.company._expiry_date_of(lot.expiration_date), date(2026, 12, 31))
        scanned = self._create_picking(
            self.syringe, 3, partner=self.supplier, picking_type=self.warehouse.in_type_id
        )
        self.start_tour(self._form_url(scanned), "medical_expiry_scan_typed_lot", login=shanghai_user.login)
        self.assertEqual(scanned.move_line_ids.lot_id, lot)
        self.assertEqual(scanned.move_line_ids.quantity, 3)

    def test_outbound_double_check_then_validate(self):
        self.company.outbound_double_check_required = True
        lot = self._create_lot(self.syringe, 300, quantity=5, name="LOT-CHECK")
        picking = self._create_picking(self.syringe, 5)
        self._set_lines(picking, (lot, 5))
        picking.move_line_ids.with_user(self.stock_user).write({"quantity": 5})
        self.start_tour(self._form_url(picking), "medical_expiry_outbound_check", login="admin")
        self.assertEqual(picking.outbound_check_ids.checker_id.login, "admin")
        self.assertEqual(picking.state, "done")
