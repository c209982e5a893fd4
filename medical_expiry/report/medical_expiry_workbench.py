from odoo import Command, api, fields, models, tools
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..models.stock_lot import BLOCK_REASONS, EXPIRY_STATES

EXPIRY_BUCKETS = [
    ("expired", "Expired"),
    ("days_30", "≤ 30 Days"),
    ("days_90", "≤ 90 Days"),
    ("days_180", "≤ 180 Days"),
    ("beyond_180", "> 180 Days"),
    ("no_expiry", "No Expiry"),
]
# Kanban colour indexes of Odoo's colour list: red, orange, yellow, blue, green, none.
BUCKET_COLORS = {"expired": 1, "days_30": 2, "days_90": 3, "days_180": 8, "beyond_180": 10, "no_expiry": 0}
# Days of customer shipments the expiry-risk forecast averages over.
FORECAST_DAYS = 90
# Order lines still expecting goods: (table, ordered quantity, done quantity, states), quantities in
# the line's unit of measure. A locked ("done") purchase order still expects what it has not received.
OPEN_ORDER_LINES = [
    ("sale_order_line", "product_uom_qty", "qty_delivered", ["sale"]),
    ("purchase_order_line", "product_qty", "qty_received", ["purchase", "done"]),
]
SUGGESTED_ACTION_METHODS = {
    "return_supplier": "action_return_to_supplier",
    "transfer": "action_transfer",
    "clearance": "action_clearance",
    "adjust_purchase": "action_adjust_purchase",
    "scrap": "action_scrap",
}


class MedicalExpiryWorkbench(models.Model):
    """Every unit of stock of every warehouse with its expiry level, one row per quant.

    A read-only SQL view over stock_quant. It reads the levels the nightly job stored on the lots and
    never re-levels them. What needs a whole product at once (open orders, FEFO rank, expiry-risk
    forecast) is computed per product for the rows read, so that a page of the list stays cheap at a
    million quants.
    """

    _name = "medical.expiry.workbench"
    _description = "Expiry Workbench"
    _auto = False
    _rec_name = "lot_id"
    _order = "expiration_date, id"
    # Flushed before the view or the per-product figures are read, so that what the ORM wrote in this
    # transaction shows up.
    _depends = {
        "stock.quant": [
            "company_id",
            "product_id",
            "lot_id",
            "location_id",
            "quantity",
            "reserved_quantity",
            "in_date",
            "expiration_date",
        ],
        "stock.lot": [
            "expiration_date",
            "removal_date",
            "company_id",
            "expiry_state",
            "expiry_rule_id",
            "is_blocked",
            "block_reason",
        ],
        "stock.location": ["usage", "warehouse_id", "is_quarantine"],
        "stock.move": ["product_id", "product_qty", "location_id", "location_dest_id", "state", "date"],
        "stock.move.line": ["lot_id", "location_id", "location_dest_id", "state", "date", "picking_id"],
        "stock.picking": ["partner_id"],
        "product.product": ["product_tmpl_id", "standard_price"],
        "product.template": ["categ_id", "uom_id"],
        "product.supplierinfo": ["partner_id", "product_tmpl_id", "product_id", "company_id", "sequence"],
        "medical.expiry.rule": ["outbound_policy"],
        "medical.recall": ["state", "lot_ids"],
        "sale.order.line": [
            "product_id",
            "company_id",
            "state",
            "product_uom",
            "product_uom_qty",
            "qty_delivered",
        ],
        "purchase.order.line": [
            "product_id",
            "company_id",
            "state",
            "product_uom",
            "product_qty",
            "qty_received",
        ],
    }

    quant_id = fields.Many2one("stock.quant", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    product_id = fields.Many2one("product.product", readonly=True)
    product_tmpl_id = fields.Many2one("product.template", string="Product Template", readonly=True)
    categ_id = fields.Many2one("product.category", string="Product Category", readonly=True)
    product_uom_id = fields.Many2one("uom.uom", string="Unit", readonly=True)
    lot_id = fields.Many2one("stock.lot", string="Lot/Serial Number", readonly=True)
    # A date, as days to expiry count it (the UTC day of the lot's expiration): grouping by month then
    # needs no time-zone conversion per row, a third of the cost of a read_group at a million quants.
    expiration_date = fields.Date(readonly=True)
    days_to_expiry = fields.Integer(string="Days to Expiry", readonly=True, aggregator="min")
    expiry_rule_id = fields.Many2one("medical.expiry.rule", string="Expiry Level", readonly=True)
    expiry_state = fields.Selection(EXPIRY_STATES, readonly=True)
    expiry_bucket = fields.Selection(
        EXPIRY_BUCKETS, string="Expires In", readonly=True, group_expand="_read_group_expiry_bucket"
    )
    color = fields.Integer(compute="_compute_color")
    is_blocked = fields.Boolean(string="Blocked", readonly=True)
    block_reason = fields.Selection(BLOCK_REASONS, readonly=True)
    open_recall = fields.Boolean(readonly=True, help="The lot is recalled by a recall still in progress.")
    location_id = fields.Many2one("stock.location", readonly=True)
    warehouse_id = fields.Many2one("stock.warehouse", readonly=True)
    in_transit = fields.Boolean(
        readonly=True, help="In a transit location, on its way from one warehouse to another."
    )
    transit_source_warehouse_id = fields.Many2one("stock.warehouse", string="From Warehouse", readonly=True)
    transit_destination_warehouse_id = fields.Many2one(
        "stock.warehouse", string="To Warehouse", readonly=True
    )
    quantity = fields.Float(digits="Product Unit of Measure", readonly=True)
    reserved_quantity = fields.Float(digits="Product Unit of Measure", readonly=True)
    value = fields.Monetary(readonly=True, help="Quantity at the product's cost.")
    supplier_id = fields.Many2one(
        "res.partner",
        readonly=True,
        help="Who delivered the lot, or else the product's first vendor.",
    )
    # The FEFO rank and the forecast need every quant of a product in a window: they are computed per
    # product for the rows read, and searched set-based, rather than being columns of the view (which
    # would make every page of the list rank the whole stock).
    fefo_rank = fields.Integer(
        string="FEFO Rank",
        compute="_compute_forecast",
        help="Position of the lot in the shipping queue of its product in its warehouse: 1 ships next. "
        "Empty for stock that may not ship (blocked, expired, in a blocking level, in quarantine or in "
        "transit).",
    )
    # Per product, like the forecast: computed for the products of the rows read.
    open_sale_qty = fields.Float(
        string="Open Sales",
        digits="Product Unit of Measure",
        compute="_compute_open_quantities",
        help="Quantity of the product on confirmed sale orders not yet delivered (whole company).",
    )
    open_purchase_qty = fields.Float(
        string="Open Purchases",
        digits="Product Unit of Measure",
        compute="_compute_open_quantities",
        help="Quantity of the product on confirmed purchase orders not yet received (whole company).",
    )
    at_risk_qty = fields.Float(
        string="At Risk",
        digits="Product Unit of Measure",
        compute="_compute_forecast",
        search="_search_at_risk_qty",
        help="Quantity forecast to remain unsold at expiry: the product's average daily customer "
        "shipments from this warehouse over the last 90 days, served in FEFO order, cannot reach it in "
        "time. Stock that may not ship counts in full; stock in transit is not forecast.",
    )
    suggested_action = fields.Selection(related="expiry_rule_id.suggested_action")

    @api.depends("expiry_bucket")
    def _compute_color(self):
        for row in self:
            row.color = BUCKET_COLORS.get(row.expiry_bucket, 0)

    def _read_group_expiry_bucket(self, buckets, domain):
        """Every bucket in order, soonest first, so that the kanban columns never move or vanish."""
        return [bucket for bucket, _label in EXPIRY_BUCKETS if bucket != "no_expiry" or bucket in buckets]

    # ------------------------------------------------------------------
    # View
    # ------------------------------------------------------------------
    def init(self):
        self._create_indexes()
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL("CREATE OR REPLACE VIEW %s AS (%s)", SQL.identifier(self._table), self._query())
        )

    def _create_indexes(self):
        cr = self.env.cr
        # Stock Odoo has no index on the lot of a move line: the supplier of a lot and the warehouse a
        # lot in transit came from are both looked up by lot.
        tools.create_index(
            cr,
            "medical_expiry_stock_move_line_done_lot_index",
            "stock_move_line",
            ["lot_id", "location_dest_id"],
            where="lot_id IS NOT NULL AND state = 'done'",
        )
        # The forecast reads a product's done moves of the last days.
        tools.create_index(
            cr,
            "medical_expiry_stock_move_done_product_date_index",
            "stock_move",
            ["product_id", "date"],
            where="state = 'done'",
        )
        # Open order lines are few among years of history: the open quantities read only them.
        for table, ordered, done, states in OPEN_ORDER_LINES:
            condition = self._open_line_condition(ordered, done, states)
            tools.create_index(
                cr,
                f"medical_expiry_{table}_open_index",
                table,
                ["product_id", "company_id"],
                where=cr.mogrify(condition.code, condition.params).decode(),
            )

    def _query(self):
        """Quants with the stored level of their lot; per-row look-ups in scalar sub-queries.

        Left joins, and sub-queries in the select list, are dropped by PostgreSQL from a query that
        does not use their columns: a read_group by warehouse and month scans quants, locations and
        products only, and a page of a list runs the look-ups for its rows only. Nothing here aggregates
        a whole table: that would cost every page of the list as much as the whole stock.
        """
        return SQL(
            """
            SELECT quant.id, quant.id AS quant_id, quant.company_id, company.currency_id, quant.product_id,
                   product.product_tmpl_id, template.categ_id, template.uom_id AS product_uom_id,
                   quant.lot_id, %(expiry_date)s AS expiration_date,
                   %(days_to_expiry)s AS days_to_expiry, lot.expiry_rule_id,
                   COALESCE(lot.expiry_state, 'no_expiry') AS expiry_state,
                   CASE WHEN lot.expiry_state = 'expired' THEN 'expired'
                        WHEN COALESCE(lot.expiry_state, 'no_expiry') = 'no_expiry'
                             OR lot.expiration_date IS NULL THEN 'no_expiry'
                        WHEN %(days_to_expiry)s <= 30 THEN 'days_30'
                        WHEN %(days_to_expiry)s <= 90 THEN 'days_90'
                        WHEN %(days_to_expiry)s <= 180 THEN 'days_180'
                        ELSE 'beyond_180' END AS expiry_bucket,
                   COALESCE(lot.is_blocked, FALSE) AS is_blocked, lot.block_reason,
                   EXISTS (SELECT 1
                             FROM medical_recall_stock_lot_rel recalled
                             JOIN medical_recall recall ON recall.id = recalled.recall_id
                            WHERE recalled.lot_id = quant.lot_id AND recall.state = 'in_progress')
                       AS open_recall,
                   quant.location_id, location.warehouse_id, location.usage = 'transit' AS in_transit,
                   CASE WHEN location.usage = 'transit' THEN %(transit_source)s END
                       AS transit_source_warehouse_id,
                   CASE WHEN location.usage = 'transit' THEN %(transit_destination)s END
                       AS transit_destination_warehouse_id,
                   quant.quantity, quant.reserved_quantity,
                   quant.quantity * COALESCE((product.standard_price ->> quant.company_id::text)::numeric, 0)
                       AS value,
                   %(supplier)s AS supplier_id
              FROM stock_quant quant
              JOIN stock_location location ON location.id = quant.location_id
         LEFT JOIN res_company company ON company.id = quant.company_id
         LEFT JOIN product_product product ON product.id = quant.product_id
         LEFT JOIN product_template template ON template.id = product.product_tmpl_id
         LEFT JOIN stock_lot lot ON lot.id = quant.lot_id
         LEFT JOIN res_company lot_company ON lot_company.id = COALESCE(lot.company_id, quant.company_id)
             WHERE quant.quantity > 0 AND location.usage IN ('internal', 'transit')
            """,
            transit_source=self._transit_source_query(),
            transit_destination=self._transit_destination_query(),
            supplier=self._supplier_query(),
            # A view is evaluated when read: its "today" is the database's now, not the install's.
            expiry_date=self.env["res.company"]._expiry_local_date_sql(
                SQL("lot.expiration_date"), time_zone=SQL("lot_company.expiry_tz")
            ),
            days_to_expiry=self.env["stock.lot"]._days_to_expiry_sql(
                "lot", now=SQL("(now() AT TIME ZONE 'UTC')"), time_zone=SQL("lot_company.expiry_tz")
            ),
        )

    @api.model
    def _open_line_condition(self, ordered, done, states, alias=None):
        # Shared by the query and its partial index: PostgreSQL uses the index only on the same terms.
        def column(name):
            return SQL.identifier(alias, name) if alias else SQL.identifier(name)

        return SQL("%s IN %s AND %s > %s", column("state"), tuple(states), column(ordered), column(done))

    @api.model
    def _open_quantity_query(self, product_ids, table, ordered, done, states):
        """Per product and company, what order lines still expect, in the product's unit of measure."""
        return SQL(
            """
            SELECT line.product_id, line.company_id,
                   SUM((line.%(ordered)s - line.%(done)s) / line_uom.factor * product_uom.factor) AS open_qty
              FROM %(table)s line
              JOIN uom_uom line_uom ON line_uom.id = line.product_uom
              JOIN product_product product ON product.id = line.product_id
              JOIN product_template template ON template.id = product.product_tmpl_id
              JOIN uom_uom product_uom ON product_uom.id = template.uom_id
             WHERE %(open)s AND line.product_id = ANY(%(products)s)
          GROUP BY line.product_id, line.company_id
            """,
            table=SQL.identifier(table),
            ordered=SQL.identifier(ordered),
            done=SQL.identifier(done),
            open=self._open_line_condition(ordered, done, states, alias="line"),
            products=list(product_ids),
        )

    def _supplier_query(self):
        """The supplier the lot first came from (stock.lot's one definition), else the first vendor."""
        return SQL(
            """
            COALESCE(
                (SELECT origin.supplier_id FROM (%(origin)s) AS origin),
                (SELECT seller.partner_id
                   FROM product_supplierinfo seller
                  WHERE seller.product_tmpl_id = product.product_tmpl_id
                    AND (seller.product_id IS NULL OR seller.product_id = quant.product_id)
                    AND (seller.company_id IS NULL OR seller.company_id = quant.company_id)
               ORDER BY seller.sequence, seller.id
                  LIMIT 1))
            """,
            origin=self.env["stock.lot"]._first_supplier_receipt_sql(SQL("quant.lot_id")),
        )

    def _transit_source_query(self):
        """The warehouse the last done move of the lot into its transit location came from."""
        return SQL(
            """
            (SELECT source.warehouse_id
               FROM stock_move_line arrival
               JOIN stock_location source ON source.id = arrival.location_id
              WHERE arrival.lot_id = quant.lot_id AND arrival.location_dest_id = quant.location_id
                AND arrival.state = 'done'
           ORDER BY arrival.date DESC, arrival.id DESC
              LIMIT 1)
            """
        )

    def _transit_destination_query(self):
        """The warehouse a pending move out of the transit location takes the product to.

        A move that already reserved this lot is the best witness, else the earliest pending one.
        """
        return SQL(
            """
            (SELECT destination.warehouse_id
               FROM stock_move departure
               JOIN stock_location destination ON destination.id = departure.location_dest_id
              WHERE departure.product_id = quant.product_id AND departure.location_id = quant.location_id
                AND departure.state NOT IN ('done', 'cancel')
           ORDER BY EXISTS (SELECT 1 FROM stock_move_line reserved
                             WHERE reserved.move_id = departure.id AND reserved.lot_id = quant.lot_id) DESC,
                    departure.date, departure.id
              LIMIT 1)
            """
        )

    # ------------------------------------------------------------------
    # Per-product figures: open orders, FEFO rank and expiry-risk forecast
    # ------------------------------------------------------------------
    def _compute_open_quantities(self):
        self._flush_sources()
        open_quantities = []
        for lines in OPEN_ORDER_LINES:
            self.env.cr.execute(self._open_quantity_query(self.product_id.ids, *lines))
            open_quantities.append(
                {(product, company): qty for product, company, qty in self.env.cr.fetchall()}
            )
        open_sales, open_purchases = open_quantities
        for row in self:
            key = (row.product_id.id, row.company_id.id)
            row.open_sale_qty = open_sales.get(key, 0.0)
            row.open_purchase_qty = open_purchases.get(key, 0.0)

    def _compute_forecast(self):
        forecast = self._forecast(self.product_id.ids)
        for row in self:
            row.fefo_rank, row.at_risk_qty = forecast.get(row.id, (False, 0.0))

    def _search_at_risk_qty(self, operator, value):
        if operator not in ("=", "!=", "<", "<=", ">", ">=") or not isinstance(value, int | float):
            raise UserError(self.env._("Stock at risk can only be compared with a number."))
        self._flush_sources()
        return [
            (
                "id",
                "in",
                SQL(
                    "(SELECT forecast.id FROM (%s) AS forecast WHERE forecast.at_risk_qty %s %s)",
                    self._forecast_query(),
                    SQL(operator),
                    value,
                ),
            )
        ]

    @api.model
    def _forecast(self, product_ids):
        """{quant id: (FEFO rank, quantity at risk)} for every quant of these products."""
        self._flush_sources()
        self.env.cr.execute(self._forecast_query(product_ids))
        return {quant_id: (rank or False, at_risk) for quant_id, rank, at_risk in self.env.cr.fetchall()}

    def _flush_sources(self):
        for model_name, field_names in self._depends.items():
            self.env[model_name].flush_model(field_names)

    @api.model
    def _forecast_query(self, product_ids=None):
        """Rows (id, fefo_rank, at_risk_qty) of the quants of ``product_ids`` (of every product if None).

        Set-based: one window over the quants of each product and warehouse, in Odoo's FEFO order
        (removal date, incoming date, quant). Only stock that may ship queues: the outbound guard's
        refusals (the SQL form of stock.lot._outbound_refusal_domains), plus quarantine and transit.
        Lots that may not ship are at risk in full; stock in transit is not forecast.
        """

        def of_products(alias):
            if product_ids is None:
                return SQL("TRUE")
            return SQL("%s = ANY(%s)", SQL.identifier(alias, "product_id"), list(product_ids))

        return SQL(
            """
            WITH stock AS (
                SELECT quant.id, quant.company_id, quant.product_id, location.warehouse_id, quant.quantity,
                       quant.in_date, lot.expiration_date, %(days_to_expiry)s AS days_to_expiry,
                       COALESCE(lot.removal_date, lot.expiration_date) AS removal_date,
                       location.usage = 'transit' AS in_transit,
                       location.usage = 'internal' AND location.is_quarantine IS NOT TRUE
                           AND NOT COALESCE(%(refused)s, FALSE) AS may_ship
                  FROM stock_quant quant
                  JOIN stock_location location ON location.id = quant.location_id
             LEFT JOIN stock_lot lot ON lot.id = quant.lot_id
                 WHERE quant.quantity > 0 AND location.usage IN ('internal', 'transit') AND %(quant_products)s
            ), queue AS (
                SELECT stock.*,
                       dense_rank() OVER (fefo ORDER BY stock.removal_date) AS lot_rank,
                       COALESCE(SUM(stock.quantity) OVER (
                           fefo ORDER BY stock.removal_date, stock.in_date, stock.id
                           ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS ahead_qty
                  FROM stock
                WINDOW fefo AS (
                    PARTITION BY stock.company_id, stock.product_id, stock.warehouse_id, stock.may_ship)
            ), shipped AS (
                SELECT move.product_id, source.warehouse_id, SUM(move.product_qty) / %(days)s AS daily_qty
                  FROM stock_move move
                  JOIN stock_location source ON source.id = move.location_id AND source.usage = 'internal'
                  JOIN stock_location destination
                    ON destination.id = move.location_dest_id AND destination.usage = 'customer'
                 WHERE move.state = 'done' AND %(move_products)s
                   AND move.date >= (now() AT TIME ZONE 'UTC') - make_interval(days => %(days)s)
              GROUP BY move.product_id, source.warehouse_id
            )
            SELECT queue.id,
                   CASE WHEN queue.may_ship AND queue.removal_date IS NOT NULL THEN queue.lot_rank END
                       AS fefo_rank,
                   CASE WHEN queue.expiration_date IS NULL OR queue.in_transit THEN 0
                        WHEN NOT queue.may_ship THEN queue.quantity
                        ELSE GREATEST(0, queue.quantity - GREATEST(0,
                            COALESCE(shipped.daily_qty, 0) * queue.days_to_expiry - queue.ahead_qty))
                   END AS at_risk_qty
              FROM queue
         LEFT JOIN shipped
                ON shipped.product_id = queue.product_id AND shipped.warehouse_id = queue.warehouse_id
            """,
            quant_products=of_products("quant"),
            move_products=of_products("move"),
            days=FORECAST_DAYS,
            days_to_expiry=self.env["stock.lot"]._days_to_expiry_sql("lot"),
            refused=self.env["stock.lot"]._outbound_refused_sql(SQL("lot.id")),
        )

    # ------------------------------------------------------------------
    # Suggested actions
    # ------------------------------------------------------------------
    def action_suggested(self):
        self.ensure_one()
        method = SUGGESTED_ACTION_METHODS.get(self.suggested_action)
        if not method:
            raise UserError(self.env._("The expiry level of this stock suggests no action."))
        return getattr(self, method)()

    def _lot_note(self):
        """“Lot X, expires YYYY-MM-DD”: names the lot on documents that cannot hold it."""
        self.ensure_one()
        expiry = self.expiration_date and fields.Date.to_string(self.expiration_date) or self.env._("never")
        return self.env._("Lot %(lot)s, expires %(expiry)s", lot=self.lot_id.name or "", expiry=expiry)

    def _supplier_receipt_line(self):
        """The done move line of the first receipt from a supplier that brought this lot in."""
        self.ensure_one()
        if not self.lot_id:
            return self.env["stock.move.line"]
        self.env.flush_all()
        self.env.cr.execute(self.env["stock.lot"]._first_supplier_receipt_sql(self.lot_id.id))
        return self.env["stock.move.line"].browse(line_id for line_id, *_origin in self.env.cr.fetchall())

    def action_return_to_supplier(self):
        """Odoo's return wizard for the receipt of the lot, asking back this row's quantity.

        The return reserves what the receipt's move brought in, as Odoo does: when that move brought
        several lots, the user picks this one on the return.
        """
        self.ensure_one()
        receipt_line = self._supplier_receipt_line()
        if not receipt_line.picking_id:
            raise UserError(
                self.env._(
                    "No receipt from a supplier brought lot %s in: return it with a transfer to the "
                    "supplier instead.",
                    self.lot_id.name or self.product_id.display_name,
                )
            )
        receipt = receipt_line.picking_id
        wizard = (
            self.env["stock.return.picking"]
            .with_context(active_model="stock.picking", active_id=receipt.id, active_ids=receipt.ids)
            .create({"picking_id": receipt.id})
        )
        return_line = wizard.product_return_moves.filtered(lambda line: line.move_id == receipt_line.move_id)
        # Never more than the row holds, nor more of the lot than this receipt brought.
        received = receipt_line.move_id.move_line_ids.filtered(lambda line: line.lot_id == self.lot_id)
        return_line.quantity = min(self.quantity, sum(received.mapped("quantity_product_uom")))
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Return to Supplier"),
            "res_model": "stock.return.picking",
            "res_id": wizard.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"active_model": "stock.picking", "active_id": receipt.id},
        }

    def action_transfer(self):
        """A new internal transfer out of the row's location, for the row's quantity.

        The destination is left to the user: which warehouse needs the stock is their call. The lot is
        noted as the source document; FEFO reserves it first when it is the earliest in the location.
        """
        self.ensure_one()
        if self.in_transit or not self.warehouse_id:
            raise UserError(
                self.env._("Stock in transit or outside a warehouse cannot be transferred from here.")
            )
        picking_type = self.warehouse_id.int_type_id
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Transfer to Another Warehouse"),
            "res_model": "stock.picking",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
            "context": {
                "default_picking_type_id": picking_type.id,
                "default_location_id": self.location_id.id,
                "default_origin": self._lot_note(),
                "default_move_ids_without_package": [
                    Command.create(
                        {
                            "name": self.product_id.display_name,
                            "product_id": self.product_id.id,
                            "product_uom": self.product_uom_id.id,
                            "product_uom_qty": self.quantity,
                            "location_id": self.location_id.id,
                        }
                    )
                ],
            },
        }

    def action_clearance(self):
        """A new quotation for the row's quantity, the lot named on the line (a sale line holds no lot)."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Clearance Sale"),
            "res_model": "sale.order",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
            "context": {
                "default_origin": self._lot_note(),
                "default_warehouse_id": self.warehouse_id.id,
                "default_order_line": [
                    Command.create(
                        {
                            "product_id": self.product_id.id,
                            "product_uom_qty": self.quantity,
                            "product_uom": self.product_uom_id.id,
                            "name": f"{self.product_id.display_name}\n{self._lot_note()}",
                        }
                    )
                ],
            },
        }

    def action_adjust_purchase(self):
        """The product's reordering rules (Odoo's replenishment screen), for this warehouse."""
        self.ensure_one()
        action = self.product_id.action_view_orderpoints()
        if self.warehouse_id:
            action["context"] = {
                **action["context"],
                "default_warehouse_id": self.warehouse_id.id,
                "search_default_warehouse_id": self.warehouse_id.id,
            }
        return action

    def action_scrap(self):
        """A new scrap order for the row; only expired stock is scrapped from the workbench."""
        self.ensure_one()
        if self.expiry_state != "expired":
            raise UserError(
                self.env._(
                    "Lot %s has not expired: only expired stock is scrapped from the workbench.",
                    self.lot_id.name or self.product_id.display_name,
                )
            )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Scrap"),
            "res_model": "stock.scrap",
            "view_mode": "form",
            "views": [(self.env.ref("stock.stock_scrap_form_view2").id, "form")],
            "target": "new",
            "context": {
                "product_ids": self.product_id.ids,
                "default_company_id": self.company_id.id,
                "default_product_id": self.product_id.id,
                "default_product_uom_id": self.product_uom_id.id,
                "default_lot_id": self.lot_id.id,
                "default_location_id": self.location_id.id,
                "default_scrap_qty": self.quantity,
                "default_origin": self._lot_note(),
            },
        }
