from dateutil.relativedelta import relativedelta

from odoo import api, fields, models


# A transient report record (period in, KPIs out), not a wizard: it computes, it collects no input for
# another model, so it lives with the models.
class MedicalExpiryDashboard(models.TransientModel):  # pylint: disable=no-wizard-in-models
    """The managers' expiry KPIs over a period, each with a drill-down to the records behind it."""

    _name = "medical.expiry.dashboard"
    _description = "Expiry KPI Dashboard"

    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id")
    date_from = fields.Date(
        string="From",
        required=True,
        default=lambda self: fields.Date.context_today(self) - relativedelta(months=3),
    )
    date_to = fields.Date(string="To", required=True, default=fields.Date.context_today)
    near_expiry_qty_rate = fields.Float(
        string="Near-Expiry Rate (Quantity)",
        compute="_compute_stock_kpis",
        help="Share of the quantity on hand (internal and in transit) in a lot that is in an expiry level.",
    )
    near_expiry_value_rate = fields.Float(
        string="Near-Expiry Rate (Value)", compute="_compute_stock_kpis", help="The same share, in value."
    )
    expired_loss_value = fields.Monetary(
        string="Expired Loss",
        compute="_compute_outbound_kpis",
        help="Value of the stock scrapped in the period because it had expired or was in an expiry level.",
    )
    fefo_deviation_rate = fields.Float(
        string="FEFO Deviation Ratio",
        compute="_compute_outbound_kpis",
        help="Share of the lines shipped to customers in the period that left an earlier-expiring, "
        "unblocked, available lot of the same product in the warehouse.",
    )
    expiry_outbound_share = fields.Float(
        string="Expiry-Driven Outbound Share",
        compute="_compute_outbound_kpis",
        help="Share of the outbound quantity (customers, suppliers, scrap) in the period that was scrapped, "
        "returned to suppliers or sold on clearance because of expiry.",
    )
    inventory_variance_value = fields.Monetary(
        string="Inventory Count Variance",
        compute="_compute_outbound_kpis",
        help="Value of the inventory adjustments of the period, gains and losses both counted.",
    )
    alert_reach_rate = fields.Float(
        compute="_compute_alert_reach_rate",
        help="Share of the expiry alerts raised in the period that a person handled within the "
        "escalation delay.",
    )
    recall_count = fields.Integer(string="Recalls Opened", compute="_compute_recall_kpis")
    recall_response_hours = fields.Float(
        string="Recall Response Time (Hours)",
        compute="_compute_recall_kpis",
        help="Average hours from the opening of a recall to its last customer notice, over the recalls "
        "opened in the period whose customers were all notified.",
    )
    recall_recovery_rate = fields.Float(
        compute="_compute_recall_kpis",
        help="Share of the quantity the recalls opened in the period had shipped to customers that came "
        "back.",
    )

    qualification_expiring_count = fields.Integer(
        string="Qualifications to Renew",
        compute="_compute_qualification_kpis",
        help="Licences and registrations in an alert level, not yet replaced by a renewal.",
    )
    qualification_lapsed_count = fields.Integer(
        string="Lapsed Qualifications",
        compute="_compute_qualification_kpis",
        help="Licences and registrations expired or revoked, not replaced by a valid one.",
    )

    @api.depends("company_id")
    def _compute_qualification_kpis(self):
        for dashboard in self:
            pending = dashboard._pending_qualifications()
            dashboard.qualification_expiring_count = len(pending.filtered(lambda q: q.state == "expiring"))
            dashboard.qualification_lapsed_count = len(pending) - dashboard.qualification_expiring_count

    def _pending_qualifications(self):
        """The company's qualifications that need a renewal: expiring or lapsed, and not yet replaced."""
        documents = self.env["medical.qualification"].search(
            [
                ("state", "in", ("expiring", "expired", "revoked")),
                ("company_id", "in", [False, self.company_id.id]),
            ]
        )
        return documents - documents._renewed()

    @api.depends("company_id")
    def _compute_stock_kpis(self):
        for dashboard in self:
            self.env.flush_all()
            self.env.cr.execute(
                """
                SELECT SUM(quant.quantity),
                       SUM(quant.quantity) FILTER (WHERE lot.expiry_rule_id IS NOT NULL),
                       SUM(quant.quantity * cost.unit),
                       SUM(quant.quantity * cost.unit) FILTER (WHERE lot.expiry_rule_id IS NOT NULL)
                  FROM stock_quant quant
                  JOIN stock_location location ON location.id = quant.location_id
                  JOIN product_product product ON product.id = quant.product_id
                  -- standard_price is company-dependent: a jsonb of costs by company id
                  CROSS JOIN LATERAL (
                       SELECT COALESCE((product.standard_price ->> %(company)s::text)::numeric, 0) AS unit
                  ) cost
             LEFT JOIN stock_lot lot ON lot.id = quant.lot_id
                 WHERE quant.company_id = %(company)s AND quant.quantity > 0
                   AND location.usage IN ('internal', 'transit')
                """,
                {"company": dashboard.company_id.id},
            )
            quantity, near_quantity, value, near_value = self.env.cr.fetchone()
            dashboard.near_expiry_qty_rate = _ratio(near_quantity, quantity)
            dashboard.near_expiry_value_rate = _ratio(near_value, value)

    @api.depends("company_id", "date_from", "date_to")
    def _compute_outbound_kpis(self):
        for dashboard in self:
            self.env.flush_all()
            self.env.cr.execute(
                """
                SELECT SUM(line.quantity_product_uom * cost.unit)
                           FILTER (WHERE line.expiry_outbound_reason = 'scrap'),
                       COUNT(*) FILTER (WHERE destination.usage = 'customer' AND line.lot_id IS NOT NULL),
                       COUNT(*) FILTER (WHERE line.fefo_deviation),
                       SUM(line.quantity_product_uom) FILTER (WHERE move.is_inventory IS NOT TRUE),
                       SUM(line.quantity_product_uom) FILTER (WHERE line.expiry_outbound_reason IS NOT NULL),
                       SUM(ABS(line.quantity_product_uom * cost.unit)) FILTER (WHERE move.is_inventory)
                  FROM stock_move_line line
                  JOIN stock_move move ON move.id = line.move_id
                  JOIN stock_location source ON source.id = line.location_id
                  JOIN stock_location destination ON destination.id = line.location_dest_id
                  JOIN product_product product ON product.id = line.product_id
                  CROSS JOIN LATERAL (
                       SELECT COALESCE((product.standard_price ->> %(company)s::text)::numeric, 0) AS unit
                  ) cost
                 WHERE line.state = 'done' AND line.company_id = %(company)s
                   AND line.date >= %(date_from)s AND line.date < %(date_to)s
                   AND (
                        (source.usage IN ('internal', 'transit')
                         AND destination.usage IN ('customer', 'supplier', 'inventory'))
                        OR move.is_inventory
                   )
                """,
                dashboard._period_params(),
            )
            loss, shipped, deviations, outbound, expiry_outbound, variance = self.env.cr.fetchone()
            dashboard.expired_loss_value = loss or 0.0
            dashboard.fefo_deviation_rate = _ratio(deviations, shipped)
            dashboard.expiry_outbound_share = _ratio(expiry_outbound, outbound)
            dashboard.inventory_variance_value = variance or 0.0

    @api.depends("company_id", "date_from", "date_to")
    def _compute_alert_reach_rate(self):
        for dashboard in self:
            alerts = dashboard._alerts_of_period()
            reached = alerts.filtered(dashboard._alert_reached)
            # A product's alert speaks for each of its lots: weighed by the lots it covers.
            dashboard.alert_reach_rate = _ratio(
                sum(reached.mapped("expiry_lot_count")), sum(alerts.mapped("expiry_lot_count"))
            )

    @api.depends("company_id", "date_from", "date_to")
    def _compute_recall_kpis(self):
        for dashboard in self:
            recalls = dashboard._recalls_of_period()
            answered = recalls.filtered("notices_complete")
            dashboard.recall_count = len(recalls)
            dashboard.recall_response_hours = (
                sum(answered.mapped("response_time_hours")) / len(answered) if answered else 0.0
            )
            dashboard.recall_recovery_rate = _ratio(
                sum(recalls.mapped("qty_recovered")), sum(recalls.mapped("qty_shipped"))
            )

    def _recalls_of_period(self):
        """Recalls opened in the period (confirmed, whether still open or closed)."""
        return self.env["medical.recall"].search(
            [
                ("company_id", "=", self.company_id.id),
                ("state", "in", ("in_progress", "closed")),
                ("date_open", ">=", self.date_from),
                ("date_open", "<", self.date_to + relativedelta(days=1)),
            ]
        )

    def _alert_reached(self, alert):
        """Handled by a person (not closed by the job) within the escalation delay."""
        delay = relativedelta(days=self.company_id.expiry_alert_escalation_days)
        return (
            not alert.active
            and not alert.expiry_auto_closed
            and alert.date_done
            and alert.date_done <= alert.create_date.date() + delay
        )

    def _period_params(self):
        return {
            "company": self.company_id.id,
            "date_from": self.date_from,
            "date_to": self.date_to + relativedelta(days=1),
        }

    def _period_domain(self):
        return [
            ("company_id", "=", self.company_id.id),
            ("date", ">=", self.date_from),
            ("date", "<", self.date_to + relativedelta(days=1)),
            ("state", "=", "done"),
        ]

    def _alerts_of_period(self):
        alert_types = self.env["stock.lot"]._expiry_alert_types().values()
        return (
            self.env["mail.activity"]
            .with_context(active_test=False)
            .search(
                [
                    ("res_model", "in", ("stock.lot", "product.product")),
                    ("activity_type_id", "in", [alert_type.id for alert_type in alert_types]),
                    ("create_date", ">=", self.date_from),
                    ("create_date", "<", self.date_to + relativedelta(days=1)),
                ]
            )
        )

    # ------------------------------------------------------------------
    # Drill-downs
    # ------------------------------------------------------------------
    def _open(self, name, model, domain, views="list", context=None):
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": model,
            "view_mode": views,
            "domain": domain,
            "context": context or {},
        }

    def action_open_near_expiry(self):
        return self._open(
            self.env._("Stock in an Expiry Level"),
            "stock.quant",
            [
                ("company_id", "=", self.company_id.id),
                ("quantity", ">", 0),
                ("location_id.usage", "in", ("internal", "transit")),
                ("lot_id.expiry_rule_id", "!=", False),
            ],
        )

    def action_open_expired_loss(self):
        return self._open(
            self.env._("Expired Stock Scrapped"),
            "stock.move.line",
            self._period_domain() + [("expiry_outbound_reason", "=", "scrap")],
            "graph,list",
            {"graph_groupbys": ["date:month"]},
        )

    def action_open_fefo_deviations(self):
        return self._open(
            self.env._("FEFO Deviations"),
            "stock.move.line",
            self._period_domain() + [("fefo_deviation", "=", True)],
        )

    def action_open_expiry_outbound(self):
        return self._open(
            self.env._("Expiry-Driven Outbound"),
            "stock.move.line",
            self._period_domain() + [("expiry_outbound_reason", "!=", False)],
            "list,graph",
            {"group_by": ["expiry_outbound_reason"]},
        )

    def action_open_inventory_variance(self):
        return self._open(
            self.env._("Inventory Adjustments"),
            "stock.move.line",
            self._period_domain() + [("move_id.is_inventory", "=", True)],
        )

    def action_open_qualifications(self):
        return self._open(
            self.env._("Qualifications to Renew"),
            "medical.qualification",
            [("id", "in", self._pending_qualifications().ids)],
            "list,form",
        )

    def action_open_recalls(self):
        return self._open(
            self.env._("Recalls"),
            "medical.recall",
            [("id", "in", self._recalls_of_period().ids)],
            "list,form",
        )

    def action_open_alerts(self):
        return self._open(
            self.env._("Expiry Alerts"),
            "mail.activity",
            [("id", "in", self._alerts_of_period().ids)],
            context={"active_test": False},
        )


def _ratio(part, whole):
    return float(part or 0) / float(whole) if whole else 0.0
