from odoo import api, fields, models
from odoo.tools.misc import clean_context

from ..models.medical_signature import SIGNATURE_MEANINGS


class MedicalSignatureWizard(models.TransientModel):
    """Collects a signature for a critical action, then runs the action with it.

    There is no signer field: the signer is always the user at the keyboard. A window for an action with
    inputs of its own inherits this one and says what the action receives (``_signed_action_inputs``) and
    which of those inputs the signature binds (``_signed_values``).
    """

    _name = "medical.signature.wizard"
    _description = "Sign a Critical Action"
    _transient_max_hours = 0.25

    res_model = fields.Char(string="Model", required=True, readonly=True)
    res_ids = fields.Json(string="Record IDs", readonly=True)
    signed_action = fields.Selection(selection="_selection_signed_action", required=True, readonly=True)
    record_names = fields.Text(string="You Sign For", compute="_compute_record_names")
    password = fields.Char(help="Your own login password, entered again to sign.")
    meaning = fields.Selection(SIGNATURE_MEANINGS, required=True)
    meaning_text = fields.Char(string="Meaning Details")
    reason = fields.Text(required=True)

    @api.model
    def _selection_signed_action(self):
        return self.env["medical.signature"]._selection_signed_action()

    @api.depends("res_model", "res_ids")
    def _compute_record_names(self):
        for wizard in self:
            wizard.record_names = "\n".join(wizard._records().mapped("display_name"))

    def _records(self):
        return self.env[self.res_model].browse(self.res_ids or [])

    def _signed_action_inputs(self):
        """The keyword arguments of the action's declared method, beyond the records."""
        return {}

    def _signed_values(self):
        """The inputs the signature binds (it authorises the action with these values only), or None."""
        return None

    def action_sign(self):
        self.ensure_one()
        records = self._records()
        password, self.password = self.password, False
        self.env["medical.signature"]._sign(
            records,
            self.signed_action,
            password,
            self.meaning,
            self.meaning_text,
            self.reason,
            values=self._signed_values(),
        )
        # The window's own defaults (default_res_ids, a rule's default_name...) are no defaults of the action.
        action = records.with_env(self.env(context=clean_context(self.env.context)))._run_signed_action(
            self.signed_action, **self._signed_action_inputs()
        )
        return action or {"type": "ir.actions.act_window_close"}
