from odoo import fields, models


class MedicalAuditExtractWizard(models.TransientModel):
    """Which audit rows to extract: those of a period, of one record, or both."""

    _name = "medical.audit.extract.wizard"
    _inherit = "medical.report.wizard.mixin"
    _description = "Audit Log Extract"
    _report_name = "medical_expiry.report_audit_extract"

    date_from = fields.Datetime(string="From")
    date_to = fields.Datetime(string="To")
    record_model = fields.Char(string="Model", help="Technical name of the record's model, e.g. stock.lot.")
    record_id = fields.Integer(string="Record ID")

    def _get_report_criteria(self):
        return {
            "date_from": fields.Datetime.to_string(self.date_from),
            "date_to": fields.Datetime.to_string(self.date_to),
            "record_model": self.record_model,
            "record_id": self.record_id,
        }
