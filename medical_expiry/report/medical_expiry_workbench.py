from datetime import timedelta

from odoo import api, fields, models, tools
from odoo.osv import expression
from odoo.tools import SQL

from ..models.stock_lot import BLOCK_REASONS
from ..models.stock_lot_expiry_level import EXPIRY_STATES

EXPIRY_BUCKETS = [
    ("expired", "Expired"),
    ("days_30", "≤ 30 Days"),
    ("days_90", "≤ 90 Days"),
    ("days_180", "≤ 180 Days"),
    ("beyond_180", "> 180 Days"),
    ("no_expiry", "No Expiry"),
]
# The buckets of stock with a date of expiry, soonest first, each with the last day to expiry it holds.
DAY_BUCKETS = [("days_30", 30), ("days_90", 90), ("days_180", 180), ("beyond_180", None)]
# Kanban colour indexes of Odoo's colour list: red, orange, yellow, blue, green, none.
BUCKET_COLORS = {"expired": 1, "days_30": 2, "days_90": 3, "days_180": 8, "beyond_180": 10, "no_expiry": 0}
# Days of customer shipments the expiry-risk forecast averages over.
FORECAST_DAYS = 90
# What the stock totals (medical.expiry.workbench.summary) can answer: the fields they group and filter
# by, and the aggregates they hold, by the name the totals give them.
TOTALS_FIELDS = frozenset(
    {
        "company_id",
        "currency_id",
        "warehouse_id",
        "in_transit",
        "stock_place",
        "expiration_date",
        "expiry_state",
        "expiry_bucket",
    }
)
TOTALS_AGGREGATES = {"__count": "quant_count:sum", "quantity:sum": "quantity:sum", "value:sum": "value:sum"}
# Order lines still expecting goods: (table, ordered quantity, done quantity, states), quantities in
# the line's unit of measure. A locked ("done") purchase order still expects what it has not received.
OPEN_ORDER_LINES = [
    ("sale_order_line", "product_uom_qty", "qty_delivered", ["sale"]),
    ("purchase_order_line", "product_qty", "qty_received", ["purchase", "done"]),
]


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
            "expiry_date_local",
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
    # The lot's calendar date of expiry, as days to expiry count it, stored on the quant: grouping by
    # month reads neither the lot nor a time zone per row.
    expiration_date = fields.Date(readonly=True)
    days_to_expiry = fields.Integer(string="Days to Expiry", readonly=True, aggregator="min")
    expiry_rule_id = fields.Many2one("medical.expiry.rule", string="Expiry Level", readonly=True)
    expiry_state = fields.Selection(EXPIRY_STATES, readonly=True)
    expiry_bucket = fields.Selection(
        EXPIRY_BUCKETS, string="Expires In", readonly=True, group_expand="_read_group_expiry_bucket"
    )
    color = fields.Integer(compute="_compute_color")
    expiry_countdown = fields.Char(string="Time Left", compute="_compute_expiry_countdown")
    is_blocked = fields.Boolean(string="Blocked", readonly=True)
    block_reason = fields.Selection(BLOCK_REASONS, readonly=True)
    open_recall = fields.Boolean(readonly=True, help="The lot is recalled by a recall still in progress.")
    location_id = fields.Many2one("stock.location", readonly=True)
    warehouse_id = fields.Many2one("stock.warehouse", readonly=True)
    in_transit = fields.Boolean(
        readonly=True, help="In a transit location, on its way from one warehouse to another."
    )
    # What the pivot, the graph and the list group by: the warehouse, or "In Transit" for stock between
    # two warehouses (which belongs to none, and would read "None" grouped by warehouse).
    stock_place = fields.Selection(
        selection="_selection_stock_place",
        string="Warehouse or Transit",
        readonly=True,
        help="The warehouse of the stock, or In Transit for stock on its way between warehouses.",
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
    suggested_action = fields.Selection(related="expiry_rule_id.suggested_action")

    @api.depends("expiry_bucket")
    def _compute_color(self):
        for row in self:
            row.color = BUCKET_COLORS.get(row.expiry_bucket, 0)

    @api.depends("days_to_expiry", "expiry_bucket")
    def _compute_expiry_countdown(self):
        """One sentence per count, translated whole: "12 days left" reads 剩余 12 天, not "12 天后到期"
        glued to a number."""
        for row in self:
            if row.expiry_bucket in ("expired", "no_expiry"):
                row.expiry_countdown = False
            else:
                row.expiry_countdown = self.env._("%(days)s days left", days=row.days_to_expiry)

    @api.model
    def _selection_stock_place(self):
        warehouses = (
            self.env["stock.warehouse"]
            .with_context(active_test=False)
            .search([("company_id", "in", self.env.companies.ids)], order="sequence, id")
        )
        return [(str(warehouse.id), warehouse.name) for warehouse in warehouses] + [
            ("transit", self.env._("In Transit"))
        ]

    def _read_group_expiry_bucket(self, buckets, domain):
        """Every bucket in order, soonest first, so that the kanban columns never move or vanish."""
        return [bucket for bucket, _label in EXPIRY_BUCKETS if bucket != "no_expiry" or bucket in buckets]

    def _condition_to_sql(self, alias, fname, operator, value, query):
        """A bucket as a range of the stored calendar date of expiry, per time zone of the companies: the
        kanban's columns and the bucket filters walk the quants' date index in the workbench's order
        instead of classifying every quant (the same classification as the view's ``expiry_bucket``)."""
        buckets = [value] if operator == "=" else value if operator == "in" else None
        if fname != "expiry_bucket" or not buckets or not isinstance(buckets, list | tuple | str):
            return super()._condition_to_sql(alias, fname, operator, value, query)
        state = SQL.identifier(alias, "expiry_state")
        expiry = SQL.identifier(alias, "expiration_date")
        conditions = []
        for bucket in buckets:
            if bucket == "expired":
                conditions.append(SQL("%s = 'expired'", state))
            elif bucket == "no_expiry" and self._dated_stock_without_expiry():
                conditions.append(
                    SQL("(%s = 'no_expiry' OR %s IS NULL AND %s != 'expired')", state, expiry, state)
                )
            elif bucket == "no_expiry":
                # The same rows when no lot without a level of expiry has a date: the ones without a date,
                # which the date index holds last, in the workbench's order.
                conditions.append(SQL("(%s IS NULL AND %s != 'expired')", expiry, state))
            elif bucket in dict(DAY_BUCKETS):
                conditions.append(
                    SQL(
                        "(%s NOT IN ('expired', 'no_expiry') AND %s)",
                        state,
                        self._day_bucket_condition(alias, bucket),
                    )
                )
            else:
                return super()._condition_to_sql(alias, fname, operator, value, query)
        return SQL("(%s)", SQL(" OR ").join(conditions))

    @api.model
    def _dated_stock_without_expiry(self):
        """Whether a lot in no level of expiry (never levelled, or levelled before it had a date) has a date:
        its quants have it too (the quant's date is its lot's)."""
        self.env["stock.lot"].flush_model(["expiry_state", "expiry_date_local"])
        self.env.cr.execute(
            """
            SELECT 1 FROM stock_lot
             WHERE (expiry_state IS NULL OR expiry_state = 'no_expiry') AND expiry_date_local IS NOT NULL
             LIMIT 1
            """
        )
        return bool(self.env.cr.fetchone())

    def _day_bucket_condition(self, alias, bucket):
        """Expiry dates in ``bucket``: after the previous bucket's last day, through its own, counted from
        each company's today."""
        first_day, last_day = None, None
        for name, days in DAY_BUCKETS:
            if name == bucket:
                last_day = days
                break
            first_day = days
        expiry = SQL.identifier(alias, "expiration_date")
        per_time_zone = []
        for companies in (
            self.env["res.company"].sudo().search([("expiry_tz", "!=", False)]).grouped("expiry_tz").values()
        ):
            today = companies[0]._expiry_today()
            bounds = [SQL("%s IN %s", SQL.identifier(alias, "company_id"), tuple(companies.ids))]
            if first_day is not None:
                bounds.append(SQL("%s > %s", expiry, today + timedelta(days=first_day)))
            if last_day is not None:
                bounds.append(SQL("%s <= %s", expiry, today + timedelta(days=last_day)))
            per_time_zone.append(SQL("(%s)", SQL(" AND ").join(bounds)))
        in_bucket = SQL("(%s)", SQL(" OR ").join(per_time_zone))
        if first_day is not None:
            return in_bucket
        # The soonest bucket also holds stock expired but not levelled so yet: it starts at the soonest
        # date of a lot in a level (the quant's date is its lot's), not at the expired stock's dates.
        self.env["stock.lot"].flush_model(["expiry_state", "expiry_date_local"])
        return SQL(
            """(%s >= (SELECT min(expiry_date_local) FROM stock_lot
                       WHERE expiry_state IN ('ok', 'near_expiry')) AND %s)""",
            expiry,
            in_bucket,
        )

    # ------------------------------------------------------------------
    # Groups and counts from the stock totals
    # ------------------------------------------------------------------
    @api.model
    def _read_group(self, domain, groupby=(), aggregates=(), having=(), offset=0, limit=None, order=None):
        """Groups by place, month or bucket of expiry, and the grand total, are read from the stock totals,
        a few thousand rows, rather than from a million quants; any other grouping from the view."""
        totals_domain = self._totals_domain(domain)
        totals_order = self._totals_order(order, groupby, aggregates)
        if (
            totals_domain is None
            or totals_order is None
            or having
            or any(spec.split(":")[0] not in TOTALS_FIELDS for spec in groupby)
            or any(spec not in TOTALS_AGGREGATES for spec in aggregates)
        ):
            return super()._read_group(domain, groupby, aggregates, having, offset, limit, order)
        Totals = self.env["medical.expiry.workbench.summary"].sudo()
        totals_aggregates = [TOTALS_AGGREGATES[spec] for spec in aggregates]
        if not groupby:
            # One row, as for the view: empty values when no stock is left, whatever differences remain.
            [(count, *values)] = Totals._read_group(
                totals_domain, [], ["quant_count:sum", *totals_aggregates]
            )
            if not count:
                return [tuple(self._read_group_empty_value(spec) for spec in aggregates)]
            return [tuple(values)]
        groups = Totals._read_group(
            totals_domain,
            groupby,
            totals_aggregates,
            having=[("quant_count:sum", ">", 0)],
            offset=offset,
            limit=limit,
            order=totals_order or None,
        )
        return [
            tuple(
                value.with_env(self.env) if isinstance(value, models.BaseModel) else value for value in group
            )
            for group in groups
        ]

    @api.model
    def search_count(self, domain, limit=None):
        """Counted from the stock totals where the domain allows: the kanban counts each column."""
        totals_domain = self._totals_domain(domain)
        if totals_domain is None:
            return super().search_count(domain, limit=limit)
        [(count,)] = (
            self.env["medical.expiry.workbench.summary"]
            .sudo()
            ._read_group(totals_domain, [], ["quant_count:sum"])
        )
        return min(count or 0, limit) if limit else count or 0

    @api.model
    def _totals_domain(self, domain):
        """``domain`` with the workbench's record rules, for the stock totals; None if the totals cannot
        answer it (a condition on the product, the lot, ...)."""
        self.browse().check_access("read")
        full_domain = expression.AND(
            [
                expression.normalize_domain(domain or []),
                self.env["ir.rule"]._compute_domain(self._name, "read"),
            ]
        )
        for leaf in full_domain:
            if (
                expression.is_leaf(leaf)
                and leaf not in (expression.TRUE_LEAF, expression.FALSE_LEAF)
                and (not isinstance(leaf[0], str) or leaf[0] not in TOTALS_FIELDS)
            ):
                return None
        return full_domain

    @api.model
    def _totals_order(self, order, groupby, aggregates):
        """``order`` in the names of the totals; "" for none, None if it orders by anything else."""
        terms = []
        for term in (order or "").split(","):
            if not term.strip():
                continue
            spec, *direction = term.split()
            if spec in groupby:
                terms.append(term)
            elif spec in TOTALS_AGGREGATES and spec in aggregates:
                terms.append(" ".join([TOTALS_AGGREGATES[spec], *direction]))
            else:
                return None
        return ", ".join(terms)

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
        # The workbench's order, and the ranges of its expiry buckets (the kanban's columns).
        tools.create_index(
            cr,
            "medical_expiry_stock_quant_expiry_date_local_index",
            "stock_quant",
            ["expiry_date_local", "id"],
            where="quantity > 0",
        )
        # Where the soonest bucket starts: the soonest date of a lot in a level.
        tools.create_index(
            cr,
            "medical_expiry_stock_lot_levelled_expiry_date_local_index",
            "stock_lot",
            ["expiry_date_local"],
            where="expiry_state IN ('ok', 'near_expiry')",
        )
        # Lots in no level but with a date: none, unless levels are missing (see _dated_stock_without_expiry).
        tools.create_index(
            cr,
            "medical_expiry_stock_lot_unlevelled_expiry_date_local_index",
            "stock_lot",
            ["expiry_date_local"],
            where="expiry_state IS NULL OR expiry_state = 'no_expiry'",
        )
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
        days_to_expiry = self._days_to_expiry_query()
        return SQL(
            """
            SELECT quant.id, quant.id AS quant_id, quant.company_id, company.currency_id, quant.product_id,
                   product.product_tmpl_id, template.categ_id, template.uom_id AS product_uom_id,
                   quant.lot_id, quant.expiry_date_local AS expiration_date,
                   %(days_to_expiry)s AS days_to_expiry, lot.expiry_rule_id,
                   %(expiry_state)s AS expiry_state,
                   %(expiry_bucket)s AS expiry_bucket,
                   COALESCE(lot.is_blocked, FALSE) AS is_blocked, lot.block_reason,
                   EXISTS (SELECT 1
                             FROM medical_recall_stock_lot_rel recalled
                             JOIN medical_recall recall ON recall.id = recalled.recall_id
                            WHERE recalled.lot_id = quant.lot_id AND recall.state = 'in_progress')
                       AS open_recall,
                   quant.location_id, location.warehouse_id, location.usage = 'transit' AS in_transit,
                   CASE WHEN location.usage = 'transit' THEN 'transit' ELSE location.warehouse_id::text END
                       AS stock_place,
                   CASE WHEN location.usage = 'transit' THEN %(transit_source)s END
                       AS transit_source_warehouse_id,
                   CASE WHEN location.usage = 'transit' THEN %(transit_destination)s END
                       AS transit_destination_warehouse_id,
                   quant.quantity, quant.reserved_quantity,
                   %(value)s AS value,
                   %(supplier)s AS supplier_id
              FROM stock_quant quant
              JOIN stock_location location ON location.id = quant.location_id
         LEFT JOIN res_company company ON company.id = quant.company_id
         LEFT JOIN product_product product ON product.id = quant.product_id
         LEFT JOIN product_template template ON template.id = product.product_tmpl_id
         LEFT JOIN stock_lot lot ON lot.id = quant.lot_id
             WHERE %(in_stock)s
            """,
            transit_source=self._transit_source_query(),
            transit_destination=self._transit_destination_query(),
            supplier=self._supplier_query(),
            expiry_state=self._expiry_state_sql("lot"),
            expiry_bucket=self._expiry_bucket_sql(
                self._expiry_state_sql("lot"), SQL("quant.expiry_date_local"), days_to_expiry
            ),
            days_to_expiry=days_to_expiry,
            value=self._stock_value_sql("quant", "product"),
            in_stock=self._in_stock_sql("quant", "location"),
        )

    @api.model
    def _in_stock_sql(self, quant, location):
        """The quants the workbench shows: on hand in a warehouse or in transit between two."""
        return SQL(
            "%s > 0 AND %s IN ('internal', 'transit')",
            SQL.identifier(quant, "quantity"),
            SQL.identifier(location, "usage"),
        )

    @api.model
    def _expiry_state_sql(self, lot, column="expiry_state"):
        """The level a row reads as: a lot never levelled reads No Expiry."""
        return SQL("COALESCE(%s, 'no_expiry')", SQL.identifier(lot, column))

    @api.model
    def _expiry_bucket_sql(self, expiry_state, expiry_date, days_to_expiry):
        """The bucket of a row from its lot's stored state and its calendar date of expiry; shared by the
        view and its totals (``medical.expiry.workbench.summary``)."""
        return SQL(
            """CASE WHEN %(state)s = 'expired' THEN 'expired'
                    WHEN %(state)s = 'no_expiry' OR %(expiry)s IS NULL THEN 'no_expiry'
                    %(day_buckets)s END""",
            state=expiry_state,
            expiry=expiry_date,
            day_buckets=SQL(" ").join(
                SQL("WHEN %s <= %s THEN %s", days_to_expiry, last_day, bucket)
                if last_day is not None
                else SQL("ELSE %s", bucket)
                for bucket, last_day in DAY_BUCKETS
            ),
        )

    @api.model
    def _stock_value_sql(self, quant, product):
        """Quantity at the product's cost in the quant's company."""
        return SQL(
            "%(quantity)s * COALESCE((%(price)s ->> %(company)s::text)::numeric, 0)",
            quantity=SQL.identifier(quant, "quantity"),
            price=SQL.identifier(product, "standard_price"),
            company=SQL.identifier(quant, "company_id"),
        )

    def _days_to_expiry_query(self):
        """Days from the company's today to the stored calendar date of expiry. A view is evaluated when
        read: its "today" is the database's now, not the install's."""
        return SQL(
            "(quant.expiry_date_local - %s)",
            self.env["res.company"]._expiry_local_date_sql(
                SQL("(now() AT TIME ZONE 'UTC')"), time_zone=SQL("company.expiry_tz")
            ),
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
    # Actions: the buttons of a row start what stock.quant does with its stock
    # ------------------------------------------------------------------
    def action_suggested(self):
        return self.quant_id.action_run_suggested_action()

    def action_return_to_supplier(self):
        return self.quant_id.action_return_to_supplier()

    def action_transfer(self):
        return self.quant_id.action_transfer_to_warehouse()

    def action_clearance(self):
        return self.quant_id.action_clearance_sale()

    def action_adjust_purchase(self):
        return self.quant_id.action_adjust_purchase()

    def action_scrap(self):
        return self.quant_id.action_scrap_expired()
