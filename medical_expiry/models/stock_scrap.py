from odoo import api, fields, models
from odoo.exceptions import UserError

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

    nonconforming_id = fields.Many2one(
        "medical.nonconforming",
        string="Non-Conforming Goods",
        readonly=True,
        index="btree_not_null",
        help="The destruction of non-conforming goods this scrap carries out, signed and witnessed there.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su and any(vals.get("nonconforming_id") for vals in vals_list):
            raise UserError(
                self.env._("Non-conforming goods are destroyed through their own Destroy action.")
            )
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su and "nonconforming_id" in vals:
            raise UserError(
                self.env._("Non-conforming goods are destroyed through their own Destroy action.")
            )
        return super().write(vals)

    def _expired_scraps(self):
        """Expired stock scrapped by hand; a destruction of non-conforming goods is signed there."""
        return self.filtered(lambda scrap: scrap.lot_id.product_expiry_alert and not scrap.nonconforming_id)

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
