from datetime import timedelta

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import PASSWORD
from .recall_common import RecallEverywhereCase


class NonconformingRecallCase(RecallEverywhereCase):
    """A recall of lot SYR-R1 everywhere, and the register's helpers."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Register = cls.env["medical.nonconforming"]
        cls.witness = cls.env["res.users"].create(
            {
                "name": "Recall Witness",
                "login": "nc_recall_witness",
                "groups_id": [Command.set([cls.env.ref("stock.group_stock_user").id])],
            }
        )

    def _confirmed_recall(self):
        recall = self._open_recall(self.lot)
        self._confirm_recall(recall, self.compliance_officer)
        return recall

    def _entries(self):
        return self.Register.search([("lot_id", "=", self.lot.id)], order="id")

    def _signed_with(self, user, records, signed_action, values=None):
        self.env["medical.signature"].with_user(user)._sign(
            records.with_user(user), signed_action, PASSWORD, "approval", reason="Checked", values=values
        )
        return records.with_user(user)

    def _approve_as_quality(self, entry, disposition, supplier=None):
        """``entry`` approved for ``disposition`` by the compliance officer, signed."""
        supplier = supplier or self.env["res.partner"]
        self._signed_with(
            self.compliance_officer,
            entry,
            "nonconforming_approve",
            self.Register._approval_values(disposition, supplier),
        )._approve(disposition, supplier or None)


@tagged("post_install", "-at_install")
class TestNonconformingRecall(NonconformingRecallCase):
    """The units a recall brings back feed the non-conforming goods register, where they wait in the
    recall's quarantine; the recall's returns to the supplier are their disposition."""

    def test_stock_taken_to_quarantine_is_registered_when_it_gets_there(self):
        recall = self._confirmed_recall()
        self.assertFalse(self._entries(), "nothing is registered before the goods are in quarantine")
        to_quarantine = self._pickings(recall, source_usage="internal", destination=self.quarantine)
        self._validate(to_quarantine.with_user(self.stock_user))
        entry = self._entries()
        self.assertEqual(
            (entry.reason, entry.origin, entry.lot_id, entry.quantity, entry.company_id),
            ("recalled", recall.name, self.lot, 68.0, recall.company_id),
        )
        self.assertEqual(
            (entry.source_location_id, entry.location_id, entry.intake_picking_id),
            (self.stock, self.quarantine, to_quarantine),
        )
        self.assertEqual(entry.reporter_id, self.stock_user, "reported by who brought the goods in")
        # The recall returns them to their supplier: that is the approved disposition, by its confirmation.
        supplier_return = self._pickings(recall, partner=self.supplier).filtered(
            lambda picking: picking.location_id == self.quarantine
        )
        self.assertEqual(
            (entry.state, entry.disposition, entry.supplier_id, entry.picking_id),
            ("approved", "return", self.supplier, supplier_return),
        )
        self.assertEqual(
            (entry.approver_id, entry.date_approved), (self.compliance_officer, recall.date_open)
        )
        self.assertEqual(recall.confirm_user_id, self.compliance_officer)
        self.assertTrue(recall.confirm_signature_id)
        self.assertEqual(
            entry.sudo().approve_signature_id,
            recall.confirm_signature_id,
            "approved under the recall's signed confirmation: no second decision to sign",
        )
        self.assertEqual(entry.sudo().approve_signature_id.signed_action, "recall_confirm")
        self.assertEqual(supplier_return.state, "assigned", "the recall's chained return is untouched")
        row = self._audit_rows(entry, "nonconforming_report")
        self.assertEqual((row.user_id, row.reason), (self.stock_user, recall.name))
        self.assertIn('"return"', row.new_values)

    def test_the_recalls_return_to_the_supplier_is_done_when_validated(self):
        recall = self._confirmed_recall()
        self._validate(self._pickings(recall, source_usage="internal", destination=self.quarantine))
        self._validate(self._pickings(recall, source_usage="internal", destination=self.quarantine_2))
        entries = self._entries()
        self.assertEqual(entries.location_id, self.quarantine | self.quarantine_2)
        self.assertEqual(set(entries.mapped("state")), {"approved"})
        first_return = entries.filtered(lambda entry: entry.location_id == self.quarantine).picking_id
        self._validate(first_return.with_user(self.stock_user))
        done = entries.filtered(lambda entry: entry.state == "done")
        self.assertEqual(done.picking_id, first_return)
        self.assertEqual((done.done_by_id, done.date_done), (self.stock_user, first_return.date_done))
        self.assertEqual(
            entries.filtered(lambda entry: entry.location_id == self.quarantine_2).state,
            "approved",
            "the other warehouse's return is still to be carried out",
        )
        row = self._audit_rows(done, "nonconforming_returned")
        self.assertEqual((row.user_id, row.reason), (self.stock_user, first_return.name))
        self.assertIn('"approved"', row.old_values)
        self.assertIn('"done"', row.new_values)

    def test_customer_returns_are_registered_as_they_arrive_for_quality_to_decide(self):
        recall = self._confirmed_recall()
        hospital_return = self._pickings(recall, source_usage="customer", partner=self.customer)
        self._validate(hospital_return, quantity=10)
        entry = self._entries()
        self.assertEqual(
            (entry.reason, entry.quantity, entry.source_location_id, entry.location_id),
            ("recalled", 10.0, self.customers, self.quarantine),
            "the quantity that arrived, not the one expected",
        )
        self.assertEqual(entry.intake_picking_id, hospital_return)
        self.assertEqual(
            (entry.state, entry.disposition, entry.approver_id), ("reported", False, self.env["res.users"])
        )
        # Destroyed where it waits, the recall's quarantine, as any entry: approved, then witnessed.
        self._approve_as_quality(entry, "destroy")
        self._signed_with(
            self.manager, entry, "nonconforming_destroy", self.Register._destruction_values(self.witness)
        )._destroy(self.witness)
        self.assertEqual(entry.state, "done")
        self.assertEqual((entry.scrap_id.state, entry.scrap_id.location_id), ("done", self.quarantine))
        self.assertEqual(self._quant_quantity(self.lot, self.quarantine), 0)

    def test_stock_in_transit_is_registered_where_it_arrives(self):
        arriving = self._create_picking(
            self.syringe,
            10,
            source=self.transit,
            destination=self.stock_2,
            picking_type=self.warehouse_2.in_type_id,
        )
        self._confirmed_recall()
        self._validate(arriving)
        entry = self._entries()
        self.assertEqual(
            (entry.source_location_id, entry.location_id, entry.intake_picking_id, entry.quantity),
            (self.transit, self.quarantine_2, arriving, 10.0),
        )
        self.assertEqual(entry.state, "reported", "the recall returns nothing in transit to the supplier")

    def test_a_recall_cancelled_before_recovery_leaves_no_entry(self):
        recall = self._confirmed_recall()
        recall.with_user(self.compliance_officer).action_cancel()
        self.assertEqual(set(recall.picking_ids.mapped("state")), {"cancel"})
        self.assertFalse(self._entries())

    def test_a_recall_cancelled_after_recovery_leaves_its_goods_for_quality_to_decide(self):
        recall = self._confirmed_recall()
        self._validate(self._pickings(recall, source_usage="internal", destination=self.quarantine))
        entry = self._entries()
        self.assertEqual(entry.state, "approved")
        recall.with_user(self.compliance_officer).action_cancel()
        self.assertEqual(
            (entry.state, entry.disposition, entry.picking_id, entry.approver_id),
            ("reported", False, self.env["stock.picking"], self.env["res.users"]),
            "the recall's decision is withdrawn with its return",
        )
        row = self._audit_rows(entry, "nonconforming_reopen")
        self.assertEqual(row.reason, recall.name)
        self.assertIn('"return"', row.old_values)
        entry.with_user(self.manager).action_cancel()
        self.assertEqual(entry.state, "cancelled")

    def test_a_cancelled_return_of_the_recall_can_be_signed_again_from_the_register(self):
        recall = self._confirmed_recall()
        self._validate(self._pickings(recall, source_usage="internal", destination=self.quarantine))
        entry = self._entries()
        with self.assertRaisesRegex(UserError, "already being returned"):
            entry.with_user(self.manager).action_return()
        entry.picking_id.action_cancel()
        self.assertEqual(entry.state, "approved")
        self._signed_with(self.manager, entry, "nonconforming_return")._return_to_supplier()
        self.assertNotEqual(entry.picking_id.recall_id, recall)
        self.assertEqual(
            (entry.picking_id.location_id, entry.picking_id.partner_id), (self.quarantine, self.supplier)
        )
        self._validate(entry.picking_id)
        self.assertEqual(entry.state, "done")
        self.assertEqual(entry.done_signature_id.user_id, self.manager)

    def test_recall_entries_are_not_written_by_rpc(self):
        recall = self._confirmed_recall()
        self._validate(self._pickings(recall, source_usage="internal", destination=self.quarantine))
        entry = self._entries()
        before = (entry.state, entry.picking_id, entry.approver_id, entry.quantity)
        rows = self.env["medical.audit.log"].search_count([("model", "=", entry._name)])
        for user in (self.stock_user, self.manager, self.compliance_officer):
            with self.subTest(user=user.name):
                with self.assertRaisesRegex(UserError, "cannot be written directly"):
                    entry.with_user(user).write({"state": "done", "approver_id": user.id})
                with self.assertRaisesRegex(UserError, "entered by reporting them"):
                    self.Register.with_user(user).create(
                        {"reason": "recalled", "lot_id": self.lot.id, "origin": recall.name}
                    )
                with self.assertRaisesRegex(UserError, "set by confirming the recall"):
                    recall.with_user(user).write({"confirm_user_id": user.id})
                entry.invalidate_recordset()
                recall.invalidate_recordset()
                self.assertEqual((entry.state, entry.picking_id, entry.approver_id, entry.quantity), before)
                self.assertEqual(recall.confirm_user_id, self.compliance_officer)
        self.assertEqual(self.env["medical.audit.log"].search_count([("model", "=", entry._name)]), rows)

    def test_entries_belong_to_the_recalls_company(self):
        company_b = self.env["res.company"].create({"name": "Beijing Medical"})
        warehouse_b = self.env["stock.warehouse"].search([("company_id", "=", company_b.id)], limit=1)
        officer_b = self.env["res.users"].create(
            {
                "name": "Beijing Officer",
                "login": "nc_recall_beijing",
                "password": PASSWORD,
                "company_id": company_b.id,
                "company_ids": [Command.set(company_b.ids)],
                "groups_id": [
                    Command.set(
                        [
                            self.env.ref("medical_expiry.group_expiry_compliance").id,
                            self.env.ref("stock.group_stock_user").id,
                        ]
                    )
                ],
            }
        )
        lot_b = self.env["stock.lot"].create(
            {
                "name": "SYR-BJ",
                "product_id": self.syringe.id,
                "company_id": company_b.id,
                "expiration_date": company_b._expiry_datetime_of(
                    company_b._expiry_today() + timedelta(days=300)
                ),
            }
        )
        self.env["stock.quant"]._update_available_quantity(
            self.syringe, warehouse_b.lot_stock_id, 7, lot_id=lot_b
        )
        recall = (
            self.env["medical.recall"]
            .with_user(officer_b)
            ._create_recall(
                {"recall_class": "class_2", "reason": "Sterility not assured", "company_id": company_b.id},
                lot_b,
            )
        )
        self._confirm_recall(recall, officer_b)
        to_quarantine = recall.picking_ids.filtered(
            lambda picking: picking.picking_type_id.code == "internal"
        )
        self._validate(to_quarantine.with_user(officer_b))
        entry = self.Register.search([("lot_id", "=", lot_b.id)])
        self.assertEqual((entry.company_id, entry.quantity), (company_b, 7.0))
        self.assertEqual(entry.location_id, warehouse_b._get_quarantine_location())
        self.assertEqual(entry.state, "reported", "no supplier known: quality decides")
        self.assertEqual(self.Register.with_user(officer_b).search([("lot_id", "=", lot_b.id)]), entry)
        self.assertFalse(self.Register.with_user(self.stock_user).search([("id", "=", entry.id)]))
