from datetime import timedelta

from odoo import Command, fields

from .common import MedicalExpiryCase


class RecallCase(MedicalExpiryCase):
    """Customers, purchases, deliveries and returns for the recall and customer-return tests."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.email = "pharmacy@hospital.example.com"
        cls.compliance_officer.email = "quality@distributor.example.com"
        cls.clinic = cls.env["res.partner"].create({"name": "Clinic", "email": "clinic@example.com"})
        cls.pharmacy = cls.env["res.partner"].create(
            {"name": "Pharmacy", "email": "shop@pharmacy.example.com"}
        )
        # The clinic buys on its practice licence, the pharmacy, a retailer, on its trading licence.
        cls.env["medical.qualification"].create(
            [
                {
                    "qualification_type": "practice_licence",
                    "partner_id": cls.clinic.id,
                    "number": "PDY-CLINIC",
                },
                {
                    "qualification_type": "device_trade_licence",
                    "partner_id": cls.pharmacy.id,
                    "number": "沪药监械经营许-PHARMACY",
                    "covers_class_2": True,
                    "covers_class_3": True,
                },
            ]
        )
        cls.ward = cls.env["res.partner"].create(
            {"name": "Ward 3", "parent_id": cls.customer.id, "type": "delivery"}
        )
        cls.pacemaker = cls._create_product(
            "Pacemaker", cls.categ_device, tracking="serial", medical_device_class="3"
        )

    def _receive(self, product, lots, warehouse=None, supplier=None, days=300):
        """Buy {lot name: quantity} of ``product`` and receive it; the received lots, in that order."""
        warehouse = warehouse or self.warehouse
        order = self.env["purchase.order"].create(
            {
                "partner_id": (supplier or self.supplier).id,
                "picking_type_id": warehouse.in_type_id.id,
                "order_line": [
                    Command.create(
                        {"product_id": product.id, "product_qty": sum(lots.values()), "price_unit": 4.0}
                    )
                ],
            }
        )
        order.button_confirm()
        receipt = order.picking_ids
        move = receipt.move_ids
        receipt.move_line_ids.unlink()
        self.env["stock.move.line"].create(
            [
                {
                    "move_id": move.id,
                    "picking_id": receipt.id,
                    "product_id": product.id,
                    "product_uom_id": product.uom_id.id,
                    "location_id": move.location_id.id,
                    "location_dest_id": move.location_dest_id.id,
                    "lot_name": name,
                    "expiration_date": fields.Datetime.now() + timedelta(days=days),
                    "quantity": quantity,
                }
                for name, quantity in lots.items()
            ]
        )
        move.picked = True
        receipt.button_validate()
        self.assertEqual(receipt.state, "done")
        received = receipt.move_line_ids.lot_id
        return self.env["stock.lot"].browse(
            [received.filtered(lambda lot, n=name: lot.name == n).id for name in lots]
        )

    def _deliver(self, partner, *lot_quantities, warehouse=None):
        """A done delivery of (lot, quantity) pairs to ``partner``."""
        warehouse = warehouse or self.warehouse
        product = lot_quantities[0][0].product_id
        picking = self._create_picking(
            product,
            sum(quantity for _lot, quantity in lot_quantities),
            partner=partner,
            picking_type=warehouse.out_type_id,
        )
        self._set_lines(picking, *lot_quantities)
        picking.button_validate()
        self.assertEqual(picking.state, "done")
        return picking

    def _return(self, delivery, *lot_quantities):
        """A return of ``delivery`` made with Odoo's return wizard, its lines set to (lot, quantity) pairs."""
        wizard = (
            self.env["stock.return.picking"]
            .with_context(active_model="stock.picking", active_id=delivery.id, active_ids=delivery.ids)
            .create({"picking_id": delivery.id})
        )
        wizard.product_return_moves.quantity = sum(quantity for _lot, quantity in lot_quantities)
        picking = self.env["stock.picking"].browse(wizard.action_create_returns()["res_id"])
        self._set_lines(picking, *lot_quantities)
        return picking

    def _receive_from_customer(self, partner, *lot_quantities, warehouse=None):
        """A receipt from the customer location, not made from a delivery."""
        warehouse = warehouse or self.warehouse
        product = lot_quantities[0][0].product_id
        picking = self._create_picking(
            product,
            sum(quantity for _lot, quantity in lot_quantities),
            source=self.customers,
            destination=warehouse.lot_stock_id,
            partner=partner,
            picking_type=warehouse.in_type_id,
        )
        self._set_lines(picking, *lot_quantities)
        return picking

    def _quant_quantity(self, lot, location):
        return sum(
            self.env["stock.quant"]
            .search([("lot_id", "=", lot.id), ("location_id", "=", location.id)])
            .mapped("quantity")
        )

    def _open_recall(self, lots, recall_class="class_2", user=None, reason="Sterility not assured"):
        """A draft recall of ``lots`` opened with the wizard, as ``user`` (the compliance officer)."""
        wizard = (
            self.env["medical.recall.wizard"]
            .with_user(user or self.compliance_officer)
            .with_context(active_model="stock.lot", active_ids=lots.ids)
            .create({"recall_class": recall_class, "source": "manufacturer", "reason": reason})
        )
        return self.env["medical.recall"].browse(wizard.action_create()["res_id"])
