from markupsafe import Markup

from odoo import api, fields, models


class StockPicking(models.Model):
    _inherit = "stock.picking"

    expiry_warning = fields.Boolean(
        string="Near-Expiry Warning",
        compute="_compute_expiry_warning",
        help="At least one lot of this transfer is in a near-expiry level whose outbound policy is Warn.",
    )

    @api.depends("move_line_ids.expiry_warning")
    def _compute_expiry_warning(self):
        for picking in self:
            picking.expiry_warning = any(picking.move_line_ids.mapped("expiry_warning"))

    def _pre_action_done_hook(self):
        # A hard refusal comes before any wizard (backorder, product_expiry's expired-lot confirmation).
        self.move_line_ids._check_expiry_guards()
        return super()._pre_action_done_hook()

    def _action_done(self):
        short_lines = self.move_line_ids._short_shelf_life_receipts()
        res = super()._action_done()
        for picking in short_lines.picking_id:
            messages = [
                line._short_shelf_life_message() for line in short_lines if line.picking_id == picking
            ]
            picking.message_post(
                body=Markup("<br/>").join(messages),
                subject=self.env._("Short shelf life at receipt"),
            )
        return res
