from collections import defaultdict

from odoo import Command, api, models
from odoo.tools import SQL, float_compare

from .chatter_note import listed_note


class MedicalRecallLogistics(models.AbstractModel):
    """The transfers a confirmed recall makes to get its units back, from its lines.

    Recalled lots leave the open deliveries, stock on the road arrives in quarantine, stock on hand is
    taken there, each customer gets a return into quarantine of what it holds, and each supplier a return
    from quarantine of what it sold. The transfers reserve exactly the recalled lots, and are left for the
    warehouses to carry out.
    """

    _name = "medical.recall.logistics"
    _description = "Recall Logistics"

    @api.model
    def _create_recovery_transfers(self, recall):
        """Unreserve, redirect and prepare every transfer that brings the units of ``recall`` back."""
        self._unreserve_open_deliveries(recall.lot_ids)
        self._redirect_transit_to_quarantine(recall)
        quarantine_moves = self._create_quarantine_transfers(recall)
        self._create_customer_returns(recall)
        self._create_supplier_returns(recall, quarantine_moves)

    @api.model
    def _unreserve_open_deliveries(self, lots):
        """Take ``lots``, which may not leave (recalled, expired), out of the open deliveries, which then
        reserve other lots if they can; each transfer says in its chatter which lots were taken off it.

        Transfers taking the lots to quarantine, back to their supplier or to scrap keep them: that is how
        bad stock is taken out of the way."""
        lines = self.env["medical.recall.trace"]._get_open_delivery_lines(lots)
        if not lines:
            return
        notes = {
            picking: self._unreserved_note(lines.filtered(lambda line, p=picking: line.picking_id == p))
            for picking in lines.picking_id
        }
        moves = lines.move_id
        lines.unlink()
        # The outbound guard refuses these lots: what is reserved instead is sellable stock.
        moves.filtered(lambda move: move.state in ("confirmed", "partially_available"))._action_assign()
        for picking, note in notes.items():
            picking.message_post(body=note)

    @api.model
    def _unreserved_note(self, lines):
        """The chatter note of a transfer whose ``lines`` were taken off it, in its company's language."""
        company_env = self.with_context(lang=lines.company_id[:1]._expiry_lang()).env
        reasons = dict(lines.lot_id._fields["block_reason"]._description_selection(company_env))
        return listed_note(
            company_env._(
                "These lots may not leave and were taken off this transfer, which reserves other stock if "
                "there is some:"
            ),
            (
                company_env._(
                    "Lot %(lot)s (%(quantity)s %(unit)s): %(reason)s",
                    lot=line.lot_id.name,
                    quantity=line.quantity,
                    unit=line.product_uom_id.with_env(company_env).name,
                    reason=reasons.get(line.lot_id.block_reason) or company_env._("blocked"),
                )
                for line in lines
            ),
        )

    @api.model
    def _redirect_transit_to_quarantine(self, recall):
        """Stock in transit of the recalled lots will arrive in the quarantine of the receiving warehouse.

        A receiving transfer that awaits traced units it could not reserve (entered before the goods left)
        is given them first, so that every unit in transit arrives in quarantine.
        """
        precision = self.env["decimal.precision"].precision_get("Product Unit of Measure")
        for traced in recall.line_ids.filtered(
            lambda line: (
                line.line_type == "in_transit" and line.picking_id.state not in (False, "done", "cancel")
            )
        ):
            moves = traced.picking_id.move_ids.filtered(
                lambda move, traced=traced: (
                    move.product_id == traced.product_id
                    and move.location_id == traced.location_id
                    and move.state not in ("done", "cancel")
                )
            )
            reserved = sum(
                moves.move_line_ids.filtered(lambda ml, traced=traced: ml.lot_id == traced.lot_id).mapped(
                    "quantity_product_uom"
                )
            )
            missing = traced.quantity - reserved
            if moves and float_compare(missing, 0, precision_digits=precision) > 0:
                move = moves[0]
                self._create_move_lines(
                    move,
                    [
                        {
                            "lot_id": traced.lot_id.id,
                            "quantity": traced.product_id.uom_id._compute_quantity(missing, move.product_uom),
                        }
                    ],
                )
        lines = self.env["stock.move.line"].search(
            [
                ("lot_id", "in", recall.lot_ids.ids),
                ("state", "not in", ("done", "cancel")),
                ("location_id.usage", "=", "transit"),
                ("location_dest_id.usage", "=", "internal"),
                ("location_dest_id.is_quarantine", "=", False),
            ]
        )
        for warehouse in lines.location_dest_id.warehouse_id:
            lines.filtered(lambda line, wh=warehouse: line.location_dest_id.warehouse_id == wh).write(
                {"location_dest_id": warehouse._get_quarantine_location().id}
            )

    @api.model
    def _create_quarantine_transfers(self, recall):
        """One internal transfer per warehouse taking the recalled stock on hand to its quarantine.

        Returns {move: supplier} of their moves, one per location, product and supplier of the lots, for
        the returns to the supplier.
        """
        stock_lines = recall.line_ids.filtered(
            lambda line: (
                line.line_type in ("on_hand", "reserved")
                and line.warehouse_id
                and not line.location_id.is_quarantine
            )
        )
        moves = {}
        if not stock_lines:
            return moves
        free_quantities = self._get_free_quantities(stock_lines)
        suppliers = {line.lot_id.id: line.supplier_id for line in stock_lines}
        lots = stock_lines.lot_id
        for warehouse in stock_lines.warehouse_id:
            locations = stock_lines.filtered(lambda line, wh=warehouse: line.warehouse_id == wh).location_id
            quarantine = warehouse._get_quarantine_location()
            by_move = defaultdict(list)
            for (lot_id, location_id, package_id, owner_id), quantity in free_quantities.items():
                if location_id in locations.ids:
                    lot = lots.browse(lot_id)
                    by_move[location_id, lot.product_id, suppliers[lot_id]].append(
                        (lot, package_id, owner_id, quantity)
                    )
            if not by_move:
                continue
            picking = self._create_transfer(recall, warehouse.int_type_id, warehouse.lot_stock_id, quarantine)
            for (location_id, product, supplier), quants in by_move.items():
                move = self._create_move(
                    picking, product, sum(quantity for *_rest, quantity in quants), location_id=location_id
                )
                self._create_move_lines(
                    move,
                    [
                        {
                            "lot_id": lot.id,
                            "package_id": package_id,
                            "owner_id": owner_id,
                            "quantity": quantity,
                        }
                        for lot, package_id, owner_id, quantity in quants
                    ],
                )
                moves[move] = supplier
            # Unmerged: each move keeps the lots of one supplier, which its supplier return reserves.
            picking.move_ids._action_confirm(merge=False)
        return moves

    @api.model
    def _create_customer_returns(self, recall):
        """One return per customer and warehouse, into quarantine, of what the customer holds."""
        delivered = recall.line_ids.filtered(lambda line: line.line_type == "delivered" and line.partner_id)
        groups = defaultdict(lambda: defaultdict(float))
        default_warehouse = self.env["stock.warehouse"].search(
            [("company_id", "=", recall.company_id.id)], limit=1
        )
        for line in delivered:
            groups[line.partner_id, line.warehouse_id or default_warehouse][line.lot_id] += line.quantity
        for (partner, warehouse), quantities in groups.items():
            picking_type = warehouse.out_type_id.return_picking_type_id or warehouse.in_type_id
            picking = self._create_transfer(
                recall,
                picking_type,
                partner.property_stock_customer,
                warehouse._get_quarantine_location(),
                partner=partner,
            )
            self._create_lot_moves(picking, quantities)
            picking.move_ids._action_confirm(merge=False)

    @api.model
    def _create_supplier_returns(self, recall, quarantine_moves):
        """One return per warehouse and supplier of the recalled stock, from quarantine.

        Chained to the quarantine transfers (``quarantine_moves``, {move: supplier}): each return reserves
        the very lots its transfer brings in. Stock already in quarantine is reserved at once.
        """
        quarantined_lines = recall.line_ids.filtered(
            lambda line: line.line_type == "on_hand" and line.location_id.is_quarantine and line.supplier_id
        )
        free_quantities = (
            self._less_approved_for_destruction(
                self._get_free_quantities(quarantined_lines), quarantined_lines
            )
            if quarantined_lines
            else {}
        )
        groups = defaultdict(lambda: {"moves": self.env["stock.move"], "quants": []})
        for move, supplier in quarantine_moves.items():
            if supplier:
                groups[move.picking_id.picking_type_id.warehouse_id, supplier]["moves"] |= move
        suppliers = {line.lot_id.id: line.supplier_id for line in quarantined_lines}
        for (lot_id, location_id, package_id, owner_id), quantity in free_quantities.items():
            location = self.env["stock.location"].browse(location_id)
            if location in quarantined_lines.location_id and location.warehouse_id:
                groups[location.warehouse_id, suppliers[lot_id]]["quants"].append(
                    (self.env["stock.lot"].browse(lot_id), location, package_id, owner_id, quantity)
                )
        for (warehouse, supplier), group in groups.items():
            quarantine = warehouse._get_quarantine_location()
            picking_type = warehouse.in_type_id.return_picking_type_id or warehouse.out_type_id
            picking = self._create_transfer(
                recall, picking_type, quarantine, supplier.property_stock_supplier, partner=supplier
            )
            for product in group["moves"].product_id | self.env["product.product"].concat(
                *(lot.product_id for lot, *_rest in group["quants"])
            ):
                chained = group["moves"].filtered(lambda move, p=product: move.product_id == p)
                quants = [quant for quant in group["quants"] if quant[0].product_id == product]
                move = self._create_move(
                    picking,
                    product,
                    sum(chained.mapped("product_uom_qty")) + sum(quant[-1] for quant in quants),
                    move_orig_ids=[Command.set(chained.ids)],
                    procure_method="make_to_order" if chained else "make_to_stock",
                )
                self._create_move_lines(
                    move,
                    [
                        {
                            "lot_id": lot.id,
                            "location_id": location.id,
                            "package_id": package_id,
                            "owner_id": owner_id,
                            "quantity": quantity,
                        }
                        for lot, location, package_id, owner_id, quantity in quants
                    ],
                )
            picking.move_ids._action_confirm(merge=False)

    @api.model
    def _get_free_quantities(self, lines):
        """{(lot, location, package, owner): quantity free to move} of the quants under these lines."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT lot_id, location_id, package_id, owner_id, SUM(quantity - reserved_quantity)
                  FROM stock_quant
                 WHERE lot_id = ANY(%s) AND location_id = ANY(%s)
              GROUP BY lot_id, location_id, package_id, owner_id
                HAVING SUM(quantity - reserved_quantity) > 0
              ORDER BY lot_id, location_id, package_id, owner_id
                """,
                lines.lot_id.ids,
                lines.location_id.ids,
            )
        )
        return {tuple(row[:4]): row[4] for row in self.env.cr.fetchall()}

    @api.model
    def _less_approved_for_destruction(self, free_quantities, lines):
        """``free_quantities`` less the goods whose destruction quality has approved (signed): that
        decision stands, the recall does not return them to their supplier."""
        precision = self.env["decimal.precision"].precision_get("Product Unit of Measure")
        kept = {
            (lot.id, location.id): sum(
                entries.filtered(lambda entry: entry.disposition == "destroy").mapped("quantity")
            )
            for (lot, location), entries in self.env["medical.nonconforming"]
            ._open_entries_at(lines.lot_id, lines.location_id)
            .items()
        }
        remaining = {}
        for key, quantity in free_quantities.items():
            held = min(kept.get(key[:2], 0.0), quantity)
            kept[key[:2]] = kept.get(key[:2], 0.0) - held
            if float_compare(quantity - held, 0, precision_digits=precision) > 0:
                remaining[key] = quantity - held
        return remaining

    @api.model
    def _create_transfer(self, recall, picking_type, source, destination, partner=None):
        return self.env["stock.picking"].create(
            {
                "picking_type_id": picking_type.id,
                "location_id": source.id,
                "location_dest_id": destination.id,
                "partner_id": partner.id if partner else False,
                "origin": recall.name,
                "recall_id": recall.id,
                "company_id": recall.company_id.id,
            }
        )

    @api.model
    def _create_move(self, picking, product, quantity, location_id=None, **vals):
        """A move of ``quantity`` of ``product`` in the recall transfer ``picking``."""
        return self.env["stock.move"].create(
            {
                "name": picking.recall_id.name,
                "picking_id": picking.id,
                "product_id": product.id,
                "product_uom": product.uom_id.id,
                "product_uom_qty": quantity,
                "location_id": location_id or picking.location_id.id,
                "location_dest_id": picking.location_dest_id.id,
                "partner_id": picking.partner_id.id,
                "company_id": picking.company_id.id,
                "origin": picking.recall_id.name,
                **vals,
            }
        )

    @api.model
    def _create_move_lines(self, move, lines):
        """Lines of exactly these lots, made before the move is confirmed so nothing else gets reserved."""
        self.env["stock.move.line"].create(
            [
                {
                    "move_id": move.id,
                    "picking_id": move.picking_id.id,
                    "product_id": move.product_id.id,
                    "product_uom_id": move.product_uom.id,
                    "location_id": move.location_id.id,
                    "location_dest_id": move.location_dest_id.id,
                    **line,
                }
                for line in lines
            ]
        )

    @api.model
    def _create_lot_moves(self, picking, quantities):
        """One move per product, one line per lot, of ``quantities`` ({lot: quantity}) in ``picking``."""
        for product in self.env["stock.lot"].concat(*quantities).product_id:
            lots = {lot: quantity for lot, quantity in quantities.items() if lot.product_id == product}
            move = self._create_move(picking, product, sum(lots.values()))
            self._create_move_lines(move, [{"lot_id": lot.id, "quantity": qty} for lot, qty in lots.items()])
