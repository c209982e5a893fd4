from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

# GSP 首营审核: the paperwork a distributor keeps on file for its partners and for the devices it trades.
PARTNER_TYPES = [
    ("device_trade_licence", "Medical Device Trading Licence"),
    ("device_trade_filing", "Medical Device Trading Filing"),
    ("production_licence", "Medical Device Production Licence"),
    ("business_licence", "Business Licence"),
    ("practice_licence", "Medical Institution Practice Licence"),
    ("authorization_letter", "Salesperson Authorisation Letter"),
    ("quality_agreement", "Quality Assurance Agreement"),
]
PRODUCT_TYPES = [
    ("registration_certificate", "Device Registration Certificate"),
    ("filing_certificate", "Device Filing Certificate"),
]
QUALIFICATION_TYPES = PARTNER_TYPES + PRODUCT_TYPES
# The partner documents that allow trading devices, within the classes and codes they list.
SCOPED_TYPES = ("device_trade_licence", "device_trade_filing", "production_licence")
# Trading class I devices needs neither licence nor filing (医疗器械经营监督管理办法): only classes II
# and III must be covered by the licence of a supplier or of a distributor buying them.
LICENSED_CLASSES = ("2", "3")
# What a medical institution buying devices must hold (GSP: the distributor verifies its buyers).
PRACTICE_LICENCE = "practice_licence"
# The stored fields _compute_level sets: the nightly job computes them again for every dated document.
QUALIFICATION_LEVEL_FIELDS = ["days_to_expiry", "expiry_rule_id", "state"]
# What a first-business approval covers of a document: a change of one of these may change its scope.
SCOPE_FIELDS = {
    "qualification_type",
    "number",
    "covers_class_1",
    "covers_class_2",
    "covers_class_3",
    "scope_codes",
    "partner_id",
    "product_tmpl_id",
    "revoked",
    "active",
}


class MedicalQualification(models.Model):
    """A licence, registration or filing a partner or a device holds (资质), and how long it is valid.

    A holder is qualified for a type as long as one of its documents of that type is valid: a renewal
    is a new document, and the lapsed one it replaces stops counting.
    """

    _name = "medical.qualification"
    _description = "Qualification"
    _inherit = ["mail.thread", "mail.activity.mixin", "medical.expiry.alert.mixin"]
    _order = "date_end, id"
    _rec_name = "number"

    active = fields.Boolean(default=True, tracking=True)
    qualification_type = fields.Selection(
        QUALIFICATION_TYPES,
        string="Type",
        required=True,
        tracking=True,
        help="医疗器械经营许可证, 经营备案凭证, 生产许可证, 营业执照 and 执业许可证 belong to partners; "
        "注册证 and 备案凭证 to devices.",
    )
    holder = fields.Selection(
        [("partner", "Partner"), ("product", "Product")], compute="_compute_holder", store=True
    )
    partner_id = fields.Many2one(
        "res.partner",
        index="btree_not_null",
        ondelete="restrict",
        tracking=True,
        domain="[('is_company', '=', True)]",
    )
    product_tmpl_id = fields.Many2one(
        "product.template", string="Product", index="btree_not_null", ondelete="restrict", tracking=True
    )
    number = fields.Char(required=True, tracking=True, help="The document's number, as printed on it.")
    issuing_authority = fields.Char(tracking=True, help="发证机关.")
    authorized_person = fields.Char(
        string="Authorised Salesperson",
        tracking=True,
        help="销售人员授权书: the supplier's salesperson the letter authorises, with the ID card number.",
    )
    covers_class_1 = fields.Boolean(string="Class I", tracking=True)
    covers_class_2 = fields.Boolean(string="Class II", tracking=True)
    covers_class_3 = fields.Boolean(string="Class III", tracking=True)
    scope_codes = fields.Char(
        string="Classification Codes",
        tracking=True,
        help="经营范围: the classification codes (分类编码) covered, separated by commas; a code covers its "
        "sub-codes (14 covers 14-01-02). Empty: every code of the classes ticked.",
    )
    date_start = fields.Date(string="Valid From", tracking=True)
    date_end = fields.Date(
        string="Valid To", tracking=True, help="The last day the document is valid. Empty: no end (长期)."
    )
    document = fields.Binary(string="Scanned Certificate", attachment=True)
    document_name = fields.Char()
    user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        compute="_compute_user_id",
        store=True,
        readonly=False,
        tracking=True,
        help="Receives the expiry alerts when the level names nobody: by default the partner's salesperson "
        "or the product's responsible.",
    )
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company, index=True)
    revoked = fields.Boolean(readonly=True, copy=False, tracking=True)
    revoked_date = fields.Date(string="Revoked On", readonly=True, copy=False)
    revoke_reason = fields.Text(readonly=True, copy=False)
    days_to_expiry = fields.Integer(
        compute="_compute_level",
        store=True,
        aggregator="min",
        help="Days left until the end of validity; refreshed every night.",
    )
    expiry_rule_id = fields.Many2one(
        "medical.expiry.rule",
        string="Expiry Level",
        compute="_compute_level",
        store=True,
        help="The qualification alert level the document is in.",
    )
    state = fields.Selection(
        [("valid", "Valid"), ("expiring", "Expiring"), ("expired", "Expired"), ("revoked", "Revoked")],
        compute="_compute_level",
        store=True,
        index=True,
    )
    note = fields.Html()

    _sql_constraints = [
        (
            "holder_check",
            "CHECK ((partner_id IS NULL) != (product_tmpl_id IS NULL))",
            "A qualification belongs to a partner or to a product.",
        ),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        qualifications = super().create(vals_list)
        qualifications._reopen_first_business_approvals()
        return qualifications

    def write(self, vals):
        if not SCOPE_FIELDS.intersection(vals):
            return super().write(vals)
        before = self.partner_id, self.product_tmpl_id
        res = super().write(vals)
        self._reopen_first_business_approvals(*before)
        return res

    def _reopen_first_business_approvals(self, partners=None, templates=None):
        """Reopen the approvals of the holders whose approved scope these documents changed."""
        self.env["medical.first.business.approval"]._reopen_changed_scopes(
            self.partner_id | (partners or self.env["res.partner"]),
            self.product_tmpl_id | (templates or self.env["product.template"]),
        )

    @api.depends("qualification_type")
    def _compute_holder(self):
        product_types = dict(PRODUCT_TYPES)
        for qualification in self:
            qualification.holder = (
                "product" if qualification.qualification_type in product_types else "partner"
            )

    @api.depends("partner_id", "product_tmpl_id")
    def _compute_user_id(self):
        for qualification in self:
            qualification.user_id = (
                qualification.partner_id.commercial_partner_id.user_id
                # A product's responsible defaults to whoever created it, OdooBot for data files.
                or qualification.product_tmpl_id.responsible_id.filtered("active")
                or qualification.user_id
            )

    @api.depends("date_end", "revoked", "qualification_type", "company_id")
    def _compute_level(self):
        levels = self.env["medical.expiry.rule"]._qualification_levels(self)
        for qualification in self:
            today = qualification.company_id._expiry_today()
            days = qualification.date_end and (qualification.date_end - today).days
            qualification.days_to_expiry = days
            qualification.expiry_rule_id = levels.get(qualification.id)
            if qualification.revoked:
                qualification.state = "revoked"
            elif days is not False and days < 0:
                qualification.state = "expired"
            elif qualification.expiry_rule_id:
                qualification.state = "expiring"
            else:
                qualification.state = "valid"

    @api.constrains("qualification_type", "partner_id", "product_tmpl_id", "date_start", "date_end")
    def _check_qualification(self):
        for qualification in self:
            if qualification.holder == "product" and not qualification.product_tmpl_id:
                raise ValidationError(self.env._("A %s belongs to a product.", qualification._type_label()))
            if qualification.holder == "partner" and not qualification.partner_id:
                raise ValidationError(self.env._("A %s belongs to a partner.", qualification._type_label()))
            if (
                qualification.date_start
                and qualification.date_end
                and qualification.date_start > qualification.date_end
            ):
                raise ValidationError(
                    self.env._(
                        "%(document)s: valid from %(start)s cannot be after valid to %(end)s.",
                        document=qualification.display_name,
                        start=qualification.date_start,
                        end=qualification.date_end,
                    )
                )

    @api.depends("qualification_type", "number")
    @api.depends_context("lang")  # the type's label: alerts are written in each reader's language
    def _compute_display_name(self):
        for qualification in self:
            qualification.display_name = f"{qualification._type_label()} {qualification.number or ''}".strip()

    def _type_label(self):
        return self._type_label_of(self.qualification_type)

    @api.model
    def _type_label_of(self, qualification_type):
        return dict(self._fields["qualification_type"]._description_selection(self.env)).get(
            qualification_type, ""
        )

    def _holder_record(self):
        return self.partner_id or self.product_tmpl_id

    @api.model
    def _action_view_for(self, holder):
        """The qualifications of a partner or product template, new ones filed for it."""
        field = "partner_id" if holder._name == "res.partner" else "product_tmpl_id"
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Qualifications of %s", holder.display_name),
            "res_model": self._name,
            "view_mode": "list,form",
            "domain": [(field, "=", holder.id)],
            "context": {f"default_{field}": holder.id},
        }

    def action_revoke(self):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Revoke Qualification"),
            "res_model": "medical.qualification.revoke.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_qualification_id": self.id},
        }

    # ------------------------------------------------------------------
    # Revocation
    # ------------------------------------------------------------------
    def _revoke(self, reason):
        """A document withdrawn by its authority stops counting at once, whatever its dates say."""
        self.env["res.users"]._check_expiry_compliance(self.env._("Revoke a Qualification"))
        if not (reason or "").strip():
            raise UserError(self.env._("Say why the qualification is revoked."))
        self.write(
            {"revoked": True, "revoked_date": self.company_id._expiry_today(), "revoke_reason": reason}
        )
        self.env["medical.audit.log"]._log(
            self,
            "qualification_revoke",
            new_values={document.id: {"revoked_date": document.revoked_date} for document in self},
            reason=reason,
        )

    # ------------------------------------------------------------------
    # Daily job and alerts
    # ------------------------------------------------------------------
    @api.model
    def _refresh_levels(self):
        """Days left change every day, rules any time: recompute the level of every dated document."""
        qualifications = self.with_context(active_test=False).search(
            ["|", ("date_end", "!=", False), ("expiry_rule_id", "!=", False)]
        )
        for name in QUALIFICATION_LEVEL_FIELDS:
            self.env.add_to_compute(self._fields[name], qualifications)
        qualifications.flush_recordset(QUALIFICATION_LEVEL_FIELDS)

    @api.model
    def _cron_qualification_alerts(self):
        """Daily: refresh the levels, then bring the alerts in line with them (idempotent)."""
        self._refresh_levels()
        alerting = self.search([("state", "in", ("expiring", "expired"))])
        open_alerts = self.env["mail.activity"].search(
            [
                ("res_model", "=", self._name),
                (
                    "activity_type_id",
                    "in",
                    [alert_type.id for alert_type in self._expiry_alert_types().values()],
                ),
            ]
        )
        (
            alerting | self.with_context(active_test=False).browse(open_alerts.mapped("res_id"))
        )._sync_expiry_alerts()

    def action_run_qualification_alerts(self):
        return self._action_run_alert_job(
            "_cron_qualification_alerts", self.env._("Qualification alerts are up to date.")
        )

    @api.model
    def _expiry_alert_types(self):
        return {
            "expiring": self.env.ref("medical_expiry.mail_activity_type_qualification_expiring"),
            "expired": self.env.ref("medical_expiry.mail_activity_type_qualification_expired"),
        }

    def _wanted_expiry_alerts(self):
        """{(id, activity type id, rule id): users}: one alert per responsible user for each document
        expiring or expired, unless archived or replaced by a valid renewal."""
        alert_types = self._expiry_alert_types()
        fallback = self.env.ref("medical_expiry.group_expiry_compliance").users
        alerting = self.filtered(lambda document: document.active and document.state in alert_types)
        wanted = {}
        for document in alerting - alerting._renewed():
            rule = document.expiry_rule_id
            users = rule.user_ids | rule.group_id.users or document.user_id.filtered("active") or fallback
            wanted[document.id, alert_types[document.state].id, rule.id or False] = users
        return wanted

    def _expiry_alert_summary(self):
        if self.state == "expired":
            return self.env._(
                "%(document)s of %(holder)s has expired",
                document=self.display_name,
                holder=self._holder_record().display_name,
            )
        return self.env._(
            "%(document)s of %(holder)s: %(days)s days left (%(level)s)",
            document=self.display_name,
            holder=self._holder_record().display_name,
            days=self.days_to_expiry,
            level=self.expiry_rule_id.name,
        )

    def _expiry_alert_closing_note(self):
        """Why the job closes an alert of this document, for its chatter."""
        if self._renewed():
            return self.env._("Closed by the qualification job: a valid renewal is on file.")
        if self.active and self.state in ("expiring", "expired"):
            return self.env._(
                "Closed by the qualification job: the document moved to another level (%s).",
                self._expiry_alert_summary(),
            )
        return self.env._("Closed by the qualification job: the document no longer needs attention.")
