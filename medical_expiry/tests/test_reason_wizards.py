from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .qualification_common import QualificationCase


@tagged("post_install", "-at_install")
class TestReasonWizards(QualificationCase):
    """A reason wizard asks why and runs its one model method with the reason: the method decides.

    The return override and qualification override wizards are tested with their guards
    (test_customer_returns, test_qualification_guards); the revocation wizard here."""

    def setUp(self):
        super().setUp()
        self.licence = self._qualify(self.hospital, "practice_licence", 500)

    def _revoke_wizard(self, user, reason):
        action = self.licence.with_user(user).action_revoke()
        return (
            self.env[action["res_model"]]
            .with_user(user)
            .with_context(**action["context"])
            .create({"reason": reason})
        )

    def test_revoke_wizard_revokes_with_the_reason_given(self):
        self._revoke_wizard(self.compliance_officer, "Withdrawn by the health commission").action_confirm()
        self.assertEqual(self.licence.state, "revoked")
        row = self._audit_rows(self.licence, "qualification_revoke")
        self.assertEqual(
            (row.reason, row.user_id), ("Withdrawn by the health commission", self.compliance_officer)
        )

    def test_a_blank_reason_is_refused_by_the_method_and_nothing_changes(self):
        wizard = self._revoke_wizard(self.compliance_officer, "   ")
        with self.assertRaisesRegex(UserError, "Say why"):
            wizard.action_confirm()
        self.assertEqual(self.licence.state, "valid")
        self.assertFalse(self._audit_rows(self.licence, "qualification_revoke"))

    def test_who_may_not_revoke_cannot_through_the_wizard(self):
        with self.assertRaises(AccessError):
            self._revoke_wizard(self.manager, "Because").action_confirm()
        self.assertEqual(self.licence.state, "valid")
        self.assertFalse(self._audit_rows(self.licence, "qualification_revoke"))
