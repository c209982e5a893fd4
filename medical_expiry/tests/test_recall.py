import unicodedata
from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .recall_common import RecallEverywhereCase


@tagged("post_install", "-at_install")
class TestRecall(RecallEverywhereCase):
    """The recall's life: opened, confirmed, notified, closed or cancelled; its KPIs and reports."""

    def _pdf_text(self, report, records):
        """The text of a rendered PDF, as a reader sees it (CJK compatibility forms and tabs normalised)."""
        _pdf, text = self._render_pdf(report, records)
        return " ".join(unicodedata.normalize("NFKC", text).split())

    def test_wizard_opens_a_traced_draft_recall_with_its_sequence(self):
        recall = self._open_recall(self.lot)
        self.assertEqual(recall.state, "draft")
        self.assertRegex(recall.name, rf"^RC/{fields.Date.today().year}/\d{{4}}$")
        self.assertEqual(recall.lot_ids, self.lot)
        self.assertEqual(recall.user_id, self.compliance_officer)
        self.assertFalse(recall.date_open)
        self.assertFalse(self.lot.is_blocked, "a draft recall changes nothing in stock")
        self.assertEqual(recall.qty_affected, 110)

    def test_product_recall_takes_its_lots_in_the_date_range(self):
        soon = self._create_lot(self.syringe, 100, name="SYR-SOON")
        self._create_lot(self.syringe, 500, name="SYR-LATE")
        self._create_lot(self.strips, 100, name="STR-SOON")
        wizard = (
            self.env["medical.recall.wizard"]
            .with_user(self.compliance_officer)
            .with_context(active_model="product.template", active_ids=self.syringe.product_tmpl_id.ids)
            .create(
                {
                    "recall_class": "class_3",
                    "reason": "Labelling error",
                    "date_from": fields.Date.today() + timedelta(days=50),
                    "date_to": fields.Date.today() + timedelta(days=400),
                }
            )
        )
        self.assertEqual(wizard.product_id, self.syringe)
        self.assertEqual(wizard.matched_lot_ids, soon | self.lot)
        recall = self.env["medical.recall"].browse(wizard.action_create()["res_id"])
        self.assertEqual(recall.lot_ids, soon | self.lot)
        self.assertEqual(recall.product_ids, self.syringe)

    def test_recall_with_no_lots_is_refused_and_nothing_is_created(self):
        count = self.env["medical.recall"].search_count([])
        wizard = (
            self.env["medical.recall.wizard"]
            .with_user(self.compliance_officer)
            .create(
                {
                    "scope": "product",
                    "product_id": self.strips.id,
                    "recall_class": "class_1",
                    "reason": "Contaminated",
                }
            )
        )
        with self.assertRaises(UserError) as error:
            wizard.action_create()
        self.assertIn("at least one lot", str(error.exception))
        self.assertEqual(self.env["medical.recall"].search_count([]), count)
        recall = self._open_recall(self.lot)
        recall.lot_ids = False
        with self.assertRaises(UserError):
            recall.with_user(self.compliance_officer).action_confirm()
        self.assertEqual(recall.state, "draft")
        self.assertFalse(recall.picking_ids)

    def test_product_recall_without_a_product_asks_for_the_product(self):
        count = self.env["medical.recall"].search_count([])
        wizard = (
            self.env["medical.recall.wizard"]
            .with_user(self.compliance_officer)
            .create({"scope": "product", "recall_class": "class_2", "reason": "Contaminated"})
        )
        with self.assertRaises(UserError) as error:
            wizard.action_create()
        self.assertIn("Choose the product to recall.", str(error.exception))
        self.assertNotIn("lot", str(error.exception))
        self.assertEqual(self.env["medical.recall"].search_count([]), count)

    def test_stock_users_read_recalls_but_cannot_open_one(self):
        recall = self._open_recall(self.lot)
        self.assertEqual(recall.with_user(self.stock_user).name, recall.name)
        with self.assertRaises(AccessError):
            self.env["medical.recall"].with_user(self.stock_user).create(
                {"recall_class": "class_2", "reason": "x", "lot_ids": [fields.Command.set(self.lot.ids)]}
            )
        with self.assertRaises(AccessError):
            recall.with_user(self.stock_user).action_confirm()
        self.assertEqual(recall.state, "draft")

    def test_notice_deadline_follows_the_class_and_the_company_setting(self):
        self.company.recall_notice_days_class_2 = 2
        for recall_class, days in (("class_1", 1), ("class_2", 2), ("class_3", 7)):
            recall = self._open_recall(self.lot, recall_class=recall_class)
            self.assertFalse(recall.notice_deadline)
            self._confirm_recall(recall, self.compliance_officer)
            self.assertEqual(recall.notice_deadline, recall.date_open + timedelta(days=days))
            recall.action_cancel()
        settings = self.env["res.config.settings"].create({"recall_notice_days_class_3": 10})
        settings.execute()
        self.assertEqual(self.company.recall_notice_days_class_3, 10)

    def test_recalled_lot_cannot_be_shipped_after_confirmation(self):
        recall = self._open_recall(self.lot)
        self._confirm_recall(recall, self.compliance_officer)
        picking = self._create_picking(self.syringe, 5, partner=self.clinic)
        self.assertFalse(picking.move_line_ids)
        self._set_lines(picking, (self.lot, 5))
        with self.assertRaises(UserError) as error:
            picking.button_validate()
        self.assertIn("blocked (Recall)", str(error.exception))

    def test_compliance_officer_confirms_and_every_step_is_logged(self):
        recall = self._open_recall(self.lot)
        self._confirm_recall(recall, self.compliance_officer)
        state_rows = self._audit_rows(recall, "recall_state")
        self.assertEqual(len(state_rows), 1)
        self.assertEqual(state_rows.user_id, self.compliance_officer)
        self.assertIn('"state":"draft"', state_rows.old_values)
        self.assertIn('"state":"in_progress"', state_rows.new_values)
        block_rows = self._audit_rows(self.lot, "lot_block")
        self.assertEqual(block_rows.user_id, self.compliance_officer)
        self.assertEqual(self.lot.blocked_by_id, self.compliance_officer)
        recall.with_user(self.compliance_officer).action_cancel()
        self.assertEqual(recall.state, "cancelled")
        self.assertEqual(len(self._audit_rows(recall, "recall_state")), 2)
        self.assertEqual(set(recall.picking_ids.mapped("state")), {"cancel"})
        self.assertTrue(self.lot.is_blocked, "cancelling does not release the lot")

    def test_closing_with_open_lines_changes_nothing_even_when_signed(self):
        recall = self._open_recall(self.lot)
        self._confirm_recall(recall, self.compliance_officer)
        signed = self._signed(self.compliance_officer, recall, "recall_close")
        with self.assertRaises(UserError) as error:
            signed._close()
        self.assertIn("7 lines are not resolved", str(error.exception))
        self.assertEqual(recall.state, "in_progress")
        self.assertFalse(recall.close_signature_id)
        self.assertFalse(self._audit_rows(recall, "recall_close"))

    def test_notices_are_mailed_with_the_pdf_and_acknowledged(self):
        recall = self._open_recall(self.lot)
        self._confirm_recall(recall, self.compliance_officer)
        recall.with_user(self.compliance_officer).action_send_notices()
        for notice in recall.notice_ids:
            self.assertEqual(notice.state, "sent")
            self.assertFalse(notice.is_late)
            message = notice.message_ids.filtered(lambda m: m.message_type == "comment")
            self.assertEqual(len(message), 1)
            self.assertIn(notice.partner_id, message.partner_ids)
            self.assertIn(recall.name, message.subject)
            self.assertIn("召回", message.subject)
            self.assertEqual(len(message.attachment_ids), 1)
            self.assertTrue(message.attachment_ids.name.startswith("Recall Notice"))
        self.assertEqual((recall.notice_sent_count, recall.notice_late_count), (2, 0))
        self.assertTrue(recall.notices_complete)
        notice = recall.notice_ids[0]
        notice.acknowledgement_note = "Signed copy received"
        notice.with_user(self.compliance_officer).action_acknowledge()
        self.assertEqual(notice.state, "acknowledged")
        self.assertTrue(notice.date_acknowledged)
        with self.assertRaises(UserError):
            recall.notice_ids[1].action_send()

    def test_customer_without_email_stops_the_mailing_until_marked_sent(self):
        self.clinic.email = False
        recall = self._open_recall(self.lot)
        self._confirm_recall(recall, self.compliance_officer)
        with self.assertRaises(UserError) as error:
            recall.with_user(self.compliance_officer).action_send_notices()
        self.assertIn("Clinic", str(error.exception))
        self.assertEqual(set(recall.notice_ids.mapped("state")), {"to_send"})
        clinic = recall.notice_ids.filtered(lambda n: n.partner_id == self.clinic)
        clinic.with_user(self.compliance_officer).action_mark_sent()
        recall.with_user(self.compliance_officer).action_send_notices()
        self.assertEqual(set(recall.notice_ids.mapped("state")), {"sent"})

    def test_notice_after_the_class_deadline_is_late(self):
        recall = self._open_recall(self.lot, recall_class="class_1")
        self._confirm_recall(recall, self.compliance_officer)
        recall.date_open = fields.Datetime.now() - timedelta(days=2)
        self.assertEqual(recall.notice_deadline, recall.date_open + timedelta(days=1))
        recall.notice_ids[0].action_send()
        self.assertTrue(recall.notice_ids[0].is_late)
        self.assertEqual(recall.notice_late_count, 1)
        self.assertFalse(recall.notices_complete)
        self.assertEqual(recall.response_time_hours, 0)

    def test_recall_kpis_response_time_and_recovery_rate(self):
        first = self._open_recall(self.lot)
        self._confirm_recall(first, self.compliance_officer)
        first.action_send_notices()
        opened = first.date_open
        first.notice_ids[0].date_sent = opened + timedelta(hours=6)
        first.notice_ids[1].date_sent = opened + timedelta(hours=10)
        self.assertAlmostEqual(first.response_time_hours, 10.0)
        self._validate(self._pickings(first, source_usage="customer", partner=self.customer), quantity=9)
        self.assertAlmostEqual(first.recovery_rate, 9 / 20)

        (lot_2,) = self._receive(self.strips, {"STR-R2": 30})
        self._deliver(self.clinic, (lot_2, 10))
        second = self._open_recall(lot_2, recall_class="class_1")
        self._confirm_recall(second, self.compliance_officer)
        second.action_send_notices()
        second.notice_ids.date_sent = second.date_open + timedelta(hours=4)
        self._validate(self._pickings(second, source_usage="customer"))
        self.assertEqual(second.recovery_rate, 1.0)
        draft = self._open_recall(lot_2)

        Kpi = self.env["medical.expiry.kpi"]
        month = self.env.company._expiry_today().replace(day=1)
        Kpi.with_user(self.manager).action_refresh()
        response, recovery = (
            Kpi.with_user(self.manager).search([("kpi", "=", kpi), ("month", "=", month)])
            for kpi in ("recall_response", "recall_recovery")
        )
        self.assertAlmostEqual(response.value, 7.0)
        self.assertAlmostEqual(recovery.value, (9 + 10) / (20 + 10) * 100)
        recalls = self.env["medical.recall"].search(response.action_open_records()["domain"])
        self.assertEqual(recalls, first | second)
        self.assertNotIn(draft, recalls)

    def test_recall_report_renders_as_pdf(self):
        recall = self._open_recall(self.lot)
        self._confirm_recall(recall, self.compliance_officer)
        recall.action_send_notices()
        self._validate(self._pickings(recall, source_usage="customer", partner=self.customer))
        text = self._pdf_text("medical_expiry.action_report_medical_recall", recall)
        for fragment in (
            recall.name,
            "Sterility not assured",
            "SYR-R1",
            "Affected Units by Location",
            "Hospital",
            "Clinic",
            self.d3.name,
            "Customer Notices",
            self.supplier.name,
        ):
            self.assertIn(fragment, text)

    def test_customer_notice_renders_in_chinese_and_english(self):
        recall = self._open_recall(self.lot)
        self._confirm_recall(recall, self.compliance_officer)
        notice = recall.notice_ids.filtered(lambda n: n.partner_id == self.customer)
        text = self._pdf_text("medical_expiry.action_report_medical_recall_notice", notice)
        for fragment in (
            "医疗器械召回通知",
            "Medical Device Recall Notice",
            "二级召回",
            recall.name,
            "SYR-R1",
            self.d1.name,
        ):
            self.assertIn(fragment, text)

    def test_xlsx_export_lists_every_line(self):
        recall = self._open_recall(self.lot)
        rows = self._read_xlsx(
            self.env.ref("medical_expiry.action_report_recall_lines_xlsx").report_action(recall, config=False)
        )
        self.assertEqual(rows[0][:3], ["Type", "Product", "Lot/Serial"])
        self.assertEqual(len(rows), 1 + len(recall.line_ids))
        clinic_row = next(row for row in rows if row[6] == "Clinic")
        self.assertEqual(clinic_row[0], "Delivered")
        self.assertEqual(clinic_row[7], self.d3.name)
        self.assertEqual(clinic_row[9], "Supplier")
        self.assertEqual(clinic_row[10], self.purchase.name)
        self.assertEqual(clinic_row[12:17], [8, 0, 0, 0, 8])
        self.assertEqual(sum(row[12] for row in rows[1:]), 110)

    def test_recall_list_exports_its_visible_columns(self):
        recall = self._open_recall(self.lot)
        action = self.env.ref("medical_expiry.action_report_recall_list_xlsx").report_action(
            recall, config=False
        )
        header, *rows = self._read_xlsx(action, user=self.compliance_officer)
        self.assertIn("Reference", header)
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows[0][header.index("Reference")], recall.name)

    def test_workbench_shows_lots_under_an_open_recall(self):
        Workbench = self.env["medical.expiry.workbench"]
        recall = self._open_recall(self.lot)
        self.assertFalse(Workbench.search([("lot_id", "=", self.lot.id), ("open_recall", "=", True)]))
        self._confirm_recall(recall, self.compliance_officer)
        Workbench.invalidate_model()
        rows = Workbench.search([("lot_id", "=", self.lot.id)])
        self.assertTrue(rows)
        self.assertTrue(all(rows.mapped("open_recall")))
        self.assertEqual(Workbench.search([("open_recall", "=", True)]), rows)
