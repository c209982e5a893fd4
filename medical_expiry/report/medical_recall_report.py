from collections import defaultdict

from odoo import api, models


class ReportMedicalRecall(models.AbstractModel):
    """The recall report: the recall's units grouped as an inspector reads them, by place and by customer."""

    _name = "report.medical_expiry.report_medical_recall"
    _description = "Recall Report"

    @api.model
    def _get_report_values(self, docids, data=None):
        return {
            "doc_ids": docids,
            "doc_model": "medical.recall",
            "docs": self.env["medical.recall"].browse(docids),
            "stock_lines_of": self._get_stock_lines,
            "customers_of": self._get_customers,
        }

    @api.model
    def _get_stock_lines(self, recall):
        """Lines of stock (on hand, reserved, in transit) by warehouse and location."""
        return recall.line_ids.filtered(lambda line: line.line_type != "delivered").sorted(
            lambda line: (
                line.warehouse_id.name or "",
                line.location_id.complete_name or "",
                line.lot_id.name,
            )
        )

    @api.model
    def _get_customers(self, recall):
        """[(customer, notice, lines)] of the delivered lines by customer name.

        Deliveries to no known customer come last, under an empty customer.
        """
        line_ids = defaultdict(list)
        for line in recall.line_ids:
            if line.line_type == "delivered":
                line_ids[line.partner_id].append(line.id)
        notices = {notice.partner_id: notice for notice in recall.notice_ids}
        return [
            (partner, notices.get(partner, self.env["medical.recall.notice"]), recall.line_ids.browse(ids))
            for partner, ids in sorted(line_ids.items(), key=lambda item: (not item[0], item[0].name or ""))
        ]
