from dateutil.relativedelta import relativedelta

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import PASSWORD, MedicalExpiryCase


@tagged("post_install", "-at_install")
class TestRecordRetention(MedicalExpiryCase):
    """GSP 记录保存: records of medical devices outlive their expiry by two years, five years without one,
    implants for ever; nobody deletes them before, the superuser included."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = cls.company._expiry_today()
        cls.implant = cls._create_product(
            "Bone screw", cls.categ_device, medical_device_class="3", medical_implant=True
        )
        cls.scalpel = cls._create_product("Scalpel", cls.categ_device, use_expiration_date=False)
        cls.paper = cls._create_product("Printer paper", cls.categ_device, medical_device_class=False)

    def _receive(self, product, lot_name, days=30):
        """A receipt of ``product``, done, in one lot expiring in ``days`` days (None: no expiry date)."""
        picking = self._create_picking(
            product, 5, partner=self.supplier, picking_type=self.warehouse.in_type_id
        )
        picking.move_ids.move_line_ids.write(
            {
                "lot_name": lot_name,
                "expiration_date": days is not None
                and self.company._expiry_datetime_of(self.today + relativedelta(days=days)),
                "quantity": 5,
            }
        )
        picking.move_ids.picked = True
        picking.button_validate()
        self.assertEqual(picking.state, "done")
        return picking

    def _assert_kept(self, records, until):
        """Deleting ``records`` is refused, as superuser and as an expiry manager, saying until when."""
        for user_records in (records.sudo(), records.with_user(self.manager)):
            with self.assertRaisesRegex(UserError, rf"cannot be deleted before\.\n• .*{until}"):
                user_records.unlink()
        self.assertEqual(records.exists(), records)

    def test_a_lot_is_kept_two_years_past_its_expiry(self):
        lot = self._receive(self.syringe, "KEEP-1").move_line_ids.lot_id
        self._assert_kept(lot, f"kept until {self.today + relativedelta(days=30, years=2)}")

    def test_a_done_move_is_kept_two_years_past_its_lot_expiry(self):
        move = self._receive(self.syringe, "KEEP-2").move_ids
        self._assert_kept(move, f"kept until {self.today + relativedelta(days=30, years=2)}")

    def test_a_done_transfer_and_its_voucher_are_kept(self):
        picking = self._receive(self.syringe, "KEEP-3", days=100)
        self._assert_kept(picking, f"kept until {self.today + relativedelta(days=100, years=2)}")

    def test_a_done_move_line_is_never_deleted(self):
        line = self._receive(self.syringe, "KEEP-4").move_line_ids
        with self.assertRaisesRegex(UserError, "You can not delete product moves if the picking is done"):
            line.sudo().unlink()
        self.assertTrue(line.exists())

    def test_implants_are_kept_for_ever(self):
        picking = self._receive(self.implant, "SCREW-1")
        self._age_lots(picking.move_line_ids.lot_id, 3000)
        self._assert_kept(picking.move_line_ids.lot_id, "an implant, kept for ever")
        self._assert_kept(picking, "an implant, kept for ever")

    def test_a_device_without_expiry_is_kept_five_years_from_its_last_move(self):
        picking = self._receive(self.scalpel, "SCALPEL-1", days=None)
        until = f"kept until {self.today + relativedelta(years=5)}"
        self._assert_kept(picking.move_line_ids.lot_id, until)
        self._assert_kept(picking.move_ids, until)

    def test_a_lot_past_its_retention_may_be_deleted(self):
        lot = self._receive(self.syringe, "OLD-1").move_line_ids.lot_id
        self._age_lots(lot, 30 + 365 * 2 + 2)
        lot.quant_ids.sudo().unlink()
        lot.sudo().unlink()
        self.assertFalse(lot.exists())

    def test_a_lot_that_never_moved_and_other_goods_may_be_deleted(self):
        never_moved = self._create_lot(self.syringe, 30, name="TYPO-1")
        never_moved.unlink()
        self.assertFalse(never_moved.exists())
        paper = self._receive(self.paper, "PAPER-1").move_line_ids.lot_id
        paper.quant_ids.sudo().unlink()
        paper.unlink()
        self.assertFalse(paper.exists())

    def test_signatures_and_audit_rows_are_never_deleted(self):
        lot = self._create_lot(self.syringe, 30, name="SIGNED-1")
        signature = (
            self.env["medical.signature"]
            .with_user(self.manager)
            ._sign(lot.with_user(self.manager), "lot_unblock", PASSWORD, "approval")
        )
        row = signature.sudo().audit_log_ids
        self.assertTrue(row)
        for record in (signature.sudo(), row.sudo()):
            with self.assertRaisesRegex(UserError, "append-only: they cannot be deleted"):
                record.unlink()
            self.assertTrue(record.exists())
