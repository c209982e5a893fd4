from odoo import api, models


class ReportStockInspection(models.AbstractModel):
    """效期检查记录: every lot an inspection found, its level, and what the inspector recorded."""

    _name = "report.medical_expiry.report_stock_inspection"
    _description = "Stock Inspection Record"

    @api.model
    def _get_report_values(self, docids, data=None):
        inspections = self.env["medical.stock.inspection"].browse(docids)
        return {
            "doc_ids": inspections.ids,
            "doc_model": "medical.stock.inspection",
            "docs": inspections,
            "columns": self._columns(),
            "rows_of": lambda inspection: self._rows(inspection.line_ids),
        }

    @api.model
    def _xlsx_table(self, data, inspections):
        """The lines of ``inspections`` in one table, the PDF's columns after the inspection's reference;
        above it, one line per inspection: place, period, state and closing signature."""
        states = dict(inspections._fields["state"]._description_selection(self.env))
        notes = []
        for inspection in inspections:
            values = {
                "inspection": inspection.name,
                "warehouse": inspection.location_id.complete_name or inspection.warehouse_id.name,
                "start": inspection.period_start,
                "end": inspection.period_end,
                "state": states[inspection.state],
            }
            signature = inspection.close_signature_id.sudo()
            notes.append(
                self.env._(
                    "%(inspection)s · %(warehouse)s · %(start)s – %(end)s · %(state)s · closing signature: "
                    "%(signature)s",
                    signature=signature.display_name,
                    **values,
                )
                if signature
                else self.env._("%(inspection)s · %(warehouse)s · %(start)s – %(end)s · %(state)s", **values)
            )
        rows = [
            [inspection.name, *row] for inspection in inspections for row in self._rows(inspection.line_ids)
        ]
        title = (
            inspections.name.replace("/", "-") if len(inspections) == 1 else self.env._("Stock Inspections")
        )
        return title, [(self.env._("Inspection"), 14), *self._columns()], rows, notes

    @api.model
    def _stock_columns(self):
        """The columns of what the inspection found, shared with the sales push list."""
        return [
            (self.env._("Product"), 26),
            (self.env._("Specification / Model"), 18),
            (self.env._("Lot/Serial Number"), 16),
            (self.env._("Location"), 20),
            (self.env._("Quantity"), 10),
            (self.env._("Expiration Date"), 12),
            (self.env._("Days Left"), 9),
            (self.env._("Level"), 14),
        ]

    @api.model
    def _stock_cells(self, line):
        cell = self.env["medical.report.table"]._cell_value
        names = ("product_id", "device_specification", "lot_id", "location_id", "quantity", "expiration_date")
        return [*(cell(line, line._fields[name]) for name in names), line.days_to_expiry, line._level_label()]

    @api.model
    def _columns(self):
        return [
            *self._stock_columns(),
            (self.env._("Appearance / Packaging"), 12),
            (self.env._("Expiry Date"), 14),
            (self.env._("Action"), 16),
            (self.env._("Checked By"), 12),
            (self.env._("Note"), 20),
        ]

    @api.model
    def _rows(self, lines):
        cell = self.env["medical.report.table"]._cell_value
        inspector_fields = ("appearance", "expiry_check", "action", "checked_by_id", "note")
        return [
            [*self._stock_cells(line), *(cell(line, line._fields[name]) for name in inspector_fields)]
            for line in lines
        ]


class ReportStockInspectionSalesPush(models.AbstractModel):
    """近效期商品催销表: the near-expiry lots an inspection found, soonest first, for sales to move them."""

    _name = "report.medical_expiry.report_stock_inspection_sales_push"
    _description = "Near-Expiry Sales Push List"

    @api.model
    def _get_report_values(self, docids, data=None):
        inspections = self.env["medical.stock.inspection"].browse(docids)
        return {
            "doc_ids": inspections.ids,
            "doc_model": "medical.stock.inspection",
            "docs": inspections,
            "columns": self._columns(),
            "rows_of": self._rows,
        }

    @api.model
    def _columns(self):
        record = self.env["report.medical_expiry.report_stock_inspection"]
        return [*record._stock_columns(), (self.env._("Suggested Action"), 18)]

    @api.model
    def _rows(self, inspection):
        record = self.env["report.medical_expiry.report_stock_inspection"]
        cell = self.env["medical.report.table"]._cell_value
        lines = inspection.line_ids.filtered(lambda line: line.expiry_state == "near_expiry").sorted(
            lambda line: (line.days_to_expiry, line.product_id.display_name, line.lot_id.name)
        )
        return [
            [
                *record._stock_cells(line),
                cell(line.expiry_rule_id, line.expiry_rule_id._fields["suggested_action"]),
            ]
            for line in lines
        ]


class ReportStockInspectionXlsx(models.AbstractModel):
    _name = "report.medical_expiry.report_stock_inspection_xlsx"
    _inherit = "medical.table.xlsx"
    _description = "Stock Inspection Record (XLSX)"
