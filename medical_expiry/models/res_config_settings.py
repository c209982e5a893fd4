from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    expiry_tz = fields.Selection(related="company_id.expiry_tz", readonly=False)
    expiry_alert_escalation_days = fields.Integer(
        related="company_id.expiry_alert_escalation_days", readonly=False
    )
    recall_notice_days_class_1 = fields.Integer(
        related="company_id.recall_notice_days_class_1", readonly=False
    )
    recall_notice_days_class_2 = fields.Integer(
        related="company_id.recall_notice_days_class_2", readonly=False
    )
    recall_notice_days_class_3 = fields.Integer(
        related="company_id.recall_notice_days_class_3", readonly=False
    )
    qualification_policy = fields.Selection(related="company_id.qualification_policy", readonly=False)
    first_business_approval_required = fields.Boolean(
        related="company_id.first_business_approval_required", readonly=False
    )
    outbound_double_check_required = fields.Boolean(
        related="company_id.outbound_double_check_required", readonly=False
    )
