from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .qualification_common import QualificationCase


@tagged("post_install", "-at_install")
class TestQualification(QualificationCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.level_90 = cls._create_qualification_rule(90)
        cls.level_30 = cls._create_qualification_rule(30)

    def test_state_follows_the_end_of_validity_and_the_levels(self):
        open_ended = self._qualify(self.hospital, "business_licence")
        valid = self._qualify(self.hospital, "practice_licence", 200)
        expiring = self._qualify(self.syringe, "registration_certificate", 45)
        last_day = self._qualify(self.strips, "registration_certificate", 0)
        expired = self._qualify(self.supplier, "business_licence", -1)
        self.assertEqual(
            (open_ended + valid + expiring + last_day + expired).mapped("state"),
            ["valid", "valid", "expiring", "expiring", "expired"],
        )
        self.assertEqual(expiring.expiry_rule_id, self.level_90)
        self.assertEqual(last_day.expiry_rule_id, self.level_30)
        self.assertEqual(expiring.days_to_expiry, 45)
        self.assertFalse(expired.expiry_rule_id)

    def test_a_document_type_levels_come_before_the_general_ones(self):
        registration_level = self._create_qualification_rule(
            180, qualification_type="registration_certificate"
        )
        registration = self._qualify(self.syringe, "registration_certificate", 120)
        licence = self._qualify(self.hospital, "practice_licence", 120)
        self.assertEqual(registration.expiry_rule_id, registration_level)
        self.assertEqual(registration.state, "expiring")
        self.assertEqual(licence.state, "valid")

    def test_a_company_levels_come_before_the_levels_of_every_company(self):
        self.level_90.company_id = False
        company_level = self._create_qualification_rule(60, company_id=self.company.id)
        within_both = self._qualify(self.hospital, "practice_licence", 50)
        only_in_general = self._qualify(self.supplier, "business_licence", 80)
        self.assertEqual(within_both.expiry_rule_id, company_level)
        # The company's own set has no level that wide: the general 90-day level does not apply.
        self.assertEqual(only_in_general.state, "valid")

    def test_lot_levels_ignore_qualification_rules(self):
        lot = self._create_lot(self.syringe, 20, quantity=1)
        self.assertEqual(lot.expiry_state, "ok")
        lot_level = self._create_rule(30)
        self.assertEqual(lot.expiry_rule_id, lot_level)

    def test_the_nightly_refresh_moves_documents_through_the_levels(self):
        licence = self._qualify(self.hospital, "practice_licence", 100)
        self.assertEqual(licence.state, "valid")
        self._pass_days(20)
        self.assertEqual((licence.state, licence.expiry_rule_id), ("expiring", self.level_90))
        self._pass_days(60)
        self.assertEqual((licence.state, licence.expiry_rule_id), ("expiring", self.level_30))
        self._pass_days(21)
        self.assertEqual((licence.state, licence.days_to_expiry), ("expired", -1))

    def test_changing_the_levels_relevels_the_documents(self):
        licence = self._qualify(self.hospital, "practice_licence", 150)
        self.assertEqual(licence.state, "valid")
        self.level_90.days_before_expiry = 180
        self.assertEqual((licence.state, licence.expiry_rule_id), ("expiring", self.level_90))

    def test_compliance_revokes_with_a_reason_and_the_document_stops_counting(self):
        licence = self._qualify(self.hospital, "practice_licence", 500)
        self._flush_tracking()
        licence.with_user(self.compliance_officer)._revoke("Withdrawn by the health commission")
        self.assertEqual(licence.state, "revoked")
        self.assertEqual(licence.revoked_date, self.today)
        row = self._audit_rows(licence, "qualification_revoke")
        self.assertEqual(
            (row.reason, row.user_id), ("Withdrawn by the health commission", self.compliance_officer)
        )
        self._flush_tracking()
        self.assertIn("revoked", licence.message_ids.tracking_value_ids.field_id.mapped("name"))

    def test_revoking_needs_a_compliance_officer_and_a_reason(self):
        licence = self._qualify(self.hospital, "practice_licence", 500)
        with self.assertRaises(AccessError):
            licence.with_user(self.manager)._revoke("Because")
        with self.assertRaisesRegex(UserError, "Say why"):
            licence.with_user(self.compliance_officer)._revoke("  ")
        self.assertEqual(licence.state, "valid")
        self.assertFalse(self._audit_rows(licence, "qualification_revoke"))

    def test_bad_documents_are_refused_and_nothing_is_filed(self):
        Qualification = self.env["medical.qualification"]
        before = Qualification.search_count([])
        cases = {
            "belongs to a product": {
                "qualification_type": "registration_certificate",
                "partner_id": self.hospital.id,
            },
            "belongs to a partner": {
                "qualification_type": "practice_licence",
                "product_tmpl_id": self.syringe.product_tmpl_id.id,
            },
            "cannot be after": {
                "qualification_type": "practice_licence",
                "partner_id": self.hospital.id,
                "date_start": "2026-06-01",
                "date_end": "2026-01-01",
            },
        }
        for message, vals in cases.items():
            with self.subTest(message), self.assertRaisesRegex(ValidationError, message):
                with self.env.cr.savepoint():
                    Qualification.create({"number": "X-1", **vals})
        self.assertEqual(Qualification.search_count([]), before)

    def test_rules_are_scoped_by_what_they_apply_to(self):
        Rule = self.env["medical.expiry.rule"]
        before = Rule.search_count([])
        with self.assertRaisesRegex(ValidationError, "scoped by document type"), self.env.cr.savepoint():
            self._create_qualification_rule(10, product_id=self.syringe.id)
        with self.assertRaisesRegex(ValidationError, "cannot be scoped by a qualification type"):
            with self.env.cr.savepoint():
                self._create_rule(10, qualification_type="practice_licence")
        self.assertEqual(Rule.search_count([]), before)

    def test_a_lot_rule_and_a_qualification_rule_may_start_at_the_same_day(self):
        self._create_rule(90)
        self.assertEqual(self.env["medical.expiry.rule"].search_count([("days_before_expiry", "=", 90)]), 2)

    def test_the_product_shows_its_valid_registration_first(self):
        self._qualify(self.syringe, "registration_certificate", -30, number="国械注准20193140001")
        self.assertEqual(self.syringe.registration_number, "国械注准20193140001")
        renewal = self._qualify(self.syringe, "registration_certificate", 1800, number="国械注准20243140001")
        self.assertEqual(self.syringe.registration_number, "国械注准20243140001")
        self.assertEqual(self.syringe.registration_expiry_date, renewal.date_end)

    def test_a_renewal_replaces_the_lapsed_or_shorter_document(self):
        lapsed = self._qualify(self.hospital, "practice_licence", -3)
        expiring = self._qualify(self.hospital, "practice_licence", 20)
        longer = self._qualify(self.hospital, "practice_licence", 1800)
        other_type = self._qualify(self.hospital, "business_licence", -3)
        documents = lapsed | expiring | longer | other_type
        self.assertEqual(documents._renewed(), lapsed | expiring)
        self.assertEqual(documents._lapsed(), other_type)

    def test_a_licence_covers_its_classes_and_classification_codes(self):
        licence = self._qualify(
            self.supplier, "device_trade_filing", 300, covers_class_2=True, scope_codes="14， 22-11"
        )
        self.syringe.device_category_code = "14-02-01"
        self.assertTrue(licence._covers(self.syringe))
        self.syringe.device_category_code = "22-11-03"
        self.assertTrue(licence._covers(self.syringe))
        self.syringe.device_category_code = "22-12-01"
        self.assertFalse(licence._covers(self.syringe))
        self.syringe.device_category_code = "140"
        self.assertFalse(licence._covers(self.syringe))
        self.syringe.write({"device_category_code": "14-02-01", "medical_device_class": "3"})
        self.assertFalse(licence._covers(self.syringe))

    def test_partner_and_product_open_their_qualifications(self):
        licence = self._qualify(self.hospital, "practice_licence", 300)
        self.assertEqual(self.hospital.qualification_count, 1)
        action = self.hospital.action_view_qualifications()
        self.assertEqual(self.env["medical.qualification"].search(action["domain"]), licence)
        self.assertEqual(action["context"], {"default_partner_id": self.hospital.id})
        action = self.syringe.product_tmpl_id.action_view_qualifications()
        self.assertEqual(action["context"], {"default_product_tmpl_id": self.syringe.product_tmpl_id.id})
