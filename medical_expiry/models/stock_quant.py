from odoo import api, models
from odoo.exceptions import UserError
from odoo.osv import expression
from odoo.tools import SQL, float_compare

from .context_keys import REFUSED_LOTS


class StockQuant(models.Model):
    _inherit = "stock.quant"

    @api.model
    def _get_gather_domain(
        self, product_id, location_id, lot_id=None, package_id=None, owner_id=None, strict=False
    ):
        domain = super()._get_gather_domain(product_id, location_id, lot_id, package_id, owner_id, strict)
        refused = self.env.context.get(REFUSED_LOTS)
        if refused:
            # Scoped to the product, so the refused-lot subquery uses the lot's product index instead of
            # scanning every lot on each of the many lookups a reservation makes.
            refused_of_product = expression.AND([[("product_id", "=", product_id.id)], refused])
            domain = expression.AND([domain, [("lot_id", "not any", refused_of_product)]])
        return domain

    @api.model
    def _get_removal_strategy(self, product_id, location_id):
        """FEFO is the default for expiry-tracked products; an explicit strategy (FIFO too) still wins."""
        strategy = super()._get_removal_strategy(product_id, location_id)
        if strategy == "fifo" and product_id.use_expiration_date:
            explicit = product_id.sudo().categ_id.removal_strategy_id or self.env[
                "stock.location"
            ].sudo().search_count(
                [("id", "parent_of", location_id.id), ("removal_strategy_id", "!=", False)], limit=1
            )
            if not explicit:
                return "fefo"
        return strategy

    # ------------------------------------------------------------------
    # Exact lot stock under concurrency
    # ------------------------------------------------------------------
    @api.model
    def _update_available_quantity(
        self,
        product_id,
        location_id,
        quantity=False,
        reserved_quantity=False,
        lot_id=None,
        package_id=None,
        owner_id=None,
        in_date=None,
    ):
        # Every change of a quant's quantity or reservation comes here: reserving, unreserving, moving.
        if product_id._serializes_lot_stock():
            self.sudo()._gather(
                product_id, location_id, lot_id=lot_id, package_id=package_id, owner_id=owner_id, strict=True
            )._lock_for_update()
        result = super()._update_available_quantity(
            product_id, location_id, quantity, reserved_quantity, lot_id, package_id, owner_id, in_date
        )
        if (
            quantity
            and float_compare(quantity, 0, precision_rounding=product_id.uom_id.rounding) < 0
            and lot_id
            and product_id._refuses_negative_lot_stock()
            and not location_id.should_bypass_reservation()
        ):
            self._check_lot_not_below_zero(product_id, location_id, -quantity, lot_id, package_id, owner_id)
        return result

    def _lock_for_update(self):
        """Lock these quants until the transaction ends, in id order so that lockers never deadlock here.

        Odoo takes a quant with ``FOR NO KEY UPDATE SKIP LOCKED`` and, when a concurrent transaction holds
        it, writes a duplicate quant instead: two clients reserving the same units both succeed (16
        reserved of 10), and an unreservation that lands on another row than its reservation is clamped at
        zero there, so units stay reserved by nobody. Waiting instead is enough: the waiting transaction's
        REPEATABLE READ snapshot predates the other's commit, so PostgreSQL fails it with a serialization
        error once the other commits, and Odoo replays the request on data that shows the other's work.
        """
        if self:
            self.env.cr.execute(
                SQL(
                    "SELECT id FROM stock_quant WHERE id = ANY(%s) ORDER BY id FOR NO KEY UPDATE",
                    list(self.ids),
                )
            )

    @api.model
    def _check_lot_not_below_zero(self, product_id, location_id, quantity, lot_id, package_id, owner_id):
        """Refuse taking ``quantity`` of a lot from a location where that leaves it below zero."""
        [(on_hand,)] = self.sudo()._read_group(
            [
                ("product_id", "=", product_id.id),
                ("location_id", "=", location_id.id),
                ("lot_id", "=", lot_id.id),
                ("package_id", "=", package_id.id if package_id else False),
                ("owner_id", "=", owner_id.id if owner_id else False),
            ],
            aggregates=["quantity:sum"],
        )
        if float_compare(on_hand, 0, precision_rounding=product_id.uom_id.rounding) >= 0:
            return
        available, taken = f"{on_hand + quantity:g}", f"{quantity:g}"
        raise UserError(
            self.env._(
                "Lot %(lot)s of %(product)s cannot go below zero: %(location)s holds %(available)s "
                "%(uom)s of it, %(quantity)s %(uom)s are to be taken. Nothing was moved.",
                lot=lot_id.name,
                product=product_id.display_name,
                location=location_id.display_name,
                available=available,
                quantity=taken,
                uom=product_id.uom_id.name,
            )
        )
