from odoo import api, fields, models
from odoo.exceptions import UserError

from .stock_lot_expiry_level import EXPIRY_STATES

APPEARANCES = [("ok", "Intact"), ("damaged", "Damaged")]
EXPIRY_CHECKS = [("confirmed", "Matches the Label"), ("mismatch", "Does Not Match")]
LINE_ACTIONS = [
    ("none", "No Action"),
    ("quarantine", "Move to Quarantine"),
    ("nonconforming", "Report Non-Conforming"),
]
# What the inspector records on a line; everything else is the stock found when the inspection was made.
INSPECTOR_FIELDS = frozenset({"appearance", "expiry_check", "action", "note"})


class MedicalStockInspectionLine(models.Model):
    """One lot in one location, as the inspection found it, and what the inspector recorded about it."""

    _name = "medical.stock.inspection.line"
    _description = "Stock Inspection Line"
    _order = "inspection_id, expiration_date, location_id, id"

    inspection_id = fields.Many2one(
        "medical.stock.inspection", required=True, readonly=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="inspection_id.company_id", store=True, index=True)
    state = fields.Selection(related="inspection_id.state")
    lot_id = fields.Many2one("stock.lot", string="Lot/Serial Number", required=True, readonly=True)
    product_id = fields.Many2one("product.product", required=True, readonly=True)
    device_specification = fields.Char(related="product_id.device_specification")
    location_id = fields.Many2one("stock.location", required=True, readonly=True)
    quantity = fields.Float(readonly=True, digits="Product Unit of Measure", help="On hand when prefilled.")
    product_uom_id = fields.Many2one(related="product_id.uom_id", string="Unit")
    expiration_date = fields.Date(readonly=True, help="有效期至, in the company's calendar.")
    days_to_expiry = fields.Integer(readonly=True, help="Days left when the inspection was made.")
    expiry_state = fields.Selection(EXPIRY_STATES, readonly=True)
    expiry_rule_id = fields.Many2one(
        "medical.expiry.rule",
        string="Level",
        readonly=True,
        help="The lot's level when the inspection was made.",
    )
    appearance = fields.Selection(APPEARANCES, string="Appearance / Packaging")
    expiry_check = fields.Selection(
        EXPIRY_CHECKS,
        string="Expiry Date",
        help="Whether the expiry date printed on the goods is the one on file.",
    )
    action = fields.Selection(LINE_ACTIONS, required=True, default="none")
    note = fields.Char()
    is_checked = fields.Boolean(string="Checked", compute="_compute_is_checked", store=True)
    checked_by_id = fields.Many2one("res.users", readonly=True)
    checked_date = fields.Datetime(string="Checked On", readonly=True)

    @api.depends("appearance", "expiry_check")
    def _compute_is_checked(self):
        for line in self:
            line.is_checked = bool(line.appearance and line.expiry_check)

    @api.depends("lot_id", "location_id")
    def _compute_display_name(self):
        for line in self:
            line.display_name = self.env._(
                "%(product)s, lot %(lot)s in %(location)s",
                product=line.product_id.display_name,
                lot=line.lot_id.name,
                location=line.location_id.complete_name,
            )

    def _level_label(self):
        """The level the lot was in, as documents print it: its near-expiry level, else its expiry state."""
        if self.expiry_state == "near_expiry" and self.expiry_rule_id:
            return self.expiry_rule_id.name
        return dict(self._fields["expiry_state"]._description_selection(self.env)).get(self.expiry_state)

    # ------------------------------------------------------------------
    # Made by the inspection; the inspector records, nobody else writes
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            raise UserError(
                self.env._(
                    "The lines of a stock inspection are the stock on hand when it was made: none is added."
                )
            )
        return super().create(vals_list)

    def write(self, vals):
        if self.env.su:
            return super().write(vals)
        found = set(vals) - INSPECTOR_FIELDS
        if found:
            raise UserError(
                self.env._(
                    "What a stock inspection found (%(fields)s) cannot be changed: the inspector records "
                    "appearance, expiry date, action and note only.",
                    fields=", ".join(
                        sorted(self._fields[name]._description_string(self.env) for name in found)
                    ),
                )
            )
        self.inspection_id._check_state("in_progress")
        self.inspection_id._check_inspector()
        self.check_access("write")
        return super(MedicalStockInspectionLine, self.sudo()).write(
            {**vals, "checked_by_id": self.env.uid, "checked_date": fields.Datetime.now()}
        )

    # ------------------------------------------------------------------
    # What stops the close
    # ------------------------------------------------------------------
    def _close_problems(self):
        """Why these lines do not let their inspection close: messages, none when they do."""
        problems = []
        for line in self:
            if not line.is_checked:
                problems.append(self.env._("%s: not checked yet.", line.display_name))
            elif line.action == "none" and (line.appearance == "damaged" or line.expiry_check == "mismatch"):
                problems.append(
                    self.env._(
                        "%s: damaged packaging or an expiry date that does not match needs an action "
                        "(move to quarantine or report non-conforming).",
                        line.display_name,
                    )
                )
            elif line.action == "none" and line.lot_id.expiry_state == "expired":
                problems.append(
                    self.env._(
                        "%s: expired stock must be moved to quarantine or reported non-conforming.",
                        line.display_name,
                    )
                )
        return problems
