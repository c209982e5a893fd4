from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import date_utils

# GSP 在库养护: expiry-dated stock is checked at least once a month; a plan may ask for more, or, for
# stock that keeps (no near-expiry level within the quarter), for a quarterly round.
FREQUENCIES = [("weekly", "Weekly"), ("monthly", "Monthly"), ("quarterly", "Quarterly")]
PERIOD_GRANULARITY = {"weekly": "week", "monthly": "month", "quarterly": "quarter"}
PERIOD_STEP = {
    "weekly": relativedelta(weeks=1),
    "monthly": relativedelta(months=1),
    "quarterly": relativedelta(months=3),
}


class MedicalStockInspectionPlan(models.Model):
    """A warehouse's (or one location's) round of stock inspection (在库养护 / 效期检查), and how often.

    The daily job gives each active plan one inspection per period, prefilled with the lots on hand; an
    inspection still open after its period is overdue and alerts the plan's warehouse manager.
    """

    _name = "medical.stock.inspection.plan"
    _description = "Stock Inspection Plan"
    _inherit = ["mail.thread"]
    _order = "warehouse_id, location_id, id"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True, readonly=False)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, index=True, default=lambda self: self.env.company
    )
    warehouse_id = fields.Many2one("stock.warehouse", required=True, check_company=True, tracking=True)
    location_id = fields.Many2one(
        "stock.location",
        check_company=True,
        tracking=True,
        domain="[('usage', '=', 'internal'), ('warehouse_id', '=', warehouse_id)]",
        help="Inspect only the stock in this location and below; empty: every internal location of the "
        "warehouse. Quarantine locations are never inspected: their stock is already set aside.",
    )
    frequency = fields.Selection(FREQUENCIES, required=True, default="monthly", tracking=True)
    inspector_ids = fields.Many2many(
        "res.users",
        string="Inspectors",
        domain="[('share', '=', False), ('company_ids', 'in', company_id)]",
        help="Who may record the inspection (养护员). Empty: any inventory user of the company. Expiry "
        "managers may always.",
    )
    manager_id = fields.Many2one(
        "res.users",
        string="Warehouse Manager",
        domain="[('share', '=', False), ('company_ids', 'in', company_id)]",
        tracking=True,
        help="Alerted when an inspection of this plan is overdue. Empty: the inventory administrators of "
        "the company.",
    )
    inspection_ids = fields.One2many("medical.stock.inspection", "plan_id", string="Inspections")
    next_due_date = fields.Date(
        compute="_compute_next_due_date",
        help="The last day of the first period, from today in the company's calendar, whose inspection is "
        "not closed yet.",
    )

    @api.depends("warehouse_id", "location_id", "frequency")
    def _compute_name(self):
        """The place and the frequency, in the company's language: the name is stored, and read by its
        inspectors whoever made the plan."""
        for plan in self:
            company_env = plan.with_context(lang=plan.company_id._expiry_lang()).env
            frequencies = dict(self._fields["frequency"]._description_selection(company_env))
            place = plan.location_id.display_name or plan.warehouse_id.name or ""
            plan.name = f"{place} · {frequencies.get(plan.frequency, '')}"

    @api.constrains("warehouse_id", "location_id")
    def _check_location_in_warehouse(self):
        for plan in self:
            if plan.location_id and plan.location_id.warehouse_id != plan.warehouse_id:
                raise ValidationError(
                    self.env._(
                        "%(location)s is not a location of %(warehouse)s: a plan inspects its own warehouse.",
                        location=plan.location_id.display_name,
                        warehouse=plan.warehouse_id.display_name,
                    )
                )

    @api.onchange("warehouse_id")
    def _onchange_warehouse_id(self):
        if self.warehouse_id:
            self.company_id = self.warehouse_id.company_id
        if self.location_id.warehouse_id != self.warehouse_id:
            self.location_id = False

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("warehouse_id"):
                vals["company_id"] = self.env["stock.warehouse"].browse(vals["warehouse_id"]).company_id.id
        return super().create(vals_list)

    def write(self, vals):
        if "warehouse_id" in vals and self.inspection_ids:
            raise UserError(
                self.env._(
                    "A plan that has inspections keeps its warehouse: archive it and create another plan."
                )
            )
        return super().write(vals)

    @api.depends("frequency", "inspection_ids.state", "inspection_ids.period_start")
    def _compute_next_due_date(self):
        for plan in self:
            start, end = plan._period_of(plan.company_id._expiry_today())
            closed = set(plan.inspection_ids.filtered(lambda i: i.state == "done").mapped("period_start"))
            while start in closed:
                start, end = plan._period_of(start + PERIOD_STEP[plan.frequency])
            plan.next_due_date = end

    # ------------------------------------------------------------------
    # Periods, in the company's calendar
    # ------------------------------------------------------------------
    def _period_of(self, day):
        """(first day, last day) of the plan's period holding ``day``: a week from Monday, a month, a
        calendar quarter."""
        self.ensure_one()
        granularity = PERIOD_GRANULARITY[self.frequency]
        return date_utils.start_of(day, granularity), date_utils.end_of(day, granularity)

    def _inspection_root(self):
        """The location whose internal stock the plan inspects."""
        self.ensure_one()
        return self.location_id or self.warehouse_id.view_location_id

    # ------------------------------------------------------------------
    # The daily job
    # ------------------------------------------------------------------
    @api.model
    def _cron_stock_inspections(self):
        """Daily: the inspection of the current period of every active plan (once), then the overdue
        alerts. Idempotent: a plan never gets two inspections for one period."""
        self.search([("active", "=", True)])._create_due_inspections()
        self.env["medical.stock.inspection"]._cron_overdue_alerts()

    def _create_due_inspections(self):
        """The inspection of the current period of each plan that has none yet, prefilled; returns them."""
        Inspection = self.env["medical.stock.inspection"]
        created = Inspection
        for plan in self:
            start, end = plan._period_of(plan.company_id._expiry_today())
            existing = Inspection.sudo().search_count(
                [("plan_id", "=", plan.id), ("period_start", "=", start)], limit=1
            )
            if not existing:
                created |= Inspection._create_for_period(plan, start, end)
        return created

    def action_create_due_inspection(self):
        """Managers start the current period's inspection now rather than waiting for the night."""
        self.ensure_one()
        self.env["res.users"]._check_expiry_manager(self.env._("Create the Due Stock Inspection"))
        self._create_due_inspections()
        start, _end = self._period_of(self.company_id._expiry_today())
        return self.inspection_ids.filtered(lambda i: i.period_start == start)._action_open()
