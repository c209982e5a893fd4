import psycopg2

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import MedicalExpiryCase


@tagged("post_install", "-at_install")
class TestAuditLog(MedicalExpiryCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Log = cls.env["medical.audit.log"]
        cls.lot = cls._create_lot(cls.syringe, 200, name="SYR-AUDIT")
        cls.rows = cls.Log._log(cls.lot, "lot_block", new_values={cls.lot.id: {"block_reason": "quality"}})
        cls.rows |= cls.Log._log(cls.lot, "lot_block", reason="second")
        cls.rows |= cls.Log._log(cls.lot, "lot_block", reason="third")

    def test_rows_are_chained_by_hash(self):
        first, second, third = self.rows
        self.assertEqual(second.sequence, first.sequence + 1)
        self.assertEqual(second.prev_hash, first.hash)
        self.assertEqual(third.prev_hash, second.hash)
        self.assertEqual(len(first.hash), 64)
        self.assertEqual(first.record_name, "SYR-AUDIT")
        self.assertEqual(first.user_id, self.env.user)
        self.assertIn('"block_reason":"quality"', first.new_values)

    def test_orm_refuses_changes_even_for_the_administrator(self):
        row = self.rows[1]
        with self.assertRaises(UserError):
            row.sudo().write({"reason": "rewritten"})
        with self.assertRaises(UserError):
            row.sudo().unlink()
        with self.assertRaises(UserError):
            self.Log.sudo().create({"model": "stock.lot", "action": "import", "prev_hash": "x", "hash": "y"})
        self.assertEqual(row.reason, "second")
        self.assertEqual(self.Log.search_count([("id", "in", self.rows.ids)]), 3)

    def test_users_cannot_create_rows_over_rpc(self):
        with self.assertRaises(AccessError):
            self.Log.with_user(self.manager).create({"model": "stock.lot", "action": "import"})

    def test_a_client_set_context_key_opens_no_way_in(self):
        """The key ``_create_append_only`` sets grants nothing to a caller who is not the superuser."""
        count = self.Log.search_count([])
        for model, vals in (
            ("medical.audit.log", {"model": "stock.lot", "action": "import", "prev_hash": "x", "hash": "y"}),
            ("medical.signature", {"signer_name": "Nobody", "meaning": "approval", "content_hash": "0"}),
        ):
            with self.subTest(model=model), self.assertRaises(AccessError):
                self.env[model].with_user(self.compliance_officer).with_context(
                    medical_append_only_model=model
                ).create(vals)
        self.assertEqual(self.Log.search_count([]), count)
        self.assertFalse(self.env["medical.signature"].search([("signer_name", "=", "Nobody")]))

    @mute_logger("odoo.sql_db")
    def test_database_refuses_update_delete_and_truncate(self):
        self.env.flush_all()
        for statement in (
            "UPDATE medical_audit_log SET reason = 'rewritten' WHERE id = %s",
            "DELETE FROM medical_audit_log WHERE id = %s",
            "TRUNCATE medical_audit_log CASCADE",
        ):
            with self.subTest(statement=statement), self.assertRaises(psycopg2.errors.InsufficientPrivilege):
                self.env.cr.execute(statement, [self.rows[1].id])
        self.env.cr.execute("SELECT reason FROM medical_audit_log WHERE id = %s", [self.rows[1].id])
        self.assertEqual(self.env.cr.fetchone()[0], "second")

    def _tamper(self, statement, row=None):
        """What someone with database rights would do: switch the trigger off, change ``row`` (the middle
        one by default), switch it on."""
        self.env.flush_all()
        self.env.cr.execute("ALTER TABLE medical_audit_log DISABLE TRIGGER medical_audit_log_append_only")
        self.env.cr.execute(statement, [(row or self.rows[1]).id])
        self.env.cr.execute("ALTER TABLE medical_audit_log ENABLE TRIGGER medical_audit_log_append_only")
        self.env.invalidate_all()

    def test_verify_chain_reports_ok(self):
        checked, broken, missing = self.Log._verify_chain()
        self.assertFalse(broken)
        self.assertIsNone(missing)
        self.assertGreaterEqual(checked, 3)
        action = self.Log.with_user(self.compliance_officer).action_verify_chain()
        self.assertEqual(action["params"]["type"], "success")
        self.assertIn(f"{checked} rows verified", action["params"]["message"])

    def test_verify_chain_finds_a_changed_row(self):
        self._tamper("UPDATE medical_audit_log SET reason = 'nothing happened' WHERE id = %s")
        _checked, broken, _missing = self.Log._verify_chain()
        self.assertEqual(broken, self.rows[1])
        action = self.Log.with_user(self.compliance_officer).action_verify_chain()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertIn(f"#{self.rows[1].sequence}", action["params"]["message"])

    def test_verify_chain_finds_a_removed_row(self):
        self._tamper("DELETE FROM medical_audit_log WHERE id = %s")
        _checked, broken, _missing = self.Log._verify_chain()
        self.assertEqual(broken, self.rows[2], "the row after the gap no longer chains")

    def test_verify_chain_finds_the_newest_row_removed(self):
        newest = self.Log.search([], limit=1)
        self.assertEqual(newest, self.rows[2])
        number = newest.sequence
        self._tamper("DELETE FROM medical_audit_log WHERE id = %s", newest)
        checked, broken, missing = self.Log._verify_chain()
        self.assertFalse(broken, "every row left still chains")
        self.assertEqual(missing, (number, number))
        action = self.Log.with_user(self.compliance_officer).action_verify_chain()
        self.assertEqual(action["params"]["type"], "danger")
        message = action["params"]["message"]
        self.assertIn(f"rows #{number} to #{number} were written and are gone", message)
        self.assertIn(f"The {checked} rows before them are intact", message)

    def test_verify_chain_finds_the_sequence_set_back(self):
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE ir_sequence SET number_next = number_next - 1 WHERE id = %s",
            [self.env.ref("medical_expiry.seq_medical_audit_log").id],
        )
        self.env.invalidate_all()
        message, broken = self.Log._chain_status()
        self.assertTrue(broken)
        self.assertIn(f"set back to #{self.rows[2].sequence - 1}", message)

    def test_rows_logged_after_a_verification_still_verify(self):
        self.assertIsNone(self.Log._verify_chain()[2])
        self.Log._log(self.lot, "lot_block", reason="fourth")
        checked, broken, missing = self.Log._verify_chain()
        self.assertFalse(broken)
        self.assertIsNone(missing)
        self.assertEqual(checked, self.Log.search_count([]))

    def test_only_compliance_verifies_the_chain(self):
        with self.assertRaises(UserError):
            self.Log.with_user(self.manager).action_verify_chain()

    def test_direct_expiration_date_writes_are_logged(self):
        new_date = self.lot.expiration_date.replace(year=self.lot.expiration_date.year + 1)
        self.lot.expiration_date = new_date
        self.lot.with_context(import_file=True).expiration_date = new_date.replace(month=1)
        self.lot.with_context(medical_audit_reason="Supplier corrected the label").expiration_date = new_date
        reasons = self._audit_rows(self.lot, "expiry_date_change").mapped("reason")
        self.assertEqual(reasons, ["Supplier corrected the label", "import", "direct write"])
        row = self._audit_rows(self.lot, "expiry_date_change")[0]
        self.assertIn(str(new_date.date()), row.new_values)

    def test_unchanged_date_writes_nothing(self):
        self.lot.expiration_date = self.lot.expiration_date
        self.assertFalse(self._audit_rows(self.lot, "expiry_date_change"))

    def test_blocking_and_rule_changes_are_logged(self):
        self.lot._block("quality", "Damaged packaging")
        row = self._audit_rows(self.lot, "lot_block")[0]
        self.assertEqual(row.reason, "Damaged packaging")
        rule = self._create_rule(60)
        rule.days_before_expiry = 50
        self.assertTrue(self._audit_rows(rule, "rule_create"))
        change = self._audit_rows(rule, "rule_change")
        self.assertIn('"days_before_expiry":60', change.old_values)
        self.assertIn('"days_before_expiry":50', change.new_values)
        rule.unlink()
        self.assertEqual(self.Log.search([("action", "=", "rule_delete")], limit=1).res_id, change.res_id)

    def test_audit_trail_of_a_record(self):
        action = self.lot.action_view_audit_log()
        self.assertEqual(self.Log.search(action["domain"]), self.rows)
