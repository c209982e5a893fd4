from odoo import models


class SaleOrder(models.Model):
    _name = "sale.order"
    _inherit = ["sale.order", "medical.qualification.guarded.mixin"]
    _qualification_guarded_action = "action_confirm"

    def _qualification_problems(self):
        """Medical devices are sold to a customer holding the valid documents its kind needs."""
        return self.env["medical.qualification"]._partner_problems(
            self.partner_id, self.order_line.product_id
        )

    def action_confirm(self):
        problems = self._check_qualifications()
        res = super().action_confirm()
        self._log_qualification_passes(problems)
        return res
