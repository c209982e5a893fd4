from odoo import fields, models


class ProductTemplate(models.Model):
    _inherit = "product.template"

    medical_device_class = fields.Selection(
        [("1", "Class I"), ("2", "Class II"), ("3", "Class III")],
        help="医疗器械分类. Expired lots of medical devices can never be shipped; other goods keep "
        "Odoo's confirmation of expired lots until the nightly job blocks them.",
    )
    min_shelf_life_receipt_days = fields.Integer(
        string="Minimum Shelf Life at Receipt (days)",
        help="Lots received from suppliers with fewer days left than this are refused or flagged.",
    )
    receipt_shelf_life_policy = fields.Selection(
        [("warn", "Warn"), ("block", "Refuse Receipt")],
        string="Short Shelf Life at Receipt",
        required=True,
        default="block",
        help="Refuse Receipt: the receipt cannot be validated. Warn: it is validated and a warning "
        "is posted on it.",
    )
    device_specification = fields.Char(
        string="Specification / Model",
        help="规格型号, as on the registration certificate; printed on inbound and outbound vouchers.",
    )
    registration_number = fields.Char(
        string="Registration Certificate No.",
        help="注册证编号 (or filing number) of the medical device; printed on vouchers and "
        "traceability reports.",
    )
    registration_expiry_date = fields.Date(
        string="Registration Certificate Expiry",
        help="注册证有效期至. Receiving the product from a supplier after this date warns or is refused, as "
        "the company's policy for expired registration certificates says.",
    )
