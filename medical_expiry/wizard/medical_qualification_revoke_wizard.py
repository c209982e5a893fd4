from odoo import fields, models


class MedicalQualificationRevokeWizard(models.TransientModel):
    """Asks a compliance officer why a qualification is revoked."""

    _name = "medical.qualification.revoke.wizard"
    _inherit = "medical.reason.wizard.mixin"
    _description = "Revoke a Qualification"

    qualification_id = fields.Many2one("medical.qualification", required=True)

    def _run_with_reason(self, reason):
        return self.qualification_id._revoke(reason)
