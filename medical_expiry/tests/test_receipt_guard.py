from datetime import timedelta

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import MedicalExpiryCase


@tagged("post_install", "-at_install")
class TestReceiptGuard(MedicalExpiryCase):
    def _receive(self, product, lot_name, days):
        picking = self._create_picking(
            product, 10, partner=self.supplier, picking_type=self.warehouse.in_type_id
        )
        picking.move_ids.move_line_ids.unlink()
        self.env["stock.move.line"].create(
            {
                "move_id": picking.move_ids.id,
                "picking_id": picking.id,
                "product_id": product.id,
                "product_uom_id": product.uom_id.id,
                "location_id": picking.location_id.id,
                "location_dest_id": picking.location_dest_id.id,
                "lot_name": lot_name,
                "quantity": 10,
                "expiration_date": days is not None
                and self.company._expiry_datetime_of(self.company._expiry_today() + timedelta(days=days)),
            }
        )
        picking.move_ids.picked = True
        return picking

    def _assert_not_received(self, picking, *fragments):
        with self.assertRaises(UserError) as error:
            picking.button_validate()
        for fragment in fragments:
            self.assertIn(fragment, str(error.exception))
        self.assertNotEqual(picking.state, "done")
        self.assertFalse(self.env["stock.lot"].search([("name", "=", picking.move_line_ids.lot_name)]))

    def test_expiry_tracked_product_needs_an_expiration_date(self):
        picking = self._receive(self.syringe, "NO-DATE", None)
        picking.move_line_ids.expiration_date = False
        self._assert_not_received(picking, "NO-DATE", "without an expiration date")

    def test_short_shelf_life_blocks_the_receipt(self):
        self.syringe.min_shelf_life_receipt_days = 365
        picking = self._receive(self.syringe, "SYR-SHORT", 200)
        self._assert_not_received(picking, "SYR-SHORT", "200 days left", "365")

    def test_short_shelf_life_with_warn_policy_posts_a_warning(self):
        self.syringe.write({"min_shelf_life_receipt_days": 365, "receipt_shelf_life_policy": "warn"})
        picking = self._receive(self.syringe, "SYR-WARN", 200)
        messages = picking.message_ids
        picking.button_validate()
        self.assertEqual(picking.state, "done")
        warning = picking.message_ids - messages
        self.assertIn("SYR-WARN", "".join(warning.mapped("body")))
        self.assertIn("200 days left", "".join(warning.mapped("body")))

    def test_enough_shelf_life_is_received_silently(self):
        self.syringe.min_shelf_life_receipt_days = 365
        picking = self._receive(self.syringe, "SYR-LONG", 700)
        picking.button_validate()
        self.assertEqual(picking.state, "done")
        lot = self.env["stock.lot"].search([("name", "=", "SYR-LONG")])
        self.assertEqual(lot.days_to_expiry, 700)
        self.assertFalse(any("days left" in body for body in picking.message_ids.mapped("body")))
