import base64

from odoo import fields, models


class MedicalLotImportWizard(models.TransientModel):
    """Upload a file of historical lots; ``medical.lot.import`` checks and imports it."""

    _name = "medical.lot.import.wizard"
    _description = "Import Historical Lots"

    file = fields.Binary(required=True)
    filename = fields.Char()
    mode = fields.Selection(
        [
            ("dry_run", "Dry Run: Validation Report"),
            ("all_or_nothing", "Import, Only if Every Row Is Valid"),
            ("valid_only", "Import the Valid Rows, Skip the Others"),
        ],
        required=True,
        default="dry_run",
    )

    def action_run(self):
        self.ensure_one()
        # An empty upload, or none over RPC, leaves no file: the import says it is empty.
        return self.env["medical.lot.import"]._run(
            base64.b64decode(self.file or b""), self.filename, self.mode
        )
