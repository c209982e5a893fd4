import base64
import csv
import io
import random
import zipfile

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import MedicalExpiryCase

# Long enough to hold every message, far too short to carry a file back to the caller.
MESSAGE_LENGTH = 200


@tagged("post_install", "-at_install")
class TestLotImportBadFiles(MedicalExpiryCase):
    """Files that are not what their name says are refused with a short, clear error; nothing is written."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.noise = random.Random(13).randbytes(2 * 1024 * 1024)

    def _counts(self):
        return [
            self.env[model].search_count([])
            for model in ("stock.lot", "stock.quant", "stock.move", "medical.audit.log")
        ]

    def _refusal(self, file, filename, mode="valid_only"):
        """The error the manager gets importing ``file`` (base64, or False) through the wizard, as over RPC;
        checks that nothing was written."""
        before = self._counts()
        wizard = (
            self.env["medical.lot.import.wizard"]
            .with_user(self.manager)
            .create({"file": file, "filename": filename, "mode": mode})
        )
        with self.assertRaises(UserError) as error:
            wizard.action_run()
        message = str(error.exception)
        self.assertLess(len(message), MESSAGE_LENGTH, "the file is not sent back")
        self.assertEqual(self._counts(), before, "no lot, quant, move or audit row")
        return message

    def test_random_bytes_named_csv_are_refused_as_unreadable_text(self):
        for mode in ("dry_run", "all_or_nothing", "valid_only"):
            with self.subTest(mode=mode):
                message = self._refusal(base64.b64encode(self.noise), "lots.csv", mode)
                self.assertIn("not readable as CSV text", message)

    def test_random_bytes_named_xlsx_are_refused_as_no_workbook(self):
        message = self._refusal(base64.b64encode(self.noise), "lots.xlsx")
        self.assertIn("not a readable Excel workbook", message)

    def test_a_zip_that_is_no_workbook_is_refused_as_no_workbook(self):
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as zip_file:
            zip_file.writestr("notes.txt", self.noise[:1000])
        message = self._refusal(base64.b64encode(archive.getvalue()), "lots.xlsx")
        self.assertIn("not a readable Excel workbook", message)

    def test_an_empty_file_is_refused_as_empty(self):
        for file in (False, b""):
            for filename in ("lots.csv", "lots.xlsx"):
                with self.subTest(file=file, filename=filename):
                    self.assertEqual(self._refusal(file, filename), "The file is empty.")

    def test_text_that_is_no_csv_table_is_refused_as_unreadable_text(self):
        one_huge_cell = b'"' + b"a" * 200_000
        default_limit = csv.field_size_limit()
        # Python's own cell limit, and the one Odoo's server sets for its whole process.
        for limit in (default_limit, 500 * 1024 * 1024):
            with self.subTest(limit=limit):
                csv.field_size_limit(limit)
                try:
                    message = self._refusal(base64.b64encode(one_huge_cell), "lots.csv")
                finally:
                    csv.field_size_limit(default_limit)
                self.assertIn("not readable as CSV text", message)
