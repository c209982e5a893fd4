from odoo import fields, models
from odoo.exceptions import UserError

from .context_keys import REFUSED_LOTS


class StockMove(models.Model):
    _inherit = "stock.move"

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
        if line:
            line.write({"quantity": line.quantity + quantity, "picked": True})
            return line
        vals = {
            "quantity": quantity,
            "picked": True,
            "lot_id": lot.id if lot else False,
            "lot_name": False if lot else lot_name,
            "production_date": udi["production_date"],
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
