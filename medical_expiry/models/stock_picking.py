import json

from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import SQL


class StockPicking(models.Model):
    _inherit = "stock.picking"

    expiry_warning = fields.Boolean(
        string="Near-Expiry Warning",
        compute="_compute_expiry_warning",
        help="At least one lot of this transfer is in a near-expiry level whose outbound policy is Warn.",
    )

    @api.depends("move_line_ids.expiry_warning")
    def _compute_expiry_warning(self):
        for picking in self:
            picking.expiry_warning = any(picking.move_line_ids.mapped("expiry_warning"))

    def _pre_action_done_hook(self):
        # A hard refusal comes before any wizard (backorder, product_expiry's expired-lot confirmation);
        # the signature for a release from quarantine comes after them, right before the transfer is done.
        self.move_line_ids._check_expiry_guards()
        res = super()._pre_action_done_hook()
        if res is not True:
            return res
        releasing = self.move_line_ids._quarantine_releases().picking_id
        Signature = self.env["medical.signature"]
        if (
            releasing
            and not self.env.su
            and not Signature._signature_in_context(releasing, "quarantine_release")
        ):
            return Signature._action_request_signature(releasing, "quarantine_release", **self.env.context)
        return res

    def _run_signed_action(self, signed_action):
        return {"quarantine_release": self.button_validate}[signed_action]()

    def _action_done(self):
        short_lines = self.move_line_ids._short_shelf_life_receipts()
        res = super()._action_done()
        # Lots received are only created by the move; the facts are read once everything is done.
        lines = self.move_line_ids.filtered(lambda ml: ml.quantity > 0)
        movements = lines._audit_movements()
        for lot, reason in lines._expiry_guard_overrides().items():
            self.env["medical.audit.log"]._log(
                lot, "guard_override", new_values={lot.id: movements.get(lot.id)}, reason=reason
            )
        for picking in short_lines.picking_id:
            messages = [
                line._short_shelf_life_message() for line in short_lines if line.picking_id == picking
            ]
            picking.message_post(
                body=Markup("<br/>").join(messages),
                subject=self.env._("Short shelf life at receipt"),
            )
        return res

    def _medical_signatures(self):
        """The electronic signatures of this transfer and of its lots, oldest first, for its voucher."""
        self.ensure_one()
        Signature = self.env["medical.signature"]
        Signature.flush_model(["res_model", "res_ids"])
        self.env.cr.execute(
            SQL(
                """
                SELECT id FROM medical_signature
                 WHERE (res_model = 'stock.picking' AND res_ids @> %s::jsonb)
                    OR (res_model = 'stock.lot' AND res_ids @> ANY(%s::jsonb[]))
              ORDER BY signed_at, id
                """,
                json.dumps(self.ids),
                [json.dumps([lot_id]) for lot_id in self.move_line_ids.lot_id.ids],
            )
        )
        return Signature.browse([signature_id for (signature_id,) in self.env.cr.fetchall()])
