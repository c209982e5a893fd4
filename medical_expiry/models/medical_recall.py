from datetime import timedelta

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_datetime

from .context_keys import AUDIT_REASON
from .medical_signed_mixin import SignedAction
from .res_users import COMPLIANCE_GROUP, MANAGER_GROUP

RECALL_CLASSES = [
    ("class_1", "Class I Recall"),
    ("class_2", "Class II Recall"),
    ("class_3", "Class III Recall"),
]
RECALL_SOURCES = [
    ("manufacturer", "Manufacturer Notice"),
    ("regulator", "Regulator Notice"),
    ("internal", "Internal Quality Finding"),
]
RECALL_STATES = [
    ("draft", "Draft"),
    ("in_progress", "In Progress"),
    ("closed", "Closed"),
    ("cancelled", "Cancelled"),
]
# Open lines named one by one in the error refusing to close a recall; the rest are counted.
CLOSE_ERROR_LINES = 20
# Written by the confirmation only.
CONFIRMATION_FIELDS = {"date_open", "confirm_user_id", "confirm_signature_id"}
# Who may open a recall: expiry managers and compliance officers alike (see the access rules).
RECALL_OPENERS = f"{MANAGER_GROUP},{COMPLIANCE_GROUP}"


class MedicalRecall(models.Model):
    """A recall of medical-device lots (医疗器械召回): every affected unit traced, blocked, notified and
    recovered.

    Confirming it is signed, and traces the lots once more, blocks them, takes their stock to quarantine,
    prepares one notice and one return per customer and the return to the supplier; closing it is signed
    and needs every traced unit resolved. The recall keeps its fields, states and actions; where the units
    are is ``medical.recall.trace``, the transfers that bring them back ``medical.recall.logistics``, what
    came back ``medical.recall.progress``.
    """

    _name = "medical.recall"
    _description = "Medical Device Recall"
    _inherit = ["mail.thread", "mail.activity.mixin", "medical.signed.mixin"]
    _order = "id desc"

    def _signed_actions(self):
        return {
            "recall_confirm": SignedAction(
                self.env._("Confirm Recall"),
                self.env._("Recall Confirmed"),
                "_confirm",
                RECALL_OPENERS,
            ),
            "recall_close": SignedAction(
                self.env._("Close Recall"),
                self.env._("Recall Closed"),
                "_close",
                COMPLIANCE_GROUP,
            ),
        }

    name = fields.Char(string="Reference", required=True, readonly=True, copy=False, default="/")
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    state = fields.Selection(
        RECALL_STATES, required=True, default="draft", readonly=True, copy=False, tracking=True
    )
    recall_class = fields.Selection(
        RECALL_CLASSES,
        required=True,
        tracking=True,
        help="Class I: use may cause or has caused serious harm to health; class II: temporary or "
        "reversible harm; class III: harm unlikely, recalled all the same. The class sets the notice "
        "deadline.",
    )
    source = fields.Selection(RECALL_SOURCES, required=True, default="manufacturer", tracking=True)
    reason = fields.Text(required=True, help="Why the lots are recalled, as the customers will read it.")
    user_id = fields.Many2one(
        "res.users", string="Responsible", default=lambda self: self.env.user, tracking=True
    )
    lot_ids = fields.Many2many(
        "stock.lot",
        "medical_recall_stock_lot_rel",
        "recall_id",
        "lot_id",
        string="Recalled Lots",
        check_company=True,
    )
    product_ids = fields.Many2many("product.product", string="Products", compute="_compute_product_ids")
    date_open = fields.Datetime(string="Opened On", readonly=True, copy=False, tracking=True)
    confirm_user_id = fields.Many2one(
        "res.users",
        string="Confirmed By",
        readonly=True,
        copy=False,
        help="Who confirmed the recall: the recall's returns to the supplier are approved in the "
        "non-conforming goods register in their name.",
    )
    confirm_signature_id = fields.Many2one(
        "medical.signature",
        string="Confirmation Signature",
        readonly=True,
        copy=False,
        help="The recall's returns to the supplier are approved in the non-conforming goods register "
        "under this signature.",
    )
    notice_deadline = fields.Datetime(
        compute="_compute_notice_deadline",
        store=True,
        help="Every customer must be notified by then: 1, 3 or 7 days after the opening for a class I, II or "
        "III recall (set per company).",
    )
    date_closed = fields.Datetime(string="Closed On", readonly=True, copy=False)
    close_signature_id = fields.Many2one(
        "medical.signature", string="Closing Signature", readonly=True, copy=False
    )
    line_ids = fields.One2many("medical.recall.line", "recall_id", string="Affected Units", readonly=True)
    notice_ids = fields.One2many(
        "medical.recall.notice", "recall_id", string="Customer Notices", readonly=True
    )
    picking_ids = fields.One2many("stock.picking", "recall_id", string="Transfers", readonly=True)
    recovery_baseline = fields.Json(
        readonly=True,
        copy=False,
        help="What had already come back (from customers, to quarantine) when the lots were traced: "
        "progress counts what came back since.",
    )
    line_count = fields.Integer(compute="_compute_counts")
    picking_count = fields.Integer(compute="_compute_counts")
    notice_count = fields.Integer(compute="_compute_counts")

    @api.depends("lot_ids")
    def _compute_product_ids(self):
        for recall in self:
            recall.product_ids = recall.lot_ids.product_id

    @api.depends("date_open", "recall_class")
    def _compute_notice_deadline(self):
        # Fixed at the opening: a later change of the company's delays does not move open recalls.
        for recall in self:
            days = recall.recall_class and recall.company_id._recall_notice_days(recall.recall_class)
            recall.notice_deadline = recall.date_open and recall.date_open + timedelta(days=days or 0)

    @api.depends("line_ids", "picking_ids", "notice_ids")
    def _compute_counts(self):
        lines = dict(
            self.env["medical.recall.line"]._read_group(
                [("recall_id", "in", self._origin.ids)], ["recall_id"], ["__count"]
            )
        )
        for recall in self:
            recall.line_count = lines.get(recall._origin, 0)
            recall.picking_count = len(recall.picking_ids)
            recall.notice_count = len(recall.notice_ids)

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                company = self.env["res.company"].browse(vals.get("company_id")) or self.env.company
                vals["name"] = self.env["ir.sequence"].with_company(company).next_by_code("medical.recall")
        return super().create(vals_list)

    def write(self, vals):
        # Who confirmed the recall, and when, approve its returns to the supplier in the register.
        refused = set(vals) & CONFIRMATION_FIELDS
        if refused and not self.env.su:
            raise UserError(
                self.env._(
                    "%(fields)s are set by confirming the recall and cannot be written directly.",
                    fields=", ".join(
                        sorted(self._fields[name]._description_string(self.env) for name in refused)
                    ),
                )
            )
        return super().write(vals)

    # ------------------------------------------------------------------
    # Opening, from the wizard
    # ------------------------------------------------------------------
    @api.model
    def _get_product_lots(self, product, date_from=False, date_to=False, date_field="expiration_date"):
        """The lots of ``product`` whose ``date_field`` (expiration or creation date) falls in the range."""
        domain = [("product_id", "=", product.id)]
        if date_from:
            domain.append((date_field, ">=", fields.Datetime.to_datetime(date_from)))
        if date_to:
            domain.append((date_field, "<", fields.Datetime.to_datetime(date_to) + timedelta(days=1)))
        return self.env["stock.lot"].search(domain)

    @api.model
    def _create_product_recall(
        self, vals, product, date_from=False, date_to=False, date_field="expiration_date"
    ):
        """A draft recall of the lots of ``product`` in the date range (see ``_get_product_lots``), traced."""
        if not product:
            raise UserError(self.env._("Choose the product to recall."))
        lots = self._get_product_lots(product, date_from, date_to, date_field)
        if not lots:
            raise UserError(
                self.env._(
                    "A recall needs at least one lot: no lot of %(product)s matches the range.",
                    product=product.display_name,
                )
            )
        return self._create_recall(vals, lots)

    @api.model
    def _create_recall(self, vals, lots):
        """A draft recall of ``lots``, traced: what the recall wizard makes."""
        if not lots:
            raise UserError(self.env._("A recall needs at least one lot: select the lots to recall."))
        recall = self.create({**vals, "lot_ids": [Command.set(lots.ids)]})
        recall._trace()
        return recall

    # ------------------------------------------------------------------
    # Trace
    # ------------------------------------------------------------------
    def action_trace(self):
        for recall in self:
            recall._check_state("draft")
            recall._trace()

    def _trace(self):
        """Replace the recall's lines by what the trace finds now, and note what had come back until now."""
        self.ensure_one()
        self._check_has_lots()
        self.line_ids.unlink()
        units = self.env["medical.recall.trace"]._trace_units(self.lot_ids)
        self.env["medical.recall.line"]._create_traced([{**vals, "recall_id": self.id} for vals in units])
        self.recovery_baseline = self.env["medical.recall.progress"]._get_recovery_baseline(self)

    # ------------------------------------------------------------------
    # Confirmation: block, unreserve, quarantine, notify, recover
    # ------------------------------------------------------------------
    def action_confirm(self):
        self._check_confirmable()
        return self._action_request_signature("recall_confirm")

    def _check_confirmable(self):
        for recall in self:
            recall._check_state("draft")
            recall._check_has_lots()
        self.check_access("write")

    def _confirm(self):
        """Open draft recalls; who may open one signs it, and the confirmation is logged."""
        self._check_confirmable()
        signature = self._spend_signature("recall_confirm")
        for recall in self:
            recall.sudo().write(
                {
                    "date_open": fields.Datetime.now(),
                    "confirm_user_id": self.env.uid,
                    "confirm_signature_id": signature.id,
                }
            )
            recall._trace()
            recall._set_state("in_progress")
            # Recalls are opened by compliance officers as well as expiry managers: the recall blocks its
            # lots, and moves their stock, on their behalf (each step is logged under their name).
            company_env = recall.with_context(lang=recall.company_id._expiry_lang()).env
            recall.lot_ids.sudo()._block(
                "recall",
                company_env._("Recall %(recall)s: %(reason)s", recall=recall.name, reason=recall.reason),
            )
            recall = recall.sudo()
            self.env["medical.recall.notice"].sudo()._create_for_customers(recall)
            self.env["medical.recall.logistics"].sudo()._create_recovery_transfers(recall)
            self.env["medical.nonconforming"].sudo()._register_quarantined_stock(recall)
            recall._refresh_progress()
            recall.sudo(False)._schedule_notice_activity()
        self._log_signed_action(
            "recall_confirm",
            signature,
            old_values={recall.id: {"state": "draft"} for recall in self},
            new_values={recall.id: recall._audit_summary() for recall in self},
        )

    def _schedule_notice_activity(self):
        if not self.notice_ids:
            return
        user = self.user_id or self.env.user
        reader_env = self.with_context(lang=self.company_id._expiry_lang(user)).env
        self.activity_schedule(
            "mail.mail_activity_data_todo",
            date_deadline=fields.Date.context_today(self, self.notice_deadline),
            summary=reader_env._("Notify every customer of recall %s", self.name),
            user_id=user.id,
        )

    # ------------------------------------------------------------------
    # Progress
    # ------------------------------------------------------------------
    def action_refresh_progress(self):
        self._refresh_progress()

    @api.model
    def _refresh_progress_of_lots(self, lots):
        """Recount the open recalls of ``lots``, after stock of theirs moved."""
        if lots:
            self.sudo().search(
                [("state", "=", "in_progress"), ("lot_ids", "in", lots.ids)]
            )._refresh_progress()

    def _refresh_progress(self):
        """Recount what came back of the open recalls' units since their lots were traced."""
        self.env["medical.recall.progress"]._match_recovered_quantities(self)

    # ------------------------------------------------------------------
    # Notices
    # ------------------------------------------------------------------
    def action_send_notices(self):
        self.ensure_one()
        self.notice_ids.filtered(lambda notice: notice.state == "to_send")._send()

    # ------------------------------------------------------------------
    # Closing and cancelling
    # ------------------------------------------------------------------
    def action_close(self):
        self._check_closable()
        return self._action_request_signature("recall_close")

    def _close(self):
        """Close resolved recalls; a compliance officer signs it, and the closure is logged."""
        self._check_closable()
        signature = self._spend_signature("recall_close")
        old = {recall.id: {"state": recall.state} for recall in self}
        self.write(
            {"state": "closed", "date_closed": fields.Datetime.now(), "close_signature_id": signature.id}
        )
        self.activity_unlink(["mail.mail_activity_data_todo"])
        self._log_signed_action(
            "recall_close",
            signature,
            old_values=old,
            new_values={recall.id: recall._audit_summary() for recall in self},
        )

    def _audit_summary(self):
        return {
            "state": self.state,
            "shipped": self.qty_shipped,
            "recovered": self.qty_recovered,
            "quarantined": self.qty_quarantined,
            "destroyed": self.qty_destroyed,
            "written_off": self.qty_written_off,
        }

    def _check_closable(self):
        for recall in self:
            recall._check_state("in_progress")
            open_lines = recall.line_ids.filtered(lambda line: not line.is_resolved)
            if open_lines:
                details = [line._describe_open_quantity() for line in open_lines[:CLOSE_ERROR_LINES]]
                if len(open_lines) > CLOSE_ERROR_LINES:
                    details.append(self.env._("… and %s more", len(open_lines) - CLOSE_ERROR_LINES))
                raise UserError(
                    self.env._(
                        "Recall %(recall)s cannot be closed: %(count)s lines are not resolved (recovered, "
                        "destroyed or written off with a reason):\n%(lines)s",
                        recall=recall.name,
                        count=len(open_lines),
                        lines="\n".join(f"• {detail}" for detail in details),
                    )
                )

    def action_cancel(self):
        for recall in self:
            if recall.state not in ("draft", "in_progress"):
                raise UserError(self.env._("Only draft or open recalls can be cancelled."))
        self.check_access("write")
        self.sudo().picking_ids.filtered(
            lambda picking: picking.state not in ("done", "cancel")
        ).action_cancel()
        for recall in self.filtered(lambda recall: recall.state == "in_progress"):
            company_env = recall.with_context(lang=recall.company_id._expiry_lang()).env
            recall.message_post(
                body=company_env._(
                    "Recall cancelled: its lots stay blocked until an expiry manager unblocks them (signed)."
                )
            )
        self.activity_unlink(["mail.mail_activity_data_todo"])
        self._set_state("cancelled")
        self.env["medical.nonconforming"].sudo()._reopen_recall_returns(self)

    def _set_state(self, state):
        """Change the state, logged in the audit trail."""
        old = {recall.id: {"state": recall.state} for recall in self}
        self.write({"state": state})
        self.env["medical.audit.log"]._log(
            self,
            "recall_state",
            old_values=old,
            new_values=dict.fromkeys(self.ids, {"state": state}),
            reason=self.env.context.get(AUDIT_REASON),
        )

    def _check_state(self, state):
        if self.state != state:
            states = dict(self._fields["state"]._description_selection(self.env))
            raise UserError(
                self.env._(
                    "Recall %(recall)s is %(state)s: this needs it to be %(needed)s.",
                    recall=self.name,
                    state=states[self.state],
                    needed=states[state],
                )
            )

    def _check_has_lots(self):
        if not self.lot_ids:
            raise UserError(self.env._("Recall %s has no lots: add the recalled lots first.", self.name))

    # ------------------------------------------------------------------
    # Views and reports
    # ------------------------------------------------------------------
    def _get_list_action(self, name, model, domain, context=None):
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": model,
            "view_mode": "list,form",
            "domain": domain,
            "context": context or {},
        }

    def action_view_lines(self):
        self.ensure_one()
        return self._get_list_action(
            self.env._("Affected Units"),
            "medical.recall.line",
            [("recall_id", "=", self.id)],
            {"search_default_group_line_type": 1, "create": False},
        )

    def action_view_pickings(self):
        self.ensure_one()
        return self._get_list_action(
            self.env._("Recall Transfers"), "stock.picking", [("recall_id", "=", self.id)]
        )

    def action_view_notices(self):
        self.ensure_one()
        return self._get_list_action(
            self.env._("Customer Notices"),
            "medical.recall.notice",
            [("recall_id", "=", self.id)],
            {"create": False},
        )

    def action_view_audit_log(self):
        return self.env["medical.audit.log"]._action_view_for(self)

    def _format_datetime(self, value):
        """A date and time for the recall's reports, in the reader's time zone."""
        return format_datetime(self.env, value, dt_format="yyyy-MM-dd HH:mm") if value else ""
