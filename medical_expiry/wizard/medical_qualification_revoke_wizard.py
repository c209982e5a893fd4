from odoo import fields, models


class MedicalQualificationRevokeWizard(models.TransientModel):
    """Asks a compliance officer why a qualification is revoked."""

    _name = "medical.qualification.revoke.wizard"
    _description = "Revoke a Qualification"

    qualification_id = fields.Many2one("medical.qualification", required=True)
    reason = fields.Text(required=True)

    def action_revoke(self):
        self.qualification_id._revoke(self.reason)
