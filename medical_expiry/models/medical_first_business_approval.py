import json
from contextlib import contextmanager

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, format_datetime

from .medical_qualification import SCOPED_TYPES
from .medical_signed_mixin import SignedAction

# GSP 首营审核: the documents quality checks before the first purchase, each satisfied by any one of its
# types. A supplier: its trading or production licence or filing, business licence, the authorisation
# letter of the salesperson it sends and the quality assurance agreement; a device: its registration
# certificate, or its filing certificate for class I.
SUPPLIER_CHECKLIST = [
    SCOPED_TYPES,
    ("business_licence",),
    ("authorization_letter",),
    ("quality_agreement",),
]
PRODUCT_CHECKLIST = [("registration_certificate", "filing_certificate")]
APPROVAL_STATES = [("draft", "Draft"), ("to_approve", "To Approve"), ("approved", "Approved")]
# Written only by the approval's own methods; the holder and company never change once created.
PROTECTED_FIELDS = {
    "state",
    "approved_scope",
    "signature_id",
    "approved_by_id",
    "approved_date",
    "reopen_reason",
    "partner_id",
    "product_tmpl_id",
    "company_id",
}
# Cursor cache key: the approvals whose protected fields their own method is writing.
WRITE_KEY = "medical_expiry.first_business_approvals_in_write"


class MedicalFirstBusinessApproval(models.Model):
    """首营审核: quality's signed approval of a supplier or of a device before the company first buys it.

    One per holder and company. The checklist is read from the qualifications on file; the approval
    keeps the scope it approved (the supplier's licensed classes and codes, the device's class, code and
    certificate numbers), and a change of that scope sends it back to draft.
    """

    _name = "medical.first.business.approval"
    _description = "First-Business Approval"
    _inherit = ["mail.thread", "mail.activity.mixin", "medical.signed.mixin"]
    _order = "state desc, id desc"

    def _signed_actions(self):
        return {
            "first_business_approval": SignedAction(
                self.env._("Approve First Business"),
                self.env._("First-Business Approved"),
                "_approve_first_business",
                "medical_expiry.group_expiry_compliance",
            ),
        }

    partner_id = fields.Many2one(
        "res.partner",
        string="Supplier",
        index="btree_not_null",
        ondelete="restrict",
        readonly=True,
        domain="[('is_company', '=', True)]",
    )
    product_tmpl_id = fields.Many2one(
        "product.template", string="Device", index="btree_not_null", ondelete="restrict", readonly=True
    )
    holder = fields.Selection(
        [("partner", "Supplier"), ("product", "Device")], compute="_compute_holder", store=True
    )
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, default=lambda self: self.env.company, index=True
    )
    state = fields.Selection(
        APPROVAL_STATES, required=True, default="draft", readonly=True, copy=False, tracking=True, index=True
    )
    checklist = fields.Html(compute="_compute_checklist", sanitize=False)
    missing_documents = fields.Text(compute="_compute_checklist")
    document_ids = fields.Many2many(
        "medical.qualification",
        compute="_compute_checklist",
        help="The valid documents on file that answer the checklist.",
    )
    approved_scope = fields.Text(readonly=True, copy=False, help="The scope approved, as JSON.")
    signature_id = fields.Many2one("medical.signature", readonly=True, copy=False, ondelete="restrict")
    approved_by_id = fields.Many2one("res.users", readonly=True, copy=False)
    approved_date = fields.Datetime(string="Approved On", readonly=True, copy=False)
    reopen_reason = fields.Text(string="Reopened Because", readonly=True, copy=False, tracking=True)
    note = fields.Html()

    _sql_constraints = [
        (
            "holder_check",
            "CHECK ((partner_id IS NULL) != (product_tmpl_id IS NULL))",
            "A first-business approval is for a supplier or for a device.",
        ),
        ("partner_unique", "UNIQUE(partner_id, company_id)", "A supplier has one approval per company."),
        ("product_unique", "UNIQUE(product_tmpl_id, company_id)", "A device has one approval per company."),
    ]

    @api.depends("partner_id", "product_tmpl_id")
    def _compute_holder(self):
        for approval in self:
            approval.holder = "partner" if approval.partner_id else "product"

    @api.depends("partner_id", "product_tmpl_id")
    def _compute_display_name(self):
        for approval in self:
            approval.display_name = self.env._(
                "First-Business Approval of %s", approval._holder().display_name
            )

    @api.depends("partner_id", "product_tmpl_id", "company_id")
    def _compute_checklist(self):
        for approval in self:
            items = approval._checklist()
            approval.document_ids = [document.id for _label, documents in items for document in documents]
            approval.missing_documents = (
                "\n".join(label for label, documents in items if not documents) or False
            )
            approval.checklist = approval._checklist_html(items)

    # ------------------------------------------------------------------
    # The checklist and the scope
    # ------------------------------------------------------------------
    def _holder(self):
        return self.partner_id or self.product_tmpl_id

    def _on_file(self):
        """The active documents of the holder the company keeps on file (read whoever asks)."""
        field = "partner_id" if self.partner_id else "product_tmpl_id"
        return (
            self.env["medical.qualification"]
            .sudo()
            .search([(field, "=", self._holder().id), ("company_id", "in", [False, self.company_id.id])])
        )

    def _checklist(self):
        """[(label, valid documents answering it)], one item per document GSP asks for."""
        self.ensure_one()
        Qualification = self.env["medical.qualification"]
        valid = self._on_file()._filter_valid_today()
        return [
            (
                " / ".join(Qualification._type_label_of(kind) for kind in kinds),
                valid.filtered(lambda document, kinds=kinds: document.qualification_type in kinds),
            )
            for kinds in (SUPPLIER_CHECKLIST if self.partner_id else PRODUCT_CHECKLIST)
        ]

    def _checklist_html(self, items):
        no_end = self.env._("no end")
        rows = Markup("").join(
            Markup("<tr><td>{mark}</td><td>{label}</td><td>{documents}</td></tr>").format(
                mark="✔" if documents else "✘",
                label=label,
                documents=", ".join(
                    f"{document.number} ({document.date_end or no_end})" for document in documents
                )
                or self.env._("Missing or lapsed"),
            )
            for label, documents in items
        )
        return Markup('<table class="table table-sm o_first_business_checklist">{}</table>').format(rows)

    def _check_checklist_complete(self):
        for approval in self:
            missing = approval.missing_documents
            if missing:
                raise UserError(
                    self.env._(
                        "%(approval)s cannot go on: these documents are missing or have lapsed:\n%(missing)s",
                        approval=approval.display_name,
                        missing="\n".join(f"• {line}" for line in missing.splitlines()),
                    )
                )

    def _current_scope(self):
        """What quality approves, as canonical JSON: a supplier's licensed classes and classification codes;
        a device's class, classification code and certificate numbers. Dates are left out: a renewal on the
        same scope changes nothing."""
        self.ensure_one()
        documents = self._on_file().filtered(lambda document: not document.revoked)
        if self.partner_id:
            scope = sorted(
                {
                    (
                        document.qualification_type,
                        document.covers_class_1,
                        document.covers_class_2,
                        document.covers_class_3,
                        ",".join(sorted(document._scope_code_list())),
                    )
                    for document in documents
                    if document.qualification_type in SCOPED_TYPES
                }
            )
        else:
            template = self.product_tmpl_id
            scope = [
                template.medical_device_class or "",
                (template.device_category_code or "").strip(),
                sorted(
                    {
                        document.number
                        for document in documents
                        if document.qualification_type in PRODUCT_CHECKLIST[0]
                    }
                ),
            ]
        return json.dumps(scope, ensure_ascii=False)

    # ------------------------------------------------------------------
    # Protected fields: written through the methods below only
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            written = PROTECTED_FIELDS.intersection(vals) - {"partner_id", "product_tmpl_id", "company_id"}
            if written:
                raise UserError(self._protected_message(written))
        return super().create(vals_list)

    def write(self, vals):
        written = PROTECTED_FIELDS.intersection(vals)
        if written and not (self and set(self.ids) <= self.env.cr.cache.get(WRITE_KEY, frozenset())):
            raise UserError(self._protected_message(written))
        return super().write(vals)

    def _protected_message(self, names):
        return self.env._(
            "The state of a first-business approval and what it approved (%(fields)s) change only through "
            "its Submit, Approve and Send Back actions: they cannot be written directly.",
            fields=", ".join(sorted(self._fields[name]._description_string(self.env) for name in names)),
        )

    @contextmanager
    def _writing_protected_fields(self):
        cache = self.env.cr.cache
        previous = cache.get(WRITE_KEY, frozenset())
        cache[WRITE_KEY] = previous | frozenset(self.ids)
        try:
            yield
        finally:
            cache[WRITE_KEY] = previous

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(self.env._("First-business approvals are GSP records: they cannot be deleted."))

    # ------------------------------------------------------------------
    # Steps: submit, approve (signed by quality), send back, reopen
    # ------------------------------------------------------------------
    def action_submit(self):
        """Purchasing asks quality to approve, once every document of the checklist is on file."""
        self._check_state("draft")
        self._check_checklist_complete()
        with self._writing_protected_fields():
            self.write({"state": "to_approve"})
        approver = self._approver_to_notify()
        for approval in self:
            # Written for the approver: in their language, not the submitter's.
            reader = approval.with_context(lang=approval.company_id._expiry_lang(approver))
            approval.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=reader.env._("Approve %s", reader._holder().display_name),
                user_id=approver.id,
            )

    def _approver_to_notify(self):
        approvers = self.env.ref("medical_expiry.group_expiry_compliance").users.filtered(
            lambda user: self.company_id in user.company_ids
        )
        return approvers[:1] or self.env.user

    def action_approve(self):
        self._check_state("to_approve")
        self._check_checklist_complete()
        return self._action_request_signature("first_business_approval")

    def _approve_first_business(self):
        """The signed action: quality approves the supplier or device, its documents and its scope."""
        self._check_state("to_approve")
        self._check_checklist_complete()
        signature = self._spend_signature("first_business_approval")
        self._write_approved(signature)
        self.activity_unlink(["mail.mail_activity_data_todo"])
        self._log_signed_action(
            "first_business_approval",
            signature,
            old_values={approval.id: {"state": "to_approve"} for approval in self},
            new_values={
                approval.id: {"state": "approved", "documents": approval.document_ids.mapped("display_name")}
                for approval in self
            },
        )

    def _write_approved(self, signature=None):
        """Approved now by the current user, on the scope the documents on file give today."""
        now = fields.Datetime.now()
        for approval in self:
            with approval._writing_protected_fields():
                approval.write(
                    {
                        "state": "approved",
                        "approved_scope": approval._current_scope(),
                        "signature_id": signature.id if signature else False,
                        "approved_by_id": self.env.uid,
                        "approved_date": now,
                        "reopen_reason": False,
                    }
                )

    def action_send_back(self):
        """Quality refuses the request: it returns to purchasing, in draft."""
        self._check_state("to_approve")
        self._check_quality()
        # The reason goes to the chatter and the approval's record: in the company's language.
        company_env = self.with_context(lang=self.company_id[:1]._expiry_lang()).env
        self._reopen(company_env._("Sent back by %s.", self.env.user.name))

    def _check_quality(self):
        if not (self.env.su or self.env.user.has_group("medical_expiry.group_expiry_compliance")):
            raise AccessError(
                self.env._("Only compliance officers (quality) decide first-business approvals.")
            )

    def _check_state(self, state):
        wrong = self.filtered(lambda approval: approval.state != state)
        if wrong:
            states = dict(self._fields["state"]._description_selection(self.env))
            raise UserError(
                self.env._(
                    "%(approvals)s: only an approval in “%(state)s” can do this.",
                    approvals=", ".join(wrong.mapped("display_name")),
                    state=states[state],
                )
            )

    def _reopen(self, reason):
        """Back to draft, saying why; an approval that was granted is logged as withdrawn."""
        approved = self.filtered(lambda approval: approval.state == "approved")
        old = {approval.id: {"state": approval.state} for approval in self}
        with self._writing_protected_fields():
            self.write({"state": "draft", "reopen_reason": reason})
        self.activity_unlink(["mail.mail_activity_data_todo"])
        for approval in self:
            approval.message_post(body=reason)
        if approved:
            self.env["medical.audit.log"]._log(
                approved, "first_business_reopen", old_values=old, reason=reason
            )

    @api.model
    def _reopen_changed_scopes(self, partners, templates):
        """Reopen the approved approvals of these holders whose scope is no longer the one approved."""
        approvals = self.sudo().search(
            [
                ("state", "=", "approved"),
                "|",
                ("partner_id", "in", partners.commercial_partner_id.ids),
                ("product_tmpl_id", "in", templates.ids),
            ]
        )
        for approval in approvals:
            if approval._current_scope() != approval.approved_scope:
                approval._reopen(
                    self.env._(
                        "The scope of %s changed (licence, registration certificate, class or classification "
                        "code): quality must approve it again.",
                        approval._holder().display_name,
                    )
                )

    def _report_heading(self):
        """How the qualification report heads this approval's documents."""
        if self.state == "approved":
            return self.env._(
                "First-business approval of %(holder)s: approved on %(date)s by %(signer)s",
                holder=self._holder().display_name,
                date=format_datetime(self.env, self.approved_date, dt_format="short"),
                signer=self.approved_by_id.name,
            )
        return self.env._(
            "First-business approval of %(holder)s: %(state)s",
            holder=self._holder().display_name,
            state=dict(self._fields["state"]._description_selection(self.env))[self.state],
        )

    @api.model
    def _approve_holders_already_bought(self):
        """Record as approved the suppliers and devices each company already ordered from, once, when
        first-business approval becomes required of a database that bought without it.

        What was bought yesterday is not refused today; a new supplier or device is. Each approval is
        logged with the reason, for quality to review.
        """
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT DISTINCT purchase.company_id, partner.commercial_partner_id, product.product_tmpl_id
                  FROM purchase_order_line line
                  JOIN purchase_order purchase ON purchase.id = line.order_id
                  JOIN res_partner partner ON partner.id = purchase.partner_id
                  JOIN product_product product ON product.id = line.product_id
                  JOIN product_template template ON template.id = product.product_tmpl_id
                 WHERE purchase.state != 'cancel' AND template.medical_device_class IS NOT NULL
                """
            )
        )
        approvals = self.browse()
        for company_id, partner_id, template_id in self.env.cr.fetchall():
            company = self.env["res.company"].browse(company_id)
            approvals |= self._approval_of(self.env["res.partner"].browse(partner_id), company)
            approvals |= self._approval_of(self.env["product.template"].browse(template_id), company)
        approvals = approvals.filtered(lambda approval: approval.state != "approved")
        old_states = {approval.id: {"state": approval.state} for approval in approvals}
        approvals._write_approved()
        for company, company_approvals in approvals.grouped("company_id").items():
            reason = self.with_context(lang=company._expiry_lang()).env._(
                "Bought from before first-business approval (首营审核) was required: recorded as approved "
                "at the upgrade. Quality should review its documents."
            )
            for approval in company_approvals:
                approval.message_post(body=reason)
            self.env["medical.audit.log"]._log(
                company_approvals,
                "first_business_approval",
                old_values=old_states,
                new_values={approval.id: {"state": "approved"} for approval in company_approvals},
                reason=reason,
            )
        return approvals

    # ------------------------------------------------------------------
    # The purchase guard
    # ------------------------------------------------------------------
    @api.model
    def _purchase_problems(self, partner, products, company):
        """Why ``company`` may not yet buy ``products`` from ``partner``: messages, none when it may.

        Only medical devices, and only where the company requires first-business approval.
        """
        devices = products.filtered("medical_device_class").product_tmpl_id
        partner = partner.commercial_partner_id
        if not (company.first_business_approval_required and devices and partner):
            return []
        approved = self.sudo().search(
            [
                ("company_id", "=", company.id),
                ("state", "=", "approved"),
                "|",
                ("partner_id", "=", partner.id),
                ("product_tmpl_id", "in", devices.ids),
            ]
        )
        problems = []
        if partner not in approved.partner_id:
            problems.append(
                self.env._(
                    "%s has no first-business approval (首营审核): quality must approve the supplier before "
                    "medical devices are bought from it.",
                    partner.display_name,
                )
            )
        problems += [
            self.env._(
                "%s has no first-business approval (首营审核): quality must approve the device before it is "
                "first bought.",
                device.display_name,
            )
            for device in devices - approved.product_tmpl_id
        ]
        return problems

    @api.model
    def _approval_of(self, holder, company):
        """The approval of a supplier (its commercial partner) or device template in ``company``, created
        in draft when there is none yet."""
        field = "partner_id" if holder._name == "res.partner" else "product_tmpl_id"
        holder = holder.commercial_partner_id if field == "partner_id" else holder
        domain = [(field, "=", holder.id), ("company_id", "=", company.id)]
        return self.search(domain, limit=1) or self.create({field: holder.id, "company_id": company.id})
