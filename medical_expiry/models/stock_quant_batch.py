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
    def _apply_incoming_move_lines(self, move_lines):
        """Move the quantity of each of ``move_lines`` from its source quant to its destination quant, in
        one statement: what ``stock.move.line._action_done`` does with two ``_update_available_quantity``
        calls per line, for lines that bring lots in from a location without reservations (inventory,
        supplier). Returns the quants written.

        Such a source holds no reservation to free and may go negative, and a destination only gains: no
        line can be refused, so the whole batch is one UPDATE and one INSERT. Each side takes the quant
        Odoo would take (the lot's quant there without package or owner, the first by id), else a new one
        (``_create_incoming_lot_quants``); its incoming date is Odoo's too: now at a location without
        reservations, else the older of now and the quant's date while it holds stock.
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
        storable = set(products.filtered("is_storable").ids)
        unsupported = [
            line[0] for line in lines if line[6] or line[2] not in bypassing or line[1] not in storable
        ]
        if unsupported:
            raise ValueError(f"move lines {unsupported} need stock.move.line._action_done")
        sides = [
            (product, location, lot, sign * quantity)
            for _id, product, source, destination, lot, quantity, _unsupported in lines
            for location, sign in ((source, -1), (destination, 1))
        ]
        products, locations_of_sides, lots, quantities = (list(column) for column in zip(*sides, strict=True))
        delta = SQL(
            """
            SELECT product_id, location_id, lot_id, SUM(quantity) AS quantity
              FROM unnest(%s::int[], %s::int[], %s::int[], %s::numeric[])
                   AS side(product_id, location_id, lot_id, quantity)
          GROUP BY product_id, location_id, lot_id
            """,
            products,
            locations_of_sides,
            lots,
            quantities,
        )
        now, uid = self.env.cr.now(), self.env.uid
        self.env.cr.execute(
            SQL(
                """
                WITH delta AS (%(delta)s), target AS (
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
                delta=delta,
                bypassing=list(bypassing),
                now=now,
                uid=uid,
            )
        )
        updated = self.browse(quant_id for (quant_id,) in self.env.cr.fetchall())
        created = self._create_incoming_lot_quants(delta, locations)
        # The lots' single location (stock's stock.lot.location_id), the one stored field the quantities
        # change: with the quants' creation, what the ORM would recompute after them.
        self.env.cr.execute(
            SQL(
                """
                UPDATE stock_lot lot
                   SET location_id = single.location_id, write_uid = %(uid)s, write_date = %(now)s
                  FROM (SELECT lot.id, (SELECT CASE WHEN COUNT(DISTINCT quant.location_id) = 1
                                                    THEN MIN(quant.location_id) END
                                          FROM stock_quant quant
                                         WHERE quant.lot_id = lot.id AND quant.quantity > 0) AS location_id
                          FROM stock_lot lot
                         WHERE lot.id = ANY(%(lots)s)) AS single
                 WHERE lot.id = single.id AND lot.location_id IS DISTINCT FROM single.location_id
                """,
                lots=list(set(lots)),
                now=now,
                uid=uid,
            )
        )
        # Every cached list of quants (a lot's, a product's, a location's) misses the new ones.
        self.env.invalidate_all()
        created._validate_fields(["product_id", "location_id", "lot_id"])
        return updated | created

    @api.model
    def _create_incoming_lot_quants(self, delta, locations):
        """Create, in one statement, the quants (no package, no owner) of the (product, location, lot) of
        ``delta`` (SQL: their quantity) that have none yet; returns them.

        The stored fields the ORM computes for a quant ``_update_available_quantity`` creates are given
        their values here: company and storage category of the location, next inventory date, the lot's
        dates, and the counted difference, computed when the ORM flushes, after the lines: minus the
        quantity they leave.
        """
        inventory_dates = {location.id: location._get_next_inventory_date() for location in locations}
        now = self.env.cr.now()
        self.env.cr.execute(
            SQL(
                """
                WITH delta AS (%(delta)s)
                INSERT INTO stock_quant (product_id, location_id, lot_id, quantity, reserved_quantity,
                                         in_date, company_id, storage_category_id, inventory_date,
                                         inventory_diff_quantity, inventory_quantity_set, expiration_date,
                                         removal_date, expiry_date_local,
                                         create_uid, create_date, write_uid, write_date)
                SELECT delta.product_id, delta.location_id, delta.lot_id, delta.quantity, 0, %(now)s,
                       location.company_id, location.storage_category_id, inventory.date,
                       -delta.quantity, FALSE, lot.expiration_date,
                       lot.removal_date, lot.expiry_date_local,
                       %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM delta
                  JOIN stock_location location ON location.id = delta.location_id
                  JOIN stock_lot lot ON lot.id = delta.lot_id
                  JOIN unnest(%(locations)s::int[], %(dates)s::date[]) AS inventory(location_id, date)
                    ON inventory.location_id = delta.location_id
                 WHERE NOT EXISTS (SELECT 1 FROM stock_quant quant
                                    WHERE quant.product_id = delta.product_id
                                      AND quant.location_id = delta.location_id
                                      AND quant.lot_id = delta.lot_id
                                      AND quant.package_id IS NULL AND quant.owner_id IS NULL)
             RETURNING id
                """,
                delta=delta,
                locations=list(inventory_dates),
                dates=[date or None for date in inventory_dates.values()],
                now=now,
                uid=self.env.uid,
            )
        )
        return self.browse(quant_id for (quant_id,) in self.env.cr.fetchall())
