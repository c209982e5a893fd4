from odoo import fields, models


class MedicalReturnOverrideWizard(models.TransientModel):
    """Asks an expiry manager why a refused customer return is accepted."""

    _name = "medical.return.override.wizard"
    _inherit = "medical.reason.wizard.mixin"
    _description = "Accept a Customer Return"

    picking_id = fields.Many2one("stock.picking", required=True)

    def _run_with_reason(self, reason):
        return self.picking_id._validate_accepting_return(reason)
