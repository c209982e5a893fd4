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

    @api.model
    def _create_empty_lot_quants(self, keys):
        """Create, in one statement, the empty quants (no package, no owner) of the (product id, location
        id, lot id) ``keys`` that have none yet; returns them.

        Odoo creates a quant one record at a time when a move line first brings a lot to a location: for a
        batch of lines each bringing a new lot (the historical lot import), that is most of the cost. With
        the quants there, ``_update_available_quantity`` only updates them, still through Odoo's moves.
        """
        if not keys:
            return self.browse()
        self.env.flush_all()
        product_ids, location_ids, lot_ids = (list(column) for column in zip(*keys, strict=True))
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO stock_quant (product_id, location_id, lot_id, quantity, reserved_quantity,
                                         in_date, create_uid, create_date, write_uid, write_date)
                SELECT DISTINCT key.product_id, key.location_id, key.lot_id, 0, 0, %(now)s, %(uid)s, %(now)s,
                       %(uid)s, %(now)s
                  FROM unnest(%(products)s::int[], %(locations)s::int[], %(lots)s::int[])
                           AS key(product_id, location_id, lot_id)
                 WHERE NOT EXISTS (SELECT 1 FROM stock_quant quant
                                    WHERE quant.product_id = key.product_id
                                      AND quant.location_id = key.location_id
                                      AND quant.lot_id = key.lot_id
                                      AND quant.package_id IS NULL AND quant.owner_id IS NULL)
             RETURNING id
                """,
                now=self.env.cr.now(),
                uid=self.env.uid,
                products=product_ids,
                locations=location_ids,
                lots=lot_ids,
            )
        )
        quants = self.browse(quant_id for (quant_id,) in self.env.cr.fetchall())
        # Every cached list of quants (a lot's, a product's, a location's) misses the new ones.
        self.env.invalidate_all()
        # The stored fields Odoo computes at creation (company, dates, inventory figures) are computed here.
        computed = [name for name, field in self._fields.items() if field.store and field.compute]
        for name in computed:
            self.env.add_to_compute(self._fields[name], quants)
        quants._recompute_recordset(computed)
        return quants

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
