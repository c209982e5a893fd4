from odoo import api, models


class ProductProduct(models.Model):
    _inherit = "product.product"

    @api.model
    def _products_by_gtin(self, gtins):
        """{GTIN-14: product} for the GTINs given, in one search.

        UDIs carry GTIN-14; a product's ``barcode`` (its GTIN / UDI-DI) may be written as a GTIN-8, -12,
        -13 or -14, the shorter ones being the longer ones without their leading zeros.
        """
        gtins = [gtin.zfill(14) for gtin in gtins if gtin and gtin.isdigit()]
        written = {gtin[start:] for gtin in gtins for start in range(7) if not gtin[:start].strip("0")}
        products = self.search([("barcode", "in", list(written))]) if written else self
        return {product.barcode.zfill(14): product for product in products}
