from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import MedicalExpiryCase


@tagged("post_install", "-at_install")
class TestNoNegativeLot(MedicalExpiryCase):
    """Two deliveries forced by hand onto the same 10 units of a lot: only the first ships."""

    def _forced_deliveries(self, product, lot_name):
        lot = self._create_lot(product, 300, name=lot_name, quantity=10)
        first = self._create_picking(product, 10)
        second = self._create_picking(product, 10)
        self._set_lines(first, (lot, 10))
        self._set_lines(second, (lot, 10))
        first.with_user(self.stock_user).button_validate()
        self.assertEqual(first.state, "done")
        return lot, second

    def _lot_quants(self, lot):
        quants = self.env["stock.quant"].search([("lot_id", "=", lot.id)], order="id")
        return [(quant.location_id, quant.quantity, quant.reserved_quantity) for quant in quants]

    def test_second_delivery_of_the_same_units_is_refused(self):
        lot, second = self._forced_deliveries(self.syringe, "SYR-TWICE")
        before = self._lot_quants(lot)
        with self.assertRaises(UserError) as error:
            second.with_user(self.stock_user).button_validate()
        message = str(error.exception)
        for fragment in ("SYR-TWICE", "Syringe", self.stock.display_name, "holds 0 Units", "10 Units"):
            self.assertIn(fragment, message)
        self.env.invalidate_all()
        self.assertEqual(self._lot_quants(lot), before)
        self.assertEqual(
            sum(quantity for location, quantity, _reserved in before if location == self.stock), 0
        )
        self.assertNotEqual(second.state, "done")
        self.assertNotIn("done", second.move_ids.mapped("state"))

    def test_delivery_done_by_code_is_refused_too(self):
        lot, second = self._forced_deliveries(self.syringe, "SYR-CODE")
        before = self._lot_quants(lot)
        with self.assertRaises(UserError) as error:
            second.move_ids.with_user(self.stock_user)._action_done()
        self.assertIn("SYR-CODE", str(error.exception))
        self.env.invalidate_all()
        self.assertEqual(self._lot_quants(lot), before)
        self.assertNotIn("done", second.move_ids.mapped("state"))

    def test_other_goods_keep_odoo_negative_stock(self):
        gauze = self._create_product("Gauze", self.categ_device, medical_device_class=False)
        lot, second = self._forced_deliveries(gauze, "GAUZE-TWICE")
        second.with_user(self.stock_user).button_validate()
        self.assertEqual(second.state, "done")
        quant = self.env["stock.quant"].search([("lot_id", "=", lot.id), ("location_id", "=", self.stock.id)])
        self.assertEqual(quant.quantity, -10)
