from contextlib import contextmanager
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.osv import expression
from odoo.tools import SQL

EXPIRY_STATES = [
    ("no_expiry", "No Expiry"),
    ("ok", "OK"),
    ("near_expiry", "Near Expiry"),
    ("expired", "Expired"),
]
# The fields that say which level a lot is in: set only by the level computation (the stored compute, the
# nightly SQL refresh), never written through write() or create() by anyone.
LOT_LEVEL_FIELDS = frozenset(
    {
        "days_to_expiry",
        "expiry_state",
        "expiry_rule_id",
        "expiry_level_until",
        "expiry_level_changed_at",
        "outbound_policy",
    }
)
# "D - today <operator> n" as a condition on the expiration datetime, given when day today + n starts
# and ends.
DAY_RANGES = {
    "<": lambda start, end: [("expiration_date", "<", start)],
    "<=": lambda start, end: [("expiration_date", "<", end)],
    ">": lambda start, end: [("expiration_date", ">=", end)],
    ">=": lambda start, end: [("expiration_date", ">=", start)],
    "=": lambda start, end: [("expiration_date", ">=", start), ("expiration_date", "<", end)],
    "!=": lambda start, end: ["|", ("expiration_date", "<", start), ("expiration_date", ">=", end)],
}


class StockLot(models.Model):
    """A lot's expiry level, stored and set by ``medical.expiry.rule._lot_levels_sql``; its days to expiry,
    derived from its date and today."""

    _inherit = "stock.lot"  # pylint: disable=consider-merging-classes-inherited

    days_to_expiry = fields.Integer(
        string="Days to Expiry",
        compute="_compute_days_to_expiry",
        search="_search_days_to_expiry",
        aggregator="min",
        help="Days left until the expiration date, in the company's calendar (0: the last usable day); "
        "empty when the lot has no expiration date.",
    )
    expiry_state = fields.Selection(
        EXPIRY_STATES,
        compute="_compute_expiry_level",
        store=True,
        index=True,
    )
    expiry_rule_id = fields.Many2one(
        "medical.expiry.rule",
        string="Expiry Level",
        compute="_compute_expiry_level",
        store=True,
        index="btree_not_null",
        help="The near-expiry level the lot is in, from the most specific rule set of its product.",
    )
    expiry_level_changed_at = fields.Datetime(
        string="Level Changed On",
        compute="_compute_expiry_level",
        store=True,
        index="btree_not_null",
        help="When the lot last changed level: the alert job looks again at the products whose lots changed.",
    )
    expiry_level_until = fields.Date(
        string="Level Changes On",
        compute="_compute_expiry_level",
        store=True,
        index="btree_not_null",
        help="The date, in the company's calendar, on which the lot moves to its next level by the passing "
        "of time alone: the nightly job re-levels only the lots whose date has come.",
    )
    outbound_policy = fields.Selection(related="expiry_rule_id.outbound_policy")

    @api.depends("expiration_date", "product_id", "company_id")
    def _compute_expiry_level(self):
        levels = self._expiry_levels_of(
            [(lot.company_id.id, lot.product_id.id, lot.expiration_date) for lot in self]
        )
        rules = self.env["medical.expiry.rule"]
        now = self.env.cr.now()
        for lot, (state, rule_id, level_until) in zip(self, levels, strict=True):
            if (lot.expiry_state, lot.expiry_rule_id.id) != (state, rule_id):
                lot.expiry_level_changed_at = now
            lot.expiry_state = state
            lot.expiry_rule_id = rules.browse(rule_id)
            lot.expiry_level_until = level_until

    @api.model
    def _expiry_levels_of(self, lots):
        """(state, rule id, level until) of each (company id, product id, expiration date) of ``lots``, in
        one query: the level the stored compute gives, for lots in memory or not yet created."""
        source = SQL(
            "SELECT * FROM unnest(%s::int[], %s::int[], %s::int[], %s::timestamp[])"
            " AS src(id, company_id, product_id, expiration_date)",
            list(range(len(lots))),
            [company_id or None for company_id, _product_id, _date in lots],
            [product_id or None for _company_id, product_id, _date in lots],
            [expiration_date or None for _company_id, _product_id, expiration_date in lots],
        )
        self.env.cr.execute(self.env["medical.expiry.rule"]._lot_levels_sql(source))
        levels = {index: tuple(row) for index, _days, *row in self.env.cr.fetchall()}
        return [levels.get(index, ("no_expiry", False, False)) for index in range(len(lots))]

    @api.depends("expiration_date", "company_id")
    def _compute_days_to_expiry(self):
        for lot in self:
            company = lot.company_id._expiry_calendar()
            expiry = company._expiry_date_of(lot.expiration_date)
            lot.days_to_expiry = expiry and (expiry - company._expiry_today()).days

    def _search_days_to_expiry(self, operator, value):
        """Days to expiry as ranges of expiration dates, one per time zone of the companies: the lot
        table's index on the date still serves, and the condition combines with any other."""
        if operator not in DAY_RANGES or isinstance(value, bool) or not isinstance(value, int):
            raise UserError(self.env._("Search days to expiry with a whole number of days."))
        domains = []
        for tz_companies in (
            self.env["res.company"].sudo().search([("expiry_tz", "!=", False)]).grouped("expiry_tz").values()
        ):
            company = tz_companies[0]
            day = company._expiry_today() + timedelta(days=value)
            start, end = company._expiry_day_start(day), company._expiry_day_start(day + timedelta(days=1))
            of_companies = [("company_id", "in", tz_companies.ids)]
            if self.env.company in tz_companies:
                of_companies = expression.OR([of_companies, [("company_id", "=", False)]])
            domains.append(expression.AND([of_companies, DAY_RANGES[operator](start, end)]))
        return expression.OR(domains)

    @api.model
    def _days_to_expiry_sql(self, alias, now=None, time_zone=None):
        """SQL form of ``days_to_expiry`` for the lot table aliased ``alias``: D - today, company calendar.

        ``now``: SQL of the current naive UTC time (a view passes ``now()``); by default the server's now.
        ``time_zone``: SQL of the lot's company's ``expiry_tz`` where the query joins it (see
        ``res.company._expiry_local_date_sql``).
        """
        Company = self.env["res.company"]
        company = SQL.identifier(alias, "company_id")
        now = now or SQL("%s::timestamp", fields.Datetime.now())
        return SQL(
            "(%s - %s)",
            Company._expiry_local_date_sql(SQL.identifier(alias, "expiration_date"), company, time_zone),
            Company._expiry_local_date_sql(now, company, time_zone),
        )

    def _field_to_sql(self, alias, fname, query=None, flush=True):
        """Days to expiry change every day: derived in SQL, never stored, yet sortable and groupable."""
        if fname == "days_to_expiry":
            if flush:
                self.flush_model(["expiration_date", "company_id"])
            if query is None:
                return self._days_to_expiry_sql(alias)
            # Sorting or grouping reads every lot: the company's time zone by a join, not a look-up per lot.
            company = query.make_alias(alias, "expiry_company")
            query.add_join(
                "LEFT JOIN",
                company,
                "res_company",
                SQL(
                    "%s = COALESCE(%s, %s)",
                    SQL.identifier(company, "id"),
                    SQL.identifier(alias, "company_id"),
                    self.env.company.id,
                ),
            )
            return self._days_to_expiry_sql(alias, time_zone=SQL.identifier(company, "expiry_tz"))
        return super()._field_to_sql(alias, fname, query, flush)

    @api.model
    def _refresh_expiry_levels(self, due_only=False, levelled_at=None):
        """Re-level lots in one UPDATE; returns the ids of the lots that became expired in this pass.

        After a change of the rule library every lot is re-levelled; the nightly pass (``due_only``) only
        the lots whose level changes today (``expiry_level_until`` has come in their company's calendar),
        so a night on which no lot crosses a threshold writes nothing. ``levelled_at``: the level change
        time the lots re-levelled get (default: the transaction's).
        """
        self.env.flush_all()
        due = SQL("TRUE")
        if due_only:
            # Lots never levelled (written in SQL: an import, a migration) are due as well. The latest
            # "today" of any company bounds the date first, so the index on it reads only the lots due.
            Company = self.env["res.company"]
            latest_today = max(
                company._expiry_today() for company in Company.sudo().search([]) | self.env.company
            )
            due = SQL(
                "expiry_state IS NULL OR (expiry_level_until <= %s AND expiry_level_until <= %s)",
                latest_today,
                Company._expiry_local_date_sql(
                    SQL("%s::timestamp", fields.Datetime.now()), SQL("company_id")
                ),
            )
        lots = SQL("SELECT id, company_id, product_id, expiration_date FROM stock_lot WHERE %s", due)
        Totals = self.env["medical.expiry.workbench.summary"]
        with self._without_jit(), Totals._levels_counted_by_statement():
            # The workbench's totals move with the levels, from the lots this statement returns: read once.
            self.env.cr.execute(
                SQL(
                    """
                    WITH changed AS (
                        UPDATE stock_lot lot
                           SET expiry_state = level.state, expiry_rule_id = level.rule_id,
                               expiry_level_until = level.level_until,
                               expiry_level_changed_at = CASE
                                   WHEN (lot.expiry_state, lot.expiry_rule_id)
                                        IS DISTINCT FROM (level.state, level.rule_id)
                                   THEN %s ELSE lot.expiry_level_changed_at END
                          FROM (%s) AS level(id, days, state, rule_id, level_until), stock_lot old
                         WHERE lot.id = level.id AND old.id = level.id
                           AND (lot.expiry_state, lot.expiry_rule_id, lot.expiry_level_until)
                               IS DISTINCT FROM (level.state, level.rule_id, level.level_until)
                     RETURNING lot.id, old.expiry_state AS old_state, level.state AS new_state
                    ), totals AS (
                        %s
                    )
                    SELECT id FROM changed
                     WHERE new_state = 'expired' AND old_state IS DISTINCT FROM 'expired'
                    """,
                    levelled_at or self.env.cr.now(),
                    self.env["medical.expiry.rule"]._lot_levels_sql(lots),
                    Totals._append_totals_sql(Totals._relevelled_totals_sql(SQL("changed"))),
                )
            )
            expired = [lot_id for (lot_id,) in self.env.cr.fetchall()]
        self.invalidate_model(LOT_LEVEL_FIELDS)
        Totals.invalidate_model()
        return expired

    @contextmanager
    def _without_jit(self):
        """Run a statement over every lot without PostgreSQL's JIT compilation.

        Its plan is costed at hundreds of thousands of rows, so PostgreSQL would JIT-compile (and optimise)
        it: seconds of compiling, which the nightly bench measured, for a statement run once. The setting is
        the transaction's own and is put back after.
        """
        self.env.cr.execute("SELECT current_setting('jit'), set_config('jit', 'off', true)")
        jit = self.env.cr.fetchone()[0]
        yield
        self.env.cr.execute("SELECT set_config('jit', %s, true)", [jit])
