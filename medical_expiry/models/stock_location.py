from odoo import fields, models


class StockLocation(models.Model):
    _inherit = "stock.location"

    is_quarantine = fields.Boolean(
        string="Quarantine Location",
        help="Blocked, expired and recalled stock may always be moved here; nothing here is sellable.",
    )
