from odoo import models
from odoo.tools import float_compare

from .medical_nonconforming import OPEN_STATES


class StockLot(models.Model):
    _inherit = "stock.lot"

    def _block_expired_lots(self, lots):
        """Expired stock is non-conforming: what the nightly job blocks is registered, and moved to the red
        zone, from the internal locations outside quarantine."""
        res = super()._block_expired_lots(lots)
        lots._report_expired_stock()
        return res

    def _report_expired_stock(self):
        """Register the free stock of these lots (found expired) in the internal stock locations outside
        quarantine, except where an open entry already has that lot and location: run again, it adds
        nothing."""
        Register = self.env["medical.nonconforming"]
        if not self:
            return Register
        stock = (
            self.env["stock.quant"]
            .sudo()
            ._read_group(
                [
                    ("lot_id", "in", self.ids),
                    ("location_id.usage", "=", "internal"),
                    ("location_id.is_quarantine", "=", False),
                    ("location_id.warehouse_id", "!=", False),
                ],
                ["lot_id", "location_id"],
                ["quantity:sum", "reserved_quantity:sum"],
            )
        )
        open_pairs = {
            (entry.lot_id.id, entry.source_location_id.id)
            for entry in Register.sudo().search([("lot_id", "in", self.ids), ("state", "in", OPEN_STATES)])
        }
        company = self.env.company
        origin = self.with_context(lang=company._expiry_lang()).env._("Daily expiry job")
        return Register._report_goods(
            [
                {"reason": "expired", "lot_id": lot.id, "location_id": location.id, "origin": origin}
                for lot, location, quantity, reserved in stock
                if (lot.id, location.id) not in open_pairs
                and float_compare(quantity - reserved, 0, precision_rounding=lot.product_id.uom_id.rounding)
                > 0
            ],
            skip_unavailable=True,
        )
