from datetime import date

from dateutil.relativedelta import relativedelta

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import HttpCase, tagged

from .common import MedicalExpiryCase


class StockInspectionCase(MedicalExpiryCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.near_rule = cls._create_rule(90, suggested_action="clearance")
        cls.expired = cls._create_lot(cls.syringe, -5, quantity=10, name="INS-EXPIRED")
        cls.near = cls._create_lot(cls.syringe, 30, quantity=20, name="INS-NEAR")
        cls.good = cls._create_lot(cls.strips, 200, quantity=30, name="INS-GOOD")
        # Not inspected: stock already in quarantine, stock of another warehouse, lots without an expiry.
        cls._create_lot(cls.syringe, 60, quantity=5, name="INS-QUARANTINED", location=cls.quarantine)
        cls._create_lot(cls.syringe, 60, quantity=5, name="INS-OTHER-WH", location=cls.stock_2)
        cls._create_lot(cls.syringe, None, quantity=5, name="INS-NO-EXPIRY")
        cls.plan = cls.env["medical.stock.inspection.plan"].create(
            {"warehouse_id": cls.warehouse.id, "frequency": "monthly", "manager_id": cls.manager.id}
        )
        cls.today = cls.company._expiry_today()

    def _due_inspection(self):
        self.plan._create_due_inspections()
        return self.plan.inspection_ids

    def _started(self):
        inspection = self._due_inspection()
        inspection.with_user(self.stock_user).action_start()
        return inspection

    def _line(self, inspection, lot):
        return inspection.line_ids.filtered(lambda line: line.lot_id == lot)

    def _record(self, inspection, user=None, **by_lot):
        """The inspector records every line: intact and matching unless ``by_lot`` says otherwise."""
        for line in inspection.line_ids:
            values = {"appearance": "ok", "expiry_check": "confirmed", **by_lot.get(line.lot_id.name, {})}
            line.with_user(user or self.stock_user).write(values)

    def _close_signed(self, inspection, user=None):
        user = user or self.manager
        action = inspection.with_user(user).action_close()
        self.assertEqual(action["context"]["default_signed_action"], "stock_inspection_close")
        self._sign_in_wizard(user, action, reason="Monthly inspection done").action_sign()


@tagged("post_install", "-at_install")
class TestStockInspection(StockInspectionCase):
    def test_the_job_makes_one_inspection_per_plan_and_period_with_the_lots_on_hand(self):
        Plan = self.env["medical.stock.inspection.plan"]
        Plan._cron_stock_inspections()
        Plan._cron_stock_inspections()
        inspection = self.plan.inspection_ids
        self.assertEqual(len(inspection), 1, "the job is idempotent: one inspection per period")
        self.assertEqual(inspection.state, "draft")
        self.assertEqual(inspection.period_start, self.today.replace(day=1))
        self.assertEqual(inspection.period_end, self.today + relativedelta(day=31))
        self.assertTrue(inspection.name.startswith("YH/"))
        self.assertEqual(inspection.line_ids.lot_id, self.expired | self.near | self.good)
        expired, near = self._line(inspection, self.expired), self._line(inspection, self.near)
        self.assertEqual(
            (expired.expiry_state, expired.quantity, expired.days_to_expiry), ("expired", 10, -5)
        )
        self.assertEqual((near.expiry_state, near.expiry_rule_id), ("near_expiry", self.near_rule))
        self.assertEqual(near.expiration_date, self.today + relativedelta(days=30))
        self.assertEqual(inspection.line_ids[0].lot_id, self.expired, "soonest expiry first")
        self.assertEqual(self.plan.next_due_date, inspection.period_end)

    def test_periods_follow_the_frequency_in_the_company_calendar(self):
        day = date(2026, 5, 14)  # a Thursday
        self.plan.frequency = "weekly"
        self.assertEqual(self.plan._period_of(day), (date(2026, 5, 11), date(2026, 5, 17)))
        self.plan.frequency = "monthly"
        self.assertEqual(self.plan._period_of(day), (date(2026, 5, 1), date(2026, 5, 31)))
        self.plan.frequency = "quarterly"
        self.assertEqual(self.plan._period_of(day), (date(2026, 4, 1), date(2026, 6, 30)))

    def test_a_plan_is_named_in_the_company_language(self):
        """The name is stored and read by the company's inspectors, whoever created the plan."""
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["medical_expiry"], ["zh_CN"])
        self.company.partner_id.lang = "zh_CN"
        plan = (
            self.env["medical.stock.inspection.plan"]
            .with_context(lang="en_US")
            .create({"warehouse_id": self.warehouse_2.id, "frequency": "quarterly"})
        )
        self.assertEqual(plan.name, f"{self.warehouse_2.name} · 每季度")

    def test_a_plan_on_a_location_inspects_that_location_only(self):
        shelf = self.env["stock.location"].create(
            {"name": "Shelf A", "usage": "internal", "location_id": self.stock.id}
        )
        lot = self._create_lot(self.syringe, 100, quantity=4, name="INS-SHELF", location=shelf)
        plan = self.env["medical.stock.inspection.plan"].create(
            {"warehouse_id": self.warehouse.id, "location_id": shelf.id, "frequency": "weekly"}
        )
        plan._create_due_inspections()
        self.assertEqual(plan.inspection_ids.line_ids.lot_id, lot)

    def test_a_plan_inspects_its_own_warehouse(self):
        with self.assertRaises(ValidationError) as error:  # Odoo's assertRaises rolls the write back
            self.plan.with_user(self.manager).location_id = self.stock_2
        self.assertIn("is not a location of", str(error.exception))
        self.assertFalse(self.plan.location_id)
        self.plan.with_user(self.manager).action_create_due_inspection()
        with self.assertRaisesRegex(UserError, "keeps its warehouse"):
            self.plan.with_user(self.manager).warehouse_id = self.warehouse_2
        self.assertEqual(self.plan.warehouse_id, self.warehouse)

    def test_the_inspector_records_each_line(self):
        inspection = self._started()
        self.assertEqual((inspection.state, inspection.user_id), ("in_progress", self.stock_user))
        line = self._line(inspection, self.good)
        line.with_user(self.stock_user).write(
            {"appearance": "ok", "expiry_check": "confirmed", "note": "Dry"}
        )
        self.assertTrue(line.is_checked)
        self.assertEqual(line.checked_by_id, self.stock_user)
        self.assertEqual(inspection.checked_count, 1)

    def test_signed_close_quarantines_reports_and_logs(self):
        inspection = self._started()
        self._record(
            inspection,
            **{
                "INS-EXPIRED": {"action": "quarantine"},
                "INS-NEAR": {"appearance": "damaged", "action": "nonconforming"},
            },
        )
        self._close_signed(inspection)
        self.assertEqual(inspection.state, "done")
        self.assertEqual(inspection.closed_by_id, self.manager)
        self.assertEqual(inspection.sudo().close_signature_id.user_id, self.manager)
        picking = inspection.quarantine_picking_ids
        self.assertEqual(picking.location_dest_id, self.warehouse._get_quarantine_location())
        self.assertEqual(picking.move_line_ids.lot_id, self.expired, "exactly the lot sent to quarantine")
        self.assertEqual(picking.move_line_ids.quantity, 10)
        picking.move_ids.picked = True
        confirmation = picking.button_validate()  # product_expiry asks to confirm moving an expired lot
        self.env[confirmation["res_model"]].with_context(**confirmation["context"]).create({}).process()
        self.assertEqual(picking.state, "done")
        self.assertTrue(self.expired.quant_ids.filtered(lambda q: q.quantity > 0).location_id.is_quarantine)
        entry = self.env["medical.nonconforming"].search([("origin", "=", inspection.name)])
        self.assertEqual((entry.lot_id, entry.reason, entry.quantity), (self.near, "failed_inspection", 20))
        self.assertEqual(
            entry.intake_picking_id.location_dest_id, self.warehouse._get_nonconforming_location()
        )
        row = self._audit_rows(inspection, "stock_inspection_close")
        self.assertEqual(row.reason, "Monthly inspection done")
        self.assertEqual(row.signature_id.user_id, self.manager)
        self.assertIn("INS-EXPIRED", row.new_values)

    def test_non_conforming_lines_go_through_one_named_method(self):
        """The non-conforming register is wired in ``_report_nonconforming_lines``: it gets exactly the lines
        the inspector reported."""
        inspection = self._started()
        self._record(
            inspection, **{"INS-NEAR": {"action": "nonconforming"}, "INS-EXPIRED": {"action": "quarantine"}}
        )
        self.assertEqual(
            inspection.line_ids.filtered(lambda line: line.action == "nonconforming").lot_id, self.near
        )
        self._close_signed(inspection)
        entries = self.env["medical.nonconforming"].search([("origin", "=", inspection.name)])
        self.assertEqual(entries.lot_id, self.near, "exactly the lots reported")

    # ------------------------------------------------------------------
    # Refusals: a clear error, nothing written
    # ------------------------------------------------------------------
    def test_close_is_refused_while_lines_are_unchecked(self):
        inspection = self._started()
        self._line(inspection, self.good).with_user(self.stock_user).write(
            {"appearance": "ok", "expiry_check": "confirmed"}
        )
        with self.assertRaisesRegex(UserError, r"cannot be closed yet:\n• .*INS-EXPIRED.*not checked yet"):
            inspection.with_user(self.manager).action_close()
        self.assertEqual(inspection.state, "in_progress")
        self.assertFalse(inspection.quarantine_picking_ids)

    def test_damaged_goods_and_expired_stock_need_an_action(self):
        inspection = self._started()
        self._record(inspection, **{"INS-GOOD": {"appearance": "damaged"}})
        with self.assertRaises(UserError) as error:
            inspection.with_user(self.manager).action_close()
        self.assertIn("INS-GOOD", str(error.exception))
        self.assertIn("damaged packaging", str(error.exception))
        self.assertIn("INS-EXPIRED", str(error.exception))
        self.assertIn("expired stock must be moved to quarantine", str(error.exception))
        self.assertEqual(inspection.state, "in_progress")

    def test_close_without_a_signature_is_refused(self):
        inspection = self._started()
        self._record(inspection, **{"INS-EXPIRED": {"action": "quarantine"}})
        with self.assertRaises(UserError):
            inspection.with_user(self.manager)._close()
        self.assertEqual(inspection.state, "in_progress")
        self.assertFalse(inspection.quarantine_picking_ids)
        self.assertFalse(self._audit_rows(inspection, "stock_inspection_close"))

    def test_only_expiry_managers_sign_the_close(self):
        inspection = self._started()
        self._record(inspection, **{"INS-EXPIRED": {"action": "quarantine"}})
        with self.assertRaisesRegex(AccessError, "not allowed to sign"):
            self._signed(self.stock_user, inspection, "stock_inspection_close")
        self.assertEqual(inspection.state, "in_progress")

    def test_lines_are_recorded_only_while_the_inspection_is_under_way(self):
        inspection = self._due_inspection()
        line = self._line(inspection, self.good)
        with self.assertRaisesRegex(UserError, "this needs it to be In Progress"):
            line.with_user(self.stock_user).write({"appearance": "ok"})
        self.assertFalse(line.appearance)
        inspection.with_user(self.stock_user).action_start()
        self._record(inspection, **{"INS-EXPIRED": {"action": "quarantine"}})
        self._close_signed(inspection)
        with self.assertRaisesRegex(UserError, "this needs it to be In Progress"):
            line.with_user(self.manager).write({"appearance": "damaged"})
        with self.assertRaisesRegex(UserError, "this needs it to be To Do / In Progress"):
            inspection.with_user(self.manager).note = "<p>Rewritten later</p>"
        with self.assertRaisesRegex(UserError, "this needs it to be To Do"):
            inspection.with_user(self.manager).action_start()
        inspection.invalidate_recordset()
        self.assertEqual((line.appearance, inspection.state, inspection.note), ("ok", "done", False))

    def test_what_the_inspection_found_cannot_be_changed(self):
        inspection = self._started()
        line = self._line(inspection, self.good)
        with self.assertRaisesRegex(UserError, "cannot be changed"):
            line.with_user(self.manager).write({"quantity": 1})
        with self.assertRaisesRegex(UserError, "cannot be changed"):
            line.with_user(self.stock_user).write({"checked_by_id": self.manager.id})
        with self.assertRaisesRegex(UserError, "cannot be written directly"):
            inspection.with_user(self.manager).write({"state": "done"})
        with self.assertRaisesRegex(UserError, "cannot be written directly"):
            inspection.with_user(self.manager).write({"line_ids": [Command.delete(line.id)]})
        with self.assertRaisesRegex(UserError, "none is added"):
            self.env["medical.stock.inspection.line"].with_user(self.manager).create(
                {"inspection_id": inspection.id, "lot_id": self.good.id, "product_id": self.strips.id,
                 "location_id": self.stock.id}
            )  # fmt: skip
        with self.assertRaises(AccessError):
            line.with_user(self.manager).unlink()
        with self.assertRaisesRegex(UserError, "made by their plan"):
            self.env["medical.stock.inspection"].with_user(self.manager).create(
                {"name": "X", "plan_id": self.plan.id, "company_id": self.company.id,
                 "warehouse_id": self.warehouse.id, "period_start": self.today, "period_end": self.today}
            )  # fmt: skip
        self.assertEqual(
            (line.quantity, line.checked_by_id, inspection.state), (30, self.env["res.users"], "in_progress")
        )
        self.assertEqual(len(inspection.line_ids), 3)

    def test_only_the_plan_inspectors_inspect(self):
        other = self.stock_user.copy({"name": "Other Clerk", "login": "other_clerk"})
        self.plan.inspector_ids = other
        inspection = self._due_inspection()
        with self.assertRaisesRegex(AccessError, "is not an inspector of"):
            inspection.with_user(self.stock_user).action_start()
        self.assertEqual(inspection.state, "draft")
        inspection.with_user(other).action_start()
        with self.assertRaisesRegex(AccessError, "is not an inspector of"):
            self._line(inspection, self.good).with_user(self.stock_user).write({"appearance": "ok"})
        self.assertFalse(self._line(inspection, self.good).appearance)

    def test_only_managers_create_the_due_inspection_by_hand(self):
        with self.assertRaises(AccessError):
            self.plan.with_user(self.stock_user).action_create_due_inspection()
        self.assertFalse(self.plan.inspection_ids)
        action = self.plan.with_user(self.manager).action_create_due_inspection()
        self.assertEqual(action["res_id"], self.plan.inspection_ids.id)

    # ------------------------------------------------------------------
    # Overdue alerts, retention, companies
    # ------------------------------------------------------------------
    def test_an_overdue_inspection_alerts_the_warehouse_manager_once(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.manager.lang = "zh_CN"
        start = self.today.replace(day=1) - relativedelta(months=1)
        late = self.env["medical.stock.inspection"]._create_for_period(
            self.plan, start, start + relativedelta(day=31)
        )
        self.assertTrue(late.is_overdue)
        self.assertIn(late, self.env["medical.stock.inspection"].search([("is_overdue", "=", True)]))
        Plan = self.env["medical.stock.inspection.plan"]
        Plan._cron_stock_inspections()
        Plan._cron_stock_inspections()
        alert_type = self.env.ref("medical_expiry.mail_activity_type_stock_inspection_overdue")
        alerts = late.activity_ids.filtered(lambda activity: activity.activity_type_id == alert_type)
        self.assertEqual(len(alerts), 1)
        self.assertEqual(alerts.user_id, self.manager)
        self.assertIn(late.name, alerts.summary)
        self.assertIn("尚未关闭", alerts.summary, "written in the manager's language")
        current = self.plan.inspection_ids - late
        self.assertFalse(current.activity_ids, "the current period's inspection is not overdue")
        late.with_user(self.stock_user).action_start()
        self._record(late, **{"INS-EXPIRED": {"action": "quarantine"}})
        self._close_signed(late)
        self.assertFalse(late.activity_ids, "closing the inspection closes its alert")
        Plan._cron_stock_inspections()
        self.assertFalse(late.activity_ids)

    def test_a_closed_inspection_is_kept_for_gsp(self):
        inspection = self._started()
        with self.assertRaisesRegex(UserError, "under way cannot be deleted"):
            inspection.with_user(self.manager).unlink()
        self._record(inspection, **{"INS-EXPIRED": {"action": "quarantine"}})
        self._close_signed(inspection)
        until = self.company._expiry_date_of(self.good.expiration_date) + relativedelta(years=2)
        for records in (inspection.sudo(), inspection.with_user(self.manager)):
            with self.assertRaisesRegex(UserError, rf"cannot be deleted before\.\n• .*kept until {until}"):
                records.unlink()
        self.assertTrue(inspection.exists())

    def test_inspections_stay_in_their_company(self):
        other = self.env["res.company"].create({"name": "Other Distributor"})
        warehouse = self.env["stock.warehouse"].search([("company_id", "=", other.id)], limit=1)
        self._create_lot(self.syringe, 50, quantity=3, name="INS-OTHER-CO", location=warehouse.lot_stock_id)
        plan = self.env["medical.stock.inspection.plan"].create({"warehouse_id": warehouse.id})
        self.assertEqual(plan.company_id, other)
        self.env["medical.stock.inspection.plan"]._cron_stock_inspections()
        inspection = plan.inspection_ids
        self.assertEqual((inspection.company_id, inspection.line_ids.lot_id.name), (other, "INS-OTHER-CO"))
        Inspection = self.env["medical.stock.inspection"].with_user(self.stock_user)
        self.assertEqual(Inspection.search([]), self.plan.inspection_ids)
        with self.assertRaises(AccessError):
            inspection.with_user(self.stock_user).name  # noqa: B018
        with self.assertRaises(AccessError):
            self.env["medical.stock.inspection.plan"].with_user(self.stock_user).browse(plan.id).name  # noqa: B018

    # ------------------------------------------------------------------
    # Documents
    # ------------------------------------------------------------------
    def test_the_inspection_record_and_the_sales_push_list_print(self):
        inspection = self._started()
        self._record(inspection, **{"INS-EXPIRED": {"action": "quarantine"}})
        self._close_signed(inspection)
        _pdf, text = self._render_pdf("medical_expiry.report_stock_inspection", inspection)
        text = text.replace("- ", "-")  # lot names wrap in their narrow column
        for expected in (
            inspection.name,
            "INS-EXPIRED",
            "INS-NEAR",
            "INS-GOOD",
            "Move to Quarantine",
            "Expired",
        ):
            self.assertIn(expected, text)
        _pdf, text = self._render_pdf("medical_expiry.report_stock_inspection_sales_push", inspection)
        text = text.replace("- ", "-")
        self.assertIn("INS-NEAR", text)
        self.assertIn("Clearance Sale", text)
        self.assertNotIn("INS-GOOD", text)
        self.assertNotIn("INS-EXPIRED", text)
        action = self.env.ref("medical_expiry.action_report_stock_inspection_xlsx").report_action(
            inspection, config=False
        )
        rows = self._read_xlsx(action)
        self.assertIn(inspection.name, rows[0][0])
        self.assertIn("closing signature: Expiry Manager", rows[0][0])
        self.assertEqual(rows[1][:4], ["Inspection", "Product", "Specification / Model", "Lot/Serial Number"])
        self.assertEqual([row[3] for row in rows[2:]], ["INS-EXPIRED", "INS-NEAR", "INS-GOOD"])
        self.assertEqual((rows[2][0], rows[2][11]), (inspection.name, "Move to Quarantine"))
        start = self.today.replace(day=1) - relativedelta(months=1)
        earlier = self.env["medical.stock.inspection"]._create_for_period(
            self.plan, start, start + relativedelta(day=31)
        )
        both = earlier | inspection
        rows = self._read_xlsx(
            self.env.ref("medical_expiry.action_report_stock_inspection_xlsx").report_action(
                both, config=False
            )
        )
        self.assertIn(earlier.name, rows[0][0])
        self.assertIn(inspection.name, rows[1][0])
        self.assertEqual({row[0] for row in rows[3:]}, {earlier.name, inspection.name})


@tagged("post_install", "-at_install")
class TestStockInspectionTour(HttpCase, StockInspectionCase):
    def test_the_inspector_records_and_the_manager_signs_in_the_browser(self):
        admin = self.env.ref("base.user_admin")
        inspection = self._due_inspection()
        self.start_tour(
            f"/odoo/medical.stock.inspection/{inspection.id}",
            "medical_expiry_stock_inspection",
            login="admin",
        )
        self.assertEqual(inspection.state, "done")
        self.assertEqual(inspection.user_id, admin)
        self.assertEqual(self._line(inspection, self.expired).action, "quarantine")
        self.assertEqual(inspection.quarantine_picking_ids.move_line_ids.lot_id, self.expired)
        self.assertEqual(
            self._audit_rows(inspection, "stock_inspection_close").reason,
            "Stock checked, expired lot set aside",
        )
