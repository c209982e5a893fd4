from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .recall_common import RecallCase


@tagged("post_install", "-at_install")
class TestCustomerReturns(RecallCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.lot = cls._create_lot(cls.syringe, 300, name="SYR-RET", quantity=50)

    def _assert_refused(self, picking, *fragments):
        quants_before = self._stock_snapshot()
        with self.assertRaises(UserError) as error:
            picking.button_validate()
        for fragment in fragments:
            self.assertIn(fragment, str(error.exception))
        self.assertNotEqual(picking.state, "done")
        self.assertEqual(self._stock_snapshot(), quants_before)
        self.assertFalse(self._audit_rows(self.lot, "return_override"))

    def _stock_snapshot(self):
        quants = self.env["stock.quant"].search([("product_id", "=", self.syringe.id)])
        return sorted((quant.location_id.id, quant.lot_id.id, quant.quantity) for quant in quants)

    def test_return_within_what_was_delivered_is_accepted(self):
        delivery = self._deliver(self.customer, (self.lot, 10))
        back = self._return(delivery, (self.lot, 4))
        back.button_validate()
        self.assertEqual(back.state, "done")
        self.assertEqual(self._quant_quantity(self.lot, self.stock), 44)

    def test_return_above_what_was_delivered_is_refused(self):
        delivery = self._deliver(self.customer, (self.lot, 10))
        back = self._return(delivery, (self.lot, 12))
        self._assert_refused(back, "SYR-RET", "Hospital returns 12.0 but holds only 10.0")

    def test_return_of_a_lot_never_delivered_to_that_customer_is_refused(self):
        self._deliver(self.customer, (self.lot, 10))
        receipt = self._receive_from_customer(self.clinic, (self.lot, 2))
        self._assert_refused(receipt, "Lot SYR-RET", "was never delivered to Clinic")

    def test_earlier_returns_count_against_what_the_customer_holds(self):
        delivery = self._deliver(self.customer, (self.lot, 5))
        self._return(delivery, (self.lot, 3)).button_validate()
        second = self._return(delivery, (self.lot, 3))
        self._assert_refused(second, "returns 3.0 but holds only 2.0")
        second.move_line_ids.quantity = 2
        second.with_context(skip_backorder=True, picking_ids_not_to_backorder=second.ids).button_validate()
        self.assertEqual(second.state, "done")

    def test_return_of_a_lot_that_does_not_exist_is_refused(self):
        receipt = self._receive_from_customer(self.customer, (self.lot, 1))
        receipt.move_line_ids.write({"lot_id": False, "lot_name": "SYR-FOREIGN"})
        self._assert_refused(receipt, "Lot SYR-FOREIGN of Syringe does not exist")
        self.assertFalse(self.env["stock.lot"].search([("name", "=", "SYR-FOREIGN")]))

    def test_lot_typed_by_name_on_a_return_is_that_lot(self):
        delivery = self._deliver(self.customer, (self.lot, 10))
        self.lot._block("recall")
        back = self._return(delivery, (self.lot, 3))
        back.move_line_ids.write({"lot_id": False, "lot_name": "SYR-RET"})
        back.button_validate()
        self.assertEqual(back.state, "done")
        self.assertEqual(back.move_line_ids.lot_id, self.lot)
        self.assertEqual(self._quant_quantity(self.lot, self.quarantine), 3)
        with_typo = self._return(delivery, (self.lot, 8))
        with_typo.move_line_ids.write({"lot_id": False, "lot_name": "SYR-RET"})
        self._assert_refused(with_typo, "returns 8.0 but holds only 7.0")

    def test_deliveries_to_a_customers_contact_count_for_the_customer(self):
        self._deliver(self.ward, (self.lot, 6))
        receipt = self._receive_from_customer(self.customer, (self.lot, 6))
        receipt.button_validate()
        self.assertEqual(receipt.state, "done")

    def test_direct_validation_of_lines_is_checked_too(self):
        receipt = self._receive_from_customer(self.clinic, (self.lot, 2))
        with self.assertRaises(UserError):
            receipt._action_done()
        self.assertNotEqual(receipt.state, "done")

    def test_manager_accepts_a_refused_return_with_a_reason_logged(self):
        self._deliver(self.customer, (self.lot, 10))
        receipt = self._receive_from_customer(self.clinic, (self.lot, 2))
        with self.assertRaises(UserError):
            receipt.with_user(self.manager)._validate_accepting_return(" ")
        self.assertNotEqual(receipt.state, "done")
        receipt.with_user(self.manager)._validate_accepting_return("Bought from us through a distributor")
        self.assertEqual(receipt.state, "done")
        rows = self._audit_rows(self.lot, "return_override")
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows.reason, "Bought from us through a distributor")
        self.assertEqual(rows.user_id, self.manager)
        self.assertIn('"customer":"Clinic"', rows.new_values)
        self.assertIn('"returned":2.0', rows.new_values)

    def test_a_client_set_context_key_accepts_no_return(self):
        """Only ``_validate_accepting_return`` grants the override: the key the context once carried
        lets nothing through, even for a manager."""
        self._deliver(self.customer, (self.lot, 10))
        receipt = self._receive_from_customer(self.clinic, (self.lot, 2))
        with self.assertRaises(UserError):
            receipt.with_user(self.manager).with_context(
                medical_return_override_reason="Set by the client"
            ).button_validate()
        self.assertNotEqual(receipt.state, "done")
        self.assertFalse(self._audit_rows(self.lot, "return_override"))

    def test_override_wizard_validates_for_managers_only(self):
        self._deliver(self.customer, (self.lot, 10))
        receipt = self._receive_from_customer(self.clinic, (self.lot, 2))
        with self.assertRaises(AccessError):
            receipt.with_user(self.stock_user).action_accept_return()
        with self.assertRaises(AccessError):
            receipt.with_user(self.stock_user)._validate_accepting_return("Trust me")
        self.assertNotEqual(receipt.state, "done")
        action = receipt.with_user(self.manager).action_accept_return()
        wizard = (
            self.env[action["res_model"]]
            .with_user(self.manager)
            .with_context(**action["context"])
            .create({"reason": "Consignment stock"})
        )
        wizard.action_validate()
        self.assertEqual(receipt.state, "done")
        self.assertEqual(self._audit_rows(self.lot, "return_override").reason, "Consignment stock")

    def test_returned_recalled_lot_goes_to_quarantine(self):
        delivery = self._deliver(self.customer, (self.lot, 10))
        self.lot._block("recall")
        back = self._return(delivery, (self.lot, 4))
        back.button_validate()
        self.assertEqual(back.move_line_ids.location_dest_id, self.quarantine)
        self.assertEqual(self._quant_quantity(self.lot, self.quarantine), 4)
        self.assertEqual(self._quant_quantity(self.lot, self.stock), 40)
        self.assertIn("Returned to quarantine", back.message_ids[0].body)

    def test_returned_expired_lot_goes_to_quarantine_before_the_nightly_job_saw_it(self):
        expired = self._create_lot(self.syringe, 5, name="SYR-OLD", quantity=10)
        delivery = self._deliver(self.customer, (expired, 5))
        self._age_lots(expired, 10)
        self.assertEqual(expired.expiry_state, "ok", "not re-levelled yet")
        back = self._return(delivery, (expired, 3))
        back.with_context(skip_expired=True).button_validate()  # product_expiry's confirmation, accepted
        self.assertEqual(self._quant_quantity(expired, self.quarantine), 3)
        self.assertEqual(self._quant_quantity(expired, self.stock), 5)

    def test_returned_near_expiry_lot_goes_to_quarantine(self):
        self._create_rule(60)
        near = self._create_lot(self.syringe, 30, name="SYR-NEAR", quantity=10)
        self.assertEqual(near.expiry_state, "near_expiry")
        delivery = self._deliver(self.customer, (near, 5))
        back = self._return(delivery, (near, 2))
        back.button_validate()
        self.assertEqual(self._quant_quantity(near, self.quarantine), 2)
        self.assertEqual(self._quant_quantity(near, self.stock), 5)

    def test_returned_sound_lot_goes_back_to_stock(self):
        delivery = self._deliver(self.customer, (self.lot, 10))
        back = self._return(delivery, (self.lot, 4))
        back.button_validate()
        self.assertEqual(back.move_line_ids.location_dest_id, self.stock)
        self.assertFalse(self._quant_quantity(self.lot, self.quarantine))

    def test_returns_into_the_second_warehouse_use_its_own_quarantine(self):
        lot = self._create_lot(self.syringe, 300, name="SYR-SH", quantity=10, location=self.stock_2)
        delivery = self._deliver(self.customer, (lot, 10), warehouse=self.warehouse_2)
        lot._block("recall")
        back = self._return(delivery, (lot, 10))
        back.button_validate()
        quarantine = back.move_line_ids.location_dest_id
        self.assertTrue(quarantine.is_quarantine)
        self.assertEqual(quarantine.warehouse_id, self.warehouse_2)
        self.assertEqual(self.warehouse_2._get_quarantine_location(), quarantine)
