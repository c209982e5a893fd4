from odoo import fields, models

from ..models.medical_recall_line import RESOLUTIONS


class MedicalRecallResolveWizard(models.TransientModel):
    """Records that the open units of some recall lines were destroyed or written off."""

    _name = "medical.recall.resolve.wizard"
    _description = "Resolve Recall Lines"

    line_ids = fields.Many2many("medical.recall.line", string="Lines", required=True)
    resolution = fields.Selection(RESOLUTIONS, required=True, default="destroyed")
    reason = fields.Text(help="Destruction certificate, or why the units cannot be recovered (used, lost).")

    def action_resolve(self):
        self.line_ids._resolve(self.resolution, self.reason)
        return {"type": "ir.actions.act_window_close"}
