from odoo import api, fields, models

# A change of one of these changes the scope of the device's first-business approval.
DEVICE_SCOPE_FIELDS = {"medical_device_class", "device_category_code"}


class ProductTemplate(models.Model):
    _name = "product.template"
    _inherit = ["product.template", "medical.first.business.holder.mixin"]

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
    device_category_code = fields.Char(
        string="Classification Code",
        help="分类编码 of the device (e.g. 14-01-02): a supplier's licence must list it, or a code it falls "
        "under, when the licence names codes.",
    )
    medical_implant = fields.Boolean(
        string="Implant",
        help="植入类医疗器械: the records of its lots, moves and vouchers are kept for ever (GSP).",
    )
    medical_sterile = fields.Boolean(
        string="Sterile",
        help="Supplied sterile: each lot records its sterilisation lot (灭菌批号), printed on the vouchers "
        "and recall notices.",
    )
    qualification_ids = fields.One2many("medical.qualification", "product_tmpl_id", string="Qualifications")
    registration_number = fields.Char(
        string="Registration Certificate No.",
        compute="_compute_registration",
        help="注册证编号 or 备案凭证编号, from the product's registration or filing certificate (the valid "
        "one first, else the latest); printed on vouchers and traceability reports.",
    )
    registration_expiry_date = fields.Date(
        string="Registration Certificate Expiry", compute="_compute_registration"
    )

    @api.depends("qualification_ids.state", "qualification_ids.date_end", "qualification_ids.number")
    def _compute_registration(self):
        for template in self:
            certificates = template.sudo().qualification_ids.sorted(
                lambda certificate: (
                    certificate.state in ("valid", "expiring"),
                    certificate.date_end or fields.Date.to_date("9999-12-31"),
                )
            )
            template.registration_number = certificates[-1:].number
            template.registration_expiry_date = certificates[-1:].date_end

    def write(self, vals):
        res = super().write(vals)
        if DEVICE_SCOPE_FIELDS.intersection(vals):
            self.env["medical.first.business.approval"]._reopen_changed_scopes(self.env["res.partner"], self)
        return res

    def action_view_qualifications(self):
        return self.env["medical.qualification"]._action_view_for(self)
