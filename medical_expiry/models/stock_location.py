from odoo import fields, models


class StockLocation(models.Model):
    _inherit = "stock.location"

    is_quarantine = fields.Boolean(
        string="Quarantine Location",
        help="Blocked, expired and recalled stock may always be moved here; nothing here is sellable.",
    )
    is_nonconforming = fields.Boolean(
        string="Non-Conforming Zone",
        help="The red zone of non-conforming goods (不合格品区): a quarantine location where goods wait "
        "to be destroyed or returned to their supplier.",
    )
