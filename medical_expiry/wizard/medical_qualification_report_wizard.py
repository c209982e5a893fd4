from odoo import fields, models

from ..report.medical_qualification_report import HOLDER_FILTERS

REPORT = "report.medical_expiry.report_qualification_expiry"


class MedicalQualificationReportWizard(models.TransientModel):
    """Which qualifications to report; REPORT checks the choice and builds the PDF and the XLSX."""

    _name = "medical.qualification.report.wizard"
    _description = "Qualification Expiry Report"

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

    def _report_data(self):
        self.ensure_one()
        data = {
            "days": self.days,
            "holder": self.holder,
            "include_lapsed": self.include_lapsed,
            "include_approvals": self.include_approvals,
        }
        self.env[REPORT]._check_data(data)
        return data

    def action_print_pdf(self):
        return self.env.ref("medical_expiry.action_report_qualification_expiry").report_action(
            [], data=self._report_data(), config=False
        )

    def action_export_xlsx(self):
        return self.env.ref("medical_expiry.action_report_qualification_expiry_xlsx").report_action(
            [], data=self._report_data(), config=False
        )
