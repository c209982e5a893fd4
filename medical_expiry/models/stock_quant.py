import contextlib

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.osv import expression
from odoo.tools import SQL, float_compare
from odoo.tools.sql import create_index

from .context_keys import REFUSED_LOTS

# The removal strategies whose order is a plain ORDER BY ending on the id, which a bounded read can follow.
BOUNDED_READ_STRATEGIES = ("fifo", "lifo", "fefo")
# Quants read by the first query of a bounded read; each next query reads twice as many.
FIRST_BATCH = 16
# Key in the cursor's cache of the quants a reservation in progress has read (see ``_reading_only``).
RESERVATION_READ = "medical_expiry.reservation_read"


class StockQuant(models.Model):
    _inherit = "stock.quant"

    # The lot's calendar date of expiry, stored here too: the workbench groups a million quants by month
    # of expiry without reading their lots.
    expiry_date_local = fields.Date(related="lot_id.expiry_date_local", store=True)

    def _auto_init(self):
        self.env["stock.lot"]._fill_expiry_date_local_column(self._table, "lot_id")
        return super()._auto_init()

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

    # ------------------------------------------------------------------
    # Reservation from a bounded read
    # ------------------------------------------------------------------
    def init(self):
        # A FEFO reservation walks a product's quants with a lot in removal order and stops at its need;
        # the quants short of stock, which it must all know, are few.
        create_index(
            self.env.cr,
            "stock_quant_fefo_reservation_index",
            self._table,
            ["product_id", "removal_date", "in_date", "id"],
            where="lot_id IS NOT NULL",
        )
        create_index(
            self.env.cr,
            "stock_quant_short_reservation_index",
            self._table,
            ["product_id"],
            where="quantity < reserved_quantity",
        )
        # The nightly alert job looks again only at the products whose stock changed since its last run.
        create_index(self.env.cr, "stock_quant_write_date_index", self._table, ["write_date"])
        return super().init()

    def _gather(
        self, product_id, location_id, lot_id=None, package_id=None, owner_id=None, strict=False, qty=0
    ):
        read = self.env.cr.cache.get(RESERVATION_READ, {}).get(
            _gather_key(product_id, location_id, lot_id, package_id, owner_id, strict)
        )
        if read is not None:
            return self.browse(read)
        return super()._gather(product_id, location_id, lot_id, package_id, owner_id, strict, qty)

    @api.model
    def _get_reserve_quantity(
        self,
        product_id,
        location_id,
        quantity,
        product_packaging_id=None,
        uom_id=None,
        lot_id=None,
        package_id=None,
        owner_id=None,
        strict=False,
    ):
        """Reserve a medical device from the first quants in removal order instead of all of them.

        Odoo gathers every candidate quant of the product (thousands at a distributor) to take the first
        few. The quants read here make Odoo's reservation take exactly what it takes from all of them
        (see ``_gather_for_reservation``); Odoo's own code reserves from them.
        """
        args = (product_id, location_id, quantity, product_packaging_id, uom_id, lot_id, package_id, owner_id)
        order = self._bounded_reservation_order(product_id, location_id, quantity, strict)
        if not order:
            return super()._get_reserve_quantity(*args, strict)
        covered = quantity
        if product_packaging_id and product_id.product_tmpl_id.categ_id.packaging_reserve_method == "full":
            # Odoo rounds what is available down to whole packagings: read up to whole packagings too.
            covered = product_packaging_id._check_qty(quantity, product_id.uom_id, "UP")
        quants = self.sudo()._gather_for_reservation(
            product_id, location_id, covered, order, lot_id, package_id, owner_id
        )
        with self._reading_only(
            quants, _gather_key(product_id, location_id, lot_id, package_id, owner_id, strict)
        ):
            return super()._get_reserve_quantity(*args, strict)

    @api.model
    def _bounded_reservation_order(self, product_id, location_id, quantity, strict):
        """The removal order in which reserving ``quantity`` reads only the quants it needs, or None.

        Medical devices, in a removal order that is a plain ORDER BY. Given lots, packages and owners
        (``strict``) already name the few quants; unreservations and Odoo's other strategies (closest
        location, least packages) read them all as Odoo does.
        """
        if (
            not product_id.medical_device_class
            or strict
            or float_compare(quantity, 0, precision_rounding=product_id.uom_id.rounding) <= 0
        ):
            return None
        strategy = self._get_removal_strategy(product_id, location_id)
        return self._get_removal_strategy_order(strategy) if strategy in BOUNDED_READ_STRATEGIES else None

    @api.model
    def _gather_for_reservation(
        self, product_id, location_id, quantity, order, lot_id=None, package_id=None, owner_id=None
    ):
        """The quants from which Odoo's reservation of ``quantity`` takes what it takes from all of them.

        Odoo's reservation walks the quants in removal order, those with a lot first, skips those without
        free stock and deducts from a quant what quants of its location, lot, package and owner hold short
        (reserved beyond their quantity, or negative); what is available counts the shortfalls too. So
        these are the quants with free stock in that order, read in growing batches until their free
        stock less all the shortfalls covers ``quantity`` (or to the last), then every short quant, which
        gives nothing. Quants the guard refuses are outside the gather domain: the database skips them.
        """
        query = self._search(self._get_gather_domain(product_id, location_id, lot_id, package_id, owner_id))
        if query.is_empty():
            return self.browse()
        order = self._order_to_sql(order, query)  # before the FROM clause is read: it may join
        on_hand, reserved, lot = (
            self._field_to_sql(query.table, fname, query)
            for fname in ("quantity", "reserved_quantity", "lot_id")
        )
        selection = SQL(
            "SELECT %s, %s, %s FROM %s WHERE (%s)",
            SQL.identifier(query.table, "id"),
            on_hand,
            reserved,
            query.from_clause,
            query.where_clause,
        )
        rows = self.env.execute_query(SQL("%s AND %s < %s", selection, on_hand, reserved))
        short = [quant_id for quant_id, _on_hand, _reserved in rows]
        missing = quantity + sum(
            quant_reserved - quant_on_hand for _id, quant_on_hand, quant_reserved in rows
        )
        rounding = product_id.uom_id.rounding
        free = []
        for lots_first in (SQL("%s IS NOT NULL", lot), SQL("%s IS NULL", lot)):
            offset, limit = 0, FIRST_BATCH
            while float_compare(missing, 0, precision_rounding=rounding) > 0:
                rows = self.env.execute_query(
                    SQL(
                        "%s AND %s AND %s > %s ORDER BY %s LIMIT %s OFFSET %s",
                        selection,
                        lots_first,
                        on_hand,
                        reserved,
                        order,
                        limit,
                        offset,
                    )
                )
                free += [quant_id for quant_id, _on_hand, _reserved in rows]
                missing -= sum(
                    quant_on_hand - quant_reserved
                    for _id, quant_on_hand, quant_reserved in rows
                    if float_compare(quant_on_hand, quant_reserved, precision_rounding=rounding) > 0
                )
                if len(rows) < limit:
                    break
                offset, limit = offset + limit, limit * 2
        return self.browse(free + short)

    @contextlib.contextmanager
    def _reading_only(self, quants, key):
        """While open, ``_gather`` with these arguments (``key``) gives these quants and reads nothing.

        Odoo's reservation gathers twice (the quants, then their availability): both must see the quants
        read for it. Kept in the cursor's cache, which no client reaches, and only for this reservation.
        """
        reading = self.env.cr.cache.setdefault(RESERVATION_READ, {})
        previous = reading.get(key)
        reading[key] = quants.ids
        try:
            yield
        finally:
            if previous is None:
                del reading[key]
            else:
                reading[key] = previous

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
        # It changes the quant it names, refused lot or not: the refusals of the move being reserved
        # chose that lot already.
        self = self.with_context(**{REFUSED_LOTS: None})
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


def _gather_key(product_id, location_id, lot_id, package_id, owner_id, strict):
    return (
        product_id.id,
        location_id.id,
        lot_id.id if lot_id else False,
        package_id.id if package_id else False,
        owner_id.id if owner_id else False,
        bool(strict),
    )
