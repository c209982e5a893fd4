from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import MedicalExpiryCase


@tagged("post_install", "-at_install")
class TestExpiryAlerts(MedicalExpiryCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.buyer = cls.env["res.users"].create({"name": "Buyer", "login": "expiry_buyer"})
        cls.quality_group = cls.env["res.groups"].create({"name": "Quality"})
        cls.quality = cls.env["res.users"].create(
            {"name": "Quality", "login": "expiry_quality", "groups_id": [Command.link(cls.quality_group.id)]}
        )
        cls.level_90 = cls._create_rule(90, user_ids=[Command.set(cls.buyer.ids)])
        cls.level_30 = cls._create_rule(30, "warn", group_id=cls.quality_group.id)
        cls.Lot = cls.env["stock.lot"]
        cls.alert_types = cls.Lot._expiry_alert_types()

    def _alerts(self, lots=None, active_test=True):
        domain = [
            ("res_model", "=", "stock.lot"),
            ("activity_type_id", "in", [t.id for t in self.alert_types.values()]),
        ]
        if lots is not None:
            domain.append(("res_id", "in", lots.ids))
        return self.env["mail.activity"].with_context(active_test=active_test).search(domain)

    def _keys(self, activities):
        return sorted(
            (
                activity.res_id,
                activity.activity_type_id.id,
                activity.expiry_rule_id.id,
                activity.user_id.id,
                activity.active,
            )
            for activity in activities
        )

    def test_level_raises_one_alert_per_responsible_user(self):
        lot = self._create_lot(self.syringe, 60, quantity=5)
        self.Lot._cron_expiry_alerts()
        alert = self._alerts(lot)
        self.assertEqual(len(alert), 1)
        self.assertEqual(alert.user_id, self.buyer)
        self.assertEqual(alert.activity_type_id, self.alert_types["near_expiry"])
        self.assertEqual(alert.expiry_rule_id, self.level_90)
        self.assertIn("60 days left", alert.summary)

    def test_group_of_the_level_is_alerted(self):
        lot = self._create_lot(self.syringe, 20, quantity=5)
        self.Lot._cron_expiry_alerts()
        self.assertEqual(self._alerts(lot).user_id, self.quality)

    def test_running_twice_creates_nothing_new(self):
        self._create_lot(self.syringe, 60, quantity=5)
        self._create_lot(self.syringe, -2, quantity=5)
        self.Lot._cron_expiry_alerts()
        first = self._keys(self._alerts(active_test=False))
        self.Lot._cron_expiry_alerts()
        self.assertEqual(self._keys(self._alerts(active_test=False)), first)
        self.assertEqual(len(first), 2)

    def test_handled_alert_is_not_raised_again(self):
        lot = self._create_lot(self.syringe, 60, quantity=5)
        self.Lot._cron_expiry_alerts()
        self._alerts(lot).action_feedback(feedback="Transferred to Shanghai")
        self.Lot._cron_expiry_alerts()
        self.assertFalse(self._alerts(lot))
        self.assertEqual(len(self._alerts(lot, active_test=False)), 1)

    def test_deeper_level_raises_its_alert_and_closes_the_previous_one(self):
        lot = self._create_lot(self.syringe, 60, quantity=5)
        self.Lot._cron_expiry_alerts()
        previous = self._alerts(lot)
        self._age_lots(lot, 40)
        self.Lot._cron_expiry_alerts()
        current = self._alerts(lot)
        self.assertEqual(current.expiry_rule_id, self.level_30)
        self.assertEqual(current.user_id, self.quality)
        self.assertFalse(previous.active, "the previous level's alert is closed")
        self.assertIn("moved to another level", "".join(lot.message_ids.mapped("body")))

    def test_expired_lot_gets_an_expired_alert(self):
        lot = self._create_lot(self.syringe, -1, quantity=5)
        self.Lot._cron_expiry_alerts()
        self.assertEqual(self._alerts(lot).activity_type_id, self.alert_types["expired"])

    def test_lot_without_stock_gets_no_alert(self):
        lot = self._create_lot(self.syringe, 60)
        self.Lot._cron_expiry_alerts()
        self.assertFalse(self._alerts(lot))

    def test_stock_in_transit_counts_as_on_hand(self):
        lot = self._create_lot(self.syringe, 60, quantity=5, location=self.transit)
        self.Lot._cron_expiry_alerts()
        self.assertEqual(len(self._alerts(lot)), 1)

    def test_alert_closes_when_the_stock_is_gone(self):
        lot = self._create_lot(self.syringe, 60, quantity=5)
        self.Lot._cron_expiry_alerts()
        self.env["stock.quant"]._update_available_quantity(self.syringe, self.stock, -5, lot_id=lot)
        self.Lot._cron_expiry_alerts()
        self.assertFalse(self._alerts(lot))
        self.assertIn("no stock of this lot is left", "".join(lot.message_ids.mapped("body")))

    def test_expiry_moved_later_closes_the_stale_alert(self):
        lot = self._create_lot(self.syringe, 60, quantity=5)
        self.Lot._cron_expiry_alerts()
        lot.expiration_date = fields.Datetime.now() + timedelta(days=400)
        self.Lot._cron_expiry_alerts()
        self.assertFalse(self._alerts(lot))
        self.assertIn("no longer near expiry", "".join(lot.message_ids.mapped("body")))

    def test_recipients_fall_back_to_product_responsible_then_stock_managers(self):
        lonely = self._create_rule(120)
        self.syringe.responsible_id = self.stock_user
        lot = self._create_lot(self.syringe, 100, quantity=5)
        self.Lot._cron_expiry_alerts()
        self.assertEqual(self._alerts(lot).user_id, self.stock_user)
        self.strips.responsible_id = False
        strips_lot = self._create_lot(self.strips, 100, quantity=5)
        self.Lot._cron_expiry_alerts()
        self.assertEqual(self._alerts(strips_lot).user_id, self.env.ref("stock.group_stock_manager").users)
        self.assertEqual(self._alerts(strips_lot).expiry_rule_id, lonely)

    def test_alert_left_open_is_escalated_once_to_expiry_managers(self):
        self.company.expiry_alert_escalation_days = 7
        lot = self._create_lot(self.syringe, 60, quantity=5)
        self.Lot._cron_expiry_alerts()
        escalation_type = self.env.ref("medical_expiry.mail_activity_type_escalation")
        escalations = self.env["mail.activity"].search([("activity_type_id", "=", escalation_type.id)])
        self.assertFalse(escalations, "not overdue yet")
        self.env.cr.execute(
            "UPDATE mail_activity SET create_date = create_date - interval '8 days' WHERE id = ANY(%s)",
            [self._alerts(lot).ids],
        )
        self.env.invalidate_all()
        self.Lot._cron_expiry_alerts()
        self.Lot._cron_expiry_alerts()
        escalations = self.env["mail.activity"].search([("activity_type_id", "=", escalation_type.id)])
        self.assertEqual(escalations.user_id, self.env.ref("medical_expiry.group_expiry_manager").users)
        self.assertEqual(len(escalations), len(escalations.user_id), "once per manager")
        self.assertEqual(set(escalations.mapped("res_id")), {lot.id})

    def test_killed_run_resumed_gives_what_an_uninterrupted_run_gives(self):
        lots = self.Lot
        for index, days in enumerate((60, 20, -1, 80, 25, 70, 10)):
            lots |= self._create_lot(self.syringe, days, name=f"resume-{index}", quantity=3)
        self.Lot._cron_refresh_expiry()
        # A run killed after its first committed batch...
        lots[:2]._sync_expiry_alerts()
        # ...is completed by the next one.
        self.Lot._cron_expiry_alerts(batch_size=2)
        resumed = self._keys(self._alerts(active_test=False))
        self._alerts(active_test=False).unlink()
        self.Lot._cron_expiry_alerts(batch_size=2)
        self.assertEqual(self._keys(self._alerts(active_test=False)), resumed)
        self.assertEqual(len(resumed), 7)

    def test_selection_is_set_based(self):
        """Picking the alerts to raise costs the same queries for 3 lots as for 30."""
        few = self.Lot
        for index in range(3):
            few |= self._create_lot(self.syringe, 60, name=f"few-{index}", quantity=1)
        many = self.Lot
        for index in range(30):
            many |= self._create_lot(self.strips, 60, name=f"many-{index}", quantity=1)
        self._count_queries(few._wanted_expiry_alerts)  # warms the registry caches (xml ids)
        few_queries = self._count_queries(few._wanted_expiry_alerts)
        self.assertLessEqual(self._count_queries(many._wanted_expiry_alerts), few_queries)
        self.assertEqual(len(many._wanted_expiry_alerts()), 30)

    def _count_queries(self, method):
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        method()
        return self.env.cr.sql_log_count - before

    def test_only_managers_run_the_job_on_demand(self):
        with self.assertRaises(AccessError):
            self.Lot.with_user(self.stock_user).action_run_expiry_alerts()
        self._create_lot(self.syringe, 60, quantity=5)
        action = self.Lot.with_user(self.manager).action_run_expiry_alerts()
        self.assertEqual(action["params"]["type"], "success")
        self.assertTrue(self._alerts())
