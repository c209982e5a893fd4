from typing import NamedTuple

from odoo import models

from .context_keys import AUDIT_REASON


class SignedAction(NamedTuple):
    """A critical action, as a model declares it under its code in ``_signed_actions()``."""

    label: str  # what the signer signs, e.g. “Unblock Lot”, in the user's language
    logged_as: str  # the action of its audit rows, e.g. “Lot Unblocked”, in the user's language
    method: str  # the model's method doing it, run on the signed records with the window's inputs
    group: str  # XML id of the group whose members may sign it (comma-separated: members of any of them)
    wizard: str = "medical.signature.wizard"  # the window collecting the signature (and the inputs)


class MedicalSignedMixin(models.AbstractModel):
    """A model whose critical actions are electronically signed (21 CFR Part 11 §11.50, §11.200).

    The model declares each signed action once, in ``_signed_actions()`` ({code: ``SignedAction``}). From
    that declaration alone the signature window offers the action and runs its method,
    ``medical.signature`` knows who may sign it, and the audit log names it. The declared method spends
    the signature (``_spend_signature``: refused unless the current user signed this very action on these
    records in this transaction) and logs what it did (``_log_signed_action``).
    """

    _name = "medical.signed.mixin"
    _description = "Electronically Signed Actions"

    def _signed_actions(self):
        """{code: ``SignedAction``}: the signed actions of this model, labels in the user's language."""
        return {}

    def _action_request_signature(self, signed_action, **context):
        """The window asking the current user to sign ``signed_action`` on these records."""
        return self.env["medical.signature"]._action_request_signature(self, signed_action, **context)

    def _request_signature_unless_signed(self, signed_action, **context):
        """The signature window if these records still need a signature for ``signed_action``, else None."""
        return self.env["medical.signature"]._request_signature_unless_signed(self, signed_action, **context)

    def _run_signed_action(self, signed_action, **inputs):
        """Run the method declared for ``signed_action``: the signature window calls it once signed."""
        return getattr(self, self._signed_actions()[signed_action].method)(**inputs)

    def _spend_signature(self, signed_action, values=None):
        """Spend, and return, the signature authorising ``signed_action`` (with ``values``, for an action
        whose inputs are signed) on these records; raise a UserError without one."""
        return self.env["medical.signature"]._check_signed(self, signed_action, values)

    def _log_signed_action(
        self, signed_action, signature, old_values=None, new_values=None, records=None, unsigned_reason=None
    ):
        """Log ``signed_action`` on ``records`` (default: these records) with its signature, for the
        reason the signer gave. Superuser code signs nothing: its reason is ``unsigned_reason``, else the
        text it put in the context (``context_keys.AUDIT_REASON``), if any."""
        return self.env["medical.audit.log"]._log(
            self if records is None else records,
            signed_action,
            old_values=old_values,
            new_values=new_values,
            reason=signature.reason or unsigned_reason or self.env.context.get(AUDIT_REASON),
            signature=signature,
        )
