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
MAX_FAILED_SIGNATURES = 5
# Cursor cache key of the signatures made in the current transaction and the records they still authorise.
UNSPENT_KEY = "medical_expiry.unspent_signatures"
# What a signature of a record still to be created (a new rule) covers, in place of the record's id.
NEW_RECORD = 0
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
    signed_action = fields.Selection(selection="_selection_signed_action", required=True, readonly=True)
    res_model = fields.Char(string="Model", required=True, readonly=True)
    res_ids = fields.Json(string="Record IDs", readonly=True, help="Empty for a record created as signed.")
    record_names = fields.Text(string="Signed Records", readonly=True)
    signed_values = fields.Json(
        readonly=True,
        help="The values the signer approved, for an action whose inputs are signed (a rule change): "
        "the signature authorises these values and no others.",
    )
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
    def _selection_signed_action(self):
        return [(code, action.label) for code, action in self._signed_action_declarations().items()]

    @api.model
    def _signed_action_declarations(self):
        """{code: ``SignedAction``} of every model's ``medical.signed.mixin`` declarations."""
        return {
            code: action
            for model in self.env.registry["medical.signed.mixin"]._inherit_children
            for code, action in self.env[model]._signed_actions().items()
        }

    @api.model
    def _action_label(self, signed_action):
        return self._signed_action_declarations()[signed_action].label

    # ------------------------------------------------------------------
    # Signing: the one place that decides who may sign
    # ------------------------------------------------------------------
    @api.model
    def _check_can_sign(self, signed_action):
        """Refuse, before any password is asked, a user who may not sign this action or is locked out."""
        # One group, or several (comma-separated) any of which may sign.
        groups = self._signed_action_declarations()[signed_action].group
        if not self.env.user.has_groups(groups):
            raise AccessError(
                self.env._(
                    "You are not allowed to sign “%(action)s”: it needs the group “%(group)s”.",
                    action=self._action_label(signed_action),
                    group=" / ".join(self.env.ref(group).full_name for group in groups.split(",")),
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
    def _sign(self, records, signed_action, password, meaning, meaning_text=False, reason=False, values=None):
        """Sign ``signed_action`` on ``records`` as the current user, who re-entered their password.

        ``values``: the inputs of an action whose inputs are signed (a rule's new values); ``records`` is
        then empty for a record to be created with them. A wrong password is logged in a transaction of its
        own (the caller's is rolled back by the error).
        """
        self._check_can_sign(signed_action)
        if not records and not values:
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
            "record_names": "\n".join(records.mapped("display_name")) or (values or {}).get("name") or False,
            "signed_values": self._signed_values_of(values),
            "reason": reason or False,
            "company_id": self.env["medical.audit.log"]._company_of(records).id,
        }
        vals["content_hash"] = hashlib.sha256(
            json.dumps(vals, sort_keys=True, ensure_ascii=False, default=str).encode()
        ).hexdigest()
        signature = self._create_append_only([vals])
        self.env["medical.audit.log"]._log(records, "signature", reason=reason, signature=signature)
        self._unspent()[signature.id] = self._covered_ids(records)
        return signature.sudo(False)

    @api.model
    def _covered_ids(self, records):
        return set(records.ids) or {NEW_RECORD}

    @api.model
    def _signed_values_of(self, values):
        """``values`` as a signature keeps them (JSON), to compare what is done with what was signed."""
        return json.loads(json.dumps(values, sort_keys=True, default=str)) if values else None

    @api.model
    def _log_failed_signature(self, records, signed_action):
        """Keep the failed attempt, against the user, even though the caller's transaction is rolled back."""
        reason = self.env._(
            "Wrong password while signing “%(action)s” for %(records)s.",
            action=self._action_label(signed_action),
            records=", ".join(records.mapped("display_name")) or self._action_label(signed_action),
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
    def _unspent_signature(self, records, signed_action, values=None):
        """The current user's signature, made in this transaction, that still authorises
        ``signed_action`` (with exactly ``values``, for an action whose inputs are signed) on every one of
        ``records`` (none: the record ``values`` create), else nothing.

        A signature that an audit row already cites for one of the records is spent on it, whatever
        the cache says.
        """
        unspent = self._unspent()
        signed_values = self._signed_values_of(values)
        for signature in self.sudo().browse(sorted(unspent, reverse=True)).exists():
            if (
                signature.user_id == self.env.user
                and signature.signed_action == signed_action
                and signature.res_model == records._name
                and (signature.signed_values or None) == signed_values
                and self._covered_ids(records) <= unspent[signature.id]
                and not signature.audit_log_ids.filtered(
                    lambda row: (
                        row.action != "signature" and row.model == records._name and row.res_id in records.ids
                    )
                )
            ):
                return signature.sudo(False)
        return self.browse()

    @api.model
    def _check_signed(self, records, signed_action, values=None):
        """Spend on ``records`` the signature of ``signed_action`` covering them (and ``values``, for an
        action whose inputs are signed) and return it, or raise a UserError.

        The one check that an action is signed, reached through ``medical.signed.mixin._spend_signature``.
        A signature authorises its action once on each of its records (an action done in steps, like a
        transfer validated with and without backorders, spends it record by record), and only with the
        values signed. Code running as superuser (data loading, system jobs) signs nothing; what it does is
        still logged.
        """
        if self.env.su:
            return self.browse()
        signature = self._unspent_signature(records, signed_action, values)
        if not signature:
            raise UserError(
                self.env._(
                    "“%s” needs your electronic signature: use the button that asks for your password.",
                    self._action_label(signed_action),
                )
            )
        self._unspent()[signature.id] -= self._covered_ids(records)
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
    def _action_request_signature(self, records, signed_action, **context):
        """The window asking the current user to sign ``signed_action`` on ``records``."""
        self._check_can_sign(signed_action)
        return {
            "type": "ir.actions.act_window",
            "name": self._action_label(signed_action),
            "res_model": self._signed_action_declarations()[signed_action].wizard,
            "view_mode": "form",
            "target": "new",
            "context": {
                **context,
                "default_res_model": records._name,
                "default_res_ids": records.ids,
                "default_signed_action": signed_action,
            },
        }
