from collections import defaultdict
from contextlib import contextmanager

from markupsafe import Markup

from odoo import models

# Cursor cache key of the validation pass in progress (a ValidationPass): kept out of any caller's reach,
# no context key or value can say that lines were checked.
VALIDATION_PASS_KEY = "medical_expiry.validation_pass"


class ValidationPass:
    """One validation: the lines and transfers it checked, and what its checks let through, logged once the
    lines are done."""

    def __init__(self):
        self.checked_line_ids = set()
        self.checked_picking_ids = set()
        # [(line, chatter subject or None, message)]: what the expiry guards let through with a warning.
        self.expiry_warnings = []
        # The customer returns above what was delivered that a manager accepted (``_customer_return_excess``).
        self.return_overrides = []
        # {picking: problems}: the transfers the qualification guard let through (policy warn, or overridden).
        self.qualification_problems = {}


# The pipeline in a file of its own, beside the checks it runs (stock_move_line.py).
class StockMoveLine(models.Model):
    _inherit = "stock.move.line"  # pylint: disable=consider-merging-classes-inherited

    def _check_before_done(self, pickings=None):
        """The validation pipeline: every check a move line passes before it is done, once per validation.

        1. ``_check_expiry_guards``: what may not leave (``stock.lot._outbound_refusal_domains``: expired,
           blocked, a level that blocks, below the customer's minimum shelf life) and what may not come in
           (no expiration date, too short a shelf life at receipt).
        2. ``_check_customer_returns``: no customer returns more than it holds, unless a manager accepts.
        3. ``stock.picking._check_qualifications`` of ``pickings``, the transfers being validated: the
           partner's licences and the devices' registrations (a move done on its own, a scrap from a
           transfer say, does not validate its transfer).
        4. ``medical.outbound.check._check_lines_double_checked``: 出库复核, device lines of a delivery
           confirmed by someone other than their picker, where the company requires it.

        Where it runs:

        - ``stock.picking.button_validate`` opens a validation pass (``_validation_pass``) and its
          ``_pre_action_done_hook`` runs the checks first: a refusal comes before Odoo's backorder wizard
          and product_expiry's expired-lot confirmation, and before the signature a release from
          quarantine asks for.
        - ``stock.picking._action_done`` runs them for transfers done from code, and the lines'
          ``_action_done``, which every way of doing a line ends in (transfers, scraps, inventory, code),
          for lines done on their own (``move._action_done()``, ``move_line._action_done()``); each only
          for what the pass has not checked yet. The lines' ``_action_done`` also sends returns of lots
          that may not leave to quarantine (before the checks), and checks the signature of a release from
          quarantine (``_check_quarantine_release_signed``, after them).
        - When the pass closes, the lines are done: ``_log_validation_pass`` logs what the checks let
          through. ``stock.move._action_done`` then marks FEFO deviations and expiry-driven outbounds.
        """
        with self._validation_pass() as validation:
            lines = self.filtered(lambda line: line.id not in validation.checked_line_ids)
            pickings = (pickings or self.env["stock.picking"]).filtered(
                lambda picking: picking.id not in validation.checked_picking_ids
            )
            expiry_warnings = lines._check_expiry_guards() if lines else []
            return_overrides = lines._check_customer_returns() if lines else []
            qualification_problems = pickings._check_qualifications() if pickings else {}
            self.env["medical.outbound.check"]._check_lines_double_checked(lines)
            validation.checked_line_ids.update(lines.ids)
            validation.checked_picking_ids.update(pickings.ids)
            validation.expiry_warnings += expiry_warnings
            validation.return_overrides += return_overrides
            validation.qualification_problems.update(qualification_problems)

    @contextmanager
    def _validation_pass(self):
        """Yield the validation pass in progress, or open one, logged when its opener is done."""
        cache = self.env.cr.cache
        if cache.get(VALIDATION_PASS_KEY):
            yield cache[VALIDATION_PASS_KEY]
            return
        validation = cache[VALIDATION_PASS_KEY] = ValidationPass()
        try:
            yield validation
        finally:
            del cache[VALIDATION_PASS_KEY]
        self._log_validation_pass(validation)

    def _action_done(self):
        with self._validation_pass():
            self._redirect_returns_to_quarantine()
            self._check_before_done()
            releases = self._quarantine_releases()
            signature = releases._check_quarantine_release_signed()
            release_values = releases._audit_movements()
            res = super()._action_done()
            releases.picking_id._log_signed_action(
                "quarantine_release", signature, new_values=release_values, records=releases.lot_id
            )
        return res

    def _log_validation_pass(self, validation):
        """Log what the checks of a validation let through, for the lines that are done by now."""
        done = self.browse(validation.checked_line_ids).exists().filtered(lambda line: line.state == "done")
        if done:
            done._log_return_overrides(validation.return_overrides)
        self.env["stock.picking"]._log_qualification_passes(
            {
                picking: problems
                for picking, problems in validation.qualification_problems.items()
                if picking.state == "done"
            }
        )
        warnings = [warning for warning in validation.expiry_warnings if warning[0] in done]
        overrides = defaultdict(list)
        messages = defaultdict(list)
        for line, subject, message in warnings:
            overrides[line.lot_id].append(message)
            if subject and line.picking_id:
                messages[line.picking_id, subject].append(message)
        # Lots received are only created as their lines are done: the warnings are logged on them now.
        movements = done._audit_movements()
        for lot, lot_messages in overrides.items():
            if lot:
                self.env["medical.audit.log"]._log(
                    lot,
                    "guard_override",
                    new_values={lot.id: movements.get(lot.id)},
                    reason="\n".join(dict.fromkeys(lot_messages)),
                )
        for (picking, subject), picking_messages in messages.items():
            picking.message_post(body=Markup("<br/>").join(dict.fromkeys(picking_messages)), subject=subject)
