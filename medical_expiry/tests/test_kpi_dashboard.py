import calendar
from datetime import datetime, timedelta

from dateutil.relativedelta import relativedelta

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import MedicalExpiryCase


@tagged("post_install", "-at_install")
class TestKpiDashboard(MedicalExpiryCase):
    """Every figure on constructed stock with a known answer, month by month and warehouse by warehouse."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.expiry_tz = "UTC"
        cls._create_rule(90)
        cls.syringe.standard_price = 2.0
        cls.strips.standard_price = 1.0
        cls.Kpi = cls.env["medical.expiry.kpi"]
        cls.Kpi.search([]).unlink()  # the figures the install took of the database
        cls.this_month = cls.company._expiry_today().replace(day=1)
        cls.last_month = cls.this_month - relativedelta(months=1)
        cls.two_months_ago = cls.this_month - relativedelta(months=2)

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------
    def _refresh(self):
        self.Kpi._refresh(self.company, self.this_month - relativedelta(months=11))

    def _figure(self, kpi, month=None, warehouse=None):
        """The figure as the graph and the pivot read it: aggregated over the rows of the group."""
        domain = [("kpi", "=", kpi), ("month", "=", month or self.this_month)]
        if warehouse is not None:
            domain.append(("warehouse_id", "=", warehouse.id))
        [(value,)] = self.Kpi._read_group(domain, aggregates=["value:sum"])
        return value

    def _row(self, kpi, month=None, warehouse=None):
        return self.Kpi.search(
            [
                ("kpi", "=", kpi),
                ("month", "=", month or self.this_month),
                ("warehouse_id", "=", warehouse.id if warehouse else False),
            ]
        )

    def _drill(self, row):
        action = row.action_open_records()
        return self.env[action["res_model"]].with_context(**action["context"]).search(action["domain"])

    def _on(self, records, day, hour=12):
        """Date the done lines of ``records`` to ``hour`` o'clock UTC on ``day``."""
        records.move_ids.move_line_ids.date = datetime.combine(day, datetime.min.time()) + timedelta(
            hours=hour
        )

    def _deliver(self, lot, quantity, by_hand=False, source=None):
        picking = self._create_picking(lot.product_id, quantity, source=source)
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

    def _days_in(self, month):
        return calendar.monthrange(month.year, month.month)[1]

    # ------------------------------------------------------------------
    # Stock figures
    # ------------------------------------------------------------------
    def test_near_expiry_rate_by_warehouse_and_for_the_company(self):
        self._create_lot(self.syringe, 300, quantity=90)  # 90 units at 2.0, no level
        near = self._create_lot(
            self.strips, 60, quantity=30, location=self.stock_2
        )  # 30 at 1.0, 90-day level
        self._refresh()
        self.assertAlmostEqual(self._figure("near_expiry_qty", warehouse=self.warehouse), 0.0)
        self.assertAlmostEqual(self._figure("near_expiry_qty", warehouse=self.warehouse_2), 100.0)
        # The company's rate is the near stock over all the stock, not a sum or mean of the rates.
        self.assertAlmostEqual(self._figure("near_expiry_qty"), 30 / 120 * 100)
        self.assertAlmostEqual(self._figure("near_expiry_value"), 30 / 210 * 100)
        self.assertEqual(self._drill(self._row("near_expiry_qty", warehouse=self.warehouse_2)).lot_id, near)

    def test_stock_in_transit_counts_in_the_near_expiry_rate_and_turnover(self):
        """90 syringes (180) in the warehouse, 10 sold this month (20); 10 near-expiry strips (10) on the
        road between warehouses: the company holds 100 units, 10 near expiry, worth 190 + 10 on average."""
        good = self._create_lot(self.syringe, 300, quantity=100)
        self._create_lot(self.strips, 60, quantity=10, location=self.transit)
        self._on(self._deliver(good, 10), self.company._expiry_today())
        self._refresh()
        self.assertAlmostEqual(self._figure("near_expiry_qty"), 10 / 100 * 100)
        self.assertAlmostEqual(self._figure("near_expiry_value"), 10 / 190 * 100)
        transit = self._row("near_expiry_qty")
        self.assertAlmostEqual(transit.value, 100.0)
        self.assertEqual(transit.scope, "transit")
        self.assertEqual(len(self._drill(transit)), 1, "the strips on the road")
        today = self.company._expiry_today()
        days = (today + timedelta(days=1) - self.this_month).days
        self.assertAlmostEqual(self._figure("turnover_days"), (190 + 10) * days / 20)
        self.assertAlmostEqual(self._figure("turnover_days", warehouse=self.warehouse), 190 * days / 20)
        labels = dict(self.Kpi.fields_get(["scope"])["scope"]["selection"])
        self.assertEqual(labels["transit"], "In Transit")
        self.env["res.lang"]._activate_lang("zh_CN")
        chinese = self.Kpi.with_context(lang="zh_CN").fields_get(["scope"])["scope"]["selection"]
        self.assertEqual(dict(chinese)["transit"], "在途", "the pivot's row of stock on the road")

    def test_figures_of_no_warehouse_group_under_whole_company(self):
        self._create_lot(self.syringe, 60, quantity=5)
        self.env["stock.lot"]._cron_expiry_alerts()
        self._refresh()
        groups = dict(
            self.Kpi._read_group([("kpi", "in", ("alert_reach", "near_expiry_qty"))], ["scope"], ["__count"])
        )
        self.assertEqual(groups, {"company": 1, str(self.warehouse.id): 1})
        # Two KPIs have no common figure: a rate of alerts and a rate of stock do not add up.
        [(mixed,)] = self.Kpi._read_group(
            [("kpi", "in", ("alert_reach", "near_expiry_qty"))], [], ["value:sum"]
        )
        self.assertIs(mixed, False, "an empty cell, not a number")
        labels = dict(self.Kpi.fields_get(["scope"])["scope"]["selection"])
        self.assertEqual(labels["company"], "Whole Company")

    def test_expired_rate_and_turnover_days_from_the_average_stock_of_each_month(self):
        """Today: 90 syringes (180) and 30 strips (30). Two months ago 10 syringes were sold (20), last
        month 5 expired syringes scrapped (10): the stock was worth 230 on average two months ago
        ((240 + 220) / 2), 215 last month ((220 + 210) / 2) and 210 this month.
        """
        good = self._create_lot(self.syringe, 300, quantity=100)
        expired = self._create_lot(self.syringe, -5, quantity=5)
        self._create_lot(self.strips, 200, quantity=30)
        self._on(self._deliver(good, 10), self.two_months_ago + timedelta(days=14))
        self._on(self._scrap(expired, 5), self.last_month + timedelta(days=9))
        self._refresh()
        self.assertAlmostEqual(self._figure("expired_loss", self.last_month), 10.0)
        self.assertAlmostEqual(self._figure("expired_rate", self.last_month), 10 / 215 * 100)
        self.assertAlmostEqual(self._figure("expired_rate", self.two_months_ago), 0.0)
        self.assertAlmostEqual(self._figure("expired_rate", self.this_month), 0.0)
        self.assertAlmostEqual(
            self._figure("turnover_days", self.two_months_ago), 230 * self._days_in(self.two_months_ago) / 20
        )
        # Nothing sold last month: no turnover to show, rather than an infinite one.
        self.assertFalse(self._row("turnover_days", self.last_month))
        # Over the three months together: the loss over the sum of the monthly average stocks.
        [(rate,)] = self.Kpi._read_group(
            [("kpi", "=", "expired_rate"), ("month", ">=", self.two_months_ago)], aggregates=["value:sum"]
        )
        self.assertAlmostEqual(rate, 10 / (230 + 215 + 210) * 100)
        scrapped = self._drill(self._row("expired_rate", self.last_month, self.warehouse))
        self.assertEqual(scrapped.lot_id, expired)
        self.assertEqual(
            self._drill(self._row("turnover_days", self.two_months_ago, self.warehouse)).lot_id, good
        )

    # ------------------------------------------------------------------
    # Outbound figures
    # ------------------------------------------------------------------
    def test_expired_loss_and_expiry_driven_outbound_share(self):
        expired = self._create_lot(self.syringe, -5, quantity=10)
        good = self._create_lot(self.syringe, 300, quantity=40)
        self._scrap(expired, 4)
        self._deliver(good, 8)
        self._deliver(good, 8)
        self._refresh()
        self.assertAlmostEqual(self._figure("expired_loss"), 8.0)
        self.assertAlmostEqual(self._figure("expiry_outbound"), 4 / 20 * 100)
        scrapped = self._drill(self._row("expired_loss", warehouse=self.warehouse))
        self.assertEqual(scrapped.lot_id, expired)
        self.assertEqual(self._drill(self._row("expiry_outbound", warehouse=self.warehouse)), scrapped)

    def test_fefo_deviation_ratio_by_warehouse(self):
        earlier = self._create_lot(self.syringe, 100, quantity=10)
        later = self._create_lot(self.syringe, 300, quantity=10)
        deviating = self._deliver(later, 5, by_hand=True)
        following = self._deliver(earlier, 5)
        self.assertEqual(following.move_line_ids.lot_id, earlier, "FEFO picked the earlier lot")
        elsewhere = self._create_lot(self.strips, 300, quantity=10, location=self.stock_2)
        picking = self._create_picking(self.strips, 4, picking_type=self.warehouse_2.out_type_id)
        picking.action_assign()
        picking.button_validate()
        self.assertEqual(picking.move_line_ids.lot_id, elsewhere)
        self._refresh()
        self.assertAlmostEqual(self._figure("fefo_deviation", warehouse=self.warehouse), 50.0)
        self.assertAlmostEqual(self._figure("fefo_deviation", warehouse=self.warehouse_2), 0.0)
        self.assertAlmostEqual(self._figure("fefo_deviation"), 1 / 3 * 100)
        self.assertEqual(
            self._drill(self._row("fefo_deviation", warehouse=self.warehouse)), deviating.move_line_ids
        )

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
        self._refresh()
        self.assertAlmostEqual(self._figure("expiry_outbound"), 100.0)

    def test_inventory_count_variance_counts_gains_and_losses(self):
        lot = self._create_lot(self.syringe, 300, quantity=10)
        gained = self._create_lot(self.strips, 300, quantity=5, location=self.stock_2)
        for counted_lot, counted in ((lot, 7), (gained, 9)):
            quant = self.env["stock.quant"].search([("lot_id", "=", counted_lot.id)])
            quant.with_context(inventory_mode=True).inventory_quantity = counted
            quant.action_apply_inventory()
        self._refresh()
        self.assertAlmostEqual(self._figure("count_variance", warehouse=self.warehouse), 6.0)
        self.assertAlmostEqual(self._figure("count_variance", warehouse=self.warehouse_2), 4.0)
        self.assertAlmostEqual(self._figure("count_variance"), 10.0)
        self.assertEqual(self._drill(self._row("count_variance", warehouse=self.warehouse_2)).lot_id, gained)

    # ------------------------------------------------------------------
    # Months in the company's time zone
    # ------------------------------------------------------------------
    def test_a_month_begins_at_local_midnight(self):
        """17:00 UTC on the last day of a month is 01:00 the next day in Shanghai: the next month there."""
        expired = self._create_lot(self.syringe, -5, quantity=10)
        scrap = self._scrap(expired, 4)
        self._on(scrap, self.last_month - timedelta(days=1), hour=17)
        self.company.expiry_tz = "Asia/Shanghai"
        self._refresh()
        self.assertAlmostEqual(self._figure("expired_loss", self.last_month), 8.0)
        self.assertFalse(self._row("expired_loss", self.two_months_ago, self.warehouse))
        self.assertEqual(
            self._drill(self._row("expired_loss", self.last_month, self.warehouse)),
            scrap.move_ids.move_line_ids,
        )
        self.company.expiry_tz = "UTC"
        self._refresh()
        self.assertAlmostEqual(self._figure("expired_loss", self.two_months_ago), 8.0)
        self.assertFalse(self._row("expired_loss", self.last_month, self.warehouse))
        self.assertEqual(
            self._drill(self._row("expired_loss", self.two_months_ago, self.warehouse)),
            scrap.move_ids.move_line_ids,
        )

    # ------------------------------------------------------------------
    # Alerts, qualifications
    # ------------------------------------------------------------------
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
        self._refresh()
        self.assertAlmostEqual(self._figure("alert_reach"), 2 / 4 * 100)
        self.assertEqual(len(self._drill(self._row("alert_reach"))), 3)

    # ------------------------------------------------------------------
    # Refresh
    # ------------------------------------------------------------------
    def test_a_past_month_keeps_its_near_expiry_rate_and_recounts_its_moves(self):
        """What was near expiry is known only at the time: refreshing again keeps last month's rate."""
        expired = self._create_lot(self.syringe, -5, quantity=10)
        self.Kpi.sudo().create(
            {
                "company_id": self.company.id,
                "month": self.last_month,
                "warehouse_id": self.warehouse.id,
                "kpi": "near_expiry_qty",
                "kind": "rate",
                "numerator": 1.0,
                "denominator": 4.0,
                "value": 25.0,
            }
        )
        self._on(self._scrap(expired, 4), self.last_month)
        self._refresh()
        self._refresh()
        self.assertAlmostEqual(self._figure("near_expiry_qty", self.last_month), 25.0)
        self.assertEqual(len(self._row("expired_loss", self.last_month, self.warehouse)), 1)
        self.assertAlmostEqual(self._figure("expired_loss", self.last_month), 8.0)

    def test_only_expiry_managers_refresh_and_read_the_kpis(self):
        clerk = new_test_user(
            self.env, "kpi-clerk", groups="stock.group_stock_user,medical_expiry.group_expiry_user"
        )
        manager = new_test_user(
            self.env, "kpi-manager", groups="stock.group_stock_manager,medical_expiry.group_expiry_manager"
        )
        self._create_lot(self.syringe, 60, quantity=5)
        with self.assertRaises(AccessError):
            self.Kpi.with_user(clerk).action_refresh()
        self.assertFalse(self.Kpi.search([("month", "=", self.this_month)]))
        with self.assertRaises(AccessError):
            self.Kpi.with_user(clerk).search([])
        self.Kpi.with_user(manager).action_refresh()
        self.assertAlmostEqual(
            self.Kpi.with_user(manager)._read_group(
                [("kpi", "=", "near_expiry_qty"), ("month", "=", self.this_month)], aggregates=["value:sum"]
            )[0][0],
            100.0,
        )
        with self.assertRaises(AccessError):
            self.Kpi.with_user(manager).search([], limit=1).write({"value": 1.0})

    def test_the_dashboard_opens_as_charts_of_the_last_twelve_months(self):
        action = self.env.ref("medical_expiry.action_expiry_dashboard")
        self.assertEqual(action.res_model, "medical.expiry.kpi")
        self.assertEqual(action.view_mode.split(",")[0], "graph")
        self.assertIn("search_default_last_12_months", action.context)
