from odoo import fields, models

from .medical_override import QUALIFICATION_OVERRIDE


class MedicalQualificationGuardedMixin(models.AbstractModel):
    """A document the qualification guard may stop: sale and purchase orders, transfers.

    A model names the method the guard stops (``_qualification_guarded_action``) and says what is wrong
    with each document (``_qualification_problems``). A manager overrides a refusal by running that
    method again with a reason, which the audit log keeps; the override is stored on the document
    (``medical.override``) until the action is done.
    """

    _name = "medical.qualification.guarded.mixin"
    _description = "Qualification-Guarded Document"
    _qualification_guarded_action = None

    medical_override_ids = fields.One2many(
        "medical.override",
        "res_id",
        string="Manager Overrides",
        readonly=True,
        copy=False,
        help="The refusals an expiry manager overrode on this document, with the reason; an override is "
        "spent when the document's action is done (a backorder does not inherit it), replaced when granted "
        "again, or withdrawn by a manager.",
    )
    qualification_alert = fields.Text(
        string="Qualification Problems",
        compute="_compute_qualification_alert",
        help="The lapsed or missing qualifications that stop this document, shown before it is confirmed.",
    )

    def _compute_qualification_alert(self):
        for document in self:
            document.qualification_alert = "\n".join(dict.fromkeys(document._qualification_problems()))

    def _qualification_problems(self):
        """Messages naming each lapsed or missing qualification; empty when the document may go on."""
        raise NotImplementedError

    def _check_qualifications(self):
        """Refuse what the company's policy refuses; {document: problems} of the documents let through,
        for ``_log_qualification_passes`` once their action is done."""
        problems = {document: document._qualification_problems() for document in self}
        for document, document_problems in problems.items():
            self.env["medical.qualification"]._check_guard(document, document_problems)
        return problems

    def _log_qualification_passes(self, problems):
        """The guarded action of the documents in ``problems`` is done: log what went past the guard, and
        spend the overrides the documents were granted."""
        for document, document_problems in problems.items():
            self.env["medical.qualification"]._log_guard_pass(document, document_problems)
        self.env["medical.override"]._spend(self.browse([document.id for document in problems]))

    def action_override_qualifications(self):
        self.ensure_one()
        self.env["medical.override"]._check_may_grant(QUALIFICATION_OVERRIDE)
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Override Qualification Check"),
            "res_model": "medical.qualification.override.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_res_model": self._name, "default_res_id": self.id},
        }

    def _run_overriding_qualifications(self, reason):
        """Run the guarded action past the qualification check, for the reason a manager gives."""
        self.ensure_one()
        self.env["medical.override"]._grant(self, QUALIFICATION_OVERRIDE, reason)
        return getattr(self, self._qualification_guarded_action)()
