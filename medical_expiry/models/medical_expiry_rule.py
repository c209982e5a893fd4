from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from .medical_qualification import QUALIFICATION_TYPES
from .medical_signed_mixin import SignedAction

# The fields that decide which level a lot or a qualification is in: changing one of them re-levels all.
LEVEL_FIELDS = {
    "days_before_expiry",
    "company_id",
    "categ_id",
    "product_id",
    "active",
    "applies_to",
    "qualification_type",
}
RULE_TARGETS = [("lot", "Lots"), ("qualification", "Qualifications")]
OUTBOUND_POLICIES = [("allow", "Allow Shipping"), ("warn", "Ship with Warning"), ("block", "Block Shipping")]
SUGGESTED_ACTIONS = [
    ("none", "None"),
    ("return_supplier", "Return to Supplier"),
    ("clearance", "Clearance Sale"),
    ("transfer", "Transfer to Another Warehouse"),
    ("adjust_purchase", "Adjust Purchasing"),
    ("scrap", "Scrap"),
]
# The fields a person sets on a rule, each change signed in the rule change window.
EDITABLE_FIELDS = (
    "name",
    "active",
    "applies_to",
    "qualification_type",
    "days_before_expiry",
    "company_id",
    "categ_id",
    "product_id",
    "outbound_policy",
    "suggested_action",
    "user_ids",
    "group_id",
    "alert_per_lot",
)


class MedicalExpiryRule(models.Model):
    """One near-expiry level of the rule library, for lots or for qualifications.

    Rules come in sets, one per scope: a product, a category (sub-categories included) or a company
    (or every company); qualification rules are scoped by document type or a company. A lot or a
    qualification is judged by the most specific set that has a rule for it, and falls in the level with
    the fewest days that still covers its remaining days.
    """

    _name = "medical.expiry.rule"
    _description = "Near-Expiry Rule"
    _inherit = ["mail.thread", "medical.signed.mixin"]
    _order = "days_before_expiry desc, id"

    def _signed_actions(self):
        # One signature per rule and per change: the window signs the very values it writes.
        return {
            "rule_create": SignedAction(
                self.env._("Create Rule"),
                self.env._("Rule Created"),
                "_create_signed",
                "medical_expiry.group_expiry_manager",
                wizard="medical.expiry.rule.change.wizard",
            ),
            "rule_change": SignedAction(
                self.env._("Change Rule"),
                self.env._("Rule Changed"),
                "_write_signed",
                "medical_expiry.group_expiry_manager",
                wizard="medical.expiry.rule.change.wizard",
            ),
            "rule_delete": SignedAction(
                self.env._("Delete Rule"),
                self.env._("Rule Deleted"),
                "unlink",
                "medical_expiry.group_expiry_manager",
            ),
        }

    name = fields.Char(required=True, translate=True, tracking=True)
    active = fields.Boolean(default=True, tracking=True)
    applies_to = fields.Selection(
        RULE_TARGETS,
        required=True,
        default="lot",
        tracking=True,
        help="Lots: the goods' expiration dates. Qualifications: the end of validity of licences, "
        "registrations and filings.",
    )
    qualification_type = fields.Selection(
        QUALIFICATION_TYPES,
        tracking=True,
        help="Applies to the qualifications of this type; empty: to every type.",
    )
    days_before_expiry = fields.Integer(
        required=True,
        tracking=True,
        help="A lot or qualification enters this level when it has this many days or fewer left before "
        "it expires.",
    )
    company_id = fields.Many2one(
        "res.company",
        tracking=True,
        default=lambda self: self.env.company,
        help="Leave empty for a rule that applies to every company.",
    )
    categ_id = fields.Many2one(
        "product.category",
        string="Product Category",
        tracking=True,
        help="Applies to the products of this category and of its sub-categories.",
    )
    product_id = fields.Many2one("product.product", tracking=True)
    scope = fields.Selection(
        [
            ("company", "Company"),
            ("category", "Category"),
            ("product", "Product"),
            ("qualification_type", "Document Type"),
        ],
        compute="_compute_scope",
        store=True,
    )
    outbound_policy = fields.Selection(
        OUTBOUND_POLICIES,
        required=True,
        default="allow",
        tracking=True,
        help="Allow Shipping: ship normally. Ship with Warning: reserve, but flag the delivery. "
        "Block Shipping: never reserve or ship.",
    )
    user_ids = fields.Many2many(
        "res.users", string="Responsible Users", help="Who receives the alerts of this level."
    )
    group_id = fields.Many2one(
        "res.groups", string="Responsible Group", help="Every member of this group receives the alerts."
    )
    alert_per_lot = fields.Boolean(
        string="One Alert per Lot",
        tracking=True,
        help="Each lot in this level gets an alert of its own (serial-tracked implants, high-value lots). "
        "Otherwise each responsible user gets one alert per product in the level, covering all its lots.",
    )
    suggested_action = fields.Selection(
        SUGGESTED_ACTIONS,
        required=True,
        default="none",
        tracking=True,
    )
    color = fields.Integer()

    @api.depends("categ_id", "product_id", "qualification_type")
    def _compute_scope(self):
        for rule in self:
            rule.scope = (
                rule.product_id
                and "product"
                or rule.categ_id
                and "category"
                or rule.qualification_type
                and "qualification_type"
                or "company"
            )

    @api.constrains(*LEVEL_FIELDS)
    def _check_rule(self):
        for rule in self:
            if rule.days_before_expiry < 0:
                raise ValidationError(self.env._("The days before expiry of a rule cannot be negative."))
            if rule.product_id and rule.categ_id:
                raise ValidationError(
                    self.env._("Rule “%s” applies to a product or to a category, not both.", rule.name)
                )
            if rule.applies_to == "qualification" and (rule.product_id or rule.categ_id):
                raise ValidationError(
                    self.env._(
                        "Qualification rule “%s” is scoped by document type, not by product or category.",
                        rule.name,
                    )
                )
            if rule.applies_to == "lot" and rule.qualification_type:
                raise ValidationError(
                    self.env._("Lot rule “%s” cannot be scoped by a qualification type.", rule.name)
                )
            twin = self.search_count(
                [
                    ("id", "!=", rule.id),
                    ("days_before_expiry", "=", rule.days_before_expiry),
                    ("company_id", "=", rule.company_id.id),
                    ("categ_id", "=", rule.categ_id.id),
                    ("product_id", "=", rule.product_id.id),
                    ("applies_to", "=", rule.applies_to),
                    ("qualification_type", "=", rule.qualification_type),
                ]
            )
            if twin:
                raise ValidationError(
                    self.env._(
                        "Another rule of the same scope already starts at %(days)s days before expiry.",
                        days=rule.days_before_expiry,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        """A person creates each rule with a signature of its own values; data files and jobs unsigned."""
        signatures = [self._spend_signature("rule_create", vals) for vals in vals_list]
        rules = super().create(vals_list)
        for rule, signature in zip(rules, signatures, strict=True):
            rule._log_signed_action("rule_create", signature, new_values=rule._audited_values())
        self._refresh_levels()
        return rules

    def write(self, vals):
        """A person changes rules with a signature of exactly these values; data files and jobs unsigned."""
        audited = set(vals) - set(self.env["mail.thread"]._fields)
        if not audited:
            return super().write(vals)
        if not self:
            return True
        signature = self._spend_signature("rule_change", vals)
        old = self._audited_values(audited)
        res = super().write(vals)
        self._log_signed_action(
            "rule_change", signature, old_values=old, new_values=self._audited_values(audited)
        )
        if LEVEL_FIELDS.intersection(vals):
            self._refresh_levels()
        return res

    def unlink(self):
        signature = self._spend_signature("rule_delete")
        self._log_signed_action("rule_delete", signature, old_values=self._audited_values())
        res = super().unlink()
        self._refresh_levels()
        return res

    @api.model
    def _refresh_levels(self):
        self.env["stock.lot"]._refresh_expiry_levels()
        self.env["medical.qualification"]._refresh_levels()

    # ------------------------------------------------------------------
    # Signed changes
    # ------------------------------------------------------------------
    @api.model
    def action_new_rule(self):
        return self.browse()._action_request_signature(
            "rule_create", default_applies_to=self.env.context.get("default_applies_to", "lot")
        )

    def action_change_rule(self):
        """The change window, starting from the rule as it is."""
        self.ensure_one()
        return self._action_request_signature(
            "rule_change", **{f"default_{name}": value for name, value in self._editable_values().items()}
        )

    def action_delete_rule(self):
        return self._action_request_signature("rule_delete")

    def action_view_audit_log(self):
        return self.env["medical.audit.log"]._action_view_for(self)

    @api.model
    def _create_signed(self, values):
        self.create(values)

    def _write_signed(self, values):
        if not values:
            raise UserError(self.env._("Change at least one field of the rule: nothing was signed."))
        self.write(values)

    def _editable_values(self):
        """{field: value} of the fields a person sets, as write() takes them."""
        self.ensure_one()
        return {name: self._fields[name].convert_to_write(self[name], self) for name in EDITABLE_FIELDS}

    def _audited_values(self, field_names=None):
        """{rule id: {field: value}} of the business fields, as read() gives them."""
        names = sorted(
            field_names
            or set(self._fields)
            - set(self.env["mail.thread"]._fields)
            - {
                "id",
                "display_name",
                "create_uid",
                "create_date",
                "write_uid",
                "write_date",
            }
        )
        stored = [name for name in names if self._fields[name].store]
        return {values.pop("id"): values for values in self.read(stored)}

    @api.model
    def _lot_levels_sql(self, lots):
        """SQL classifying lots: rows (id, days_to_expiry, expiry_state, rule_id, level_until).

        The one place that decides a lot's level, for the stored compute, the daily job and the reports.
        ``lots`` is an SQL query with the columns id, company_id, product_id, expiration_date.
        Days are counted in the company's calendar (``res.company._expiry_local_date_sql``): a lot of
        有效期至 D has D - today days left and is expired from the day after D. ``level_until`` is the date
        on which the level changes next by the passing of time alone (the next threshold of its rule set,
        or D + 1 when it expires); it is empty for expired lots and lots without a date.
        Ranking a lot's candidate rules: product scope first, then the deepest matching category
        (a longer parent_path is a deeper one), then the company default; within a scope, a rule of
        the lot's company comes before a rule for every company. A lot shared between companies
        (no company of its own) takes the rules of any company.
        """
        Company = self.env["res.company"]
        return SQL(
            """
            WITH lot AS (
                SELECT src.id, src.company_id, src.product_id, src.expiration_date,
                       %(expiry_date)s AS expiry_date, %(expiry_date)s - %(today)s AS days,
                       categ.parent_path
                  FROM (%(lots)s) AS src
                  JOIN product_product product ON product.id = src.product_id
                  JOIN product_template template ON template.id = product.product_tmpl_id
                  JOIN product_category categ ON categ.id = template.categ_id
            ), candidate AS (
                SELECT lot.id AS lot_id, rule.id AS rule_id, rule.days_before_expiry,
                       2 * CASE WHEN rule.product_id IS NOT NULL THEN 0
                                WHEN rule.categ_id IS NOT NULL THEN 100000 - length(rule_categ.parent_path)
                                ELSE 200000 END
                       + (rule.company_id IS NULL)::int AS rank
                  FROM lot
                  JOIN medical_expiry_rule rule
                    ON rule.active AND rule.applies_to = 'lot'
                   AND (rule.company_id IS NULL OR lot.company_id IS NULL OR rule.company_id = lot.company_id)
             LEFT JOIN product_category rule_categ ON rule_categ.id = rule.categ_id
                 WHERE rule.product_id = lot.product_id
                    OR (rule.product_id IS NULL AND rule.categ_id IS NULL)
                    OR (rule.product_id IS NULL AND starts_with(lot.parent_path, rule_categ.parent_path))
            ), scope AS (
                SELECT lot_id, min(rank) AS rank FROM candidate GROUP BY lot_id
            ), rule_set AS (
                SELECT candidate.*
                  FROM candidate
                  JOIN scope ON scope.lot_id = candidate.lot_id AND scope.rank = candidate.rank
            ), level AS (
                SELECT DISTINCT ON (rule_set.lot_id) rule_set.lot_id, rule_set.rule_id
                  FROM rule_set
                  JOIN lot ON lot.id = rule_set.lot_id
                 WHERE rule_set.days_before_expiry >= lot.days
              ORDER BY rule_set.lot_id, rule_set.days_before_expiry, rule_set.rule_id
            ), next_threshold AS (
                SELECT rule_set.lot_id, max(rule_set.days_before_expiry) AS days
                  FROM rule_set
                  JOIN lot ON lot.id = rule_set.lot_id
                 WHERE rule_set.days_before_expiry < lot.days
              GROUP BY rule_set.lot_id
            )
            SELECT lot.id, lot.days,
                   CASE WHEN lot.expiration_date IS NULL THEN 'no_expiry'
                        WHEN lot.days < 0 THEN 'expired'
                        WHEN level.rule_id IS NOT NULL THEN 'near_expiry'
                        ELSE 'ok' END,
                   level.rule_id,
                   CASE WHEN lot.days >= 0 THEN lot.expiry_date - COALESCE(next_threshold.days, -1) END
              FROM lot
         LEFT JOIN level ON level.lot_id = lot.id
         LEFT JOIN next_threshold ON next_threshold.lot_id = lot.id
            """,
            lots=lots,
            expiry_date=Company._expiry_local_date_sql(SQL("src.expiration_date"), SQL("src.company_id")),
            today=Company._expiry_local_date_sql(
                SQL("%s::timestamp", fields.Datetime.now()), SQL("src.company_id")
            ),
        )

    @api.model
    def _qualification_levels(self, qualifications):
        """{qualification id: rule}: the level each qualification is in, by the lots' idea of a level.

        The most specific rule set wins: its type's before every type's, its company's before every
        company's; in it, the rule with the fewest days that still covers the days left. Expired,
        revoked and open-ended documents are in no level. A few thousand documents: plain Python.
        """
        rules = self.search([("applies_to", "=", "qualification")])
        levels = {}
        for qualification in qualifications.filtered(lambda q: q.date_end and not q.revoked):
            days = (qualification.date_end - qualification.company_id._expiry_today()).days
            candidates = rules.filtered(
                lambda rule, q=qualification: (
                    rule.company_id in (q.company_id, self.env["res.company"])
                    and rule.qualification_type in (q.qualification_type, False)
                )
            )
            if days < 0 or not candidates:
                continue
            scope = min(_qualification_rule_rank(rule) for rule in candidates)
            covering = [
                rule
                for rule in candidates
                if _qualification_rule_rank(rule) == scope and rule.days_before_expiry >= days
            ]
            if covering:
                levels[qualification.id] = min(covering, key=lambda rule: (rule.days_before_expiry, rule.id))
        return levels


def _qualification_rule_rank(rule):
    """A type's rules before every type's; within, a company's before every company's."""
    return 2 * (not rule.qualification_type) + (not rule.company_id)
