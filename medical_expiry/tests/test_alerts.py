from datetime import datetime, timedelta

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

    def _alerts(self, records=None, active_test=True):
        """The expiry alerts on ``records`` (products or lots), or on every product and lot."""
        domain = [
            ("res_model", "in", ("stock.lot", "product.product")),
            ("activity_type_id", "in", [t.id for t in self.alert_types.values()]),
        ]
        if records is not None:
            domain += [("res_model", "=", records._name), ("res_id", "in", records.ids)]
        return self.env["mail.activity"].with_context(active_test=active_test).search(domain)

    def _keys(self, activities):
        return sorted(
            (
                activity.res_model,
                activity.res_id,
                activity.activity_type_id.id,
                activity.expiry_rule_id.id,
                activity.user_id.id,
                activity.active,
            )
            for activity in activities
        )

    def _notes(self, record):
        return "".join(record.message_ids.mapped("body"))

    def test_one_alert_per_product_level_and_user_covers_its_lots(self):
        first = self._create_lot(self.syringe, 60, quantity=5, name="SYR-A")
        self._create_lot(self.syringe, 70, quantity=7, name="SYR-B")
        self._create_lot(self.syringe, 200, quantity=9, name="SYR-FAR")
        self.syringe.standard_price = 10
        self.Lot._cron_expiry_alerts()
        alert = self._alerts(self.syringe)
        self.assertEqual(len(alert), 1)
        self.assertEqual(alert.user_id, self.buyer)
        self.assertEqual(alert.activity_type_id, self.alert_types["near_expiry"])
        self.assertEqual(alert.expiry_rule_id, self.level_90)
        self.assertEqual(alert.expiry_lot_count, 2)
        self.assertIn("2 lots", alert.summary)
        self.assertIn("12", alert.summary, "the quantity it covers")
        self.assertIn("120", alert.summary, "the value it covers")
        self.assertFalse(self._alerts(first), "no alert per lot by default")

    def test_a_product_alert_opens_the_workbench_on_the_lots_it_covers(self):
        near = self._create_lot(self.syringe, 60, quantity=5, name="SYR-NEAR")
        expired = self._create_lot(self.syringe, -1, quantity=5, name="SYR-EXPIRED")
        self._create_lot(self.syringe, 200, quantity=5, name="SYR-FAR")
        self.Lot._cron_expiry_alerts()
        action = (
            self.env["product.product"]
            .browse(self._alerts(self.syringe)[0].res_id)
            .action_open_expiry_stock()
        )
        rows = self.env[action["res_model"]].search(action["domain"])
        self.assertEqual(rows.lot_id, near | expired)
        for alert in self._alerts(self.syringe):
            action = alert.action_open_expiry_stock()
            rows = self.env[action["res_model"]].search(action["domain"])
            expected = expired if alert.activity_type_id == self.alert_types["expired"] else near
            self.assertEqual(rows.lot_id, expected, "an alert opens exactly the lots of its level")

    def test_a_rule_can_ask_for_one_alert_per_lot(self):
        self.level_90.alert_grouping = "lot"
        lots = self._create_lot(self.syringe, 60, quantity=5, name="IMPLANT-1") | self._create_lot(
            self.syringe, 70, quantity=1, name="IMPLANT-2"
        )
        self.Lot._cron_expiry_alerts()
        self.assertFalse(self._alerts(self.syringe))
        alerts = self._alerts(lots)
        self.assertEqual(sorted(alerts.mapped("res_id")), sorted(lots.ids))
        self.assertIn("60 days left", self._alerts(lots[0]).summary)

    def test_group_of_the_level_is_alerted(self):
        self._create_lot(self.syringe, 20, quantity=5)
        self.Lot._cron_expiry_alerts()
        self.assertEqual(self._alerts(self.syringe).user_id, self.quality)

    def test_alerts_on_day_one_are_bounded_by_products_levels_and_users(self):
        for index in range(12):
            self._create_lot(self.syringe, 20 + 6 * index, quantity=1, name=f"SYR-{index}")
            self._create_lot(self.strips, 10 + 7 * index, quantity=1, name=f"STRIP-{index}")
        self.Lot._cron_expiry_alerts()
        # 2 products x 2 levels x 1 user per level, whatever the number of lots.
        self.assertEqual(len(self._alerts()), 4)
        self.assertEqual(sum(self._alerts().mapped("expiry_lot_count")), 24)

    def test_a_daily_run_looks_only_at_products_whose_lots_changed(self):
        self._create_lot(self.syringe, 60, quantity=5)
        strips_lot = self._create_lot(self.strips, 60, quantity=5)
        self.Lot._cron_expiry_alerts()
        # The last complete run ended later than anything written so far...
        later = fields.Datetime.now() + timedelta(hours=2)
        self.env["ir.config_parameter"].set_param("medical_expiry.expiry_alerts_last_run", later)
        self._alerts().unlink()  # ...and a state a run looking at every product would repair.
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE stock_quant SET write_date = %s WHERE id = ANY(%s)", [later, strips_lot.quant_ids.ids]
        )
        self.Lot._cron_expiry_alerts()
        self.assertFalse(self._alerts(self.syringe), "nothing of the syringes changed: not looked at")
        self.assertTrue(self._alerts(self.strips), "the strips' stock changed: looked at again")
        self.Lot.with_user(self.manager).action_run_expiry_alerts()
        self.assertTrue(self._alerts(self.syringe), "a run on demand looks at every product")

    def test_a_day_on_which_no_lot_crosses_a_threshold_writes_nothing(self):
        lots = (
            self._create_lot(self.syringe, 60, quantity=5)
            | self._create_lot(self.strips, 20, quantity=5)
            | self._create_lot(self.syringe, -3, quantity=5)
        )
        self.Lot._cron_expiry_alerts()
        self.env.flush_all()
        # The next day: every lot a day closer to its expiry, none crossing a threshold, no stock moved.
        self._age_lots(lots, 1)
        self.env.cr.execute("UPDATE stock_quant SET write_date = write_date - interval '1 day'")
        self.env.cr.execute(
            "UPDATE stock_lot SET expiry_level_changed_at = expiry_level_changed_at - interval '1 day'"
        )

        def written():
            self.env.flush_all()
            self.env.cr.execute(
                """
                SELECT (SELECT count(*) FROM medical_audit_log),
                       (SELECT count(*) FROM mail_message WHERE model IN ('stock.lot', 'product.product')),
                       (SELECT array_agg((id, write_date) ORDER BY id) FROM mail_activity),
                       (SELECT array_agg((id, write_date) ORDER BY id) FROM stock_lot)
                """
            )
            return self.env.cr.fetchone()

        before = written()
        last_run = datetime.fromisoformat(
            self.env["ir.config_parameter"].get_param("medical_expiry.expiry_alerts_last_run")
        )
        self.assertEqual(self.Lot._expiry_alert_scope(last_run), [], "no product to look at")
        self.Lot._cron_expiry_alerts()
        self.assertEqual(written(), before)
        self.assertEqual(len(self._alerts()), 3, "the alerts stay open")

    def test_the_next_run_does_not_look_again_at_what_the_last_run_relevelled(self):
        lot = self._create_lot(self.syringe, 60, quantity=5)
        self.Lot._cron_expiry_alerts()
        self._age_lots(lot, 40)
        self.env.cr.execute("UPDATE stock_quant SET write_date = write_date - interval '1 day'")
        self.env.cr.execute(
            "UPDATE stock_lot SET expiry_level_changed_at = expiry_level_changed_at - interval '1 day'"
        )
        self.Lot._cron_expiry_alerts()
        self.assertEqual(self._alerts(self.syringe).expiry_rule_id, self.level_30, "this run moved the alert")
        last_run = datetime.fromisoformat(
            self.env["ir.config_parameter"].get_param("medical_expiry.expiry_alerts_last_run")
        )
        self.assertEqual(lot.expiry_level_changed_at, last_run, "re-levelled by that run")
        self.assertEqual(self.Lot._expiry_alert_scope(last_run), [], "already brought in line by it")

    def test_alerts_and_audit_reasons_are_written_in_their_readers_language(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["medical_expiry"], ["zh_CN"])
        self.buyer.lang = "zh_CN"
        self.company.partner_id.lang = "zh_CN"
        self._create_lot(self.strips, 60, quantity=5)
        expired = self._create_lot(self.syringe, -1, quantity=5)
        self.level_30.user_ids = self.stock_user  # stays in English
        self.Lot._cron_expiry_alerts()
        self.assertIn("个批次处于", self._alerts(self.strips).summary, "the buyer reads Chinese")
        english = self._alerts(self.syringe).filtered(lambda alert: alert.user_id == self.stock_user)
        self.assertIn("expired lots", english.summary, "the stock user reads English")
        reason = self._audit_rows(expired, "lot_block").reason
        self.assertEqual(
            reason, "由每日效期定时任务冻结：该批次已过期。", "the company's language, for its inspectors"
        )

    def test_running_twice_creates_nothing_new(self):
        self._create_lot(self.syringe, 60, quantity=5)
        self._create_lot(self.syringe, -2, quantity=5)
        self.Lot._cron_expiry_alerts()
        first = self._keys(self._alerts(active_test=False))
        self.Lot._cron_expiry_alerts()
        self.assertEqual(self._keys(self._alerts(active_test=False)), first)
        self.assertEqual(len(first), 2)

    def test_a_new_lot_in_the_level_updates_the_product_alert(self):
        self._create_lot(self.syringe, 60, quantity=5, name="SYR-A")
        self.Lot._cron_expiry_alerts()
        alert = self._alerts(self.syringe)
        self._create_lot(self.syringe, 65, quantity=5, name="SYR-B")
        self.Lot._cron_expiry_alerts()
        self.assertEqual(self._alerts(self.syringe), alert, "the same alert, not a second one")
        self.assertEqual(alert.expiry_lot_count, 2)
        self.assertIn("2 lots", alert.summary)

    def test_handled_alert_is_not_raised_again(self):
        self._create_lot(self.syringe, 60, quantity=5)
        self.Lot._cron_expiry_alerts()
        self._alerts(self.syringe).action_feedback(feedback="Transferred to Shanghai")
        self.Lot._cron_expiry_alerts()
        self.assertFalse(self._alerts(self.syringe))
        self.assertEqual(len(self._alerts(self.syringe, active_test=False)), 1)

    def test_deeper_level_moves_the_product_alert(self):
        lot = self._create_lot(self.syringe, 60, quantity=5)
        self.Lot._cron_expiry_alerts()
        previous = self._alerts(self.syringe)
        self._age_lots(lot, 40)
        self.Lot._cron_expiry_alerts()
        current = self._alerts(self.syringe)
        self.assertEqual(current.expiry_rule_id, self.level_30)
        self.assertEqual(current.user_id, self.quality)
        self.assertFalse(previous.active, "the previous level's alert is closed")
        self.assertIn("no stock of Syringe is in this level", self._notes(self.syringe))

    def test_expired_lot_gets_an_expired_alert(self):
        self._create_lot(self.syringe, -1, quantity=5)
        self.Lot._cron_expiry_alerts()
        alert = self._alerts(self.syringe)
        self.assertEqual(alert.activity_type_id, self.alert_types["expired"])
        self.assertIn("1 expired lots", alert.summary)

    def test_a_lot_stocked_in_several_places_counts_once_in_its_product_alert(self):
        spread = self._create_lot(self.syringe, 60, quantity=5, name="SYR-SPREAD")
        for location, quantity in ((self.stock_2, 3), (self.transit, 2), (self.customers, 100)):
            self.env["stock.quant"]._update_available_quantity(
                self.syringe, location, quantity, lot_id=spread
            )
        self._create_lot(self.syringe, 70, quantity=4, name="SYR-ONE-PLACE")
        self.syringe.standard_price = 10
        self.Lot._cron_expiry_alerts()
        alert = self._alerts(self.syringe)
        self.assertEqual(len(alert), 1)
        self.assertEqual(alert.expiry_lot_count, 2)
        self.assertIn("2 lots", alert.summary)
        self.assertIn("14", alert.summary, "the stock of every warehouse and in transit, not the customer's")
        self.assertIn("140", alert.summary)

    def test_a_lot_stocked_in_several_warehouses_gets_one_alert_of_its_own(self):
        self.level_90.alert_grouping = "lot"
        lot = self._create_lot(self.syringe, 60, quantity=5, name="IMPLANT-SPREAD")
        self.env["stock.quant"]._update_available_quantity(self.syringe, self.stock_2, 1, lot_id=lot)
        self.Lot._cron_expiry_alerts()
        alert = self._alerts(lot)
        self.assertEqual(len(alert), 1)
        self.assertEqual(alert.user_id, self.buyer)
        self.assertEqual(alert.expiry_lot_count, 1)
        self.assertFalse(self._alerts(self.syringe))

    def test_lot_without_stock_gets_no_alert(self):
        self._create_lot(self.syringe, 60)
        self.Lot._cron_expiry_alerts()
        self.assertFalse(self._alerts())

    def test_stock_in_transit_counts_as_on_hand(self):
        self._create_lot(self.syringe, 60, quantity=5, location=self.transit)
        self.Lot._cron_expiry_alerts()
        self.assertEqual(len(self._alerts(self.syringe)), 1)

    def test_alert_value_is_in_the_currency_of_the_lots_company(self):
        company = self.env["res.company"].create(
            {"name": "Yuan Distributor", "currency_id": self.env.ref("base.CNY").id}
        )
        self.assertNotEqual(
            self.env.company.currency_id, company.currency_id, "the job runs in another company"
        )
        stock = self.env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1).lot_stock_id
        device = self._create_product("Yuan syringe", self.categ_device, company_id=company.id)
        device.with_company(company).standard_price = 10
        self._create_rule(90, company_id=company.id, user_ids=[Command.set(self.buyer.ids)])
        lot = self.env["stock.lot"].create(
            {
                "name": "CNY-1",
                "product_id": device.id,
                "company_id": company.id,
                "expiration_date": company._expiry_datetime_of(company._expiry_today() + timedelta(days=60)),
            }
        )
        self.env["stock.quant"]._update_available_quantity(device, stock, 5, lot_id=lot)
        self.Lot._cron_expiry_alerts()
        summary = self._alerts(device).summary
        self.assertIn("¥", summary)
        self.assertNotIn(self.env.company.currency_id.symbol, summary)

    def test_alert_closes_when_the_stock_is_gone(self):
        lot = self._create_lot(self.syringe, 60, quantity=5)
        self.Lot._cron_expiry_alerts()
        self.env["stock.quant"]._update_available_quantity(self.syringe, self.stock, -5, lot_id=lot)
        self.Lot._cron_expiry_alerts()
        self.assertFalse(self._alerts())
        self.assertIn("no stock of Syringe is in this level", self._notes(self.syringe))

    def test_expiry_moved_later_closes_the_stale_lot_alert(self):
        self.level_90.alert_grouping = "lot"
        lot = self._create_lot(self.syringe, 60, quantity=5)
        self.Lot._cron_expiry_alerts()
        lot.expiration_date = fields.Datetime.now() + timedelta(days=400)
        self.Lot._cron_expiry_alerts()
        self.assertFalse(self._alerts(lot))
        self.assertIn("no longer near expiry", self._notes(lot))

    def test_recipients_fall_back_to_product_responsible_then_stock_managers(self):
        lonely = self._create_rule(120)
        self.syringe.responsible_id = self.stock_user
        self._create_lot(self.syringe, 100, quantity=5)
        self.Lot._cron_expiry_alerts()
        self.assertEqual(self._alerts(self.syringe).user_id, self.stock_user)
        self.strips.responsible_id = False
        self._create_lot(self.strips, 100, quantity=5)
        self.Lot._cron_expiry_alerts()
        self.assertEqual(self._alerts(self.strips).user_id, self.env.ref("stock.group_stock_manager").users)
        self.assertEqual(self._alerts(self.strips).expiry_rule_id, lonely)

    def test_product_expiry_reminder_is_replaced_for_medical_devices(self):
        lot = self._create_lot(self.syringe, 60, quantity=5)
        lot.alert_date = fields.Datetime.now() - timedelta(days=1)
        self.env["stock.lot"]._alert_date_exceeded()
        reminder = self.env.ref("product_expiry.mail_activity_type_alert_date_reached")
        self.assertFalse(lot.activity_ids.filtered(lambda activity: activity.activity_type_id == reminder))
        self.assertTrue(lot.product_expiry_reminded)

    def test_alert_left_open_is_escalated_once_to_expiry_managers(self):
        self.company.expiry_alert_escalation_days = 7
        self._create_lot(self.syringe, 60, quantity=5)
        self.Lot._cron_expiry_alerts()
        escalation_type = self.env.ref("medical_expiry.mail_activity_type_escalation")
        escalations = self.env["mail.activity"].search([("activity_type_id", "=", escalation_type.id)])
        self.assertFalse(escalations, "not overdue yet")
        self.env.cr.execute(
            "UPDATE mail_activity SET create_date = create_date - interval '8 days' WHERE id = ANY(%s)",
            [self._alerts(self.syringe).ids],
        )
        self.env.invalidate_all()
        self.Lot._cron_expiry_alerts()
        self.Lot._cron_expiry_alerts()
        escalations = self.env["mail.activity"].search([("activity_type_id", "=", escalation_type.id)])
        self.assertEqual(escalations.user_id, self.env.ref("medical_expiry.group_expiry_manager").users)
        self.assertEqual(len(escalations), len(escalations.user_id), "once per manager")
        self.assertEqual(set(escalations.mapped("res_id")), {self.syringe.id})
        self.assertEqual(set(escalations.mapped("res_model")), {"product.product"})

    def test_killed_run_resumed_gives_what_an_uninterrupted_run_gives(self):
        products = [self.syringe, self.strips, self._create_product("Catheter", self.categ_device)]
        for index, days in enumerate((60, 20, -1, 80, 25, 70, 10)):
            self._create_lot(products[index % 3], days, name=f"resume-{index}", quantity=3)
        self.Lot._cron_refresh_expiry()
        # A run killed after its first committed batch...
        self.Lot._sync_product_expiry_alerts(products[0])
        # ...is completed by the next one.
        self.Lot._cron_expiry_alerts(batch_size=2)
        resumed = self._keys(self._alerts(active_test=False))
        self._alerts(active_test=False).unlink()
        self.Lot._cron_expiry_alerts(batch_size=2)
        self.assertEqual(self._keys(self._alerts(active_test=False)), resumed)
        self.assertEqual(len(resumed), 5, "per product: two levels, one level, expired and a level")

    def test_selection_is_set_based(self):
        """Bringing a product's alerts in line costs the same queries for 3 of its lots as for 30."""
        sync = self.Lot._sync_product_expiry_alerts
        for index in range(3):
            self._create_lot(self.syringe, 60, name=f"few-{index}", quantity=1)
        self.Lot._cron_refresh_expiry()
        self._count_queries(lambda: sync(self.syringe))  # warms the registry caches (xml ids)
        self._alerts().unlink()
        few_queries = self._count_queries(lambda: sync(self.syringe))
        for index in range(27):
            self._create_lot(self.syringe, 60, name=f"many-{index}", quantity=1)
        self.Lot._cron_refresh_expiry()
        self._alerts().unlink()
        self.assertLessEqual(self._count_queries(lambda: sync(self.syringe)), few_queries)
        self.assertEqual(self._alerts(self.syringe).expiry_lot_count, 30)

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
