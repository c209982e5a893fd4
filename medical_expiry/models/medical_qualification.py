from collections import defaultdict

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from .medical_override import QUALIFICATION_OVERRIDE, override_reason

# GSP 首营审核: the paperwork a distributor keeps on file for its partners and for the devices it trades.
PARTNER_TYPES = [
    ("device_trade_licence", "Medical Device Trading Licence"),
    ("device_trade_filing", "Medical Device Trading Filing"),
    ("production_licence", "Medical Device Production Licence"),
    ("business_licence", "Business Licence"),
    ("practice_licence", "Medical Institution Practice Licence"),
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
LEVEL_FIELDS = ["days_to_expiry", "expiry_rule_id", "state"]


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
    # Which holders are qualified: the one rule the guards apply
    # ------------------------------------------------------------------
    def _counts(self):
        """Valid today in the company's time zone, judged when asked and not from the state the nightly job
        stores: not revoked, not past its end (an expiring document still counts)."""
        return self.filtered(
            lambda qualification: (
                not qualification.revoked
                and (
                    not qualification.date_end
                    or qualification.date_end >= qualification.company_id._expiry_today()
                )
            )
        )

    def _kind(self):
        return self.partner_id.id, self.product_tmpl_id.id, self.qualification_type

    def _renewed(self):
        """These documents whose holder has another valid one of the same type that replaces them: any,
        for a lapsed document; one valid for longer, for a document still valid."""
        counting = self.search(
            [
                ("revoked", "=", False),
                ("qualification_type", "in", self.mapped("qualification_type")),
                "|",
                ("partner_id", "in", self.partner_id.ids),
                ("product_tmpl_id", "in", self.product_tmpl_id.ids),
            ]
        )._counts()
        ends = defaultdict(list)
        for document in counting:
            ends[document._kind()].append((document, document.date_end))
        return self.filtered(
            lambda document: any(
                other != document
                and (not document._counts() or not end or (document.date_end and end > document.date_end))
                for other, end in ends[document._kind()]
            )
        )

    def _lapsed(self):
        """The latest lapsed document of each holder and type that has no valid replacement."""
        latest = {}
        for document in (self - self._counts() - self._renewed()).sorted(
            lambda document: document.date_end or document.revoked_date
        ):
            latest[document._kind()] = document
        return self.browse([document.id for document in latest.values()])

    def _lapse_message(self):
        if self.revoked:
            return self.env._(
                "%(holder)s: %(document)s was revoked on %(date)s.",
                holder=self._holder_record().display_name,
                document=self.display_name,
                date=self.revoked_date,
            )
        return self.env._(
            "%(holder)s: %(document)s expired on %(date)s.",
            holder=self._holder_record().display_name,
            document=self.display_name,
            date=self.date_end,
        )

    def _covers(self, product):
        """Whether this licence's scope includes the product's class and classification code."""
        return self._covers_class(product) and self._covers_code(product)

    def _covers_class(self, product):
        return self[f"covers_class_{product.medical_device_class}"]

    def _scope_code_list(self):
        return [
            code.strip() for code in (self.scope_codes or "").replace("，", ",").split(",") if code.strip()
        ]

    def _covers_code(self, product):
        """Whether this licence's scope includes the product's classification code (a code covers its
        sub-codes: 14 covers 14-01-02)."""
        codes = self._scope_code_list()
        product_code = (product.device_category_code or "").strip()
        return (
            not codes
            or not product_code
            or any(product_code == code or product_code.startswith(f"{code}-") for code in codes)
        )

    @api.model
    def _on_file(self, domain):
        """The documents the company keeps on file: read for whoever confirms or validates (a salesman may
        not read qualifications, the guard still holds for him)."""
        return self.sudo().search([*domain, ("company_id", "in", [False, self.env.company.id])])

    @api.model
    def _partner_problems(self, partner, products, supplier=False):
        """Why ``partner`` may not trade ``products`` today: messages, none when it may.

        Only medical devices are checked. Each type of document the partner holds that lapsed without a
        valid replacement is a problem, and so is each document it must hold and has none of on file: a
        supplier, or a customer that is a distributor, a licence or filing covering each class II or III
        device; a customer that is a medical institution, its practice licence. A customer whose kind is not
        set is judged by the documents it keeps on file, and refused when it keeps none of either kind.
        """
        partner = partner.commercial_partner_id
        devices = products.filtered("medical_device_class")
        if not partner or not devices:
            return []
        on_file = self._on_file([("partner_id", "=", partner.id)])
        kind = "distributor" if supplier else self._customer_kind(partner, on_file)
        licensed = devices.filtered(lambda device: device.medical_device_class in LICENSED_CLASSES)
        problems = [
            document._lapse_message()
            for document in on_file._lapsed()
            # A lapsed trading licence does not matter for class I devices, which need none.
            if licensed or document.qualification_type not in SCOPED_TYPES
        ]
        if kind == "distributor":
            problems += self._scope_problems(partner, on_file, licensed)
        elif kind == "institution":
            if not on_file.filtered(lambda document: document.qualification_type == PRACTICE_LICENCE):
                problems.append(
                    self.env._(
                        "%(partner)s has no %(document)s on file.",
                        partner=partner.display_name,
                        document=self._type_label_of(PRACTICE_LICENCE),
                    )
                )
        else:
            problems.append(
                self.env._(
                    "%(partner)s has neither a %(practice)s (a medical institution) nor a %(trade)s or "
                    "%(filing)s (a distributor) on file.",
                    partner=partner.display_name,
                    practice=self._type_label_of(PRACTICE_LICENCE),
                    trade=self._type_label_of("device_trade_licence"),
                    filing=self._type_label_of("device_trade_filing"),
                )
            )
        return problems

    @api.model
    def _customer_kind(self, partner, on_file):
        """institution, distributor, or unknown when neither the partner nor its documents say."""
        if partner.medical_customer_type:
            return partner.medical_customer_type
        types_on_file = set(on_file.mapped("qualification_type"))
        if PRACTICE_LICENCE in types_on_file:
            return "institution"
        if types_on_file & set(SCOPED_TYPES):
            return "distributor"
        return "unknown"

    @api.model
    def _scope_problems(self, partner, on_file, devices):
        """Each of ``devices`` that no valid licence or filing of ``partner`` covers, saying what is missing:
        any licence, the device's class, or its classification code."""
        licences = on_file.filtered(lambda document: document.qualification_type in SCOPED_TYPES)._counts()
        device_classes = dict(devices._fields["medical_device_class"]._description_selection(self.env))
        problems = []
        for device in devices:
            if any(licence._covers(device) for licence in licences):
                continue
            device_class = device_classes[device.medical_device_class]
            covering_class = licences.filtered(lambda licence, device=device: licence._covers_class(device))
            if not licences:
                problems.append(
                    self.env._(
                        "%(partner)s holds no valid licence or filing for medical devices, which %(product)s "
                        "(%(device_class)s) needs.",
                        partner=partner.display_name,
                        product=device.display_name,
                        device_class=device_class,
                    )
                )
            elif not covering_class:
                problems.append(
                    self.env._(
                        "%(partner)s holds no valid licence covering %(device_class)s, the class of "
                        "%(product)s.",
                        partner=partner.display_name,
                        product=device.display_name,
                        device_class=device_class,
                    )
                )
            else:
                problems.append(
                    self.env._(
                        "%(partner)s holds no valid licence covering classification code %(code)s of "
                        "%(product)s: its %(device_class)s scope is %(scope)s.",
                        partner=partner.display_name,
                        code=device.device_category_code,
                        product=device.display_name,
                        scope=", ".join(dict.fromkeys(covering_class._scope_code_list())),
                        device_class=device_class,
                    )
                )
        return problems

    @api.model
    def _product_problems(self, products):
        """Why ``products`` may not be received today: their registrations or filings that lapsed."""
        if not products:
            return []
        on_file = self._on_file([("product_tmpl_id", "in", products.product_tmpl_id.ids)])
        return [document._lapse_message() for document in on_file._lapsed()]

    @api.model
    def _check_guard(self, document, problems):
        """The company's qualification policy: under *block*, refuse ``document`` unless a manager
        overrides with a reason (``_run_overriding_qualifications``)."""
        if not problems:
            return
        if override_reason(document, QUALIFICATION_OVERRIDE):
            return
        if document.company_id.qualification_policy == "block":
            raise UserError(
                self.env._(
                    "%(document)s cannot go on: a qualification is missing or has lapsed.\n%(problems)s\n"
                    "Renew the document, or ask an expiry manager to override with a reason.",
                    document=document.display_name,
                    problems="\n".join(f"• {problem}" for problem in dict.fromkeys(problems)),
                )
            )

    @api.model
    def _log_guard_pass(self, document, problems):
        """A document that went on despite its problems (policy *warn*, or overridden): note, audit row."""
        if not problems:
            return
        problems = list(dict.fromkeys(problems))
        document.message_post(
            body=Markup("<br/>").join(problems), subject=self.env._("Qualification warning")
        )
        self.env["medical.audit.log"]._log(
            document,
            "guard_override",
            new_values={document.id: {"qualification_problems": problems}},
            reason=override_reason(document, QUALIFICATION_OVERRIDE)
            or self.env._("The company's qualification policy warns."),
        )

    def _check_override_allowed(self):
        self.env["res.users"]._check_expiry_manager(self.env._("Override a Qualification Check"))

    # ------------------------------------------------------------------
    # Daily job and alerts
    # ------------------------------------------------------------------
    @api.model
    def _refresh_levels(self):
        """Days left change every day, rules any time: recompute the level of every dated document."""
        qualifications = self.with_context(active_test=False).search(
            ["|", ("date_end", "!=", False), ("expiry_rule_id", "!=", False)]
        )
        for name in LEVEL_FIELDS:
            self.env.add_to_compute(self._fields[name], qualifications)
        qualifications.flush_recordset(LEVEL_FIELDS)

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
