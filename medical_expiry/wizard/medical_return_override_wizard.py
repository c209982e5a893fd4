from odoo import fields, models


class MedicalReturnOverrideWizard(models.TransientModel):
    """Asks an expiry manager why a refused customer return is accepted."""

    _name = "medical.return.override.wizard"
    _description = "Accept a Customer Return"

    picking_id = fields.Many2one("stock.picking", required=True)
    reason = fields.Text(required=True)

    def action_validate(self):
        return self.picking_id._validate_accepting_return(self.reason)
