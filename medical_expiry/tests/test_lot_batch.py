from datetime import datetime, timedelta

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import MedicalExpiryCase


@tagged("post_install", "-at_install")
class TestLotBatch(MedicalExpiryCase):
    """Lots created in SQL for the historical import store what ``stock.lot.create`` stores."""

    maxDiff = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.expiry_tz = "Asia/Shanghai"
        cls._create_rule(90, policy="warn")
        cls.syringe.write({"use_time": 30, "removal_time": 20, "alert_time": 60})
        # Not a medical device: its expiration time is kept as given, and its local date read from it.
        cls.reagent = cls._create_product("Reagent", cls.categ_ivd, medical_device_class=False, alert_time=10)
        cls.bandage = cls._create_product("Bandage", cls.categ_device, use_expiration_date=False)
        cls.implant = cls._create_product("Implant", cls.categ_device, lot_valuated=True, standard_price=7.5)

    def _vals(self, prefix):
        today = self.company._expiry_today()
        # 16:30 UTC is 00:30 the next day in Shanghai: the local expiry date is the day after the UTC date.
        boundary = datetime.combine(today + timedelta(days=400), datetime.min.time()) + timedelta(hours=16.5)
        near = self.company._expiry_datetime_of(today + timedelta(days=60))
        return [
            {"name": f"{prefix}-{index}", "company_id": self.company.id, **vals}
            for index, vals in enumerate(self._raw_vals(today, boundary, near))
        ]

    def _raw_vals(self, today, boundary, near):
        return [
            {"product_id": self.syringe.id, "expiration_date": boundary, "production_date": today},
            {"product_id": self.syringe.id, "expiration_date": near, "sterilisation_lot": "ST-1"},
            {"product_id": self.reagent.id, "expiration_date": boundary},
            {"product_id": self.reagent.id, "expiration_date": near - timedelta(days=200)},
            {"product_id": self.bandage.id, "expiration_date": boundary},
            {"product_id": self.bandage.id},
            {"product_id": self.implant.id, "expiration_date": near},
        ]

    def _stored(self, lots):
        """Every stored field of the lots, read back from the database, the name without its prefix."""
        names = [name for name, field in lots._fields.items() if field.store and name != "id"]
        self.env.invalidate_all()
        return [
            {**values, "id": None, "name": values["name"].split("-", 1)[1]} for values in lots.read(names)
        ]

    def test_lots_created_in_sql_store_what_create_stores(self):
        Lot = self.env["stock.lot"].with_context(tracking_disable=True)
        orm_lots = Lot.create(self._vals("ORM"))
        sql_lots = Lot._create_imported_lots_sql(self._vals("SQL"))
        self.assertEqual(sql_lots.mapped("name"), [f"SQL-{index}" for index in range(7)])
        self.assertEqual(self._stored(sql_lots), self._stored(orm_lots))
        syringe_lot, near_lot, reagent_lot, expired_lot, *_bandages, implant_lot = sql_lots
        boundary_day = self.company._expiry_today() + timedelta(days=401)
        self.assertEqual(reagent_lot.expiry_date_local, boundary_day)
        self.assertEqual(syringe_lot.expiry_date_local, boundary_day)
        self.assertEqual(syringe_lot.expiration_date, self.company._expiry_datetime_of(boundary_day))
        self.assertEqual(syringe_lot.removal_date, syringe_lot.expiration_date - timedelta(days=20))
        self.assertEqual((near_lot.expiry_state, expired_lot.expiry_state), ("near_expiry", "expired"))
        self.assertEqual(implant_lot.standard_price, 7.5)
        self.assertEqual(
            Lot.search([("product_id", "=", self.syringe.id), ("name", "=like", "SQL-%")]), sql_lots[:2]
        )

    def test_lot_created_twice_in_sql_is_refused(self):
        Lot = self.env["stock.lot"]
        Lot.create({"name": "DUP-1", "product_id": self.syringe.id, "company_id": self.company.id})
        vals = {"name": "DUP-1", "product_id": self.syringe.id, "company_id": self.company.id}
        with self.assertRaises(ValidationError):
            Lot._create_imported_lots_sql([vals])
        self.assertEqual(Lot.search_count([("name", "=", "DUP-1")]), 1)

    def test_import_leaves_lot_locations_and_a_whole_audit_chain(self):
        self.syringe.default_code = "SYR-001"
        expires = self.company._expiry_today() + timedelta(days=300)
        rows = [
            ("ONE-PLACE", self.stock, 5),
            ("TWO-PLACES", self.stock, 3),
            ("TWO-PLACES", self.stock_2, 4),
        ]
        content = "product,lot,expiration_date,quantity,location\n" + "".join(
            f"SYR-001,{lot},{expires},{quantity},{location.complete_name}\n"
            for lot, location, quantity in rows
        )
        self.env["medical.lot.import"]._run(content.encode(), "lots.csv", "all_or_nothing")
        one_place, two_places = (
            self.env["stock.lot"].search([("name", "=", name)]) for name in ("ONE-PLACE", "TWO-PLACES")
        )
        self.assertEqual(
            (one_place.location_id, two_places.location_id), (self.stock, self.env["stock.location"])
        )
        self.assertEqual((one_place.product_qty, two_places.product_qty), (5, 7))
        self.assertEqual(len(self._audit_rows(one_place | two_places, "import")), 2)
        _checked, broken, missing = self.env["medical.audit.log"]._verify_chain()
        self.assertFalse(broken)
        self.assertIsNone(missing)
