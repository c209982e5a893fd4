from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from .medical_signed_mixin import SignedAction
from .res_users import MANAGER_GROUP

INSPECTION_STATES = [("draft", "To Do"), ("in_progress", "In Progress"), ("done", "Closed")]
# Problems named one by one in the error refusing to close an inspection; the rest are counted.
CLOSE_ERROR_LINES = 20


class MedicalStockInspection(models.Model):
    """One period's stock inspection of a plan (在库养护 / 效期检查记录): the lots on hand when it was made,
    each checked by the inspector, closed with a signature that carries out the actions decided.

    Made only by its plan (the daily job, or a manager's Create Due Inspection); every field but the note
    is written by its own methods, after their checks. Kept as a GSP record after it is closed.
    """

    _name = "medical.stock.inspection"
    _description = "Stock Inspection"
    _inherit = [
        "mail.thread",
        "mail.activity.mixin",
        "medical.signed.mixin",
        "medical.retention.mixin",
        "medical.expiry.alert.mixin",
    ]
    _order = "period_start desc, id desc"

    def _signed_actions(self):
        return {
            "stock_inspection_close": SignedAction(
                self.env._("Close Stock Inspection"),
                self.env._("Stock Inspection Closed"),
                "_close",
                MANAGER_GROUP,
            ),
        }

    name = fields.Char(string="Reference", required=True, readonly=True, copy=False)
    plan_id = fields.Many2one(
        "medical.stock.inspection.plan", required=True, readonly=True, ondelete="restrict"
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    warehouse_id = fields.Many2one("stock.warehouse", required=True, readonly=True, index=True)
    location_id = fields.Many2one(
        "stock.location",
        string="Inspected Location",
        readonly=True,
        help="The location inspected, with its sub-locations.",
    )
    frequency = fields.Selection(related="plan_id.frequency")
    period_start = fields.Date(required=True, readonly=True, index=True)
    period_end = fields.Date(
        string="Due Date",
        required=True,
        readonly=True,
        help="The last day of the period: closed after it, the inspection is overdue.",
    )
    state = fields.Selection(
        INSPECTION_STATES,
        required=True,
        default="draft",
        readonly=True,
        copy=False,
        tracking=True,
        index=True,
    )
    user_id = fields.Many2one("res.users", string="Inspector", readonly=True, tracking=True)
    date_start = fields.Datetime(string="Started On", readonly=True)
    date_done = fields.Datetime(string="Closed On", readonly=True)
    closed_by_id = fields.Many2one("res.users", readonly=True)
    close_signature_id = fields.Many2one(
        "medical.signature", string="Closing Signature", readonly=True, ondelete="restrict"
    )
    line_ids = fields.One2many("medical.stock.inspection.line", "inspection_id", string="Lots Inspected")
    quarantine_picking_ids = fields.Many2many(
        "stock.picking", string="Quarantine Transfers", readonly=True, copy=False
    )
    note = fields.Html(help="The inspector's notes: storage conditions, temperature and humidity, findings.")
    line_count = fields.Integer(compute="_compute_counts")
    checked_count = fields.Integer(compute="_compute_counts")
    near_expiry_count = fields.Integer(compute="_compute_counts")
    is_overdue = fields.Boolean(string="Overdue", compute="_compute_is_overdue", search="_search_is_overdue")

    _sql_constraints = [
        (
            "plan_period_unique",
            "UNIQUE(plan_id, period_start)",
            "A plan has one stock inspection per period.",
        ),
    ]

    @api.depends("line_ids.is_checked", "line_ids.expiry_state")
    def _compute_counts(self):
        for inspection in self:
            lines = inspection.line_ids
            inspection.line_count = len(lines)
            inspection.checked_count = len(lines.filtered("is_checked"))
            inspection.near_expiry_count = len(
                lines.filtered(lambda line: line.expiry_state == "near_expiry")
            )

    @api.depends("state", "period_end", "company_id")
    def _compute_is_overdue(self):
        for inspection in self:
            inspection.is_overdue = inspection._is_overdue()

    def _is_overdue(self):
        return self.state != "done" and self.period_end < self.company_id._expiry_today()

    def _search_is_overdue(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Search overdue inspections with “is set” or “is not set”."))
        overdue = [("state", "!=", "done"), ("period_end", "<", self.env.company._expiry_today())]
        return overdue if (operator == "=") == value else ["!", "&", *overdue]

    # ------------------------------------------------------------------
    # Fields that carry control: written by the methods below only
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            raise UserError(
                self.env._(
                    "Stock inspections are made by their plan, one per period: by the daily job, or with "
                    "Create Due Inspection on the plan."
                )
            )
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su:
            self._check_user_write(vals)
        return super().write(vals)

    def _check_user_write(self, vals):
        """Users write the note, and the lines through what the inspector records on them (each line
        checks it): nothing else, and no line added or removed."""
        refused = set(vals) - {"note", "line_ids"}
        if any(command[0] != fields.Command.UPDATE for command in vals.get("line_ids", [])):
            refused.add("line_ids")
        if refused:
            raise UserError(
                self.env._(
                    "A stock inspection changes only through its Start and Close actions, its lines only "
                    "through what the inspector records: %(fields)s cannot be written directly.",
                    fields=", ".join(
                        sorted(self._fields[name]._description_string(self.env) for name in refused)
                    ),
                )
            )
        if "note" in vals:
            self._check_state("draft", "in_progress")

    @api.ondelete(at_uninstall=False)
    def _unlink_except_under_way(self):
        """An inspection under way holds what the inspector recorded; a closed one is a GSP record, kept
        as long as the retention of its lots (``_retention_ends``)."""
        if any(inspection.state == "in_progress" for inspection in self):
            raise UserError(self.env._("A stock inspection under way cannot be deleted."))

    def _retention_ends(self):
        """A closed inspection is kept as long as the longest kept of its lots' records, counted from its
        closing for lots without an expiry."""
        ends = {}
        for inspection in self.filtered(lambda inspection: inspection.state == "done"):
            since = inspection.company_id._expiry_date_of(inspection.date_done)
            line_ends = [
                self._retention_end_of(line.product_id, line.expiration_date, since)
                for line in inspection.line_ids
            ]
            if any(line_ends):
                ends[inspection] = max(end for end in line_ends if end)
        return ends

    # ------------------------------------------------------------------
    # Made by the plan, prefilled with the lots on hand
    # ------------------------------------------------------------------
    @api.model
    def _create_for_period(self, plan, start, end):
        """The inspection of ``plan`` for the period from ``start`` to ``end``, with one line per lot and
        location of the expiry-dated stock on hand, and the level each lot is in."""
        company = plan.company_id
        inspection = self.sudo().create(
            {
                "name": self.env["ir.sequence"]
                .with_company(company)
                .next_by_code("medical.stock.inspection"),
                "plan_id": plan.id,
                "company_id": company.id,
                "warehouse_id": plan.warehouse_id.id,
                "location_id": plan.location_id.id,
                "period_start": start,
                "period_end": end,
            }
        )
        inspection._prefill_lines()
        return self.browse(inspection.ids)

    def _prefill_lines(self):
        self.ensure_one()
        stock = (
            self.env["stock.quant"]
            .sudo()
            ._read_group(
                [
                    ("location_id", "child_of", self.plan_id._inspection_root().id),
                    ("location_id.usage", "=", "internal"),
                    ("location_id.is_quarantine", "=", False),
                    ("lot_id.expiration_date", "!=", False),
                    ("company_id", "=", self.company_id.id),
                ],
                ["lot_id", "location_id"],
                ["quantity:sum"],
                having=[("quantity:sum", ">", 0)],
            )
        )
        company = self.company_id
        self.env["medical.stock.inspection.line"].sudo().create(
            [
                {
                    "inspection_id": self.id,
                    "lot_id": lot.id,
                    "product_id": lot.product_id.id,
                    "location_id": location.id,
                    "quantity": quantity,
                    "expiration_date": company._expiry_date_of(lot.expiration_date),
                    "days_to_expiry": lot.days_to_expiry,
                    "expiry_state": lot.expiry_state,
                    "expiry_rule_id": lot.expiry_rule_id.id,
                }
                for lot, location, quantity in sorted(
                    stock, key=lambda group: (group[0].expiration_date, group[1].complete_name, group[0].name)
                )
            ]
        )

    # ------------------------------------------------------------------
    # Start, record, close
    # ------------------------------------------------------------------
    def _check_state(self, *states):
        labels = dict(self._fields["state"]._description_selection(self.env))
        for inspection in self:
            if inspection.state not in states:
                raise UserError(
                    self.env._(
                        "Stock inspection %(inspection)s is %(state)s: this needs it to be %(needed)s.",
                        inspection=inspection.name,
                        state=labels[inspection.state],
                        needed=" / ".join(labels[state] for state in states),
                    )
                )

    def _check_inspector(self):
        """Refuse whoever may not inspect: the plan's inspectors, else any inventory user of the company;
        expiry managers always may."""
        user = self.env.user
        if self.env.su or user.has_group(MANAGER_GROUP):
            return
        for inspection in self:
            inspectors = inspection.sudo().plan_id.inspector_ids
            if user in inspectors if inspectors else user.has_group("stock.group_stock_user"):
                continue
            raise AccessError(
                self.env._(
                    "%(user)s is not an inspector of %(plan)s: the plan names who inspects.",
                    user=user.name,
                    plan=inspection.sudo().plan_id.display_name,
                )
            )

    def action_start(self):
        """The inspector takes the inspection: its lines may be recorded."""
        self._check_state("draft")
        self._check_inspector()
        self.sudo().write(
            {"state": "in_progress", "user_id": self.env.uid, "date_start": fields.Datetime.now()}
        )

    def action_close(self):
        self._check_closable()
        return self._action_request_signature("stock_inspection_close")

    def _check_closable(self):
        self._check_state("in_progress")
        for inspection in self:
            problems = inspection.line_ids._close_problems()
            if problems:
                if len(problems) > CLOSE_ERROR_LINES:
                    problems = problems[:CLOSE_ERROR_LINES] + [
                        self.env._("… and %s more", len(problems) - CLOSE_ERROR_LINES)
                    ]
                raise UserError(
                    self.env._(
                        "Stock inspection %(inspection)s cannot be closed yet:\n%(problems)s",
                        inspection=inspection.name,
                        problems="\n".join(f"• {problem}" for problem in problems),
                    )
                )

    def _close(self):
        """The signed close: the lines' actions are carried out (stock to quarantine, non-conforming goods
        reported), the inspection is closed and logged, and its overdue alert, if any, is closed."""
        self._check_closable()
        signature = self._spend_signature("stock_inspection_close")
        now = fields.Datetime.now()
        for inspection in self:
            lines = inspection.line_ids
            pickings = inspection._move_to_quarantine(
                lines.filtered(lambda line: line.action == "quarantine")
            )
            inspection._report_nonconforming_lines(
                lines.filtered(lambda line: line.action == "nonconforming")
            )
            inspection.sudo().write(
                {
                    "state": "done",
                    "date_done": now,
                    "closed_by_id": self.env.uid,
                    "close_signature_id": signature.id,
                    "quarantine_picking_ids": [fields.Command.set(pickings.ids)],
                }
            )
        self._log_signed_action(
            "stock_inspection_close",
            signature,
            old_values={inspection.id: {"state": "in_progress"} for inspection in self},
            new_values={inspection.id: inspection._audit_summary() for inspection in self},
        )
        self.sudo()._sync_expiry_alerts()

    def _audit_summary(self):
        actions = defaultdict(list)
        for line in self.line_ids:
            actions[line.action].append(f"{line.lot_id.name} @ {line.location_id.complete_name}")
        return {
            "state": self.state,
            "lines": len(self.line_ids),
            "quarantine": actions["quarantine"],
            "nonconforming": actions["nonconforming"],
            "transfers": self.quarantine_picking_ids.mapped("name"),
        }

    def _move_to_quarantine(self, lines):
        """One internal transfer taking the free stock of ``lines`` to the warehouse's quarantine, reserved
        on exactly their lots (as a recall's quarantine transfers are), for the warehouse to carry out.

        Stock reserved by open deliveries stays: the outbound guard refuses what may not leave.
        """
        self.ensure_one()
        Picking = self.env["stock.picking"].sudo()
        if not lines:
            return Picking
        logistics = self.env["medical.recall.logistics"].sudo()
        wanted = {(line.lot_id.id, line.location_id.id) for line in lines}
        by_move = defaultdict(list)
        for (lot_id, location_id, package_id, owner_id), quantity in logistics._get_free_quantities(
            lines
        ).items():
            if (lot_id, location_id) in wanted:
                lot = lines.lot_id.browse(lot_id)
                by_move[lot.product_id, location_id].append(
                    {"lot_id": lot_id, "package_id": package_id, "owner_id": owner_id, "quantity": quantity}
                )
        if not by_move:
            return Picking
        warehouse = self.warehouse_id.sudo()
        picking = Picking.create(
            {
                "picking_type_id": warehouse.int_type_id.id,
                "location_id": warehouse.lot_stock_id.id,
                "location_dest_id": warehouse._get_quarantine_location().id,
                "origin": self.name,
                "company_id": self.company_id.id,
            }
        )
        for (product, location_id), move_lines in by_move.items():
            move = logistics._create_move(
                picking,
                product,
                sum(line["quantity"] for line in move_lines),
                location_id=location_id,
                name=self.name,
                origin=self.name,
            )
            logistics._create_move_lines(move, move_lines)
        picking.move_ids._action_confirm(merge=False)
        return picking

    def _report_nonconforming_lines(self, lines):
        """Report the lots of ``lines`` to the non-conforming goods register (不合格品), which takes their
        free stock to the warehouse's red zone."""
        self.ensure_one()
        if not lines:
            return self.env["medical.nonconforming"]
        return self.env["medical.nonconforming"]._report_goods(
            [
                {
                    "reason": "failed_inspection",
                    "lot_id": line.lot_id.id,
                    "location_id": line.location_id.id,
                    "origin": self.name,
                    "note": line.note or False,
                }
                for line in lines
            ],
            skip_unavailable=True,
        )

    # ------------------------------------------------------------------
    # Views and reports
    # ------------------------------------------------------------------
    def _action_open(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Stock Inspection"),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
        }

    def action_view_audit_log(self):
        return self.env["medical.audit.log"]._action_view_for(self)
