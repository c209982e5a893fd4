from odoo import models


class StockScrap(models.Model):
    _inherit = "stock.scrap"

    def _expired_scraps(self):
        return self.filtered(lambda scrap: scrap.lot_id.product_expiry_alert)

    def action_validate(self):
        request = self.env["medical.signature"]._request_signature_unless_signed(
            self._expired_scraps(), "scrap_expired"
        )
        return request or super().action_validate()

    def do_scrap(self):
        """Scrapping expired stock destroys regulated goods: a person signs it and it is logged."""
        expired = self._expired_scraps()
        signature = self.env["medical.signature"]._check_signed(expired, "scrap_expired") if expired else None
        res = super().do_scrap()
        self.env["medical.audit.log"]._log(
            expired.lot_id,
            "scrap_expired",
            new_values={
                scrap.lot_id.id: {
                    "scrap": scrap.name,
                    "quantity": scrap.scrap_qty,
                    "location": scrap.location_id.display_name,
                }
                for scrap in expired
            },
            reason=self.env.context.get("medical_audit_reason"),
            signature=signature,
        )
        return res

    def _run_signed_action(self, signed_action):
        return {"scrap_expired": self.action_validate}[signed_action]()
