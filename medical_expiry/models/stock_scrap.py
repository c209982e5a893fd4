from odoo import models

from .medical_signed_mixin import SignedAction


class StockScrap(models.Model):
    _name = "stock.scrap"
    _inherit = ["stock.scrap", "medical.signed.mixin"]

    def _signed_actions(self):
        return {
            "scrap_expired": SignedAction(
                self.env._("Scrap Expired Stock"),
                self.env._("Expired Stock Scrapped"),
                "action_validate",
                "medical_expiry.group_expiry_manager",
            ),
        }

    def _expired_scraps(self):
        return self.filtered(lambda scrap: scrap.lot_id.product_expiry_alert)

    def action_validate(self):
        request = self._expired_scraps()._request_signature_unless_signed("scrap_expired")
        return request or super().action_validate()

    def do_scrap(self):
        """Scrapping expired stock destroys regulated goods: a person signs it and it is logged."""
        expired = self._expired_scraps()
        signature = expired._spend_signature("scrap_expired") if expired else self.env["medical.signature"]
        res = super().do_scrap()
        expired._log_signed_action(
            "scrap_expired",
            signature,
            new_values={
                scrap.lot_id.id: {
                    "scrap": scrap.name,
                    "quantity": scrap.scrap_qty,
                    "location": scrap.location_id.display_name,
                }
                for scrap in expired
            },
            records=expired.lot_id,
        )
        return res
