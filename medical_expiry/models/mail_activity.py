from odoo import fields, models


class MailActivity(models.Model):
    _inherit = "mail.activity"

    expiry_rule_id = fields.Many2one(
        "medical.expiry.rule",
        string="Expiry Level",
        index="btree_not_null",
        ondelete="set null",
        help="The level an expiry alert was raised for: with the lot or qualification, the alert type and "
        "the user, what makes the daily job raise each alert once.",
    )
    expiry_auto_closed = fields.Boolean(
        string="Closed by the Expiry Job",
        readonly=True,
        help="Closed by the daily job because the level changed, not handled by a person: "
        "does not count as a reached alert.",
    )
    expiry_lot_count = fields.Integer(
        string="Lots Covered",
        default=1,
        readonly=True,
        help="How many lots an expiry alert speaks for: one, or every lot of a product in the level.",
    )
