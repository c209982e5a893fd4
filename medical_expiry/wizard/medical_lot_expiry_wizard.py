from odoo import fields, models


class MedicalLotExpiryWizard(models.TransientModel):
    """Change the expiration date of lots: a new date, a reason and the changer's signature."""

    _name = "medical.lot.expiry.wizard"
    _inherit = "medical.signature.wizard"
    _description = "Change Expiration Date"

    new_expiration_date = fields.Date(
        required=True,
        help="有效期至: the last day the lots may be used, in the company's calendar.",
    )

    def _signed_action_inputs(self):
        return {"expiry_date": self.new_expiration_date}
