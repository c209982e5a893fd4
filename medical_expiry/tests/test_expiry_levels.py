from datetime import timedelta

from odoo.tests import tagged
from odoo.tools import SQL

from .qualification_common import QualificationCase

EXPIRED = "expired"
# One table for both level engines (models/medical_expiry_rule_level.py): days left, the thresholds of the
# company's own rule set and of the set for every company, and the level expected, by its threshold (None:
# no level; EXPIRED: past its date, where an expired lot stays in the level of its set's fewest days and an
# expired qualification is in none).
LEVEL_CASES = [
    (200, (90, 30), (), None),
    (91, (90, 30), (), None),
    (90, (90, 30), (), 90),
    (31, (90, 30), (), 90),
    (30, (90, 30), (), 30),
    (1, (90, 30, 0), (), 30),
    (0, (90, 30, 0), (), 0),
    (0, (90, 30), (), 30),
    (-1, (90, 30), (), EXPIRED),
    (60, (), (90, 30), 90),
    (20, (), (90, 30), 30),
    # The company's own set decides whenever it has a rule, even one that does not cover the days left.
    (60, (45,), (90, 30), None),
    (40, (45,), (90, 30), 45),
    (-5, (45,), (90, 30), EXPIRED),
]


@tagged("post_install", "-at_install")
class TestExpiryLevels(QualificationCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Rule = cls.env["medical.expiry.rule"]

    def _rule_sets(self, applies_to, own, shared):
        """The rules of a case, for lots or qualifications, alone in the library: {threshold: rule} of the
        set that decides (the company's own when it has one)."""
        self.Rule.search([("applies_to", "=", applies_to)]).active = False
        rules = self.Rule.create(
            [
                {
                    "name": f"{days} days",
                    "applies_to": applies_to,
                    "days_before_expiry": days,
                    "company_id": company.id,
                }
                for thresholds, company in ((own, self.company), (shared, self.env["res.company"]))
                for days in thresholds
            ]
        )
        deciding = own if own else shared
        return {rule.days_before_expiry: rule for rule in rules if rule.days_before_expiry in deciding}

    def _lot_level(self, days):
        """(state, rule) the SQL engine gives a lot of the syringe that has ``days`` days left."""
        expiration = self.company._expiry_datetime_of(self.today + timedelta(days=days))
        lots = SQL(
            "SELECT 0 AS id, %s::int AS company_id, %s::int AS product_id, %s::timestamp AS expiration_date",
            self.company.id,
            self.syringe.id,
            expiration,
        )
        self.env.flush_all()
        self.env.cr.execute(self.Rule._lot_levels_sql(lots))
        [(_id, days_left, state, rule_id, _until)] = self.env.cr.fetchall()
        self.assertEqual(days_left, days)
        return state, self.Rule.browse(rule_id)

    def _qualification_level(self, days):
        """(state, rule) the Python engine gives a licence that has ``days`` days left."""
        licence = self._qualify(self.hospital, "practice_licence", days)
        self.assertEqual(
            self.Rule._qualification_levels(licence).get(licence.id), licence.expiry_rule_id or None
        )
        return licence.state, licence.expiry_rule_id

    def test_both_engines_give_the_levels_of_one_table(self):
        for days, own, shared, expected in LEVEL_CASES:
            with self.subTest(days=days, own=own, shared=shared):
                lot_rules = self._rule_sets("lot", own, shared)
                qualification_rules = self._rule_sets("qualification", own, shared)
                lot_state, lot_rule = self._lot_level(days)
                qualification_state, qualification_rule = self._qualification_level(days)
                if expected == EXPIRED:
                    self.assertEqual(lot_state, "expired")
                    self.assertEqual(lot_rule, lot_rules[min(lot_rules)])
                    self.assertEqual(qualification_state, "expired")
                    self.assertFalse(qualification_rule)
                elif expected is None:
                    self.assertEqual((lot_state, lot_rule), ("ok", self.Rule))
                    self.assertEqual((qualification_state, qualification_rule), ("valid", self.Rule))
                else:
                    self.assertEqual((lot_state, lot_rule), ("near_expiry", lot_rules[expected]))
                    self.assertEqual(
                        (qualification_state, qualification_rule), ("expiring", qualification_rules[expected])
                    )
