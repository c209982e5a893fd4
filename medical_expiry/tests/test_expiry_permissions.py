from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import MedicalExpiryCase


@tagged("post_install", "-at_install")
class TestExpiryPermissions(MedicalExpiryCase):
    """One helper decides who may run the module's controlled actions: ``res.users._check_expiry_*``."""

    def test_a_user_outside_the_group_gets_an_access_error_naming_action_and_group(self):
        Users = self.env["res.users"].with_user(self.stock_user)
        with self.assertRaises(AccessError) as error:
            Users._check_expiry_manager("Block or Unblock Lots")
        self.assertIn("“Block or Unblock Lots”", str(error.exception))
        self.assertIn(self.env.ref("medical_expiry.group_expiry_manager").full_name, str(error.exception))
        with self.assertRaises(AccessError) as error:
            self.env["res.users"].with_user(self.manager)._check_expiry_compliance("Revoke a Qualification")
        self.assertIn(self.env.ref("medical_expiry.group_expiry_compliance").full_name, str(error.exception))

    def test_members_and_the_superuser_pass(self):
        self.env["res.users"].with_user(self.manager)._check_expiry_manager("Block or Unblock Lots")
        self.env["res.users"].with_user(self.compliance_officer)._check_expiry_compliance("Revoke")
        # Code running as superuser (data files, system jobs) is never refused.
        self.env["res.users"].with_user(self.stock_user).sudo()._check_expiry_manager("Block or Unblock Lots")
        self.env["res.users"].with_user(self.stock_user).sudo()._check_expiry_compliance("Revoke")

    def test_the_controlled_actions_refuse_an_rpc_caller_outside_the_group(self):
        lot = self._create_lot(self.syringe, 200, name="SYR-PERM")
        as_stock_user = lot.with_user(self.stock_user)
        Log = self.env["medical.audit.log"].with_user(self.stock_user)
        for name, call in (
            ("open the block window", as_stock_user.action_block),
            ("block", lambda: as_stock_user._block("quality", "Dented")),
            ("ask to unblock", as_stock_user.action_unblock),
            ("run the alert job", as_stock_user.action_run_expiry_alerts),
            ("verify the audit chain", Log.action_verify_chain),
        ):
            with self.subTest(action=name), self.assertRaises(AccessError):
                call()
        self.assertFalse(lot.is_blocked)
        self.assertFalse(self._audit_rows(lot, "lot_block"))
