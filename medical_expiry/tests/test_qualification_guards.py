from datetime import date, timedelta

from freezegun import freeze_time

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

    def test_a_licence_lacking_the_device_code_is_refused_naming_the_code(self):
        self.supplier_licence.scope_codes = "14, 22-11"
        self.syringe.device_category_code = "13-03-01"
        order = self._purchase(self.syringe)
        self._assert_refused(
            order.button_confirm, "classification code 13-03-01 of Syringe", "Class II scope is 14, 22-11"
        )
        self.assertEqual(order.state, "draft")

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

    def test_a_client_set_context_key_overrides_no_qualification_check(self):
        """Only ``_run_overriding_qualifications`` grants the override: the key the context once carried
        lets nothing through, even for a manager."""
        self.supplier_licence.date_end = self.today - timedelta(days=2)
        order = self._purchase(self.syringe)
        with self.assertRaises(UserError):
            order.with_user(self.manager).with_context(
                medical_qualification_override_reason="Set by the client"
            ).button_confirm()
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

    def test_sale_to_a_customer_with_a_valid_licence_on_file_is_confirmed(self):
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

    # ------------------------------------------------------------------
    # Validity judged at the moment of the check, in the company's time zone
    # ------------------------------------------------------------------
    def test_a_licence_that_lapsed_yesterday_stops_everything_the_next_morning_before_the_nightly_job(self):
        self.company.expiry_tz = "Asia/Shanghai"
        last_day = date(2026, 3, 10)
        # 16:00 in Shanghai on the last day of the supplier's, the hospital's and the syringe's documents.
        with freeze_time("2026-03-10 08:00:00"):
            self.supplier_licence.date_end = last_day
            documents = (
                self.supplier_licence
                | self._qualify(self.hospital, "practice_licence", date_end=last_day, number="PDY-LAST-DAY")
                | self._qualify(
                    self.syringe, "registration_certificate", date_end=last_day, number="REG-LAST"
                )
            )
            purchase, sale = self._purchase(self.syringe), self._sale(self.syringe)
            delivery, receipt = self._delivery(), self._receipt()
        self.assertEqual(set(documents.mapped("state")), {"valid"})
        with freeze_time("2026-03-10 15:59:59"):  # 23:59:59 in Shanghai: still the last day
            self._purchase(self.syringe).button_confirm()
        # 00:30 in Shanghai the next morning, the nightly job not run yet: the stored states say valid.
        with freeze_time("2026-03-10 16:30:00"):
            documents.invalidate_recordset()
            self.assertEqual(set(documents.mapped("state")), {"valid"})
            for run, document in (
                (purchase.button_confirm, purchase),
                (sale.action_confirm, sale),
                (delivery.button_validate, delivery),
                (receipt.button_validate, receipt),
            ):
                with self.subTest(document=document.display_name):
                    self._assert_refused(run, document.name, "expired on 2026-03-10")
                    self.assertFalse(self._audit_rows(document, "guard_override"))
        self.assertEqual([purchase.state, sale.state], ["draft", "draft"])
        self.assertEqual((delivery | receipt).mapped("state"), ["assigned", "assigned"])

    def test_levels_and_states_are_computed_against_the_company_today(self):
        self.company.expiry_tz = "Asia/Shanghai"
        rule = self._create_qualification_rule(30)
        with freeze_time("2026-03-10 08:00:00"):
            lapsing = self._qualify(self.hospital, "practice_licence", date_end=date(2026, 3, 10))
            expiring = self._qualify(self.hospital, "business_licence", date_end=date(2026, 4, 10))
        # 00:30 on 2026-03-11 in Shanghai, still 2026-03-10 in UTC, for a user without a time zone.
        with freeze_time("2026-03-10 16:30:00"):
            self.env["medical.qualification"].with_context(tz=False)._refresh_levels()
        self.assertRecordValues(
            lapsing | expiring,
            [
                {"state": "expired", "days_to_expiry": -1, "expiry_rule_id": False},
                {"state": "expiring", "days_to_expiry": 30, "expiry_rule_id": rule.id},
            ],
        )

    # ------------------------------------------------------------------
    # Documents a customer must hold
    # ------------------------------------------------------------------
    def test_a_hospital_with_no_practice_licence_on_file_is_refused(self):
        self.hospital.medical_customer_type = "institution"
        sale, delivery = self._sale(self.gauze), self._delivery()
        for run, document in ((sale.action_confirm, sale), (delivery.button_validate, delivery)):
            with self.subTest(document=document.display_name):
                self._assert_refused(
                    run,
                    document.name,
                    "People's Hospital has no Medical Institution Practice Licence on file",
                )
                self.assertFalse(self._audit_rows(document, "guard_override"))
        self.assertEqual(sale.state, "draft")
        self.assertNotEqual(delivery.state, "done")
        self._qualify(self.hospital, "practice_licence", 100)
        sale.action_confirm()
        self.assertEqual(sale.state, "sale")

    def test_a_customer_with_no_document_on_file_is_refused(self):
        order = self._sale(self.syringe)
        self._assert_refused(
            order.action_confirm,
            "People's Hospital has neither a Medical Institution Practice Licence (a medical institution) "
            "nor a Medical Device Trading Licence or Medical Device Trading Filing (a distributor) on file.",
        )
        self.assertEqual(order.state, "draft")

    def test_a_distributor_customer_needs_a_licence_or_filing_covering_the_device(self):
        distributor = self.env["res.partner"].create(
            {"name": "Downstream Trading Co.", "is_company": True, "medical_customer_type": "distributor"}
        )
        order = self._sale(self.syringe, distributor)
        self._assert_refused(order.action_confirm, "Downstream Trading Co. holds no valid licence or filing")
        self.assertEqual(order.state, "draft")
        self._sale(self.gauze, distributor).action_confirm()  # class I: no licence needed to trade it
        self._qualify(distributor, "device_trade_filing", 100, covers_class_2=True)
        order.action_confirm()
        self.assertEqual(order.state, "sale")
        self._assert_refused(self._sale(self.stent, distributor).action_confirm, "covering Class III")

    def test_a_missing_document_follows_the_policy_of_a_lapsed_one(self):
        self.company.qualification_policy = "warn"
        self.hospital.medical_customer_type = "institution"
        order = self._sale(self.syringe)
        order.action_confirm()
        self.assertEqual(order.state, "sale")
        self.assertIn(
            "Medical Institution Practice Licence", self._audit_rows(order, "guard_override").new_values
        )
        self.company.qualification_policy = "block"
        overridden = self._sale(self.syringe)
        overridden.with_user(self.manager)._run_overriding_qualifications("Licence sighted at the hospital")
        self.assertEqual(overridden.state, "sale")
        self.assertEqual(
            self._audit_rows(overridden, "guard_override").reason, "Licence sighted at the hospital"
        )
