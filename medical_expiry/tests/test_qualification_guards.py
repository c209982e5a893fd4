from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import PASSWORD
from .qualification_common import QualificationCase


@tagged("post_install", "-at_install")
class TestQualificationGuards(QualificationCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.qualification_policy = "block"
        cls.stent = cls._create_product("Stent", cls.categ_device, medical_device_class="3")
        cls.gauze = cls._create_product("Gauze", cls.categ_device, medical_device_class="1")
        cls.distilled_water = cls._create_product(
            "Distilled water", cls.categ_device, medical_device_class=False
        )
        cls.unlicensed_supplier = cls.env["res.partner"].create(
            {"name": "Unlicensed Trading Co.", "is_company": True}
        )
        # The manager who overrides also buys and sells.
        cls.manager.groups_id |= cls.env.ref("purchase.group_purchase_user") | cls.env.ref(
            "sales_team.group_sale_salesman_all_leads"
        )
        cls.salesman = cls.env["res.users"].create(
            {
                "name": "Salesman",
                "login": "qualification_salesman",
                "password": PASSWORD,
                "groups_id": [Command.set([cls.env.ref("sales_team.group_sale_salesman").id])],
            }
        )

    # ------------------------------------------------------------------
    # Documents
    # ------------------------------------------------------------------
    def _purchase(self, product, supplier=None):
        return self.env["purchase.order"].create(
            {
                "partner_id": (supplier or self.supplier).id,
                "order_line": [Command.create({"product_id": product.id, "product_qty": 5, "price_unit": 2})],
            }
        )

    def _sale(self, product, customer=None):
        return self.env["sale.order"].create(
            {
                "partner_id": (customer or self.hospital).id,
                "order_line": [Command.create({"product_id": product.id, "product_uom_qty": 5})],
            }
        )

    def _receipt(self, product=None):
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

    def _delivery(self, customer=None):
        lot = self._create_lot(self.syringe, 300, quantity=5)
        delivery = self._create_picking(self.syringe, 5, partner=customer or self.hospital)
        self._set_lines(delivery, (lot, 5))
        return delivery

    def _assert_refused(self, run, *fragments):
        with self.assertRaises(UserError) as refusal:
            run()
        for fragment in fragments:
            self.assertIn(str(fragment), str(refusal.exception))
        return refusal

    # ------------------------------------------------------------------
    # Purchase orders: the supplier's licences, and their scope
    # ------------------------------------------------------------------
    def test_purchase_from_a_supplier_whose_licence_expired_is_refused(self):
        self.supplier_licence.date_end = self.today - timedelta(days=2)
        order = self._purchase(self.syringe)
        self._assert_refused(
            order.button_confirm, order.name, "沪药监械经营许20190001号", self.today - timedelta(days=2)
        )
        self.assertEqual(order.state, "draft")
        self.assertFalse(self._audit_rows(order, "guard_override"))

    def test_purchase_from_a_supplier_whose_licence_was_revoked_is_refused(self):
        self.supplier_licence.sudo()._revoke("Withdrawn")
        order = self._purchase(self.syringe)
        self._assert_refused(order.button_confirm, "was revoked on", self.today)
        self.assertEqual(order.state, "draft")

    def test_purchase_of_a_class_the_licence_does_not_cover_is_refused(self):
        self.supplier_licence.covers_class_3 = False
        order = self._purchase(self.stent)
        self._assert_refused(order.button_confirm, "holds no valid licence covering", "Stent", "Class III")
        self.assertEqual(order.state, "draft")
        self._purchase(self.syringe).button_confirm()

    def test_purchase_outside_the_licence_classification_codes_is_refused(self):
        self.supplier_licence.scope_codes = "14, 22-11"
        self.syringe.device_category_code = "13-03-01"
        order = self._purchase(self.syringe)
        self._assert_refused(order.button_confirm, "holds no valid licence covering", "13-03-01")
        self.syringe.device_category_code = "14-02-01"
        order.button_confirm()
        self.assertEqual(order.state, "purchase")

    def test_purchase_from_a_supplier_with_no_licence_on_file_is_refused(self):
        order = self._purchase(self.syringe, self.unlicensed_supplier)
        self._assert_refused(order.button_confirm, "Unlicensed Trading Co. holds no valid licence")
        self.assertEqual(order.state, "draft")

    def test_class_one_devices_and_other_goods_need_no_licence(self):
        for product in (self.gauze, self.distilled_water):
            order = self._purchase(product, self.unlicensed_supplier)
            order.button_confirm()
            self.assertEqual(order.state, "purchase")

    def test_a_renewed_licence_replaces_the_expired_one(self):
        self.supplier_licence.date_end = self.today - timedelta(days=2)
        self._qualify(self.supplier, "device_trade_licence", 1800, covers_class_2=True, covers_class_3=True)
        order = self._purchase(self.stent)
        order.button_confirm()
        self.assertEqual(order.state, "purchase")

    def test_an_expired_trading_licence_does_not_matter_for_class_one_devices(self):
        self.supplier_licence.date_end = self.today - timedelta(days=2)
        order = self._purchase(self.gauze)
        order.button_confirm()
        self.assertEqual(order.state, "purchase")

    def test_an_expired_business_licence_is_refused_for_every_device(self):
        self._qualify(self.supplier, "business_licence", -1, number="91310000MA1FL0001X")
        for product in (self.syringe, self.gauze):
            order = self._purchase(product)
            self._assert_refused(order.button_confirm, "Business Licence 91310000MA1FL0001X")

    def test_the_order_shows_its_qualification_problems_before_confirmation(self):
        self.supplier_licence.date_end = self.today - timedelta(days=2)
        order = self._purchase(self.syringe)
        self.assertIn("沪药监械经营许20190001号", order.qualification_alert)
        self.assertFalse(self._purchase(self.gauze).qualification_alert)

    # ------------------------------------------------------------------
    # Warn policy and manager override
    # ------------------------------------------------------------------
    def test_warn_policy_confirms_with_a_note_and_an_audit_row(self):
        self.company.qualification_policy = "warn"
        self.supplier_licence.date_end = self.today - timedelta(days=2)
        order = self._purchase(self.syringe)
        messages = order.message_ids
        order.button_confirm()
        self.assertEqual(order.state, "purchase")
        self.assertIn("沪药监械经营许20190001号", "".join((order.message_ids - messages).mapped("body")))
        row = self._audit_rows(order, "guard_override")
        self.assertEqual(len(row), 1)
        self.assertIn("policy warns", row.reason)
        self.assertIn("沪药监械经营许20190001号", row.new_values)

    def test_a_manager_overrides_a_refused_purchase_with_a_reason(self):
        self.supplier_licence.date_end = self.today - timedelta(days=2)
        order = self._purchase(self.syringe).with_user(self.manager)
        action = order.action_override_qualifications()
        wizard = (
            self.env[action["res_model"]].with_user(self.manager).with_context(**action["context"])
        ).create({"reason": "Renewal filed on 11-20, emergency order for the ICU"})
        self.assertIn("沪药监械经营许20190001号", wizard.problems)
        wizard.action_override()
        self.assertEqual(order.state, "purchase")
        row = self._audit_rows(order, "guard_override")
        self.assertEqual(row.reason, "Renewal filed on 11-20, emergency order for the ICU")
        self.assertEqual(row.user_id, self.manager)

    def test_only_managers_override_and_only_with_a_reason(self):
        self.supplier_licence.date_end = self.today - timedelta(days=2)
        order = self._purchase(self.syringe)
        with self.assertRaises(AccessError):
            order.with_user(self.stock_user).action_override_qualifications()
        with self.assertRaises(AccessError):
            order.with_user(self.stock_user)._run_overriding_qualifications("I say so")
        with self.assertRaisesRegex(UserError, "Say why"):
            order.with_user(self.manager)._run_overriding_qualifications(" ")
        self.assertEqual(order.state, "draft")
        self.assertFalse(self._audit_rows(order, "guard_override"))

    def test_policy_is_set_per_company_in_the_settings(self):
        self.env["res.config.settings"].create({"qualification_policy": "warn"}).execute()
        self.assertEqual(self.company.qualification_policy, "warn")

    # ------------------------------------------------------------------
    # Sale orders and deliveries: the customer's licences
    # ------------------------------------------------------------------
    def test_sale_to_a_customer_whose_licence_expired_is_refused(self):
        self._qualify(self.hospital, "practice_licence", -5, number="PDY00001X110101")
        order = self._sale(self.syringe)
        self._assert_refused(
            order.action_confirm, order.name, "PDY00001X110101", self.today - timedelta(days=5)
        )
        self.assertEqual(order.state, "draft")

    def test_the_guard_holds_for_a_salesman_who_cannot_read_qualifications(self):
        self._qualify(self.hospital, "practice_licence", -5, number="PDY00001X110101")
        order = self._sale(self.syringe).with_user(self.salesman)
        self._assert_refused(order.action_confirm, "PDY00001X110101")

    def test_sale_to_a_customer_with_valid_or_no_licence_on_file_is_confirmed(self):
        self._qualify(self.hospital, "practice_licence", 0)
        for customer in (self.hospital, self.customer):
            order = self._sale(self.syringe, customer)
            order.action_confirm()
            self.assertEqual(order.state, "sale")

    def test_sale_of_other_goods_is_not_checked(self):
        self._qualify(self.hospital, "practice_licence", -5)
        order = self._sale(self.distilled_water)
        order.action_confirm()
        self.assertEqual(order.state, "sale")

    def test_a_manager_overrides_a_refused_sale(self):
        self._qualify(self.hospital, "practice_licence", -5)
        order = self._sale(self.syringe)
        order.with_user(self.manager)._run_overriding_qualifications(
            "Life-saving case, licence renewal in hand"
        )
        self.assertEqual(order.state, "sale")
        self.assertEqual(
            self._audit_rows(order, "guard_override").reason, "Life-saving case, licence renewal in hand"
        )

    def test_delivery_to_a_customer_whose_licence_expired_is_refused(self):
        self._qualify(self.hospital, "practice_licence", -1, number="PDY00001X110101")
        delivery = self._delivery()
        self._assert_refused(delivery.button_validate, delivery.name, "PDY00001X110101")
        self.assertNotEqual(delivery.state, "done")
        self.assertFalse(delivery.move_ids.filtered(lambda move: move.state == "done"))

    def test_delivery_done_from_code_is_guarded_too(self):
        self._qualify(self.hospital, "practice_licence", -1, number="PDY00001X110101")
        delivery = self._delivery()
        self._assert_refused(delivery._action_done, "PDY00001X110101")

    def test_a_manager_overrides_a_refused_delivery(self):
        self._qualify(self.hospital, "practice_licence", -1)
        delivery = self._delivery()
        delivery.with_user(self.manager)._run_overriding_qualifications("Stock already at the ward")
        self.assertEqual(delivery.state, "done")
        self.assertEqual(self._audit_rows(delivery, "guard_override").reason, "Stock already at the ward")

    # ------------------------------------------------------------------
    # Receipts: the devices' registration certificates
    # ------------------------------------------------------------------
    def test_receipt_of_a_device_whose_registration_expired_is_refused(self):
        self._qualify(self.syringe, "registration_certificate", -3, number="国械注准20203140001")
        picking = self._receipt()
        self._assert_refused(
            picking.button_validate, "Syringe", "国械注准20203140001", self.today - timedelta(days=3)
        )
        self.assertNotEqual(picking.state, "done")

    def test_registration_expired_with_warn_policy_receives_with_a_note_and_an_audit_row(self):
        self.company.qualification_policy = "warn"
        self._qualify(self.syringe, "registration_certificate", -3, number="国械注准20203140001")
        picking = self._receipt()
        messages = picking.message_ids
        picking.button_validate()
        self.assertEqual(picking.state, "done")
        self.assertIn("国械注准20203140001", "".join((picking.message_ids - messages).mapped("body")))
        self.assertEqual(len(self._audit_rows(picking, "guard_override")), 1)

    def test_registration_valid_until_today_or_renewed_is_received_silently(self):
        self._qualify(self.syringe, "registration_certificate", 0)
        self._qualify(self.strips, "registration_certificate", -30)
        self._qualify(self.strips, "registration_certificate", 1800)
        for product in (self.syringe, self.strips):
            picking = self._receipt(product)
            picking.button_validate()
            self.assertEqual(picking.state, "done")
            self.assertFalse(self._audit_rows(picking, "guard_override"))

    def test_devices_without_a_registration_on_file_are_received(self):
        picking = self._receipt()
        picking.button_validate()
        self.assertEqual(picking.state, "done")

    def test_stock_received_still_ships_after_its_registration_expires(self):
        self._qualify(self.syringe, "registration_certificate", -3)
        delivery = self._delivery(self.customer)
        delivery.button_validate()
        self.assertEqual(delivery.state, "done")
