from odoo import api, models


class MedicalExpiryDemo(models.AbstractModel):
    """出库复核 in the demo: required by the company, one delivery picked and its check half done."""

    _inherit = "medical.expiry.demo"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _demo_outbound_check(self, demo):
        """李强 picked a delivery of infusion sets to 苏大附一院, two lots (FEFO takes the rest of the first);
        王芳 double-checked the first lot, the second is still to check."""
        demo["company"].outbound_double_check_required = True
        delivery = self._demo_sale(demo, "suda", "suzhou", "infusion", 1000)
        delivery.move_ids.with_user(demo["users"]["warehouse"]).picked = True
        check = self.env["medical.outbound.check"].with_user(demo["users"]["quality"])._start(delivery)
        check.line_ids.sorted("id")[:1].action_confirm()
        demo["outbound_check"] = check
        return check
