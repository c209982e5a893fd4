from collections import defaultdict

from odoo.exceptions import UserError
from odoo.tests import tagged

from .qualification_common import QualificationCase

# The checks of the validation pipeline (stock.move.line._check_before_done), by model.
PIPELINE_CHECKS = [
    ("stock.move.line", "_check_expiry_guards"),
    ("stock.move.line", "_check_customer_returns"),
    ("stock.picking", "_check_qualifications"),
]


@tagged("post_install", "-at_install")
class TestValidationPipeline(QualificationCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.qualification_policy = "block"
        cls.level_warn = cls._create_rule(45, "warn")

    def _record_checks(self):
        """{check: [ids of the records of each call]}, filled as the pipeline's checks run.

        Each check is wrapped in a function that notes its records and runs the real method.
        """
        calls = defaultdict(list)
        for model_name, method_name in PIPELINE_CHECKS:
            model_class = type(self.env[model_name])
            check = getattr(model_class, method_name)

            def recording(records, *args, check=check, method_name=method_name, **kwargs):
                calls[method_name].append(sorted(records.ids))
                return check(records, *args, **kwargs)

            self.patch(model_class, method_name, recording)
        return calls

    def _delivery(self, days=300, quantity=5, demand=5, customer=None, name=None):
        lot = self._create_lot(self.syringe, days, quantity=quantity, name=name)
        delivery = self._create_picking(self.syringe, demand, partner=customer or self.customer)
        self._set_lines(delivery, (lot, quantity))
        return delivery

    def _assert_checked_once(self, calls, lines, pickings):
        self.assertEqual(
            {method_name: calls[method_name] for _model, method_name in PIPELINE_CHECKS},
            {
                "_check_expiry_guards": [sorted(lines.ids)],
                "_check_customer_returns": [sorted(lines.ids)],
                "_check_qualifications": [sorted(pickings.ids)] if pickings else [],
            },
        )

    # ------------------------------------------------------------------
    # Once per validation
    # ------------------------------------------------------------------
    def test_validating_a_transfer_runs_each_check_once(self):
        delivery = self._delivery(days=30, name="SYR-WARN")
        lines = delivery.move_line_ids
        calls = self._record_checks()
        delivery.button_validate()
        self.assertEqual(delivery.state, "done")
        self._assert_checked_once(calls, lines, lines.picking_id)
        # What the guard let through is logged once, on the lot.
        override = self._audit_rows(lines.lot_id, "guard_override")
        self.assertEqual(len(override), 1)
        self.assertIn("SYR-WARN", override.reason)

    def test_validating_transfers_done_in_two_batches_runs_each_check_once(self):
        """Odoo does the transfers that never keep a backorder apart from the others: one validation."""
        never = self.warehouse.out_type_id.copy({"create_backorder": "never", "sequence_code": "NEVER"})
        first = self._delivery(name="SYR-A")
        second = self._create_picking(self.syringe, 5, picking_type=never)
        self._set_lines(second, (self._create_lot(self.syringe, 300, quantity=5, name="SYR-B"), 5))
        pickings = first | second
        lines = pickings.move_line_ids
        calls = self._record_checks()
        pickings.button_validate()
        self.assertEqual(pickings.mapped("state"), ["done", "done"])
        self._assert_checked_once(calls, lines, lines.picking_id)

    def test_a_transfer_done_from_code_is_checked_once(self):
        delivery = self._delivery()
        lines = delivery.move_line_ids
        calls = self._record_checks()
        delivery._action_done()
        self.assertEqual(delivery.state, "done")
        self._assert_checked_once(calls, lines, delivery)

    def test_moves_done_from_code_are_checked_once(self):
        """Moves done on their own meet the expiry guards; they do not validate their transfer."""
        delivery = self._delivery()
        lines = delivery.move_line_ids
        calls = self._record_checks()
        delivery.move_ids._action_done()
        self.assertEqual(delivery.move_ids.state, "done")
        self._assert_checked_once(calls, lines, None)

    def test_a_new_validation_checks_again(self):
        """A wizard ends a validation: confirming it validates again, with the checks."""
        delivery = self._delivery(quantity=3)
        lines = delivery.move_line_ids
        calls = self._record_checks()
        wizard = delivery.button_validate()
        self.assertEqual(wizard["res_model"], "stock.backorder.confirmation")
        self._assert_checked_once(calls, lines, lines.picking_id)
        calls.clear()
        delivery.with_context(
            skip_backorder=True, picking_ids_not_to_backorder=delivery.ids
        ).button_validate()
        self.assertEqual(delivery.state, "done")
        self._assert_checked_once(calls, lines, lines.picking_id)

    # ------------------------------------------------------------------
    # Refusals come before Odoo's wizards
    # ------------------------------------------------------------------
    def test_a_refusal_comes_before_the_backorder_wizard(self):
        delivery = self._delivery(quantity=3, name="SYR-BLOCKED")
        delivery.move_line_ids.lot_id._block("quality")
        with self.assertRaisesRegex(UserError, "SYR-BLOCKED"):
            delivery.button_validate()
        self.assertEqual(delivery.state, "assigned")
        self.assertFalse(delivery.backorder_ids)

    def test_a_refusal_comes_before_the_expired_lot_confirmation(self):
        """product_expiry asks to confirm an expired lot of other goods; a blocked one is refused first."""
        apples = self._create_product("Apples", self.categ_device, medical_device_class=False)
        lot = self._create_lot(apples, -3, quantity=10, name="APPLES-OLD")
        lot._block("expired")
        delivery = self._create_picking(apples, 5)
        self._set_lines(delivery, (lot, 5))
        with self.assertRaisesRegex(UserError, "APPLES-OLD"):
            delivery.button_validate()
        self.assertNotEqual(delivery.state, "done")

    def test_a_qualification_refusal_comes_before_the_backorder_wizard(self):
        delivery = self._delivery(quantity=3, customer=self.hospital)
        with self.assertRaisesRegex(UserError, "People's Hospital"):
            delivery.button_validate()
        self.assertFalse(delivery.backorder_ids)

    # ------------------------------------------------------------------
    # Transfers done from code
    # ------------------------------------------------------------------
    def test_moves_done_from_code_are_refused_by_the_expiry_guards(self):
        delivery = self._delivery(name="SYR-BLOCKED")
        delivery.move_line_ids.lot_id._block("quality")
        with self.assertRaisesRegex(UserError, "SYR-BLOCKED"):
            delivery.move_ids._action_done()
        self.assertNotEqual(delivery.move_ids.state, "done")

    def test_move_lines_done_from_code_are_refused_by_the_expiry_guards(self):
        delivery = self._delivery(name="SYR-BLOCKED")
        delivery.move_line_ids.lot_id._block("quality")
        with self.assertRaisesRegex(UserError, "SYR-BLOCKED"):
            delivery.move_line_ids._action_done()
        self.assertNotEqual(delivery.move_line_ids.state, "done")

    def test_a_scrap_from_a_transfer_does_not_validate_the_transfer(self):
        """Damaged units of a delivery to a customer whose licence lapsed are still scrapped."""
        delivery = self._delivery(customer=self.hospital)
        self.assertTrue(delivery.qualification_alert)
        damaged = self._create_lot(self.syringe, 300, quantity=3, name="SYR-DAMAGED")
        scrap = self.env["stock.scrap"].create(
            {
                "product_id": self.syringe.id,
                "lot_id": damaged.id,
                "scrap_qty": 1,
                "picking_id": delivery.id,
                "location_id": self.stock.id,
            }
        )
        scrap.action_validate()
        self.assertEqual(scrap.state, "done")
        self.assertNotEqual(delivery.state, "done")
