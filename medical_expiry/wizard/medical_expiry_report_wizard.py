from odoo import fields, models

from ..report.medical_expiry_stock_report import REPORT_KINDS


class MedicalExpiryReportWizard(models.TransientModel):
    """Which stock to report: near-expiry or expired, in which warehouses."""

    _name = "medical.expiry.report.wizard"
    _inherit = "medical.report.wizard.mixin"
    _description = "Expiry Stock Report"
    _report_name = "medical_expiry.report_expiry_stock"

    report_kind = fields.Selection(REPORT_KINDS, string="Stock", required=True, default="near_expiry")
    warehouse_ids = fields.Many2many(
        "stock.warehouse",
        string="Warehouses",
        help="Leave empty to report every warehouse and the stock in transit between them.",
    )

    def _get_report_criteria(self):
        return {"report_kind": self.report_kind, "warehouse_ids": self.warehouse_ids.ids}
