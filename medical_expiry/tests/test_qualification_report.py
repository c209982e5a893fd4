from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import format_date

from .common import as_cell
from .qualification_common import QualificationCase

HEADER = [
    "Holder",
    "Type",
    "Number",
    "Issuing Authority",
    "Valid To",
    "Days Left",
    "Status",
    "Alert Level",
    "Responsible",
]


@tagged("post_install", "-at_install")
class TestQualificationReport(QualificationCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The fixtures' supplier and customer licences have no end: these tests file their own.
        (cls.supplier_licence | cls.customer_licences).active = False
        # Levels of every company, so that the documents filed for every company have one too.
        cls._create_qualification_rule(30, company_id=False)
        cls._create_qualification_rule(90, company_id=False)
        syringe, strips = cls.syringe.product_tmpl_id, cls.strips.product_tmpl_id
        # The manager is responsible for every document, through its holder.
        (cls.supplier | cls.customer).user_id = cls.manager
        (syringe | strips).responsible_id = cls.manager
        # Reported within 60 days, lapsed documents included, in this order.
        cls.strips_lapsed = cls._qualify(strips, "registration_certificate", -100, number="STR-REG-NEW")
        cls.hospital_expired = cls._qualify(cls.customer, "practice_licence", -5, number="HOS-PRACTICE")
        cls.supplier_licence = cls._qualify(
            cls.supplier,
            "device_trade_licence",
            10,
            number="沪药监械经营许20190001号",
            issuing_authority="上海市药监局",
        )
        cls.syringe_registration = cls._qualify(syringe, "registration_certificate", 20, number="SYR-REG")
        cls.supplier_business = cls._qualify(
            cls.supplier, "business_licence", 50, number="SUP-BUSINESS", company_id=False
        )
        cls.hospital_revoked = cls._qualify(cls.customer, "business_licence", None, number="HOS-BUSINESS")
        cls.hospital_revoked._revoke("Withdrawn by the authority")
        # Never reported.
        cls.unreported = (
            cls._qualify(strips, "registration_certificate", -400, number="STR-REG-OLD")
            | cls._qualify(cls.supplier, "production_licence", 200, number="SUP-PRODUCTION")
            | cls._qualify(cls.supplier, "device_trade_filing", 15, number="SUP-FILING-OLD")
            | cls._qualify(cls.supplier, "device_trade_filing", None, number="SUP-FILING-NEW")
            | cls._qualify(cls.customer, "device_trade_filing", -30, number="HOS-FILING-OLD")
            | cls._qualify(cls.customer, "device_trade_filing", 800, number="HOS-FILING-NEW")
            | cls._qualify(cls.customer, "practice_licence", 3, number="HOS-ARCHIVED", active=False)
        )
        cls.other_company = cls.env["res.company"].create({"name": "Other Distributor"})
        cls.unreported |= cls._qualify(
            cls.supplier, "device_trade_licence", 5, number="OTHER-COMPANY", company_id=cls.other_company.id
        )
        cls.stock_user.write({"company_ids": [Command.link(cls.other_company.id)]})
        cls.Wizard = (
            cls.env["medical.qualification.report.wizard"]
            .with_user(cls.stock_user)
            .with_context(allowed_company_ids=[cls.company.id, cls.other_company.id])
        )

    def _row(self, holder, document, type_label, status, level=None):
        days = document.date_end and (document.date_end - self.today).days
        return [
            holder,
            type_label,
            document.number,
            document.issuing_authority or None,
            as_cell(document.date_end) if document.date_end else None,
            days if document.date_end else None,
            status,
            level,
            "Expiry Manager",
        ]

    def _print(self, wizard):
        """(XLSX rows, PDF text) of the report ``wizard`` asks for."""
        action = wizard.action_print_pdf()
        _pdf, text = self._render_pdf(action["report_name"], self.Wizard, data=action["data"])
        return self._read_xlsx(wizard.action_export_xlsx(), user=wizard.env.user), text

    def test_as_of_is_the_companys_date_whatever_the_users_time_zone(self):
        self.company.expiry_tz = "Asia/Shanghai"
        self.stock_user.tz = "UTC"
        with freeze_time("2026-03-01 17:00:00"):  # 2 March, 01:00 in Shanghai; still 1 March in UTC
            rows, _text = self._print(self.Wizard.create({"days": 60}))
        self.assertTrue(
            rows[1][0].startswith(f"As of {format_date(self.env, date(2026, 3, 2))} · "), rows[1][0]
        )

    def test_documents_to_renew_by_holder_soonest_first_lapsed_included(self):
        rows, text = self._print(self.Wizard.create({"days": 60}))
        title = "Qualifications Expiring within 60 Days"
        scope = (
            f"As of {format_date(self.env, self.today)} · Partners and Products · expired and revoked "
            "documents not renewed included · documents replaced by a valid renewal left out"
        )
        self.assertEqual(
            rows,
            [
                [title, *[None] * 8],
                [scope, *[None] * 8],
                HEADER,
                self._row("Glucose strips", self.strips_lapsed, "Device Registration Certificate", "Expired"),
                self._row(
                    "Hospital", self.hospital_expired, "Medical Institution Practice Licence", "Expired"
                ),
                self._row("Hospital", self.hospital_revoked, "Business Licence", "Revoked"),
                self._row(
                    "Supplier",
                    self.supplier_licence,
                    "Medical Device Trading Licence",
                    "Expiring",
                    "30 days",
                ),
                self._row("Supplier", self.supplier_business, "Business Licence", "Expiring", "90 days"),
                self._row(
                    "Syringe",
                    self.syringe_registration,
                    "Device Registration Certificate",
                    "Expiring",
                    "30 days",
                ),
            ],
        )
        self.assertEqual(rows[3][5], -100, "days left are negative once expired")

        self.assertIn(title, text)
        self.assertIn(scope, text)
        # Text extraction puts a space wherever the font changes, between Chinese and digits: the
        # Chinese part of the number is looked for.
        self.assertIn("上海市药监局", text, "Chinese text renders")
        # One section per holder, headed by its name, the holder with the soonest end first.
        printed = [
            "Glucose strips",
            "STR-REG-NEW",
            "Hospital",
            "HOS-PRACTICE",
            "HOS-BUSINESS",
            "Supplier",
            "沪药监械经营许",
            "SUP-BUSINESS",
            "Syringe",
            "SYR-REG",
        ]
        positions = [text.find(fragment) for fragment in printed]
        self.assertNotIn(-1, positions, "every document and holder is printed")
        self.assertEqual(positions, sorted(positions), "in holder order, then by end of validity")
        for number in self.unreported.mapped("number"):
            self.assertNotIn(number, text)

    def test_partners_expiring_soon_lapsed_left_out(self):
        rows, text = self._print(
            self.Wizard.create({"days": 30, "holder": "partner", "include_lapsed": False})
        )
        self.assertEqual(rows[0][0], "Qualifications Expiring within 30 Days")
        self.assertIn("· Partners · expired and revoked documents left out ·", rows[1][0])
        self.assertEqual(
            rows[2:],
            [
                HEADER,
                self._row(
                    "Supplier",
                    self.supplier_licence,
                    "Medical Device Trading Licence",
                    "Expiring",
                    "30 days",
                ),
            ],
        )
        self.assertIn("沪药监械经营许", text)
        for document in (
            self.unreported | self.supplier_business | self.hospital_expired | self.hospital_revoked
        ):
            self.assertNotIn(document.number, text)
        self.assertNotIn("SYR-REG", text)

    def test_products_only(self):
        rows, text = self._print(self.Wizard.create({"days": 60, "holder": "product"}))
        self.assertEqual([row[2] for row in rows[3:]], ["STR-REG-NEW", "SYR-REG"])
        self.assertIn("STR-REG-NEW", text)
        self.assertNotIn("Supplier", text)

    def test_nothing_to_renew_prints_an_empty_table(self):
        rows, text = self._print(
            self.Wizard.create({"days": 0, "holder": "product", "include_lapsed": False})
        )
        self.assertEqual(rows[2:], [HEADER], "notes and header only")
        self.assertIn("Nothing to report.", text)

    def test_negative_days_are_refused_and_nothing_is_produced(self):
        attachments = self.env["ir.attachment"].search_count([])
        wizard = self.Wizard.create({"days": -1})
        with self.assertRaisesRegex(UserError, "must be zero or more days"):
            wizard.action_print_pdf()
        with self.assertRaisesRegex(UserError, "must be zero or more days"):
            wizard.action_export_xlsx()
        with self.assertRaises(UserError):
            self._render_pdf("medical_expiry.action_report_qualification_expiry", self.Wizard, data={})
        self.assertEqual(self.env["ir.attachment"].search_count([]), attachments)

    def test_qualification_list_exports_its_visible_columns(self):
        documents = self.supplier_licence | self.syringe_registration
        action = self.env.ref("medical_expiry.action_report_qualification_list_xlsx").report_action(
            documents, config=False
        )
        self.assertEqual(
            self._read_xlsx(action, user=self.stock_user),
            [
                [
                    "Type",
                    "Number",
                    "Partner",
                    "Product",
                    "Valid To",
                    "Days To Expiry",
                    "Expiry Level",
                    "Responsible",
                    "State",
                ],
                [
                    "Medical Device Trading Licence",
                    "沪药监械经营许20190001号",
                    "Supplier",
                    None,
                    as_cell(self.supplier_licence.date_end),
                    10,
                    "30 days",
                    "Expiry Manager",
                    "Expiring",
                ],
                [
                    "Device Registration Certificate",
                    "SYR-REG",
                    None,
                    "Syringe",
                    as_cell(self.syringe_registration.date_end),
                    20,
                    "30 days",
                    "Expiry Manager",
                    "Expiring",
                ],
            ],
        )
