from datetime import timedelta

from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestDemo(TransactionCase):
    """The demo builders, run on a company of their own: what `make run` shows is made by them, so this
    holds with or without demo data installed."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Demo = cls.env["medical.expiry.demo"]
        cls.company = Demo._demo_create_company(
            name="测试医疗器械有限公司", email_domain="demo-test.example.cn"
        )
        cls.demo = Demo._demo_build(cls.company)
        cls.today = cls.company._expiry_today()

    def _lot(self, name):
        return self.env["stock.lot"].search([("name", "=", name), ("company_id", "=", self.company.id)])

    def test_demo_company_is_a_shanghai_distributor_counting_in_yuan(self):
        self.assertEqual(self.company.currency_id, self.env.ref("base.CNY"))
        self.assertEqual(self.company.currency_id.symbol, "¥")
        self.assertEqual(self.company.expiry_tz, "Asia/Shanghai")
        self.assertEqual(self.company.country_id, self.env.ref("base.cn"))
        self.assertEqual(self.company.state_id, self.env.ref("base.state_cn_SH"))
        self.assertTrue(self.company.logo)
        self.assertEqual(
            set(
                self.demo["warehouses"]["shanghai"].mapped("name")
                + self.demo["warehouses"]["suzhou"].mapped("name")
            ),
            {"上海中心仓", "苏州分仓"},
        )

    def test_demo_users_work_in_the_demo_company_on_shanghai_time(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        company = self.env["medical.expiry.demo"]._demo_create_company(
            name="测试医疗器械二公司", email_domain="demo-test-2.example.cn"
        )
        self.assertEqual(company.partner_id.lang, "zh_CN", "what is written for the company is in Chinese")
        user = self.env["res.users"].create({"name": "Demo Admin", "login": "demo_admin_home"})
        self.env["medical.expiry.demo"]._demo_make_home(user, self.company)
        self.assertEqual(user.company_id, self.company)
        self.assertIn(self.company, user.company_ids)
        self.assertEqual((user.tz, user.lang), ("Asia/Shanghai", "zh_CN"))
        for demo_user in self.demo["users"].values():
            self.assertEqual(demo_user.company_ids, self.company)
            self.assertEqual(demo_user.tz, "Asia/Shanghai")

    def test_demo_partners_and_devices_carry_their_qualifications(self):
        for partner in [*self.demo["suppliers"].values(), *self.demo["hospitals"].values()]:
            self.assertTrue(partner.qualification_ids, f"{partner.name} has its licences")
        self.assertEqual(self.demo["hospitals"]["zhongshan"].min_shelf_life_days, 180)
        for key in ("syringe", "infusion", "mask", "glucose", "implant"):
            device = self.demo["devices"][key]
            self.assertEqual(device.company_id, self.company)
            self.assertEqual(len(device.barcode), 14, "the UDI-DI is a GTIN-14")
            self.assertTrue(
                device.qualification_ids.filtered(
                    lambda q: q.qualification_type == "registration_certificate"
                )
            )

    def test_demo_receipts_with_lots_one_scanned_one_waiting(self):
        receipts = self.demo["receipts"]
        self.assertEqual(receipts["typed"].state, "done")
        self.assertEqual(set(receipts["typed"].move_line_ids.lot_id.mapped("name")), {"SYR2611F", "INF2601F"})
        self.assertEqual(receipts["scanned"].state, "done")
        scanned = receipts["scanned"].move_line_ids.lot_id
        self.assertEqual(set(scanned.mapped("name")), {"GLU2608E", "GLU2609F"})
        self.assertEqual(
            {self.company._expiry_date_of(lot.expiration_date) for lot in scanned},
            {self.today + timedelta(days=500)},
            "the expiry date comes from the UDI's (17)",
        )
        self.assertEqual(receipts["waiting"].state, "assigned")

    def test_demo_purchase_from_a_supplier_whose_licence_lapsed_is_refused(self):
        order = self.demo["refused_purchase"].with_user(self.demo["users"]["warehouse"])
        with self.assertRaises(UserError):
            order.button_confirm()
        self.assertEqual(order.state, "draft")

    def test_demo_deliveries_done_reserved_fefo_and_warned(self):
        deliveries = self.demo["deliveries"]
        self.assertEqual(set(deliveries["delivered"].mapped("state")), {"done"})
        reserved = deliveries["reserved"]
        self.assertEqual(reserved.state, "assigned")
        # 中山医院 wants 180 days: the earliest lot that gives them is reserved, none closer to expiry.
        self.assertEqual(reserved.move_line_ids.lot_id, self._lot("SYR2511E"))
        warned = deliveries["warned"]
        self.assertEqual(warned.state, "assigned")
        self.assertEqual(warned.move_line_ids.lot_id, self._lot("MSK2410B"))
        self.assertTrue(warned.expiry_warning)

    def test_demo_transfer_is_in_transit(self):
        transit = self.demo["transit"]
        self.assertEqual(transit["shipped"].state, "done")
        self.assertEqual(transit["arriving"].state, "assigned")
        self.assertEqual(transit["arriving"].location_id, self.company.internal_transit_location_id)
        self.assertEqual(transit["arriving"].location_dest_id, self.demo["warehouses"]["suzhou"].lot_stock_id)

    def test_demo_customer_return_is_back_in_quarantine(self):
        returned = self.demo["customer_return"]
        self.assertEqual(returned.state, "done")
        self.assertEqual(returned.partner_id, self.demo["hospitals"]["suda"])
        self.assertTrue(returned.move_line_ids.location_dest_id.is_quarantine)

    def test_demo_recall_in_progress_with_notices_sent(self):
        recall = self.demo["recall"]
        self.assertEqual(recall.state, "in_progress")
        self.assertEqual(recall.sudo().confirm_signature_id.signed_action, "recall_confirm")
        self.assertEqual(recall.lot_ids, self._lot("INF2601F"))
        self.assertTrue(recall.lot_ids.is_blocked)
        self.assertEqual(
            recall.notice_ids.partner_id,
            self.demo["hospitals"]["zhongshan"] | self.demo["hospitals"]["ruijin"],
        )
        self.assertEqual(set(recall.notice_ids.mapped("state")), {"sent", "acknowledged"})

    def test_demo_signed_actions_are_in_the_audit_log(self):
        signatures = self.demo["signatures"]
        self.assertEqual(
            set(signatures.mapped("signed_action")),
            {"lot_unblock", "expiry_date_change", "first_business_approval", "recall_confirm"},
        )
        logged = self.env["medical.audit.log"].search(
            [("signature_id", "in", signatures.ids), ("action", "in", ("lot_unblock", "expiry_date_change"))]
        )
        self.assertEqual(set(logged.mapped("action")), {"lot_unblock", "expiry_date_change"})
        self.assertFalse(self._lot("GLU2510D").is_blocked)
        self.assertEqual(
            self.company._expiry_date_of(self._lot("ORT25SN0004").expiration_date),
            self.today + timedelta(days=730),
        )

    def test_demo_suppliers_and_devices_passed_first_business_approval_but_the_lapsed_one(self):
        suppliers = self.demo["suppliers"]
        states = {
            key: supplier.with_company(self.company).first_business_state
            for key, supplier in suppliers.items()
        }
        self.assertEqual(states, {"weigao": "approved", "yuwell": "approved", "winner": "draft"})
        devices = self.env["product.template"].search([("company_id", "=", self.company.id)])
        self.assertEqual(set(devices.with_company(self.company).mapped("first_business_state")), {"approved"})

    def test_demo_alerts_reach_the_people_of_the_rules(self):
        devices = self.env["product.product"].search([("company_id", "=", self.company.id)])
        alert_types = self.env["stock.lot"]._expiry_alert_types()
        activities = self.env["mail.activity"].search(
            [
                ("activity_type_id", "in", [alert_type.id for alert_type in alert_types.values()]),
                ("res_model", "=", "product.product"),
                ("res_id", "in", devices.ids),
            ]
        )
        self.assertEqual(
            activities.user_id,
            self.demo["users"]["warehouse"] | self.demo["users"]["quality"],
            "the rules' users get the alerts, nobody else",
        )

    def test_demo_documents_belong_to_the_demo_company(self):
        pickings = self.env["stock.picking"].search(
            [("partner_id", "in", [p.id for p in self.demo["hospitals"].values()])]
        )
        self.assertTrue(pickings)
        self.assertEqual(pickings.company_id, self.company)
        self.assertEqual(self.demo["recall"].company_id, self.company)
        self.assertEqual(self.demo["rules"].company_id, self.company)

    def test_demo_stock_inspections_are_met_mid_way(self):
        inspections = self.demo["stock_inspections"]
        closed, current, overdue = inspections["closed"], inspections["current"], inspections["overdue"]
        self.assertEqual(closed.state, "done")
        self.assertEqual(closed.sudo().close_signature_id.signed_action, "stock_inspection_close")
        self.assertTrue(closed.line_ids.filtered(lambda line: line.action == "nonconforming"))
        self.assertEqual(current.state, "in_progress")
        self.assertTrue(0 < current.checked_count < current.line_count)
        self.assertTrue(overdue.is_overdue)
        self.assertEqual(overdue.activity_ids.user_id, self.demo["users"]["warehouse"])

    def test_demo_nonconforming_goods_destroyed_returned_and_waiting(self):
        register = self.demo["nonconforming"]
        destroyed, returned, waiting = register["destroyed"], register["returned"], register["waiting"]
        self.assertEqual((destroyed.state, destroyed.disposition), ("done", "destroy"))
        self.assertEqual(destroyed.witness_ids, self.demo["users"]["quality"])
        self.assertEqual(destroyed.scrap_id.state, "done")
        self.assertEqual((returned.state, returned.disposition), ("approved", "return"))
        self.assertTrue(returned.location_id.is_nonconforming)
        self.assertTrue(waiting)
        self.assertEqual(set(waiting.mapped("state")), {"reported"})
        self.assertIn("expired", waiting.mapped("reason"))

    def test_demo_dashboard_shows_a_year_of_falling_expired_rate_and_turnover_days(self):
        Kpi = self.env["medical.expiry.kpi"]
        figures = Kpi.search([("company_id", "=", self.company.id)])
        self.assertGreaterEqual(len(set(figures.mapped("month"))), 12)

        def by_month(kpi):
            groups = Kpi._read_group(
                [("company_id", "=", self.company.id), ("kpi", "=", kpi)], ["month:month"], ["value:sum"]
            )
            return [value for _month, value in sorted(groups, key=lambda group: group[0])]

        # The eleven closed months (the current one is under way): the first quarter against the last.
        for kpi in ("expired_rate", "turnover_days"):
            values = by_month(kpi)[:-1]
            self.assertGreaterEqual(len(values), 11, kpi)
            self.assertGreater(sum(values[:3]) / 3, sum(values[-3:]) / 3, kpi)
            self.assertGreater(values[0], values[-1], kpi)
        self.assertTrue(by_month("expired_loss")[0])
        # The year's deliveries follow FEFO: no deviation before this month's own documents.
        self.assertFalse(any(by_month("fefo_deviation")[:-1]))

    def test_demo_outbound_check_under_way_blocks_its_delivery(self):
        check = self.demo["outbound_check"]
        self.assertTrue(self.company.outbound_double_check_required)
        self.assertEqual(check.state, "checking")
        self.assertEqual(check.line_ids.move_line_id.medical_picked_by_id, self.demo["users"]["warehouse"])
        with self.assertRaisesRegex(UserError, "not double-checked"):
            check.picking_id.button_validate()
        check.line_ids.with_user(self.demo["users"]["quality"]).action_confirm()
        self.assertEqual(check.state, "done")
        check.picking_id.button_validate()
        self.assertEqual(check.picking_id.state, "done")
