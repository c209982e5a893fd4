from odoo import models


class PurchaseOrder(models.Model):
    _name = "purchase.order"
    _inherit = ["purchase.order", "medical.qualification.guarded.mixin"]
    _qualification_guarded_action = "button_confirm"

    def _qualification_problems(self):
        """Medical devices are bought from a supplier whose licences are valid and cover their class."""
        return self.env["medical.qualification"]._partner_problems(
            self.partner_id, self.order_line.product_id, check_scope=True
        )

    def button_confirm(self):
        to_confirm = self.filtered(lambda order: order.state in ("draft", "sent"))
        to_confirm._check_qualifications()
        res = super().button_confirm()
        to_confirm._log_qualification_passes()
        return res
