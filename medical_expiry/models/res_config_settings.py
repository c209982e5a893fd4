from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    expiry_alert_escalation_days = fields.Integer(
        related="company_id.expiry_alert_escalation_days", readonly=False
    )
    registration_expiry_policy = fields.Selection(
        related="company_id.registration_expiry_policy", readonly=False
    )
