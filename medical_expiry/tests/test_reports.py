from datetime import timedelta

from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import PASSWORD, MedicalExpiryCase, as_cell


@tagged("post_install", "-at_install")
class TestExpiryStockReport(MedicalExpiryCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.syringe.standard_price = 2.5
        cls.strips.standard_price = 4.0
        cls.level_30 = cls._create_rule(30)
        cls.level_90 = cls._create_rule(90)
        cls.near_a = cls._create_lot(cls.syringe, 20, name="NEAR-A", quantity=10)
        cls.near_b = cls._create_lot(cls.strips, 60, name="NEAR-B", quantity=5)
        cls.near_c = cls._create_lot(cls.syringe, 80, name="NEAR-C", quantity=4, location=cls.stock_2)
        cls.near_d = cls._create_lot(cls.syringe, 25, name="NEAR-D", quantity=3, location=cls.transit)
        cls.expired_e = cls._create_lot(cls.syringe, -3, name="EXP-E", quantity=6)
        cls.expired_f = cls._create_lot(cls.strips, -10, name="EXP-F", quantity=2, location=cls.stock_2)
        cls._create_lot(cls.syringe, 300, name="OK-G", quantity=7)
        cls.Wizard = cls.env["medical.expiry.report.wizard"]

    def _row(self, lot, location, unit_cost, quantity):
        return [
            location.warehouse_id.name or "No Warehouse",
            location.display_name,
            lot.product_id.display_name,
            lot.name,
            as_cell(lot.expiration_date.date()),
            lot.days_to_expiry,
            lot.expiry_rule_id.name or None,
            quantity,
            unit_cost,
            quantity * unit_cost,
        ]

    def _total(self, first, second, quantity, value):
        return [first, second, None, None, None, None, None, quantity, None, value]

    def test_near_expiry_stock_by_warehouse_then_level_with_totals(self):
        wizard = self.Wizard.create({"report_kind": "near_expiry"})
        header = [
            "Warehouse",
            "Location",
            "Product",
            "Lot/Serial Number",
            "Expiration Date",
            "Days Left",
            "Level",
            "Quantity",
            "Unit Cost",
            "Value",
        ]
        warehouse = self.warehouse.name
        self.assertEqual(
            self._read_xlsx(wizard.action_export_xlsx(), user=wizard.env.user),
            [
                ["Near-Expiry Stock: All warehouses and stock in transit", *[None] * 9],
                header,
                self._row(self.near_a, self.stock, 2.5, 10),
                self._row(self.near_b, self.stock, 4, 5),
                self._total(warehouse, "Total", 15, 45),
                self._row(self.near_c, self.stock_2, 2.5, 4),
                self._total("Shanghai", "Total", 4, 10),
                self._row(self.near_d, self.transit, 2.5, 3),
                self._total("No Warehouse", "Total", 3, 7.5),
                self._total("Total", None, 22, 62.5),
            ],
        )
        self.assertEqual(
            (self.near_a.expiry_rule_id, self.near_b.expiry_rule_id), (self.level_30, self.level_90)
        )

        action = wizard.action_print_pdf()
        _pdf, text = self._render_pdf(action["report_name"], self.Wizard, data=action["data"])
        self.assertIn("Near-Expiry Stock", text)
        for lot in ("NEAR-A", "NEAR-B", "NEAR-C", "NEAR-D"):
            self.assertIn(lot, text)
        for lot in ("EXP-E", "EXP-F", "OK-G"):
            self.assertNotIn(lot, text)
        self.assertIn("62.50", text)

    def test_expired_stock_of_chosen_warehouses_only(self):
        wizard = self.Wizard.create(
            {"report_kind": "expired", "warehouse_ids": [Command.set(self.warehouse.ids)]}
        )
        rows = self._read_xlsx(wizard.action_export_xlsx(), user=wizard.env.user)
        self.assertEqual(rows[0][0], f"Expired Stock: {self.warehouse.name}")
        self.assertEqual(
            rows[2:],
            [
                self._row(self.expired_e, self.stock, 2.5, 6),
                self._total(self.warehouse.name, "Total", 6, 15),
                self._total("Total", None, 6, 15),
            ],
        )
        action = wizard.action_print_pdf()
        _pdf, text = self._render_pdf(action["report_name"], self.Wizard, data=action["data"])
        self.assertIn("EXP-E", text)
        self.assertNotIn("EXP-F", text)

    def test_no_such_stock_prints_an_empty_table(self):
        wizard = self.Wizard.create(
            {"report_kind": "expired", "warehouse_ids": [Command.set(self.warehouse.ids)]}
        )
        self.expired_e.quant_ids.unlink()
        self.assertEqual(
            len(self._read_xlsx(wizard.action_export_xlsx(), user=wizard.env.user)),
            2,
            "notes and header only",
        )
        action = wizard.action_print_pdf()
        _pdf, text = self._render_pdf(action["report_name"], self.Wizard, data=action["data"])
        self.assertIn("Nothing to report.", text)

    def test_unknown_report_kind_is_refused_and_nothing_is_produced(self):
        attachments = self.env["ir.attachment"].search_count([])
        with self.assertRaises(UserError):
            self._read_xlsx(
                self.Wizard.create({"report_kind": "near_expiry"}).action_export_xlsx()
                | {"data": {"report_kind": "soon"}}
            )
        with self.assertRaises(UserError):
            self._render_pdf("medical_expiry.action_report_expiry_stock", self.Wizard, data={})
        self.assertEqual(self.env["ir.attachment"].search_count([]), attachments)

    def test_workbench_list_exports_its_visible_columns(self):
        rows = (
            self.env["medical.expiry.workbench"]
            .with_user(self.manager)
            .search([("lot_id", "in", (self.near_a | self.expired_e).ids)], order="expiration_date")
        )
        action = self.env.ref("medical_expiry.action_report_workbench_list_xlsx").report_action(
            rows, config=False
        )
        exported = self._read_xlsx(action, user=self.manager)
        self.assertEqual(
            exported[0],
            [
                "Product",
                "Lot/Serial Number",
                "Expiration Date",
                "Days to Expiry",
                "Expires In",
                "Expiry Level",
                "Blocked",
                "Open Recall",
                "Warehouse",
                "Location",
                "Quantity",
                "Value",
                "FEFO Rank",
                "At Risk",
            ],
        )
        expired, near = rows
        self.assertEqual(
            exported[1:],
            [
                [
                    "Syringe",
                    "EXP-E",
                    as_cell(expired.expiration_date),
                    expired.days_to_expiry,
                    "Expired",
                    expired.expiry_rule_id.name or None,
                    None,
                    None,
                    self.warehouse.name,
                    self.stock.display_name,
                    6,
                    15,
                    expired.fefo_rank,
                    6,
                ],
                [
                    "Syringe",
                    "NEAR-A",
                    as_cell(near.expiration_date),
                    near.days_to_expiry,
                    "≤ 30 Days",
                    "30 days",
                    None,
                    None,
                    self.warehouse.name,
                    self.stock.display_name,
                    10,
                    25,
                    near.fefo_rank,
                    near.at_risk_qty,
                ],
            ],
        )


@tagged("post_install", "-at_install")
class TestLotTraceabilityReport(MedicalExpiryCase):
    def _local(self, line):
        return fields.Datetime.context_timestamp(line, line.date).replace(tzinfo=None)

    def _validate(self, picking, *lot_quantities):
        self._set_lines(picking, *lot_quantities)
        picking.button_validate()
        self.assertEqual(picking.state, "done")

    def test_receipt_movements_and_customer_deliveries_of_a_lot(self):
        order = self.env["purchase.order"].create(
            {
                "partner_id": self.supplier.id,
                "order_line": [Command.create({"product_id": self.syringe.id, "product_qty": 10})],
            }
        )
        order.button_confirm()
        receipt = order.picking_ids
        receipt.move_ids.move_line_ids.write(
            {
                "lot_name": "TRACE-1",
                "expiration_date": fields.Datetime.now() + timedelta(days=400),
                "quantity": 10,
            }
        )
        receipt.move_ids.picked = True
        receipt.button_validate()
        lot = receipt.move_line_ids.lot_id
        transfer = self._create_picking(
            self.syringe,
            4,
            source=self.stock,
            destination=self.stock_2,
            picking_type=self.warehouse.int_type_id,
        )
        self._validate(transfer, (lot, 4))
        delivery = self._create_picking(self.syringe, 3)
        self._validate(delivery, (lot, 3))
        delivery_2 = self._create_picking(self.syringe, 2, picking_type=self.warehouse_2.out_type_id)
        self._validate(delivery_2, (lot, 2))
        untouched = self._create_lot(self.syringe, 300, name="TRACE-2", quantity=5)

        vendors, customers = self.suppliers.display_name, self.customers.display_name
        stock, stock_2 = self.stock.display_name, self.stock_2.display_name
        received = ["Supplier", order.name, vendors, stock, 10]
        shipped = ["Hospital", None, stock, customers, 3]
        shipped_2 = ["Hospital", None, stock_2, customers, 2]
        lines = {picking: picking.move_line_ids for picking in (receipt, transfer, delivery, delivery_2)}

        def row(stage, picking, values):
            return ["TRACE-1", stage, self._local(lines[picking]), picking.name, *values]

        action = self.env.ref("medical_expiry.action_report_lot_traceability_xlsx").report_action(
            lot | untouched, config=False
        )
        self.assertEqual(
            self._read_xlsx(action),
            [
                [
                    "Lot/Serial Number",
                    "Stage",
                    "Date",
                    "Reference",
                    "Partner",
                    "Order",
                    "From",
                    "To",
                    "Quantity",
                ],
                row("Receipt", receipt, received),
                row("Movements", receipt, received),
                row("Movements", transfer, ["Hospital", None, stock, stock_2, 4]),
                row("Movements", delivery, shipped),
                row("Movements", delivery_2, shipped_2),
                row("Customer Deliveries", delivery, shipped),
                row("Customer Deliveries", delivery_2, shipped_2),
            ],
        )
        _pdf, text = self._render_pdf("medical_expiry.action_report_lot_traceability", lot)
        for expected in (
            "TRACE-1",
            order.name,
            receipt.name,
            delivery.name,
            delivery_2.name,
            "Customer Deliveries",
        ):
            self.assertIn(expected, text)
        _pdf, text = self._render_pdf("medical_expiry.action_report_lot_traceability", untouched)
        self.assertIn("TRACE-2", text)
        self.assertEqual(
            text.count("Nothing to report."), 3, "a lot that never moved has three empty sections"
        )


@tagged("post_install", "-at_install")
class TestAuditExtract(MedicalExpiryCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.lot = cls._create_lot(cls.syringe, 200, name="AUDIT-1")
        cls.other_lot = cls._create_lot(cls.syringe, 200, name="AUDIT-2")
        cls.Wizard = cls.env["medical.audit.extract.wizard"].with_user(cls.compliance_officer)

    def _block(self, lot, note):
        lot.with_user(self.manager)._block("quality", note)
        return self._audit_rows(lot, "lot_block").sorted("sequence")[-1]

    def _local(self, log):
        """The log's timestamp as the compliance officer reads it."""
        log = log.with_user(self.compliance_officer)
        return fields.Datetime.context_timestamp(log, log.timestamp).replace(tzinfo=None)

    def _extract_row(self, log):
        return [
            log.sequence,
            self._local(log),
            "Expiry Manager",
            "Lot Blocked",
            log.record_name,
            log.reason,
            None,
            "block_reason: — → quality",
        ]

    def test_extract_of_a_record_opened_from_its_audit_trail(self):
        self.compliance_officer.tz = "Asia/Shanghai"
        log = self._block(self.lot, "Damaged packaging")
        self._block(self.other_lot, "Wet cartons")
        signature = (
            self.env["medical.signature"]
            .with_user(self.manager)
            ._sign(self.lot, "expiry_date_change", PASSWORD, "review", reason="Label misprint")
        )
        signature_log = self._audit_rows(self.lot, "signature")

        trail = self.lot.action_view_audit_log()
        opener = (
            self.env["medical.audit.log"]
            .with_user(self.compliance_officer)
            .with_context(**trail["context"])
            .action_open_audit_extract()
        )
        wizard = self.Wizard.with_context(**opener["context"]).create({})
        self.assertEqual((wizard.record_model, wizard.record_id), ("stock.lot", self.lot.id))

        status = self.env["medical.audit.log"]._chain_status()[0]
        self.assertTrue(status.startswith("Audit chain OK"))
        self.assertEqual(
            self._read_xlsx(wizard.action_export_xlsx(), user=wizard.env.user),
            [
                ["Audit Log Extract", *[None] * 7],
                [f"Record: Lot/Serial #{self.lot.id} AUDIT-1", *[None] * 7],
                [status, *[None] * 7],
                [
                    "Sequence",
                    "Timestamp",
                    "User",
                    "Action",
                    "Record",
                    "Reason",
                    "Signature",
                    "Change (Old → New)",
                ],
                self._extract_row(log),
                [
                    signature_log.sequence,
                    self._local(signature_log),
                    "Expiry Manager",
                    "Signature",
                    "AUDIT-1",
                    "Label misprint",
                    signature.display_name,
                    None,
                ],
            ],
        )
        self.assertEqual(
            self._read_xlsx(wizard.action_export_xlsx(), user=wizard.env.user)[4][1] - log.timestamp,
            timedelta(hours=8),
            "timestamps in the reader's time zone",
        )
        action = wizard.action_print_pdf()
        _pdf, text = self._render_pdf(action["report_name"], self.Wizard, data=action["data"])
        for expected in ("Audit Log Extract", "AUDIT-1", "Damaged packaging", "Label misprint", status):
            self.assertIn(expected, text)
        self.assertNotIn("Wet cartons", text)

    def test_extract_of_a_period(self):
        with freeze_time("2025-01-10 09:00:00"):
            january = self._block(self.lot, "January check")
        with freeze_time("2025-02-10 09:00:00"):
            self._block(self.other_lot, "February check")
        wizard = self.Wizard.create({"date_from": "2025-01-01 00:00:00", "date_to": "2025-01-31 23:59:59"})
        rows = self._read_xlsx(wizard.action_export_xlsx(), user=wizard.env.user)
        self.assertEqual(rows[4:], [self._extract_row(january)])
        action = wizard.action_print_pdf()
        _pdf, text = self._render_pdf(action["report_name"], self.Wizard, data=action["data"])
        self.assertIn("January check", text)
        self.assertNotIn("February check", text)

    def test_extract_states_a_broken_chain(self):
        log = self._block(self.lot, "Damaged packaging")
        self.env.flush_all()
        self.env.cr.execute("ALTER TABLE medical_audit_log DISABLE TRIGGER medical_audit_log_append_only")
        self.env.cr.execute("UPDATE medical_audit_log SET reason = 'Rewritten' WHERE id = %s", [log.id])
        self.env.cr.execute("ALTER TABLE medical_audit_log ENABLE TRIGGER medical_audit_log_append_only")
        log.invalidate_recordset()
        wizard = self.Wizard.create({"record_model": "stock.lot", "record_id": self.lot.id})
        action = wizard.action_print_pdf()
        _pdf, text = self._render_pdf(action["report_name"], self.Wizard, data=action["data"])
        self.assertIn(f"Audit chain broken at row #{log.sequence}", text)
        self.assertIn(
            f"Audit chain broken at row #{log.sequence}",
            self._read_xlsx(wizard.action_export_xlsx(), user=wizard.env.user)[2][0],
        )

    def test_bad_criteria_are_refused_and_nothing_is_produced(self):
        attachments = self.env["ir.attachment"].search_count([])
        for criteria in (
            {},
            {"date_from": "2026-02-01 00:00:00", "date_to": "2026-01-01 00:00:00"},
            {"record_model": "stock.lot"},
            {"record_model": "no.such.model", "record_id": 1},
        ):
            wizard = self.Wizard.create(criteria)
            with self.assertRaises(UserError):
                wizard.action_print_pdf()
            with self.assertRaises(UserError):
                wizard.action_export_xlsx()
        self.assertEqual(self.env["ir.attachment"].search_count([]), attachments)

    def test_only_managers_and_compliance_extract_the_audit_log(self):
        with self.assertRaises(AccessError):
            self.env["medical.audit.extract.wizard"].with_user(self.stock_user).create(
                {"record_model": "stock.lot", "record_id": self.lot.id}
            )

    def test_audit_log_list_exports_its_visible_columns(self):
        log = self._block(self.lot, "Damaged packaging")
        action = self.env.ref("medical_expiry.action_report_audit_log_list_xlsx").report_action(
            log, config=False
        )
        self.assertEqual(
            self._read_xlsx(action, user=self.compliance_officer),
            [
                ["#", "Timestamp", "User", "Action", "Record", "Reason", "Signature"],
                self._extract_row(log)[:-1],
            ],
        )
