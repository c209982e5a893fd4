from odoo import fields, models

REPORT = "report.medical_expiry.report_audit_extract"


class MedicalAuditExtractWizard(models.TransientModel):
    """Which audit rows to extract; REPORT checks the criteria and builds the PDF and the XLSX."""

    _name = "medical.audit.extract.wizard"
    _description = "Audit Log Extract"

    date_from = fields.Datetime(string="From")
    date_to = fields.Datetime(string="To")
    record_model = fields.Char(string="Model", help="Technical name of the record's model, e.g. stock.lot.")
    record_id = fields.Integer(string="Record ID")

    def _report_data(self):
        self.ensure_one()
        data = {
            "date_from": fields.Datetime.to_string(self.date_from),
            "date_to": fields.Datetime.to_string(self.date_to),
            "record_model": self.record_model,
            "record_id": self.record_id,
        }
        self.env[REPORT]._check_data(data)
        return data

    def action_print_pdf(self):
        return self.env.ref("medical_expiry.action_report_audit_extract").report_action(
            [], data=self._report_data(), config=False
        )

    def action_export_xlsx(self):
        return self.env.ref("medical_expiry.action_report_audit_extract_xlsx").report_action(
            [], data=self._report_data(), config=False
        )
