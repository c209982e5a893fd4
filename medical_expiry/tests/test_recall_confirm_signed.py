from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import PASSWORD
from .migration_common import run_migration
from .recall_common import RecallEverywhereCase


@tagged("post_install", "-at_install")
class TestRecallConfirmSigned(RecallEverywhereCase):
    """Confirming a recall is signed; the register's entries it approves carry that signature."""

    def test_confirming_without_a_signature_is_refused_and_changes_nothing(self):
        recall = self._open_recall(self.lot)
        action = recall.with_user(self.compliance_officer).action_confirm()
        self.assertEqual(action["res_model"], "medical.signature.wizard")
        self.assertEqual(action["context"]["default_signed_action"], "recall_confirm")
        with self.assertRaisesRegex(UserError, "needs your electronic signature"):
            recall.with_user(self.compliance_officer)._confirm()
        self.assertEqual(recall.state, "draft")
        self.assertFalse(recall.date_open or recall.confirm_user_id or recall.confirm_signature_id)
        self.assertFalse(self.lot.is_blocked)
        self.assertFalse(self._audit_rows(recall, "recall_state"))
        self.assertFalse(self._audit_rows(recall, "recall_confirm"))

    def test_confirmation_is_signed_and_logged_with_its_signature(self):
        recall = self._confirm_recall(self._open_recall(self.lot), reason="Manufacturer notice checked")
        self.assertEqual(recall.state, "in_progress")
        signature = recall.confirm_signature_id
        self.assertEqual(
            (signature.user_id, signature.signed_action), (self.compliance_officer, "recall_confirm")
        )
        row = self._audit_rows(recall, "recall_confirm")
        self.assertEqual((row.signature_id, row.reason), (signature, "Manufacturer notice checked"))
        self.assertTrue(self.lot.is_blocked)

    def test_expiry_managers_sign_it_too_and_others_cannot(self):
        recall = self._confirm_recall(self._open_recall(self.lot), self.manager)
        self.assertEqual(recall.confirm_signature_id.user_id, self.manager)
        other = self._open_recall(self.lot)
        with self.assertRaisesRegex(AccessError, "Confirm Recall"):
            self.env["medical.signature"].with_user(self.stock_user)._sign(
                other.with_user(self.stock_user), "recall_confirm", PASSWORD, "approval"
            )
        self.assertEqual(other.state, "draft")
        self.assertFalse(
            self.env["medical.signature"].search(
                [("signed_action", "=", "recall_confirm"), ("user_id", "=", self.stock_user.id)]
            )
        )

    def test_confirmation_signature_is_not_written_by_rpc(self):
        recall = self._confirm_recall(self._open_recall(self.lot))
        signature = recall.confirm_signature_id
        draft = self._open_recall(self.lot)
        for target in (recall, draft):
            with self.subTest(recall=target.name):
                with self.assertRaisesRegex(UserError, "cannot be written directly"):
                    target.with_user(self.compliance_officer).write({"confirm_signature_id": signature.id})
        self.assertEqual(recall.confirm_signature_id, signature)
        self.assertFalse(draft.confirm_signature_id)

    def test_recall_approved_entries_of_a_cancelled_recall_are_reopened(self):
        recall = self._confirm_recall(self._open_recall(self.lot))
        self._validate(self._pickings(recall, source_usage="internal", destination=self.quarantine))
        entry = self.env["medical.nonconforming"].search([("lot_id", "=", self.lot.id)])
        self.assertEqual(entry.sudo().approve_signature_id, recall.confirm_signature_id)
        recall.with_user(self.compliance_officer).action_cancel()
        self.assertEqual((entry.state, entry.approver_id), ("reported", self.env["res.users"]))
        self.assertFalse(entry.sudo().approve_signature_id)
        self.assertTrue(self._audit_rows(entry, "nonconforming_reopen"))

    def test_a_partial_return_moves_the_entry_to_its_backorder_logged(self):
        recall = self._confirm_recall(self._open_recall(self.lot))
        self._validate(self._pickings(recall, source_usage="internal", destination=self.quarantine))
        entry = self.env["medical.nonconforming"].search([("lot_id", "=", self.lot.id)])
        supplier_return = entry.picking_id
        supplier_return.move_ids.quantity = 10
        supplier_return.button_validate()
        if supplier_return.state != "done":
            self.env["stock.backorder.confirmation"].with_context(
                button_validate_picking_ids=supplier_return.ids
            ).create({"pick_ids": [(4, supplier_return.id)]}).process()
        backorder = supplier_return.backorder_ids
        self.assertTrue(backorder)
        self.assertEqual((entry.state, entry.picking_id), ("approved", backorder))
        row = self._audit_rows(entry, "nonconforming_backorder")
        self.assertEqual(len(row), 1)
        self.assertIn(supplier_return.name, row.old_values)
        self.assertIn(backorder.name, row.new_values)

    def test_migration_names_who_confirmed_old_recalls(self):
        recall = self._confirm_recall(self._open_recall(self.lot))
        self._validate(self._pickings(recall, source_usage="internal", destination=self.quarantine))
        entry = self.env["medical.nonconforming"].search([("lot_id", "=", self.lot.id)])
        chain_before = self.env["medical.audit.log"].search_count([])
        # As confirmed before this version: nobody named on the recall nor on its approved entry.
        self.env.flush_all()
        self.env.cr.execute("UPDATE medical_recall SET confirm_user_id = NULL WHERE id = %s", [recall.id])
        self.env.cr.execute("UPDATE medical_nonconforming SET approver_id = NULL WHERE id = %s", [entry.id])
        self.env.invalidate_all()
        run_migration(self.env.cr, "18.0.1.3.0", "post-recall_confirm.py", "18.0.1.2.0")
        self.env.invalidate_all()
        self.assertEqual(recall.confirm_user_id, self.compliance_officer)
        self.assertEqual(entry.approver_id, self.compliance_officer)
        self.assertEqual(self.env["medical.audit.log"].search_count([]), chain_before)
        _checked, broken, missing = self.env["medical.audit.log"]._verify_chain()
        self.assertFalse(broken)
        self.assertIsNone(missing)
        run_migration(self.env.cr, "18.0.1.3.0", "post-recall_confirm.py", "18.0.1.2.0")
        self.env.invalidate_all()
        self.assertEqual(recall.confirm_user_id, self.compliance_officer)
