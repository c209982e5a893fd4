from collections import defaultdict

from odoo import api, models
from odoo.tools import SQL, float_compare


class MedicalRecallTrace(models.AbstractModel):
    """Where every unit of some lots is now: the one trace of a recall, which turns it into lines.

    It reads and writes nothing: the recall stores what it finds (``medical.recall._trace``), its
    logistics act on the open deliveries it names (``_get_open_delivery_lines``).
    """

    _name = "medical.recall.trace"
    _description = "Recall Trace"

    @api.model
    def _trace_units(self, lots):
        """Every unit of ``lots``, wherever it is now: the values of recall lines, without the recall.

        Set-based: stock on hand and in transit from the quants (Odoo's sum of the done move lines),
        reservations of open deliveries from their move lines, deliveries from the done move lines to
        customers net of what each customer sent back, and each lot's supplier from its first receipt. A
        handful of queries, however many move lines the lots have.
        """
        self.env.flush_all()
        origins = self._get_first_receipts(lots.ids)
        reservations = defaultdict(float)
        reserved_at = defaultdict(float)
        for line in self._get_open_delivery_lines(lots):
            key = (line.lot_id.id, line.location_id.id)
            reservations[key + (line.picking_id.id,)] += line.quantity_product_uom
            reserved_at[key] += line.quantity_product_uom
        vals_list = []

        def add_line(line_type, lot_id, product_id, quantity, **vals):
            vals_list.append(
                {
                    "line_type": line_type,
                    "lot_id": lot_id,
                    "product_id": product_id,
                    "quantity": quantity,
                    **origins.get(lot_id, {}),
                    **vals,
                }
            )

        in_transit = {}
        for lot_id, product_id, location_id, warehouse_id, usage, quarantined, quantity in self._get_stock(
            lots.ids
        ):
            if usage == "transit":
                in_transit[lot_id, location_id] = (product_id, warehouse_id, quantity)
                continue
            on_hand = quantity - reserved_at.get((lot_id, location_id), 0.0)
            if on_hand > 0:
                # Stock already in quarantine is under control: recovered from the start.
                add_line(
                    "on_hand",
                    lot_id,
                    product_id,
                    on_hand,
                    qty_recovered=on_hand if quarantined else 0.0,
                    location_id=location_id,
                    warehouse_id=warehouse_id,
                )
        receipts = self._split_transit_by_receipt(
            {key: quantity for key, (*_rest, quantity) in in_transit.items()}
        )
        for (lot_id, location_id, picking_id), quantity in receipts.items():
            product_id, warehouse_id, _total = in_transit[lot_id, location_id]
            add_line(
                "in_transit",
                lot_id,
                product_id,
                quantity,
                picking_id=picking_id,
                location_id=location_id,
                warehouse_id=warehouse_id,
            )
        pickings = self.env["stock.picking"].browse({picking_id for _lot, _loc, picking_id in reservations})
        partners = {picking.id: picking.partner_id.commercial_partner_id.id for picking in pickings}
        locations = self.env["stock.location"].browse(
            {location_id for _lot, location_id, _pick in reservations}
        )
        warehouses = {location.id: location.warehouse_id.id for location in locations}
        products = {lot.id: lot.product_id.id for lot in lots}
        for (lot_id, location_id, picking_id), quantity in reservations.items():
            add_line(
                "reserved",
                lot_id,
                products[lot_id],
                quantity,
                location_id=location_id,
                warehouse_id=warehouses[location_id],
                picking_id=picking_id,
                partner_id=partners.get(picking_id),
            )
        self.env.cr.execute(self._get_deliveries_query(lots.ids))
        deliveries = self.env.cr.fetchall()
        for lot_id, product_id, customer_id, picking_id, warehouse_id, date, quantity in deliveries:
            add_line(
                "delivered",
                lot_id,
                product_id,
                quantity,
                partner_id=customer_id,
                picking_id=picking_id,
                warehouse_id=warehouse_id,
                date=date,
            )
        return vals_list

    @api.model
    def _get_stock(self, lot_ids):
        """[(lot id, product id, location id, warehouse id, usage, in quarantine, quantity)]: the stock of
        the lots in the warehouses and in transit, by location."""
        self.env.cr.execute(
            SQL(
                """
                SELECT quant.lot_id, quant.product_id, quant.location_id, location.warehouse_id,
                       location.usage, location.is_quarantine IS TRUE, SUM(quant.quantity)
                  FROM stock_quant quant
                  JOIN stock_location location ON location.id = quant.location_id
                 WHERE quant.lot_id = ANY(%s) AND location.usage IN ('internal', 'transit')
              GROUP BY quant.lot_id, quant.product_id, quant.location_id, location.warehouse_id,
                       location.usage, location.is_quarantine
                HAVING SUM(quant.quantity) > 0
              ORDER BY location.warehouse_id, quant.location_id, quant.lot_id
                """,
                lot_ids,
            )
        )
        return self.env.cr.fetchall()

    @api.model
    def _split_transit_by_receipt(self, transit_stock):
        """{(lot id, location id, picking id or False): quantity}: stock in transit ({(lot id, location id):
        quantity}) split over the transfers that will receive it.

        The units a transfer from that location reserved are its own. The rest go to the transfers still
        short of their demand for the product, oldest first: entered before the goods left, they could
        reserve nothing. What no transfer awaits yet is in transit for no one (picking False).
        """
        if not transit_stock:
            return {}
        precision = self.env["decimal.precision"].precision_get("Product Unit of Measure")
        lots = self.env["stock.lot"].browse({lot_id for lot_id, _location in transit_stock})
        moves = self.env["stock.move"].search(
            [
                ("location_id", "in", list({location_id for _lot, location_id in transit_stock})),
                ("product_id", "in", lots.product_id.ids),
                ("state", "not in", ("draft", "done", "cancel")),
            ],
            order="date, id",
        )
        reserved = defaultdict(float)
        for line in moves.move_line_ids.filtered(lambda line: line.lot_id in lots):
            reserved[line.lot_id.id, line.location_id.id, line.picking_id.id] += line.quantity_product_uom
        awaited = {
            move: move.product_qty - sum(move.move_line_ids.mapped("quantity_product_uom")) for move in moves
        }
        arrivals = defaultdict(float)
        for (lot_id, location_id), quantity in transit_stock.items():
            unassigned = quantity
            for (reserved_lot, reserved_location, picking_id), reserved_quantity in reserved.items():
                if (reserved_lot, reserved_location) == (lot_id, location_id):
                    arrivals[lot_id, location_id, picking_id] += min(unassigned, reserved_quantity)
                    unassigned -= min(unassigned, reserved_quantity)
            product = lots.browse(lot_id).product_id
            for move in moves:
                if float_compare(unassigned, 0, precision_digits=precision) <= 0:
                    break
                if move.product_id == product and move.location_id.id == location_id and awaited[move] > 0:
                    part = min(unassigned, awaited[move])
                    awaited[move] -= part
                    unassigned -= part
                    arrivals[lot_id, location_id, move.picking_id.id] += part
            if float_compare(unassigned, 0, precision_digits=precision) > 0:
                arrivals[lot_id, location_id, False] += unassigned
        return {
            key: quantity
            for key, quantity in arrivals.items()
            if float_compare(quantity, 0, precision_digits=precision) > 0
        }

    @api.model
    def _get_deliveries_query(self, lot_ids):
        """Per customer, delivery and lot: what was delivered, minus what that customer returned.

        A customer's returns of a lot are taken off its latest deliveries first. Customers are commercial
        partners: the hospital, not the ward the delivery went to.
        """
        return SQL(
            """
            WITH moved AS (%(moves)s),
            deliveries AS (
                SELECT lot_id, product_id, customer_id, picking_id, warehouse_id,
                       MAX(date) AS date, SUM(quantity) AS quantity
                  FROM moved
                 WHERE delivered
              GROUP BY lot_id, product_id, customer_id, picking_id, warehouse_id
            ),
            returned AS (
                SELECT lot_id, customer_id, SUM(quantity) AS quantity
                  FROM moved
                 WHERE NOT delivered
              GROUP BY lot_id, customer_id
            ),
            allocated AS (
                SELECT delivery.*,
                       GREATEST(COALESCE(returned.quantity, 0) - (
                           SUM(delivery.quantity) OVER (
                               PARTITION BY delivery.lot_id, delivery.customer_id
                               ORDER BY delivery.date DESC, delivery.picking_id DESC
                               ROWS UNBOUNDED PRECEDING
                           ) - delivery.quantity), 0) AS returned_after
                  FROM deliveries delivery
             LEFT JOIN returned ON returned.lot_id = delivery.lot_id
                   AND returned.customer_id IS NOT DISTINCT FROM delivery.customer_id
            )
            SELECT lot_id, product_id, customer_id, picking_id, warehouse_id, date,
                   quantity - LEAST(quantity, returned_after) AS quantity
              FROM allocated
             WHERE quantity > returned_after
          ORDER BY customer_id, date, picking_id, lot_id
            """,
            moves=self.env["stock.move.line"]._customer_moves_query(lot_ids),
        )

    @api.model
    def _get_first_receipts(self, lot_ids):
        """{lot id: supplier, purchase order and receipt of its first receipt from a supplier}."""
        self.env.cr.execute(
            SQL(
                "SELECT lot.id, origin.supplier_id, origin.purchase_id, origin.receipt_id"
                "  FROM unnest(%s::int[]) AS lot(id) CROSS JOIN LATERAL (%s) AS origin",
                list(lot_ids),
                self.env["stock.lot"]._first_supplier_receipt_sql(SQL("lot.id")),
            )
        )
        return {
            lot_id: {"supplier_id": supplier_id, "purchase_id": purchase_id, "receipt_id": receipt_id}
            for lot_id, supplier_id, purchase_id, receipt_id in self.env.cr.fetchall()
        }

    @api.model
    def _get_open_delivery_lines(self, lots):
        """Open move lines reserving ``lots`` on their way out (deliveries, other warehouses)."""
        return (
            self.env["stock.move.line"]
            .search(
                [
                    ("lot_id", "in", lots.ids),
                    ("state", "not in", ("done", "cancel")),
                    ("quantity", ">", 0),
                    ("location_id.usage", "=", "internal"),
                ]
            )
            .filtered(lambda line: line._is_outbound_route())
        )
