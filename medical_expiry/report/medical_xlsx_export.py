import base64
import io

from lxml import etree

from odoo import api, fields, models
from odoo.tools.misc import clean_context, xlsxwriter

# Column width by field type, for tables built from records; other types get the default.
FIELD_WIDTHS = {"char": 24, "text": 40, "many2one": 24, "selection": 18, "date": 12, "datetime": 18}
DEFAULT_WIDTH = 12


class MedicalXlsxExport(models.AbstractModel):
    """Writes a table to an XLSX file and hands it to the browser: the one XLSX writer of the module.

    ``columns`` is a list of (header, width); ``rows`` a list of lists of plain values (str, numbers,
    dates). Every report and list export passes the same columns it prints in its PDF.
    """

    _name = "medical.xlsx.export"
    _description = "XLSX Export"

    @api.model
    def _xlsx_bytes(self, sheet_title, columns, rows, notes=()):
        """``notes``: lines written above the table (what it covers, a verification status...)."""
        output = io.BytesIO()
        workbook = xlsxwriter.Workbook(output, {"in_memory": True, "default_date_format": "yyyy-mm-dd"})
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
        workbook.close()
        return output.getvalue()

    @api.model
    def _xlsx_action(self, filename, sheet_title, columns, rows, notes=()):
        """An action downloading the table as ``filename``."""
        # A wizard's default_res_model/default_res_id in the context must not attach the file elsewhere.
        attachment = self.env(context=clean_context(self.env.context))["ir.attachment"].create(
            {
                "name": filename,
                "datas": base64.b64encode(self._xlsx_bytes(sheet_title, columns, rows, notes)),
                "mimetype": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "res_model": self._name,
            }
        )
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{attachment.id}?download=true",
            "target": "self",
        }

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

    @api.model
    def _list_xlsx_action(self, records):
        """The records selected in a list, downloaded with the list's columns (list “Export XLSX”)."""
        title = self.env["ir.model"]._get(records._name).name
        columns, rows = self._list_view_table(records)
        return self._xlsx_action(f"{title}.xlsx", title, columns, rows)
