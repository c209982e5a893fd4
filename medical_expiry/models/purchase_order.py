from odoo import models


class PurchaseOrder(models.Model):
    _name = "purchase.order"
    _inherit = ["purchase.order", "medical.qualification.guarded.mixin"]
    _qualification_guarded_action = "button_confirm"

    def _qualification_problems(self):
        """Medical devices are bought from a supplier whose licences are valid and cover their class, and
        that quality approved for first business, as it approved each device."""
        products = self.order_line.product_id
        return self.env["medical.qualification"]._partner_problems(
            self.partner_id, products, supplier=True
        ) + self.env["medical.first.business.approval"]._purchase_problems(
            self.partner_id, products, self.company_id
        )

    def button_confirm(self):
        problems = self.filtered(lambda order: order.state in ("draft", "sent"))._check_qualifications()
        res = super().button_confirm()
        self._log_qualification_passes(problems)
        return res
