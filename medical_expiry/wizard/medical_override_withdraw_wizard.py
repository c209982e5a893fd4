from odoo import fields, models


class MedicalOverrideWithdrawWizard(models.TransientModel):
    """Asks an expiry manager why a pending override is withdrawn."""

    _name = "medical.override.withdraw.wizard"
    _inherit = "medical.reason.wizard.mixin"
    _description = "Withdraw a Manager Override"

    override_id = fields.Many2one("medical.override", required=True)

    def _run_with_reason(self, reason):
        self.override_id._withdraw(reason)
        return {"type": "ir.actions.act_window_close"}
