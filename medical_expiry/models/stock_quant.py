from odoo import api, models
from odoo.osv import expression


class StockQuant(models.Model):
    _inherit = "stock.quant"

    @api.model
    def _get_gather_domain(
        self, product_id, location_id, lot_id=None, package_id=None, owner_id=None, strict=False
    ):
        domain = super()._get_gather_domain(product_id, location_id, lot_id, package_id, owner_id, strict)
        refused = self.env.context.get("expiry_refused_lots")
        if refused:
            # Scoped to the product, so the refused-lot subquery uses the lot's product index instead of
            # scanning every lot on each of the many lookups a reservation makes.
            refused_of_product = expression.AND([[("product_id", "=", product_id.id)], refused])
            domain = expression.AND([domain, [("lot_id", "not any", refused_of_product)]])
        return domain

    @api.model
    def _get_removal_strategy(self, product_id, location_id):
        """FEFO is the default for expiry-tracked products; an explicit strategy (FIFO too) still wins."""
        strategy = super()._get_removal_strategy(product_id, location_id)
        if strategy == "fifo" and product_id.use_expiration_date:
            explicit = product_id.sudo().categ_id.removal_strategy_id or self.env[
                "stock.location"
            ].sudo().search_count(
                [("id", "parent_of", location_id.id), ("removal_strategy_id", "!=", False)], limit=1
            )
            if not explicit:
                return "fefo"
        return strategy
