from odoo import fields, models
from odoo.exceptions import UserError

from .context_keys import REFUSED_LOTS


class StockMove(models.Model):
    _name = "stock.move"
    _inherit = ["stock.move", "medical.retention.mixin"]

    def _expiry_refused_lots_domain(self):
        """Domain of the lots this move may not reserve, or False when its route is free."""
        self.ensure_one()
        Lot = self.env["stock.lot"]
        if not Lot._is_outbound_route(self.location_id, self.location_dest_id, self.picking_type_id):
            return False
        partner = self.location_dest_id.usage == "customer" and (
            self.picking_id.partner_id or self.partner_id
        )
        return Lot._outbound_refused_domain(partner._min_shelf_life_days() if partner else 0)

    def _update_reserved_quantity(
        self, need, location_id, lot_id=None, package_id=None, owner_id=None, strict=True
    ):
        move = self.with_context(**{REFUSED_LOTS: self._expiry_refused_lots_domain()})
        return super(StockMove, move)._update_reserved_quantity(
            need, location_id, lot_id, package_id, owner_id, strict
        )

    def _get_available_quantity(
        self, location_id, lot_id=None, package_id=None, owner_id=None, strict=False, allow_negative=False
    ):
        move = self.with_context(**{REFUSED_LOTS: self._expiry_refused_lots_domain()})
        return super(StockMove, move)._get_available_quantity(
            location_id, lot_id, package_id, owner_id, strict, allow_negative
        )

    def _action_done(self, cancel_backorder=False):
        moves = super()._action_done(cancel_backorder=cancel_backorder)
        moves.move_line_ids._mark_expiry_outbound()
        return moves

    def _action_done_incoming_batch(self):
        """Do these confirmed moves at once: moves whose picked lines bring lots in from a location
        without reservations, none out of stock (the historical lot import's inventory moves).

        ``_action_done`` costs two quant writes per line; here the quants are written in one statement
        (``stock.quant._apply_incoming_move_lines``), then the moves are done and valued as
        ``_action_done`` leaves incoming moves. No guard is skipped: such lines leave no stock, and
        ``_mark_expiry_outbound`` records lines out of stock only.
        """
        if any(move.state in ("draft", "done", "cancel") or move.picking_id for move in self):
            raise UserError(self.env._("Only confirmed moves outside any transfer can be done at once."))
        self.env["stock.quant"].sudo()._apply_incoming_move_lines(self.move_line_ids)
        now = fields.Datetime.now()
        self.write({"state": "done", "date": now})
        # Writing picked again would write it again on every line (stock's inverse): only where it is not.
        self.filtered(lambda move: not move.picked).write({"picked": True})
        self.move_line_ids.write({"date": now})
        # stock_account's valuation of incoming stock: a layer per move at the product's cost.
        layers = self.filtered(lambda move: move._is_in())._create_in_svl()
        layers._validate_accounting_entries()
        return self

    # ------------------------------------------------------------------
    # UDI at receipt
    # ------------------------------------------------------------------
    def _apply_udi(self, udi):
        """Record on this receipt move what a parsed UDI says (see ``medical.udi.parser._parse_udi``).

        A lot scanned again adds to its line; otherwise the move's empty line is filled, or a line is
        added. Returns that line. Everything is checked before anything is written.
        """
        self.ensure_one()
        product = self.product_id
        lot_name = {"lot": udi["lot"], "serial": udi["serial"]}.get(product.tracking, False)
        if product.tracking != "none" and not lot_name:
            raise UserError(
                self.env._(
                    "The code carries no %(number)s, which %(product)s is tracked by.",
                    number=self.env._("serial number")
                    if product.tracking == "serial"
                    else self.env._("lot number"),
                    product=product.display_name,
                )
            )
        quantity = udi["quantity"] or 1
        lot = lot_name and self.env["stock.lot"].search(
            [
                ("product_id", "=", product.id),
                ("name", "=", lot_name),
                ("company_id", "in", [self.company_id.id, False]),
            ],
            limit=1,
        )
        if lot_name:
            line = self.move_line_ids.filtered(lambda ml: lot_name in (ml.lot_id.name, ml.lot_name))[:1]
        else:
            line = self.move_line_ids.filtered("picked")[:1]
        if product.tracking == "serial":
            self._check_udi_serial_is_new(lot_name, quantity, lot, line)
        company = self.company_id
        known_expiry = company._expiry_date_of(lot.expiration_date or line.expiration_date)
        if udi["expiration_date"] and known_expiry and known_expiry != udi["expiration_date"]:
            raise UserError(
                self.env._(
                    "Lot %(lot)s of %(product)s is known with expiration date %(known)s, the code says "
                    "%(scanned)s.",
                    lot=lot_name,
                    product=product.display_name,
                    known=fields.Date.to_string(known_expiry),
                    scanned=fields.Date.to_string(udi["expiration_date"]),
                )
            )
        known_sterilisation = lot.sterilisation_lot or line.sterilisation_lot
        if (
            udi["sterilisation_lot"]
            and known_sterilisation
            and known_sterilisation != udi["sterilisation_lot"]
        ):
            raise UserError(
                self.env._(
                    "Lot %(lot)s of %(product)s is known with sterilisation lot %(known)s, the code says "
                    "%(scanned)s.",
                    lot=lot_name,
                    product=product.display_name,
                    known=known_sterilisation,
                    scanned=udi["sterilisation_lot"],
                )
            )
        if line:
            line.write({"quantity": line.quantity + quantity, "picked": True})
            return line
        vals = {
            "quantity": quantity,
            "picked": True,
            "lot_id": lot.id if lot else False,
            "lot_name": False if lot else lot_name,
            "production_date": udi["production_date"],
            "sterilisation_lot": False if lot else udi["sterilisation_lot"],
        }
        if not lot and udi["expiration_date"]:
            vals["expiration_date"] = company._expiry_datetime_of(udi["expiration_date"])
        empty = self.move_line_ids.filtered(lambda ml: not (ml.picked or ml.lot_id or ml.lot_name))[:1]
        if empty:
            empty.write(vals)
            return empty
        return self.env["stock.move.line"].create({**self._prepare_move_line_vals(), **vals})

    def _check_udi_serial_is_new(self, serial, quantity, lot, line):
        """A serial number is one device: received once, in a quantity of one."""
        product = self.product_id
        if quantity != 1:
            raise UserError(
                self.env._(
                    "Serial number %(serial)s of %(product)s is one device, the code says %(quantity)s.",
                    serial=serial,
                    product=product.display_name,
                    quantity=quantity,
                )
            )
        if line:
            raise UserError(
                self.env._(
                    "Serial number %(serial)s of %(product)s is already on this receipt.",
                    serial=serial,
                    product=product.display_name,
                )
            )
        in_stock = lot.quant_ids.filtered(
            lambda quant: quant.quantity > 0 and quant.location_id.usage in ("internal", "transit")
        )
        if in_stock:
            raise UserError(
                self.env._(
                    "Serial number %(serial)s of %(product)s has already been received: it is in %(where)s.",
                    serial=serial,
                    product=product.display_name,
                    where=", ".join(in_stock.location_id.mapped("display_name")),
                )
            )

    def unlink(self):
        # Odoo first deletes the lines of a move, refusing done ones in its own words: say why GSP keeps it.
        self._unlink_except_retained()
        return super().unlink()

    def _retention_ends(self):
        """A move done is kept from the expiry of its lots (the longest kept), or from its own date."""
        ends = {}
        for move in self.filtered(lambda move: move.state == "done"):
            since = move.company_id._expiry_date_of(move.date)
            move_ends = [
                self._retention_end_of(move.product_id, move.company_id._expiry_date_of(expiration), since)
                for expiration in move.move_line_ids.lot_id.mapped("expiration_date") or [False]
            ]
            if any(move_ends):
                ends[move] = max(move_ends)
        return ends
