import json

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL


class StockPicking(models.Model):
    _inherit = "stock.picking"

    expiry_warning = fields.Boolean(
        string="Near-Expiry Warning",
        compute="_compute_expiry_warning",
        help="At least one lot of this transfer is in a near-expiry level whose outbound policy is Warn.",
    )
    recall_id = fields.Many2one(
        "medical.recall",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The recall that made this transfer: quarantine, return from a customer or to the supplier.",
    )

    @api.depends("move_line_ids.expiry_warning")
    def _compute_expiry_warning(self):
        for picking in self:
            picking.expiry_warning = any(picking.move_line_ids.mapped("expiry_warning"))

    def _pre_action_done_hook(self):
        # A hard refusal comes before any wizard (backorder, product_expiry's expired-lot confirmation);
        # the signature for a release from quarantine comes after them, right before the transfer is done.
        self.move_line_ids._check_expiry_guards()
        self.move_line_ids._check_customer_returns()
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
        self.env["medical.recall"]._refresh_progress_of_lots(lines.lot_id)
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

    # ------------------------------------------------------------------
    # Customer returns above what was delivered
    # ------------------------------------------------------------------
    def action_accept_return(self):
        """Managers accept a refused customer return, giving a reason (logged)."""
        self._check_return_override_allowed()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Accept Return"),
            "res_model": "medical.return.override.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_picking_id": self.id},
        }

    def _check_return_override_allowed(self):
        if not self.env.su and not self.env.user.has_group("medical_expiry.group_expiry_manager"):
            raise AccessError(self.env._("Only expiry managers can accept a refused customer return."))

    def _validate_accepting_return(self, reason):
        """Validate, letting through returns above what the customer received; the override is logged."""
        self._check_return_override_allowed()
        if not (reason or "").strip():
            raise UserError(self.env._("Say why this return is accepted."))
        return self.with_context(medical_return_override_reason=reason).button_validate()
