import hashlib
import json
import logging
from datetime import timedelta

import psycopg2
import pytz

from odoo import api, fields, models
from odoo.exceptions import AccessDenied, AccessError, UserError

_logger = logging.getLogger(__name__)

SIGNATURE_MEANINGS = [
    ("review", "Review"),
    ("approval", "Approval"),
    ("execution", "Execution"),
    ("other", "Other"),
]
# The critical actions, and the groups allowed to sign them.
SIGNED_ACTIONS = {
    "lot_unblock": ("Unblock Lot", "medical_expiry.group_expiry_manager"),
    "expiry_date_change": ("Change Expiration Date", "medical_expiry.group_expiry_manager"),
    "scrap_expired": ("Scrap Expired Stock", "medical_expiry.group_expiry_manager"),
    "quarantine_release": ("Release from Quarantine", "medical_expiry.group_expiry_compliance"),
    "recall_close": ("Close Recall", "medical_expiry.group_expiry_compliance"),
    "rule_change": ("Change Rule Library", "medical_expiry.group_expiry_manager"),
}
MAX_FAILED_SIGNATURES = 5
# Cursor cache key of the signatures made in the current transaction and the records they still authorise.
UNSPENT_KEY = "medical_expiry.unspent_signatures"
LOCKOUT = timedelta(minutes=15)


class MedicalSignature(models.Model):
    """An electronic signature (21 CFR Part 11 §11.50, §11.200): who, when, what it means, what was signed.

    Signatures are only made by ``_sign`` after the signer re-entered their own password, and they are
    never changed afterwards (``medical.append.only.mixin``).
    """

    _name = "medical.signature"
    _inherit = ["medical.append.only.mixin"]
    _description = "Electronic Signature"
    _order = "signed_at desc, id desc"

    user_id = fields.Many2one("res.users", string="Signer", required=True, readonly=True, ondelete="restrict")
    signer_name = fields.Char(string="Printed Name", required=True, readonly=True)
    signed_at = fields.Datetime(string="Signed On (UTC)", required=True, readonly=True)
    signed_at_local = fields.Char(string="Signed On (Signer's Time)", readonly=True)
    meaning = fields.Selection(SIGNATURE_MEANINGS, required=True, readonly=True)
    meaning_text = fields.Char(string="Meaning Details", readonly=True)
    signed_action = fields.Selection(
        [(key, label) for key, (label, _group) in SIGNED_ACTIONS.items()],
        required=True,
        readonly=True,
    )
    res_model = fields.Char(string="Model", required=True, readonly=True)
    res_ids = fields.Json(string="Record IDs", required=True, readonly=True)
    record_names = fields.Text(string="Signed Records", readonly=True)
    reason = fields.Text(readonly=True)
    content_hash = fields.Char(
        required=True,
        readonly=True,
        help="SHA-256 of what was signed: signer, time, meaning, action and records.",
    )
    # No default: the signatures made before there were companies keep none.
    company_id = fields.Many2one("res.company", readonly=True, index=True)
    audit_log_ids = fields.One2many("medical.audit.log", "signature_id", string="Audit Rows", readonly=True)

    @api.depends("signer_name", "meaning", "signed_at_local")
    def _compute_display_name(self):
        meanings = dict(self._fields["meaning"]._description_selection(self.env))
        for signature in self:
            signature.display_name = (
                f"{signature.signer_name} · {signature.meaning_text or meanings.get(signature.meaning, '')}"
                f" · {signature.signed_at_local or ''}"
            )

    @api.model
    def _action_label(self, signed_action):
        return dict(self._fields["signed_action"]._description_selection(self.env))[signed_action]

    # ------------------------------------------------------------------
    # Signing: the one place that decides who may sign
    # ------------------------------------------------------------------
    @api.model
    def _check_can_sign(self, signed_action):
        """Refuse, before any password is asked, a user who may not sign this action or is locked out."""
        group = SIGNED_ACTIONS[signed_action][1]
        if not self.env.user.has_group(group):
            raise AccessError(
                self.env._(
                    "You are not allowed to sign “%(action)s”: it needs the group “%(group)s”.",
                    action=self._action_label(signed_action),
                    group=self.env.ref(group).full_name,
                )
            )
        since = fields.Datetime.now() - LOCKOUT
        failures = (
            self.env["medical.audit.log"]
            .sudo()
            .search(
                [
                    ("action", "=", "signature_failed"),
                    ("user_id", "=", self.env.uid),
                    ("timestamp", ">=", since),
                ],
                order="timestamp desc",
                limit=MAX_FAILED_SIGNATURES,
            )
        )
        if len(failures) >= MAX_FAILED_SIGNATURES:
            unlock = fields.Datetime.context_timestamp(self, failures[0].timestamp + LOCKOUT)
            raise UserError(
                self.env._(
                    "Too many wrong passwords: you cannot sign until %s.", unlock.strftime("%Y-%m-%d %H:%M")
                )
            )

    @api.model
    def _sign(self, records, signed_action, password, meaning, meaning_text=False, reason=False):
        """Sign ``signed_action`` on ``records`` as the current user, who re-entered their password.

        A wrong password is logged in a transaction of its own (the caller's is rolled back by the error).
        """
        self._check_can_sign(signed_action)
        if not records:
            raise UserError(self.env._("There is nothing to sign."))
        if meaning == "other" and not meaning_text:
            raise UserError(self.env._("Say what your signature means when you choose “Other”."))
        if not meaning:
            raise UserError(self.env._("Choose the meaning of your signature."))
        if not password:
            raise UserError(self.env._("Enter your password to sign."))
        try:
            self.env.user._check_credentials(
                {"login": self.env.user.login, "password": password, "type": "password"},
                {"interactive": True},
            )
        except AccessDenied:
            self._log_failed_signature(records, signed_action)
            raise UserError(
                self.env._("Wrong password: nothing was signed and nothing was changed.")
            ) from None
        now = fields.Datetime.now()
        tz = self.env.user.tz or "UTC"
        local = pytz.utc.localize(now).astimezone(pytz.timezone(tz))
        vals = {
            "user_id": self.env.uid,
            "signer_name": self.env.user.name,
            "signed_at": now,
            "signed_at_local": f"{local:%Y-%m-%d %H:%M:%S} {local.tzname()} ({tz})",
            "meaning": meaning,
            "meaning_text": meaning_text or False,
            "signed_action": signed_action,
            "res_model": records._name,
            "res_ids": records.ids,
            "record_names": "\n".join(records.mapped("display_name")),
            "reason": reason or False,
            "company_id": self.env["medical.audit.log"]._company_of(records).id,
        }
        vals["content_hash"] = hashlib.sha256(
            json.dumps(vals, sort_keys=True, ensure_ascii=False, default=str).encode()
        ).hexdigest()
        signature = self._create_append_only([vals])
        self.env["medical.audit.log"]._log(records, "signature", reason=reason, signature=signature)
        self._unspent()[signature.id] = set(records.ids)
        return signature.sudo(False)

    @api.model
    def _log_failed_signature(self, records, signed_action):
        """Keep the failed attempt, against the user, even though the caller's transaction is rolled back."""
        reason = self.env._(
            "Wrong password while signing “%(action)s” for %(records)s.",
            action=self._action_label(signed_action),
            records=", ".join(records.mapped("display_name")),
        )
        try:
            with self.env.registry.cursor() as cr:
                env = self.env(cr=cr)
                env["medical.audit.log"]._log(env.user, "signature_failed", reason=reason)
        except psycopg2.errors.LockNotAvailable:
            # This transaction already appended to the log and holds its lock: the server log keeps it.
            _logger.warning(
                "Failed signature of %s not audited (audit log locked): %s", self.env.user.login, reason
            )

    @api.model
    def _unspent(self):
        """{signature id: ids of the records it still authorises its action on}, for the signatures made
        in this transaction.

        Kept in the cursor's cache, out of any caller's reach (a context key, a value sent over RPC),
        and dropped when the transaction ends: a signature is found by who signed what, never named.
        """
        cr = self.env.cr
        if UNSPENT_KEY not in cr.cache:
            cr.cache[UNSPENT_KEY] = {}

            def forget():
                # A cursor being closed drops its cache before it runs its rollback hooks.
                vars(cr).get("cache", {}).pop(UNSPENT_KEY, None)

            cr.postcommit.add(forget)
            cr.postrollback.add(forget)
        return cr.cache[UNSPENT_KEY]

    @api.model
    def _unspent_signature(self, records, signed_action):
        """The current user's signature, made in this transaction, that still authorises
        ``signed_action`` on every one of ``records``, else nothing.

        A signature that an audit row already cites for one of the records is spent on it, whatever
        the cache says.
        """
        unspent = self._unspent()
        for signature in self.sudo().browse(sorted(unspent, reverse=True)).exists():
            if (
                signature.user_id == self.env.user
                and signature.signed_action == signed_action
                and signature.res_model == records._name
                and set(records.ids) <= unspent[signature.id]
                and not signature.audit_log_ids.filtered(
                    lambda row: (
                        row.action != "signature" and row.model == records._name and row.res_id in records.ids
                    )
                )
            ):
                return signature.sudo(False)
        return self.browse()

    @api.model
    def _check_signed(self, records, signed_action):
        """Spend on ``records`` the signature of ``signed_action`` covering them and return it, or raise a
        UserError.

        A signature authorises its action once on each of its records (an action done in steps, like a
        transfer validated with and without backorders, spends it record by record). Code running as
        superuser (data loading, system jobs) signs nothing; what it does is still logged.
        """
        if self.env.su:
            return self.browse()
        signature = self._unspent_signature(records, signed_action)
        if not signature:
            raise UserError(
                self.env._(
                    "“%s” needs your electronic signature: use the button that asks for your password.",
                    self._action_label(signed_action),
                )
            )
        self._unspent()[signature.id] -= set(records.ids)
        return signature

    @api.model
    def _request_signature_unless_signed(self, records, signed_action, **context):
        """The signature window if ``records`` still need a signature for ``signed_action``, else None.

        Only looks: the signature is spent by the action's own ``_check_signed``.
        """
        if not records or self.env.su or self._unspent_signature(records, signed_action):
            return None
        return self._action_request_signature(records, signed_action, **context)

    @api.model
    def _action_request_signature(self, records, signed_action, wizard="medical.signature.wizard", **context):
        """The window asking the current user to sign ``signed_action`` on ``records``."""
        self._check_can_sign(signed_action)
        return {
            "type": "ir.actions.act_window",
            "name": self._action_label(signed_action),
            "res_model": wizard,
            "view_mode": "form",
            "target": "new",
            "context": {
                **context,
                "default_res_model": records._name,
                "default_res_ids": records.ids,
                "default_signed_action": signed_action,
            },
        }
