"""One answer to "may this lot leave?": reservation, validation, the workbench's FEFO rank and forecast, the
FEFO-deviation mark and quarantine routing all read stock.lot's one definition, so they agree on every lot.
"""

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import MedicalExpiryCase

# name: (days to expiry, how the lot is held, the customer, may it leave, does a return go to quarantine)
CASES = {
    "fine": (200, None, "customer", True, False),
    "expired": (-1, None, "customer", False, True),
    "blocked_quality": (200, "quality", "customer", False, True),
    "blocked_recall": (200, "recall", "customer", False, True),
    "level_blocks": (5, None, "customer", False, True),
    "level_warns": (40, None, "customer", True, True),
    "short_for_picky": (100, None, "picky_customer", False, False),
    "long_enough_for_picky": (200, None, "picky_customer", True, False),
}


@tagged("post_install", "-at_install")
class TestMayLeaveParity(MedicalExpiryCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._create_rule(10, "block")
        cls._create_rule(60, "warn")
        cls.rows = {}
        for name, (days, block_reason, customer, _may_leave, _quarantine) in CASES.items():
            product = cls._create_product(f"Device {name}", cls.categ_device)
            lot = cls._create_lot(product, days, name=f"LOT-{name}", quantity=10)
            # A later lot of the same product, fine for everyone: what a delivery takes when the lot may not.
            later = cls._create_lot(product, 400, name=f"LATER-{name}", quantity=10)
            if block_reason:
                lot._block(block_reason)
            cls.rows[name] = (product, lot, later, getattr(cls, customer))

    def _workbench_row(self, lot):
        return self.env["medical.expiry.workbench"].search([("lot_id", "=", lot.id)])

    def test_every_consumer_of_the_rule_gives_the_answer_of_the_table(self):
        for name, (_days, _held, _customer, may_leave, quarantine) in CASES.items():
            product, lot, later, customer = self.rows[name]
            with self.subTest(lot=name):
                # Reservation: FEFO takes the lot first when it may leave, the later lot when it may not.
                delivery = self._create_picking(product, 5, partner=customer)
                delivery.action_assign()
                self.assertEqual(delivery.move_line_ids.lot_id, lot if may_leave else later, "reservation")
                delivery.action_cancel()
                # Validation of the lot picked by hand.
                forced = self._create_picking(product, 1, partner=customer)
                self._set_lines(forced, (lot, 1))
                if may_leave:
                    forced.button_validate()
                    self.assertEqual(forced.state, "done", "validation")
                else:
                    with self.assertRaises(UserError, msg="validation"):
                        forced.button_validate()
                # Workbench: only stock that may leave (to anyone) has a FEFO rank; stock that may not is at
                # risk in full. A customer's own minimum shelf life is not the workbench's concern.
                row = self._workbench_row(lot)
                ships_to_anyone = may_leave or customer == self.picky_customer
                self.assertEqual(bool(row.fefo_rank), ships_to_anyone, "workbench rank")
                if not ships_to_anyone:
                    self.assertEqual(row.at_risk_qty, row.quantity, "workbench forecast")
                # FEFO deviation: shipping the later lot deviates only when this one could have left.
                skipping = self._create_picking(product, 1, partner=customer)
                self._set_lines(skipping, (later, 1))
                skipping.button_validate()
                self.assertEqual(skipping.move_line_ids.fefo_deviation, may_leave, "FEFO deviation")
                # Quarantine routing of a customer's return.
                self.assertEqual(lot._is_quarantine_bound(), quarantine, "quarantine routing")
