from datetime import timedelta

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import PASSWORD, MedicalExpiryCase


@tagged("post_install", "-at_install")
class TestSignatureSingleUse(MedicalExpiryCase):
    """A signature authorises one action, once; naming it in the context (as any client can) authorises
    nothing."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.lot = cls._create_lot(cls.syringe, 200, quantity=10, name="SYR-ONCE")

    def _signature(self, records, signed_action):
        return self.env["medical.signature"].search(
            [("res_model", "=", records._name), ("signed_action", "=", signed_action)], limit=1
        )

    def _sign_date_change(self, new_date):
        action = self.lot.with_user(self.manager).action_change_expiration_date()
        self._sign_in_wizard(self.manager, action, new_expiration_date=new_date).action_sign()
        return self._signature(self.lot, "expiry_date_change")

    def test_a_signed_date_change_does_not_sign_a_second_one(self):
        first_date = self.lot.expiration_date - timedelta(days=30)
        signature = self._sign_date_change(first_date)
        with self.assertRaises(UserError) as error:
            self.lot.with_user(self.manager).with_context(medical_signature_id=signature.id).write(
                {"expiration_date": first_date - timedelta(days=30)}
            )
        self.assertIn("needs your electronic signature", str(error.exception))
        self.env.invalidate_all()
        self.assertEqual(self.lot.expiration_date, first_date)
        self.assertEqual(len(self._audit_rows(self.lot, "expiry_date_change")), 1)

    def test_a_signed_unblock_does_not_sign_a_second_unblock(self):
        self.lot._block("quality", "Damaged packaging")
        action = self.lot.with_user(self.manager).action_unblock()
        self._sign_in_wizard(self.manager, action).action_sign()
        self.assertFalse(self.lot.is_blocked)
        signature = self._signature(self.lot, "lot_unblock")
        self.lot._block("recall", "Supplier recall")
        with self.assertRaises(UserError):
            self.lot.with_user(self.manager).with_context(medical_signature_id=signature.id)._unblock()
        self.env.invalidate_all()
        self.assertEqual((self.lot.is_blocked, self.lot.block_reason), (True, "recall"))
        self.assertEqual(len(self._audit_rows(self.lot, "lot_unblock")), 1)

    def test_a_signed_rule_change_does_not_sign_its_deletion(self):
        rule = self._create_rule(60)
        action = rule.with_user(self.manager).action_change_rule()
        self._sign_in_wizard(self.manager, action, days_before_expiry=45).action_sign()
        signature = self._audit_rows(rule, "rule_change").signature_id
        self.assertTrue(signature)
        with self.assertRaises(UserError):
            rule.with_user(self.manager).with_context(medical_signature_id=signature.id).unlink()
        self.assertTrue(rule.exists())
        self.assertFalse(self._audit_rows(rule, "rule_delete"))

    def test_a_signature_an_audit_row_cites_is_spent(self):
        self.lot._block("quality")
        self._signed(self.manager, self.lot, "lot_unblock")
        signature = self._signature(self.lot, "lot_unblock")
        # Whatever path used it, the audit row citing it is the proof it was spent.
        self.env["medical.audit.log"]._log(self.lot, "lot_unblock", signature=signature)
        with self.assertRaises(UserError):
            self.lot.with_user(self.manager).with_context(medical_signature_id=signature.id)._unblock()
        self.assertTrue(self.lot.is_blocked)

    def test_each_signature_authorises_its_own_action(self):
        self.lot._block("quality")
        self._signed(self.manager, self.lot, "lot_unblock")._unblock()
        self.lot._block("recall")
        self._signed(self.manager, self.lot, "lot_unblock", reason="Recall withdrawn")._unblock()
        self.assertFalse(self.lot.is_blocked)
        rows = self._audit_rows(self.lot, "lot_unblock")
        self.assertEqual(len(rows), 2)
        self.assertEqual(len(rows.signature_id), 2, "two actions, two signatures")

    def test_an_action_done_in_steps_spends_the_signature_record_by_record(self):
        other = self._create_lot(self.syringe, 300, quantity=10, name="SYR-TWICE")
        lots = self.lot | other
        lots._block("quality")
        self._signed(self.manager, lots, "lot_unblock")
        self.lot.with_user(self.manager)._unblock()
        other.with_user(self.manager)._unblock()
        self.assertFalse(lots.filtered("is_blocked"))
        self.lot._block("recall")
        with self.assertRaises(UserError):
            self.lot.with_user(self.manager)._unblock()
        self.assertTrue(self.lot.is_blocked)
        self.assertEqual(len(self._audit_rows(lots, "lot_unblock").signature_id), 1)

    def _sign_rule_values(self, records, signed_action, values, user=None):
        self.env["medical.signature"].with_user(user or self.manager)._sign(
            records, signed_action, PASSWORD, "approval", reason="Tender", values=values
        )

    def test_a_rule_change_signature_authorises_its_values_only_and_once(self):
        rule = self._create_rule(60)
        self._sign_rule_values(rule, "rule_change", {"days_before_expiry": 45})
        for other in ({"days_before_expiry": 10}, {"days_before_expiry": 45, "outbound_policy": "block"}):
            with self.subTest(values=other), self.assertRaises(UserError):
                rule.with_user(self.manager).write(other)
        rule.with_user(self.manager).write({"days_before_expiry": 45})
        with self.assertRaises(UserError):
            rule.with_user(self.manager).write({"days_before_expiry": 45})
        self.env.invalidate_all()
        self.assertEqual((rule.days_before_expiry, rule.outbound_policy), (45, "allow"))
        self.assertEqual(len(self._audit_rows(rule, "rule_change")), 1)

    def test_one_rule_signature_never_signs_a_batch_of_rules(self):
        Rule = self.env["medical.expiry.rule"]
        count = Rule.search_count([])
        first = {"name": "First", "days_before_expiry": 77}
        self._sign_rule_values(Rule, "rule_create", first)
        with self.assertRaises(UserError):
            Rule.with_user(self.manager).create([first, {"name": "Second", "days_before_expiry": 66}])
        with self.assertRaises(UserError):
            Rule.with_user(self.manager).create([first, first])
        self.assertEqual(Rule.search_count([]), count)
        rules = self._create_rule(60) | self._create_rule(50)
        self._sign_rule_values(rules[0], "rule_change", {"outbound_policy": "block"})
        with self.assertRaises(UserError):
            rules.with_user(self.manager).write({"outbound_policy": "block"})
        self.assertEqual(set(rules.mapped("outbound_policy")), {"allow"})

    def test_a_rule_signature_counts_for_its_signer_only(self):
        rule = self._create_rule(60)
        other_manager = self.compliance_officer
        other_manager.groups_id = [Command.link(self.env.ref("medical_expiry.group_expiry_manager").id)]
        self._sign_rule_values(rule, "rule_change", {"days_before_expiry": 45}, user=other_manager)
        with self.assertRaises(UserError):
            rule.with_user(self.manager).write({"days_before_expiry": 45})
        with self.assertRaises(UserError):
            rule.with_user(self.manager).unlink()
        self.assertEqual(rule.days_before_expiry, 60)

    def test_looking_for_a_signature_does_not_spend_it(self):
        self.lot._block("quality")
        self._signed(self.manager, self.lot, "lot_unblock")
        Signature = self.env["medical.signature"].with_user(self.manager)
        self.assertIsNone(Signature._request_signature_unless_signed(self.lot, "lot_unblock"))
        self.lot.with_user(self.manager)._unblock()
        self.assertFalse(self.lot.is_blocked)
        self.assertTrue(Signature._request_signature_unless_signed(self.lot, "lot_unblock"))
