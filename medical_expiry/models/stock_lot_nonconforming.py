from collections import defaultdict

from odoo import api, models
from odoo.tools import float_compare

# Lots registered per run of the nightly feed: bounded time and memory however large the backlog.
EXPIRED_STOCK_BATCH = 500


class StockLot(models.Model):
    _inherit = "stock.lot"

    @api.model
    def _cron_report_expired_stock(self, batch_size=EXPIRED_STOCK_BATCH):
        """Nightly, after the expiry job: expired stock is non-conforming. The stock of lots blocked as
        expired still in sellable locations, free or reserved by open deliveries (which can never take
        it out), is registered and sent to the red zone, ``batch_size`` lots a run; while some are left the
        cron runs again at once (the first night after installing drains the backlog in bounded runs, a
        normal night has a few lots)."""
        lots = self.search(
            [("is_blocked", "=", True), ("block_reason", "=", "expired")]
        )._unreported_expired_lots()
        batch = lots[:batch_size]
        registered = batch._report_expired_stock().lot_id
        # Progress counts the lots registered: stock that cannot be moved never makes the cron loop.
        self.env["ir.cron"]._notify_progress(done=len(registered), remaining=len(lots) - len(registered))

    def _unreported_expired_lots(self):
        """These lots, restricted to those with stock to register in a place no expiry entry has
        registered yet."""
        return self.browse(sorted({lot.id for lot, _location, _quantity in self._unreported_expired_stock()}))

    def _unreported_expired_stock(self):
        """[(lot, location, quantity)]: the stock of these lots to register, free or reserved by open
        deliveries, in the internal stock locations outside quarantine where no entry registered the lot as
        expired (whatever became of it: a cancelled entry was a decision, not to be undone every night).
        What other transfers reserve (to quarantine, back to the supplier) is on its way out already."""
        if not self:
            return []
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
        delivering = defaultdict(float)
        for line in self.env["medical.recall.trace"].sudo()._get_open_delivery_lines(self):
            delivering[line.lot_id.id, line.location_id.id] += line.quantity_product_uom
        registered = {
            (entry.lot_id.id, entry.source_location_id.id)
            for entry in self.env["medical.nonconforming"]
            .sudo()
            .search([("lot_id", "in", self.ids), ("reason", "=", "expired")])
        }
        unreported = []
        for lot, location, on_hand, reserved in stock:
            quantity = on_hand - reserved + delivering[lot.id, location.id]
            rounding = lot.product_id.uom_id.rounding
            if (lot.id, location.id) not in registered and float_compare(
                quantity, 0, precision_rounding=rounding
            ) > 0:
                unreported.append((lot, location, quantity))
        return unreported

    def _report_expired_stock(self):
        """Register the unreported stock of these lots (found expired), first taken out of the open
        deliveries reserving it; run again, it adds nothing."""
        Register = self.env["medical.nonconforming"]
        stock = self._unreported_expired_stock()
        if not stock:
            return Register
        self.env["medical.recall.logistics"].sudo()._unreserve_open_deliveries(
            self.browse(sorted({lot.id for lot, _location, _quantity in stock}))
        )
        company = self.env.company
        origin = self.with_context(lang=company._expiry_lang()).env._("Daily expiry job")
        return Register._report_goods(
            [
                {"reason": "expired", "lot_id": lot.id, "location_id": location.id, "origin": origin}
                for lot, location, _quantity in stock
            ],
            skip_unavailable=True,
        )
