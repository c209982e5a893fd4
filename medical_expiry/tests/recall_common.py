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


class RecallEverywhereCase(RecallCase):
    """One lot everywhere: two warehouses, in transit, reserved, delivered to two customers, part returned."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.quarantine_2 = cls.warehouse_2._get_quarantine_location()

    def setUp(self):
        super().setUp()
        (self.lot,) = self._receive(self.syringe, {"SYR-R1": 100})
        self.purchase = self.env["purchase.order"].search([("partner_id", "=", self.supplier.id)], limit=1)
        Quant = self.env["stock.quant"]
        Quant._update_available_quantity(self.syringe, self.stock, -20, lot_id=self.lot)
        Quant._update_available_quantity(self.syringe, self.stock_2, 20, lot_id=self.lot)
        Quant._update_available_quantity(self.syringe, self.transit, 10, lot_id=self.lot)
        self.d1 = self._deliver(self.customer, (self.lot, 10))
        self.d2 = self._deliver(self.ward, (self.lot, 5))
        self.d3 = self._deliver(self.clinic, (self.lot, 8), warehouse=self.warehouse_2)
        self._return(self.d2, (self.lot, 3)).button_validate()
        self.open_delivery = self._create_picking(self.syringe, 6, partner=self.pharmacy)
        self.assertEqual(self.open_delivery.move_line_ids.lot_id, self.lot)

    def _lines(self, recall, line_type, **where):
        return recall.line_ids.filtered(
            lambda line: (
                line.line_type == line_type and all(line[key] == value for key, value in where.items())
            )
        )

    def _pickings(self, recall, source_usage=None, destination=None, partner=None):
        return recall.picking_ids.filtered(
            lambda picking: (
                (not source_usage or picking.location_id.usage == source_usage)
                and (not destination or picking.location_dest_id == destination)
                and (not partner or picking.partner_id == partner)
            )
        )

    def _quarantine_transfers(self, recall):
        return recall.picking_ids.filtered(lambda picking: picking.picking_type_id.code == "internal")

    def _validate(self, picking, quantity=None):
        """Validate as received: a short quantity leaves no backorder."""
        if quantity is not None:
            picking.move_line_ids.quantity = quantity
        picking.move_ids.picked = True
        picking.with_context(skip_backorder=True, picking_ids_not_to_backorder=picking.ids).button_validate()
        self.assertEqual(picking.state, "done")
