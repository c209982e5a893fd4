from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    expiry_alert_escalation_days = fields.Integer(
        string="Escalate Expiry Alerts After (days)",
        default=7,
        help="An expiry alert still open after this many days is escalated once to the expiry managers.",
    )
    registration_expiry_policy = fields.Selection(
        [("warn", "Warn"), ("block", "Refuse Receipt")],
        string="Expired Registration Certificate at Receipt",
        required=True,
        default="block",
        help="What happens when a receipt from a supplier brings a product whose registration certificate "
        "(注册证) has expired. Refuse Receipt: the receipt cannot be validated. Warn: it is validated and a "
        "warning is posted on it.",
    )
