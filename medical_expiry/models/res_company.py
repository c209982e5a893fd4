from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    expiry_alert_escalation_days = fields.Integer(
        string="Escalate Expiry Alerts After (days)",
        default=7,
        help="An expiry alert still open after this many days is escalated once to the expiry managers.",
    )
