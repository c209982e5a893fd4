from odoo import models


class MedicalReportWizardMixin(models.AbstractModel):
    """What every report wizard does: collect the report's criteria, have the report check them, and print
    the PDF or the XLSX from the same data.

    A wizard names its PDF report in ``_report_name`` (its XLSX is the same name ending in ``_xlsx``, as for
    every table report of the module: see ``medical.table.xlsx``) and gives its criteria in
    ``_get_report_criteria``. The report model ``report.<_report_name>`` checks them (``_check_data``):
    printed from the wizard or with data of its own, a report is given the same checks.
    """

    _name = "medical.report.wizard.mixin"
    _description = "Report Wizard"

    _report_name = None

    def _get_report_criteria(self):
        """The report's ``data``, from the wizard's fields."""
        raise NotImplementedError

    def _get_report_data(self):
        self.ensure_one()
        data = self._get_report_criteria()
        self.env[f"report.{self._report_name}"]._check_data(data)
        return data

    def action_print_pdf(self):
        return self._print_report(self._report_name)

    def action_export_xlsx(self):
        return self._print_report(f"{self._report_name}_xlsx")

    def _print_report(self, report_name):
        data = self._get_report_data()
        return (
            self.env["ir.actions.report"]._get_report(report_name).report_action([], data=data, config=False)
        )
