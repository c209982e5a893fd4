from odoo import fields, models

from ..report.medical_qualification_report import HOLDER_FILTERS


class MedicalQualificationReportWizard(models.TransientModel):
    """Which qualifications to report: ending within how many days, of which holders."""

    _name = "medical.qualification.report.wizard"
    _inherit = "medical.report.wizard.mixin"
    _description = "Qualification Expiry Report"
    _report_name = "medical_expiry.report_qualification_expiry"

    days = fields.Integer(string="Expiring Within (days)", required=True, default=90)
    holder = fields.Selection(HOLDER_FILTERS, string="Holders", required=True, default="all")
    include_lapsed = fields.Boolean(
        string="Include Expired and Revoked",
        default=True,
        help="Also list the documents already expired or revoked that no valid renewal replaces.",
    )

    include_approvals = fields.Boolean(
        string="Include First-Business Approvals",
        help="Also list each supplier's and device's first-business approval (首营审核): its state, who "
        "signed it when, and the documents on file that answer its checklist.",
    )

    def _get_report_criteria(self):
        return {
            "days": self.days,
            "holder": self.holder,
            "include_lapsed": self.include_lapsed,
            "include_approvals": self.include_approvals,
        }
