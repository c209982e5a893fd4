from odoo import api, models


class ProductProduct(models.Model):
    _inherit = "product.product"

    def _serializes_lot_stock(self):
        """Whether concurrent reservations and moves of this product's stock wait for each other.

        For expiry-tracked products and medical devices tracked by lot or serial, a reservation is a
        promise of a lot to a hospital and the lot's stock must be exact, so the quants are locked rather
        than side-stepped (see ``stock.quant._lock_for_update``).
        """
        self.ensure_one()
        return self.tracking != "none" and (self.use_expiration_date or bool(self.medical_device_class))

    def _refuses_negative_lot_stock(self):
        """Whether a lot of this product may never be taken below zero: medical devices tracked by lot."""
        self.ensure_one()
        return self.tracking != "none" and bool(self.medical_device_class)

    @api.model
    def _products_by_udi_di(self, dis):
        """{DI: product} for the UDI-DIs given that a product's ``barcode`` names, in one search."""
        normalised = self.env["medical.udi.parser"]._normalised
        forms = {di: _barcodes_of_udi_di(normalised(di)) for di in dis if di and di.strip()}
        barcodes = {barcode for written in forms.values() for barcode in written}
        products = self.search([("barcode", "in", list(barcodes))]) if barcodes else self
        by_barcode = {product.barcode: product for product in products}
        found = {}
        for di, written in forms.items():
            product = next((by_barcode[barcode] for barcode in written if barcode in by_barcode), None)
            if product:
                found[di] = product
        return found

    def action_open_expiry_stock(self):
        """The workbench on this product's stock in a near-expiry level or expired: what its alerts cover."""
        action = self.env["ir.actions.act_window"]._for_xml_id("medical_expiry.action_expiry_workbench")
        action["domain"] = [
            ("product_id", "in", self.ids),
            ("expiry_state", "in", ("near_expiry", "expired")),
        ]
        action["context"] = {}
        return action


def _barcodes_of_udi_di(di):
    """How a product's ``barcode`` may write a UDI-DI, the full form first.

    A GTIN may be written as a GTIN-8, -12, -13 or -14, the shorter ones being the GTIN-14 without its
    leading zeros. Any other DI (MA, AHM) is written exactly as scanned, case included.
    """
    di = di.strip()
    if not (di.isascii() and di.isdigit() and len(di) <= 14):
        return [di]
    gtin = di.zfill(14)
    return [gtin[start:] for start in range(7) if not gtin[:start].strip("0")]
