from datetime import datetime, timedelta

from dateutil.relativedelta import relativedelta

from odoo import Command, fields
from odoo.exceptions import UserError
from odoo.tests import Form, HttpCase, tagged

from ..models.medical_expiry_rule import SUGGESTED_ACTION_METHODS, SUGGESTED_ACTIONS
from ..report.medical_expiry_workbench import EXPIRY_BUCKETS
from .common import MedicalExpiryCase


@tagged("post_install", "-at_install")
class TestWorkbench(MedicalExpiryCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Workbench = cls.env["medical.expiry.workbench"]
        cls.syringe.standard_price = 2.5
        cls.bin = cls.env["stock.location"].create({"name": "Bin A", "location_id": cls.stock.id})

    def _rows(self, product, **domain):
        self.Workbench.invalidate_model()  # rows are a view: what the cache holds may be stale
        return self.Workbench.search(
            [("product_id", "=", product.id)] + [(field, "=", value) for field, value in domain.items()]
        )

    def _row(self, lot, location=None):
        self.Workbench.invalidate_model()
        row = self.Workbench.search(
            [("lot_id", "=", lot.id), ("location_id", "=", (location or self.stock).id)]
        )
        self.assertEqual(len(row), 1, f"one row for lot {lot.name}")
        return row

    def _validate(self, picking):
        picking.action_assign()
        picking.move_ids.picked = True
        picking.button_validate()
        self.assertEqual(picking.state, "done")

    def _receive(self, product, quantity, lot_name, days):
        """A receipt from the supplier of a new lot expiring in `days` days."""
        picking = self._create_picking(
            product, quantity, partner=self.supplier, picking_type=self.warehouse.in_type_id
        )
        picking.move_ids.move_line_ids.write(
            {
                "lot_name": lot_name,
                "expiration_date": self.company._expiry_datetime_of(
                    self.company._expiry_today() + timedelta(days=days)
                ),
                "quantity": quantity,
            }
        )
        self._validate(picking)
        return picking, picking.move_line_ids.lot_id

    def _ship(self, lot, quantity, days_ago, warehouse=None):
        """A done delivery of `quantity` of the lot to a customer, dated `days_ago` days back."""
        warehouse = warehouse or self.warehouse
        picking = self._create_picking(lot.product_id, quantity, picking_type=warehouse.out_type_id)
        self._set_lines(picking, (lot, quantity))
        self._validate(picking)
        picking.move_ids.date = fields.Datetime.now() - timedelta(days=days_ago)

    # ------------------------------------------------------------------
    # Rows
    # ------------------------------------------------------------------
    def test_one_row_per_quant_with_bucket_level_block_and_value(self):
        level = self._create_rule(45, "warn")
        expired = self._create_lot(self.syringe, -5, quantity=10)
        near = self._create_lot(self.syringe, 20, quantity=5)
        self.env["stock.quant"]._update_available_quantity(self.syringe, self.quarantine, 3, lot_id=near)
        self._create_lot(self.syringe, 60, quantity=6)
        self._create_lot(self.syringe, 120, quantity=7)
        far = self._create_lot(self.syringe, 400, quantity=8)
        blocked = self._create_lot(self.syringe, 200, quantity=4)
        blocked._block("quality")
        gone = self._create_lot(self.syringe, 300, quantity=2)
        self.env["stock.quant"]._update_available_quantity(self.syringe, self.stock, -2, lot_id=gone)

        rows = self._rows(self.syringe)
        self.assertEqual(len(rows), 7, "one row per quant on hand; the emptied quant has none")
        self.assertEqual(
            sorted(rows.mapped("expiry_bucket")),
            sorted(["expired", "days_30", "days_30", "days_90", "days_180", "beyond_180", "beyond_180"]),
        )
        expired_row = self._row(expired)
        self.assertEqual(
            (expired_row.expiry_bucket, expired_row.expiry_state, expired_row.quantity, expired_row.value),
            ("expired", "expired", 10, 25),
        )
        near_row = self._row(near)
        self.assertEqual((near_row.expiry_state, near_row.expiry_rule_id), ("near_expiry", level))
        self.assertEqual(near_row.days_to_expiry, near.days_to_expiry)
        self.assertEqual(near_row.expiration_date, near.expiration_date.date())
        self.assertEqual(self._row(near, self.quarantine).quantity, 3)
        self.assertEqual(self._row(far).expiry_state, "ok")
        blocked_row = self._row(blocked)
        self.assertEqual((blocked_row.is_blocked, blocked_row.block_reason), (True, "quality"))
        self.assertEqual(rows.warehouse_id, self.warehouse)
        self.assertFalse(rows.filtered("in_transit"))

    def test_searching_a_bucket_finds_the_rows_the_view_puts_in_it(self):
        """The kanban's columns and the bucket filters search by date ranges; the view classifies each row:
        both agree, at every boundary."""
        self._create_rule(45, "warn")
        for days in (-3, 0, 30, 31, 90, 91, 180, 181, 400, None):
            self._create_lot(self.syringe, days, name=f"SYR-BUCKET-{days}", quantity=1)
        self._create_lot(self.syringe, 200, name="SYR-BUCKET-BLOCKED", quantity=1)._block("quality")
        gauze = self.env["product.product"].create({"name": "Gauze", "is_storable": True})
        self.env["stock.quant"]._update_available_quantity(gauze, self.stock, 5)
        products = [("product_id", "in", (self.syringe | gauze).ids)]
        self.Workbench.invalidate_model()
        rows = self.Workbench.search(products)
        self.assertEqual(
            set(rows.mapped("expiry_bucket")), {bucket for bucket, _label in EXPIRY_BUCKETS}, "every bucket"
        )
        for bucket, _label in EXPIRY_BUCKETS:
            with self.subTest(bucket=bucket):
                found = self.Workbench.search(products + [("expiry_bucket", "=", bucket)])
                self.assertEqual(found, rows.filtered(lambda row, bucket=bucket: row.expiry_bucket == bucket))
        both = self.Workbench.search(products + [("expiry_bucket", "in", ["expired", "days_90"])])
        self.assertEqual(both, rows.filtered(lambda row: row.expiry_bucket in ("expired", "days_90")))
        self.assertEqual(
            self.Workbench.search(products + [("expiry_bucket", "!=", "days_30")]),
            rows.filtered(lambda row: row.expiry_bucket != "days_30"),
        )

    def test_stock_without_lot_is_in_the_no_expiry_bucket(self):
        gauze = self.env["product.product"].create(
            {"name": "Gauze", "is_storable": True, "standard_price": 4}
        )
        self.env["stock.quant"]._update_available_quantity(gauze, self.stock, 5)
        row = self._rows(gauze)
        self.assertEqual((row.expiry_bucket, row.expiry_state, row.value), ("no_expiry", "no_expiry", 20))
        self.assertFalse(row.lot_id)

    def test_lot_without_expiration_date_is_in_the_no_expiry_bucket(self):
        lot = self._create_lot(self.syringe, None, quantity=5)
        self.assertEqual(lot.days_to_expiry, 0, "the ORM stores no expiry as 0 days")
        self.assertEqual(self._row(lot).expiry_bucket, "no_expiry")

    def test_rows_of_other_companies_are_hidden(self):
        other_company = self.env["res.company"].create({"name": "Other Company"})
        other_stock = self.env["stock.warehouse"].search([("company_id", "=", other_company.id)]).lot_stock_id
        self._create_lot(self.syringe, 100, quantity=5)
        self.env["stock.quant"].with_company(other_company)._update_available_quantity(
            self.syringe, other_stock, 9
        )
        self.assertEqual(len(self._rows(self.syringe)), 2)
        visible = self.Workbench.with_user(self.stock_user).search([("product_id", "=", self.syringe.id)])
        self.assertEqual(visible.company_id, self.company)
        self.assertEqual(visible.quantity, 5)

    # ------------------------------------------------------------------
    # Inter-warehouse transfer through transit
    # ------------------------------------------------------------------
    def test_two_step_transfer_shows_in_transit_until_received(self):
        lot = self._create_lot(self.syringe, 200, quantity=10)
        expiry = lot.expiration_date
        shipment = self._create_picking(
            self.syringe,
            10,
            source=self.stock,
            destination=self.transit,
            picking_type=self.warehouse.int_type_id,
        )
        self._validate(shipment)
        receipt = self._create_picking(
            self.syringe,
            10,
            source=self.transit,
            destination=self.stock_2,
            picking_type=self.warehouse_2.in_type_id,
        )

        row = self._rows(self.syringe)
        self.assertEqual(len(row), 1)
        self.assertEqual((row.lot_id, row.expiration_date), (lot, expiry.date()))
        self.assertTrue(row.in_transit)
        self.assertEqual(row.location_id, self.transit)
        self.assertFalse(row.warehouse_id)
        self.assertEqual(row.transit_source_warehouse_id, self.warehouse)
        self.assertEqual(row.transit_destination_warehouse_id, self.warehouse_2)
        self.assertEqual(self.Workbench.search([("in_transit", "=", True)]), row)
        self.assertEqual(row.stock_place, "transit")

        self._validate(receipt)
        row = self._rows(self.syringe)
        self.assertEqual(len(row), 1)
        self.assertEqual((row.lot_id, row.expiration_date, row.quantity), (lot, expiry.date(), 10))
        self.assertEqual((row.location_id, row.warehouse_id), (self.stock_2, self.warehouse_2))
        self.assertFalse(row.in_transit)
        self.assertFalse(row.transit_source_warehouse_id)
        self.assertEqual(lot.expiration_date, expiry, "the transfer keeps the expiration date")

    def test_the_pivot_groups_transit_stock_under_in_transit_in_the_readers_language(self):
        """Stock between warehouses belongs to none: grouped by warehouse it reads 在途, never "None"."""
        self._create_lot(self.syringe, 200, quantity=10, location=self.transit)
        self._create_lot(self.syringe, 300, quantity=4, location=self.stock_2)
        groups = self.Workbench._read_group(
            [("product_id", "=", self.syringe.id)], ["stock_place"], ["quantity:sum"]
        )
        self.assertEqual(dict(groups), {"transit": 10, str(self.warehouse_2.id): 4})
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["medical_expiry"], ["zh_CN"])
        labels = dict(
            self.Workbench.with_context(lang="zh_CN").fields_get(["stock_place"])["stock_place"]["selection"]
        )
        self.assertEqual(labels["transit"], "在途")
        self.assertEqual(labels[str(self.warehouse_2.id)], self.warehouse_2.name)

    def test_the_card_says_the_days_left_in_one_translated_sentence(self):
        self._create_lot(self.syringe, 30, quantity=1)
        self._create_lot(self.strips, -3, quantity=1)
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["medical_expiry"], ["zh_CN"])
        rows = self.Workbench.with_context(lang="zh_CN").search(
            [("product_id", "in", (self.syringe | self.strips).ids)]
        )
        self.assertEqual(
            rows.filtered(lambda row: row.product_id == self.syringe).expiry_countdown, "剩余 30 天"
        )
        self.assertFalse(rows.filtered(lambda row: row.product_id == self.strips).expiry_countdown)

    # ------------------------------------------------------------------
    # FEFO rank and forecast
    # ------------------------------------------------------------------
    def test_fefo_rank_orders_shippable_lots_per_product_and_warehouse(self):
        first = self._create_lot(self.syringe, 100, quantity=5)
        self.env["stock.quant"]._update_available_quantity(self.syringe, self.bin, 2, lot_id=first)
        second = self._create_lot(self.syringe, 200, quantity=5)
        third = self._create_lot(self.syringe, 300, quantity=5)
        blocked = self._create_lot(self.syringe, 50, quantity=5)
        blocked._block("quality")
        expired = self._create_lot(self.syringe, -1, quantity=5)
        elsewhere = self._create_lot(self.syringe, 250, quantity=5, location=self.stock_2)
        quarantined = self._create_lot(self.syringe, 10, quantity=5, location=self.quarantine)

        self.assertEqual(self._row(first).fefo_rank, 1)
        self.assertEqual(self._row(first, self.bin).fefo_rank, 1, "one rank per lot, whatever the bin")
        self.assertEqual(self._row(second).fefo_rank, 2)
        self.assertEqual(self._row(third).fefo_rank, 3)
        self.assertEqual(self._row(elsewhere, self.stock_2).fefo_rank, 1, "ranked within its warehouse")
        for lot, location in ((blocked, self.stock), (expired, self.stock), (quarantined, self.quarantine)):
            self.assertFalse(self._row(lot, location).fefo_rank, f"{lot.name} may not ship")

    def test_at_risk_quantity_from_daily_shipments_and_fefo_queue(self):
        # 180 shipped from the warehouse in the last 90 days, 2 a day; older shipments and shipments
        # from the other warehouse do not count.
        shipped = self._create_lot(self.strips, 15, quantity=230)
        self._ship(shipped, 100, days_ago=10)
        self._ship(shipped, 80, days_ago=80)
        self._ship(shipped, 50, days_ago=120)
        shipped_2 = self._create_lot(
            self.strips, 15, name="STR-SHIPPED-2", quantity=70, location=self.stock_2
        )
        self._ship(shipped_2, 70, days_ago=5, warehouse=self.warehouse_2)

        first = self._create_lot(self.strips, 30, quantity=50)
        second = self._create_lot(self.strips, 60, quantity=100)
        third = self._create_lot(self.strips, 100, quantity=100)
        blocked = self._create_lot(self.strips, 20, quantity=10)
        blocked._block("quality")
        expired = self._create_lot(self.strips, -3, quantity=5)
        in_stock_2 = self._create_lot(self.strips, 10, quantity=40, location=self.stock_2)

        def at_risk(lot, quantity, queue_ahead, daily=2):
            """What the forecast must say: the quantity the shipments cannot reach before expiry."""
            return max(0, quantity - max(0, daily * lot.days_to_expiry - queue_ahead))

        # With 30, 60 and 100 days left: 0 (60 sellable), 30 (120 - 50 ahead) and 50 (200 - 150 ahead).
        expected = {
            first: at_risk(first, 50, 0),
            second: at_risk(second, 100, 50),
            third: at_risk(third, 100, 150),
            blocked: 10,  # may not ship: at risk in full, and queues ahead of nothing
            expired: 5,
        }
        self.assertEqual(expected[first], 0)
        self.assertTrue(0 < expected[second] < 100 and 0 < expected[third] < 100)
        for lot, quantity in expected.items():
            self.assertAlmostEqual(self._row(lot).at_risk_qty, quantity, msg=lot.name)
        # 70 shipped from the other warehouse: 70 / 90 a day there (the field keeps 2 decimals).
        self.assertAlmostEqual(
            self._row(in_stock_2, self.stock_2).at_risk_qty,
            at_risk(in_stock_2, 40, 0, daily=70 / 90),
            places=2,
        )

        at_risk_rows = self.Workbench.search([("product_id", "=", self.strips.id), ("at_risk_qty", ">", 0)])
        self.assertEqual(at_risk_rows.lot_id, second | third | blocked | expired | in_stock_2)

    def test_at_risk_is_zero_without_expiry_date_or_in_transit(self):
        lot = self._create_lot(self.syringe, 10, quantity=30, location=self.transit)
        gauze = self.env["product.product"].create({"name": "Gauze", "is_storable": True})
        self.env["stock.quant"]._update_available_quantity(gauze, self.stock, 5)
        self.assertEqual(self._row(lot, self.transit).at_risk_qty, 0)
        self.assertEqual(self._rows(gauze).at_risk_qty, 0)

    # ------------------------------------------------------------------
    # Open orders
    # ------------------------------------------------------------------
    def test_open_sale_and_purchase_quantities_per_product(self):
        self._create_lot(self.syringe, 200, quantity=100)
        dozen = self.env.ref("uom.product_uom_dozen")
        order = self.env["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "order_line": [
                    Command.create({"product_id": self.syringe.id, "product_uom_qty": 7}),
                    Command.create(
                        {"product_id": self.syringe.id, "product_uom_qty": 2, "product_uom": dozen.id}
                    ),
                ],
            }
        )
        order.action_confirm()
        self.env["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "order_line": [Command.create({"product_id": self.syringe.id, "product_uom_qty": 50})],
            }
        )  # a quotation expects nothing yet
        purchase = self.env["purchase.order"].create(
            {
                "partner_id": self.supplier.id,
                "order_line": [Command.create({"product_id": self.syringe.id, "product_qty": 12})],
            }
        )
        purchase.button_confirm()
        self.env["purchase.order"].create(
            {
                "partner_id": self.supplier.id,
                "order_line": [Command.create({"product_id": self.syringe.id, "product_qty": 5})],
            }
        )  # a request for quotation expects nothing yet

        row = self._rows(self.syringe)
        self.assertEqual((row.open_sale_qty, row.open_purchase_qty), (31, 12))

        delivery = order.picking_ids
        delivery.move_ids.filtered(lambda move: move.product_uom_qty == 7).quantity = 7
        delivery.move_ids.filtered(lambda move: move.product_uom_qty == 7).picked = True
        delivery.with_context(cancel_backorder=False)._action_done()
        self.assertEqual(order.order_line.mapped("qty_delivered"), [7, 0])
        self.Workbench.invalidate_model()
        self.assertEqual(self._rows(self.syringe).open_sale_qty, 24)

    # ------------------------------------------------------------------
    # Suggested actions
    # ------------------------------------------------------------------
    def test_return_to_supplier_opens_the_return_of_the_receipt(self):
        self._create_rule(400, suggested_action="return_supplier")
        receipt, lot = self._receive(self.syringe, 20, "SYR-RET", 100)
        self._ship(lot, 5, days_ago=1)
        row = self._row(lot)
        self.assertEqual(row.supplier_id, self.supplier)
        self.assertEqual(row.suggested_action, "return_supplier")

        action = row.action_suggested()
        self.assertEqual(action["res_model"], "stock.return.picking")
        wizard = self.env["stock.return.picking"].browse(action["res_id"])
        self.assertEqual(wizard.picking_id, receipt)
        self.assertEqual(wizard.product_return_moves.quantity, 15, "limited to what the row holds")

        self.env["stock.quant"]._update_available_quantity(self.syringe, self.stock, 10, lot_id=lot)
        wizard = self.env["stock.return.picking"].browse(self._row(lot).action_return_to_supplier()["res_id"])
        self.assertEqual(wizard.product_return_moves.quantity, 20, "no more than the receipt brought")

        returned = self.env["stock.picking"].browse(wizard.action_create_returns()["res_id"])
        self.assertEqual(returned.location_dest_id, self.suppliers)
        self.assertEqual(returned.move_ids.product_uom_qty, 20)
        self.assertEqual(returned.move_line_ids.lot_id, lot)

    def test_return_to_supplier_needs_a_receipt(self):
        lot = self._create_lot(self.syringe, 100, quantity=5)
        with self.assertRaises(UserError):
            self._row(lot).action_return_to_supplier()

    def test_supplier_falls_back_to_the_first_vendor(self):
        self.env["product.supplierinfo"].create(
            [
                {
                    "partner_id": self.customer.id,
                    "product_tmpl_id": self.syringe.product_tmpl_id.id,
                    "sequence": 5,
                },
                {
                    "partner_id": self.supplier.id,
                    "product_tmpl_id": self.syringe.product_tmpl_id.id,
                    "sequence": 1,
                },
            ]
        )
        lot = self._create_lot(self.syringe, 100, quantity=5)
        self.assertEqual(self._row(lot).supplier_id, self.supplier)

    def test_transfer_opens_an_internal_transfer_from_the_row_location(self):
        lot = self._create_lot(self.syringe, 100, quantity=6, location=self.bin)
        action = self._row(lot, self.bin).action_transfer()
        self.assertEqual(action["res_model"], "stock.picking")
        form = Form(self.env["stock.picking"].with_context(**action["context"]))
        self.assertEqual(form.picking_type_id, self.warehouse.int_type_id)
        self.assertEqual(form.location_id, self.bin)
        self.assertIn(lot.name, form.origin)
        form.location_dest_id = self.stock_2
        picking = form.save()
        self.assertEqual(picking.move_ids.product_id, self.syringe)
        self.assertEqual(picking.move_ids.product_uom_qty, 6)
        self.assertEqual(
            (picking.move_ids.location_id, picking.move_ids.location_dest_id), (self.bin, self.stock_2)
        )

    def test_clearance_opens_a_quotation_naming_the_lot(self):
        lot = self._create_lot(self.syringe, 40, quantity=9, name="SYR-CLEAR")
        action = self._row(lot).action_clearance()
        self.assertEqual(action["res_model"], "sale.order")
        form = Form(self.env["sale.order"].with_context(**action["context"]))
        form.partner_id = self.customer
        order = form.save()
        self.assertEqual(order.state, "draft")
        self.assertEqual((order.order_line.product_id, order.order_line.product_uom_qty), (self.syringe, 9))
        self.assertIn("SYR-CLEAR", order.order_line.name)
        self.assertIn(fields.Date.to_string(lot.expiration_date), order.order_line.name)
        self.assertEqual(order.warehouse_id, self.warehouse)

    def test_adjust_purchase_opens_the_product_replenishment(self):
        lot = self._create_lot(self.syringe, 40, quantity=9)
        action = self._row(lot).action_adjust_purchase()
        self.assertEqual(action["res_model"], "stock.warehouse.orderpoint")
        self.assertEqual(action["context"]["search_default_product_id"], self.syringe.id)
        self.assertEqual(action["context"]["default_warehouse_id"], self.warehouse.id)

    def test_scrap_opens_a_scrap_order_for_expired_stock(self):
        self._create_rule(0, suggested_action="scrap")
        lot = self._create_lot(self.syringe, -2, quantity=4)
        row = self._row(lot)
        action = row.action_suggested()
        self.assertEqual(action["res_model"], "stock.scrap")
        form = Form(self.env["stock.scrap"].with_context(**action["context"]), view=action["views"][0][0])
        self.assertEqual((form.product_id, form.lot_id, form.location_id), (self.syringe, lot, self.stock))
        self.assertEqual(form.scrap_qty, 4)
        self.assertTrue(form.scrap_location_id.scrap_location)
        scrap = form.save()
        scrap.action_validate()
        self.assertEqual(scrap.state, "done")
        self.assertFalse(self._rows(self.syringe))

    def test_scrap_refuses_stock_that_has_not_expired(self):
        lot = self._create_lot(self.syringe, 5, quantity=4)
        with self.assertRaises(UserError):
            self._row(lot).action_scrap()

    def test_suggested_action_needs_a_level_that_suggests_one(self):
        lot = self._create_lot(self.syringe, 5, quantity=4)
        with self.assertRaises(UserError):
            self._row(lot).action_suggested()

    def test_every_suggested_action_is_a_method_of_stock(self):
        """The selection and its mapping stay in step: each action a level may suggest starts something."""
        self.assertEqual(
            set(SUGGESTED_ACTION_METHODS), {value for value, _label in SUGGESTED_ACTIONS} - {"none"}
        )
        for method in SUGGESTED_ACTION_METHODS.values():
            self.assertTrue(callable(getattr(self.env["stock.quant"], method, None)), method)

    def test_suggested_action_runs_on_the_stock_itself(self):
        """The actions are the stock's, for every caller: a stock user starts them from the quant."""
        self._create_rule(400, suggested_action="clearance")
        lot = self._create_lot(self.syringe, 40, quantity=9, name="SYR-QUANT")
        action = lot.quant_ids.with_user(self.stock_user).action_run_suggested_action()
        self.assertEqual(action["res_model"], "sale.order")
        self.assertIn("SYR-QUANT", action["context"]["default_origin"])
        self.assertEqual(action["context"]["default_warehouse_id"], self.warehouse.id)

    # ------------------------------------------------------------------
    # Filters and analysis
    # ------------------------------------------------------------------
    def test_my_alerts_filter_finds_lots_with_my_activities(self):
        mine = self._create_lot(self.syringe, 20, quantity=4)
        self._create_lot(self.syringe, 30, quantity=4)
        mine.activity_schedule("mail.mail_activity_data_todo", user_id=self.manager.id)
        rows = self.Workbench.with_user(self.manager).search(
            [("lot_id.activity_ids.user_id", "=", self.manager.id)]
        )
        self.assertEqual(rows.lot_id, mine)

    def test_read_group_by_warehouse_and_expiry_month(self):
        month = datetime.combine(
            fields.Date.today().replace(day=1) + relativedelta(months=3), datetime.min.time()
        )
        next_months = month + relativedelta(months=2)

        def lot(expiry, quantity, location):
            lot = self.env["stock.lot"].create(
                {
                    "name": f"SYR-{expiry:%Y%m%d}-{location.id}",
                    "product_id": self.syringe.id,
                    "expiration_date": expiry,
                }
            )
            self.env["stock.quant"]._update_available_quantity(self.syringe, location, quantity, lot_id=lot)

        lot(month + timedelta(days=1, hours=12), 10, self.stock)
        lot(month + timedelta(days=20), 5, self.bin)
        lot(next_months + timedelta(days=3), 7, self.stock)
        lot(month + timedelta(days=9), 4, self.stock_2)

        groups = self.Workbench._read_group(
            [("product_id", "=", self.syringe.id)],
            ["warehouse_id", "expiration_date:month"],
            ["quantity:sum", "value:sum"],
        )
        self.assertEqual(
            {(warehouse, start): (quantity, value) for warehouse, start, quantity, value in groups},
            {
                (self.warehouse, month.date()): (15, 37.5),
                (self.warehouse, next_months.date()): (7, 17.5),
                (self.warehouse_2, month.date()): (4, 10),
            },
        )


@tagged("post_install", "-at_install")
class TestWorkbenchViews(HttpCase):
    """The web client renders each view of the workbench: kanban (grouped), list, pivot and graph."""

    def test_workbench_views_render(self):
        product = self.env["product.product"].create(
            {"name": "Catheter", "is_storable": True, "tracking": "lot", "use_expiration_date": True}
        )
        for name, days in (("CATH-SOON", 20), ("CATH-LATER", 400)):
            lot = self.env["stock.lot"].create(
                {
                    "name": name,
                    "product_id": product.id,
                    "expiration_date": fields.Datetime.now() + timedelta(days=days),
                }
            )
            self.env["stock.quant"]._update_available_quantity(
                product, self.env.ref("stock.warehouse0").lot_stock_id, 5, lot_id=lot
            )
        code = """
            const waitFor = async (selector) => {
                for (let i = 0; i < 200; i++) {
                    if (document.querySelector(selector)) return;
                    await new Promise((resolve) => setTimeout(resolve, 50));
                }
                throw new Error(`${selector} never showed`);
            };
            (async () => {
                await waitFor(".o_kanban_renderer .o_kanban_group .o_kanban_record");
                document.querySelector(".o_switch_view.o_list").click();
                await waitFor(".o_list_renderer .o_data_row");
                document.querySelector(".o_switch_view.o_pivot").click();
                await waitFor(".o_pivot table .o_pivot_cell_value");
                document.querySelector(".o_switch_view.o_graph").click();
                await waitFor(".o_graph_renderer canvas");
                console.log("test successful");
            })().catch((error) => console.error(error.message));
        """
        self.browser_js("/odoo/action-medical_expiry.action_expiry_workbench", code, login="admin")
