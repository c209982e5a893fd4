from odoo import api, models
from odoo.exceptions import UserError


class ReportOutboundRefusal(models.AbstractModel):
    """拒发单: the lines an outbound double-check refused, and why, as a table like the other reports."""

    _name = "report.medical_expiry.report_outbound_refusal"
    _description = "Outbound Refusal Slip"

    @api.model
    def _get_report_values(self, docids, data=None):
        checks = self.env["medical.outbound.check"].browse(docids)
        clean = checks.filtered(lambda check: not check.mismatch_found)
        if clean:
            raise UserError(
                self.env._(
                    "No refusal slip for %s: its double-check found no mismatch.",
                    ", ".join(clean.picking_id.mapped("name")),
                )
            )
        table = self.env["medical.report.table"]
        tables = {
            check.id: table._records_table(
                check.history_line_ids.filtered(lambda line: line.result == "mismatch"),
                ["product_id", "lot_id", "expiration_date", "quantity", "reason", "checker_id", "checked_at"],
            )
            for check in checks
        }
        return {"doc_ids": checks.ids, "doc_model": checks._name, "docs": checks, "tables": tables}
