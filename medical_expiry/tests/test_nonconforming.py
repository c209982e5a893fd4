from datetime import timedelta

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged

from .common import PASSWORD, MedicalExpiryCase


class NonconformingCase(MedicalExpiryCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Register = cls.env["medical.nonconforming"]
        cls.damaged = cls._create_lot(cls.syringe, 100, quantity=12, name="NC-DAMAGED")
        cls.witness = cls.env["res.users"].create(
            {
                "name": "Quality Witness",
                "login": "nc_witness",
                "groups_id": [Command.set([cls.env.ref("stock.group_stock_user").id])],
            }
        )

    def _report(self, lot=None, quantity=None, user=None, reason="damaged"):
        return self.Register.with_user(user or self.stock_user)._report_goods(
            [
                {
                    "reason": reason,
                    "lot_id": (lot or self.damaged).id,
                    "location_id": self.stock.id,
                    "quantity": quantity,
                }
            ]
        )

    def _carry_out(self, picking):
        picking.move_ids.picked = True
        result = picking.button_validate()
        if isinstance(result, dict):  # product_expiry asks to confirm moving an expired lot
            self.env[result["res_model"]].with_context(**result["context"]).create({}).process()
        self.assertEqual(picking.state, "done")

    def _approved(self, disposition="destroy", supplier=None):
        entry = self._report()
        self._carry_out(entry.intake_picking_id)
        action = entry.with_user(self.compliance_officer).action_approve()
        self._sign_in_wizard(
            self.compliance_officer,
            action,
            disposition=disposition,
            supplier_id=supplier and supplier.id,
            reason="Crushed cartons",
        ).action_sign()
        return entry

    def _signed_approval(self, entry, disposition="destroy", supplier=None, user=None):
        """``entry`` as the compliance officer sees it, once it signed approving ``disposition``."""
        return self._signed_with(
            user or self.compliance_officer,
            entry,
            "nonconforming_approve",
            self.Register._approval_values(disposition, supplier or self.env["res.partner"]),
        )

    def _signed_with(self, user, records, signed_action, values):
        self.env["medical.signature"].with_user(user)._sign(
            records.with_user(user), signed_action, PASSWORD, "approval", reason="Checked", values=values
        )
        return records.with_user(user)

    def _state(self, entry):
        entry.invalidate_recordset()
        return (entry.state, entry.disposition, entry.approver_id, entry.witness_ids, entry.scrap_id)


@tagged("post_install", "-at_install")
class TestNonconforming(NonconformingCase):
    """The non-conforming goods register (不合格品): reported goods go to the red zone, then are destroyed
    before witnesses or returned to their supplier, each step signed."""

    # ------------------------------------------------------------------
    # The flow
    # ------------------------------------------------------------------
    def test_reported_goods_are_taken_to_the_red_zone_of_their_warehouse(self):
        entry = self._report(quantity=5)
        red_zone = self.warehouse._get_nonconforming_location()
        self.assertTrue(red_zone.is_nonconforming and red_zone.is_quarantine)
        self.assertNotEqual(self.warehouse._get_quarantine_location(), red_zone, "the quarantine stays apart")
        self.assertEqual(self.warehouse._get_nonconforming_location(), red_zone, "one red zone per warehouse")
        self.assertEqual(
            (entry.state, entry.reason, entry.lot_id, entry.quantity, entry.reporter_id),
            ("reported", "damaged", self.damaged, 5, self.stock_user),
        )
        self.assertEqual((entry.source_location_id, entry.location_id), (self.stock, red_zone))
        picking = entry.intake_picking_id
        self.assertEqual(picking.location_dest_id, red_zone)
        self.assertEqual(picking.move_line_ids.lot_id, self.damaged, "reserved on exactly the lot")
        self.assertEqual(picking.move_line_ids.quantity, 5)
        self._carry_out(picking)
        self.assertEqual(
            self.env["stock.quant"]._get_available_quantity(self.syringe, red_zone, self.damaged), 5
        )
        self.assertTrue(self._audit_rows(entry, "nonconforming_report"))

    def test_approved_goods_are_destroyed_before_witnesses_and_printed(self):
        entry = self._approved()
        self.assertEqual((entry.state, entry.approver_id), ("approved", self.compliance_officer))
        self.assertEqual(entry.sudo().approve_signature_id.user_id, self.compliance_officer)
        action = entry.with_user(self.manager).action_destroy()
        self.assertEqual(action["res_model"], "medical.nonconforming.destroy.wizard")
        self._sign_in_wizard(
            self.manager, action, witness_ids=[Command.set([self.witness.id, self.compliance_officer.id])]
        ).action_sign()
        self.assertEqual(entry.state, "done")
        self.assertEqual(entry.witness_ids, self.witness | self.compliance_officer)
        scrap = entry.scrap_id
        self.assertEqual(
            (scrap.state, scrap.location_id, scrap.lot_id), ("done", entry.location_id, self.damaged)
        )
        self.assertEqual(scrap.scrap_qty, 12)
        self.assertFalse(
            self.damaged.quant_ids.filtered(
                lambda quant: quant.location_id.usage == "internal" and quant.quantity > 0
            )
        )
        row = self._audit_rows(entry, "nonconforming_destroy")
        self.assertEqual(row.signature_id.user_id, self.manager)
        self.assertIn("Quality Witness", row.new_values)
        self.assertEqual(self._audit_rows(entry, "nonconforming_approve").reason, "Crushed cartons")
        _pdf, text = self._render_pdf("medical_expiry.action_report_nonconforming_destruction", entry)
        for expected in (
            "销毁记录",
            entry.name,
            "NC-DAMAGED",
            "Quality Witness",
            "Compliance Officer",
            scrap.name,
        ):
            self.assertIn(expected, text)

    def test_the_destruction_record_prints_the_expiry_date_the_label_reads(self):
        """有效期至 D is a calendar date of the company: printed as D, not as the moment it ends."""
        entry = self._report()
        expiry = self.company._expiry_date_of(self.damaged.expiration_date)
        self.assertEqual(expiry, self.company._expiry_today() + timedelta(days=100))
        Report = self.env["report.medical_expiry.report_nonconforming_destruction"]
        for tz in ("Asia/Shanghai", "Pacific/Auckland"):  # the reader's zone changes nothing
            self.assertEqual(Report.with_context(tz=tz)._rows(entry)[0][2], expiry, tz)
        _pdf, text = self._render_pdf("medical_expiry.action_report_nonconforming_destruction", entry)
        self.assertIn(str(expiry), text)

    def test_the_red_zone_made_by_a_nightly_job_is_named_in_the_company_language(self):
        """The job runs in no one's language: the red zone and the quarantine it makes are named for the
        company's staff, in the company's language."""
        self.env["res.lang"]._activate_lang("zh_CN")
        self.company.partner_id.lang = "zh_CN"
        warehouse = self.warehouse_2.with_context(lang="en_US")
        self.assertEqual(warehouse._get_nonconforming_location().name, "不合格品区（红区）")
        self.assertEqual(warehouse._get_quarantine_location().name, "隔离区")

    def test_expired_goods_are_destroyed_with_one_signature(self):
        """The destruction's signature covers the scrap of an expired lot: no second scrap signature."""
        expired = self._create_lot(self.syringe, -3, quantity=4, name="NC-EXPIRED")
        entry = self._report(expired, reason="expired")
        self._carry_out(entry.intake_picking_id)
        self._signed_approval(entry)._approve("destroy")
        self._signed_with(
            self.manager, entry, "nonconforming_destroy", self.Register._destruction_values(self.witness)
        )._destroy(self.witness)
        self.assertEqual(entry.scrap_id.state, "done")
        self.assertFalse(self._audit_rows(expired, "scrap_expired"))

    def test_approved_goods_are_returned_to_their_supplier(self):
        entry = self._approved("return", self.supplier)
        self.assertEqual((entry.disposition, entry.supplier_id), ("return", self.supplier))
        action = entry.with_user(self.manager).action_return()
        self._sign_in_wizard(self.manager, action).action_sign()
        picking = entry.picking_id
        self.assertEqual(entry.state, "approved", "returned when the warehouse carries the return out")
        self.assertEqual((picking.location_id, picking.partner_id), (entry.location_id, self.supplier))
        self.assertEqual(picking.location_dest_id, self.supplier.property_stock_supplier)
        self.assertEqual(picking.move_line_ids.lot_id, self.damaged)
        self.assertEqual(picking.move_line_ids.quantity, 12)
        self.assertEqual(self._audit_rows(entry, "nonconforming_return").signature_id.user_id, self.manager)
        with self.assertRaisesRegex(UserError, "already being returned"):
            entry.with_user(self.manager).action_return()
        self._carry_out(picking.with_user(self.stock_user))
        self.assertEqual(entry.state, "done")
        self.assertEqual((entry.done_by_id, entry.date_done), (self.stock_user, picking.date_done))
        self.assertEqual(entry.done_signature_id.user_id, self.manager, "the signer of the return is kept")
        row = self._audit_rows(entry, "nonconforming_returned")
        self.assertEqual((row.user_id, row.reason), (self.stock_user, picking.name))
        self.assertIn('"done"', row.new_values)

    def test_a_return_carried_out_in_part_is_done_with_its_backorder(self):
        entry = self._approved("return", self.supplier)
        self._signed_with(self.manager, entry, "nonconforming_return", None)._return_to_supplier()
        first = entry.picking_id
        first.move_line_ids.quantity = 5
        first.move_ids.picked = True
        action = first.button_validate()
        self.env[action["res_model"]].with_context(**action["context"]).create({}).process()
        self.assertEqual(first.state, "done")
        self.assertEqual((entry.state, entry.picking_id), ("approved", first.backorder_ids))
        self.assertFalse(self._audit_rows(entry, "nonconforming_returned"))
        self._carry_out(entry.picking_id)
        self.assertEqual(entry.state, "done")
        self.assertEqual(entry.date_done, first.backorder_ids.date_done)

    def test_a_cancelled_return_leaves_the_goods_approved_to_be_returned_again(self):
        entry = self._approved("return", self.supplier)
        self._signed_with(self.manager, entry, "nonconforming_return", None)._return_to_supplier()
        first = entry.picking_id
        first.with_user(self.stock_user).action_cancel()
        self.assertEqual((entry.state, entry.picking_id.state), ("approved", "cancel"))
        self.assertFalse(entry.done_by_id)
        self.assertFalse(self._audit_rows(entry, "nonconforming_returned"))
        self._signed_with(self.manager, entry, "nonconforming_return", None)._return_to_supplier()
        self.assertNotEqual(entry.picking_id, first)
        self.assertEqual(entry.picking_id.state, "assigned")
        self.assertEqual(entry.state, "approved")

    # ------------------------------------------------------------------
    # Refusals: a clear error, nothing written
    # ------------------------------------------------------------------
    def test_control_fields_are_written_only_by_the_register(self):
        entry = self._report()
        before = self._state(entry)
        for user in (self.stock_user, self.manager, self.compliance_officer):
            with self.subTest(user=user.name):
                with self.assertRaisesRegex(UserError, "cannot be written directly"):
                    entry.with_user(user).write({"state": "done", "approver_id": user.id})
                with self.assertRaisesRegex(UserError, "cannot be written directly"):
                    entry.with_user(user).write({"witness_ids": [Command.set(self.witness.ids)]})
                with self.assertRaisesRegex(UserError, "entered by reporting them"):
                    self.Register.with_user(user).create(
                        {"reason": "damaged", "lot_id": self.damaged.id, "state": "done"}
                    )
                self.assertEqual(self._state(entry), before)
        entry.with_user(self.stock_user).note = "Cartons crushed by a forklift"
        self.assertEqual(entry.note, "Cartons crushed by a forklift")

    def test_approval_and_destruction_need_their_signers(self):
        entry = self._report()
        self._carry_out(entry.intake_picking_id)
        before = self._state(entry)
        with self.assertRaises(AccessError):
            entry.with_user(self.stock_user).action_approve()
        with self.assertRaises(AccessError):
            entry.with_user(self.manager)._approve("destroy")
        with self.assertRaisesRegex(UserError, "signature"):
            entry.with_user(self.compliance_officer)._approve("destroy")
        with self.assertRaisesRegex(UserError, "need the supplier"):
            self._signed_approval(entry, "return")._approve("return")
        self.assertEqual(self._state(entry), before)
        with self.assertRaisesRegex(UserError, "this needs them to be Approved"):
            entry.with_user(self.manager).action_destroy()
        self._signed_approval(entry)._approve("destroy")
        before = self._state(entry)
        with self.assertRaises(AccessError):
            entry.with_user(self.compliance_officer)._destroy(self.witness)
        with self.assertRaisesRegex(UserError, "signature"):
            entry.with_user(self.manager)._destroy(self.witness)
        with self.assertRaisesRegex(UserError, "at least one witness besides yourself"):
            self._signed_with(self.manager, entry, "nonconforming_destroy", {"witness_ids": []})._destroy(
                self.manager
            )
        with self.assertRaisesRegex(UserError, "approved for another disposition"):
            entry.with_user(self.manager).action_return()
        self.assertEqual(self._state(entry), before)

    def test_goods_are_disposed_of_only_once_in_the_red_zone(self):
        entry = self._report()
        self._signed_approval(entry)._approve("destroy")
        with self.assertRaisesRegex(UserError, "not in the non-conforming zone yet"):
            entry.with_user(self.manager).action_destroy()
        self.assertEqual(entry.state, "approved")
        self.assertFalse(entry.scrap_id)

    def test_reports_are_refused_beyond_the_free_stock_and_to_non_warehouse_users(self):
        with self.assertRaisesRegex(UserError, "has 12.0 free"):
            self._report(quantity=13)
        outsider = self.env["res.users"].create(
            {
                "name": "Outsider",
                "login": "nc_outsider",
                "groups_id": [Command.set([self.env.ref("base.group_user").id])],
            }
        )
        with self.assertRaises(AccessError):
            self._report(user=outsider)
        self.assertFalse(self.Register.search([("lot_id", "=", self.damaged.id)]))

    def test_a_scrap_cannot_pose_as_a_destruction(self):
        entry = self._report()
        with self.assertRaisesRegex(UserError, "through their own Destroy action"):
            self.env["stock.scrap"].with_user(self.manager).create(
                {
                    "product_id": self.syringe.id,
                    "lot_id": self.damaged.id,
                    "scrap_qty": 1,
                    "location_id": self.stock.id,
                    "nonconforming_id": entry.id,
                }
            )

    def test_cancelled_report_cancels_its_transfer(self):
        entry = self._report()
        with self.assertRaises(AccessError):
            entry.with_user(self.stock_user).action_cancel()
        self.assertEqual(entry.state, "reported")
        entry.with_user(self.manager).action_cancel()
        self.assertEqual(entry.state, "cancelled")
        self.assertEqual(entry.intake_picking_id.state, "cancel")
        self.assertTrue(self._audit_rows(entry, "nonconforming_cancel"))

    def test_entries_are_kept_for_gsp(self):
        entry = self._report()
        with self.assertRaisesRegex(UserError, "cannot be deleted before"):
            entry.sudo().unlink()
        self.assertTrue(entry.exists())

    def test_entries_of_another_company_are_not_seen(self):
        entry = self._report()
        company_b = self.env["res.company"].create({"name": "Beijing Medical"})
        user_b = self.env["res.users"].create(
            {
                "name": "Beijing Stock",
                "login": "nc_beijing",
                "company_id": company_b.id,
                "company_ids": [Command.set(company_b.ids)],
                "groups_id": [Command.set([self.env.ref("stock.group_stock_user").id])],
            }
        )
        self.assertFalse(self.Register.with_user(user_b).search([("id", "=", entry.id)]))
        with self.assertRaises(AccessError):
            self._report(user=user_b)
        self.assertEqual(self.Register.search([("lot_id", "=", self.damaged.id)]), entry)
        self.assertTrue(self.Register.with_user(self.stock_user).search([("id", "=", entry.id)]))

    # ------------------------------------------------------------------
    # Feeds
    # ------------------------------------------------------------------
    def test_the_nightly_job_registers_expired_stock_once(self):
        expired = self._create_lot(self.strips, -2, quantity=6, name="NC-NIGHT")
        self.env["stock.quant"]._update_available_quantity(self.strips, self.stock_2, 3, lot_id=expired)
        self.env["stock.quant"]._update_available_quantity(self.strips, self.quarantine, 2, lot_id=expired)
        Lot = self.env["stock.lot"]
        Lot._block_expired_lots(expired)
        self.assertFalse(self.Register.search([("lot_id", "=", expired.id)]), "registered by its own job")
        Lot._cron_report_expired_stock()
        entries = self.Register.search([("lot_id", "=", expired.id)])
        self.assertEqual(
            {(entry.source_location_id, entry.quantity, entry.reason) for entry in entries},
            {(self.stock, 6, "expired"), (self.stock_2, 3, "expired")},
            "the stock in quarantine is left where it is",
        )
        self.assertEqual(
            entries.location_id,
            self.warehouse._get_nonconforming_location() | self.warehouse_2._get_nonconforming_location(),
        )
        # More of the lot found where an entry is still open: that entry covers the place.
        self.env["stock.quant"]._update_available_quantity(self.strips, self.stock, 1, lot_id=expired)
        Lot._cron_report_expired_stock()
        expired._report_expired_stock()
        self.assertEqual(self.Register.search([("lot_id", "=", expired.id)]), entries, "no second entry")
        # Cancelled by a manager: a decision the next night does not undo.
        entries.filtered(lambda entry: entry.source_location_id == self.stock_2).sudo().action_cancel()
        Lot._cron_report_expired_stock()
        self.assertEqual(self.Register.search([("lot_id", "=", expired.id)]), entries, "not registered again")

    def test_the_nightly_job_takes_expired_stock_off_open_deliveries(self):
        expiring = self._create_lot(self.strips, 20, quantity=10, name="NC-RESERVED")
        delivery = self._create_picking(self.strips, 4)
        self.env["stock.move.line"].create(
            {
                "move_id": delivery.move_ids.id,
                "picking_id": delivery.id,
                "product_id": self.strips.id,
                "product_uom_id": self.strips.uom_id.id,
                "location_id": self.stock.id,
                "location_dest_id": delivery.location_dest_id.id,
                "lot_id": expiring.id,
                "quantity": 4,
            }
        )
        sound = self._create_lot(self.strips, 400, quantity=20, name="NC-SOUND")
        self._age_lots(expiring, 22)
        Lot = self.env["stock.lot"]
        Lot._block_expired_lots(expiring)
        Lot._cron_report_expired_stock()
        entry = self.Register.search([("lot_id", "=", expiring.id)])
        self.assertEqual(
            (entry.source_location_id, entry.quantity), (self.stock, 10), "all of it, reserved too"
        )
        self.assertEqual(
            [(line.lot_id, line.quantity) for line in entry.intake_picking_id.move_line_ids], [(expiring, 10)]
        )
        self.assertEqual([(line.lot_id, line.quantity) for line in delivery.move_line_ids], [(sound, 4)])
        self.assertEqual(delivery.state, "assigned")
        note = delivery.message_ids[0]
        self.assertIn("taken off this transfer", note.body)
        self.assertIn("Lot NC-RESERVED (4.0 Units): Expired", note.body)
        # Run again, it writes nothing: the register's own transfer keeps the lot.
        messages, audit = delivery.message_ids, self.env["medical.audit.log"].search_count([])
        Lot._cron_report_expired_stock()
        self.assertEqual(self.Register.search([("lot_id", "=", expiring.id)]), entry)
        self.assertEqual(entry.intake_picking_id.move_line_ids.lot_id, expiring)
        self.assertEqual(delivery.message_ids, messages)
        self.assertEqual(self.env["medical.audit.log"].search_count([]), audit)

    def test_the_nightly_feed_drains_a_backlog_in_bounded_runs(self):
        lots = self.env["stock.lot"]
        for index in range(3):
            lots |= self._create_lot(self.strips, -2, quantity=1, name=f"NC-BACKLOG-{index}")
        Lot = self.env["stock.lot"]
        Lot._block_expired_lots(lots)
        Lot._cron_report_expired_stock(batch_size=2)
        self.assertEqual(len(self.Register.search([("lot_id", "in", lots.ids)])), 2)
        Lot._cron_report_expired_stock(batch_size=2)
        self.assertEqual(self.Register.search([("lot_id", "in", lots.ids)]).lot_id, lots)


@tagged("post_install", "-at_install")
class TestNonconformingTour(HttpCase, NonconformingCase):
    def test_approve_and_destroy_signed_in_the_browser(self):
        admin = self.env.ref("base.user_admin")
        admin.groups_id = [
            Command.link(self.env.ref("medical_expiry.group_expiry_compliance").id),
            Command.link(self.env.ref("medical_expiry.group_expiry_manager").id),
        ]
        entry = self._report()
        self._carry_out(entry.intake_picking_id)
        self.start_tour(
            f"/odoo/medical.nonconforming/{entry.id}", "medical_expiry_nonconforming", login="admin"
        )
        self.assertEqual((entry.state, entry.disposition), ("done", "destroy"))
        self.assertEqual(entry.witness_ids, self.witness)
        self.assertEqual(entry.done_by_id, admin)
        self.assertEqual(
            self._audit_rows(entry, "nonconforming_destroy").reason, "Destroyed before the quality witness"
        )
