from odoo import fields, models


class MedicalNonconformingReportWizard(models.TransientModel):
    """Report a lot's stock in a location as non-conforming goods (不合格品): the register moves it to the
    red zone."""

    _name = "medical.nonconforming.report.wizard"
    _description = "Report Non-Conforming Goods"

    reason = fields.Selection(
        selection=lambda self: self.env["medical.nonconforming"]._fields["reason"].selection, required=True
    )
    lot_id = fields.Many2one("stock.lot", string="Lot/Serial Number", required=True)
    product_id = fields.Many2one(related="lot_id.product_id")
    location_id = fields.Many2one(
        "stock.location", string="Found In", required=True, domain=[("usage", "=", "internal")]
    )
    quantity = fields.Float(
        digits="Product Unit of Measure", help="Leave empty for all the free stock of the lot there."
    )
    note = fields.Text()

    def action_report(self):
        self.ensure_one()
        entries = self.env["medical.nonconforming"]._report_goods(
            [
                {
                    "reason": self.reason,
                    "lot_id": self.lot_id.id,
                    "location_id": self.location_id.id,
                    "quantity": self.quantity,
                    "note": self.note,
                }
            ]
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": "medical.nonconforming",
            "res_id": entries.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
        }


class MedicalNonconformingApproveWizard(models.TransientModel):
    """Sign the disposition of non-conforming goods: destroyed, or returned to their supplier."""

    _name = "medical.nonconforming.approve.wizard"
    _inherit = "medical.signature.wizard"
    _description = "Approve Non-Conforming Goods Disposition"

    disposition = fields.Selection(
        selection=lambda self: self.env["medical.nonconforming"]._fields["disposition"].selection,
        required=True,
        default="destroy",
    )
    supplier_id = fields.Many2one("res.partner")

    def _signed_action_inputs(self):
        return {"disposition": self.disposition, "supplier": self.supplier_id}

    def _signed_values(self):
        return self.env["medical.nonconforming"]._approval_values(self.disposition, self.supplier_id)


class MedicalNonconformingDestroyWizard(models.TransientModel):
    """Sign the destruction of non-conforming goods, before the witnesses named."""

    _name = "medical.nonconforming.destroy.wizard"
    _inherit = "medical.signature.wizard"
    _description = "Destroy Non-Conforming Goods"

    witness_ids = fields.Many2many("res.users", string="Witnesses", required=True)

    def _signed_action_inputs(self):
        return {"witnesses": self.witness_ids}

    def _signed_values(self):
        return self.env["medical.nonconforming"]._destruction_values(self.witness_ids - self.env.user)
