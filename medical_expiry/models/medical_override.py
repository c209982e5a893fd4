from odoo import api, fields, models
from odoo.exceptions import UserError

# The refusals a manager may override, each granted on the document its check looks at.
RETURN_OVERRIDE = "customer_return"  # a customer return above what was delivered, on its transfer
QUALIFICATION_OVERRIDE = "qualification"  # a lapsed qualification, on the order or transfer it stops


class MedicalOverride(models.Model):
    """A manager's override of one refusal on one document, kept until the document's action is done.

    Stored on the document rather than for one request: Odoo's backorder wizard and product_expiry's
    expired-lot confirmation interrupt a validation, and the request that finally validates must still
    find it. Rows are only written by ``_grant`` (an expiry manager, audit-logged; a grant replaces the
    one still pending), ``_withdraw`` (an expiry manager, audit-logged) and ``_spend``; no user may create,
    write or delete them otherwise (access rights), and no context key grants one.
    """

    _name = "medical.override"
    _description = "Manager Override"
    _order = "granted_at desc, id desc"
    _rec_name = "kind"

    res_model = fields.Char(string="Document Model", required=True, readonly=True, index=True)
    res_id = fields.Many2oneReference(
        string="Document ID", model_field="res_model", required=True, readonly=True, index=True
    )
    kind = fields.Selection(
        [
            (RETURN_OVERRIDE, "Customer return above what was delivered"),
            (QUALIFICATION_OVERRIDE, "Lapsed or missing qualification"),
        ],
        required=True,
        readonly=True,
    )
    reason = fields.Text(required=True, readonly=True)
    user_id = fields.Many2one("res.users", string="Granted By", required=True, readonly=True)
    granted_at = fields.Datetime(required=True, readonly=True)
    spent_at = fields.Datetime(
        readonly=True, help="When the document's action was done with this override; empty while pending."
    )
    replaced_by_id = fields.Many2one(
        "medical.override",
        readonly=True,
        help="The override granted again on the same document and refusal while this one was pending.",
    )
    withdrawn_by_id = fields.Many2one("res.users", readonly=True)
    withdrawn_at = fields.Datetime(readonly=True)
    withdraw_reason = fields.Text(string="Reason for Withdrawal", readonly=True)
    state = fields.Selection(
        [("pending", "Pending"), ("spent", "Spent"), ("replaced", "Replaced"), ("withdrawn", "Withdrawn")],
        compute="_compute_state",
        store=True,
        index=True,
        help="Pending until the document's action is done with it (spent), a manager grants it again "
        "(replaced) or withdraws it: only a pending override lets the document past its check.",
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)

    @api.depends("spent_at", "replaced_by_id", "withdrawn_at")
    def _compute_state(self):
        for override in self:
            override.state = (
                "withdrawn"
                if override.withdrawn_at
                else "replaced"
                if override.replaced_by_id
                else "spent"
                if override.spent_at
                else "pending"
            )

    @api.model
    def _kind_texts(self, kind):
        """(what a non-manager is refused, what a blank reason is told) for each kind of override."""
        return {
            RETURN_OVERRIDE: (
                self.env._("Accept a Refused Customer Return"),
                self.env._("Say why this return is accepted."),
            ),
            QUALIFICATION_OVERRIDE: (
                self.env._("Override a Qualification Check"),
                self.env._("Say why the qualification check is overridden."),
            ),
        }[kind]

    @api.model
    def _check_may_grant(self, kind):
        """Only an expiry manager overrides a refusal."""
        self.env["res.users"]._check_expiry_manager(self._kind_texts(kind)[0])

    @api.model
    def _grant(self, document, kind, reason):
        """Let ``document`` past its ``kind`` check for ``reason`` until its action is done.

        Only an expiry manager grants, giving a reason; the grant is audit-logged on the document and
        replaces an earlier one still pending.
        """
        document.ensure_one()
        self._check_may_grant(kind)
        reason = (reason or "").strip()
        if not reason:
            raise UserError(self._kind_texts(kind)[1])
        now = fields.Datetime.now()
        replaced = self._pending(document, kind)
        override = self.sudo().create(
            {
                "res_model": document._name,
                "res_id": document.id,
                "kind": kind,
                "reason": reason,
                "user_id": self.env.uid,
                "granted_at": now,
                "company_id": self.env["medical.audit.log"]._company_of(document).id,
            }
        )
        replaced.write({"replaced_by_id": override.id})
        self.env["medical.audit.log"]._log(
            document, "override_grant", new_values={document.id: {"override": kind}}, reason=reason
        )
        return override

    @api.model
    def _pending(self, documents, kind):
        """The overrides of ``kind`` granted on ``documents`` and not spent yet (read for any caller: the
        guard holds for a user who may not read overrides), as superuser."""
        return self.sudo().search(
            [
                ("res_model", "=", documents._name),
                ("res_id", "in", documents.ids),
                ("kind", "=", kind),
                ("state", "=", "pending"),
            ]
        )

    @api.model
    def _reason_of(self, documents, kind):
        """The reason ``kind`` is overridden on each of ``documents`` (and not one of them), else None."""
        if not documents:
            return None
        pending = self._pending(documents, kind)
        reasons = {document.id: None for document in documents}
        for override in pending:
            reasons[override.res_id] = override.reason
        distinct = set(reasons.values())
        return distinct.pop() if len(distinct) == 1 and None not in distinct else None

    @api.model
    def _spend(self, documents):
        """The action of ``documents`` is done: their pending overrides served it and hold no longer."""
        pending = self.sudo().search(
            [("res_model", "=", documents._name), ("res_id", "in", documents.ids), ("state", "=", "pending")]
        )
        pending.write({"spent_at": fields.Datetime.now()})

    def action_withdraw(self):
        """Expiry managers withdraw a pending override, giving a reason (logged)."""
        self.ensure_one()
        self._check_withdrawable()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Withdraw Override"),
            "res_model": "medical.override.withdraw.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_override_id": self.id},
        }

    def _check_withdrawable(self):
        self.env["res.users"]._check_expiry_manager(self.env._("Withdraw a Manager Override"))
        self.check_access("read")
        if self.state != "pending":
            labels = dict(self._fields["state"]._description_selection(self.env))
            raise UserError(
                self.env._(
                    "This override is %(state)s: only a pending override can be withdrawn.",
                    state=labels[self.state],
                )
            )

    def _withdraw(self, reason):
        """Take back this pending override for ``reason``: its document is refused again, as before the
        grant. Only an expiry manager withdraws; the withdrawal is audit-logged on the document."""
        self.ensure_one()
        self._check_withdrawable()
        reason = (reason or "").strip()
        if not reason:
            raise UserError(self.env._("Say why the override is withdrawn."))
        self.sudo().write(
            {
                "withdrawn_by_id": self.env.uid,
                "withdrawn_at": fields.Datetime.now(),
                "withdraw_reason": reason,
            }
        )
        document = self.env[self.res_model].browse(self.res_id)
        self.env["medical.audit.log"]._log(
            document, "override_withdraw", old_values={document.id: {"override": self.kind}}, reason=reason
        )
        return True


class MedicalAuditLog(models.Model):
    _inherit = "medical.audit.log"

    @api.model
    def _selection_action(self):
        return [
            *super()._selection_action(),
            ("override_grant", self.env._("Override Granted")),
            ("override_withdraw", self.env._("Override Withdrawn")),
        ]
