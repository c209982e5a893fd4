from odoo import api, fields, models


class ResPartner(models.Model):
    _name = "res.partner"
    _inherit = ["res.partner", "medical.first.business.holder.mixin"]

    min_shelf_life_days = fields.Integer(
        string="Minimum Shelf Life (days)",
        help="Deliveries to this customer only take lots with at least this many days left before expiry.",
    )

    medical_customer_type = fields.Selection(
        [("institution", "Medical Institution"), ("distributor", "Device Distributor")],
        string="Medical Device Customer",
        help="What this customer must hold to be sold medical devices (GSP): a medical institution its "
        "practice licence (医疗机构执业许可证), a distributor a trading licence or filing covering the "
        "devices' classes. Not set: judged by the documents on file.",
    )
    qualification_ids = fields.One2many("medical.qualification", "partner_id", string="Qualifications")
    qualification_count = fields.Integer(compute="_compute_qualification_count")

    @api.depends("qualification_ids")
    def _compute_qualification_count(self):
        for partner in self:
            partner.qualification_count = len(partner.commercial_partner_id.sudo().qualification_ids)

    def action_view_qualifications(self):
        return self.env["medical.qualification"]._action_view_for(self.commercial_partner_id)

    @api.model
    def _commercial_fields(self):
        return super()._commercial_fields() + ["min_shelf_life_days", "medical_customer_type"]

    def _first_business_holders(self):
        return self.commercial_partner_id

    def _min_shelf_life_days(self):
        """The fewest days left before expiry this customer accepts (0: any lot that may ship)."""
        return self.commercial_partner_id.min_shelf_life_days
