from datetime import date, datetime

from odoo.tests import tagged

from .common import MedicalExpiryCase

# 23:59:59 and midnight of 1 April in Shanghai (UTC+8), as stored: naive UTC.
LAST_SECOND_OF_MARCH_SHANGHAI = datetime(2026, 3, 31, 15, 59, 59)
FIRST_SECOND_OF_APRIL_SHANGHAI = datetime(2026, 3, 31, 16, 0, 0)


@tagged("post_install", "-at_install")
class TestExpiryDateLocal(MedicalExpiryCase):
    """The stored calendar date of a lot's expiry is the date in its company's expiry time zone."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Not a medical device: its expiration datetime is stored as given, at any time of day.
        cls.gloves = cls._create_product("Gloves", cls.categ_device, medical_device_class=False)
        cls.company.expiry_tz = "Asia/Shanghai"

    def _lot(self, name, expiration_date):
        lot = self.env["stock.lot"].create(
            {
                "name": name,
                "product_id": self.gloves.id,
                "company_id": self.company.id,
                "expiration_date": expiration_date,
            }
        )
        self.env["stock.quant"]._update_available_quantity(self.gloves, self.stock, 1, lot_id=lot)
        return lot

    def test_the_date_turns_at_midnight_in_shanghai(self):
        march = self._lot("MARCH", LAST_SECOND_OF_MARCH_SHANGHAI)
        april = self._lot("APRIL", FIRST_SECOND_OF_APRIL_SHANGHAI)
        self.assertEqual(march.expiry_date_local, date(2026, 3, 31))
        self.assertEqual(april.expiry_date_local, date(2026, 4, 1), "16:00 UTC is midnight in Shanghai")
        self.assertEqual(march.quant_ids.expiry_date_local, date(2026, 3, 31))
        self.assertEqual(april.quant_ids.expiry_date_local, date(2026, 4, 1))
        self.assertEqual(april.expiry_date_local, self.company._expiry_date_of(april.expiration_date))

    def test_the_date_turns_at_midnight_utc(self):
        self.company.expiry_tz = "UTC"
        lot = self._lot("UTC", FIRST_SECOND_OF_APRIL_SHANGHAI)
        self.assertEqual(lot.expiry_date_local, date(2026, 3, 31), "16:00 UTC is still 31 March in UTC")
        self.assertEqual(self._lot("UTC-MIDNIGHT", datetime(2026, 4, 1)).expiry_date_local, date(2026, 4, 1))

    def test_a_new_company_time_zone_moves_the_dates_of_its_lots_and_quants(self):
        lot = self._lot("MOVED", FIRST_SECOND_OF_APRIL_SHANGHAI)
        self.company.expiry_tz = "UTC"
        self.assertEqual(lot.expiry_date_local, date(2026, 3, 31))
        self.env.flush_all()
        self.env.cr.execute("SELECT expiry_date_local FROM stock_quant WHERE lot_id = %s", [lot.id])
        self.assertEqual(self.env.cr.fetchall(), [(date(2026, 3, 31),)], "stored on the quant too")

    def test_a_lot_without_expiry_has_no_date(self):
        self.assertFalse(self._lot("NONE", False).expiry_date_local)

    def test_the_workbench_groups_by_the_month_of_the_calendar_date(self):
        self._lot("MARCH", LAST_SECOND_OF_MARCH_SHANGHAI)
        self._lot("APRIL", FIRST_SECOND_OF_APRIL_SHANGHAI)
        groups = self.env["medical.expiry.workbench"]._read_group(
            [("product_id", "=", self.gloves.id)], ["expiration_date:month"], ["quantity:sum"]
        )
        self.assertEqual(dict(groups), {date(2026, 3, 1): 1, date(2026, 4, 1): 1})
