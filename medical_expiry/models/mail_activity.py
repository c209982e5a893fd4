from odoo import api, fields, models
from odoo.exceptions import UserError


class MailActivity(models.Model):
    _inherit = "mail.activity"

    expiry_rule_id = fields.Many2one(
        "medical.expiry.rule",
        string="Expiry Level",
        index="btree_not_null",
        ondelete="set null",
        help="The level an expiry alert was raised for: with the lot or qualification, the alert type and "
        "the user, what makes the daily job raise each alert once.",
    )
    expiry_auto_closed = fields.Boolean(
        string="Closed by the Expiry Job",
        readonly=True,
        help="Closed by the daily job because the level changed, not handled by a person: "
        "does not count as a reached alert.",
    )
    expiry_lot_count = fields.Integer(
        string="Lots Covered",
        default=1,
        readonly=True,
        help="How many lots an expiry alert speaks for: one, or every lot of a product in the level.",
    )
    expiry_warehouse_id = fields.Many2one(
        "stock.warehouse",
        string="Expiry Alert Warehouse",
        index="btree_not_null",
        ondelete="cascade",
        readonly=True,
        help="The warehouse whose stock an expiry alert covers, when its level's rule raises one alert per "
        "product and warehouse.",
    )

    expiry_alert_state = fields.Selection(
        [("near_expiry", "Near Expiry"), ("expired", "Expired")],
        compute="_compute_expiry_alert_state",
        help="The expiry level of the lots an expiry alert on a product or lot covers.",
    )

    @api.depends("res_model", "activity_type_id")
    def _compute_expiry_alert_state(self):
        states = {
            alert_type: state for state, alert_type in self.env["stock.lot"]._expiry_alert_types().items()
        }
        for activity in self:
            activity.expiry_alert_state = activity.res_model in (
                "product.product",
                "stock.lot",
            ) and states.get(activity.activity_type_id)

    def action_open_expiry_stock(self):
        """The workbench on exactly the stock this expiry alert covers: its product's or lot's stock in its
        level, in its warehouse when its rule groups alerts per warehouse."""
        self.ensure_one()
        if not self.expiry_alert_state:
            raise UserError(self.env._("This activity is no expiry alert of lots."))
        subject = "product_id" if self.res_model == "product.product" else "lot_id"
        domain = [(subject, "=", self.res_id), ("expiry_state", "=", self.expiry_alert_state)]
        if self.expiry_rule_id:
            domain.append(("expiry_rule_id", "=", self.expiry_rule_id.id))
        if self.expiry_warehouse_id or self.expiry_rule_id.alert_grouping == "warehouse":
            # An alert per warehouse without one covers the stock in transit outside every warehouse.
            domain.append(("warehouse_id", "=", self.expiry_warehouse_id.id))
        action = self.env["ir.actions.act_window"]._for_xml_id("medical_expiry.action_expiry_workbench")
        action["domain"] = domain
        action["context"] = {}
        return action
