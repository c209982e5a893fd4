from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.tools import SQL

# code: (label, kind). A figure is the sum of its numerators over the sum of its denominators, so that
# it adds up right over warehouses and months: "rate" in percent, "average" as the plain quotient,
# "amount" the sum of the numerators (no denominator).
KPIS = {
    "near_expiry_qty": ("Near-Expiry Rate (Quantity)", "rate"),
    "near_expiry_value": ("Near-Expiry Rate (Value)", "rate"),
    "expired_loss": ("Expired Loss", "amount"),
    "expired_rate": ("Expired Rate", "rate"),
    "turnover_days": ("Inventory Turnover Days", "average"),
    "fefo_deviation": ("FEFO Deviation Ratio", "rate"),
    "expiry_outbound": ("Expiry-Driven Outbound Share", "rate"),
    "count_variance": ("Inventory Count Variance", "amount"),
    "alert_reach": ("Alert Reach Rate", "rate"),
    "recall_response": ("Recall Response Time (Hours)", "average"),
    "recall_recovery": ("Recall Recovery Rate", "rate"),
    "qualifications_to_renew": ("Qualifications to Renew", "amount"),
    "qualifications_lapsed": ("Lapsed Qualifications", "amount"),
}
SCALES = {"rate": 100.0, "average": 1.0, "amount": 1.0}
# Point-in-time figures: what the stock or the qualifications are now. Only the current month's row is
# refreshed; a past month keeps the last figure taken in it.
# The figures of the whole company, of no warehouse; a stock or move figure of no warehouse is in transit.
COMPANY_KPIS = ("alert_reach", "recall_response", "recall_recovery", "qualifications_to_renew",
                "qualifications_lapsed")  # fmt: skip
SNAPSHOT_KPIS = ("near_expiry_qty", "near_expiry_value", "qualifications_to_renew", "qualifications_lapsed")
HISTORY_MONTHS = 12


class MedicalExpiryKpi(models.Model):
    """One figure of one KPI for one month and warehouse of a company.

    Stored, not a view: how much stock was near expiry can only be known at the time, and the figures of
    past months are read often and change rarely. The daily job refreshes the current and the previous
    month; a manager can refresh the last twelve months on demand.
    """

    _name = "medical.expiry.kpi"
    _description = "Expiry KPI by Month"
    _order = "month desc, kpi, warehouse_id"
    _rec_name = "kpi"

    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    month = fields.Date(
        required=True, readonly=True, help="First day of the month, in the company's expiry time zone."
    )
    warehouse_id = fields.Many2one(
        "stock.warehouse",
        readonly=True,
        help="Empty for stock in transit and for the figures of the whole company (alerts, recalls, "
        "qualifications).",
    )
    # What the pivot and the charts group by: the warehouse, "In Transit" for stock between warehouses, or
    # "Whole Company" for the company's own figures (either would read "None" grouped by warehouse).
    scope = fields.Selection(
        selection="_selection_scope",
        string="Warehouse or Company",
        compute="_compute_scope",
        store=True,
    )
    kpi = fields.Selection(
        [(code, label) for code, (label, _kind) in KPIS.items()], string="KPI", required=True, readonly=True
    )
    kind = fields.Selection(
        [("rate", "Rate (%)"), ("amount", "Amount"), ("average", "Average")], required=True, readonly=True
    )
    numerator = fields.Float(readonly=True)
    denominator = fields.Float(readonly=True)
    value = fields.Float(
        string="Figure",
        readonly=True,
        help="Rates in percent, losses and variances in the company's currency, turnover in days, recall "
        "response in hours. Over several months or warehouses: their numerators over their denominators.",
    )

    _sql_constraints = [
        (
            "kpi_month_warehouse_unique",
            "UNIQUE NULLS NOT DISTINCT (company_id, month, warehouse_id, kpi)",
            "A KPI has one figure per month and warehouse.",
        )
    ]

    @api.depends("warehouse_id", "kpi")
    def _compute_scope(self):
        for figure in self:
            if figure.warehouse_id:
                figure.scope = str(figure.warehouse_id.id)
            else:
                figure.scope = "company" if figure.kpi in COMPANY_KPIS else "transit"

    @api.model
    def _selection_scope(self):
        warehouses = (
            self.env["stock.warehouse"]
            .with_context(active_test=False)
            .search([("company_id", "in", self.env.companies.ids)], order="sequence, id")
        )
        return [(str(warehouse.id), warehouse.name) for warehouse in warehouses] + [
            ("transit", self.env._("In Transit")),
            ("company", self.env._("Whole Company")),
        ]

    def _read_group_select(self, aggregate_spec, query):
        """The figure of a group is its numerators over its denominators, never a sum of rates; none
        for a group of several KPIs (the pivot's grand total), whose units differ."""
        if aggregate_spec.split(":")[0] != "value":
            return super()._read_group_select(aggregate_spec, query)
        table = SQL.identifier(self._table)
        return SQL(
            """CASE WHEN COUNT(DISTINCT %(table)s.kpi) > 1 THEN NULL
                    WHEN BOOL_AND(%(table)s.kind = 'amount') THEN SUM(%(table)s.numerator)
                    ELSE SUM(%(table)s.numerator)
                         * MAX(CASE %(table)s.kind WHEN 'rate' THEN 100.0 ELSE 1.0 END)
                         / NULLIF(SUM(%(table)s.denominator), 0) END""",
            table=table,
        )

    # ------------------------------------------------------------------
    # Refresh
    # ------------------------------------------------------------------
    @api.model
    def _cron_refresh(self):
        """Daily: the current month, and the previous one for the moves dated into it late."""
        for company in self.env["res.company"].search([("id", "!=", False)]):
            self._refresh(company, _month_of(company._expiry_today()) - relativedelta(months=1))

    @api.model
    def _install_history(self):
        """At install: the last twelve months of every company, so that the dashboard opens with trends."""
        for company in self.env["res.company"].search([("id", "!=", False)]):
            self._refresh_history(company)

    @api.model
    def action_refresh(self):
        """Recompute the last twelve months of the current company (expiry managers)."""
        self.env["res.users"]._check_expiry_manager(self.env._("Refresh the Expiry KPIs"))
        self.sudo()._refresh_history(self.env.company)
        return {"type": "ir.actions.client", "tag": "soft_reload"}

    @api.model
    def _refresh_history(self, company):
        self._refresh(company, _month_of(company._expiry_today()) - relativedelta(months=HISTORY_MONTHS - 1))

    @api.model
    def _refresh(self, company, start):
        """Replace the figures of ``company`` from the month ``start`` to the current month."""
        today = company._expiry_today()
        months = _months(start, _month_of(today))
        rows = self.env["medical.expiry.kpi.source"]._figures(company, months, today)
        current = _month_of(today)
        self.sudo().search(
            [
                ("company_id", "=", company.id),
                ("month", ">=", start),
                "|",
                ("kpi", "not in", SNAPSHOT_KPIS),
                ("month", "=", current),
            ]
        ).unlink()
        self.sudo().create(
            [
                {
                    "company_id": company.id,
                    "month": month,
                    "warehouse_id": warehouse_id,
                    "kpi": kpi,
                    "kind": KPIS[kpi][1],
                    "numerator": numerator,
                    "denominator": denominator,
                    "value": _figure(KPIS[kpi][1], numerator, denominator),
                }
                for (month, warehouse_id, kpi), (numerator, denominator) in rows.items()
                if kpi not in SNAPSHOT_KPIS or month == current
            ]
        )

    # ------------------------------------------------------------------
    # Drill-down
    # ------------------------------------------------------------------
    def action_open_records(self):
        """The records behind this figure: the lines, stock, alerts or recalls it counts."""
        self.ensure_one()
        return self.env["medical.expiry.kpi.source"]._records_action(
            self.company_id, self.kpi, self.month, self.warehouse_id
        )


def _month_of(day):
    return day.replace(day=1)


def _months(start, end):
    months = []
    while start <= end:
        months.append(start)
        start += relativedelta(months=1)
    return months


def _figure(kind, numerator, denominator):
    if kind == "amount":
        return numerator
    return numerator * SCALES[kind] / denominator if denominator else 0.0
