from datetime import timedelta

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import MedicalExpiryCase


@tagged("post_install", "-at_install")
class TestRegistrationCertificate(MedicalExpiryCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.expired_on = fields.Date.today() - timedelta(days=3)
        cls.syringe.write(
            {"registration_number": "国械注准20203140001", "registration_expiry_date": cls.expired_on}
        )

    def _receive(self, product=None):
        product = product or self.syringe
        picking = self._create_picking(
            product, 5, partner=self.supplier, picking_type=self.warehouse.in_type_id
        )
        picking.move_line_ids.write(
            {
                "lot_name": f"{product.name}-REG",
                "expiration_date": fields.Datetime.now() + timedelta(days=700),
                "quantity": 5,
            }
        )
        picking.move_ids.picked = True
        return picking

    def test_expired_certificate_blocks_the_receipt(self):
        self.company.registration_expiry_policy = "block"
        picking = self._receive()
        with self.assertRaises(UserError) as error:
            picking.button_validate()
        message = str(error.exception)
        for fragment in ("Syringe", "国械注准20203140001", fields.Date.to_string(self.expired_on)):
            self.assertIn(fragment, message)
        self.assertNotEqual(picking.state, "done")

    def test_expired_certificate_with_warn_policy_posts_a_warning_and_logs_the_override(self):
        self.company.registration_expiry_policy = "warn"
        picking = self._receive()
        messages = picking.message_ids
        picking.button_validate()
        self.assertEqual(picking.state, "done")
        warning = "".join((picking.message_ids - messages).mapped("body"))
        self.assertIn("国械注准20203140001", warning)
        self.assertIn(fields.Date.to_string(self.expired_on), warning)
        override = self._audit_rows(picking.move_line_ids.lot_id, "guard_override")
        self.assertEqual(len(override), 1)
        self.assertIn("国械注准20203140001", override.reason)

    def test_certificate_valid_until_today_is_received_silently(self):
        self.company.registration_expiry_policy = "block"
        self.syringe.registration_expiry_date = fields.Date.today()
        picking = self._receive()
        messages = picking.message_ids
        picking.button_validate()
        self.assertEqual(picking.state, "done")
        self.assertFalse(
            any("registration" in body for body in (picking.message_ids - messages).mapped("body"))
        )

    def test_products_without_a_certificate_date_are_not_checked(self):
        self.company.registration_expiry_policy = "block"
        picking = self._receive(self.strips)
        picking.button_validate()
        self.assertEqual(picking.state, "done")

    def test_stock_already_received_still_ships_after_the_certificate_expires(self):
        self.company.registration_expiry_policy = "block"
        lot = self._create_lot(self.syringe, 300, quantity=5)
        delivery = self._create_picking(self.syringe, 5)
        self._set_lines(delivery, (lot, 5))
        delivery.button_validate()
        self.assertEqual(delivery.state, "done")

    def test_policy_is_set_per_company_in_the_settings(self):
        settings = self.env["res.config.settings"].create({"registration_expiry_policy": "warn"})
        settings.execute()
        self.assertEqual(self.company.registration_expiry_policy, "warn")
