from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import MedicalExpiryCase


@tagged("post_install", "-at_install")
class TestOutboundGuard(MedicalExpiryCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.level_block = cls._create_rule(15, "block")
        cls.level_warn = cls._create_rule(45, "warn")
        cls._create_rule(120)

    def _reserved_lots(self, picking):
        picking.action_assign()
        return picking.move_line_ids.lot_id

    def _assert_refused(self, picking, *fragments):
        quants = self.env["stock.quant"].search([("product_id", "=", picking.product_id.id)])
        before = [(quant.location_id, quant.lot_id, quant.quantity) for quant in quants]
        with self.assertRaises(UserError) as error:
            picking.button_validate()
        for fragment in fragments:
            self.assertIn(fragment, str(error.exception))
        self.assertNotEqual(picking.state, "done")
        quants = self.env["stock.quant"].search([("product_id", "=", picking.product_id.id)])
        self.assertEqual([(quant.location_id, quant.lot_id, quant.quantity) for quant in quants], before)

    def test_fefo_is_the_default_for_expiry_tracked_products(self):
        self._create_lot(self.syringe, 300, quantity=10)
        earliest = self._create_lot(self.syringe, 200, quantity=10)
        picking = self._create_picking(self.syringe, 10)
        self.assertEqual(self._reserved_lots(picking), earliest)

    def test_explicit_fifo_still_wins(self):
        self.categ_device.removal_strategy_id = self.env.ref("stock.removal_fifo")
        first_in = self._create_lot(self.syringe, 300, quantity=10)
        self._create_lot(self.syringe, 200, quantity=10)
        picking = self._create_picking(self.syringe, 10)
        self.assertEqual(self._reserved_lots(picking), first_in)

    def test_expired_blocked_and_block_level_lots_are_never_reserved(self):
        self._create_lot(self.syringe, -5, quantity=10)
        blocked = self._create_lot(self.syringe, 150, quantity=10)
        blocked._block("quality")
        self._create_lot(self.syringe, 10, quantity=10)  # level "block"
        good = self._create_lot(self.syringe, 300, quantity=10)
        picking = self._create_picking(self.syringe, 40)
        self.assertEqual(self._reserved_lots(picking), good)
        self.assertEqual(picking.move_ids.quantity, 10)

    def test_recalled_lot_is_never_reserved(self):
        recalled = self._create_lot(self.syringe, 150, quantity=10)
        recalled._block("recall")
        picking = self._create_picking(self.syringe, 5)
        self.assertFalse(self._reserved_lots(picking))
        self.assertEqual(picking.state, "confirmed")

    def test_warn_level_reserves_and_flags_line_and_picking(self):
        near = self._create_lot(self.syringe, 30, quantity=10)
        picking = self._create_picking(self.syringe, 5)
        self.assertEqual(self._reserved_lots(picking), near)
        self.assertTrue(picking.move_line_ids.expiry_warning)
        self.assertTrue(picking.expiry_warning)
        far = self._create_picking(self.syringe, 5)
        far.move_ids.move_line_ids.unlink()
        self.assertFalse(far.expiry_warning)

    def test_customer_minimum_shelf_life_limits_reservation(self):
        short = self._create_lot(self.syringe, 100, quantity=10)
        long = self._create_lot(self.syringe, 300, quantity=10)
        picky = self._create_picking(self.syringe, 15, partner=self.picky_customer)
        self.assertEqual(self._reserved_lots(picky), long)
        self.assertEqual(picky.move_ids.quantity, 10)
        other = self._create_picking(self.syringe, 5)
        self.assertEqual(self._reserved_lots(other), short)

    def test_customer_contact_inherits_the_minimum_shelf_life(self):
        contact = self.env["res.partner"].create({"name": "Ward 3", "parent_id": self.picky_customer.id})
        self.assertEqual(contact.min_shelf_life_days, 180)
        self._create_lot(self.syringe, 100, quantity=10)
        picking = self._create_picking(self.syringe, 5, partner=contact)
        self.assertFalse(self._reserved_lots(picking))

    def test_validation_refuses_hand_picked_blocked_lot(self):
        lot = self._create_lot(self.syringe, 200, quantity=10, name="SYR-BLOCKED")
        lot._block("recall")
        picking = self._create_picking(self.syringe, 5)
        self._set_lines(picking, (lot, 5))
        self._assert_refused(
            picking, "SYR-BLOCKED", "blocked (Recall)", lot.expiration_date.strftime("%Y-%m-%d")
        )

    def test_validation_refuses_hand_picked_expired_device_lot(self):
        lot = self._create_lot(self.syringe, -3, quantity=10, name="SYR-EXPIRED")
        picking = self._create_picking(self.syringe, 5)
        self._set_lines(picking, (lot, 5))
        self._assert_refused(picking, "SYR-EXPIRED", "expired")

    def test_validation_refuses_lot_in_block_level(self):
        lot = self._create_lot(self.syringe, 10, quantity=10, name="SYR-SHORT")
        picking = self._create_picking(self.syringe, 5)
        self._set_lines(picking, (lot, 5))
        self._assert_refused(picking, "SYR-SHORT", "which blocks shipping")

    def test_validation_refuses_lot_below_customer_shelf_life(self):
        lot = self._create_lot(self.syringe, 100, quantity=10, name="SYR-100")
        picking = self._create_picking(self.syringe, 5, partner=self.picky_customer)
        self._set_lines(picking, (lot, 5))
        self._assert_refused(picking, "SYR-100", "less shelf life left than the customer accepts")

    def test_direct_action_done_is_guarded_too(self):
        lot = self._create_lot(self.syringe, 200, quantity=10)
        lot._block("quality")
        picking = self._create_picking(self.syringe, 5)
        self._set_lines(picking, (lot, 5))
        with self.assertRaises(UserError):
            picking._action_done()
        self.assertNotEqual(picking.state, "done")

    def test_good_lot_ships(self):
        lot = self._create_lot(self.syringe, 300, quantity=10)
        picking = self._create_picking(self.syringe, 5, partner=self.picky_customer)
        self.assertEqual(self._reserved_lots(picking), lot)
        picking.button_validate()
        self.assertEqual(picking.state, "done")

    def test_expired_lot_of_other_goods_keeps_product_expiry_confirmation(self):
        self.level_block.active = False
        apples = self._create_product("Apples", self.categ_device, medical_device_class=False)
        lot = self._create_lot(apples, -3, quantity=10)
        picking = self._create_picking(apples, 5)
        self._set_lines(picking, (lot, 5))
        action = picking.button_validate()
        self.assertEqual(action["res_model"], "expiry.picking.confirmation")

    def test_blocked_stock_may_move_into_quarantine(self):
        lot = self._create_lot(self.syringe, 200, quantity=10)
        lot._block("recall")
        picking = self._create_picking(
            self.syringe, 10, destination=self.quarantine, picking_type=self.warehouse.int_type_id
        )
        self.assertEqual(self._reserved_lots(picking), lot)
        picking.button_validate()
        self.assertEqual(picking.state, "done")
        self.assertEqual(
            self.env["stock.quant"]._get_available_quantity(self.syringe, self.quarantine, lot), 10
        )

    def test_blocked_stock_may_go_back_to_the_supplier(self):
        lot = self._create_lot(self.syringe, -1, quantity=10)
        lot._block("expired")
        picking = self._create_picking(
            self.syringe,
            10,
            destination=self.suppliers,
            partner=self.supplier,
            picking_type=self.warehouse.out_type_id,
        )
        self._set_lines(picking, (lot, 10))
        picking.with_context(skip_expired=True).button_validate()
        self.assertEqual(picking.state, "done")

    def test_blocked_stock_may_not_leave_for_another_warehouse(self):
        lot = self._create_lot(self.syringe, 200, quantity=10, name="SYR-TRANSFER")
        lot._block("quality")
        picking = self._create_picking(
            self.syringe, 10, destination=self.transit, picking_type=self.warehouse.int_type_id
        )
        self.assertFalse(self._reserved_lots(picking))
        self._set_lines(picking, (lot, 10))
        self._assert_refused(picking, "SYR-TRANSFER")

    def test_a_lot_blocked_in_transit_is_received_into_quarantine(self):
        lot = self._create_lot(self.syringe, 200, name="SYR-ON-THE-ROAD", quantity=6, location=self.transit)
        lot._block("recall", "Recalled while on the road")
        receipt = self._create_picking(
            self.syringe,
            6,
            source=self.transit,
            destination=self.stock_2,
            picking_type=self.warehouse_2.in_type_id,
        )
        receipt.action_assign()
        self.assertEqual(receipt.move_line_ids.lot_id, lot, "an arrival is not an outbound move: it reserves")
        receipt.button_validate()
        self.assertEqual(receipt.state, "done")
        self.assertEqual(receipt.move_line_ids.location_dest_id, self.warehouse_2._get_quarantine_location())
        self.assertIn("Put in quarantine", "".join(receipt.message_ids.mapped("body")))
