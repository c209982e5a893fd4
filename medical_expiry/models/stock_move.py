from odoo import models


class StockMove(models.Model):
    _inherit = "stock.move"

    def _expiry_refused_lots_domain(self):
        """Domain of the lots this move may not reserve, or False when its route is free."""
        self.ensure_one()
        Lot = self.env["stock.lot"]
        if not Lot._is_outbound_route(self.location_id, self.location_dest_id, self.picking_type_id):
            return False
        partner = self.location_dest_id.usage == "customer" and (
            self.picking_id.partner_id or self.partner_id
        )
        return Lot._outbound_refused_domain(partner and partner._min_expiration_date())

    def _update_reserved_quantity(
        self, need, location_id, lot_id=None, package_id=None, owner_id=None, strict=True
    ):
        move = self.with_context(expiry_refused_lots=self._expiry_refused_lots_domain())
        return super(StockMove, move)._update_reserved_quantity(
            need, location_id, lot_id, package_id, owner_id, strict
        )

    def _get_available_quantity(
        self, location_id, lot_id=None, package_id=None, owner_id=None, strict=False, allow_negative=False
    ):
        move = self.with_context(expiry_refused_lots=self._expiry_refused_lots_domain())
        return super(StockMove, move)._get_available_quantity(
            location_id, lot_id, package_id, owner_id, strict, allow_negative
        )

    def _action_done(self, cancel_backorder=False):
        moves = super()._action_done(cancel_backorder=cancel_backorder)
        moves.move_line_ids._mark_expiry_outbound()
        return moves
