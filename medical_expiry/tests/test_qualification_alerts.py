from odoo.exceptions import AccessError
from odoo.tests import tagged

from .qualification_common import QualificationCase


@tagged("post_install", "-at_install")
class TestQualificationAlerts(QualificationCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.level_90 = cls._create_qualification_rule(90)
        cls.level_30 = cls._create_qualification_rule(30, user_ids=[cls.manager.id])
        cls.hospital.user_id = cls.stock_user
        cls.alert_types = cls.env["medical.qualification"]._expiry_alert_types()

    def _alerts(self, documents, active=True):
        return (
            self.env["mail.activity"]
            .with_context(active_test=False)
            .search(
                [
                    ("res_model", "=", "medical.qualification"),
                    ("res_id", "in", documents.ids),
                    ("active", "=", active),
                ]
            )
        )

    def _run(self):
        self.env["medical.qualification"]._cron_qualification_alerts()

    def test_each_level_alerts_its_people_else_the_document_responsible(self):
        licence = self._qualify(self.hospital, "practice_licence", 60)
        registration = self._qualify(self.syringe, "registration_certificate", 20)
        self._run()
        alert = self._alerts(licence)
        self.assertEqual(
            (alert.user_id, alert.activity_type_id, alert.expiry_rule_id),
            (self.stock_user, self.alert_types["expiring"], self.level_90),
        )
        self.assertIn("60 days left", alert.summary)
        self.assertEqual(self._alerts(registration).user_id, self.manager)

    def test_nobody_responsible_alerts_the_compliance_officers(self):
        expired = self._qualify(self.supplier, "business_licence", -1)
        expired.user_id = False
        self._run()
        alerts = self._alerts(expired)
        self.assertEqual(alerts.user_id, self.env.ref("medical_expiry.group_expiry_compliance").users)
        self.assertEqual(alerts.activity_type_id, self.alert_types["expired"])

    def test_the_job_is_idempotent_and_never_raises_a_handled_alert_again(self):
        licence = self._qualify(self.hospital, "practice_licence", 60)
        self._run()
        self._run()
        alert = self._alerts(licence)
        self.assertEqual(len(alert), 1)
        alert.action_feedback(feedback="Renewal filed")
        self._run()
        self.assertFalse(self._alerts(licence))
        self.assertEqual(len(self._alerts(licence, active=False)), 1)

    def test_a_new_level_closes_the_previous_alert_and_raises_its_own(self):
        licence = self._qualify(self.hospital, "practice_licence", 40)
        self._run()
        first = self._alerts(licence)
        self._pass_days(15)
        self._run()
        self.assertFalse(first.active)
        self.assertTrue(first.expiry_auto_closed)
        current = self._alerts(licence)
        self.assertEqual((current.expiry_rule_id, current.user_id), (self.level_30, self.manager))
        self.assertIn("moved to another level", "".join(licence.message_ids.mapped("body")))

    def test_a_renewal_closes_the_alerts_of_the_document_it_replaces(self):
        licence = self._qualify(self.hospital, "practice_licence", -2)
        self._run()
        self.assertEqual(self._alerts(licence).activity_type_id, self.alert_types["expired"])
        renewal = self._qualify(self.hospital, "practice_licence", 1800)
        self._run()
        self.assertFalse(self._alerts(licence | renewal))
        self.assertIn("a valid renewal is on file", "".join(licence.message_ids.mapped("body")))

    def test_valid_and_archived_documents_have_no_alert(self):
        valid = self._qualify(self.hospital, "practice_licence", 200)
        archived = self._qualify(self.supplier, "business_licence", 10)
        self._run()
        self.assertTrue(self._alerts(archived))
        archived.active = False
        self._run()
        self.assertFalse(self._alerts(valid | archived))

    def test_managers_run_the_job_on_demand(self):
        licence = self._qualify(self.hospital, "practice_licence", 60)
        with self.assertRaises(AccessError):
            self.env["medical.qualification"].with_user(self.stock_user).action_run_qualification_alerts()
        self.assertFalse(self._alerts(licence))
        self.env["medical.qualification"].with_user(self.manager).action_run_qualification_alerts()
        self.assertTrue(self._alerts(licence))

    def test_the_dashboard_counts_the_documents_to_renew(self):
        expiring = self._qualify(self.hospital, "practice_licence", 60)
        lapsed = self._qualify(self.supplier, "business_licence", -1)
        renewed = self._qualify(self.syringe, "registration_certificate", -1)
        self._qualify(self.syringe, "registration_certificate", 1000)
        self._qualify(self.strips, "registration_certificate", 500)
        Kpi = self.env["medical.expiry.kpi"]
        month = self.env.company._expiry_today().replace(day=1)
        Kpi._refresh(self.env.company, month)
        to_renew, lapsed_count = (
            Kpi.search([("kpi", "=", kpi), ("month", "=", month)])
            for kpi in ("qualifications_to_renew", "qualifications_lapsed")
        )
        self.assertEqual(to_renew.value, 1)
        self.assertEqual(lapsed_count.value, 1)
        found = self.env["medical.qualification"].search(to_renew.action_open_records()["domain"])
        self.assertEqual(found, expiring)
        found |= self.env["medical.qualification"].search(lapsed_count.action_open_records()["domain"])
        self.assertEqual(found, expiring | lapsed)
        self.assertNotIn(renewed, found)
