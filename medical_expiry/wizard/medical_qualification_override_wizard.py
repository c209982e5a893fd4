from odoo import api, fields, models


class MedicalQualificationOverrideWizard(models.TransientModel):
    """Asks an expiry manager why a document goes on although a qualification lapsed."""

    _name = "medical.qualification.override.wizard"
    _inherit = "medical.reason.wizard.mixin"
    _description = "Override a Qualification Check"

    res_model = fields.Char(required=True)
    res_id = fields.Integer(required=True)
    document_name = fields.Char(string="Document", compute="_compute_document")
    problems = fields.Text(compute="_compute_document")

    @api.depends("res_model", "res_id")
    def _compute_document(self):
        for wizard in self:
            document = wizard._document()
            wizard.document_name = document.display_name
            wizard.problems = "\n".join(f"• {problem}" for problem in document._qualification_problems())

    def _document(self):
        return self.env[self.res_model].browse(self.res_id)

    def _run_with_reason(self, reason):
        return self._document()._run_overriding_qualifications(reason)
