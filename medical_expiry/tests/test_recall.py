import unicodedata
from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .recall_common import RecallCase


@tagged("post_install", "-at_install")
class TestRecall(RecallCase):
    """One lot everywhere: two warehouses, in transit, reserved, delivered to two customers, part returned."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.quarantine_2 = cls.warehouse_2._get_quarantine_location()

    def setUp(self):
        super().setUp()
        (self.lot,) = self._receive(self.syringe, {"SYR-R1": 100})
        self.purchase = self.env["purchase.order"].search([("partner_id", "=", self.supplier.id)], limit=1)
        Quant = self.env["stock.quant"]
        Quant._update_available_quantity(self.syringe, self.stock, -20, lot_id=self.lot)
        Quant._update_available_quantity(self.syringe, self.stock_2, 20, lot_id=self.lot)
        Quant._update_available_quantity(self.syringe, self.transit, 10, lot_id=self.lot)
        self.d1 = self._deliver(self.customer, (self.lot, 10))
        self.d2 = self._deliver(self.ward, (self.lot, 5))
        self.d3 = self._deliver(self.clinic, (self.lot, 8), warehouse=self.warehouse_2)
        self._return(self.d2, (self.lot, 3)).button_validate()
        self.open_delivery = self._create_picking(self.syringe, 6, partner=self.pharmacy)
        self.assertEqual(self.open_delivery.move_line_ids.lot_id, self.lot)

    def _lines(self, recall, line_type, **where):
        return recall.line_ids.filtered(
            lambda line: (
                line.line_type == line_type and all(line[key] == value for key, value in where.items())
            )
        )

    def _pickings(self, recall, source_usage=None, destination=None, partner=None):
        return recall.picking_ids.filtered(
            lambda picking: (
                (not source_usage or picking.location_id.usage == source_usage)
                and (not destination or picking.location_dest_id == destination)
                and (not partner or picking.partner_id == partner)
            )
        )

    def _quarantine_transfers(self, recall):
        return recall.picking_ids.filtered(lambda picking: picking.picking_type_id.code == "internal")

    def _validate(self, picking, quantity=None):
        """Validate as received: a short quantity leaves no backorder."""
        if quantity is not None:
            picking.move_line_ids.quantity = quantity
        picking.move_ids.picked = True
        picking.with_context(skip_backorder=True, picking_ids_not_to_backorder=picking.ids).button_validate()
        self.assertEqual(picking.state, "done")

    def _pdf_text(self, report, records):
        """The text of a rendered PDF, as a reader sees it (CJK compatibility forms and tabs normalised)."""
        _pdf, text = self._render_pdf(report, records)
        return " ".join(unicodedata.normalize("NFKC", text).split())

    # ------------------------------------------------------------------
    # Opening and trace
    # ------------------------------------------------------------------
    def test_wizard_opens_a_traced_draft_recall_with_its_sequence(self):
        recall = self._open_recall(self.lot)
        self.assertEqual(recall.state, "draft")
        self.assertRegex(recall.name, rf"^RC/{fields.Date.today().year}/\d{{4}}$")
        self.assertEqual(recall.lot_ids, self.lot)
        self.assertEqual(recall.user_id, self.compliance_officer)
        self.assertFalse(recall.date_open)
        self.assertFalse(self.lot.is_blocked, "a draft recall changes nothing in stock")
        self.assertEqual(recall.qty_affected, 110)

    def test_trace_finds_every_unit_everywhere(self):
        recall = self._open_recall(self.lot)
        on_hand = self._lines(recall, "on_hand")
        self.assertEqual(
            {(line.location_id, line.warehouse_id, line.quantity) for line in on_hand},
            {(self.stock, self.warehouse, 62.0), (self.stock_2, self.warehouse_2, 12.0)},
        )
        reserved = self._lines(recall, "reserved")
        self.assertEqual(reserved.picking_id, self.open_delivery)
        self.assertEqual(reserved.partner_id, self.pharmacy)
        self.assertEqual((reserved.location_id, reserved.quantity), (self.stock, 6.0))
        transit = self._lines(recall, "in_transit")
        self.assertEqual((transit.location_id, transit.quantity), (self.transit, 10.0))
        delivered = self._lines(recall, "delivered")
        # The ward's delivery counts for its hospital; its return of 3 comes off that latest delivery.
        self.assertEqual(
            sorted(
                (line.partner_id.name, line.picking_id.name, line.warehouse_id.code, line.quantity)
                for line in delivered
            ),
            sorted(
                [
                    ("Hospital", self.d1.name, self.warehouse.code, 10.0),
                    ("Hospital", self.d2.name, self.warehouse.code, 2.0),
                    ("Clinic", self.d3.name, "SHT", 8.0),
                ]
            ),
        )
        for line in delivered:
            self.assertEqual(line.date, line.picking_id.move_line_ids.date)
        self.assertEqual(recall.line_ids.supplier_id, self.supplier)
        self.assertEqual(recall.line_ids.purchase_id, self.purchase)
        self.assertEqual(recall.line_ids.receipt_id, self.purchase.picking_ids)
        self.assertEqual(
            (recall.qty_in_stock, recall.qty_in_transit, recall.qty_shipped, recall.qty_open),
            (80, 10, 20, 110),
        )

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
            recall.with_user(self.compliance_officer).action_confirm()
            self.assertEqual(recall.notice_deadline, recall.date_open + timedelta(days=days))
            recall.action_cancel()
        settings = self.env["res.config.settings"].create({"recall_notice_days_class_3": 10})
        settings.execute()
        self.assertEqual(self.company.recall_notice_days_class_3, 10)

    # ------------------------------------------------------------------
    # Confirmation
    # ------------------------------------------------------------------
    def test_confirm_blocks_unreserves_quarantines_and_prepares_notices_and_returns(self):
        good = self._create_lot(self.syringe, 300, name="SYR-GOOD", quantity=4)
        recall = self._open_recall(self.lot)
        recall.with_user(self.compliance_officer).action_confirm()
        self.assertEqual(recall.state, "in_progress")
        self.assertTrue(recall.date_open)
        # Blocked: the outbound guard refuses the lot from now on.
        self.assertTrue(self.lot.is_blocked)
        self.assertEqual(self.lot.block_reason, "recall")
        self.assertIn(recall.name, self.lot.block_note)
        # Unreserved from the open delivery, which took the sound lot instead.
        self.assertEqual(self.open_delivery.move_line_ids.lot_id, good)
        self.assertEqual(self.open_delivery.move_ids.quantity, 4)
        # One quarantine transfer per warehouse, reserving exactly the recalled stock.
        to_quarantine = self._pickings(recall, source_usage="internal", destination=self.quarantine)
        to_quarantine_2 = self._pickings(recall, source_usage="internal", destination=self.quarantine_2)
        self.assertEqual(len(to_quarantine), 1)
        self.assertEqual(to_quarantine.picking_type_id, self.warehouse.int_type_id)
        self.assertEqual(to_quarantine.state, "assigned")
        self.assertEqual(
            [(line.lot_id, line.location_id, line.quantity) for line in to_quarantine.move_line_ids],
            [(self.lot, self.stock, 68.0)],
        )
        self.assertEqual(
            [(line.lot_id, line.location_id, line.quantity) for line in to_quarantine_2.move_line_ids],
            [(self.lot, self.stock_2, 12.0)],
        )
        # One notice per customer.
        self.assertEqual(
            sorted(
                (notice.partner_id.name, notice.qty_shipped, notice.state) for notice in recall.notice_ids
            ),
            [("Clinic", 8.0, "to_send"), ("Hospital", 12.0, "to_send")],
        )
        # One return per customer into the quarantine of the warehouse that shipped, for what it holds.
        hospital_return = self._pickings(recall, source_usage="customer", partner=self.customer)
        clinic_return = self._pickings(recall, source_usage="customer", partner=self.clinic)
        self.assertEqual(hospital_return.location_dest_id, self.quarantine)
        self.assertEqual(clinic_return.location_dest_id, self.quarantine_2)
        self.assertEqual(
            [(ml.lot_id, ml.quantity) for ml in hospital_return.move_line_ids], [(self.lot, 12.0)]
        )
        self.assertEqual([(ml.lot_id, ml.quantity) for ml in clinic_return.move_line_ids], [(self.lot, 8.0)])
        self.assertEqual(
            recall.notice_ids.filtered(lambda n: n.partner_id == self.clinic).return_picking_ids,
            clinic_return,
        )
        # Returns to the supplier from each quarantine, waiting for the stock to get there.
        to_supplier = self._pickings(recall, partner=self.supplier)
        self.assertEqual(to_supplier.location_id, self.quarantine | self.quarantine_2)
        self.assertEqual(set(to_supplier.mapped("state")), {"waiting"})
        self.assertEqual(sorted(to_supplier.move_ids.mapped("product_uom_qty")), [12.0, 68.0])
        self.assertEqual(len(recall.picking_ids), 6)
        # A to-do for the responsible, due at the notice deadline.
        activity = recall.activity_ids
        self.assertEqual(activity.user_id, self.compliance_officer)
        self.assertEqual(activity.date_deadline, recall.notice_deadline.date())

    def test_stock_in_transit_is_redirected_to_quarantine(self):
        arriving = self._create_picking(
            self.syringe,
            10,
            source=self.transit,
            destination=self.stock_2,
            picking_type=self.warehouse_2.in_type_id,
        )
        self.assertEqual(arriving.move_line_ids.lot_id, self.lot)
        recall = self._open_recall(self.lot)
        self.assertEqual(self._lines(recall, "in_transit").picking_id, arriving)
        recall.with_user(self.compliance_officer).action_confirm()
        self.assertEqual(arriving.move_line_ids.location_dest_id, self.quarantine_2)
        self._validate(arriving)
        self.assertEqual(self._quant_quantity(self.lot, self.quarantine_2), 10)
        self.assertEqual(self._lines(recall, "in_transit").qty_recovered, 10)
        self.assertEqual(recall.qty_quarantined, 10)

    def test_each_unit_in_transit_is_traced_to_its_own_receipt_and_arrives_in_quarantine(self):
        """A receipt entered before its goods left reserves nothing: the recall still finds them."""
        arriving = self._create_picking(
            self.syringe,
            10,
            source=self.transit,
            destination=self.stock_2,
            picking_type=self.warehouse_2.in_type_id,
        )
        entered_early = self._create_picking(
            self.syringe,
            4,
            source=self.transit,
            destination=self.stock_2,
            picking_type=self.warehouse_2.in_type_id,
        )
        self.assertEqual((arriving.state, entered_early.state), ("assigned", "confirmed"))
        self.assertFalse(entered_early.move_line_ids)
        departure = self._create_picking(self.syringe, 4, destination=self.transit)
        self._set_lines(departure, (self.lot, 4))
        departure.button_validate()
        self.assertEqual(self._quant_quantity(self.lot, self.transit), 14)

        recall = self._open_recall(self.lot)
        transit = self._lines(recall, "in_transit")
        self.assertEqual(
            sorted((line.picking_id.name, line.quantity) for line in transit),
            sorted([(arriving.name, 10.0), (entered_early.name, 4.0)]),
        )
        recall.with_user(self.compliance_officer).action_confirm()
        self.assertEqual(entered_early.state, "assigned")
        self.assertEqual(
            [(line.lot_id, line.quantity, line.location_dest_id) for line in entered_early.move_line_ids],
            [(self.lot, 4.0, self.quarantine_2)],
        )
        self._validate(entered_early)
        self._validate(arriving)
        self.assertEqual(self._quant_quantity(self.lot, self.quarantine_2), 14)
        self.assertFalse(self._quant_quantity(self.lot, self.transit))
        self.assertEqual(sum(self._lines(recall, "in_transit").mapped("qty_recovered")), 14)

    def test_recalled_lot_cannot_be_shipped_after_confirmation(self):
        recall = self._open_recall(self.lot)
        recall.with_user(self.compliance_officer).action_confirm()
        picking = self._create_picking(self.syringe, 5, partner=self.clinic)
        self.assertFalse(picking.move_line_ids)
        self._set_lines(picking, (self.lot, 5))
        with self.assertRaises(UserError) as error:
            picking.button_validate()
        self.assertIn("blocked (Recall)", str(error.exception))

    def test_supplier_return_reserves_the_lots_its_quarantine_transfer_brings(self):
        recall = self._open_recall(self.lot)
        recall.with_user(self.compliance_officer).action_confirm()
        self._validate(self._pickings(recall, source_usage="internal", destination=self.quarantine))
        to_supplier = self._pickings(recall, partner=self.supplier).filtered(
            lambda picking: picking.location_id == self.quarantine
        )
        self.assertEqual(to_supplier.state, "assigned")
        self.assertEqual([(ml.lot_id, ml.quantity) for ml in to_supplier.move_line_ids], [(self.lot, 68.0)])
        self._validate(to_supplier)
        self.assertFalse(self._quant_quantity(self.lot, self.quarantine))
        self.assertEqual(self._lines(recall, "on_hand", location_id=self.stock).qty_recovered, 62)
        self.assertEqual(self._lines(recall, "reserved").qty_recovered, 6)

    def test_stock_already_in_quarantine_is_recovered_and_returned_at_once(self):
        (held,) = self._receive(self.strips, {"STR-Q": 7})
        self.env["stock.quant"]._update_available_quantity(self.strips, self.stock, -7, lot_id=held)
        self.env["stock.quant"]._update_available_quantity(self.strips, self.quarantine, 7, lot_id=held)
        recall = self._open_recall(held)
        line = recall.line_ids
        self.assertEqual((line.line_type, line.location_id, line.quantity), ("on_hand", self.quarantine, 7))
        self.assertTrue(line.is_resolved)
        recall.with_user(self.compliance_officer).action_confirm()
        self.assertFalse(self._quarantine_transfers(recall))
        to_supplier = recall.picking_ids
        self.assertEqual(to_supplier.partner_id, self.supplier)
        self.assertEqual(to_supplier.state, "assigned")
        self.assertEqual(
            [(ml.lot_id, ml.location_id, ml.quantity) for ml in to_supplier.move_line_ids],
            [(held, self.quarantine, 7.0)],
        )
        self.assertEqual((recall.qty_quarantined, recall.qty_open), (7, 0))

    def test_compliance_officer_confirms_and_every_step_is_logged(self):
        recall = self._open_recall(self.lot)
        recall.with_user(self.compliance_officer).action_confirm()
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

    # ------------------------------------------------------------------
    # Serials
    # ------------------------------------------------------------------
    def test_serials_are_traced_one_by_one(self):
        serials = self._receive(self.pacemaker, {"PM-001": 1, "PM-002": 1, "PM-003": 1, "PM-004": 1})
        self._deliver(self.customer, (serials[0], 1), (serials[1], 1))
        self._deliver(self.clinic, (serials[2], 1))
        recall = self._open_recall(serials, recall_class="class_1")
        self.assertEqual(
            sorted(
                (line.line_type, line.lot_id.name, line.partner_id.name or "", line.quantity)
                for line in recall.line_ids
            ),
            [
                ("delivered", "PM-001", "Hospital", 1.0),
                ("delivered", "PM-002", "Hospital", 1.0),
                ("delivered", "PM-003", "Clinic", 1.0),
                ("on_hand", "PM-004", "", 1.0),
            ],
        )
        recall.with_user(self.compliance_officer).action_confirm()
        hospital_return = self._pickings(recall, source_usage="customer", partner=self.customer)
        self.assertEqual(
            sorted((ml.lot_id.name, ml.quantity) for ml in hospital_return.move_line_ids),
            [("PM-001", 1.0), ("PM-002", 1.0)],
        )
        self._validate(hospital_return)
        self.assertEqual(recall.qty_recovered, 2)
        self.assertEqual(self._quant_quantity(serials[0], self.quarantine), 1)

    # ------------------------------------------------------------------
    # Progress and closing
    # ------------------------------------------------------------------
    def test_progress_per_customer_and_in_total_up_to_a_signed_close(self):
        recall = self._open_recall(self.lot)
        recall.with_user(self.compliance_officer).action_confirm()
        for picking in self._quarantine_transfers(recall):
            self._validate(picking)
        self._validate(self._pickings(recall, source_usage="customer", partner=self.customer))
        self._validate(self._pickings(recall, source_usage="customer", partner=self.clinic), quantity=5)
        hospital, clinic = (
            recall.notice_ids.filtered(lambda n, p=p: n.partner_id == p) for p in (self.customer, self.clinic)
        )
        self.assertEqual((hospital.qty_shipped, hospital.qty_recovered, hospital.qty_open), (12, 12, 0))
        self.assertEqual((clinic.qty_shipped, clinic.qty_recovered, clinic.qty_open), (8, 5, 3))
        self.assertEqual(
            (recall.qty_shipped, recall.qty_recovered, recall.qty_quarantined, recall.qty_open),
            (20, 17, 80, 13),
        )
        self.assertAlmostEqual(recall.recovery_rate, 17 / 20)
        self.assertEqual(self._quant_quantity(self.lot, self.quarantine), 68 + 12)

        # Closing with open lines: a clear error naming them, nothing changes.
        with self.assertRaises(UserError) as error:
            recall.with_user(self.compliance_officer).action_close()
        message = str(error.exception)
        self.assertIn("2 lines are not resolved", message)
        self.assertIn("In Transit, lot SYR-R1", message)
        self.assertIn("Delivered, lot SYR-R1 of Syringe, Clinic", message)
        self.assertIn("3.0 Units open", message)
        self.assertEqual(recall.state, "in_progress")

        # The clinic used three; the units in transit were destroyed on the way.
        clinic_line = self._lines(recall, "delivered", partner_id=self.clinic)
        with self.assertRaises(UserError):
            clinic_line.with_user(self.compliance_officer)._resolve("written_off", "")
        self.assertEqual(clinic_line.qty_written_off, 0)
        action = clinic_line.with_user(self.compliance_officer).action_resolve()
        self.env["medical.recall.resolve.wizard"].with_user(self.compliance_officer).with_context(
            **action["context"]
        ).create(
            {"resolution": "written_off", "reason": "Used on patients before the notice"}
        ).action_resolve()
        self._lines(recall, "in_transit").with_user(self.compliance_officer)._resolve(
            "destroyed", "Certificate 42"
        )
        self.assertEqual((clinic.qty_written_off, clinic.qty_open), (3, 0))
        self.assertEqual((recall.qty_destroyed, recall.qty_written_off, recall.qty_open), (10, 3, 0))
        self.assertIn("Used on patients", clinic_line.resolution_note)

        # Closing needs a compliance officer's signature.
        with self.assertRaises(UserError) as error:
            recall.with_user(self.compliance_officer)._close()
        self.assertIn("electronic signature", str(error.exception))
        self.assertEqual(recall.state, "in_progress")
        with self.assertRaises(AccessError):
            recall.with_user(self.manager).action_close()
        action = recall.with_user(self.compliance_officer).action_close()
        self.assertEqual(action["res_model"], "medical.signature.wizard")
        self._signed(
            self.compliance_officer, recall, "recall_close", reason="All units accounted for"
        )._close()
        self.assertEqual(recall.state, "closed")
        self.assertTrue(recall.date_closed)
        self.assertEqual(recall.close_signature_id.user_id, self.compliance_officer)
        row = self._audit_rows(recall, "recall_close")
        self.assertEqual(row.signature_id, recall.close_signature_id)
        self.assertEqual(row.reason, "All units accounted for")
        self.assertIn('"recovered":17.0', row.new_values)
        self.assertFalse(recall.activity_ids)

    def test_closing_with_open_lines_changes_nothing_even_when_signed(self):
        recall = self._open_recall(self.lot)
        recall.with_user(self.compliance_officer).action_confirm()
        signed = self._signed(self.compliance_officer, recall, "recall_close")
        with self.assertRaises(UserError) as error:
            signed._close()
        self.assertIn("7 lines are not resolved", str(error.exception))
        self.assertEqual(recall.state, "in_progress")
        self.assertFalse(recall.close_signature_id)
        self.assertFalse(self._audit_rows(recall, "recall_close"))

    # ------------------------------------------------------------------
    # Notices
    # ------------------------------------------------------------------
    def test_notices_are_mailed_with_the_pdf_and_acknowledged(self):
        recall = self._open_recall(self.lot)
        recall.with_user(self.compliance_officer).action_confirm()
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
        recall.with_user(self.compliance_officer).action_confirm()
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
        recall.with_user(self.compliance_officer).action_confirm()
        recall.date_open = fields.Datetime.now() - timedelta(days=2)
        self.assertEqual(recall.notice_deadline, recall.date_open + timedelta(days=1))
        recall.notice_ids[0].action_send()
        self.assertTrue(recall.notice_ids[0].is_late)
        self.assertEqual(recall.notice_late_count, 1)
        self.assertFalse(recall.notices_complete)
        self.assertEqual(recall.response_time_hours, 0)

    # ------------------------------------------------------------------
    # KPIs
    # ------------------------------------------------------------------
    def test_recall_kpis_response_time_and_recovery_rate(self):
        first = self._open_recall(self.lot)
        first.with_user(self.compliance_officer).action_confirm()
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
        second.with_user(self.compliance_officer).action_confirm()
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

    # ------------------------------------------------------------------
    # Reports
    # ------------------------------------------------------------------
    def test_recall_report_renders_as_pdf(self):
        recall = self._open_recall(self.lot)
        recall.with_user(self.compliance_officer).action_confirm()
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
        recall.with_user(self.compliance_officer).action_confirm()
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
        recall.with_user(self.compliance_officer).action_confirm()
        Workbench.invalidate_model()
        rows = Workbench.search([("lot_id", "=", self.lot.id)])
        self.assertTrue(rows)
        self.assertTrue(all(rows.mapped("open_recall")))
        self.assertEqual(Workbench.search([("open_recall", "=", True)]), rows)
