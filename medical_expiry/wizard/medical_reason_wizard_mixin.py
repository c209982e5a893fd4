from odoo import fields, models


class MedicalReasonWizardMixin(models.AbstractModel):
    """What every reason wizard does: ask why, then run its one model method with the reason.

    The method decides (who may, whether the reason says anything) and logs; a wizard only states which
    method of which record, in ``_run_with_reason``.
    """

    _name = "medical.reason.wizard.mixin"
    _description = "Reason Wizard"

    reason = fields.Text(required=True)

    def _run_with_reason(self, reason):
        """Run the wizard's model method with ``reason``; what it returns is the button's action."""
        raise NotImplementedError

    def action_confirm(self):
        self.ensure_one()
        return self._run_with_reason(self.reason)
