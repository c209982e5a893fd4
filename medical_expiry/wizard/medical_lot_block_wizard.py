from odoo import fields, models

from ..models.stock_lot import BLOCK_REASONS


class MedicalLotBlockWizard(models.TransientModel):
    _name = "medical.lot.block.wizard"
    _description = "Block Lots"

    lot_ids = fields.Many2many("stock.lot", string="Lots", required=True)
    reason = fields.Selection(BLOCK_REASONS, required=True, default="quality")
    note = fields.Text()

    def action_block(self):
        self.lot_ids._block(self.reason, self.note)
        return {"type": "ir.actions.act_window_close"}
