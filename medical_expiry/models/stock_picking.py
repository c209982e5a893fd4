import json

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .medical_override import RETURN_OVERRIDE
from .medical_signed_mixin import SignedAction


class StockPicking(models.Model):
    _name = "stock.picking"
    _inherit = [
        "stock.picking",
        "medical.qualification.guarded.mixin",
        "medical.signed.mixin",
        "medical.retention.mixin",
    ]
    _qualification_guarded_action = "button_validate"

    def _signed_actions(self):
        return {
            "quarantine_release": SignedAction(
                self.env._("Release from Quarantine"),
                self.env._("Release from Quarantine"),
                "button_validate",
                "medical_expiry.group_expiry_compliance",
            ),
        }

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

    udi_code = fields.Char(
        string="Scan UDI",
        copy=False,
        help="Scan or paste the UDI of a device received: GS1 (GS1-128 or DataMatrix content, or the printed "
        "text with its AIs in parentheses), MA (IDcode, MA.156.M0.…) or AHM (Alibaba Health, MF…). Product, "
        "lot or serial number, dates and quantity are filled in the detailed operations.",
    )

    @api.depends("move_line_ids.expiry_warning")
    def _compute_expiry_warning(self):
        for picking in self:
            picking.expiry_warning = any(picking.move_line_ids.mapped("expiry_warning"))

    def action_apply_udi(self):
        self.ensure_one()
        self._apply_udi_code(self.udi_code)
        self.udi_code = False

    def _apply_udi_code(self, code):
        """Fill this receipt's detailed operations from a scanned UDI; returns the move line written.

        The code's UDI-DI (the product's ``barcode``) picks the move. A code that cannot be read, or that
        contradicts the receipt or a lot already known, raises a UserError before anything is written.
        """
        self.ensure_one()
        if self.picking_type_code != "incoming" or self.state in ("draft", "done", "cancel"):
            raise UserError(self.env._("%s is not a receipt waiting to be received: scan on one.", self.name))
        udi = self.env["medical.udi.parser"]._parse_udi(code)
        return self._udi_move(udi["di"])._apply_udi(udi)

    def _udi_move(self, di):
        """The move of this receipt for the product a UDI-DI names, one still short of its demand first."""
        product = self.env["product.product"]._products_by_udi_di([di]).get(di)
        if not product:
            raise UserError(
                self.env._(
                    "No product has UDI-DI %s: set it as the barcode of the product it identifies.", di
                )
            )
        moves = self.move_ids.filtered(
            lambda move: move.product_id == product and move.state not in ("done", "cancel")
        )
        if not moves:
            raise UserError(
                self.env._(
                    "UDI-DI %(di)s is %(product)s, which receipt %(receipt)s does not bring.",
                    di=di,
                    product=product.display_name,
                    receipt=self.name,
                )
            )
        return next((move for move in moves if move.quantity < move.product_uom_qty), moves[0])

    def button_validate(self):
        # One validation pass: the checks run once, the pre-hook's serving the lines' _action_done.
        with self.env["stock.move.line"]._validation_pass():
            return super().button_validate()

    def _pre_action_done_hook(self):
        # A hard refusal comes before any wizard (backorder, product_expiry's expired-lot confirmation);
        # the signature for a release from quarantine comes after them, right before the transfer is done.
        # The pipeline: stock.move.line._check_before_done.
        self.move_line_ids._check_before_done(self)
        res = super()._pre_action_done_hook()
        if res is not True:
            return res
        releasing = self.move_line_ids._quarantine_releases().picking_id
        request = releasing._request_signature_unless_signed("quarantine_release", **self.env.context)
        return request or res

    def _qualification_problems(self):
        """A delivery needs the customer's licences valid; a receipt, the devices' registrations."""
        lines = self.move_line_ids.filtered(lambda ml: ml.quantity > 0)
        Qualification = self.env["medical.qualification"]
        delivered = lines.filtered(lambda ml: ml.location_dest_id.usage == "customer").product_id
        received = lines.filtered(lambda ml: ml.location_id.usage == "supplier").product_id
        return Qualification._partner_problems(self.partner_id, delivered) + Qualification._product_problems(
            received
        )

    def _action_done(self):
        with self.env["stock.move.line"]._validation_pass():
            # Transfers done from code skip the pre-hook: the pipeline runs here for them.
            self.move_line_ids._check_before_done(self)
            res = super()._action_done()
        self.env["medical.recall"]._refresh_progress_of_lots(
            self.move_line_ids.filtered(lambda ml: ml.quantity > 0).lot_id
        )
        self.env["medical.nonconforming"]._transfers_done(self)
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
        self.env["medical.override"]._check_may_grant(RETURN_OVERRIDE)
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Accept Return"),
            "res_model": "medical.return.override.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_picking_id": self.id},
        }

    def _validate_accepting_return(self, reason):
        """Validate, letting through returns above what the customer received; the override is logged.

        The override stays on the transfer until it is done: validating again after Odoo's backorder or
        expired-lot wizard still finds it."""
        self.env["medical.override"]._grant(self, RETURN_OVERRIDE, reason)
        return self.button_validate()

    def unlink(self):
        # Odoo first cancels the moves of a transfer, refusing done ones in its words: say why GSP keeps it.
        self._unlink_except_retained()
        return super().unlink()

    def _retention_ends(self):
        """A transfer done, the voucher printed from it, is kept as long as the longest kept of its moves."""
        move_ends = self.move_ids._retention_ends()
        return {
            picking: max(move_ends[move] for move in picking.move_ids if move in move_ends)
            for picking in self
            if picking.state == "done" and any(move in move_ends for move in picking.move_ids)
        }
