from collections import defaultdict

from markupsafe import Markup

from odoo import api, models
from odoo.exceptions import UserError

from .medical_override import QUALIFICATION_OVERRIDE
from .medical_qualification import LICENSED_CLASSES, PRACTICE_LICENCE, SCOPED_TYPES


class MedicalQualification(models.Model):
    """Which holders are qualified today: the one rule the qualification guards apply."""

    _inherit = "medical.qualification"  # pylint: disable=consider-merging-classes-inherited

    def _filter_valid_today(self):
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

    def _get_holder_and_type(self):
        """What a renewal shares with the document it replaces: the holder and the type."""
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
        )._filter_valid_today()
        ends = defaultdict(list)
        for document in counting:
            ends[document._get_holder_and_type()].append((document, document.date_end))
        return self.filtered(
            lambda document: any(
                other != document
                and (
                    not document._filter_valid_today()
                    or not end
                    or (document.date_end and end > document.date_end)
                )
                for other, end in ends[document._get_holder_and_type()]
            )
        )

    def _lapsed(self):
        """The latest lapsed document of each holder and type that has no valid replacement."""
        latest = {}
        for document in (self - self._filter_valid_today() - self._renewed()).sorted(
            lambda document: document.date_end or document.revoked_date
        ):
            latest[document._get_holder_and_type()] = document
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
        licences = on_file.filtered(
            lambda document: document.qualification_type in SCOPED_TYPES
        )._filter_valid_today()
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
        if self.env["medical.override"]._reason_of(document, QUALIFICATION_OVERRIDE):
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
        # The chatter and the audit row are read by the company's inspectors: in its language.
        company_env = self.with_context(lang=document.company_id._expiry_lang()).env
        document.message_post(
            body=Markup("<br/>").join(problems), subject=company_env._("Qualification warning")
        )
        self.env["medical.audit.log"]._log(
            document,
            "guard_override",
            new_values={document.id: {"qualification_problems": problems}},
            reason=self.env["medical.override"]._reason_of(document, QUALIFICATION_OVERRIDE)
            or company_env._("The company's qualification policy warns."),
        )
