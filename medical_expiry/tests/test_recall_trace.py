from odoo.tests import tagged

from .recall_common import RecallEverywhereCase


@tagged("post_install", "-at_install")
class TestRecallTrace(RecallEverywhereCase):
    """Where every unit of the recalled lots is: medical.recall.trace."""

    def test_trace_finds_every_unit_everywhere(self):
        recall = self._open_recall(self.lot)
        on_hand = self._lines(recall, "on_hand")
        self.assertEqual(
            {(line.location_id, line.warehouse_id, line.quantity) for line in on_hand},
            {(self.stock, self.warehouse, 62.0), (self.stock_2, self.warehouse_2, 12.0)},
        )
        reserved = self._lines(recall, "reserved")
        self.assertEqual(reserved.picking_id, self.open_delivery)
        self.assertEqual(reserved.partner_id, self.pharmacy)
        self.assertEqual((reserved.location_id, reserved.quantity), (self.stock, 6.0))
        transit = self._lines(recall, "in_transit")
        self.assertEqual((transit.location_id, transit.quantity), (self.transit, 10.0))
        delivered = self._lines(recall, "delivered")
        # The ward's delivery counts for its hospital; its return of 3 comes off that latest delivery.
        self.assertEqual(
            sorted(
                (line.partner_id.name, line.picking_id.name, line.warehouse_id.code, line.quantity)
                for line in delivered
            ),
            sorted(
                [
                    ("Hospital", self.d1.name, self.warehouse.code, 10.0),
                    ("Hospital", self.d2.name, self.warehouse.code, 2.0),
                    ("Clinic", self.d3.name, "SHT", 8.0),
                ]
            ),
        )
        for line in delivered:
            self.assertEqual(line.date, line.picking_id.move_line_ids.date)
        self.assertEqual(recall.line_ids.supplier_id, self.supplier)
        self.assertEqual(recall.line_ids.purchase_id, self.purchase)
        self.assertEqual(recall.line_ids.receipt_id, self.purchase.picking_ids)
        self.assertEqual(
            (recall.qty_in_stock, recall.qty_in_transit, recall.qty_shipped, recall.qty_open),
            (80, 10, 20, 110),
        )

    def test_serials_are_traced_one_by_one(self):
        serials = self._receive(self.pacemaker, {"PM-001": 1, "PM-002": 1, "PM-003": 1, "PM-004": 1})
        self._deliver(self.customer, (serials[0], 1), (serials[1], 1))
        self._deliver(self.clinic, (serials[2], 1))
        recall = self._open_recall(serials, recall_class="class_1")
        self.assertEqual(
            sorted(
                (line.line_type, line.lot_id.name, line.partner_id.name or "", line.quantity)
                for line in recall.line_ids
            ),
            [
                ("delivered", "PM-001", "Hospital", 1.0),
                ("delivered", "PM-002", "Hospital", 1.0),
                ("delivered", "PM-003", "Clinic", 1.0),
                ("on_hand", "PM-004", "", 1.0),
            ],
        )
        self._confirm_recall(recall, self.compliance_officer)
        hospital_return = self._pickings(recall, source_usage="customer", partner=self.customer)
        self.assertEqual(
            sorted((ml.lot_id.name, ml.quantity) for ml in hospital_return.move_line_ids),
            [("PM-001", 1.0), ("PM-002", 1.0)],
        )
        self._validate(hospital_return)
        self.assertEqual(recall.qty_recovered, 2)
        self.assertEqual(self._quant_quantity(serials[0], self.quarantine), 1)

    def test_the_trace_writes_nothing_and_finds_what_the_recall_stores(self):
        Line = self.env["medical.recall.line"]
        count = Line.search_count([])
        units = self.env["medical.recall.trace"]._trace_units(self.lot)
        self.assertEqual(Line.search_count([]), count)
        recall = self._open_recall(self.lot)
        self.assertEqual(
            sorted(
                (
                    unit["line_type"],
                    unit["quantity"],
                    unit.get("location_id") or False,
                    unit.get("partner_id") or False,
                    unit.get("picking_id") or False,
                    unit["supplier_id"],
                )
                for unit in units
            ),
            sorted(
                (
                    line.line_type,
                    line.quantity,
                    line.location_id.id,
                    line.partner_id.id,
                    line.picking_id.id,
                    line.supplier_id.id,
                )
                for line in recall.line_ids
            ),
        )

    def test_stock_in_transit_that_no_transfer_awaits_is_traced_to_no_transfer(self):
        arriving = self._create_picking(
            self.syringe,
            4,
            source=self.transit,
            destination=self.stock_2,
            picking_type=self.warehouse_2.in_type_id,
        )
        self.assertEqual(arriving.move_line_ids.quantity, 4)
        recall = self._open_recall(self.lot)
        self.assertEqual(
            sorted((line.picking_id.name or "", line.quantity) for line in self._lines(recall, "in_transit")),
            [("", 6.0), (arriving.name, 4.0)],
        )
