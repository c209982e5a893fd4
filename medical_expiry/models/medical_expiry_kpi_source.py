from collections import defaultdict

from dateutil.relativedelta import relativedelta

from odoo import api, models
from odoo.tools import SQL

STOCK_USAGES = ("internal", "transit")
# Stock leaving the company: to customers, back to suppliers, or scrapped (and counted losses).
OUTBOUND = [
    ("location_id.usage", "in", STOCK_USAGES),
    ("location_dest_id.usage", "in", ("customer", "supplier", "inventory")),
]
# What each figure over move lines counts: (domain, measure). The drill-down opens the same domain.
LINE_MEASURES = {
    "scrapped_value": (OUTBOUND + [("expiry_outbound_reason", "=", "scrap")], "value"),
    "shipped_lines": (
        OUTBOUND + [("location_dest_id.usage", "=", "customer"), ("lot_id", "!=", False)],
        "count",
    ),
    "deviating_lines": (OUTBOUND + [("fefo_deviation", "=", True)], "count"),
    "outbound_qty": (OUTBOUND + [("move_id.is_inventory", "!=", True)], "quantity"),
    "expiry_outbound_qty": (OUTBOUND + [("expiry_outbound_reason", "!=", False)], "quantity"),
    "counted_value": ([("move_id.is_inventory", "=", True)], "absolute_value"),
    "sold_value": (OUTBOUND + [("location_dest_id.usage", "=", "customer")], "value"),
}
# The KPIs over move lines: (numerator measure, denominator measure or None for an amount).
LINE_KPIS = {
    "expired_loss": ("scrapped_value", None),
    "fefo_deviation": ("deviating_lines", "shipped_lines"),
    "expiry_outbound": ("expiry_outbound_qty", "outbound_qty"),
    "count_variance": ("counted_value", None),
}
# The records a figure counts, for its drill-down.
DRILL_MEASURES = {
    "expired_loss": "scrapped_value",
    "expired_rate": "scrapped_value",
    "turnover_days": "sold_value",
    "fefo_deviation": "deviating_lines",
    "expiry_outbound": "expiry_outbound_qty",
    "count_variance": "counted_value",
}
# Stock on hand: in the warehouses and in transit between them (no warehouse); and the part of it in an
# expiry level.
STOCK_ON_HAND = [
    ("quantity", ">", 0),
    "|",
    ("location_id.usage", "=", "transit"),
    "&",
    ("location_id.usage", "=", "internal"),
    ("location_id.warehouse_id", "!=", False),
]
NEAR_EXPIRY = [("lot_id.expiry_rule_id", "!=", False)]


class MedicalExpiryKpiSource(models.AbstractModel):
    """Where each expiry KPI comes from: the figures by month and warehouse, and the records behind them.

    Months are calendar months in the company's expiry time zone. Values are quantities at the
    product's current cost. A move line belongs to the warehouse of its stock side: where the stock
    left from, or for a gain counted in an inventory, where it arrived.
    """

    _name = "medical.expiry.kpi.source"
    _description = "Expiry KPI Sources"

    @api.model
    def _figures(self, company, months, today):
        """{(month, warehouse id or False, kpi): (numerator, denominator)} for ``months`` up to ``today``."""
        self = self.sudo().with_context(active_test=False)
        self.env.flush_all()
        end = months[-1] + relativedelta(months=1)
        figures = {}
        lines = {name: self._line_measure(company, name, months[0], end) for name in LINE_MEASURES}
        for kpi, (numerator, denominator) in LINE_KPIS.items():
            # A rate where its denominator counts something, an amount where it is not nil.
            for key, whole in lines[denominator or numerator].items():
                if whole:
                    figures[(*key, kpi)] = (lines[numerator].get(key, 0.0), whole if denominator else 0.0)
        for key, stock in self._average_stock_values(company, months, today).items():
            figures[(*key, "expired_rate")] = (lines["scrapped_value"].get(key, 0.0), stock)
            days = (min(key[0] + relativedelta(months=1), today + relativedelta(days=1)) - key[0]).days
            # Stock in transit sells nothing of its own: its row (no figure of its own, no denominator)
            # carries its stock into the company's turnover.
            if lines["sold_value"].get(key) or not key[1]:
                figures[(*key, "turnover_days")] = (stock * days, lines["sold_value"].get(key, 0.0))
        month = months[-1]
        figures.update(self._stock_snapshot(company, month))
        figures.update(self._alert_figures(company, months[0], end))
        figures.update(self._recall_figures(company, months[0], end))
        pending = self._pending_qualifications(company)
        expiring = len(pending.filtered(lambda document: document.state == "expiring"))
        figures[(month, False, "qualifications_to_renew")] = (expiring, 0.0)
        figures[(month, False, "qualifications_lapsed")] = (len(pending) - expiring, 0.0)
        return figures

    # ------------------------------------------------------------------
    # Move lines
    # ------------------------------------------------------------------
    @api.model
    def _line_domain(self, company, name, start, end, warehouse=None):
        """The done lines of ``company`` a measure counts between the local dates ``start`` and ``end``."""
        domain = LINE_MEASURES[name][0] + [
            ("company_id", "=", company.id),
            ("state", "=", "done"),
            ("date", ">=", company._expiry_day_start(start)),
            ("date", "<", company._expiry_day_start(end)),
        ]
        if warehouse is not None:
            warehouse_id = warehouse.id or False
            domain += [
                "|",
                "&",
                ("location_id.usage", "in", STOCK_USAGES),
                ("location_id.warehouse_id", "=", warehouse_id),
                "&",
                ("location_id.usage", "not in", STOCK_USAGES),
                ("location_dest_id.warehouse_id", "=", warehouse_id),
            ]
        return domain

    def _line_measure(self, company, name, start, end):
        """{(month, warehouse id): total} of a measure over the lines of its domain."""
        measure = LINE_MEASURES[name][1]
        quantity = SQL("line.quantity_product_uom")
        value = SQL("line.quantity_product_uom * %s", _unit_cost(company))
        total = {
            "count": SQL("COUNT(*)"),
            "quantity": SQL("SUM(%s)", quantity),
            "value": SQL("SUM(%s)", value),
            "absolute_value": SQL("SUM(ABS(%s))", value),
        }[measure]
        query = self.env["stock.move.line"]._search(self._line_domain(company, name, start, end))
        self.env.cr.execute(
            SQL(
                """
                SELECT DATE_TRUNC('month', %(local_date)s)::date,
                       CASE WHEN source.usage IN %(stock)s THEN source.warehouse_id
                            ELSE destination.warehouse_id END,
                       %(total)s
                  FROM stock_move_line line
                  JOIN stock_location source ON source.id = line.location_id
                  JOIN stock_location destination ON destination.id = line.location_dest_id
                  JOIN product_product product ON product.id = line.product_id
                 WHERE line.id IN (%(lines)s)
              GROUP BY 1, 2
                """,
                local_date=company._expiry_local_date_sql(SQL("line.date"), time_zone=company.expiry_tz),
                stock=STOCK_USAGES,
                total=total,
                lines=query.subselect(),
            )
        )
        return {
            (month, warehouse_id or False): total or 0.0
            for month, warehouse_id, total in self.env.cr.fetchall()
        }

    # ------------------------------------------------------------------
    # Stock
    # ------------------------------------------------------------------
    def _average_stock_values(self, company, months, today):
        """{(month, warehouse id): average stock value} of each month: the mean of its opening and
        closing values, walked back from today's stock through the moves since (to today for the current
        month).
        """
        closing = defaultdict(float)
        for warehouse_id, _quantity, value in self._stock_on_hand(company, []):
            closing[warehouse_id or False] = value
        self.env.cr.execute(
            SQL(
                """
                SELECT DATE_TRUNC('month', %(local_date)s)::date, side.warehouse_id,
                       SUM(side.sign * line.quantity_product_uom * %(cost)s)
                  FROM stock_move_line line
                  JOIN product_product product ON product.id = line.product_id
                  CROSS JOIN LATERAL (
                       SELECT location.warehouse_id, sides.sign
                         FROM (VALUES (line.location_dest_id, 1), (line.location_id, -1))
                              AS sides(location, sign)
                         JOIN stock_location location ON location.id = sides.location
                        WHERE location.usage = 'transit'
                           OR (location.usage = 'internal' AND location.warehouse_id IS NOT NULL)
                  ) side
                 WHERE line.company_id = %(company)s AND line.state = 'done' AND line.date >= %(start)s
              GROUP BY 1, 2
                """,
                local_date=company._expiry_local_date_sql(SQL("line.date"), time_zone=company.expiry_tz),
                cost=_unit_cost(company),
                company=company.id,
                start=company._expiry_day_start(months[0]),
            )
        )
        net = defaultdict(float)
        for month, warehouse_id, flow in self.env.cr.fetchall():
            net[(month, warehouse_id or False)] = flow
        averages = {}
        for month in reversed(months):
            for warehouse_id in set(closing) | {key[1] for key in net if key[0] == month}:
                opening = closing[warehouse_id] - net[(month, warehouse_id)]
                average = (opening + closing[warehouse_id]) / 2
                if average:
                    averages[(month, warehouse_id)] = average
                closing[warehouse_id] = opening
        return averages

    def _stock_on_hand(self, company, domain):
        """[(warehouse id, quantity, value)] of the company's stock on hand matching ``domain``."""
        query = self.env["stock.quant"]._search(STOCK_ON_HAND + domain + [("company_id", "=", company.id)])
        self.env.cr.execute(
            SQL(
                """
                SELECT location.warehouse_id, SUM(quant.quantity), SUM(quant.quantity * %(cost)s)
                  FROM stock_quant quant
                  JOIN stock_location location ON location.id = quant.location_id
                  JOIN product_product product ON product.id = quant.product_id
                 WHERE quant.id IN (%(quants)s)
              GROUP BY 1
                """,
                cost=_unit_cost(company),
                quants=query.subselect(),
            )
        )
        return self.env.cr.fetchall()

    def _stock_snapshot(self, company, month):
        """The near-expiry rates of each warehouse now, in quantity and in value."""
        near = {
            warehouse_id or False: (quantity, value)
            for warehouse_id, quantity, value in self._stock_on_hand(company, NEAR_EXPIRY)
        }
        figures = {}
        for warehouse_id, quantity, value in self._stock_on_hand(company, []):
            warehouse_id = warehouse_id or False
            near_quantity, near_value = near.get(warehouse_id, (0.0, 0.0))
            figures[(month, warehouse_id, "near_expiry_qty")] = (near_quantity, quantity)
            if value:
                figures[(month, warehouse_id, "near_expiry_value")] = (near_value, value)
        return figures

    # ------------------------------------------------------------------
    # Alerts, recalls, qualifications: the whole company's
    # ------------------------------------------------------------------
    def _alerts(self, company, start, end):
        alert_types = self.env["stock.lot"]._expiry_alert_types().values()
        return self.env["mail.activity"].search(
            [
                ("res_model", "in", ("stock.lot", "product.product")),
                ("activity_type_id", "in", [alert_type.id for alert_type in alert_types]),
                ("create_date", ">=", company._expiry_day_start(start)),
                ("create_date", "<", company._expiry_day_start(end)),
            ]
        )

    def _alert_figures(self, company, start, end):
        """Alert reach by month raised: the lots covered by alerts a person handled in time, over all the
        lots covered (a product's alert speaks for each of its lots).
        """
        delay = relativedelta(days=company.expiry_alert_escalation_days)
        totals = defaultdict(lambda: [0.0, 0.0])
        for alert in self._alerts(company, start, end):
            raised = company._expiry_date_of(alert.create_date)
            reached = (
                not alert.active
                and not alert.expiry_auto_closed
                and alert.date_done
                and alert.date_done <= raised + delay
            )
            total = totals[(raised.replace(day=1), False, "alert_reach")]
            total[0] += alert.expiry_lot_count if reached else 0
            total[1] += alert.expiry_lot_count
        return {key: tuple(total) for key, total in totals.items()}

    def _recalls(self, company, start, end):
        """Recalls opened in the period (confirmed, whether still open or closed)."""
        return self.env["medical.recall"].search(
            [
                ("company_id", "=", company.id),
                ("state", "in", ("in_progress", "closed")),
                ("date_open", ">=", company._expiry_day_start(start)),
                ("date_open", "<", company._expiry_day_start(end)),
            ]
        )

    def _recall_figures(self, company, start, end):
        """By month opened: average hours to the last notice of the recalls whose customers were all
        notified, and the share of the quantity shipped that came back.
        """
        totals = defaultdict(lambda: [0.0, 0.0])
        for recall in self._recalls(company, start, end):
            month = company._expiry_date_of(recall.date_open).replace(day=1)
            if recall.notices_complete:
                response = totals[(month, False, "recall_response")]
                response[0] += recall.response_time_hours
                response[1] += 1
            recovery = totals[(month, False, "recall_recovery")]
            recovery[0] += recall.qty_recovered
            recovery[1] += recall.qty_shipped
        return {key: tuple(total) for key, total in totals.items() if total[1]}

    def _pending_qualifications(self, company):
        """The company's qualifications that need a renewal: expiring or lapsed, and not yet replaced."""
        documents = self.env["medical.qualification"].search(
            [
                ("state", "in", ("expiring", "expired", "revoked")),
                ("company_id", "in", [False, company.id]),
            ]
        )
        return documents - documents._renewed()

    # ------------------------------------------------------------------
    # Drill-down
    # ------------------------------------------------------------------
    @api.model
    def _records_action(self, company, kpi, month, warehouse):
        end = month + relativedelta(months=1)
        if kpi in DRILL_MEASURES:
            model = "stock.move.line"
            domain = self._line_domain(company, DRILL_MEASURES[kpi], month, end, warehouse)
        elif kpi in ("near_expiry_qty", "near_expiry_value"):
            model = "stock.quant"
            domain = (
                STOCK_ON_HAND
                + NEAR_EXPIRY
                + [
                    ("company_id", "=", company.id),
                    ("location_id.warehouse_id", "=", warehouse.id),
                ]
            )
        elif kpi == "alert_reach":
            model = "mail.activity"
            domain = [
                ("id", "in", self.sudo().with_context(active_test=False)._alerts(company, month, end).ids)
            ]
        elif kpi.startswith("recall_"):
            model = "medical.recall"
            domain = [("id", "in", self._recalls(company, month, end).ids)]
        else:
            model = "medical.qualification"
            pending = self._pending_qualifications(company)
            expiring = pending.filtered(lambda document: document.state == "expiring")
            domain = [
                ("id", "in", (expiring if kpi == "qualifications_to_renew" else pending - expiring).ids)
            ]
        return {
            "type": "ir.actions.act_window",
            "name": dict(self.env["medical.expiry.kpi"]._fields["kpi"]._description_selection(self.env))[kpi],
            "res_model": model,
            "view_mode": "list,form",
            "views": [(False, "list"), (False, "form")],
            "domain": domain,
            "context": {"active_test": False} if model == "mail.activity" else {},
        }


def _unit_cost(company):
    """The product's current cost in ``company`` (standard_price is company-dependent: a jsonb by company)."""
    return SQL("COALESCE((product.standard_price ->> %s)::numeric, 0)", str(company.id))
