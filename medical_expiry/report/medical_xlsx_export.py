import base64
import io

from odoo import api, models
from odoo.tools.misc import xlsxwriter


class MedicalXlsxExport(models.AbstractModel):
    """Writes a table to an XLSX file and hands it to the browser: the one XLSX writer of the module.

    ``columns`` is a list of (header, width); ``rows`` a list of lists of plain values (str, numbers,
    dates). Every report and list export passes the same columns it prints in its PDF.
    """

    _name = "medical.xlsx.export"
    _description = "XLSX Export"

    @api.model
    def _xlsx_bytes(self, sheet_title, columns, rows):
        output = io.BytesIO()
        workbook = xlsxwriter.Workbook(output, {"in_memory": True, "default_date_format": "yyyy-mm-dd"})
        sheet = workbook.add_worksheet(sheet_title[:31])
        header = workbook.add_format({"bold": True, "bg_color": "#D9E1F2", "border": 1})
        for col, (title, width) in enumerate(columns):
            sheet.write(0, col, title, header)
            sheet.set_column(col, col, width)
        datetime_format = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        for row_index, row in enumerate(rows, start=1):
            for col, value in enumerate(row):
                if hasattr(value, "hour"):
                    sheet.write_datetime(row_index, col, value, datetime_format)
                elif value is None or value is False:
                    sheet.write_blank(row_index, col, None)
                else:
                    sheet.write(row_index, col, value)
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, max(len(rows), 1), max(len(columns) - 1, 0))
        workbook.close()
        return output.getvalue()

    @api.model
    def _xlsx_action(self, filename, sheet_title, columns, rows):
        """An action downloading the table as ``filename``."""
        attachment = self.env["ir.attachment"].create(
            {
                "name": filename,
                "datas": base64.b64encode(self._xlsx_bytes(sheet_title, columns, rows)),
                "mimetype": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "res_model": self._name,
            }
        )
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{attachment.id}?download=true",
            "target": "self",
        }
