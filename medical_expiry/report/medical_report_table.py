from lxml import etree

from odoo import api, fields, models

# Column width by field type, for tables built from records; other types get the default.
FIELD_WIDTHS = {"char": 24, "text": 40, "many2one": 24, "selection": 18, "date": 12, "datetime": 18}
DEFAULT_WIDTH = 12


class MedicalReportTable(models.AbstractModel):
    """Tables (columns and rows) of records, as reports print them in their PDF and their XLSX.

    ``columns`` is a list of (header, width); ``rows`` a list of lists of plain values (str, numbers,
    dates).
    """

    _name = "medical.report.table"
    _description = "Report Table"

    # ------------------------------------------------------------------
    # Tables of records
    # ------------------------------------------------------------------
    @api.model
    def _records_table(self, records, field_names, headers=None):
        """(columns, rows) of ``records``, one column per field, values as the user reads them.

        ``headers`` maps field names to the labels their view gives them, when not the field's own.
        """
        headers = headers or {}
        fields_ = [records._fields[name] for name in field_names]
        columns = []
        for field in fields_:
            header = headers.get(field.name) or field._description_string(self.env)
            columns.append((header, max(FIELD_WIDTHS.get(field.type, DEFAULT_WIDTH), len(header) + 2)))
        rows = [[self._cell_value(record, field) for field in fields_] for record in records]
        return columns, rows

    @api.model
    def _cell_value(self, record, field):
        """A field's value as a plain cell: names for relations, labels for selections, local times."""
        value = record[field.name]
        if field.type == "many2one":
            return value.display_name or None
        if field.type in ("one2many", "many2many"):
            return ", ".join(value.mapped("display_name")) or None
        if field.type == "selection":
            return dict(field._description_selection(self.env)).get(value)
        if field.type == "datetime" and value:
            return fields.Datetime.context_timestamp(record, value).replace(tzinfo=None)
        return value

    @api.model
    def _list_view_table(self, records):
        """(columns, rows) of ``records`` with the columns their list view shows the current user.

        Columns hidden by default (``optional="hide"``, ``column_invisible``), those of groups the
        user is not in (removed by ``get_view``) and activity icons, which say nothing in a cell, are left
        out.
        """
        arch = etree.fromstring(records.get_view(view_type="list")["arch"])
        nodes = [
            node
            for node in arch.iterchildren("field")
            if node.get("optional") != "hide"
            and node.get("column_invisible") not in ("1", "True")
            and node.get("widget") != "activity_exception"
        ]
        return self._records_table(
            records,
            [node.get("name") for node in nodes],
            headers={node.get("name"): node.get("string") for node in nodes},
        )


class MedicalTableXlsx(models.AbstractModel):
    """An XLSX report of one table, through OCA report_xlsx: the one XLSX writer of the module.

    A report ``report.medical_expiry.X_xlsx`` inheriting this prints the table its PDF report
    ``report.medical_expiry.X`` gives in ``_xlsx_table(data, records)``: (sheet title, columns, rows,
    notes written above the table: what it covers, a verification status...). Reports without a PDF
    override ``_xlsx_table`` themselves.
    """

    _name = "medical.table.xlsx"
    _inherit = "report.report_xlsx.abstract"
    _description = "XLSX Table Report"

    def get_workbook_options(self):
        return {"in_memory": True, "default_date_format": "yyyy-mm-dd"}

    def _xlsx_table(self, data, records):
        return self.env[self._name.removesuffix("_xlsx")]._xlsx_table(data, records)

    def generate_xlsx_report(self, workbook, data, objs):
        sheet_title, columns, rows, notes = self._xlsx_table(data or {}, objs)
        sheet = workbook.add_worksheet(sheet_title[:31])
        for line, note in enumerate(notes):
            sheet.write(line, 0, note)
        top = len(notes)
        header = workbook.add_format({"bold": True, "bg_color": "#D9E1F2", "border": 1})
        for col, (title, width) in enumerate(columns):
            sheet.write(top, col, title, header)
            sheet.set_column(col, col, width)
        datetime_format = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        for row_index, row in enumerate(rows, start=top + 1):
            for col, value in enumerate(row):
                if hasattr(value, "hour"):
                    sheet.write_datetime(row_index, col, value, datetime_format)
                elif value is None or value is False:
                    sheet.write_blank(row_index, col, None)
                else:
                    sheet.write(row_index, col, value)
        sheet.freeze_panes(top + 1, 0)
        sheet.autofilter(top, 0, top + max(len(rows), 1), max(len(columns) - 1, 0))


class MedicalListXlsx(models.AbstractModel):
    """The records selected in a list, with the columns their list view shows (Print > … (XLSX))."""

    _name = "medical.list.xlsx"
    _inherit = "medical.table.xlsx"
    _description = "List XLSX Report"

    def _xlsx_table(self, data, records):
        title = self.env["ir.model"]._get(records._name).name
        columns, rows = self.env["medical.report.table"]._list_view_table(records)
        return title, columns, rows, []


class ReportWorkbenchListXlsx(models.AbstractModel):
    _name = "report.medical_expiry.workbench_list_xlsx"
    _inherit = "medical.list.xlsx"
    _description = "Expiry Workbench List (XLSX)"


class ReportAuditLogListXlsx(models.AbstractModel):
    _name = "report.medical_expiry.audit_log_list_xlsx"
    _inherit = "medical.list.xlsx"
    _description = "Audit Log List (XLSX)"


class ReportRecallListXlsx(models.AbstractModel):
    _name = "report.medical_expiry.recall_list_xlsx"
    _inherit = "medical.list.xlsx"
    _description = "Recall List (XLSX)"


class ReportQualificationListXlsx(models.AbstractModel):
    _name = "report.medical_expiry.qualification_list_xlsx"
    _inherit = "medical.list.xlsx"
    _description = "Qualification List (XLSX)"


class ReportExpiryStockXlsx(models.AbstractModel):
    _name = "report.medical_expiry.report_expiry_stock_xlsx"
    _inherit = "medical.table.xlsx"
    _description = "Expiry Stock Report (XLSX)"


class ReportQualificationExpiryXlsx(models.AbstractModel):
    _name = "report.medical_expiry.report_qualification_expiry_xlsx"
    _inherit = "medical.table.xlsx"
    _description = "Qualification Expiry Report (XLSX)"


class ReportAuditExtractXlsx(models.AbstractModel):
    _name = "report.medical_expiry.report_audit_extract_xlsx"
    _inherit = "medical.table.xlsx"
    _description = "Audit Log Extract (XLSX)"


class ReportLotTraceabilityXlsx(models.AbstractModel):
    _name = "report.medical_expiry.report_lot_traceability_xlsx"
    _inherit = "medical.table.xlsx"
    _description = "Lot Traceability (XLSX)"


class ReportRecallLinesXlsx(models.AbstractModel):
    """A recall's lines, one sheet."""

    _name = "report.medical_expiry.report_recall_lines_xlsx"
    _inherit = "medical.table.xlsx"
    _description = "Recall Lines (XLSX)"

    def _xlsx_table(self, data, records):
        recall = records.ensure_one()
        return (
            recall.name.replace("/", "-"),
            self.env["medical.recall.line"]._xlsx_columns(),
            [line._xlsx_row() for line in recall.line_ids],
            [],
        )


class ReportLotImportValidationXlsx(models.AbstractModel):
    """The dry run of a historical lot import: every row of the file, its status and its errors."""

    _name = "report.medical_expiry.report_lot_import_validation_xlsx"
    _inherit = "medical.table.xlsx"
    _description = "Historical Lot Import Validation (XLSX)"

    def _xlsx_table(self, data, records):
        return self.env["medical.lot.import"]._xlsx_table(data, records)
