from odoo import api, models
from odoo.tools import SQL


class StockQuant(models.Model):
    """Set-based quant writes, for batches of thousands of lines (the historical lot import).

    Odoo writes quants one line at a time: a quant search, a lock and a write per side of every move line.
    These methods do the same in a statement per batch, for the cases whose rules are simple enough to
    state in SQL, and leave the ORM's cache as if the ORM had written.
    """

    _inherit = "stock.quant"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _create_empty_lot_quants(self, keys):
        """Create, in one statement, the empty quants (no package, no owner) of the (product id, location
        id, lot id) ``keys`` that have none yet; returns them.

        Odoo creates a quant one record at a time when a move line first brings a lot to a location: for a
        batch of lines each bringing a new lot (the historical lot import), that is most of the cost.
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

    @api.model
    def _apply_incoming_move_lines(self, move_lines):
        """Move the quantity of each of ``move_lines`` from its source quant to its destination quant, in
        one statement: what ``stock.move.line._action_done`` does with two ``_update_available_quantity``
        calls per line, for lines that bring lots in from a location without reservations (inventory,
        supplier). Returns the quants written.

        Such a source holds no reservation to free and may go negative, and a destination only gains: no
        line can be refused, so the whole batch is one UPDATE. Each side takes the quant Odoo would take
        (the lot's quant there without package or owner, the first by id), created first if missing; its
        incoming date is Odoo's too: now at a location without reservations, else the older of now and
        the quant's date while it holds stock.
        """
        if not move_lines:
            return self.browse()
        self.env.flush_all()
        # The lines' own columns, read at once: thousands of lines through the ORM cost a query each.
        self.env.cr.execute(
            SQL(
                """
                SELECT id, product_id, location_id, location_dest_id, lot_id, quantity_product_uom,
                       lot_id IS NULL OR package_id IS NOT NULL OR result_package_id IS NOT NULL
                       OR owner_id IS NOT NULL AS unsupported
                  FROM stock_move_line
                 WHERE id = ANY(%s)
                """,
                move_lines.ids,
            )
        )
        lines = self.env.cr.fetchall()
        products = self.env["product.product"].browse({line[1] for line in lines})
        locations = self.env["stock.location"].browse({line[i] for line in lines for i in (2, 3)})
        bypassing = {location.id for location in locations if location.should_bypass_reservation()}
        unsupported = [
            line[0]
            for line in lines
            if line[6] or line[2] not in bypassing or not products.browse(line[1]).is_storable
        ]
        if unsupported:
            raise ValueError(f"move lines {unsupported} need stock.move.line._action_done")
        sides = [
            (product, location, lot, sign * quantity)
            for _id, product, source, destination, lot, quantity, _unsupported in lines
            for location, sign in ((source, -1), (destination, 1))
        ]
        self._create_empty_lot_quants([side[:3] for side in sides])
        products, locations_of_sides, lots, quantities = (list(column) for column in zip(*sides, strict=True))
        self.env.cr.execute(
            SQL(
                """
                WITH delta AS (
                    SELECT product_id, location_id, lot_id, SUM(quantity) AS quantity
                      FROM unnest(%(products)s::int[], %(locations)s::int[], %(lots)s::int[],
                                  %(quantities)s::numeric[])
                           AS side(product_id, location_id, lot_id, quantity)
                  GROUP BY product_id, location_id, lot_id
                ), target AS (
                    SELECT DISTINCT ON (delta.product_id, delta.location_id, delta.lot_id)
                           quant.id, delta.quantity, delta.location_id = ANY(%(bypassing)s) AS bypasses
                      FROM delta
                      JOIN stock_quant quant
                        ON quant.product_id = delta.product_id AND quant.location_id = delta.location_id
                       AND quant.lot_id = delta.lot_id AND quant.package_id IS NULL AND quant.owner_id IS NULL
                  ORDER BY delta.product_id, delta.location_id, delta.lot_id, quant.id
                )
                UPDATE stock_quant quant
                   SET quantity = quant.quantity + target.quantity,
                       in_date = CASE WHEN target.bypasses THEN %(now)s
                                      ELSE LEAST(%(now)s, CASE WHEN quant.quantity > 0 THEN quant.in_date END)
                                 END,
                       write_uid = %(uid)s, write_date = %(now)s
                  FROM target
                 WHERE quant.id = target.id
             RETURNING quant.id
                """,
                products=products,
                locations=locations_of_sides,
                lots=lots,
                quantities=quantities,
                bypassing=list(bypassing),
                now=self.env.cr.now(),
                uid=self.env.uid,
            )
        )
        quants = self.browse(quant_id for (quant_id,) in self.env.cr.fetchall())
        written = ["quantity", "in_date", "write_uid", "write_date"]
        quants.invalidate_recordset(written)
        quants.modified(written)
        return quants
