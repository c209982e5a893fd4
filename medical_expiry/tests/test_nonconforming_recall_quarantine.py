from odoo.tests import tagged

from .test_nonconforming_recall import NonconformingRecallCase


@tagged("post_install", "-at_install")
class TestNonconformingRecallQuarantine(NonconformingRecallCase):
    """Recalled goods already in a quarantine when the recall is confirmed: the register takes in what it
    does not hold yet, and the recall's return to the supplier is the disposition of the entries on the
    goods it takes, unless quality has decided their destruction."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.red_zone = cls.warehouse._get_nonconforming_location()

    def _put(self, location, quantity):
        self.env["stock.quant"]._update_available_quantity(self.syringe, location, quantity, lot_id=self.lot)

    def _in_red_zone(self, quantity, reason="damaged"):
        """Goods reported by a user and carried to the red zone: an entry still reported."""
        entry = self.Register.with_user(self.stock_user)._report_goods(
            [{"reason": reason, "lot_id": self.lot.id, "location_id": self.stock.id, "quantity": quantity}]
        )
        self._validate(entry.intake_picking_id.with_user(self.stock_user))
        return entry.with_user(self.stock_user)

    def _supplier_return(self, recall):
        return self._pickings(recall, partner=self.supplier).filtered(
            lambda picking: picking.location_id == self.quarantine
        )

    def test_stock_already_in_quarantine_is_registered_at_confirmation(self):
        self._put(self.quarantine, 5)
        recall = self._confirmed_recall()
        entry = self._entries()
        self.assertEqual(
            (entry.reason, entry.origin, entry.quantity, entry.source_location_id, entry.location_id),
            ("recalled", recall.name, 5.0, self.quarantine, self.quarantine),
        )
        self.assertEqual(
            (entry.state, entry.disposition, entry.picking_id, entry.approver_id),
            ("approved", "return", self._supplier_return(recall), self.compliance_officer),
            "the recall's return takes it: approved for that return by the confirmation",
        )
        self.assertEqual(entry.reporter_id, self.compliance_officer)
        self.assertIn(self.quarantine, entry.picking_id.move_line_ids.location_id)

    def test_a_second_recall_of_the_lot_registers_nothing_twice(self):
        self._put(self.quarantine, 5)
        self._confirmed_recall()
        first = self._entries()
        self.assertEqual(first.quantity, 5.0)
        second = self._open_recall(self.lot)
        self._confirm_recall(second, self.compliance_officer)
        self.assertEqual(self._entries(), first, "the 5 in quarantine are in the register already")

    def test_stock_reported_by_an_inspection_is_registered_only_for_what_is_left(self):
        self._put(self.quarantine, 8)
        inspected = self.Register.with_user(self.stock_user)._report_goods(
            [{"reason": "expired", "lot_id": self.lot.id, "location_id": self.quarantine.id, "quantity": 5}]
        )
        recall = self._confirmed_recall()
        recalled = self._entries() - inspected
        self.assertEqual((recalled.quantity, recalled.location_id), (3.0, self.quarantine))
        self.assertEqual(recalled.picking_id, self._supplier_return(recall))
        self.assertEqual(inspected.state, "reported", "its goods wait for their transfer to the red zone")

    def test_a_red_zone_entry_is_returned_by_the_recall(self):
        entry = self._in_red_zone(4)
        recall = self._confirmed_recall()
        supplier_return = self._supplier_return(recall)
        self.assertEqual(
            (entry.state, entry.disposition, entry.supplier_id, entry.picking_id, entry.approver_id),
            ("approved", "return", self.supplier, supplier_return, self.compliance_officer),
        )
        self.assertEqual(self._entries(), entry, "the red zone's goods are in the register already")
        row = self._audit_rows(entry, "nonconforming_recall_return")
        self.assertEqual(row.reason, recall.name)
        self.assertIn('"reported"', row.old_values)
        self._validate(self._pickings(recall, source_usage="internal", destination=self.quarantine))
        self._validate(supplier_return.with_user(self.stock_user))
        self.assertEqual((entry.state, entry.done_by_id), ("done", self.stock_user))
        self.assertEqual(self._quant_quantity(self.lot, self.red_zone), 0)

    def test_goods_approved_for_destruction_stay_for_their_destruction(self):
        entry = self._in_red_zone(4)
        self._approve_as_quality(entry, "destroy")
        recall = self._confirmed_recall()
        self.assertEqual(
            (entry.state, entry.disposition, entry.picking_id),
            ("approved", "destroy", self.env["stock.picking"]),
        )
        self.assertNotIn(self.red_zone, recall.picking_ids.move_line_ids.location_id)
        self.assertIn(entry.name, recall.message_ids[0].body)
        self.assertIn("approved for destruction", recall.message_ids[0].body)
        self._signed_with(
            self.manager, entry, "nonconforming_destroy", self.Register._destruction_values(self.witness)
        )._destroy(self.witness)
        self.assertEqual(entry.state, "done")

    def test_a_cancelled_recall_gives_back_the_entries_it_took(self):
        reported = self._in_red_zone(4)
        approved = self._in_red_zone(3, reason="expired")
        self._approve_as_quality(approved, "return", self.supplier)
        self._put(self.quarantine, 5)
        recall = self._confirmed_recall()
        supplier_return = self._supplier_return(recall)
        self.assertEqual((reported | approved).picking_id, supplier_return)
        registered = self._entries() - reported - approved
        recall.with_user(self.compliance_officer).action_cancel()
        self.assertEqual(
            (reported.state, reported.disposition, reported.picking_id),
            ("reported", False, self.env["stock.picking"]),
        )
        self.assertEqual(
            (approved.state, approved.disposition, approved.picking_id, approved.approver_id),
            ("approved", "return", self.env["stock.picking"], self.compliance_officer),
            "quality's own approval stands, without the recall's return",
        )
        self.assertEqual(registered.state, "reported")
        self.assertTrue(self._audit_rows(approved, "nonconforming_reopen"))
