from odoo import api, fields, models

from .medical_first_business_approval import APPROVAL_STATES


class MedicalFirstBusinessHolderMixin(models.AbstractModel):
    """A supplier or a device that quality approves before the first purchase (首营审核)."""

    _name = "medical.first.business.holder.mixin"
    _description = "First-Business Approval Holder"

    first_business_state = fields.Selection(
        APPROVAL_STATES,
        string="First-Business Approval",
        compute="_compute_first_business_state",
        help="首营审核 in the current company: quality's signed approval, needed before the first purchase "
        "of medical devices. Not requested yet reads as Draft.",
    )

    @api.depends_context("company")
    def _compute_first_business_state(self):
        Approval = self.env["medical.first.business.approval"].sudo()
        field = "partner_id" if self._name == "res.partner" else "product_tmpl_id"
        holders = self._first_business_holders()
        states = {
            approval[field].id: approval.state
            for approval in Approval.search(
                [(field, "in", holders.ids), ("company_id", "=", self.env.company.id)]
            )
        }
        for record, holder in zip(self, holders, strict=True):
            record.first_business_state = states.get(holder.id, "draft")

    def _first_business_holders(self):
        """The record each of these is approved as: itself (a partner: its commercial partner)."""
        return self

    def action_open_first_business_approval(self):
        self.ensure_one()
        approval = self.env["medical.first.business.approval"]._approval_of(self, self.env.company)
        return {
            "type": "ir.actions.act_window",
            "res_model": approval._name,
            "res_id": approval.id,
            "view_mode": "form",
        }
