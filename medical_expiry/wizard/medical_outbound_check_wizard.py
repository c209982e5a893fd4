from odoo import fields, models


class MedicalOutboundMismatchWizard(models.TransientModel):
    """Asks the checker what does not match on a line of an outbound double-check."""

    _name = "medical.outbound.mismatch.wizard"
    _inherit = "medical.reason.wizard.mixin"
    _description = "Outbound Double-Check Mismatch"

    check_line_id = fields.Many2one("medical.outbound.check.line", required=True)

    def _run_with_reason(self, reason):
        return self.check_line_id.action_record_mismatch(reason)


class MedicalOutboundScanWizard(models.TransientModel):
    """Collects a scanned UDI for an outbound double-check."""

    _name = "medical.outbound.scan.wizard"
    _description = "Outbound Double-Check Scan"

    check_id = fields.Many2one("medical.outbound.check", required=True)
    barcode = fields.Char(string="Scan UDI", required=True)

    def action_scan(self):
        self.ensure_one()
        self.check_id.action_scan(self.barcode)
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "view_mode": "form",
            "target": "new",
            "context": {"default_check_id": self.check_id.id},
        }
