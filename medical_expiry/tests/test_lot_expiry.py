from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import MedicalExpiryCase


@tagged("post_install", "-at_install")
class TestLotExpiry(MedicalExpiryCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.level_30 = cls._create_rule(30, "warn")
        cls._create_rule(90)

    def test_new_lot_gets_days_state_and_level(self):
        lot = self._create_lot(self.syringe, 20)
        self.assertEqual(lot.days_to_expiry, 20)
        self.assertEqual(lot.expiry_state, "near_expiry")
        self.assertEqual(lot.expiry_rule_id, self.level_30)
        self.assertEqual(self._create_lot(self.syringe, 200).expiry_state, "ok")
        self.assertEqual(self._create_lot(self.syringe, -1).expiry_state, "expired")

    def test_lot_without_expiration_date(self):
        lot = self._create_lot(self.syringe, None)
        self.assertEqual(lot.expiry_state, "no_expiry")
        self.assertFalse(lot.days_to_expiry)
        self.assertFalse(lot.expiry_rule_id)

    def test_daily_job_relevels_and_blocks_newly_expired_lots(self):
        soon = self._create_lot(self.syringe, 1, quantity=5)
        later = self._create_lot(self.syringe, 100)
        self._age_lots(soon | later, 10)
        self.assertEqual(soon.expiry_state, "near_expiry", "the stored level waits for the job")
        self.env["stock.lot"]._cron_refresh_expiry()
        self.assertEqual(soon.expiry_state, "expired")
        self.assertEqual(soon.days_to_expiry, -9)
        self.assertTrue(soon.is_blocked)
        self.assertEqual(soon.block_reason, "expired")
        self.assertIn("expired", soon.message_ids[0].body)
        self.assertEqual(later.days_to_expiry, 90)
        self.assertEqual(later.expiry_state, "near_expiry")
        self.assertFalse(later.is_blocked)

    def test_daily_job_respects_a_release_after_expiry(self):
        lot = self._create_lot(self.syringe, -2)
        self.env["stock.lot"]._cron_refresh_expiry()
        self.assertTrue(lot.is_blocked)
        self._signed(self.manager, lot, "lot_unblock")._unblock()
        self.env["stock.lot"]._cron_refresh_expiry()
        self.assertFalse(lot.is_blocked, "a manager's release after expiry stands")

    def test_daily_job_is_set_based(self):
        """The job's query count does not grow with the number of lots."""
        lots = self.env["stock.lot"]
        for index in range(3):
            lots |= self._create_lot(self.syringe, 50 + index, name=f"few-{index}")
        self._age_lots(lots, 5)
        Lot = self.env["stock.lot"]
        Lot._cron_refresh_expiry()
        self.env.flush_all()
        self.env.invalidate_all()
        with self.assertQueryCount(__system__=6):
            Lot._refresh_expiry_levels()
        many = self.env["stock.lot"]
        for index in range(30):
            many |= self._create_lot(self.strips, 50 + index, name=f"many-{index}")
        self._age_lots(lots | many, 5)
        self.env.invalidate_all()
        with self.assertQueryCount(__system__=6):
            changed = Lot._refresh_expiry_levels()
        self.assertFalse(changed, "nothing expired")
        self.assertEqual(many[0].days_to_expiry, 45)

    def test_manager_blocks_and_unblocks_with_reason_in_chatter(self):
        lot = self._create_lot(self.syringe, 200)
        self._flush_tracking()
        wizard = (
            self.env["medical.lot.block.wizard"]
            .with_user(self.manager)
            .create({"lot_ids": [(6, 0, lot.ids)], "reason": "quality", "note": "Damaged packaging"})
        )
        wizard.action_block()
        self.assertTrue(lot.is_blocked)
        self.assertEqual(lot.block_reason, "quality")
        self.assertEqual(lot.blocked_by_id, self.manager)
        self.assertTrue(lot.blocked_date)
        self._flush_tracking()
        self.assertIn("Damaged packaging", "".join(lot.message_ids.mapped("body")))
        tracked = lot.message_ids.tracking_value_ids.field_id.mapped("name")
        self.assertIn("is_blocked", tracked)
        self._signed(self.manager, lot, "lot_unblock")._unblock()
        self.assertFalse(lot.is_blocked)
        self.assertFalse(lot.block_reason)
        self.assertLessEqual(lot.unblocked_date, fields.Datetime.now() + timedelta(seconds=1))

    def test_only_managers_block_or_unblock(self):
        lot = self._create_lot(self.syringe, 200)
        with self.assertRaises(AccessError):
            lot.with_user(self.stock_user).action_block()
        with self.assertRaises(AccessError):
            lot.with_user(self.stock_user)._block("quality")
        self.assertFalse(lot.is_blocked)
        lot._block("recall")
        with self.assertRaises(AccessError):
            lot.with_user(self.stock_user).action_unblock()
        self.assertTrue(lot.is_blocked)
