from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    expiry_alert_escalation_days = fields.Integer(
        string="Escalate Expiry Alerts After (days)",
        default=7,
        help="An expiry alert still open after this many days is escalated once to the expiry managers.",
    )
    # 医疗器械召回管理办法: the recalling company notifies its customers within 1, 3 or 7 days of deciding
    # a class I, II or III recall.
    recall_notice_days_class_1 = fields.Integer(
        string="Class I Recall Notice Deadline (days)",
        default=1,
        help="Days from the opening of a class I recall within which every customer must be notified.",
    )
    recall_notice_days_class_2 = fields.Integer(
        string="Class II Recall Notice Deadline (days)",
        default=3,
        help="Days from the opening of a class II recall within which every customer must be notified.",
    )
    recall_notice_days_class_3 = fields.Integer(
        string="Class III Recall Notice Deadline (days)",
        default=7,
        help="Days from the opening of a class III recall within which every customer must be notified.",
    )

    qualification_policy = fields.Selection(
        [("warn", "Warn"), ("block", "Refuse")],
        string="Lapsed Qualifications",
        required=True,
        default="block",
        help="What happens to a purchase order from a supplier whose licence lapsed or does not cover the "
        "device's class, a sale order or delivery to a customer whose licence lapsed, and a receipt of a "
        "device whose registration lapsed. Refuse: it cannot go on unless an expiry manager overrides "
        "with a reason. Warn: it goes on with a note. Both are kept in the audit log.",
    )

    def _recall_notice_days(self, recall_class):
        """Days a recall of ``recall_class`` leaves to notify the customers."""
        self.ensure_one()
        return self[f"recall_notice_days_{recall_class}"]
