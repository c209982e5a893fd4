from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .medical_expiry_workbench import FORECAST_DAYS, OPEN_ORDER_LINES


class MedicalExpiryWorkbench(models.Model):
    """The workbench's figures per product: open orders, FEFO rank and expiry-risk forecast.

    They need every quant of a product, or its orders and shipments: they are computed for the products
    of the rows read, never as columns of the view, so that a page of the list stays cheap.
    """

    _inherit = "medical.expiry.workbench"  # pylint: disable=consider-merging-classes-inherited

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
