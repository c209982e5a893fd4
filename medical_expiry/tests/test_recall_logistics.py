from odoo.tests import tagged

from .recall_common import RecallEverywhereCase


@tagged("post_install", "-at_install")
class TestRecallLogistics(RecallEverywhereCase):
    """The transfers a confirmed recall makes to get its units back: medical.recall.logistics."""

    def test_confirm_blocks_unreserves_quarantines_and_prepares_notices_and_returns(self):
        good = self._create_lot(self.syringe, 300, name="SYR-GOOD", quantity=4)
        recall = self._open_recall(self.lot)
        self._confirm_recall(recall, self.compliance_officer)
        self.assertEqual(recall.state, "in_progress")
        self.assertTrue(recall.date_open)
        # Blocked: the outbound guard refuses the lot from now on.
        self.assertTrue(self.lot.is_blocked)
        self.assertEqual(self.lot.block_reason, "recall")
        self.assertIn(recall.name, self.lot.block_note)
        # Unreserved from the open delivery, which took the sound lot instead.
        self.assertEqual(self.open_delivery.move_line_ids.lot_id, good)
        self.assertEqual(self.open_delivery.move_ids.quantity, 4)
        self.assertIn("Lot SYR-R1 (6.0 Units): Recall", self.open_delivery.message_ids[0].body)
        # One quarantine transfer per warehouse, reserving exactly the recalled stock.
        to_quarantine = self._pickings(recall, source_usage="internal", destination=self.quarantine)
        to_quarantine_2 = self._pickings(recall, source_usage="internal", destination=self.quarantine_2)
        self.assertEqual(len(to_quarantine), 1)
        self.assertEqual(to_quarantine.picking_type_id, self.warehouse.int_type_id)
        self.assertEqual(to_quarantine.state, "assigned")
        self.assertEqual(
            [(line.lot_id, line.location_id, line.quantity) for line in to_quarantine.move_line_ids],
            [(self.lot, self.stock, 68.0)],
        )
        self.assertEqual(
            [(line.lot_id, line.location_id, line.quantity) for line in to_quarantine_2.move_line_ids],
            [(self.lot, self.stock_2, 12.0)],
        )
        # One notice per customer.
        self.assertEqual(
            sorted(
                (notice.partner_id.name, notice.qty_shipped, notice.state) for notice in recall.notice_ids
            ),
            [("Clinic", 8.0, "to_send"), ("Hospital", 12.0, "to_send")],
        )
        # One return per customer into the quarantine of the warehouse that shipped, for what it holds.
        hospital_return = self._pickings(recall, source_usage="customer", partner=self.customer)
        clinic_return = self._pickings(recall, source_usage="customer", partner=self.clinic)
        self.assertEqual(hospital_return.location_dest_id, self.quarantine)
        self.assertEqual(clinic_return.location_dest_id, self.quarantine_2)
        self.assertEqual(
            [(ml.lot_id, ml.quantity) for ml in hospital_return.move_line_ids], [(self.lot, 12.0)]
        )
        self.assertEqual([(ml.lot_id, ml.quantity) for ml in clinic_return.move_line_ids], [(self.lot, 8.0)])
        self.assertEqual(
            recall.notice_ids.filtered(lambda n: n.partner_id == self.clinic).return_picking_ids,
            clinic_return,
        )
        # Returns to the supplier from each quarantine, waiting for the stock to get there.
        to_supplier = self._pickings(recall, partner=self.supplier)
        self.assertEqual(to_supplier.location_id, self.quarantine | self.quarantine_2)
        self.assertEqual(set(to_supplier.mapped("state")), {"waiting"})
        self.assertEqual(sorted(to_supplier.move_ids.mapped("product_uom_qty")), [12.0, 68.0])
        self.assertEqual(len(recall.picking_ids), 6)
        # A to-do for the responsible, due at the notice deadline.
        activity = recall.activity_ids
        self.assertEqual(activity.user_id, self.compliance_officer)
        self.assertEqual(activity.date_deadline, recall.notice_deadline.date())

    def test_stock_in_transit_is_redirected_to_quarantine(self):
        arriving = self._create_picking(
            self.syringe,
            10,
            source=self.transit,
            destination=self.stock_2,
            picking_type=self.warehouse_2.in_type_id,
        )
        self.assertEqual(arriving.move_line_ids.lot_id, self.lot)
        recall = self._open_recall(self.lot)
        self.assertEqual(self._lines(recall, "in_transit").picking_id, arriving)
        self._confirm_recall(recall, self.compliance_officer)
        self.assertEqual(arriving.move_line_ids.location_dest_id, self.quarantine_2)
        self._validate(arriving)
        self.assertEqual(self._quant_quantity(self.lot, self.quarantine_2), 10)
        self.assertEqual(self._lines(recall, "in_transit").qty_recovered, 10)
        self.assertEqual(recall.qty_quarantined, 10)

    def test_each_unit_in_transit_is_traced_to_its_own_receipt_and_arrives_in_quarantine(self):
        """A receipt entered before its goods left reserves nothing: the recall still finds them."""
        arriving = self._create_picking(
            self.syringe,
            10,
            source=self.transit,
            destination=self.stock_2,
            picking_type=self.warehouse_2.in_type_id,
        )
        entered_early = self._create_picking(
            self.syringe,
            4,
            source=self.transit,
            destination=self.stock_2,
            picking_type=self.warehouse_2.in_type_id,
        )
        self.assertEqual((arriving.state, entered_early.state), ("assigned", "confirmed"))
        self.assertFalse(entered_early.move_line_ids)
        departure = self._create_picking(self.syringe, 4, destination=self.transit)
        self._set_lines(departure, (self.lot, 4))
        departure.button_validate()
        self.assertEqual(self._quant_quantity(self.lot, self.transit), 14)

        recall = self._open_recall(self.lot)
        transit = self._lines(recall, "in_transit")
        self.assertEqual(
            sorted((line.picking_id.name, line.quantity) for line in transit),
            sorted([(arriving.name, 10.0), (entered_early.name, 4.0)]),
        )
        self._confirm_recall(recall, self.compliance_officer)
        self.assertEqual(entered_early.state, "assigned")
        self.assertEqual(
            [(line.lot_id, line.quantity, line.location_dest_id) for line in entered_early.move_line_ids],
            [(self.lot, 4.0, self.quarantine_2)],
        )
        self._validate(entered_early)
        self._validate(arriving)
        self.assertEqual(self._quant_quantity(self.lot, self.quarantine_2), 14)
        self.assertFalse(self._quant_quantity(self.lot, self.transit))
        self.assertEqual(sum(self._lines(recall, "in_transit").mapped("qty_recovered")), 14)

    def test_supplier_return_reserves_the_lots_its_quarantine_transfer_brings(self):
        recall = self._open_recall(self.lot)
        self._confirm_recall(recall, self.compliance_officer)
        self._validate(self._pickings(recall, source_usage="internal", destination=self.quarantine))
        to_supplier = self._pickings(recall, partner=self.supplier).filtered(
            lambda picking: picking.location_id == self.quarantine
        )
        self.assertEqual(to_supplier.state, "assigned")
        self.assertEqual([(ml.lot_id, ml.quantity) for ml in to_supplier.move_line_ids], [(self.lot, 68.0)])
        self._validate(to_supplier)
        self.assertFalse(self._quant_quantity(self.lot, self.quarantine))
        self.assertEqual(self._lines(recall, "on_hand", location_id=self.stock).qty_recovered, 62)
        self.assertEqual(self._lines(recall, "reserved").qty_recovered, 6)

    def test_stock_already_in_quarantine_is_recovered_and_returned_at_once(self):
        (held,) = self._receive(self.strips, {"STR-Q": 7})
        self.env["stock.quant"]._update_available_quantity(self.strips, self.stock, -7, lot_id=held)
        self.env["stock.quant"]._update_available_quantity(self.strips, self.quarantine, 7, lot_id=held)
        recall = self._open_recall(held)
        line = recall.line_ids
        self.assertEqual((line.line_type, line.location_id, line.quantity), ("on_hand", self.quarantine, 7))
        self.assertTrue(line.is_resolved)
        self._confirm_recall(recall, self.compliance_officer)
        self.assertFalse(self._quarantine_transfers(recall))
        to_supplier = recall.picking_ids
        self.assertEqual(to_supplier.partner_id, self.supplier)
        self.assertEqual(to_supplier.state, "assigned")
        self.assertEqual(
            [(ml.lot_id, ml.location_id, ml.quantity) for ml in to_supplier.move_line_ids],
            [(held, self.quarantine, 7.0)],
        )
        self.assertEqual((recall.qty_quarantined, recall.qty_open), (7, 0))

    def test_every_recall_transfer_and_move_names_its_recall(self):
        recall = self._open_recall(self.lot)
        self._confirm_recall(recall, self.compliance_officer)
        self.assertEqual(len(recall.picking_ids), 6)
        self.assertEqual(set(recall.picking_ids.mapped("origin")), {recall.name})
        self.assertEqual(recall.picking_ids.company_id, recall.company_id)
        moves = recall.picking_ids.move_ids
        self.assertEqual(set(moves.mapped("name")) | set(moves.mapped("origin")), {recall.name})
        self.assertEqual(moves.company_id, recall.company_id)
