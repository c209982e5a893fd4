from odoo import Command, fields, models
from odoo.exceptions import UserError

from .medical_expiry_rule import SUGGESTED_ACTION_METHODS


# The workbench's actions in a file of their own, beside the reservation and stock rules of stock_quant.py.
class StockQuant(models.Model):
    """What to do with stock near or past expiry: each action the workbench offers on a row of stock, and
    the one its expiry level suggests."""

    _inherit = "stock.quant"  # pylint: disable=consider-merging-classes-inherited

    def action_run_suggested_action(self):
        """Start what the expiry level of this stock suggests (``medical.expiry.rule.suggested_action``)."""
        self.ensure_one()
        method = SUGGESTED_ACTION_METHODS.get(self.lot_id.expiry_rule_id.suggested_action)
        if not method:
            raise UserError(self.env._("The expiry level of this stock suggests no action."))
        return getattr(self, method)()

    def _expiry_lot_note(self):
        """“Lot X, expires YYYY-MM-DD”: names the lot on documents that cannot hold it."""
        self.ensure_one()
        lot = self.lot_id
        if not lot.expiration_date:
            return self.env._("Lot %(lot)s, without an expiry date", lot=lot.name or "")
        return self.env._(
            "Lot %(lot)s, expires %(expiry)s",
            lot=lot.name or "",
            expiry=fields.Date.to_string(lot.company_id._expiry_date_of(lot.expiration_date)),
        )

    def action_return_to_supplier(self):
        """Odoo's return wizard for the receipt of the lot, asking back this stock's quantity.

        The return reserves what the receipt's move brought in, as Odoo does: when that move brought
        several lots, the user picks this one on the return.
        """
        self.ensure_one()
        receipt_line = self.lot_id._first_supplier_receipt_line()
        if not receipt_line.picking_id:
            raise UserError(
                self.env._(
                    "No receipt from a supplier brought lot %s in: return it with a transfer to the "
                    "supplier instead.",
                    self.lot_id.name or self.product_id.display_name,
                )
            )
        receipt = receipt_line.picking_id
        wizard = (
            self.env["stock.return.picking"]
            .with_context(active_model="stock.picking", active_id=receipt.id, active_ids=receipt.ids)
            .create({"picking_id": receipt.id})
        )
        return_line = wizard.product_return_moves.filtered(lambda line: line.move_id == receipt_line.move_id)
        # Never more than this stock, nor more of the lot than this receipt brought.
        received = receipt_line.move_id.move_line_ids.filtered(lambda line: line.lot_id == self.lot_id)
        return_line.quantity = min(self.quantity, sum(received.mapped("quantity_product_uom")))
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Return to Supplier"),
            "res_model": "stock.return.picking",
            "res_id": wizard.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"active_model": "stock.picking", "active_id": receipt.id},
        }

    def action_transfer_to_warehouse(self):
        """A new internal transfer out of this stock's location, for its quantity.

        The destination is left to the user: which warehouse needs the stock is their call. The lot is
        noted as the source document; FEFO reserves it first when it is the earliest in the location.
        """
        self.ensure_one()
        warehouse = self.location_id.warehouse_id
        if self.location_id.usage == "transit" or not warehouse:
            raise UserError(
                self.env._("Stock in transit or outside a warehouse cannot be transferred from here.")
            )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Transfer to Another Warehouse"),
            "res_model": "stock.picking",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
            "context": {
                "default_picking_type_id": warehouse.int_type_id.id,
                "default_location_id": self.location_id.id,
                "default_origin": self._expiry_lot_note(),
                "default_move_ids_without_package": [
                    Command.create(
                        {
                            "name": self.product_id.display_name,
                            "product_id": self.product_id.id,
                            "product_uom": self.product_uom_id.id,
                            "product_uom_qty": self.quantity,
                            "location_id": self.location_id.id,
                        }
                    )
                ],
            },
        }

    def action_clearance_sale(self):
        """A new quotation for this stock's quantity, the lot named on the line (a sale line holds no lot)."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Clearance Sale"),
            "res_model": "sale.order",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
            "context": {
                "default_origin": self._expiry_lot_note(),
                "default_warehouse_id": self.location_id.warehouse_id.id,
                "default_order_line": [
                    Command.create(
                        {
                            "product_id": self.product_id.id,
                            "product_uom_qty": self.quantity,
                            "product_uom": self.product_uom_id.id,
                            "name": f"{self.product_id.display_name}\n{self._expiry_lot_note()}",
                        }
                    )
                ],
            },
        }

    def action_adjust_purchase(self):
        """The product's reordering rules (Odoo's replenishment screen), for this stock's warehouse."""
        self.ensure_one()
        action = self.product_id.action_view_orderpoints()
        warehouse = self.location_id.warehouse_id
        if warehouse:
            action["context"] = {
                **action["context"],
                "default_warehouse_id": warehouse.id,
                "search_default_warehouse_id": warehouse.id,
            }
        return action

    def action_scrap_expired(self):
        """A new scrap order for this stock; only expired stock is scrapped from here."""
        self.ensure_one()
        if self.lot_id.expiry_state != "expired":
            raise UserError(
                self.env._(
                    "Lot %s has not expired: only expired stock is scrapped from the workbench.",
                    self.lot_id.name or self.product_id.display_name,
                )
            )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Scrap"),
            "res_model": "stock.scrap",
            "view_mode": "form",
            "views": [(self.env.ref("stock.stock_scrap_form_view2").id, "form")],
            "target": "new",
            "context": {
                "product_ids": self.product_id.ids,
                "default_company_id": self.company_id.id,
                "default_product_id": self.product_id.id,
                "default_product_uom_id": self.product_uom_id.id,
                "default_lot_id": self.lot_id.id,
                "default_location_id": self.location_id.id,
                "default_scrap_qty": self.quantity,
                "default_origin": self._expiry_lot_note(),
            },
        }
