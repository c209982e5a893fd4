from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import MedicalExpiryCase


@tagged("post_install", "-at_install")
class TestSignedActions(MedicalExpiryCase):
    """Every critical action is refused without a signature and logged with one."""

    def test_each_signed_action_is_declared_once_with_all_it_needs(self):
        """A model's ``_signed_actions`` entry is all a new signed action takes: the signature window,
        the signature and the audit log offer it, and its method, group and window exist."""
        Signature = self.env["medical.signature"]
        declared = Signature._signed_action_declarations()
        self.assertEqual(
            set(declared),
            {
                "lot_unblock",
                "expiry_date_change",
                "scrap_expired",
                "quarantine_release",
                "recall_confirm",
                "recall_close",
                "rule_create",
                "rule_change",
                "rule_delete",
                "first_business_approval",
                "stock_inspection_close",
                "nonconforming_approve",
                "nonconforming_destroy",
                "nonconforming_return",
            },
        )
        signed = dict(Signature._fields["signed_action"]._description_selection(self.env))
        logged = dict(self.env["medical.audit.log"]._fields["action"]._description_selection(self.env))
        models = {
            code: model
            for model in self.registry["medical.signed.mixin"]._inherit_children
            for code in self.env[model]._signed_actions()
        }
        for code, action in declared.items():
            with self.subTest(action=code):
                self.assertEqual(signed[code], action.label)
                self.assertEqual(logged[code], action.logged_as)
                self.assertTrue(callable(getattr(self.env[models[code]], action.method, None)))
                for group in action.group.split(","):
                    self.assertTrue(self.env.ref(group))
                self.assertIn(action.wizard, self.env)

    def test_expiration_date_changes_through_the_signed_wizard(self):
        lot = self._create_lot(self.syringe, 200, name="SYR-DATE")
        old_date = lot.expiration_date
        new_date = fields.Datetime.add(old_date, days=-30)
        with self.assertRaises(UserError):
            lot.with_user(self.manager).expiration_date = new_date
        self.assertEqual(lot.expiration_date, old_date)
        self._flush_tracking()
        action = lot.with_user(self.manager).action_change_expiration_date()
        self.assertEqual(action["res_model"], "medical.lot.expiry.wizard")
        self._sign_in_wizard(
            self.manager, action, new_expiration_date=new_date, reason="Label misprinted by supplier"
        ).action_sign()
        self.assertEqual(lot.expiration_date, new_date)
        self.assertEqual(lot.days_to_expiry, 170)
        row = self._audit_rows(lot, "expiry_date_change")
        self.assertEqual(row.reason, "Label misprinted by supplier")
        self.assertEqual(row.signature_id.user_id, self.manager)
        self.assertIn(str(old_date), row.old_values)
        self._flush_tracking()
        self.assertIn("expiration_date", lot.message_ids.tracking_value_ids.field_id.mapped("name"))

    def test_expiration_date_wizard_needs_a_date(self):
        lot = self._create_lot(self.syringe, 200)
        with self.assertRaises(UserError):
            self._signed(self.manager, lot, "expiry_date_change")._change_expiration_date(False)
        self.assertEqual(lot.days_to_expiry, 200)

    def test_scrapping_expired_stock_is_signed(self):
        lot = self._create_lot(self.syringe, -3, quantity=10, name="SYR-SCRAP")
        scrap = (
            self.env["stock.scrap"]
            .with_user(self.manager)
            .create(
                {
                    "product_id": self.syringe.id,
                    "lot_id": lot.id,
                    "scrap_qty": 10,
                    "location_id": self.stock.id,
                }
            )
        )
        action = scrap.action_validate()
        self.assertEqual(action["context"]["default_signed_action"], "scrap_expired")
        with self.assertRaises(UserError):
            scrap.do_scrap()
        self.assertEqual(scrap.state, "draft")
        self._sign_in_wizard(self.manager, action).action_sign()
        self.assertEqual(scrap.state, "done")
        row = self._audit_rows(lot, "scrap_expired")
        self.assertTrue(row.signature_id)
        self.assertIn(scrap.name, row.new_values)

    def test_scrapping_good_stock_needs_no_signature(self):
        lot = self._create_lot(self.syringe, 200, quantity=10)
        scrap = (
            self.env["stock.scrap"]
            .with_user(self.manager)
            .create(
                {
                    "product_id": self.syringe.id,
                    "lot_id": lot.id,
                    "scrap_qty": 1,
                    "location_id": self.stock.id,
                }
            )
        )
        scrap.action_validate()
        self.assertEqual(scrap.state, "done")

    def _release_picking(self, lot):
        picking = self._create_picking(
            self.syringe,
            10,
            source=self.quarantine,
            destination=self.stock,
            picking_type=self.warehouse.int_type_id,
        )
        self._set_lines(picking, (lot, 10))
        return picking

    def test_release_from_quarantine_is_signed_by_compliance(self):
        lot = self._create_lot(self.syringe, 200, quantity=10, location=self.quarantine, name="SYR-QUAR")
        picking = self._release_picking(lot)
        with self.assertRaises(UserError):
            picking.with_user(self.compliance_officer).move_ids._action_done()
        action = picking.with_user(self.compliance_officer).button_validate()
        self.assertEqual(action["context"]["default_signed_action"], "quarantine_release")
        self.assertNotEqual(picking.state, "done")
        self._sign_in_wizard(self.compliance_officer, action, meaning="approval").action_sign()
        self.assertEqual(picking.state, "done")
        row = self._audit_rows(lot, "quarantine_release")
        self.assertEqual(row.signature_id.user_id, self.compliance_officer)
        self.assertIn(picking.name, row.new_values)

    def test_managers_cannot_release_from_quarantine(self):
        lot = self._create_lot(self.syringe, 200, quantity=10, location=self.quarantine)
        picking = self._release_picking(lot)
        with self.assertRaises(UserError):
            picking.with_user(self.manager).button_validate()
        self.assertNotEqual(picking.state, "done")

    def test_rule_library_changes_are_signed_in_the_signature_window(self):
        rule = self._create_rule(60)
        with self.assertRaises(UserError):
            rule.with_user(self.manager).days_before_expiry = 45
        self.assertEqual(rule.days_before_expiry, 60)
        action = rule.with_user(self.manager).action_change_rule()
        self.assertEqual(action["res_model"], "medical.expiry.rule.change.wizard")
        self._sign_in_wizard(
            self.manager, action, days_before_expiry=45, reason="Hospital tender requires 45 days"
        ).action_sign()
        self.assertEqual(rule.days_before_expiry, 45)
        row = self._audit_rows(rule, "rule_change")
        self.assertEqual(row.signature_id.signed_action, "rule_change")
        self.assertEqual(row.reason, "Hospital tender requires 45 days")
        self.assertEqual(row.signature_id.signed_values, {"days_before_expiry": 45}, "what was signed")
        action = self.env["medical.expiry.rule"].with_user(self.manager).action_new_rule()
        self._sign_in_wizard(
            self.manager,
            action,
            name="Product level",
            days_before_expiry=20,
            product_id=self.syringe.id,
            reason="New product",
        ).action_sign()
        created = self.env["medical.expiry.rule"].search([("name", "=", "Product level")])
        self.assertEqual((created.days_before_expiry, created.product_id), (20, self.syringe))
        self.assertTrue(self._audit_rows(created, "rule_create").signature_id)
        with self.assertRaises(UserError):
            created.with_user(self.manager).unlink()
        self.assertTrue(created.exists())
        self._sign_in_wizard(self.manager, created.with_user(self.manager).action_delete_rule()).action_sign()
        self.assertFalse(created.exists())
        self.assertEqual(self._audit_rows(created, "rule_delete").signature_id.signed_action, "rule_delete")

    def test_rule_library_change_with_wrong_password_changes_nothing(self):
        self.registry.enter_test_mode(self.cr)
        self.addCleanup(self.registry.leave_test_mode)
        rule = self._create_rule(60)
        action = rule.with_user(self.manager).action_change_rule()
        with self.assertRaises(UserError):
            self._sign_in_wizard(self.manager, action, password="wrong", days_before_expiry=45).action_sign()
        self.assertEqual(rule.days_before_expiry, 60)
        self.assertFalse(self._audit_rows(rule, "rule_change"))

    def test_a_rule_change_that_changes_nothing_is_not_signed(self):
        rule = self._create_rule(60)
        with self.assertRaises(UserError):
            self._sign_in_wizard(
                self.manager, rule.with_user(self.manager).action_change_rule()
            ).action_sign()
        self.assertFalse(self.env["medical.signature"].search([("signed_action", "=", "rule_change")]))

    def test_only_expiry_managers_open_the_rule_change_window(self):
        rule = self._create_rule(60)
        with self.assertRaises(AccessError):
            rule.with_user(self.stock_user).action_change_rule()
        with self.assertRaises(AccessError):
            self.env["medical.expiry.rule"].with_user(self.stock_user).action_new_rule()

    def test_shipping_past_a_warning_is_logged_as_override(self):
        self._create_rule(45, "warn")
        lot = self._create_lot(self.syringe, 30, quantity=10, name="SYR-WARN")
        picking = self._create_picking(self.syringe, 5)
        picking.action_assign()
        picking.button_validate()
        self.assertEqual(picking.state, "done")
        row = self._audit_rows(lot, "guard_override")
        self.assertIn("SYR-WARN", row.reason)
        self.assertIn(picking.name, row.new_values)
