from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged

from .migration_common import run_migration
from .qualification_common import QualificationCase
from .recall_common import RecallCase


def finish_wizard(env, action):
    """Answer the wizard ``action`` opens as its default button does, in a request of its own."""
    env.invalidate_all()
    return Form.from_action(env, action).save().process()


@tagged("post_install", "-at_install")
class TestReturnOverrideAcrossWizards(RecallCase):
    """A manager's acceptance of a refused customer return holds until the transfer is done, whatever
    wizard Odoo puts between the acceptance and the validation."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.lot = cls._create_lot(cls.syringe, 300, name="SYR-OVR", quantity=50)

    def _return_from_clinic(self, lot, demand, returned):
        """A receipt from the clinic, which never bought the lot: ``demand`` expected, ``returned`` come."""
        picking = self._create_picking(
            self.syringe,
            demand,
            source=self.customers,
            destination=self.stock,
            partner=self.clinic,
            picking_type=self.warehouse.in_type_id,
        )
        self._set_lines(picking, (lot, returned))
        return picking

    def test_accepted_return_validates_after_the_backorder_wizard(self):
        receipt = self._return_from_clinic(self.lot, 4, 2)
        action = receipt.with_user(self.manager)._validate_accepting_return("Bought through a distributor")
        self.assertEqual(action["res_model"], "stock.backorder.confirmation")
        self.assertNotEqual(receipt.state, "done")
        finish_wizard(self.env(user=self.manager), action)
        self.assertEqual(receipt.state, "done")
        row = self._audit_rows(self.lot, "return_override")
        self.assertEqual((row.reason, row.user_id), ("Bought through a distributor", self.manager))
        grant = self._audit_rows(receipt, "override_grant")
        self.assertEqual((grant.reason, grant.user_id), ("Bought through a distributor", self.manager))
        self.assertTrue(receipt.medical_override_ids.spent_at, "spent by the validation it served")

    def test_the_backorder_does_not_inherit_the_override(self):
        receipt = self._return_from_clinic(self.lot, 4, 2)
        action = receipt.with_user(self.manager)._validate_accepting_return("Bought through a distributor")
        finish_wizard(self.env(user=self.manager), action)
        backorder = receipt.backorder_ids
        self.assertTrue(backorder)
        self.assertFalse(backorder.medical_override_ids)
        self._set_lines(backorder, (self.lot, 2))
        with self.assertRaisesRegex(UserError, "was never delivered to Clinic"):
            backorder.button_validate()
        self.assertNotEqual(backorder.state, "done")

    def test_the_override_holds_for_its_transfer_only(self):
        receipt = self._return_from_clinic(self.lot, 4, 2)
        receipt.with_user(self.manager)._validate_accepting_return("Bought through a distributor")
        other = self._return_from_clinic(self.lot, 2, 2)
        with self.assertRaisesRegex(UserError, "was never delivered to Clinic"):
            other.button_validate()
        self.assertNotEqual(other.state, "done")
        self.assertEqual(len(self._audit_rows(self.lot, "return_override")), 0)

    def test_accepted_return_validates_after_the_expired_lot_confirmation(self):
        expired = self._create_lot(self.syringe, 5, name="SYR-OVR-OLD", quantity=10)
        self._deliver(self.customer, (expired, 5))
        self._age_lots(expired, 10)
        receipt = self._return_from_clinic(expired, 3, 3)
        with self.assertRaisesRegex(UserError, "was never delivered to Clinic"):
            receipt.button_validate()
        action = receipt.with_user(self.manager)._validate_accepting_return("Recalled by the clinic's buyer")
        self.assertEqual(action["res_model"], "expiry.picking.confirmation")
        self.assertNotEqual(receipt.state, "done")
        finish_wizard(self.env(user=self.manager), action)
        self.assertEqual(receipt.state, "done")
        self.assertEqual(self._quant_quantity(expired, self.quarantine), 3)
        self.assertEqual(
            self._audit_rows(expired, "return_override").reason, "Recalled by the clinic's buyer"
        )

    def test_nobody_writes_an_override_onto_a_transfer_by_rpc(self):
        receipt = self._return_from_clinic(self.lot, 2, 2)
        values = {
            "res_model": "stock.picking",
            "res_id": receipt.id,
            "kind": "customer_return",
            "reason": "Written by the client",
            "user_id": self.manager.id,
            "granted_at": fields.Datetime.now(),
            "company_id": self.company.id,
        }
        for user in (self.stock_user, self.manager):
            with self.assertRaises(AccessError):
                receipt.with_user(user).write({"medical_override_ids": [Command.create(values)]})
            with self.assertRaises(AccessError):
                self.env["medical.override"].with_user(user).create(values)
        receipt.invalidate_recordset()
        self.assertFalse(receipt.medical_override_ids)
        self.assertFalse(self._audit_rows(receipt, "override_grant"))
        with self.assertRaisesRegex(UserError, "was never delivered to Clinic"):
            receipt.with_user(self.manager).button_validate()
        self.assertNotEqual(receipt.state, "done")

    def test_nobody_changes_or_moves_a_granted_override_by_rpc(self):
        receipt = self._return_from_clinic(self.lot, 4, 2)
        receipt.with_user(self.manager)._validate_accepting_return("Bought through a distributor")
        override = receipt.medical_override_ids
        other = self._return_from_clinic(self.lot, 2, 2)
        for user in (self.stock_user, self.manager):
            with self.assertRaises(AccessError):
                override.with_user(user).write({"reason": "Anything", "spent_at": False})
            with self.assertRaises(AccessError):
                other.with_user(user).write({"medical_override_ids": [Command.link(override.id)]})
            with self.assertRaises(AccessError):
                override.with_user(user).unlink()
        override.invalidate_recordset()
        self.assertEqual((override.res_id, override.reason), (receipt.id, "Bought through a distributor"))
        self.assertFalse(other.medical_override_ids)

    def test_a_non_manager_cannot_grant_through_the_method(self):
        receipt = self._return_from_clinic(self.lot, 2, 2)
        with self.assertRaises(AccessError):
            self.env["medical.override"].with_user(self.stock_user)._grant(
                receipt, "customer_return", "Trust me"
            )
        self.assertFalse(receipt.medical_override_ids)
        self.assertFalse(self._audit_rows(receipt, "override_grant"))

    def _granted(self, receipt, reason="Bought through a distributor"):
        return self.env["medical.override"].with_user(self.manager)._grant(receipt, "customer_return", reason)

    def _withdraw(self, override, user, reason):
        wizard = (
            self.env["medical.override.withdraw.wizard"]
            .with_user(user)
            .create({"override_id": override.id, "reason": reason})
        )
        return wizard.action_confirm()

    def test_a_manager_withdraws_a_pending_override_and_the_return_is_refused_again(self):
        receipt = self._return_from_clinic(self.lot, 2, 2)
        override = self._granted(receipt)
        action = override.with_user(self.manager).action_withdraw()
        self.assertEqual(action["res_model"], "medical.override.withdraw.wizard")
        self._withdraw(override, self.manager, "Granted on the wrong transfer")
        self.assertEqual(override.state, "withdrawn")
        self.assertEqual(
            (override.withdrawn_by_id, override.withdraw_reason, override.spent_at),
            (self.manager, "Granted on the wrong transfer", False),
        )
        self.assertTrue(override.withdrawn_at)
        row = self._audit_rows(receipt, "override_withdraw")
        self.assertEqual((row.reason, row.user_id), ("Granted on the wrong transfer", self.manager))
        with self.assertRaisesRegex(UserError, "was never delivered to Clinic"):
            receipt.with_user(self.manager).button_validate()
        self.assertNotEqual(receipt.state, "done")
        self.assertEqual(override.state, "withdrawn", "never spent by a validation it did not serve")

    def test_only_a_manager_withdraws_only_a_pending_override_with_a_reason(self):
        receipt = self._return_from_clinic(self.lot, 2, 2)
        override = self._granted(receipt)
        with self.assertRaises(AccessError):
            override.with_user(self.stock_user).action_withdraw()
        with self.assertRaises(AccessError):
            override.with_user(self.stock_user)._withdraw("Not mine to keep")
        with self.assertRaisesRegex(UserError, "Say why the override is withdrawn"):
            self._withdraw(override, self.manager, "   ")
        override.invalidate_recordset()
        self.assertEqual(override.state, "pending")
        self.assertFalse(override.withdrawn_by_id)
        self.assertFalse(self._audit_rows(receipt, "override_withdraw"))
        receipt.with_user(self.manager).button_validate()
        self.assertEqual(receipt.state, "done")
        self.assertEqual(override.state, "spent")
        with self.assertRaisesRegex(UserError, "This override is Spent: only a pending override"):
            self._withdraw(override, self.manager, "Too late")
        override.invalidate_recordset()
        self.assertEqual(override.state, "spent")
        self.assertFalse(self._audit_rows(receipt, "override_withdraw"))

    def test_an_override_granted_again_shows_the_first_as_replaced_not_spent(self):
        receipt = self._return_from_clinic(self.lot, 2, 2)
        first = self._granted(receipt, "Bought through a distributor")
        second = self._granted(receipt, "Bought through the clinic's wholesaler")
        self.assertEqual((first.state, first.replaced_by_id, first.spent_at), ("replaced", second, False))
        self.assertEqual(second.state, "pending")
        with self.assertRaisesRegex(UserError, "This override is Replaced"):
            self._withdraw(first, self.manager, "Old one")
        receipt.with_user(self.manager).button_validate()
        self.assertEqual(receipt.state, "done")
        self.assertEqual(
            [(override.state, bool(override.spent_at)) for override in (first, second)],
            [("replaced", False), ("spent", True)],
        )

    def _as_before_18_0_1_3_0(self, first, second, granted_at, granted_again_at):
        """Write ``first`` as a grant of ``second`` over it left it before 18.0.1.3.0: spent at the time
        ``second`` was granted, not replaced."""
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE medical_override SET granted_at = %s WHERE id = %s", [granted_at, first.id]
        )
        self.env.cr.execute(
            "UPDATE medical_override SET granted_at = %s WHERE id = %s", [granted_again_at, second.id]
        )
        self.env.cr.execute(
            """UPDATE medical_override SET replaced_by_id = NULL, spent_at = %s, state = 'spent'
                WHERE id = %s""",
            [granted_again_at, first.id],
        )
        self.env.invalidate_all()
        self.assertEqual((first.state, first.replaced_by_id), ("spent", self.env["medical.override"]))

    def test_upgrade_shows_an_override_granted_again_before_it_as_replaced(self):
        receipt = self._return_from_clinic(self.lot, 2, 2)
        first = self._granted(receipt, "Bought through a distributor")
        second = self._granted(receipt, "Bought through the clinic's wholesaler")
        self._as_before_18_0_1_3_0(first, second, "2026-03-02 01:00:00", "2026-03-02 02:30:00")
        audit = self.env["medical.audit.log"].search_read([("res_id", "=", receipt.id)], order="id")
        run_migration(self.env.cr, "18.0.1.3.0", "post-override_replaced.py", "18.0.1.2.0")
        self.env.invalidate_all()
        self.assertEqual((first.state, first.replaced_by_id, first.spent_at), ("replaced", second, False))
        self.assertEqual(second.state, "pending")
        self.assertEqual(
            self.env["medical.audit.log"].search_read([("res_id", "=", receipt.id)], order="id"), audit
        )
        receipt.with_user(self.manager).button_validate()
        self.assertEqual((first.state, second.state), ("replaced", "spent"))

    def test_upgrade_leaves_an_override_spent_by_its_document_spent(self):
        spent_receipt = self._return_from_clinic(self.lot, 2, 2)
        spent = self._granted(spent_receipt)
        spent_receipt.with_user(self.manager).button_validate()
        self.assertEqual(spent.state, "spent")
        # Granted on another transfer the very second this one was spent: it replaced nothing here.
        other_receipt = self._return_from_clinic(self.lot, 2, 2)
        other = self._granted(other_receipt)
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE medical_override SET granted_at = %s WHERE id = %s", [spent.spent_at, other.id]
        )
        run_migration(self.env.cr, "18.0.1.3.0", "post-override_replaced.py", "18.0.1.2.0")
        self.env.invalidate_all()
        self.assertEqual((spent.state, spent.replaced_by_id), ("spent", self.env["medical.override"]))
        self.assertTrue(spent.spent_at)
        self.assertEqual(other.state, "pending")

    def test_nobody_withdraws_or_restores_an_override_by_rpc(self):
        receipt = self._return_from_clinic(self.lot, 2, 2)
        override = self._granted(receipt)
        other = self._granted(self._return_from_clinic(self.lot, 2, 2))
        forged = {
            "state": "withdrawn",
            "withdrawn_by_id": self.manager.id,
            "withdrawn_at": fields.Datetime.now(),
            "withdraw_reason": "Written by the client",
            "replaced_by_id": other.id,
        }
        for user in (self.stock_user, self.manager):
            for name, value in forged.items():
                with self.assertRaises(AccessError):
                    override.with_user(user).write({name: value})
        self._withdraw(other, self.manager, "Granted on the wrong transfer")
        for user in (self.stock_user, self.manager):
            with self.assertRaises(AccessError):
                other.with_user(user).write({"state": "pending", "withdrawn_at": False})
        (override | other).invalidate_recordset()
        self.assertEqual(
            (override.state, override.withdrawn_at, override.withdraw_reason, override.replaced_by_id.id),
            ("pending", False, False, False),
        )
        self.assertEqual(other.state, "withdrawn")
        self.assertFalse(self._audit_rows(receipt, "override_withdraw"))


@tagged("post_install", "-at_install")
class TestQualificationOverrideAcrossWizards(QualificationCase):
    """A manager's override of a lapsed qualification on a delivery survives Odoo's backorder wizard."""

    def test_overridden_delivery_validates_after_the_backorder_wizard(self):
        self.company.qualification_policy = "block"
        self._qualify(self.hospital, "practice_licence", -1)
        lot = self._create_lot(self.syringe, 300, quantity=5)
        delivery = self._create_picking(self.syringe, 5, partner=self.hospital)
        self._set_lines(delivery, (lot, 3))
        action = delivery.with_user(self.manager)._run_overriding_qualifications("Stock already at the ward")
        self.assertEqual(action["res_model"], "stock.backorder.confirmation")
        finish_wizard(self.env(user=self.manager), action)
        self.assertEqual(delivery.state, "done")
        row = self._audit_rows(delivery, "guard_override")
        self.assertEqual((row.reason, row.user_id), ("Stock already at the ward", self.manager))
        backorder = delivery.backorder_ids
        self.assertTrue(backorder)
        self._set_lines(backorder, (lot, 2))
        with self.assertRaisesRegex(UserError, "a qualification is missing or has lapsed"):
            backorder.button_validate()
        self.assertNotEqual(backorder.state, "done")
