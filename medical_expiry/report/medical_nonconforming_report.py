from odoo import api, models


class ReportNonconformingDestruction(models.AbstractModel):
    """销毁记录: what was destroyed, who approved and destroyed it, and before which witnesses."""

    _name = "report.medical_expiry.report_nonconforming_destruction"
    _description = "Destruction Record"

    @api.model
    def _get_report_values(self, docids, data=None):
        entries = self.env["medical.nonconforming"].browse(docids)
        return {
            "doc_ids": entries.ids,
            "doc_model": "medical.nonconforming",
            "docs": entries,
            "columns": self._columns(),
            "rows_of": self._rows,
        }

    @api.model
    def _columns(self):
        return [
            (self.env._("Product"), 26),
            (self.env._("Lot/Serial Number"), 16),
            (self.env._("Expiration Date"), 14),
            (self.env._("Quantity"), 10),
            (self.env._("Unit"), 8),
            (self.env._("Reason"), 14),
            (self.env._("Destroyed From"), 20),
            (self.env._("Scrap"), 12),
        ]

    @api.model
    def _rows(self, entry):
        cell = self.env["medical.report.table"]._cell_value
        names = (
            "product_id",
            "lot_id",
            "expiration_date",
            "quantity",
            "product_uom_id",
            "reason",
            "location_id",
            "scrap_id",
        )
        row = [cell(entry, entry._fields[name]) for name in names]
        # 有效期至 D is a calendar date of the company, printed as the label reads, not a moment.
        row[names.index("expiration_date")] = entry.company_id._expiry_date_of(entry.expiration_date) or None
        return [row]
