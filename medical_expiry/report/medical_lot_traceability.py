from odoo import api, models


class ReportLotTraceability(models.AbstractModel):
    """Where lots came from and where they went: receipt, every movement, customer deliveries.

    Read from the done move lines of the lots, all lots in one search.
    """

    _name = "report.medical_expiry.report_lot_traceability"
    _description = "Lot Traceability Report"

    @api.model
    def _get_report_values(self, docids, data=None):
        lots = self.env["stock.lot"].browse(docids)
        return {
            "doc_ids": lots.ids,
            "doc_model": "stock.lot",
            "docs": lots,
            "columns": self._columns(),
            "stages": self._stages(lots),
        }

    @api.model
    def _xlsx_table(self, data, lots):
        """The traceability of ``lots`` in one table: the PDF's columns after the lot and the stage."""
        columns = [(self.env._("Lot/Serial Number"), 18), (self.env._("Stage"), 18), *self._columns()]
        stages = self._stages(lots)
        rows = [
            [lot.name, stage, *row]
            for lot in lots
            for stage, stage_rows in stages[lot.id]
            for row in stage_rows
        ]
        title = self.env._("Lot Traceability")
        return title, columns, rows, []

    @api.model
    def _columns(self):
        return [
            (self.env._("Date"), 18),
            (self.env._("Reference"), 18),
            (self.env._("Partner"), 24),
            (self.env._("Order"), 14),
            (self.env._("From"), 24),
            (self.env._("To"), 24),
            (self.env._("Quantity"), 11),
        ]

    @api.model
    def _stages(self, lots):
        """{lot id: [(stage, rows)]}: receipts from suppliers, every done movement, customer deliveries."""
        lines = self.env["stock.move.line"].search(
            [("lot_id", "in", lots.ids), ("state", "=", "done")], order="date, id"
        )
        lines_by_lot = lines.grouped("lot_id")
        stages = {}
        for lot in lots:
            lot_lines = lines_by_lot.get(lot, lines.browse())
            stages[lot.id] = [
                (
                    self.env._("Receipt"),
                    self._rows(lot_lines.filtered(lambda line: line.location_id.usage == "supplier")),
                ),
                (self.env._("Movements"), self._rows(lot_lines)),
                (
                    self.env._("Customer Deliveries"),
                    self._rows(lot_lines.filtered(lambda line: line.location_dest_id.usage == "customer")),
                ),
            ]
        return stages

    @api.model
    def _rows(self, lines):
        cell = self.env["medical.report.table"]._cell_value
        return [
            [
                cell(line, line._fields["date"]),
                line.reference,
                line.picking_partner_id.display_name or None,
                (line.move_id.purchase_line_id.order_id or line.move_id.sale_line_id.order_id).name or None,
                line.location_id.display_name,
                line.location_dest_id.display_name,
                line.quantity_product_uom,
            ]
            for line in lines
        ]
