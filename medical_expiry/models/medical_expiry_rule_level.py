"""Which level a lot or a qualification is in: the two engines of the rule library, side by side.

Both apply the same rules, and tests/test_expiry_levels.py runs one table of cases through both:

- A rule set is the active rules of one scope (``applies_to`` lots or qualifications). Of the sets that
  have a rule for a lot or a document, the one of lowest rank decides (``_rule_set_rank``): the most
  specific scope first (lots: product, then the deepest category, then every product; qualifications:
  its type, then every type), and within a scope the company's own set before the set for every company.
- Days left are D - today in the company's calendar (D: the expiration date or the last valid day).
  The level is the rule of that set with the fewest days that still covers the days left; none when
  every rule of the set has fewer days.
- From the day after D the lot or document is expired. An expired lot stays in the level of its set's
  fewest days (what that level suggests doing, a scrap, still applies to it); an expired, revoked or
  open-ended qualification is in no level, its state says why.

Lots are counted in hundreds of thousands: their engine is one SQL statement (``_lot_levels_sql``), which
also gives the date each lot's level next changes. Qualifications are a few thousand documents: their
engine is plain Python (``_qualification_levels``).
"""

from odoo import api, fields, models
from odoo.tools import SQL


def _rule_set_rank(scope_rank, company):
    """The rank of a rule set, lowest first: twice its scope's rank, plus one for a set for every company.

    ``_rule_set_rank_sql`` is the same in SQL.
    """
    return 2 * scope_rank + (not company)


class MedicalExpiryRule(models.Model):
    _inherit = "medical.expiry.rule"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _rule_set_rank_sql(self, scope_rank, company_id):
        """SQL form of ``_rule_set_rank``, from the SQL of the scope's rank and of the rule's company."""
        return SQL("2 * (%s) + (%s IS NULL)::int", scope_rank, company_id)

    @api.model
    def _lot_levels_sql(self, lots):
        """SQL classifying lots: rows (id, days_to_expiry, expiry_state, rule_id, level_until).

        The one place that decides a lot's level, for the stored compute, the daily job and the reports.
        ``lots`` is an SQL query with the columns id, company_id, product_id, expiration_date.
        Days are counted in the company's calendar (``res.company._expiry_local_date_sql``): a lot of
        有效期至 D has D - today days left and is expired from the day after D. ``level_until`` is the date
        on which the level changes next by the passing of time alone (the next threshold of its rule set,
        or D + 1 when it expires); it is empty for expired lots and lots without a date.
        Ranking a lot's candidate rules: product scope first, then the deepest matching category
        (a longer parent_path is a deeper one), then the company default; within a scope, a rule of
        the lot's company comes before a rule for every company. A lot shared between companies
        (no company of its own) takes the rules of any company.
        """
        Company = self.env["res.company"]
        return SQL(
            """
            WITH lot AS (
                SELECT src.id, src.company_id, src.product_id, src.expiration_date,
                       %(expiry_date)s AS expiry_date, %(expiry_date)s - %(today)s AS days,
                       categ.parent_path
                  FROM (%(lots)s) AS src
                  JOIN product_product product ON product.id = src.product_id
                  JOIN product_template template ON template.id = product.product_tmpl_id
                  JOIN product_category categ ON categ.id = template.categ_id
            ), candidate AS (
                SELECT lot.id AS lot_id, rule.id AS rule_id, rule.days_before_expiry, %(rank)s AS rank
                  FROM lot
                  JOIN medical_expiry_rule rule
                    ON rule.active AND rule.applies_to = 'lot'
                   AND (rule.company_id IS NULL OR lot.company_id IS NULL OR rule.company_id = lot.company_id)
             LEFT JOIN product_category rule_categ ON rule_categ.id = rule.categ_id
                 WHERE rule.product_id = lot.product_id
                    OR (rule.product_id IS NULL AND rule.categ_id IS NULL)
                    OR (rule.product_id IS NULL AND starts_with(lot.parent_path, rule_categ.parent_path))
            ), scope AS (
                SELECT lot_id, min(rank) AS rank FROM candidate GROUP BY lot_id
            ), rule_set AS (
                SELECT candidate.*
                  FROM candidate
                  JOIN scope ON scope.lot_id = candidate.lot_id AND scope.rank = candidate.rank
            ), level AS (
                SELECT DISTINCT ON (rule_set.lot_id) rule_set.lot_id, rule_set.rule_id
                  FROM rule_set
                  JOIN lot ON lot.id = rule_set.lot_id
                 WHERE rule_set.days_before_expiry >= lot.days
              ORDER BY rule_set.lot_id, rule_set.days_before_expiry, rule_set.rule_id
            ), next_threshold AS (
                SELECT rule_set.lot_id, max(rule_set.days_before_expiry) AS days
                  FROM rule_set
                  JOIN lot ON lot.id = rule_set.lot_id
                 WHERE rule_set.days_before_expiry < lot.days
              GROUP BY rule_set.lot_id
            )
            SELECT lot.id, lot.days,
                   CASE WHEN lot.expiration_date IS NULL THEN 'no_expiry'
                        WHEN lot.days < 0 THEN 'expired'
                        WHEN level.rule_id IS NOT NULL THEN 'near_expiry'
                        ELSE 'ok' END,
                   level.rule_id,
                   CASE WHEN lot.days >= 0 THEN lot.expiry_date - COALESCE(next_threshold.days, -1) END
              FROM lot
         LEFT JOIN level ON level.lot_id = lot.id
         LEFT JOIN next_threshold ON next_threshold.lot_id = lot.id
            """,
            lots=lots,
            rank=self._rule_set_rank_sql(
                SQL(
                    """CASE WHEN rule.product_id IS NOT NULL THEN 0
                            WHEN rule.categ_id IS NOT NULL THEN 100000 - length(rule_categ.parent_path)
                            ELSE 200000 END"""
                ),
                SQL("rule.company_id"),
            ),
            expiry_date=Company._expiry_local_date_sql(SQL("src.expiration_date"), SQL("src.company_id")),
            today=Company._expiry_local_date_sql(
                SQL("%s::timestamp", fields.Datetime.now()), SQL("src.company_id")
            ),
        )

    @api.model
    def _qualification_levels(self, qualifications):
        """{qualification id: rule}: the level each qualification is in, by the lots' idea of a level.

        The most specific rule set wins: its type's before every type's, its company's before every
        company's; in it, the rule with the fewest days that still covers the days left. Expired,
        revoked and open-ended documents are in no level. A few thousand documents: plain Python.
        """
        rules = self.search([("applies_to", "=", "qualification")])
        levels = {}
        for qualification in qualifications.filtered(lambda q: q.date_end and not q.revoked):
            days = (qualification.date_end - qualification.company_id._expiry_today()).days
            candidates = rules.filtered(
                lambda rule, q=qualification: (
                    rule.company_id in (q.company_id, self.env["res.company"])
                    and rule.qualification_type in (q.qualification_type, False)
                )
            )
            if days < 0 or not candidates:
                continue
            ranks = {
                rule: _rule_set_rank(0 if rule.qualification_type else 1, rule.company_id)
                for rule in candidates
            }
            scope = min(ranks.values())
            covering = [
                rule for rule in candidates if ranks[rule] == scope and rule.days_before_expiry >= days
            ]
            if covering:
                levels[qualification.id] = min(covering, key=lambda rule: (rule.days_before_expiry, rule.id))
        return levels
