"""有效期至 D is a calendar date in the company's time zone: usable through D, expired from the next local
midnight. Every check runs with the company (and its users) in Asia/Shanghai and in UTC, at the edges of the
day, because that is where a date read in the wrong time zone is one day off.
"""

from datetime import date, datetime

from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import MedicalExpiryCase

EXPIRY = date(2026, 12, 31)
# The same instants, as naive UTC, for each time zone under test.
INSTANTS = {
    "Asia/Shanghai": {
        "last_minute_of_d": datetime(2026, 12, 31, 15, 59),  # 23:59 on D in Shanghai
        "midnight_after_d": datetime(2026, 12, 31, 16, 0),  # 00:00 on D+1 in Shanghai
        "typed_at_local_midnight": datetime(2026, 12, 30, 16, 0),  # what a date picker sends for D
        "cron_at_1am_after_d": datetime(2026, 12, 31, 17, 0),  # 01:00 on D+1 = 17:00 UTC on D
    },
    "UTC": {
        "last_minute_of_d": datetime(2026, 12, 31, 23, 59),
        "midnight_after_d": datetime(2027, 1, 1, 0, 0),
        "typed_at_local_midnight": datetime(2026, 12, 31, 0, 0),
        "cron_at_1am_after_d": datetime(2027, 1, 1, 1, 0),
    },
}


@tagged("post_install", "-at_install")
class TestExpiryCalendar(MedicalExpiryCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.level_30 = cls._create_rule(30, "warn")
        cls.level_90 = cls._create_rule(90)

    def _in_time_zone(self, tz):
        """The company and the users who work for it, in ``tz``."""
        self.company.expiry_tz = tz
        (self.env.user | self.manager | self.stock_user).tz = tz
        return INSTANTS[tz]

    def _typed_lot(self, moment, name="TYPED", quantity=10):
        """A lot whose 有效期至 was typed as D in a date picker (local midnight of D, as the web client
        sends)."""
        lot = self.env["stock.lot"].create(
            {"name": name, "product_id": self.syringe.id, "expiration_date": moment}
        )
        if quantity:
            self.env["stock.quant"]._update_available_quantity(self.syringe, self.stock, quantity, lot_id=lot)
        return lot

    def _deliver(self, lot, quantity=1):
        picking = self._create_picking(self.syringe, quantity)
        self._set_lines(picking, (lot, quantity))
        return picking

    def test_a_date_typed_at_local_midnight_reads_back_as_the_same_day(self):
        for tz in INSTANTS:
            with self.subTest(tz=tz):
                instants = self._in_time_zone(tz)
                lot = self._typed_lot(instants["typed_at_local_midnight"], name=f"TYPED-{tz}")
                self.assertEqual(self.company._expiry_date_of(lot.expiration_date), EXPIRY)
                self.assertEqual(lot.expiration_date, self.company._expiry_datetime_of(EXPIRY))

    def test_the_last_minute_of_d_is_usable_and_the_next_midnight_is_expired(self):
        for tz in INSTANTS:
            with self.subTest(tz=tz):
                instants = self._in_time_zone(tz)
                lot = self._typed_lot(instants["typed_at_local_midnight"], name=f"EDGE-{tz}")
                with freeze_time(instants["last_minute_of_d"]):
                    lot.invalidate_recordset(["days_to_expiry"])
                    self.assertEqual(self.company._expiry_today(), EXPIRY)
                    self.assertEqual(lot.days_to_expiry, 0)
                    self.assertFalse(lot.product_expiry_alert, "Odoo's own check agrees: not expired yet")
                    self.assertEqual(lot.search([("id", "=", lot.id), ("days_to_expiry", "=", 0)]), lot)
                    self._deliver(lot).button_validate()
                with freeze_time(instants["midnight_after_d"]):
                    lot.invalidate_recordset(["days_to_expiry", "product_expiry_alert"])
                    self.assertEqual(lot.days_to_expiry, -1)
                    self.assertTrue(lot.product_expiry_alert)
                    self.assertEqual(lot.search([("id", "=", lot.id), ("days_to_expiry", "<", 0)]), lot)
                    picking = self._deliver(lot)
                    with self.assertRaisesRegex(UserError, "EDGE.*expired"):
                        picking.button_validate()
                    self.assertNotEqual(picking.state, "done")

    def test_the_nightly_job_at_1am_local_blocks_what_expired_at_midnight(self):
        for tz in INSTANTS:
            with self.subTest(tz=tz):
                instants = self._in_time_zone(tz)
                lot = self._typed_lot(instants["typed_at_local_midnight"], name=f"CRON-{tz}")
                with freeze_time(instants["last_minute_of_d"]):
                    self.env["stock.lot"]._cron_refresh_expiry()
                    self.assertEqual((lot.expiry_state, lot.is_blocked), ("near_expiry", False))
                with freeze_time(instants["cron_at_1am_after_d"]):
                    self.env["stock.lot"]._cron_refresh_expiry()
                    self.assertEqual((lot.expiry_state, lot.is_blocked), ("expired", True))

    def test_a_scan_of_a_hand_typed_lot_is_accepted(self):
        self.syringe.barcode = "06901234567892"
        for tz in INSTANTS:
            with self.subTest(tz=tz):
                instants = self._in_time_zone(tz)
                lot = self._typed_lot(instants["typed_at_local_midnight"], name=f"SCAN-{tz}", quantity=0)
                receipt = self._create_picking(
                    self.syringe, 5, partner=self.supplier, picking_type=self.warehouse.in_type_id
                )
                receipt._apply_udi_code(f"(01)06901234567892(17)261231(10)SCAN-{tz}")
                self.assertEqual(receipt.move_line_ids.lot_id, lot)

    def test_a_scanned_date_is_stored_as_the_same_day(self):
        self.syringe.barcode = "06901234567892"
        for tz in INSTANTS:
            with self.subTest(tz=tz):
                self._in_time_zone(tz)
                receipt = self._create_picking(
                    self.syringe, 1, partner=self.supplier, picking_type=self.warehouse.in_type_id
                )
                receipt._apply_udi_code(f"(01)06901234567892(17)261231(10)NEW-{tz}")
                receipt.button_validate()
                lot = receipt.move_line_ids.lot_id
                self.assertEqual(self.company._expiry_date_of(lot.expiration_date), EXPIRY)

    def test_an_import_of_a_hand_typed_lot_with_the_same_date_adds_stock(self):
        self.syringe.default_code = "SYR-001"
        Import = self.env["medical.lot.import"]
        for tz in INSTANTS:
            with self.subTest(tz=tz):
                instants = self._in_time_zone(tz)
                lot = self._typed_lot(instants["typed_at_local_midnight"], name=f"IMPORT-{tz}")
                data = (
                    "product,lot,production_date,expiration_date,quantity,location\n"
                    f"SYR-001,IMPORT-{tz},2025-01-01,2026-12-31,7,{self.stock.complete_name}\n"
                ).encode()
                with freeze_time(datetime(2026, 6, 1)):
                    rows = Import._validate_rows(Import._read_rows(data, "lots.csv"))
                self.assertEqual(rows[0]["errors"], [])
                self.assertEqual(rows[0]["lot"], lot)

    def test_the_level_and_the_day_it_changes_next(self):
        """Rules at 90 and 30 days: a lot moves at D - 90, D - 30, then expires on D + 1."""
        self._in_time_zone("Asia/Shanghai")
        lot = self._typed_lot(INSTANTS["Asia/Shanghai"]["typed_at_local_midnight"], name="LEVELS")
        no_level = self.env["medical.expiry.rule"]
        for today, state, rule, until in (
            (date(2026, 9, 1), "ok", no_level, date(2026, 10, 2)),
            (date(2026, 10, 2), "near_expiry", self.level_90, date(2026, 12, 1)),
            (date(2026, 12, 31), "near_expiry", self.level_30, date(2027, 1, 1)),
            (date(2027, 1, 1), "expired", self.level_30, False),
        ):
            with self.subTest(today=today), freeze_time(datetime.combine(today, datetime.min.time())):
                self.env["stock.lot"]._refresh_expiry_levels()
                self.assertEqual(
                    (lot.expiry_state, lot.expiry_rule_id, lot.expiry_level_until), (state, rule, until)
                )

    def test_the_nightly_pass_reads_only_the_lots_whose_level_changes(self):
        self._in_time_zone("Asia/Shanghai")
        lot = self._typed_lot(INSTANTS["Asia/Shanghai"]["typed_at_local_midnight"], name="QUIET")
        with freeze_time(datetime(2026, 9, 1, 2)):
            self.env["stock.lot"]._refresh_expiry_levels()
        self.assertEqual(lot.expiry_level_until, date(2026, 10, 2))
        # A stale level the pass would correct if it read the lot: it does not, until its day comes.
        self.env.cr.execute("UPDATE stock_lot SET expiry_state = 'near_expiry' WHERE id = %s", [lot.id])
        lot.invalidate_recordset(["expiry_state"])
        with freeze_time(datetime(2026, 10, 1, 2)):
            self.env["stock.lot"]._cron_refresh_expiry()
            self.assertEqual(lot.expiry_state, "near_expiry", "not due: not read")
        with freeze_time(datetime(2026, 10, 1, 17)):  # 01:00 on 2 October in Shanghai
            self.env["stock.lot"]._cron_refresh_expiry()
            self.assertEqual((lot.expiry_state, lot.expiry_rule_id), ("near_expiry", self.level_90))
            self.assertEqual(lot.expiry_level_until, date(2026, 12, 1))

    def test_days_to_expiry_are_searched_grouped_and_sorted_in_the_company_calendar(self):
        self._in_time_zone("Asia/Shanghai")
        near = self._create_lot(self.syringe, 10, name="NEAR")
        far = self._create_lot(self.syringe, 100, name="FAR")
        Lot = self.env["stock.lot"]
        self.assertEqual(Lot.search([("id", "in", (near | far).ids), ("days_to_expiry", "<=", 10)]), near)
        self.assertEqual(
            Lot.search([("id", "in", (near | far).ids)], order="days_to_expiry desc"), far | near
        )
        groups = Lot._read_group([("id", "in", (near | far).ids)], ["days_to_expiry"], ["__count"])
        self.assertEqual(sorted(groups), [(10, 1), (100, 1)])
        with self.assertRaises(UserError):
            Lot.search([("days_to_expiry", "<", "soon")])

    def test_a_customer_minimum_shelf_life_counts_calendar_days(self):
        self._in_time_zone("Asia/Shanghai")
        exactly = self._create_lot(self.syringe, 180, name="EXACTLY", quantity=5)
        short = self._create_lot(self.syringe, 179, name="SHORT", quantity=5)
        for lot, refused in ((exactly, False), (short, True)):
            with self.subTest(lot=lot.name):
                picking = self._create_picking(self.syringe, 1, partner=self.picky_customer)
                self._set_lines(picking, (lot, 1))
                if refused:
                    with self.assertRaisesRegex(UserError, "shelf life"):
                        picking.button_validate()
                else:
                    picking.button_validate()
                    self.assertEqual(picking.state, "done")

    def test_the_expiry_time_zone_is_a_company_setting(self):
        settings = self.env["res.config.settings"].create({"expiry_tz": "UTC"})
        settings.execute()
        self.assertEqual(self.company.expiry_tz, "UTC")
        branch = self.env["res.company"].create({"name": "Beijing Branch"})
        self.assertEqual(branch.expiry_tz, self.env.user.tz or "Asia/Shanghai")
