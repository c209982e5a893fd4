from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged
from odoo.tools import format_datetime

from .common import PASSWORD
from .qualification_common import QualificationCase


@tagged("post_install", "-at_install")
class TestFirstBusinessApproval(QualificationCase):
    """首营审核: quality's signed approval of a supplier and of a device before the first purchase."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write({"first_business_approval_required": True, "qualification_policy": "block"})
        cls.business_licence = cls._qualify(cls.supplier, "business_licence", 900)
        cls.letter = cls._qualify(cls.supplier, "authorization_letter", 365, authorized_person="Li Lei")
        cls.agreement = cls._qualify(cls.supplier, "quality_agreement", 365)
        cls.registration = cls._qualify(
            cls.syringe, "registration_certificate", 900, number="国械注准20203140001"
        )
        cls.gauze = cls._create_product("Gauze", cls.categ_device, medical_device_class=False)
        cls.purchaser = cls.env["res.users"].create(
            {
                "name": "Purchaser",
                "login": "first_business_purchaser",
                "email": "purchaser@example.com",
                "password": PASSWORD,
                "groups_id": [Command.set([cls.env.ref("purchase.group_purchase_user").id])],
            }
        )
        cls.Approval = cls.env["medical.first.business.approval"]

    def _purchase(self, product=None, supplier=None, user=None):
        return (
            self.env["purchase.order"]
            .with_user(user or self.env.user)
            .create(
                {
                    "partner_id": (supplier or self.supplier).id,
                    "order_line": [
                        Command.create(
                            {"product_id": (product or self.syringe).id, "product_qty": 5, "price_unit": 2}
                        )
                    ],
                }
            )
        )

    def _approval(self, holder, user=None):
        holder = holder.with_user(user or self.purchaser)
        action = holder.action_open_first_business_approval()
        return self.Approval.with_user(user or self.purchaser).browse(action["res_id"])

    def _approve(self, holder):
        """Submitted by purchasing, approved and signed by quality, through the buttons."""
        approval = self._approval(holder)
        approval.action_submit()
        action = approval.with_user(self.compliance_officer).action_approve()
        self._sign_in_wizard(self.compliance_officer, action).action_sign()
        return approval

    # ------------------------------------------------------------------
    # The purchase guard
    # ------------------------------------------------------------------
    def test_purchase_from_an_unapproved_supplier_is_refused_naming_it(self):
        self._approve(self.syringe.product_tmpl_id)
        order = self._purchase()
        with self.assertRaisesRegex(UserError, "Supplier has no first-business approval"):
            order.button_confirm()
        self.assertEqual(order.state, "draft")

    def test_purchase_of_an_unapproved_device_is_refused_naming_it(self):
        self._approve(self.supplier)
        order = self._purchase()
        with self.assertRaisesRegex(UserError, "Syringe has no first-business approval"):
            order.button_confirm()
        self.assertEqual(order.state, "draft")
        self.assertIn("Syringe has no first-business approval", order.qualification_alert)

    def test_a_chinese_buyer_reads_the_refusal_in_chinese(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        # The web client sends the user's language in the context of every call.
        order = self._purchase(user=self.purchaser).with_context(lang="zh_CN")
        with self.assertRaisesRegex(UserError, "Supplier 尚未通过首营审核：须经质量部门批准该供应商后"):
            order.button_confirm()
        self.assertEqual(order.state, "draft")

    def test_the_checklist_reads_in_the_readers_language(self):
        """A document without an end reads 长期有效 in a Chinese checklist, not English."""
        self.env["res.lang"]._activate_lang("zh_CN")
        self._qualify(self.supplier, "business_licence", None, number="BL-NO-END")
        approval = self._approval(self.supplier).with_context(lang="zh_CN")
        self.assertIn("BL-NO-END (长期有效)", approval.checklist)

    def test_purchase_of_approved_devices_from_an_approved_supplier_is_confirmed(self):
        self._approve(self.supplier)
        self._approve(self.syringe.product_tmpl_id)
        order = self._purchase(user=self.purchaser)
        order.button_confirm()
        self.assertEqual(order.state, "purchase")

    def test_other_goods_need_no_approval(self):
        order = self._purchase(self.gauze)
        order.button_confirm()
        self.assertEqual(order.state, "purchase")

    def test_warn_policy_confirms_and_flags_the_order(self):
        self.company.qualification_policy = "warn"
        order = self._purchase()
        order.button_confirm()
        self.assertEqual(order.state, "purchase")
        self.assertIn("first-business approval", order.message_ids[:1].body)
        self.assertTrue(self._audit_rows(order, "guard_override"))

    def test_a_company_that_does_not_require_it_buys_without_approval(self):
        self.company.first_business_approval_required = False
        order = self._purchase()
        order.button_confirm()
        self.assertEqual(order.state, "purchase")

    def test_an_approval_in_another_company_does_not_count(self):
        other = self.env["res.company"].create({"name": "Other Distributor"})
        # The documents are shared: only the approval is the company's own.
        self.env["medical.qualification"].search([("partner_id", "=", self.supplier.id)]).company_id = False
        self.registration.company_id = False
        self.purchaser.write({"company_ids": [Command.link(other.id)], "company_id": other.id})
        self.compliance_officer.write({"company_ids": [Command.link(other.id)], "company_id": other.id})
        self._approve(self.supplier.with_company(other))
        self._approve(self.syringe.product_tmpl_id.with_company(other))
        order = self._purchase()
        with self.assertRaisesRegex(UserError, "no first-business approval"):
            order.button_confirm()
        # Nor does a user of the first company read the other's approvals.
        self.stock_user.company_ids = self.company
        self.assertFalse(self.Approval.with_user(self.stock_user).search([("company_id", "=", other.id)]))

    # ------------------------------------------------------------------
    # The steps
    # ------------------------------------------------------------------
    def test_quality_approves_with_a_signature_kept_in_the_audit_log(self):
        approval = self._approve(self.supplier)
        self.assertEqual(approval.state, "approved")
        self.assertEqual(self.supplier.first_business_state, "approved")
        self.assertEqual(approval.approved_by_id, self.compliance_officer)
        self.assertEqual(approval.sudo().signature_id.signed_action, "first_business_approval")
        self.assertEqual(
            approval.sudo().document_ids,
            self.supplier_licence | self.business_licence | self.letter | self.agreement,
        )
        row = self._audit_rows(approval, "first_business_approval")
        self.assertEqual(row.signature_id, approval.sudo().signature_id)

    def test_submission_with_a_missing_document_is_refused_listing_it(self):
        self.agreement.active = False
        approval = self._approval(self.supplier)
        with self.assertRaisesRegex(UserError, "Quality Assurance Agreement"):
            approval.action_submit()
        self.assertEqual(approval.state, "draft")

    def test_a_lapsed_authorisation_letter_is_missing(self):
        approval = self._approval(self.supplier)
        self._pass_days(400)
        self.assertIn("Salesperson Authorisation Letter", approval.missing_documents)
        with self.assertRaisesRegex(UserError, "Salesperson Authorisation Letter"):
            approval.action_submit()

    def test_a_device_needs_its_registration_certificate(self):
        self.registration.active = False
        approval = self._approval(self.syringe.product_tmpl_id)
        with self.assertRaisesRegex(UserError, "Device Registration Certificate"):
            approval.action_submit()
        self.assertEqual(approval.state, "draft")

    def test_only_quality_approves_or_sends_back(self):
        approval = self._approval(self.supplier)
        approval.action_submit()
        with self.assertRaises(AccessError):
            approval.with_user(self.manager).action_approve()
        with self.assertRaises(AccessError):
            approval.with_user(self.manager).action_send_back()
        self.assertEqual(approval.state, "to_approve")

    def test_approval_without_a_signature_is_refused(self):
        approval = self._approval(self.supplier)
        approval.action_submit()
        with self.assertRaisesRegex(UserError, "needs your electronic signature"):
            approval.with_user(self.compliance_officer)._approve_first_business()
        self.assertEqual(approval.state, "to_approve")

    def test_quality_sends_a_request_back_to_draft(self):
        approval = self._approval(self.supplier)
        approval.action_submit()
        approval.with_user(self.compliance_officer).action_send_back()
        self.assertEqual(approval.state, "draft")
        self.assertIn("Compliance Officer", approval.reopen_reason)

    def test_the_state_is_never_written_directly(self):
        approval = self._approval(self.supplier)
        for user in (self.purchaser, self.compliance_officer):
            for vals in (
                {"state": "approved"},
                {"approved_by_id": user.id},
                {"partner_id": self.hospital.id},
            ):
                with self.assertRaisesRegex(UserError, "cannot be written directly"):
                    approval.with_user(user).write(vals)
        approval.invalidate_recordset()
        self.assertEqual(
            (approval.state, approval.approved_by_id, approval.partner_id),
            ("draft", self.env["res.users"], self.supplier),
        )
        with self.assertRaisesRegex(UserError, "cannot be written directly"):
            self.Approval.with_user(self.purchaser).create(
                {"partner_id": self.hospital.id, "state": "approved"}
            )
        self.assertFalse(self.Approval.search([("partner_id", "=", self.hospital.id)]))

    def test_an_approval_is_never_deleted(self):
        approval = self._approval(self.supplier)
        with self.assertRaisesRegex(UserError, "cannot be deleted"):
            approval.sudo().unlink()
        self.assertTrue(approval.exists())

    # ------------------------------------------------------------------
    # Changes of scope
    # ------------------------------------------------------------------
    def test_a_change_of_the_licensed_scope_reopens_the_supplier(self):
        approval = self._approve(self.supplier)
        self.supplier_licence.scope_codes = "14"
        self.assertEqual(approval.state, "draft")
        self.assertIn("scope of Supplier changed", approval.reopen_reason)
        self.assertTrue(self._audit_rows(approval, "first_business_reopen"))
        with self.assertRaisesRegex(UserError, "Supplier has no first-business approval"):
            self._purchase().button_confirm()

    def test_a_revoked_licence_reopens_the_supplier(self):
        approval = self._approve(self.supplier)
        self.supplier_licence.with_user(self.compliance_officer)._revoke("Licence withdrawn")
        self.assertEqual(approval.state, "draft")

    def test_a_renewal_on_the_same_scope_keeps_the_approval(self):
        approval = self._approve(self.supplier)
        self._qualify(
            self.supplier,
            "device_trade_licence",
            1800,
            number="RENEWED",
            covers_class_2=True,
            covers_class_3=True,
        )
        self._qualify(self.supplier, "authorization_letter", 730, number="LETTER-2027")
        self.assertEqual(approval.state, "approved")

    def test_a_new_registration_certificate_or_classification_reopens_the_device(self):
        approval = self._approve(self.syringe.product_tmpl_id)
        self._qualify(self.syringe, "registration_certificate", 1800, number="国械注准20263140099")
        self.assertEqual(approval.state, "draft")
        approval = self._approve(self.syringe.product_tmpl_id)
        self.syringe.device_category_code = "14-01-02"
        self.assertEqual(approval.state, "draft")

    # ------------------------------------------------------------------
    # The qualification report
    # ------------------------------------------------------------------
    def test_the_qualification_report_lists_approvals_and_their_documents(self):
        approval = self._approve(self.supplier)
        self._approval(self.syringe.product_tmpl_id).action_submit()
        wizard = (
            self.env["medical.qualification.report.wizard"]
            .with_user(self.compliance_officer)
            .create({"days": 0, "include_lapsed": False, "include_approvals": True})
        )
        rows = self._read_xlsx(wizard.action_export_xlsx(), user=self.compliance_officer)
        heading = (
            "First-business approval of Supplier: approved on "
            f"{format_datetime(self.env, approval.approved_date, dt_format='short')} by Compliance Officer"
        )
        self.assertEqual(
            [(row[0], row[2]) for row in rows[3:]],
            [
                (heading, document.number)
                for document in (self.supplier_licence, self.business_licence, self.letter, self.agreement)
            ]
            + [("First-business approval of Syringe: To Approve", self.registration.number)],
        )
        action = wizard.action_print_pdf()
        _pdf, text = self._render_pdf(action["report_name"], wizard, data=action["data"])
        self.assertIn("First-business approval of Syringe: To Approve", text)


@tagged("post_install", "-at_install")
class TestFirstBusinessApprovalTour(HttpCase, QualificationCase):
    def test_purchasing_submits_and_quality_signs_in_the_browser(self):
        for kind in ("business_licence", "authorization_letter", "quality_agreement"):
            self._qualify(self.supplier, kind, 365)
        admin = self.env.ref("base.user_admin")
        admin.groups_id |= self.env.ref("medical_expiry.group_expiry_compliance")
        approval = self.env["medical.first.business.approval"]._approval_of(self.supplier, self.company)
        self.start_tour(
            f"/odoo/medical.first.business.approval/{approval.id}",
            "medical_expiry_first_business_approval",
            login="admin",
        )
        self.assertEqual(approval.state, "approved")
        self.assertEqual(approval.approved_by_id, admin)
        self.assertEqual(
            self._audit_rows(approval, "first_business_approval").reason, "Licences and agreement checked"
        )
