from odoo import api, fields, models

from ..models.medical_signature import SIGNATURE_MEANINGS, SIGNED_ACTIONS


class MedicalSignatureWizard(models.TransientModel):
    """Collects a signature for a critical action, then runs the action with it.

    There is no signer field: the signer is always the user at the keyboard.
    """

    _name = "medical.signature.wizard"
    _description = "Sign a Critical Action"
    _transient_max_hours = 0.25

    res_model = fields.Char(string="Model", required=True, readonly=True)
    res_ids = fields.Json(string="Record IDs", required=True, readonly=True)
    signed_action = fields.Selection(
        [(key, label) for key, (label, _group) in SIGNED_ACTIONS.items()], required=True, readonly=True
    )
    record_names = fields.Text(string="You Sign For", compute="_compute_record_names")
    password = fields.Char(help="Your own login password, entered again to sign.")
    meaning = fields.Selection(SIGNATURE_MEANINGS, required=True)
    meaning_text = fields.Char(string="Meaning Details")
    reason = fields.Text(required=True)

    @api.depends("res_model", "res_ids")
    def _compute_record_names(self):
        for wizard in self:
            wizard.record_names = "\n".join(wizard._records().mapped("display_name"))

    def _records(self):
        return self.env[self.res_model].browse(self.res_ids or [])

    def action_sign(self):
        self.ensure_one()
        records = self._records()
        password, self.password = self.password, False
        self.env["medical.signature"]._sign(
            records, self.signed_action, password, self.meaning, self.meaning_text, self.reason
        )
        return self._run_signed_action(records.with_context(medical_audit_reason=self.reason))

    def _run_signed_action(self, records):
        return records._run_signed_action(self.signed_action)
