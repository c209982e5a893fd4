from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import MedicalExpiryCase


@tagged("post_install", "-at_install")
class TestReportWizards(MedicalExpiryCase):
    """The three report wizards share one way to print: the criteria checked by the report, then the PDF
    or the XLSX of the same data."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.lot = cls._create_lot(cls.syringe, 200, name="WIZ-1")

    def _criteria(self):
        """{wizard model: (values entered, data its report is given)}."""
        return {
            "medical.expiry.report.wizard": (
                {"report_kind": "expired"},
                {"report_kind": "expired", "warehouse_ids": []},
            ),
            "medical.audit.extract.wizard": (
                {"record_model": "stock.lot", "record_id": self.lot.id},
                {"date_from": False, "date_to": False, "record_model": "stock.lot", "record_id": self.lot.id},
            ),
            "medical.qualification.report.wizard": (
                {"days": 30},
                {"days": 30, "holder": "all", "include_lapsed": True, "include_approvals": False},
            ),
        }

    def test_each_wizard_prints_its_own_pdf_and_xlsx_from_the_same_data(self):
        for model, (values, data) in self._criteria().items():
            with self.subTest(model=model):
                wizard = self.env[model].with_user(self.manager).create(values)
                pdf, xlsx = wizard.action_print_pdf(), wizard.action_export_xlsx()
                self.assertEqual((pdf["report_type"], xlsx["report_type"]), ("qweb-pdf", "xlsx"))
                self.assertEqual(xlsx["report_name"], f"{pdf['report_name']}_xlsx")
                self.assertEqual((pdf["data"], xlsx["data"]), (data, data))
                reports = self.env["ir.actions.report"].search(
                    [("report_name", "in", [pdf["report_name"], xlsx["report_name"]])]
                )
                self.assertEqual(len(reports), 2)
                self.assertEqual(set(reports.mapped("model")), {model}, "the reports printed for this wizard")

    def test_criteria_the_report_refuses_print_nothing_from_either_button(self):
        attachments = self.env["ir.attachment"].search_count([])
        refused = {
            "medical.audit.extract.wizard": ({}, "Choose a period, a record, or both."),
            "medical.qualification.report.wizard": ({"days": -1}, "must be zero or more days"),
        }
        for model, (values, message) in refused.items():
            wizard = self.env[model].with_user(self.manager).create(values)
            for button in (wizard.action_print_pdf, wizard.action_export_xlsx):
                with self.subTest(model=model, button=button.__name__):
                    with self.assertRaisesRegex(UserError, message):
                        button()
        self.assertEqual(self.env["ir.attachment"].search_count([]), attachments)
