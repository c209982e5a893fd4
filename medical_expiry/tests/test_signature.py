import unittest

import psycopg2

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import PASSWORD, MedicalExpiryCase


@tagged("post_install", "-at_install")
class TestSignature(MedicalExpiryCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.lot = cls._create_lot(cls.syringe, 200, quantity=10, name="SYR-SIGN")
        cls.lot._block("quality", "Damaged packaging")

    def setUp(self):
        super().setUp()
        # Failed signatures are kept in a transaction of their own: in tests, a savepoint of this one.
        self.registry.enter_test_mode(self.cr)
        self.addCleanup(self.registry.leave_test_mode)

    def _wizard(self, user, records, signed_action, **vals):
        action = (
            self.env["medical.signature"].with_user(user)._action_request_signature(records, signed_action)
        )
        return self._sign_in_wizard(user, action, **vals)

    def _fail_to_sign(self, user, records, signed_action):
        """Sign with a wrong password, keeping what the failure wrote (no savepoint around it)."""
        with unittest.TestCase.assertRaises(self, UserError) as error:
            self._wizard(user, records, signed_action, password="wrong").action_sign()
        return str(error.exception)

    def test_unblock_asks_for_a_signature(self):
        action = self.lot.with_user(self.manager).action_unblock()
        self.assertEqual(action["res_model"], "medical.signature.wizard")
        self.assertEqual(action["context"]["default_signed_action"], "lot_unblock")
        with self.assertRaises(UserError):
            self.lot.with_user(self.manager)._unblock()
        self.assertTrue(self.lot.is_blocked)

    def test_signed_unblock_records_who_when_and_why(self):
        wizard = self._wizard(self.manager, self.lot, "lot_unblock", reason="Packaging re-inspected")
        wizard.action_sign()
        self.assertFalse(self.lot.is_blocked)
        self.assertFalse(wizard.password, "the password is not kept")
        signature = self.env["medical.signature"].search([("res_model", "=", "stock.lot")], limit=1)
        self.assertEqual(signature.user_id, self.manager)
        self.assertEqual(signature.signer_name, "Expiry Manager")
        self.assertEqual(signature.meaning, "approval")
        self.assertEqual(signature.res_ids, self.lot.ids)
        self.assertEqual(signature.reason, "Packaging re-inspected")
        self.assertEqual(len(signature.content_hash), 64)
        self.assertIn("(UTC)", signature.signed_at_local)
        row = self._audit_rows(self.lot, "lot_unblock")
        self.assertEqual(row.signature_id, signature)
        self.assertEqual(row.reason, "Packaging re-inspected")
        self.assertEqual(row.user_id, self.manager)
        self.assertTrue(self._audit_rows(self.lot, "signature"))

    def test_wrong_password_changes_nothing_and_is_logged(self):
        message = self._fail_to_sign(self.manager, self.lot, "lot_unblock")
        self.assertIn("Wrong password", message)
        self.assertTrue(self.lot.is_blocked)
        self.assertFalse(self.env["medical.signature"].search([("user_id", "=", self.manager.id)]))
        failure = self._audit_rows(self.manager, "signature_failed")
        self.assertEqual(len(failure), 1)
        self.assertIn("SYR-SIGN", failure.reason)

    def test_five_failures_lock_the_signer_out(self):
        for _attempt in range(5):
            self._fail_to_sign(self.manager, self.lot, "lot_unblock")
        with self.assertRaises(UserError) as error:
            self._wizard(self.manager, self.lot, "lot_unblock").action_sign()
        self.assertIn("Too many wrong passwords", str(error.exception))
        self.assertTrue(self.lot.is_blocked)
        # Another signer is not affected.
        self.manager.groups_id = [Command.unlink(self.env.ref("medical_expiry.group_expiry_manager").id)]
        self.compliance_officer.groups_id = [
            Command.link(self.env.ref("medical_expiry.group_expiry_manager").id)
        ]
        self._wizard(self.compliance_officer, self.lot, "lot_unblock").action_sign()
        self.assertFalse(self.lot.is_blocked)

    def test_failures_older_than_fifteen_minutes_do_not_count(self):
        for _attempt in range(5):
            self._fail_to_sign(self.manager, self.lot, "lot_unblock")
        self.env.flush_all()
        self.env.cr.execute("ALTER TABLE medical_audit_log DISABLE TRIGGER medical_audit_log_append_only")
        self.env.cr.execute(
            "UPDATE medical_audit_log SET timestamp = timestamp - interval '16 minutes'"
            " WHERE action = 'signature_failed'"
        )
        self.env.cr.execute("ALTER TABLE medical_audit_log ENABLE TRIGGER medical_audit_log_append_only")
        self.env.invalidate_all()
        self._wizard(self.manager, self.lot, "lot_unblock").action_sign()
        self.assertFalse(self.lot.is_blocked)

    def test_meaning_other_needs_its_text(self):
        with self.assertRaises(UserError):
            self._wizard(self.manager, self.lot, "lot_unblock", meaning="other").action_sign()
        self.assertTrue(self.lot.is_blocked)
        self._wizard(
            self.manager, self.lot, "lot_unblock", meaning="other", meaning_text="复核"
        ).action_sign()
        self.assertEqual(self._audit_rows(self.lot, "lot_unblock").signature_id.meaning_text, "复核")

    def test_empty_password_is_refused_without_counting_as_a_failure(self):
        with self.assertRaises(UserError):
            self._wizard(self.manager, self.lot, "lot_unblock", password=False).action_sign()
        self.assertFalse(self._audit_rows(self.manager, "signature_failed"))

    def test_users_without_the_group_are_refused_before_signing(self):
        with self.assertRaises(AccessError):
            self.env["medical.signature"].with_user(self.stock_user)._action_request_signature(
                self.lot, "lot_unblock"
            )
        with unittest.TestCase.assertRaises(self, AccessError):
            self.env["medical.signature"].with_user(self.stock_user)._sign(
                self.lot, "lot_unblock", "wrong", "approval"
            )
        self.assertFalse(self._audit_rows(self.stock_user, "signature_failed"), "no password was checked")
        with self.assertRaises(AccessError):
            self.env["medical.signature"].with_user(self.manager)._sign(
                self.lot, "recall_close", PASSWORD, "approval"
            )

    def test_nobody_signs_as_someone_else(self):
        with self.assertRaises(ValueError):
            self.env["medical.signature.wizard"].with_user(self.manager).create(
                {
                    "res_model": "stock.lot",
                    "res_ids": self.lot.ids,
                    "signed_action": "lot_unblock",
                    "meaning": "approval",
                    "reason": "x",
                    "password": PASSWORD,
                    "user_id": self.compliance_officer.id,
                }
            )
        with self.assertRaises(AccessError):
            self.env["medical.signature"].with_user(self.manager).create(
                {
                    "user_id": self.compliance_officer.id,
                    "signer_name": "Compliance Officer",
                    "signed_at": fields.Datetime.now(),
                    "meaning": "approval",
                    "signed_action": "lot_unblock",
                    "res_model": "stock.lot",
                    "res_ids": self.lot.ids,
                    "content_hash": "0",
                }
            )
        # A signature only counts for its signer, its action and its records.
        self.compliance_officer.groups_id = [
            Command.link(self.env.ref("medical_expiry.group_expiry_manager").id)
        ]
        self._signed(self.compliance_officer, self.lot, "lot_unblock")
        with self.assertRaises(UserError):
            self.lot.with_user(self.manager)._unblock()
        other_lot = self._create_lot(self.syringe, 300, name="SYR-OTHER")
        other_lot._block("quality")
        with self.assertRaises(UserError):
            other_lot.with_user(self.compliance_officer)._unblock()
        with self.assertRaises(UserError):
            self.lot.with_user(self.compliance_officer)._change_expiration_date(fields.Datetime.now())
        self.assertTrue(self.lot.is_blocked)
        self.assertTrue(other_lot.is_blocked)

    @mute_logger("odoo.sql_db")
    def test_signatures_cannot_be_changed(self):
        signature = (
            self._signed(self.manager, self.lot, "lot_unblock").env["medical.signature"].search([], limit=1)
        )
        with self.assertRaises(UserError):
            signature.sudo().write({"signer_name": "Someone Else"})
        with self.assertRaises(UserError):
            signature.sudo().unlink()
        self.env.flush_all()
        with self.assertRaises(psycopg2.errors.InsufficientPrivilege):
            self.env.cr.execute(
                "UPDATE medical_signature SET signer_name = 'x' WHERE id = %s", [signature.id]
            )
        self.assertEqual(signature.signer_name, "Expiry Manager")
