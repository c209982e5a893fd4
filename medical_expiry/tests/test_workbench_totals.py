from datetime import datetime, timedelta

from odoo.exceptions import AccessError
from odoo.tests import tagged

from .. import uninstall_hook
from ..report.medical_expiry_workbench import EXPIRY_BUCKETS
from .common import MedicalExpiryCase

# 23:59:59 of 31 March and midnight of 1 April in Shanghai (UTC+8), as stored: naive UTC.
LAST_SECOND_OF_MARCH_SHANGHAI = datetime(2026, 3, 31, 15, 59, 59)
FIRST_SECOND_OF_APRIL_SHANGHAI = datetime(2026, 3, 31, 16, 0, 0)
# The groupings the web client asks for: the pivot, the graph, the kanban and its progress bars.
GROUPINGS = [
    ["warehouse_id", "expiration_date:month"],
    ["stock_place", "expiration_date:month"],
    ["stock_place"],
    ["expiry_bucket"],
    ["expiry_bucket", "expiry_bucket"],
    ["company_id", "in_transit", "expiry_state", "expiration_date:day"],
]
AGGREGATES = ["__count", "quantity:sum", "value:sum"]


@tagged("post_install", "-at_install")
class TestWorkbenchTotals(MedicalExpiryCase):
    """The workbench's groups and counts read from the stock totals are the groups and counts of its rows,
    whatever changed the stock: the totals are kept by the database, for every writer."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Workbench = cls.env["medical.expiry.workbench"]
        cls.company.expiry_tz = "Asia/Shanghai"
        cls.syringe.standard_price = 2.5
        cls.strips.standard_price = 4
        cls._create_rule(45, "warn")
        cls.gloves = cls._create_product("Gloves", cls.categ_device, medical_device_class=False)
        for name, expiry in (
            ("MARCH", LAST_SECOND_OF_MARCH_SHANGHAI),
            ("APRIL", FIRST_SECOND_OF_APRIL_SHANGHAI),
        ):
            lot = cls.env["stock.lot"].create(
                {"name": name, "product_id": cls.gloves.id, "expiration_date": expiry}
            )
            cls.env["stock.quant"]._update_available_quantity(cls.gloves, cls.stock, 3, lot_id=lot)
        cls.soon = cls._create_lot(cls.syringe, 20, quantity=5)
        cls._create_lot(cls.syringe, 0, quantity=2, location=cls.stock_2)
        cls._create_lot(cls.syringe, 31, quantity=7)
        cls._create_lot(cls.strips, 120, quantity=9, location=cls.quarantine)
        cls._create_lot(cls.strips, 400, quantity=11, location=cls.transit)
        cls.expired = cls._create_lot(cls.strips, -4, quantity=6)
        cls._create_lot(cls.strips, 200, quantity=4)._block("quality")
        gauze = cls.env["product.product"].create({"name": "Gauze", "is_storable": True, "standard_price": 3})
        cls.env["stock.quant"]._update_available_quantity(gauze, cls.stock, 8)
        cls.other_company = cls.env["res.company"].create({"name": "Other Company", "expiry_tz": "UTC"})
        other_stock = (
            cls.env["stock.warehouse"].search([("company_id", "=", cls.other_company.id)]).lot_stock_id
        )
        other_lot = cls.env["stock.lot"].create(
            {
                "name": "OTHER",
                "product_id": cls.syringe.id,
                "company_id": cls.other_company.id,
                "expiration_date": FIRST_SECOND_OF_APRIL_SHANGHAI,
            }
        )
        cls.env["stock.quant"].with_company(cls.other_company)._update_available_quantity(
            cls.syringe, other_stock, 13, lot_id=other_lot
        )

    def _plain(self, domain):
        """The same rows, by a condition the totals cannot answer: read from the view itself."""
        return domain + [("quant_id", "!=", False)]

    def assertSameGroups(self, workbench=None, domain=()):
        workbench = workbench or self.Workbench
        domain = list(domain)
        self.assertIsNotNone(workbench._totals_domain(domain), "the totals answer this domain")
        self.assertIsNone(workbench._totals_domain(self._plain(domain)), "the view answers this one")
        self.env.invalidate_all()
        for groupby in GROUPINGS:
            with self.subTest(groupby=groupby):
                self.assertEqual(
                    workbench._read_group(domain, groupby, AGGREGATES),
                    workbench._read_group(self._plain(domain), groupby, AGGREGATES),
                )

        def columns(domain):
            groups = workbench.read_group(domain, ["quantity:sum"], ["expiry_bucket"])
            return [{key: value for key, value in group.items() if key != "__domain"} for group in groups]

        self.assertEqual(
            columns(domain),
            columns(self._plain(domain)),
            "every column of the kanban, the empty ones too, in order",
        )
        self.assertEqual(
            workbench._read_group(domain, [], AGGREGATES),
            workbench._read_group(self._plain(domain), [], AGGREGATES),
        )
        for bucket, _label in EXPIRY_BUCKETS:
            bucket_domain = [*domain, ("expiry_bucket", "=", bucket)]
            self.assertEqual(
                workbench.search_count(bucket_domain),
                workbench.search_count(self._plain(bucket_domain)),
                bucket,
            )

    def _totals_rows(self):
        self.env.flush_all()
        self.env.cr.execute("SELECT count(*) FROM medical_expiry_workbench_total")
        return self.env.cr.fetchone()[0]

    def test_groups_and_counts_are_those_of_the_rows(self):
        groups = dict(self.Workbench._read_group([], ["expiry_bucket"], ["__count"]))
        self.assertEqual(set(groups), {bucket for bucket, _label in EXPIRY_BUCKETS}, "every bucket has stock")
        self.assertSameGroups()
        self.assertSameGroups(domain=[("warehouse_id", "=", self.warehouse_2.id)])
        self.assertSameGroups(domain=[("expiry_bucket", "in", ["expired", "days_30"])])

    def test_the_month_turns_at_midnight_in_shanghai(self):
        groups = self.Workbench._read_group(
            [("expiration_date", "<", "2026-05-01"), ("company_id", "=", self.company.id)],
            ["expiration_date:month"],
            ["quantity:sum"],
        )
        self.assertEqual(
            [(month.isoformat(), quantity) for month, quantity in groups],
            [("2026-03-01", 3), ("2026-04-01", 3)],
        )

    def test_a_user_sees_the_totals_of_their_companies_only(self):
        user_workbench = self.Workbench.with_user(self.stock_user)
        self.assertSameGroups(user_workbench)
        self.assertEqual(user_workbench.search_count([]), len(user_workbench.search([])))
        companies = [
            company for company, _count in user_workbench._read_group([], ["company_id"], ["__count"])
        ]
        self.assertEqual(companies, [self.company])
        self.assertEqual(companies[0].env.user, self.stock_user, "records in the reader's environment")
        self.stock_user.company_ids |= self.other_company
        both = user_workbench.with_context(allowed_company_ids=[self.company.id, self.other_company.id])
        self.assertEqual(len(both._read_group([], ["company_id"], ["__count"])), 2)
        self.assertSameGroups(both)

    def test_the_totals_are_not_readable_by_a_user(self):
        with self.assertRaises(AccessError):
            self.env["medical.expiry.workbench.summary"].with_user(self.stock_user).search([])

    def test_moves_deliveries_and_emptied_quants_move_the_totals(self):
        picking = self._create_picking(
            self.syringe,
            5,
            source=self.stock,
            destination=self.transit,
            picking_type=self.warehouse.int_type_id,
        )
        picking.action_assign()
        picking.move_ids.picked = True
        picking.button_validate()
        self.assertSameGroups()
        lot = self._create_lot(self.strips, 60, quantity=6)
        delivery = self._create_picking(self.strips, 4, picking_type=self.warehouse.out_type_id)
        self._set_lines(delivery, (lot, 4))
        delivery.move_ids.picked = True
        delivery.button_validate()
        self.assertEqual(delivery.state, "done")
        self.env["stock.quant"]._update_available_quantity(self.gloves, self.stock, -10)
        self.assertSameGroups()

    def test_new_levels_new_dates_and_new_costs_move_the_totals(self):
        self._age_lots(self.soon, 25)
        self.env["stock.lot"]._refresh_expiry_levels()
        self.assertEqual(self.soon.expiry_state, "expired")
        self.assertSameGroups()
        self.soon.expiration_date = self.company._expiry_datetime_of(
            self.company._expiry_today() + timedelta(days=100)
        )
        self.syringe.standard_price = 7
        self.company.expiry_tz = "UTC"
        self.assertSameGroups()

    def test_a_location_moved_to_another_warehouse_moves_its_stock(self):
        shelf = self.env["stock.location"].create({"name": "Shelf", "location_id": self.stock.id})
        self._create_lot(self.syringe, 60, quantity=3, location=shelf)
        shelf.location_id = self.stock_2
        self.assertEqual(shelf.warehouse_id, self.warehouse_2)
        self.assertSameGroups()

    def _folded_totals(self):
        """The totals per key, as the rows of differences add up."""
        self.env.flush_all()
        self.env.cr.execute(
            """
            SELECT company_id, warehouse_id, in_transit, expiration_date, expiry_state,
                   sum(quant_count), sum(quantity), sum(value)
              FROM medical_expiry_workbench_total
          GROUP BY 1, 2, 3, 4, 5
            HAVING sum(quant_count) != 0 OR sum(quantity) != 0 OR sum(value) != 0
          ORDER BY 1, 2, 3, 4, 5
            """
        )
        return self.env.cr.fetchall()

    def test_relevelling_every_lot_moves_the_totals_exactly_once(self):
        """The statement that re-levels lots counts the change of the totals itself, the lot trigger leaves
        it alone: after a first night that levels every lot, the totals are those counted afresh."""
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE stock_lot SET expiry_state = NULL, expiry_rule_id = NULL, expiry_level_until = NULL"
        )
        self.env.invalidate_all()
        self._age_lots(self.soon, 25)
        unlevelled = self._folded_totals()
        self.env["stock.lot"]._cron_refresh_expiry()
        self.assertEqual(self.soon.expiry_state, "expired")
        relevelled = self._folded_totals()
        self.assertNotEqual(relevelled, unlevelled)
        self.env["medical.expiry.workbench.summary"]._rebuild_totals()
        self.assertEqual(relevelled, self._folded_totals())
        self.assertSameGroups()

    def test_after_a_relevelling_the_trigger_counts_levels_again(self):
        """The setting that keeps the lot trigger out lasts one statement: a level changed later in the same
        transaction, by the lot's stored computation, still moves the totals."""
        self.env["stock.lot"]._refresh_expiry_levels()
        self.env.cr.execute("SELECT current_setting('medical_expiry.levels_counted_by_statement', TRUE)")
        self.assertEqual(self.env.cr.fetchone()[0], "off")
        self.soon.expiration_date = self.company._expiry_datetime_of(
            self.company._expiry_today() + timedelta(days=-2)
        )
        self.assertEqual(self.soon.expiry_state, "expired")
        self.assertSameGroups()

    def test_rebuilding_folds_the_rows_and_changes_no_group(self):
        self.env["stock.quant"]._update_available_quantity(self.syringe, self.stock, 1, lot_id=self.soon)
        self.env["stock.quant"]._update_available_quantity(self.syringe, self.stock, -1, lot_id=self.soon)
        before = {
            tuple(groupby): self.Workbench._read_group([], groupby, AGGREGATES) for groupby in GROUPINGS
        }
        rows = self._totals_rows()
        self.env["medical.expiry.workbench.summary"]._rebuild_totals()
        self.assertLess(self._totals_rows(), rows)
        self.assertEqual(
            {tuple(groupby): self.Workbench._read_group([], groupby, AGGREGATES) for groupby in GROUPINGS},
            before,
        )
        self.assertSameGroups()

    def test_the_grand_total_of_no_stock_is_empty(self):
        """A quant counted in and out leaves rows of differences: the total of nothing is still empty."""
        self.env["stock.quant"]._update_available_quantity(self.gloves, self.stock_2, 4)
        self.env["stock.quant"]._update_available_quantity(self.gloves, self.stock_2, -4)
        domain = [("warehouse_id", "=", self.warehouse_2.id), ("expiry_bucket", "=", "no_expiry")]
        self.assertEqual(self.Workbench._read_group(domain, [], AGGREGATES), [(0, False, False)])
        self.assertEqual(self.Workbench._read_group(self._plain(domain), [], AGGREGATES), [(0, False, False)])
        self.assertEqual(self.Workbench._read_group(domain, ["stock_place"], AGGREGATES), [])

    def test_groupings_the_totals_do_not_hold_are_read_from_the_rows(self):
        groups = dict(
            self.Workbench._read_group(
                [("company_id", "=", self.company.id)], ["product_id"], ["quantity:sum"]
            )
        )
        self.assertEqual(groups[self.syringe], 14)
        self.assertIsNone(self.Workbench._totals_domain([("is_blocked", "=", True)]))
        self.assertEqual(self.Workbench.search_count([("is_blocked", "=", True)]), 1)

    def test_stock_expired_but_not_levelled_yet_is_found_in_the_soonest_column(self):
        """Between midnight and the nightly job, a lot past its date keeps its level: the soonest column
        still finds it, though it starts where the levelled lots start."""
        self._age_lots(self.soon, 25)
        self.assertEqual(self.soon.expiry_state, "near_expiry")
        self._assertBucketSearchFindsItsRows("days_30", self.soon)

    def test_a_dated_lot_without_level_is_found_in_the_no_expiry_column(self):
        """A lot never levelled (its level is empty) reads No Expiry, date or not."""
        self.env.flush_all()
        self.env.cr.execute("UPDATE stock_lot SET expiry_state = NULL WHERE id = %s", [self.soon.id])
        self.soon.invalidate_recordset(["expiry_state"])
        self.assertTrue(self.Workbench._dated_stock_without_expiry())
        self._assertBucketSearchFindsItsRows("no_expiry", self.soon)

    def test_uninstalling_drops_the_triggers_and_the_totals(self):
        """Odoo does not know the triggers: the uninstall hook drops them with their functions and table,
        and a quant written afterwards feeds nothing."""
        triggers = "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'medical_expiry_workbench_total%'"
        self.env.cr.execute(triggers)
        self.assertEqual(self.env.cr.fetchone()[0], 6)
        uninstall_hook(self.env)
        self.env.cr.execute(triggers)
        self.assertEqual(self.env.cr.fetchone()[0], 0)
        self.env.cr.execute("SELECT to_regclass('medical_expiry_workbench_total')")
        self.assertIsNone(self.env.cr.fetchone()[0])
        self.env["stock.quant"]._update_available_quantity(self.gloves, self.stock_2, 4)
        self.env.flush_all()

    def _assertBucketSearchFindsItsRows(self, bucket, lot):
        self.Workbench.invalidate_model()
        rows = self.Workbench.search([("quant_id", "!=", False)])
        in_bucket = rows.filtered(lambda row: row.expiry_bucket == bucket)
        self.assertIn(lot, in_bucket.lot_id)
        self.assertEqual(self.Workbench.search([("expiry_bucket", "=", bucket)]), in_bucket)
        self.assertEqual(self.Workbench.search([("expiry_bucket", "=", bucket)], limit=1), in_bucket[:1])
        self.assertEqual(self.Workbench.search_count([("expiry_bucket", "=", bucket)]), len(in_bucket))
        self.assertSameGroups()
