from odoo.tests import tagged

from .common import MedicalExpiryCase


@tagged("post_install", "-at_install")
class TestKpiDashboard(MedicalExpiryCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._create_rule(90)
        cls.syringe.standard_price = 2.0
        cls.strips.standard_price = 1.0

    def _dashboard(self):
        return self.env["medical.expiry.dashboard"].create({})

    def _drill(self, action):
        return self.env[action["res_model"]].with_context(**action["context"]).search(action["domain"])

    def _deliver(self, lot, quantity, by_hand=False):
        picking = self._create_picking(lot.product_id, quantity)
        if by_hand:
            self._set_lines(picking, (lot, quantity))
        else:
            picking.action_assign()
        picking.button_validate()
        self.assertEqual(picking.state, "done")
        return picking

    def _scrap(self, lot, quantity):
        scrap = self.env["stock.scrap"].create(
            {
                "product_id": lot.product_id.id,
                "lot_id": lot.id,
                "scrap_qty": quantity,
                "location_id": self.stock.id,
            }
        )
        scrap.action_validate()
        return scrap

    def test_near_expiry_rate_in_quantity_and_value(self):
        near = self._create_lot(self.syringe, 60, quantity=30)  # 30 units at 2.0 in the 90-day level
        self._create_lot(self.strips, 200, quantity=70)  # 70 units at 1.0, no level
        dashboard = self._dashboard()
        self.assertAlmostEqual(dashboard.near_expiry_qty_rate, 0.3)
        self.assertAlmostEqual(dashboard.near_expiry_value_rate, 60 / 130)
        self.assertEqual(self._drill(dashboard.action_open_near_expiry()).lot_id, near)

    def test_expired_loss_and_expiry_driven_outbound_share(self):
        expired = self._create_lot(self.syringe, -5, quantity=10)
        good = self._create_lot(self.syringe, 300, quantity=40)
        self._scrap(expired, 4)
        self._deliver(good, 8)
        self._deliver(good, 8)
        dashboard = self._dashboard()
        self.assertAlmostEqual(dashboard.expired_loss_value, 8.0)
        self.assertAlmostEqual(dashboard.expiry_outbound_share, 4 / 20)
        scrapped = self._drill(dashboard.action_open_expired_loss())
        self.assertEqual(scrapped.lot_id, expired)
        self.assertEqual(self._drill(dashboard.action_open_expiry_outbound()), scrapped)

    def test_fefo_deviation_ratio(self):
        earlier = self._create_lot(self.syringe, 100, quantity=10)
        later = self._create_lot(self.syringe, 300, quantity=10)
        deviating = self._deliver(later, 5, by_hand=True)
        following = self._deliver(earlier, 5)
        self.assertEqual(following.move_line_ids.lot_id, earlier, "FEFO picked the earlier lot")
        self.assertTrue(deviating.move_line_ids.fefo_deviation)
        self.assertFalse(following.move_line_ids.fefo_deviation)
        dashboard = self._dashboard()
        self.assertAlmostEqual(dashboard.fefo_deviation_rate, 0.5)
        self.assertEqual(self._drill(dashboard.action_open_fefo_deviations()), deviating.move_line_ids)

    def test_alert_reach_rate_counts_only_alerts_handled_by_people(self):
        """Each alert weighs the lots it covers: a product's alert handled in time reaches all its lots."""
        catheter = self._create_product("Catheter", self.categ_device)
        self._create_lot(self.syringe, 60, quantity=5, name="handled-1")
        self._create_lot(self.syringe, 70, quantity=5, name="handled-2")
        self._create_lot(self.strips, 70, quantity=5, name="open")
        gone = self._create_lot(catheter, 80, quantity=5, name="gone")
        Lot = self.env["stock.lot"]
        Lot._cron_expiry_alerts()
        alerts = self.env["mail.activity"].search(
            [("res_model", "=", "product.product"), ("expiry_rule_id", "!=", False)]
        )
        self.assertEqual(len(alerts), 3)
        alerts.filtered(lambda alert: alert.res_id == self.syringe.id).action_feedback(
            feedback="Sold to Ruijin"
        )
        self.env["stock.quant"]._update_available_quantity(catheter, self.stock, -5, lot_id=gone)
        Lot._cron_expiry_alerts()  # closes the alert of the product without stock: not a person's doing
        dashboard = self._dashboard()
        self.assertAlmostEqual(dashboard.alert_reach_rate, 2 / 4)
        self.assertEqual(len(self._drill(dashboard.action_open_alerts())), 3)

    def test_inventory_count_variance(self):
        lot = self._create_lot(self.syringe, 300, quantity=10)
        quant = self.env["stock.quant"].search([("lot_id", "=", lot.id)])
        quant.with_context(inventory_mode=True).inventory_quantity = 7
        quant.action_apply_inventory()
        dashboard = self._dashboard()
        self.assertAlmostEqual(dashboard.inventory_variance_value, 6.0)
        self.assertEqual(self._drill(dashboard.action_open_inventory_variance()).quantity, 3)

    def test_period_excludes_other_dates(self):
        expired = self._create_lot(self.syringe, -5, quantity=10)
        self._scrap(expired, 4)
        dashboard = self._dashboard()
        dashboard.date_to = dashboard.date_from = "2020-01-01"
        self.assertEqual(dashboard.expired_loss_value, 0.0)
        self.assertFalse(self._drill(dashboard.action_open_expired_loss()))

    def test_supplier_returns_and_clearance_sales_count_as_expiry_driven(self):
        clearance_level = self._create_rule(45, "warn", suggested_action="clearance")
        near = self._create_lot(self.syringe, 40, quantity=10)
        self.assertEqual(near.expiry_rule_id, clearance_level)
        recalled = self._create_lot(self.strips, 300, quantity=10)
        recalled._block("recall")
        sold = self._deliver(near, 4, by_hand=True)
        returned = self._create_picking(self.strips, 6, destination=self.suppliers, partner=self.supplier)
        self._set_lines(returned, (recalled, 6))
        returned.button_validate()
        self.assertEqual(sold.move_line_ids.expiry_outbound_reason, "clearance")
        self.assertEqual(returned.move_line_ids.expiry_outbound_reason, "supplier_return")
        self.assertAlmostEqual(self._dashboard().expiry_outbound_share, 1.0)
