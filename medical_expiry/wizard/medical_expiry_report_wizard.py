from odoo import fields, models

from ..report.medical_expiry_stock_report import REPORT_KINDS

REPORT = "report.medical_expiry.report_expiry_stock"


class MedicalExpiryReportWizard(models.TransientModel):
    """Which stock to report; the report itself is the AbstractModel REPORT, for the PDF and the XLSX."""

    _name = "medical.expiry.report.wizard"
    _description = "Expiry Stock Report"

    report_kind = fields.Selection(REPORT_KINDS, string="Stock", required=True, default="near_expiry")
    warehouse_ids = fields.Many2many(
        "stock.warehouse",
        string="Warehouses",
        help="Leave empty to report every warehouse and the stock in transit between them.",
    )

    def _report_data(self):
        self.ensure_one()
        data = {"report_kind": self.report_kind, "warehouse_ids": self.warehouse_ids.ids}
        self.env[REPORT]._check_data(data)
        return data

    def action_print_pdf(self):
        return self.env.ref("medical_expiry.action_report_expiry_stock").report_action(
            [], data=self._report_data(), config=False
        )

    def action_export_xlsx(self):
        return self.env.ref("medical_expiry.action_report_expiry_stock_xlsx").report_action(
            [], data=self._report_data(), config=False
        )
