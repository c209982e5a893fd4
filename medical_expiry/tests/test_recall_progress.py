from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .recall_common import RecallEverywhereCase


@tagged("post_install", "-at_install")
class TestRecallProgress(RecallEverywhereCase):
    """What came back since the trace, matched to the recall's lines: medical.recall.progress."""

    def test_progress_per_customer_and_in_total_up_to_a_signed_close(self):
        recall = self._open_recall(self.lot)
        self._confirm_recall(recall, self.compliance_officer)
        for picking in self._quarantine_transfers(recall):
            self._validate(picking)
        self._validate(self._pickings(recall, source_usage="customer", partner=self.customer))
        self._validate(self._pickings(recall, source_usage="customer", partner=self.clinic), quantity=5)
        hospital, clinic = (
            recall.notice_ids.filtered(lambda n, p=p: n.partner_id == p) for p in (self.customer, self.clinic)
        )
        self.assertEqual((hospital.qty_shipped, hospital.qty_recovered, hospital.qty_open), (12, 12, 0))
        self.assertEqual((clinic.qty_shipped, clinic.qty_recovered, clinic.qty_open), (8, 5, 3))
        self.assertEqual(
            (recall.qty_shipped, recall.qty_recovered, recall.qty_quarantined, recall.qty_open),
            (20, 17, 80, 13),
        )
        self.assertAlmostEqual(recall.recovery_rate, 17 / 20)
        self.assertEqual(self._quant_quantity(self.lot, self.quarantine), 68 + 12)

        # Closing with open lines: a clear error naming them, nothing changes.
        with self.assertRaises(UserError) as error:
            recall.with_user(self.compliance_officer).action_close()
        message = str(error.exception)
        self.assertIn("2 lines are not resolved", message)
        self.assertIn("In Transit, lot SYR-R1", message)
        self.assertIn("Delivered, lot SYR-R1 of Syringe, Clinic", message)
        self.assertIn("3.0 Units open", message)
        self.assertEqual(recall.state, "in_progress")

        # The clinic used three; the units in transit were destroyed on the way.
        clinic_line = self._lines(recall, "delivered", partner_id=self.clinic)
        with self.assertRaises(UserError):
            clinic_line.with_user(self.compliance_officer)._resolve("written_off", "")
        self.assertEqual(clinic_line.qty_written_off, 0)
        action = clinic_line.with_user(self.compliance_officer).action_resolve()
        self.env["medical.recall.resolve.wizard"].with_user(self.compliance_officer).with_context(
            **action["context"]
        ).create(
            {"resolution": "written_off", "reason": "Used on patients before the notice"}
        ).action_resolve()
        self._lines(recall, "in_transit").with_user(self.compliance_officer)._resolve(
            "destroyed", "Certificate 42"
        )
        self.assertEqual((clinic.qty_written_off, clinic.qty_open), (3, 0))
        self.assertEqual((recall.qty_destroyed, recall.qty_written_off, recall.qty_open), (10, 3, 0))
        self.assertIn("Used on patients", clinic_line.resolution_note)

        # Closing needs a compliance officer's signature.
        with self.assertRaises(UserError) as error:
            recall.with_user(self.compliance_officer)._close()
        self.assertIn("electronic signature", str(error.exception))
        self.assertEqual(recall.state, "in_progress")
        with self.assertRaises(AccessError):
            recall.with_user(self.manager).action_close()
        action = recall.with_user(self.compliance_officer).action_close()
        self.assertEqual(action["res_model"], "medical.signature.wizard")
        self._signed(
            self.compliance_officer, recall, "recall_close", reason="All units accounted for"
        )._close()
        self.assertEqual(recall.state, "closed")
        self.assertTrue(recall.date_closed)
        self.assertEqual(recall.close_signature_id.user_id, self.compliance_officer)
        row = self._audit_rows(recall, "recall_close")
        self.assertEqual(row.signature_id, recall.close_signature_id)
        self.assertEqual(row.reason, "All units accounted for")
        self.assertIn('"recovered":17.0', row.new_values)
        self.assertFalse(recall.activity_ids)

    def test_returns_made_before_the_trace_are_not_progress(self):
        """The ward sent back 3 before the recall: the recall starts with nothing recovered from customers."""
        recall = self._open_recall(self.lot)
        self._confirm_recall(recall, self.compliance_officer)
        self.assertEqual(recall.qty_recovered, 0)
        self.assertEqual(recall.qty_open, 110)

    def test_a_contacts_return_counts_for_its_company_on_its_oldest_delivery_first(self):
        recall = self._open_recall(self.lot)
        self._confirm_recall(recall, self.compliance_officer)
        self._return(self.d2, (self.lot, 2)).button_validate()
        oldest, latest = self._lines(recall, "delivered", partner_id=self.customer).sorted(
            lambda line: (line.date, line.id)
        )
        self.assertEqual((oldest.qty_recovered, latest.qty_recovered), (2, 0))
        self.assertFalse(self._lines(recall, "delivered", partner_id=self.clinic).qty_recovered)
        self.assertEqual(recall.qty_recovered, 2)
