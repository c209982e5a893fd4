from odoo import api, fields, models

from ..models.medical_recall import RECALL_CLASSES, RECALL_SOURCES


class MedicalRecallWizard(models.TransientModel):
    """Opens a recall of some lots, or of a product's lots in a date range."""

    _name = "medical.recall.wizard"
    _description = "Open a Recall"

    scope = fields.Selection(
        [("lots", "Lots"), ("product", "Product")], string="Recall", required=True, default="lots"
    )
    lot_ids = fields.Many2many("stock.lot", string="Lots/Serials")
    product_id = fields.Many2one("product.product", domain=[("tracking", "!=", "none")])
    date_field = fields.Selection(
        [("expiration_date", "Expiration Date"), ("create_date", "Received On")],
        string="Date Range On",
        default="expiration_date",
        help="Which date of the product's lots the range applies to; without dates, every lot of the "
        "product.",
    )
    date_from = fields.Date(string="From")
    date_to = fields.Date(string="To")
    matched_lot_ids = fields.Many2many(
        "stock.lot", string="Lots to Recall", compute="_compute_matched_lot_ids"
    )
    recall_class = fields.Selection(RECALL_CLASSES, required=True)
    source = fields.Selection(RECALL_SOURCES, required=True, default="manufacturer")
    reason = fields.Text(required=True)
    user_id = fields.Many2one("res.users", string="Responsible", default=lambda self: self.env.user)

    @api.model
    def default_get(self, fields_list):
        res = super().default_get(fields_list)
        model, ids = self.env.context.get("active_model"), self.env.context.get("active_ids") or []
        if model == "stock.lot" and ids:
            res.update(scope="lots", lot_ids=[fields.Command.set(ids)])
        elif model == "product.product" and ids:
            res.update(scope="product", product_id=ids[0])
        elif model == "product.template" and ids:
            variants = self.env["product.template"].browse(ids[0]).product_variant_ids
            res.update(scope="product", product_id=variants[:1].id)
        return res

    @api.depends("scope", "lot_ids", "product_id", "date_field", "date_from", "date_to")
    def _compute_matched_lot_ids(self):
        Recall = self.env["medical.recall"]
        for wizard in self:
            if wizard.scope == "lots":
                wizard.matched_lot_ids = wizard.lot_ids
            elif wizard.product_id:
                wizard.matched_lot_ids = Recall._get_product_lots(
                    wizard.product_id, wizard.date_from, wizard.date_to, wizard.date_field
                )
            else:
                wizard.matched_lot_ids = False

    def action_create(self):
        self.ensure_one()
        Recall = self.env["medical.recall"]
        vals = {
            "recall_class": self.recall_class,
            "source": self.source,
            "reason": self.reason,
            "user_id": self.user_id.id,
        }
        if self.scope == "product":
            recall = Recall._create_product_recall(
                vals, self.product_id, self.date_from, self.date_to, self.date_field
            )
        else:
            recall = Recall._create_recall(vals, self.lot_ids)
        return {
            "type": "ir.actions.act_window",
            "res_model": "medical.recall",
            "res_id": recall.id,
            "view_mode": "form",
            "target": "current",
        }
