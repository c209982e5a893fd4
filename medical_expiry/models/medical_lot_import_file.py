import csv
import io
import zipfile

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

from odoo import api, models
from odoo.exceptions import UserError

from .medical_lot_import import IMPORT_HEADERS, OPTIONAL_COLUMNS

# What openpyxl raises on a file that is no workbook or a damaged one: not a zip, a zip without the parts
# of a workbook (KeyError), parts that are no XML (SyntaxError: ElementTree's and lxml's ParseError), or
# XML that is not what a workbook has (ValueError, TypeError, AttributeError).
XLSX_READ_ERRORS = (
    zipfile.BadZipFile,
    InvalidFileException,
    KeyError,
    ValueError,
    TypeError,
    AttributeError,
    SyntaxError,
    EOFError,
)

# No lot number, product code, date or location is longer: a longer cell is no lot data.
MAX_CSV_CELL = 4096


class MedicalLotImport(models.AbstractModel):
    """Reading a historical lot file: CSV (UTF-8 or Chinese Excel's GB18030) or XLSX, into rows of cells
    under the file's own headers, English or Chinese. What the cells mean is checked elsewhere."""

    _inherit = "medical.lot.import"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _read_rows(self, data, filename):
        """[{"row": line number in the file, "values": {column: cell}}], from a .csv or .xlsx file."""
        extension = (filename or "").lower().rsplit(".", 1)[-1]
        if extension not in ("csv", "xlsx"):
            raise UserError(self.env._("Upload a .csv or .xlsx file, not “%s”.", filename))
        table = (self._read_csv(data) if extension == "csv" else self._read_xlsx(data)) if data else []
        if not table:
            raise UserError(self.env._("The file is empty."))
        columns = self._header_columns(table[0])
        return [
            {
                "row": number,
                "values": {
                    key: cells[index] if index < len(cells) else None for key, index in columns.items()
                },
            }
            for number, cells in enumerate(table[1:], start=2)
            if any(cell not in (None, "") for cell in cells)
        ]

    @api.model
    def _read_csv(self, data):
        """The rows of a CSV file; a UserError, which never quotes the file, if it is no CSV text."""
        try:
            rows = list(csv.reader(io.StringIO(self._decode_csv(data))))
            # Odoo's server raises the csv module's cell limit for the whole process: bound it here, so
            # that a file is refused the same way whichever process reads it.
            if any(len(cell) > MAX_CSV_CELL for row in rows for cell in row):
                raise csv.Error("cell too large")
            return rows
        except (UnicodeDecodeError, csv.Error):
            raise UserError(
                self.env._(
                    "This file is not readable as CSV text: save it from Excel as “CSV UTF-8” or as .xlsx."
                )
            ) from None

    @api.model
    def _decode_csv(self, data):
        """UTF-8 (with or without the BOM Excel writes), else GB18030: Excel's CSV on Chinese Windows."""
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return data.decode("gb18030")

    @api.model
    def _read_xlsx(self, data):
        """The rows of the first sheet of an XLSX workbook; a UserError if the file is none or damaged."""
        try:
            sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True).active
            return list(sheet.iter_rows(values_only=True))
        except XLSX_READ_ERRORS:
            raise UserError(
                self.env._(
                    "This file is not a readable Excel workbook (.xlsx): open it in Excel and save it again."
                )
            ) from None

    @api.model
    def _header_columns(self, header):
        """{column: index in the row}, from the file's header row."""
        aliases = {alias: column for column, names in IMPORT_HEADERS.items() for alias in names}
        columns = {}
        for index, title in enumerate(header):
            column = aliases.get(str(title or "").strip().lower().replace(" ", "_"))
            if column:
                columns.setdefault(column, index)
        missing = [
            names[0]
            for column, names in IMPORT_HEADERS.items()
            if column not in columns and column not in OPTIONAL_COLUMNS
        ]
        if missing:
            raise UserError(self.env._("The file has no column %s.", ", ".join(missing)))
        return columns
