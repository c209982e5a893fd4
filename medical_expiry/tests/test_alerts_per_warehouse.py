from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import MedicalExpiryCase


@tagged("post_install", "-at_install")
class TestExpiryAlertsPerWarehouse(MedicalExpiryCase):
    """Rules whose alerts are grouped per product and warehouse: each warehouse acts on its own stock."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.buyer = cls.env["res.users"].create({"name": "Buyer", "login": "warehouse_alert_buyer"})
        cls.level_90 = cls._create_rule(90, user_ids=[Command.set(cls.buyer.ids)], alert_grouping="warehouse")
        cls.level_30 = cls._create_rule(30, "warn", user_ids=[Command.set(cls.buyer.ids)])
        cls.level_30.alert_grouping = "warehouse"
        cls.Lot = cls.env["stock.lot"]
        cls.alert_types = cls.Lot._expiry_alert_types()
        cls.syringe.standard_price = 10

    def _alerts(self, active_test=True):
        return (
            self.env["mail.activity"]
            .with_context(active_test=active_test)
            .search(
                [
                    ("res_model", "in", ("stock.lot", "product.product")),
                    ("activity_type_id", "in", [t.id for t in self.alert_types.values()]),
                ]
            )
        )

    def _alert_in(self, warehouse):
        return self._alerts().filtered(lambda alert: alert.expiry_warehouse_id == warehouse)

    def _keys(self, activities):
        return sorted(
            (
                activity.res_model,
                activity.res_id,
                activity.activity_type_id.id,
                activity.expiry_rule_id.id,
                activity.expiry_warehouse_id.id,
                activity.user_id.id,
                activity.active,
            )
            for activity in activities
        )

    def _add_stock(self, lot, location, quantity):
        self.env["stock.quant"]._update_available_quantity(lot.product_id, location, quantity, lot_id=lot)

    def test_one_alert_per_product_warehouse_level_and_user_names_its_warehouse(self):
        self._create_lot(self.syringe, 60, quantity=5, name="SYR-WH")
        self._create_lot(self.syringe, 70, quantity=7, name="SYR-SH-1", location=self.stock_2)
        both = self._create_lot(self.syringe, 80, quantity=3, name="SYR-SH-2", location=self.stock_2)
        self._add_stock(both, self.stock, 2)
        self.Lot._cron_expiry_alerts()
        self.assertEqual(len(self._alerts()), 2, "one per warehouse, none per product")
        here, shanghai = self._alert_in(self.warehouse), self._alert_in(self.warehouse_2)
        self.assertEqual((here.res_model, here.res_id), ("product.product", self.syringe.id))
        self.assertEqual(here.expiry_lot_count, 2)
        self.assertEqual(shanghai.expiry_lot_count, 2)
        self.assertEqual(shanghai.expiry_rule_id, self.level_90)
        self.assertEqual(shanghai.user_id, self.buyer)
        self.assertIn("Syringe in Shanghai: 2 lots in level “90 days”", shanghai.summary)
        self.assertIn("10", shanghai.summary, "the quantity in Shanghai")
        self.assertIn("100", shanghai.summary, "the value in Shanghai")
        self.assertIn(f"in {self.warehouse.name}: 2 lots", here.summary)
        self.assertIn("7", here.summary, "5 + 2 units in this warehouse")

    def test_a_warehouse_alert_opens_the_workbench_on_its_lots_in_that_warehouse(self):
        near = self._create_lot(self.syringe, 60, quantity=5, name="SYR-NEAR", location=self.stock_2)
        both = self._create_lot(self.syringe, 70, quantity=3, name="SYR-BOTH", location=self.stock_2)
        self._add_stock(both, self.stock, 4)
        self._create_lot(self.syringe, 20, quantity=5, name="SYR-DEEPER", location=self.stock_2)
        self._create_lot(self.syringe, 200, quantity=5, name="SYR-FAR", location=self.stock_2)
        self.Lot._cron_expiry_alerts()
        alert = self._alert_in(self.warehouse_2).filtered(lambda a: a.expiry_rule_id == self.level_90)
        action = alert.action_open_expiry_stock()
        rows = self.env[action["res_model"]].search(action["domain"])
        self.assertEqual(rows.lot_id, near | both)
        self.assertEqual(rows.warehouse_id, self.warehouse_2)
        self.assertEqual(sum(rows.mapped("quantity")), 8)

    def test_stock_in_transit_gets_an_alert_of_its_own(self):
        lot = self._create_lot(self.syringe, 60, quantity=5, location=self.transit)
        self.Lot._cron_expiry_alerts()
        alert = self._alerts()
        self.assertFalse(alert.expiry_warehouse_id)
        self.assertIn("Syringe in transit: 1 lots", alert.summary)
        rows = self.env["medical.expiry.workbench"].search(alert.action_open_expiry_stock()["domain"])
        self.assertEqual(rows.lot_id, lot)
        self.assertTrue(all(rows.mapped("in_transit")))

    def test_only_expiry_alerts_open_the_workbench(self):
        todo = self.syringe.activity_schedule("mail.mail_activity_data_todo", user_id=self.buyer.id)
        with self.assertRaises(UserError):
            todo.action_open_expiry_stock()

    def test_running_twice_creates_nothing_new(self):
        self._create_lot(self.syringe, 60, quantity=5)
        self._create_lot(self.syringe, 60, quantity=5, location=self.stock_2, name="SYR-SH")
        self._create_lot(self.syringe, -2, quantity=5, location=self.stock_2, name="SYR-OLD")
        self.Lot._cron_expiry_alerts()
        first = self._keys(self._alerts(active_test=False))
        self.Lot._cron_expiry_alerts()
        self.Lot.with_user(self.manager).action_run_expiry_alerts()
        self.assertEqual(self._keys(self._alerts(active_test=False)), first)
        self.assertEqual(len(first), 3, "two warehouses in the level, one with an expired lot")

    def test_deeper_level_moves_the_warehouse_alert_only(self):
        self._create_lot(self.syringe, 60, quantity=5)
        moving = self._create_lot(self.syringe, 60, quantity=5, location=self.stock_2, name="SYR-SH")
        self.Lot._cron_expiry_alerts()
        here, shanghai = self._alert_in(self.warehouse), self._alert_in(self.warehouse_2)
        self._age_lots(moving, 40)
        self.Lot._cron_expiry_alerts()
        moved = self._alert_in(self.warehouse_2)
        self.assertEqual(moved.expiry_rule_id, self.level_30)
        self.assertFalse(shanghai.active, "the previous level's alert in Shanghai is closed")
        self.assertTrue(here.active, "the other warehouse's alert stays")
        self.assertIn(
            "no stock of Syringe in Shanghai is in this level any more",
            "".join(self.syringe.message_ids.mapped("body")),
        )

    def test_no_alert_without_stock_and_an_emptied_warehouse_closes_its_alert(self):
        self._create_lot(self.syringe, 60, name="SYR-EMPTY")
        self.Lot._cron_expiry_alerts()
        self.assertFalse(self._alerts(), "no stock, no alert")
        self._create_lot(self.syringe, 60, quantity=5, name="SYR-WH")
        leaving = self._create_lot(self.syringe, 60, quantity=5, location=self.stock_2, name="SYR-SH")
        self.Lot._cron_expiry_alerts()
        shanghai = self._alert_in(self.warehouse_2)
        self._add_stock(leaving, self.stock_2, -5)
        self.Lot._cron_expiry_alerts()
        self.assertFalse(shanghai.active)
        self.assertTrue(shanghai.expiry_auto_closed)
        self.assertEqual(self._alerts().expiry_warehouse_id, self.warehouse)
        self.assertIn(
            "no stock of Syringe in Shanghai is in this level any more",
            "".join(self.syringe.message_ids.mapped("body")),
        )

    def test_each_overdue_warehouse_alert_is_escalated_once(self):
        self.company.expiry_alert_escalation_days = 7
        self._create_lot(self.syringe, 60, quantity=5)
        self._create_lot(self.syringe, 60, quantity=5, location=self.stock_2, name="SYR-SH")
        self.Lot._cron_expiry_alerts()
        self.env.cr.execute(
            "UPDATE mail_activity SET create_date = create_date - interval '8 days' WHERE id = ANY(%s)",
            [self._alerts().ids],
        )
        self.env.invalidate_all()
        self.Lot._cron_expiry_alerts()
        self.Lot._cron_expiry_alerts()
        escalation_type = self.env.ref("medical_expiry.mail_activity_type_escalation")
        escalations = self.env["mail.activity"].search([("activity_type_id", "=", escalation_type.id)])
        managers = self.env.ref("medical_expiry.group_expiry_manager").users
        self.assertEqual(len(escalations), 2 * len(managers), "once per warehouse alert and manager")
        self.assertEqual(escalations.expiry_warehouse_id, self.warehouse | self.warehouse_2)
        self.assertIn("Syringe in Shanghai", "".join(escalations.mapped("summary")))

    def test_a_warehouse_alert_is_written_in_its_readers_language(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["medical_expiry"], ["zh_CN"])
        self.buyer.lang = "zh_CN"
        self._create_lot(self.syringe, 60, quantity=5, location=self.stock_2)
        self._create_lot(self.syringe, -1, quantity=5, location=self.stock_2, name="SYR-OLD")
        self._create_lot(self.syringe, 60, quantity=5, location=self.transit, name="SYR-TRANSIT")
        self.Lot._cron_expiry_alerts()
        summaries = "\n".join(self._alerts().mapped("summary"))
        self.assertIn("Syringe（Shanghai）：1 个批次处于", summaries)
        self.assertIn("Syringe（Shanghai）：1 个批次已过期", summaries)
        self.assertIn("Syringe（在途）：1 个批次处于", summaries)
