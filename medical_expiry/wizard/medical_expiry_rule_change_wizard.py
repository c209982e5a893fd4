from odoo import fields, models

from ..models.medical_expiry_rule import (
    EDITABLE_FIELDS,
    OUTBOUND_POLICIES,
    RULE_TARGETS,
    SUGGESTED_ACTIONS,
)
from ..models.medical_qualification import QUALIFICATION_TYPES


class MedicalExpiryRuleChangeWizard(models.TransientModel):
    """A new rule or a change to one rule, and the signature approving exactly these values.

    The signature binds the values (``_signed_values``): the rule library accepts them and no others.
    """

    _name = "medical.expiry.rule.change.wizard"
    _inherit = "medical.signature.wizard"
    _description = "Sign a Rule Change"

    name = fields.Char(string="Rule Name", required=True)
    active = fields.Boolean(default=True)
    applies_to = fields.Selection(RULE_TARGETS, required=True, default="lot")
    qualification_type = fields.Selection(QUALIFICATION_TYPES)
    days_before_expiry = fields.Integer(required=True)
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company)
    categ_id = fields.Many2one("product.category", string="Product Category")
    product_id = fields.Many2one("product.product")
    outbound_policy = fields.Selection(OUTBOUND_POLICIES, required=True, default="allow")
    suggested_action = fields.Selection(SUGGESTED_ACTIONS, required=True, default="none")
    user_ids = fields.Many2many("res.users", string="Responsible Users")
    group_id = fields.Many2one("res.groups", string="Responsible Group")
    alert_per_lot = fields.Boolean(string="One Alert per Lot")

    def _signed_values(self):
        """A new rule's values, or the fields of the rule this change sets to another value."""
        values = {name: self._fields[name].convert_to_write(self[name], self) for name in EDITABLE_FIELDS}
        rule = self._records()
        if rule:
            current = rule._editable_values()
            values = {name: value for name, value in values.items() if value != current[name]}
        return values

    def _signed_action_inputs(self):
        return {"values": self._signed_values()}
