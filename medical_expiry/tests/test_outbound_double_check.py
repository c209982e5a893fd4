from datetime import timedelta

from odoo import Command
from odoo.api import call_kw
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import MedicalExpiryCase, gtin

SYRINGE_GTIN = gtin("690123456780")


@tagged("post_install", "-at_install")
class TestOutboundDoubleCheck(MedicalExpiryCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.outbound_double_check_required = True
        cls.syringe.barcode = SYRINGE_GTIN
        cls.lot = cls._create_lot(cls.syringe, 300, name="LOT-DC-1", quantity=20)
        cls.lot_2 = cls._create_lot(cls.syringe, 350, name="LOT-DC-2", quantity=20)
        cls.Check = cls.env["medical.outbound.check"]

    def _picked_delivery(self, quantity=5, picker=None):
        """A delivery of syringes, its line's quantity set by ``picker`` (the stock user)."""
        delivery = self._create_picking(self.syringe, quantity)
        self._set_lines(delivery, (self.lot, quantity))
        delivery.move_line_ids.with_user(picker or self.stock_user).write({"quantity": quantity})
        return delivery

    def _checked(self, delivery, checker=None):
        check = self.Check.with_user(checker or self.compliance_officer)._start(delivery)
        check.line_ids.action_confirm()
        return check

    def _code(self, lot_name, expiry):
        return f"(01)0{SYRINGE_GTIN}(17){expiry:%y%m%d}(10){lot_name}"

    def test_setting_is_off_by_default_and_a_delivery_then_needs_no_check(self):
        other = self.env["res.company"].create({"name": "Other Distributor"})
        self.assertFalse(other.outbound_double_check_required)
        self.company.outbound_double_check_required = False
        delivery = self._picked_delivery()
        delivery.button_validate()
        self.assertEqual(delivery.state, "done")

    def test_delivery_not_double_checked_is_refused_by_button_and_by_code(self):
        delivery = self._picked_delivery()
        with self.assertRaisesRegex(
            UserError, r"(?s)double-check.*Syringe, lot LOT-DC-1, 5 .*not double-checked"
        ):
            delivery.with_user(self.manager).button_validate()
        with self.assertRaisesRegex(UserError, "not double-checked"):
            delivery._action_done()
        with self.assertRaisesRegex(UserError, "not double-checked"):
            delivery.move_ids._action_done()
        self.assertEqual(delivery.state, "assigned")
        self.assertFalse(delivery.move_line_ids.filtered(lambda line: line.state == "done"))

    def test_checked_by_another_person_validates_and_prints_on_the_outbound_voucher(self):
        delivery = self._picked_delivery()
        check = self._checked(delivery)
        self.assertEqual(check.state, "done")
        self.assertEqual(check.checker_id, self.compliance_officer)
        self.assertTrue(check.line_ids.packaging_ok)
        self.assertTrue(self._audit_rows(delivery, "outbound_check"))
        delivery.with_user(self.stock_user).button_validate()
        self.assertEqual(delivery.state, "done")
        self.assertEqual(delivery.outbound_checker_id, self.compliance_officer)
        _pdf, text = self._render_pdf("medical_expiry.action_report_outbound_voucher", delivery)
        self.assertIn("Double-checked by", text)
        self.assertIn("Compliance Officer", text)

    def test_picker_cannot_check_own_line(self):
        delivery = self._picked_delivery()
        check = self.Check.with_user(self.compliance_officer)._start(delivery)
        with self.assertRaisesRegex(UserError, "picked by you"):
            check.line_ids.with_user(self.stock_user).action_confirm()
        check.line_ids.invalidate_recordset()
        self.assertEqual(check.line_ids.result, "pending")
        self.assertFalse(check.line_ids.checker_id)

    def test_checker_who_rewrites_the_line_becomes_its_picker_and_is_refused(self):
        delivery = self._picked_delivery()
        self._checked(delivery)
        delivery.move_line_ids.with_user(self.compliance_officer).write({"quantity": 5})
        with self.assertRaisesRegex(UserError, "checked by its own picker, Compliance Officer"):
            delivery.button_validate()
        self.assertEqual(delivery.state, "assigned")

    def _reserved_delivery(self, quantity=5, reserver=None):
        """A delivery of syringes waiting, then reserved by ``reserver`` clicking Check Availability."""
        delivery = self.env["stock.picking"].create(
            {
                "picking_type_id": self.warehouse.out_type_id.id,
                "partner_id": self.customer.id,
                "move_ids": [
                    Command.create(
                        {
                            "name": self.syringe.name,
                            "product_id": self.syringe.id,
                            "product_uom_qty": quantity,
                            "location_id": self.stock.id,
                            "location_dest_id": self.customers.id,
                        }
                    )
                ],
            }
        )
        delivery.move_ids._action_confirm()
        delivery.move_line_ids.unlink()
        delivery.with_user(reserver or self.manager).action_assign()
        self.assertEqual(delivery.move_ids.quantity, quantity)
        return delivery

    def test_who_only_reserved_is_no_picker_and_may_check(self):
        delivery = self._reserved_delivery()
        self.assertFalse(delivery.move_line_ids.medical_picked_by_id, "the reservation picks nobody")
        delivery.move_ids.with_user(self.stock_user).picked = True
        self.assertEqual(delivery.move_line_ids.medical_picked_by_id, self.stock_user)
        # Check Availability again (a line topped up by the reservation) leaves the picker as it was.
        delivery.with_user(self.manager).action_assign()
        self.assertEqual(delivery.move_line_ids.medical_picked_by_id, self.stock_user)
        check = self._checked(delivery, self.manager)
        self.assertEqual((check.state, check.checker_id), ("done", self.manager))
        delivery.with_user(self.stock_user).button_validate()
        self.assertEqual(delivery.state, "done")

    def test_who_ticked_the_line_picked_cannot_check_it(self):
        delivery = self._reserved_delivery(reserver=self.compliance_officer)
        delivery.move_line_ids.with_user(self.manager).write({"picked": True})
        self.assertEqual(delivery.move_line_ids.medical_picked_by_id, self.manager)
        check = self.Check.with_user(self.compliance_officer)._start(delivery)
        with self.assertRaisesRegex(UserError, "picked by you"):
            check.line_ids.with_user(self.manager).action_confirm()
        check.line_ids.invalidate_recordset()
        self.assertEqual((check.line_ids.result, check.line_ids.checker_id.id), ("pending", False))
        # The lot changed by hand in the detailed operations: whoever changed it picked the line.
        delivery.move_line_ids.with_user(self.compliance_officer).write({"lot_id": self.lot_2.id})
        self.assertEqual(delivery.move_line_ids.medical_picked_by_id, self.compliance_officer)

    def test_client_cannot_name_the_picker(self):
        delivery = self._picked_delivery()
        line = delivery.move_line_ids.with_user(self.stock_user)
        line.write({"medical_picked_by_id": self.manager.id, "quantity": 5})
        self.assertEqual(line.medical_picked_by_id, self.stock_user)
        line.write({"medical_picked_by_id": self.manager.id})
        self.assertEqual(line.medical_picked_by_id, self.stock_user)
        made = (
            self.env["stock.move.line"]
            .with_user(self.manager)
            .create(
                {
                    "move_id": delivery.move_ids.id,
                    "picking_id": delivery.id,
                    "product_id": self.syringe.id,
                    "product_uom_id": self.syringe.uom_id.id,
                    "location_id": self.stock.id,
                    "location_dest_id": delivery.location_dest_id.id,
                    "lot_id": self.lot_2.id,
                    "quantity": 1,
                    "medical_picked_by_id": False,
                }
            )
        )
        made.invalidate_recordset()
        self.assertEqual(made.medical_picked_by_id, self.manager, "whoever makes a line by hand picked it")

    def test_line_changed_after_the_check_needs_checking_again(self):
        delivery = self._picked_delivery()
        check = self._checked(delivery)
        delivery.move_line_ids.with_user(self.stock_user).write({"quantity": 4})
        with self.assertRaisesRegex(UserError, "lot LOT-DC-1, 4 .*not double-checked"):
            delivery.button_validate()
        with self.assertRaisesRegex(UserError, "changed since the check started"):
            check.line_ids.with_user(self.manager).action_confirm()
        check = self._checked(delivery, self.manager)
        self.assertEqual(check.line_ids.quantity, 4)
        delivery.with_context(skip_backorder=True).button_validate()
        self.assertEqual(delivery.state, "done")

    def test_mismatch_refuses_validation_and_prints_a_refusal_slip(self):
        delivery = self._picked_delivery()
        check = self.Check.with_user(self.compliance_officer)._start(delivery)
        wizard = (
            self.env["medical.outbound.mismatch.wizard"]
            .with_user(self.compliance_officer)
            .create({"check_line_id": check.line_ids.id, "reason": "Outer box crushed"})
        )
        wizard.action_confirm()
        self.assertEqual(check.state, "mismatch")
        self.assertTrue(self._audit_rows(delivery, "outbound_mismatch"))
        with self.assertRaisesRegex(UserError, r"mismatch \(Outer box crushed\)"):
            delivery.button_validate()
        self.assertEqual(delivery.state, "assigned")
        with self.assertRaisesRegex(UserError, "found not to match"):
            check.line_ids.with_user(self.manager).action_confirm()
        _pdf, text = self._render_pdf("medical_expiry.action_report_outbound_refusal", check)
        for expected in (
            "Refusal Slip",
            delivery.name,
            "LOT-DC-1",
            "Outer box crushed",
            "Compliance Officer",
        ):
            self.assertIn(expected, text)

    def test_mismatch_needs_a_reason(self):
        delivery = self._picked_delivery()
        check = self.Check.with_user(self.compliance_officer)._start(delivery)
        with self.assertRaisesRegex(UserError, "Say what does not match"):
            check.line_ids.with_user(self.compliance_officer).action_record_mismatch("  ")
        self.assertEqual(check.line_ids.result, "pending")

    def test_refusal_slip_refused_without_mismatch(self):
        check = self._checked(self._picked_delivery())
        with self.assertRaisesRegex(UserError, "found no mismatch"):
            self._render_pdf("medical_expiry.action_report_outbound_refusal", check)

    def test_warehouse_user_cannot_write_the_check_by_rpc(self):
        delivery = self._picked_delivery()
        check = self.Check.with_user(self.compliance_officer)._start(delivery)
        with self.assertRaises(AccessError):
            check.line_ids.with_user(self.compliance_officer).write(
                {"result": "ok", "checker_id": self.compliance_officer.id}
            )
        with self.assertRaises(AccessError):
            self.env["medical.outbound.check.line"].with_user(self.compliance_officer).create(
                {"check_id": check.id, "result": "ok"}
            )
        with self.assertRaises(AccessError):
            check.with_user(self.stock_user).unlink()
        check.invalidate_recordset()
        self.assertEqual(check.line_ids.result, "pending")
        self.assertEqual(check.state, "checking")

    def test_scan_ticks_the_matching_line(self):
        delivery = self._picked_delivery()
        check = self.Check.with_user(self.compliance_officer)._start(delivery)
        expiry = self.company._expiry_date_of(self.lot.expiration_date)
        check.action_scan(self._code("LOT-DC-1", expiry))
        self.assertEqual(check.line_ids.result, "ok")
        self.assertEqual(check.state, "done")

    def test_scan_of_a_wrong_lot_or_expiry_records_a_mismatch(self):
        delivery = self._picked_delivery()
        check = self.Check.with_user(self.compliance_officer)._start(delivery)
        expiry = self.company._expiry_date_of(self.lot.expiration_date)
        check.action_scan(self._code("LOT-DC-1", expiry + timedelta(days=31)))
        self.assertEqual(check.line_ids.result, "mismatch")
        self.assertIn("Wrong expiry", check.line_ids.reason)

        other = self._picked_delivery()
        other_check = self.Check.with_user(self.compliance_officer)._start(other)
        other_check.action_scan(self._code("LOT-DC-2", expiry))
        self.assertEqual(other_check.line_ids.result, "mismatch")
        self.assertIn("Wrong lot scanned: LOT-DC-2 instead of LOT-DC-1", other_check.line_ids.reason)

    def test_scan_of_a_device_not_on_the_delivery_is_refused(self):
        delivery = self._picked_delivery()
        check = self.Check.with_user(self.compliance_officer)._start(delivery)
        with self.assertRaisesRegex(UserError, "no device still to check"):
            check.action_scan(f"(01)0{gtin('690000000001')}(10)X")
        self.assertEqual(check.line_ids.result, "pending")

    def test_check_cannot_start_on_a_receipt(self):
        receipt = self._create_picking(
            self.syringe, 5, partner=self.supplier, picking_type=self.warehouse.in_type_id
        )
        with self.assertRaisesRegex(UserError, "not a delivery"):
            self.Check.with_user(self.compliance_officer)._start(receipt)
        self.assertFalse(self.Check.search([("picking_id", "=", receipt.id)]))

    def test_checks_of_another_company_are_not_visible(self):
        delivery = self._picked_delivery()
        check = self._checked(delivery)
        other = self.env["res.company"].create({"name": "Other Distributor"})
        outsider = self.env["res.users"].create(
            {
                "name": "Outsider",
                "login": "dc_outsider",
                "company_id": other.id,
                "company_ids": [Command.set(other.ids)],
                "groups_id": [Command.set([self.env.ref("stock.group_stock_user").id])],
            }
        )
        self.assertFalse(self.Check.with_user(outsider).search([("id", "=", check.id)]))
        with self.assertRaises(AccessError):
            check.with_user(outsider).line_ids.read(["result"])

    def test_backorder_after_the_check_still_validates(self):
        delivery = self._create_picking(self.syringe, 8)
        self._set_lines(delivery, (self.lot, 5))
        delivery.move_line_ids.with_user(self.stock_user).write({"quantity": 5})
        self._checked(delivery)
        action = delivery.with_user(self.compliance_officer).button_validate()
        self.assertEqual(action["res_model"], "stock.backorder.confirmation")
        wizard = (
            self.env["stock.backorder.confirmation"]
            .with_user(self.compliance_officer)
            .with_context(**action["context"])
            .create({})
        )
        wizard.process()
        self.assertEqual(delivery.state, "done")

    def test_setting_is_in_the_inventory_settings(self):
        self.company.outbound_double_check_required = False
        self.env["res.config.settings"].create({"outbound_double_check_required": True}).execute()
        self.assertTrue(self.company.outbound_double_check_required)

    def test_picker_cannot_tick_own_line_by_scanning(self):
        delivery = self._picked_delivery()
        check = self.Check.with_user(self.compliance_officer)._start(delivery)
        expiry = self.company._expiry_date_of(self.lot.expiration_date)
        with self.assertRaisesRegex(UserError, "picked by you"):
            check.with_user(self.stock_user).action_scan(self._code("LOT-DC-1", expiry))
        check.invalidate_recordset()
        self.assertEqual(check.line_ids.result, "pending")
        self.assertFalse(self._audit_rows(delivery, "outbound_check"))

    def _mismatched(self, delivery, checker=None):
        check = self.Check.with_user(checker or self.compliance_officer)._start(delivery)
        check.line_ids.with_user(checker or self.compliance_officer).action_record_mismatch(
            "Outer box crushed"
        )
        self.assertEqual(check.state, "mismatch")
        return check

    def test_picker_cannot_check_a_mismatch_again(self):
        delivery = self._picked_delivery()
        check = self._mismatched(delivery)
        mismatch = check.line_ids
        audit_before = self.env["medical.audit.log"].search_count([])
        with self.assertRaisesRegex(UserError, "picked by you: another person double-checks it"):
            mismatch.with_user(self.stock_user).action_recheck()
        check.invalidate_recordset()
        mismatch.invalidate_recordset()
        self.assertEqual(check.line_ids, mismatch)
        self.assertEqual(check.history_line_ids, mismatch)
        self.assertFalse(mismatch.superseded_at)
        self.assertEqual(check.state, "mismatch")
        self.assertEqual(self.env["medical.audit.log"].search_count([]), audit_before)

    def test_mismatch_of_a_cancelled_delivery_is_not_checked_again(self):
        delivery = self._picked_delivery()
        check = self._mismatched(delivery)
        delivery.action_cancel()
        with self.assertRaisesRegex(UserError, "its double-check is closed"):
            check.line_ids.with_user(self.manager).action_recheck()
        check.invalidate_recordset()
        self.assertEqual(len(check.history_line_ids), 1)
        self.assertFalse(check.history_line_ids.superseded_at)
        self.assertFalse(self._audit_rows(delivery, "outbound_recheck"))

    def test_mismatch_is_not_checked_again_by_writing_or_confirming_it(self):
        delivery = self._picked_delivery()
        check = self._mismatched(delivery)
        with self.assertRaises(AccessError):
            check.line_ids.with_user(self.manager).write({"superseded_at": "2026-01-01 00:00:00"})
        with self.assertRaisesRegex(
            UserError, "found not to match: once the goods are corrected, check it again"
        ):
            check.line_ids.with_user(self.manager).action_confirm()
        check.invalidate_recordset()
        self.assertEqual(check.line_ids.result, "mismatch")
        self.assertFalse(check.line_ids.superseded_at)

    def test_only_a_current_mismatch_is_checked_again(self):
        check = self.Check.with_user(self.compliance_officer)._start(self._picked_delivery())
        with self.assertRaisesRegex(UserError, "has no mismatch to check again"):
            check.line_ids.with_user(self.manager).action_recheck()
        self.assertEqual(len(check.history_line_ids), 1)

    def test_mismatch_checked_again_by_another_person_clears_the_block_and_stays_in_history(self):
        delivery = self._picked_delivery()
        check = self._mismatched(delivery)
        mismatch = check.line_ids
        # The goods are re-picked physically: the transfer line itself is unchanged. Checked again as the
        # button or an RPC client calls it.
        recheck_ids = call_kw(
            self.Check.line_ids.with_user(self.manager), "action_recheck", [mismatch.ids], {}
        )
        recheck = self.Check.line_ids.browse(recheck_ids)
        self.assertEqual(check.state, "checking")
        self.assertEqual(check.line_ids, recheck)
        self.assertEqual(recheck.result, "pending")
        with self.assertRaisesRegex(UserError, "not double-checked"):
            delivery.button_validate()
        with self.assertRaisesRegex(UserError, "has no mismatch to check again"):
            mismatch.with_user(self.manager).action_recheck()
        recheck.with_user(self.manager).action_confirm()
        self.assertEqual(check.state, "done")
        self.assertEqual(check.checker_id, self.manager)
        self.assertEqual(check.history_line_ids, mismatch | recheck)
        self.assertEqual(mismatch.result, "mismatch")
        self.assertEqual(mismatch.reason, "Outer box crushed")
        self.assertTrue(mismatch.superseded_at)
        self.assertTrue(self._audit_rows(delivery, "outbound_mismatch"))
        self.assertIn("Outer box crushed", self._audit_rows(delivery, "outbound_recheck").reason)
        # The refusal slip still prints what was found not to match.
        _pdf, text = self._render_pdf("medical_expiry.action_report_outbound_refusal", check)
        self.assertIn("Outer box crushed", text)
        self.assertIn("LOT-DC-1", text)
        delivery.with_user(self.stock_user).button_validate()
        self.assertEqual(delivery.state, "done")

    def test_mismatch_checked_again_by_scanning(self):
        delivery = self._picked_delivery()
        check = self._mismatched(delivery)
        check.line_ids.with_user(self.manager).action_recheck()
        expiry = self.company._expiry_date_of(self.lot.expiration_date)
        check.with_user(self.manager).action_scan(self._code("LOT-DC-1", expiry))
        self.assertEqual(check.state, "done")
        self.assertEqual(len(check.history_line_ids), 2)

    def test_mismatch_of_a_changed_line_stays_in_history_when_the_check_starts_again(self):
        delivery = self._picked_delivery()
        check = self._mismatched(delivery)
        mismatch = check.line_ids
        delivery.move_line_ids.with_user(self.stock_user).write({"quantity": 4})
        with self.assertRaisesRegex(UserError, "changed since the check started"):
            mismatch.with_user(self.manager).action_recheck()
        check = self._checked(delivery, self.manager)
        self.assertEqual(check.state, "done")
        self.assertTrue(mismatch.exists())
        self.assertTrue(mismatch.superseded_at)
        self.assertIn(mismatch, check.history_line_ids)
