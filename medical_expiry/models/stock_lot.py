from contextlib import contextmanager
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.osv import expression
from odoo.tools import SQL

from .context_keys import AUDIT_REASON, IMPORT_FILE
from .medical_signed_mixin import SignedAction

EXPIRY_STATES = [
    ("no_expiry", "No Expiry"),
    ("ok", "OK"),
    ("near_expiry", "Near Expiry"),
    ("expired", "Expired"),
]
BLOCK_REASONS = [
    ("expired", "Expired"),
    ("recall", "Recall"),
    ("quality", "Quality"),
    ("other", "Other"),
]
LEVEL_COLUMNS = ["expiry_state", "expiry_rule_id", "expiry_level_until", "expiry_level_changed_at"]
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
# Fields that carry control, never written through write() or create() by anyone:
# the lot's level, set only by the level computation (stored compute, nightly SQL refresh)...
LEVEL_FIELDS = frozenset(
    {
        "days_to_expiry",
        "expiry_state",
        "expiry_rule_id",
        "expiry_level_until",
        "expiry_level_changed_at",
        "outbound_policy",
    }
)
# ...and its block, set only by _block (expiry managers, logged) and _unblock (signed, logged).
BLOCK_FIELDS = frozenset(
    {"is_blocked", "block_reason", "block_note", "blocked_by_id", "blocked_date", "unblocked_date"}
)
# Cursor cache key of the lots whose block fields _block or _unblock is writing at this moment.
BLOCK_WRITE_KEY = "medical_expiry.lots_in_block_write"
# Where the alert job keeps when its last complete run started, and how far before that it looks again,
# for the writes of transactions that began before that run and committed after it.
ALERT_RUN_PARAMETER = "medical_expiry.expiry_alerts_last_run"
ALERT_RUN_MARGIN = timedelta(hours=1)
# Lots per committed batch of the alert job: small enough to lose little when killed, large enough
# that per-batch queries stay negligible.
ALERT_BATCH_SIZE = 2000


class StockLot(models.Model):
    _name = "stock.lot"
    _inherit = ["stock.lot", "medical.expiry.alert.mixin", "medical.signed.mixin"]

    def _signed_actions(self):
        return {
            "lot_unblock": SignedAction(
                self.env._("Unblock Lot"),
                self.env._("Lot Unblocked"),
                "_unblock",
                "medical_expiry.group_expiry_manager",
            ),
            "expiry_date_change": SignedAction(
                self.env._("Change Expiration Date"),
                self.env._("Expiration Date Change"),
                "_change_expiration_date",
                "medical_expiry.group_expiry_manager",
                wizard="medical.lot.expiry.wizard",
            ),
        }

    expiration_date = fields.Datetime(tracking=True)
    days_to_expiry = fields.Integer(
        string="Days to Expiry",
        compute="_compute_days_to_expiry",
        search="_search_days_to_expiry",
        aggregator="min",
        help="Days left until the expiration date, in the company's calendar (0: the last usable day); "
        "empty when the lot has no expiration date.",
    )
    production_date = fields.Date(help="生产日期, printed on vouchers next to the expiration date.")
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
    is_blocked = fields.Boolean(string="Blocked", readonly=True, copy=False, tracking=True, index=True)
    block_reason = fields.Selection(BLOCK_REASONS, readonly=True, copy=False, tracking=True)
    block_note = fields.Text(readonly=True, copy=False)
    blocked_by_id = fields.Many2one("res.users", readonly=True, copy=False)
    blocked_date = fields.Datetime(string="Blocked On", readonly=True, copy=False)
    unblocked_date = fields.Datetime(
        string="Last Unblocked On",
        readonly=True,
        copy=False,
        help="A lot a manager unblocked after it expired is not blocked again by the nightly job.",
    )

    @api.depends("expiration_date", "product_id", "company_id")
    def _compute_expiry_level(self):
        lots = SQL(
            "SELECT * FROM unnest(%s::int[], %s::int[], %s::int[], %s::timestamp[])"
            " AS src(id, company_id, product_id, expiration_date)",
            list(range(len(self))),
            [lot.company_id.id or None for lot in self],
            [lot.product_id.id or None for lot in self],
            [lot.expiration_date or None for lot in self],
        )
        self.env.cr.execute(self.env["medical.expiry.rule"]._lot_levels_sql(lots))
        levels = {index: row for index, *row in self.env.cr.fetchall()}
        rules = self.env["medical.expiry.rule"]
        now = self.env.cr.now()
        for index, lot in enumerate(self):
            _days, state, rule_id, level_until = levels.get(index, (False, "no_expiry", False, False))
            if (lot.expiry_state, lot.expiry_rule_id.id) != (state, rule_id):
                lot.expiry_level_changed_at = now
            lot.expiry_state = state
            lot.expiry_rule_id = rules.browse(rule_id)
            lot.expiry_level_until = level_until

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

    # ------------------------------------------------------------------
    # Expiry dates are calendar dates
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self.browse()._check_control_fields_untouched(vals)
            self._store_expiry_as_calendar_date(vals)
        return super().create(vals_list)

    @api.model
    def _store_expiry_as_calendar_date(self, vals):
        """Store a medical device's 有效期至 as the last second of its day in the company's time zone.

        Whatever time a scan, an import or a date picker sends, the lot then expires when the day D ends
        where the company works, and Odoo's own "expiration date <= now" checks agree with it.
        """
        if not vals.get("expiration_date"):
            return
        product = self.env["product.product"].browse(vals.get("product_id")) or self[:1].product_id
        if not product.medical_device_class:
            return
        company = self.env["res.company"].browse(vals.get("company_id")) or self[:1].company_id
        moment = fields.Datetime.to_datetime(vals["expiration_date"])
        vals["expiration_date"] = company._expiry_datetime_of(company._expiry_date_of(moment))

    # ------------------------------------------------------------------
    # Fields that carry control: each changes only through its own method
    # ------------------------------------------------------------------
    @api.model
    def default_get(self, fields_list):
        """A new lot starts unblocked, at the level its date gives: no default, from context or
        ir.default, may set a control field."""
        defaults = super().default_get(fields_list)
        for name in LEVEL_FIELDS | BLOCK_FIELDS:
            defaults.pop(name, None)
        return defaults

    def write(self, vals):
        """Control fields are refused; a changed expiration date is signed by a person, and logged."""
        if not self:
            return super().write(vals)
        self._check_control_fields_untouched(vals)
        if "expiration_date" not in vals:
            return super().write(vals)
        self._store_expiry_as_calendar_date(vals)
        new_date = fields.Datetime.to_datetime(vals["expiration_date"])
        changed = self.filtered(lambda lot: lot.expiration_date != new_date)
        # Superuser code (data files, system jobs) changes dates unsigned, still logged; a person signs.
        signature = (
            changed._spend_signature("expiry_date_change") if changed else self.env["medical.signature"]
        )
        old = {lot.id: {"expiration_date": lot.expiration_date} for lot in changed}
        res = super().write(vals)
        unsigned_reason = self.env.context.get(AUDIT_REASON) or (
            self.env._("import") if self.env.context.get(IMPORT_FILE) else self.env._("direct write")
        )
        changed._log_signed_action(
            "expiry_date_change",
            signature,
            old_values=old,
            new_values={lot.id: {"expiration_date": lot.expiration_date} for lot in changed},
            unsigned_reason=unsigned_reason,
        )
        return res

    def _check_control_fields_untouched(self, vals):
        """Refuse, whoever calls, a write of the level, of the block outside ``_block``/``_unblock`` (on
        no lots: a lot is never created blocked), or of a product that would give a lot another date."""
        level = LEVEL_FIELDS.intersection(vals)
        if level:
            raise UserError(
                self.env._(
                    "The expiry level of a lot (%(fields)s) is computed from its expiration date and the "
                    "rule library: it cannot be written.",
                    fields=self._field_labels(level),
                )
            )
        blocking = BLOCK_FIELDS.intersection(vals)
        if blocking and not (self and set(self.ids) <= self.env.cr.cache.get(BLOCK_WRITE_KEY, frozenset())):
            raise UserError(
                self.env._(
                    "The block of a lot (%(fields)s) changes only through its Block and Unblock actions: an "
                    "expiry manager blocks, and signs to unblock. It cannot be written directly.",
                    fields=self._field_labels(blocking),
                )
            )
        # product_expiry computes the date of a lot of another product again, outside write().
        relabelled = "product_id" in vals and self.filtered(
            lambda lot: lot.expiration_date and lot.product_id.id != vals["product_id"]
        )
        if relabelled:
            raise UserError(
                self.env._(
                    "Lots %(lots)s have an expiration date given for their product: another product would "
                    "give them another date. Create a lot of the other product instead.",
                    lots=", ".join(relabelled.mapped("name")),
                )
            )

    def _field_labels(self, names):
        return ", ".join(sorted(self._fields[name]._description_string(self.env) for name in names))

    def action_change_expiration_date(self):
        return self._action_request_signature("expiry_date_change")

    def _change_expiration_date(self, expiry_date):
        """Give the lots 有效期至 ``expiry_date`` (a calendar date of their company)."""
        if not expiry_date:
            raise UserError(self.env._("Enter the new expiration date."))
        company = self.company_id[:1]._expiry_calendar()
        self.write({"expiration_date": company._expiry_datetime_of(fields.Date.to_date(expiry_date))})

    def action_view_audit_log(self):
        return self.env["medical.audit.log"]._action_view_for(self)

    # ------------------------------------------------------------------
    # Daily job
    # ------------------------------------------------------------------
    @api.model
    def _refresh_expiry_levels(self, due_only=False):
        """Re-level lots in one UPDATE; returns the ids of the lots that became expired in this pass.

        After a change of the rule library every lot is re-levelled; the nightly pass (``due_only``) only
        the lots whose level changes today (``expiry_level_until`` has come in their company's calendar),
        so a night on which no lot crosses a threshold writes nothing.
        """
        self.env.flush_all()
        due = SQL("TRUE")
        if due_only:
            # Lots never levelled (written in SQL: an import, a migration) are due as well.
            due = SQL(
                "expiry_state IS NULL OR expiry_level_until <= %s",
                self.env["res.company"]._expiry_local_date_sql(
                    SQL("%s::timestamp", fields.Datetime.now()), SQL("company_id")
                ),
            )
        lots = SQL("SELECT id, company_id, product_id, expiration_date FROM stock_lot WHERE %s", due)
        self.env.cr.execute(
            SQL(
                """
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
             RETURNING lot.id, level.state, old.expiry_state
                """,
                self.env.cr.now(),
                self.env["medical.expiry.rule"]._lot_levels_sql(lots),
            )
        )
        changed = self.env.cr.fetchall()
        self.invalidate_model(LEVEL_COLUMNS)
        return [lot_id for lot_id, state, old_state in changed if state == "expired" != old_state]

    @api.model
    def _cron_refresh_expiry(self):
        """Nightly: re-level the lots whose level changes today, then block the expired ones nobody has
        knowingly released."""
        self._refresh_expiry_levels(due_only=True)
        expired = self.search([("expiry_state", "=", "expired"), ("is_blocked", "=", False)])
        to_block = expired.filtered(
            lambda lot: not lot.unblocked_date or lot.unblocked_date < lot.expiration_date
        )
        # Written once for the audit log and the chatter: in the company's language, for its inspectors.
        company_lang = self.with_context(lang=self.env.company.partner_id.lang or self.env.lang)
        to_block._block(
            "expired", company_lang.env._("Blocked by the daily expiry job: the lot has expired.")
        )

    # ------------------------------------------------------------------
    # Alerts
    # ------------------------------------------------------------------
    @api.model
    def _cron_expiry_alerts(self, batch_size=ALERT_BATCH_SIZE, autocommit=False, full=False):
        """Daily: re-level lots, block expired ones, then bring expiry alerts in line with the levels.

        Alerts are derived from the database state alone (levels, stock, existing activities), so the
        job is idempotent, and a run killed between two committed batches is completed by the next one.
        Batches are of products, since an alert speaks for all the lots of a product in a level. A daily
        run looks only at the products whose lots changed level or stock since the last complete run
        (``full``: at every product with lots in a level or an open alert, as after a change of recipients).
        """
        started = self.env.cr.now()
        since = not full and self.env["ir.config_parameter"].sudo().get_param(ALERT_RUN_PARAMETER)
        self._cron_refresh_expiry()
        self._commit_batch(autocommit)
        product_ids = self._expiry_alert_scope(
            since and fields.Datetime.to_datetime(since) - ALERT_RUN_MARGIN
        )
        for start in range(0, len(product_ids), batch_size):
            products = self.env["product.product"].browse(product_ids[start : start + batch_size])
            self._sync_product_expiry_alerts(products)
            self._commit_batch(autocommit)
        self._escalate_expiry_alerts()
        self.env["ir.config_parameter"].sudo().set_param(
            ALERT_RUN_PARAMETER, fields.Datetime.to_string(started)
        )

    def _commit_batch(self, autocommit):
        """Keep what a batch did even if the run is killed later: only from the cron, never in a request."""
        if autocommit:
            self.env.cr.commit()  # pylint: disable=invalid-commit

    def action_run_expiry_alerts(self):
        return self._action_run_alert_job(
            "_cron_full_expiry_alerts", self.env._("Expiry alerts are up to date.")
        )

    @api.model
    def _cron_full_expiry_alerts(self):
        """Run on demand: every product with lots in a level or an open alert is looked at again."""
        return self._cron_expiry_alerts(full=True)

    @api.model
    def _expiry_alert_types(self):
        return {
            "near_expiry": self.env.ref("medical_expiry.mail_activity_type_near_expiry"),
            "expired": self.env.ref("medical_expiry.mail_activity_type_expired"),
        }

    @api.model
    def _expiry_alert_scope(self, since=None):
        """Ids of the products the job must look at.

        Every product with lots in a level or an open alert on it or on one of its lots; or, ``since`` a
        time, only those whose lots changed level since, or whose stock of lots in a level changed since.
        """
        self.env.flush_all()
        alert_types = [alert_type.id for alert_type in self._expiry_alert_types().values()]
        if since:
            query = SQL(
                """
                SELECT product_id FROM stock_lot WHERE expiry_level_changed_at >= %(since)s
                 UNION
                SELECT lot.product_id
                  FROM stock_lot lot
                  JOIN stock_quant quant ON quant.lot_id = lot.id
                 WHERE lot.expiry_state IN ('near_expiry', 'expired') AND quant.write_date >= %(since)s
                 ORDER BY 1
                """,
                since=since,
            )
        else:
            query = SQL(
                """
                SELECT product_id FROM stock_lot WHERE expiry_state IN ('near_expiry', 'expired')
                 UNION
                SELECT COALESCE(lot.product_id, alert.res_id)
                  FROM mail_activity alert
             LEFT JOIN stock_lot lot ON alert.res_model = 'stock.lot' AND lot.id = alert.res_id
                 WHERE alert.res_model IN ('stock.lot', 'product.product') AND alert.active
                   AND alert.activity_type_id = ANY(%s)
                 ORDER BY 1
                """,
                alert_types,
            )
        self.env.cr.execute(query)
        return [product_id for (product_id,) in self.env.cr.fetchall()]

    @api.model
    def _sync_product_expiry_alerts(self, products):
        """Bring the alerts of ``products`` and of their lots in line with today's levels.

        A lot in a level (or expired) with stock on hand, internal or in transit, calls for an alert of its
        level for each responsible user: one alert per product, level and user naming how many lots, how
        much and what value it covers; or, where the level's rule asks for it, one alert per lot. A lot
        without stock calls for none.
        """
        self.env.cr.execute(
            """
            SELECT lot.id, lot.product_id, lot.expiry_state, lot.expiry_rule_id,
                   SUM(quant.quantity), SUM(quant.quantity * COALESCE(
                       (product.standard_price ->> quant.company_id::text)::numeric, 0))
              FROM stock_lot lot
              JOIN stock_quant quant ON quant.lot_id = lot.id AND quant.quantity > 0
              JOIN stock_location location
                ON location.id = quant.location_id AND location.usage IN ('internal', 'transit')
              JOIN product_product product ON product.id = lot.product_id
             WHERE lot.product_id = ANY(%s) AND lot.expiry_state IN ('near_expiry', 'expired')
          GROUP BY lot.id
            """,
            [products.ids],
        )
        rows = self.env.cr.fetchall()
        alert_types = self._expiry_alert_types()
        rules = self.env["medical.expiry.rule"].browse(
            {rule_id for *_lot, rule_id, _qty, _value in rows if rule_id}
        )
        fallback = self.env.ref("stock.group_stock_manager").users
        recipients_by_rule = {rule.id: rule.user_ids | rule.group_id.users for rule in rules}
        per_lot_rules = set(rules.filtered("alert_per_lot").ids)
        lots = self.browse([row[0] for row in rows])
        product_alerts, lot_alerts = {}, {}
        for lot, (_lot_id, product_id, state, rule_id, quantity, value) in zip(lots, rows, strict=True):
            users = recipients_by_rule.get(rule_id) or lot.product_id.responsible_id or fallback
            if rule_id in per_lot_rules:
                lot_alerts[lot.id, alert_types[state].id, rule_id or False] = {
                    "users": users,
                    "summary": lambda lang, lot=lot: lot.with_context(lang=lang)._expiry_alert_summary(),
                }
                continue
            alert = product_alerts.setdefault(
                (product_id, alert_types[state].id, rule_id or False),
                {"users": users, "lots": self.browse(), "quantity": 0.0, "value": 0.0},
            )
            alert["lots"] |= lot
            alert["quantity"] += quantity
            alert["value"] += float(value)
        names_by_lang = {}

        def names(lang):
            """Product, unit and level names in the reader's language, read once per batch and language."""
            if lang not in names_by_lang:
                names_by_lang[lang] = (
                    {p.id: (p.display_name, p.uom_id.name) for p in products.with_context(lang=lang)},
                    {rule.id: rule.name for rule in rules.with_context(lang=lang)},
                )
            return names_by_lang[lang]

        currency = self.env.company.currency_id
        for (product_id, type_id, rule_id), alert in product_alerts.items():
            alert["lot_count"] = len(alert.pop("lots"))

            def summary(
                lang,
                product_id=product_id,
                rule_id=rule_id,
                expired=type_id == alert_types["expired"].id,
                alert=alert,
            ):
                product_names, rule_names = names(lang)
                product_name, uom_name = product_names[product_id]
                return self.with_context(lang=lang)._expiry_product_alert_summary(
                    product_name,
                    expired,
                    rule_names.get(rule_id, ""),
                    alert["lot_count"],
                    f"{round(alert['quantity'], 2)} {uom_name}",
                    currency.format(alert["value"]),
                )

            alert["summary"] = summary
        self._apply_expiry_alerts(products, product_alerts, self._expiry_product_alert_closing_note)
        alerted_lots = self.browse({lot_id for lot_id, _type, _rule in lot_alerts}) | self.search(
            [("product_id", "in", products.ids), ("activity_ids", "!=", False)]
        )
        self._apply_expiry_alerts(alerted_lots, lot_alerts, lambda lot: lot._expiry_alert_closing_note())

    @api.model
    def _alert_date_exceeded(self):
        """product_expiry's one reminder per lot: for medical devices the rule library's alerts replace it."""
        self.search(
            [
                ("alert_date", "<=", fields.Date.today()),
                ("product_expiry_reminded", "=", False),
                ("product_id.medical_device_class", "!=", False),
            ]
        ).product_expiry_reminded = True
        return super()._alert_date_exceeded()

    @api.model
    def _expiry_product_alert_summary(self, product_name, expired, level, count, quantity, value):
        """What one product alert says: the product, the level, how many lots, how much, what value."""
        if expired:
            return self.env._(
                "%(product)s: %(count)s expired lots, %(quantity)s worth %(value)s",
                product=product_name,
                count=count,
                quantity=quantity,
                value=value,
            )
        return self.env._(
            "%(product)s: %(count)s lots in level “%(level)s”, %(quantity)s worth %(value)s",
            product=product_name,
            count=count,
            level=level,
            quantity=quantity,
            value=value,
        )

    @api.model
    def _expiry_product_alert_closing_note(self, product):
        """Why a product's alert is closed, in the language ``product`` is read in (its alert's user's)."""
        return product.env._(
            "Closed by the expiry job: no stock of %s is in this level any more.", product.display_name
        )

    def _expiry_alert_summary(self):
        if self.expiry_state == "expired":
            return self.env._("Lot %(lot)s has expired", lot=self.name)
        return self.env._(
            "Lot %(lot)s: %(days)s days left (%(level)s)",
            lot=self.name,
            days=self.days_to_expiry,
            level=self.expiry_rule_id.name,
        )

    def _expiry_alert_closing_note(self):
        """Why an alert is closed by the job, for the lot's chatter."""
        if not self.quant_ids.filtered(
            lambda quant: quant.quantity > 0 and quant.location_id.usage in ("internal", "transit")
        ):
            return self.env._("Closed by the expiry job: no stock of this lot is left.")
        if self.expiry_state in ("near_expiry", "expired"):
            return self.env._(
                "Closed by the expiry job: the lot moved to another level (%s).", self._expiry_alert_summary()
            )
        return self.env._("Closed by the expiry job: the lot is no longer near expiry.")

    @api.model
    def _escalate_expiry_alerts(self):
        """Alerts left open too long get, once per record and level, an escalation for each expiry manager."""
        escalation_type = self.env.ref("medical_expiry.mail_activity_type_escalation")
        self.env.flush_all()
        self.env.cr.execute(
            """
            SELECT alert.id
              FROM mail_activity alert
         LEFT JOIN stock_lot lot ON alert.res_model = 'stock.lot' AND lot.id = alert.res_id
              JOIN res_company company ON company.id = COALESCE(lot.company_id, %(company)s)
             WHERE alert.res_model IN ('stock.lot', 'product.product') AND alert.active
               AND alert.activity_type_id = ANY(%(types)s)
               AND alert.create_date <= %(now)s - company.expiry_alert_escalation_days * interval '1 day'
               AND NOT EXISTS (SELECT 1 FROM mail_activity escalation
                                WHERE escalation.res_model = alert.res_model
                                  AND escalation.res_id = alert.res_id
                                  AND escalation.activity_type_id = %(escalation)s
                                  AND escalation.expiry_rule_id IS NOT DISTINCT FROM alert.expiry_rule_id)
            """,
            {
                "company": self.env.company.id,
                "types": [alert_type.id for alert_type in self._expiry_alert_types().values()],
                "now": fields.Datetime.now(),
                "escalation": escalation_type.id,
            },
        )
        overdue = self.env["mail.activity"].browse(alert_id for (alert_id,) in self.env.cr.fetchall())
        first_per_level = {
            (alert.res_model, alert.res_id, alert.expiry_rule_id.id): alert for alert in overdue
        }
        managers = self.env.ref("medical_expiry.group_expiry_manager").users
        today = self.env.company._expiry_today()
        self.env["mail.activity"].with_context(mail_activity_quick_update=True).create(
            [
                {
                    "res_model_id": alert.res_model_id.id,
                    "res_id": alert.res_id,
                    "activity_type_id": escalation_type.id,
                    "expiry_rule_id": alert.expiry_rule_id.id,
                    "expiry_lot_count": alert.expiry_lot_count,
                    "user_id": manager.id,
                    "date_deadline": today,
                    "summary": self.env._(
                        "Open since %(date)s: %(alert)s", date=alert.create_date.date(), alert=alert.summary
                    ),
                }
                for alert in first_per_level.values()
                for manager in managers
            ]
        )

    # ------------------------------------------------------------------
    # Blocking
    # ------------------------------------------------------------------
    def _check_expiry_manager(self):
        self.env["res.users"]._check_expiry_manager(self.env._("Block or Unblock Lots"))

    @contextmanager
    def _writing_block_fields(self):
        """Open the block fields of these lots to the write of ``_block``/``_unblock``, for its duration.

        Kept in the cursor's cache, out of any caller's reach: no context key or value opens them.
        """
        cache = self.env.cr.cache
        previous = cache.get(BLOCK_WRITE_KEY, frozenset())
        cache[BLOCK_WRITE_KEY] = previous | frozenset(self.ids)
        try:
            yield
        finally:
            cache[BLOCK_WRITE_KEY] = previous

    def _block(self, reason, note=False):
        self._check_expiry_manager()
        with self._writing_block_fields():
            self.write(
                {
                    "is_blocked": True,
                    "block_reason": reason,
                    "block_note": note,
                    "blocked_by_id": self.env.user.id,
                    "blocked_date": fields.Datetime.now(),
                }
            )
        if note:
            self._message_log_batch(bodies=dict.fromkeys(self.ids, note))
        self.env["medical.audit.log"]._log(
            self, "lot_block", new_values=dict.fromkeys(self.ids, {"block_reason": reason}), reason=note
        )

    def action_block(self):
        self._check_expiry_manager()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Block Lots"),
            "res_model": "medical.lot.block.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_lot_ids": self.ids},
        }

    def action_unblock(self):
        self._check_expiry_manager()
        return self._action_request_signature("lot_unblock")

    def _unblock(self):
        """Release blocked lots; a person signs it (21 CFR Part 11), and the release is logged."""
        self._check_expiry_manager()
        signature = self._spend_signature("lot_unblock")
        old = {lot.id: {"block_reason": lot.block_reason} for lot in self}
        with self._writing_block_fields():
            self.write(
                {
                    "is_blocked": False,
                    "block_reason": False,
                    "block_note": False,
                    "blocked_by_id": False,
                    "blocked_date": False,
                    "unblocked_date": fields.Datetime.now(),
                }
            )
        self._log_signed_action("lot_unblock", signature, old_values=old)

    def _is_quarantine_bound(self):
        """Whether stock of this lot coming back from a customer must go to quarantine, not to stock:
        when it may not leave again (the outbound guard's refusals) or is expired or near expiry."""
        return bool(self.filtered_domain(self._quarantine_bound_domain()))

    @api.model
    def _quarantine_bound_domain(self):
        return expression.OR(
            [self._outbound_refused_domain(), [("expiry_state", "in", ("expired", "near_expiry"))]]
        )

    # ------------------------------------------------------------------
    # Origin
    # ------------------------------------------------------------------
    @api.model
    def _first_supplier_receipt_sql(self, lot_id_sql):
        """SQL of at most one row: how the lot whose id is ``lot_id_sql`` first came from a supplier.

        Columns line_id (the done move line), supplier_id (the commercial partner of its transfer or
        move), purchase_id and receipt_id. The one definition of "the lot's supplier", for the recall
        trace and the workbench.
        """
        return SQL(
            """
            SELECT line.id AS line_id, partner.commercial_partner_id AS supplier_id,
                   purchase_line.order_id AS purchase_id, line.picking_id AS receipt_id
              FROM stock_move_line line
              JOIN stock_location source ON source.id = line.location_id AND source.usage = 'supplier'
              JOIN stock_move move ON move.id = line.move_id
         LEFT JOIN stock_picking picking ON picking.id = line.picking_id
         LEFT JOIN res_partner partner ON partner.id = COALESCE(picking.partner_id, move.partner_id)
         LEFT JOIN purchase_order_line purchase_line ON purchase_line.id = move.purchase_line_id
             WHERE line.lot_id = %s AND line.state = 'done'
          ORDER BY line.date, line.id
             LIMIT 1
            """,
            lot_id_sql,
        )

    # ------------------------------------------------------------------
    # Outbound guard
    # ------------------------------------------------------------------
    @api.model
    def _is_outbound_route(self, source, destination, picking_type):
        """Whether a move takes stock towards a customer, another warehouse or a delivery step.

        Moves into quarantine, back to a supplier, to scrap or within a warehouse outside the delivery
        route stay free: that is how bad stock is taken out of the way. So are arrivals from transit into a
        warehouse: the goods left already, and what may not leave arrives in quarantine.
        """
        if (
            source.usage not in ("internal", "transit")
            or destination.usage not in ("customer", "transit", "internal")
            or destination.is_quarantine
        ):
            return False
        if source.usage == "transit":
            return destination.usage == "customer"
        if destination.usage != "internal":
            return True
        warehouse = picking_type.warehouse_id
        return (
            destination.warehouse_id != source.warehouse_id
            or picking_type.code == "outgoing"
            or picking_type in (warehouse.pick_type_id | warehouse.pack_type_id)
        )

    @api.model
    def _outbound_refusal_domains(self, min_shelf_life_days=0):
        """Which lots may never leave sellable stock: one domain per reason.

        The one definition of "may this lot leave", used by reservation, validation, the workbench's FEFO
        rank and forecast, the FEFO-deviation mark and quarantine routing; SQL forms are derived from it
        (``_outbound_refused_sql``). Expired lots of medical devices are refused outright, from the day
        after their 有效期至 in the company's calendar; for other goods product_expiry's confirmation
        stands until the nightly job blocks them. ``min_shelf_life_days``: the customer's minimum.
        """
        refusals = {
            "blocked": [("is_blocked", "=", True)],
            "expired": [("product_id.medical_device_class", "!=", False), ("days_to_expiry", "<", 0)],
            "level": [("expiry_rule_id.outbound_policy", "=", "block")],
        }
        if min_shelf_life_days:
            refusals["shelf_life"] = [("days_to_expiry", "<", min_shelf_life_days)]
        return refusals

    @api.model
    def _outbound_refused_domain(self, min_shelf_life_days=0):
        return expression.OR(self._outbound_refusal_domains(min_shelf_life_days).values())

    @api.model
    def _outbound_refused_sql(self, lot_id_sql, min_shelf_life_days=0):
        """SQL condition, true when the lot whose id is ``lot_id_sql`` may not leave (from the domain)."""
        refused = self.with_context(active_test=False)._search(
            self._outbound_refused_domain(min_shelf_life_days)
        )
        return SQL("%s IN %s", lot_id_sql, refused.subselect())

    def _outbound_refusal_message(self, reason, min_shelf_life_days=0):
        self.ensure_one()
        company = self.company_id._expiry_calendar()
        expiry = self.expiration_date and fields.Date.to_string(company._expiry_date_of(self.expiration_date))
        explanation = {
            "blocked": self.env._(
                "blocked (%s)",
                dict(self._fields["block_reason"]._description_selection(self.env)).get(
                    self.block_reason, ""
                ),
            ),
            "expired": self.env._("expired"),
            "level": self.env._("in level “%s”, which blocks shipping", self.expiry_rule_id.name),
            "shelf_life": self.env._(
                "less shelf life left than the customer accepts (%(days)s days left, at least %(min)s "
                "needed)",
                days=self.days_to_expiry,
                min=min_shelf_life_days,
            ),
        }[reason]
        return self.env._(
            "Lot %(lot)s of %(product)s (expires %(expiry)s): %(why)s",
            lot=self.name,
            product=self.product_id.display_name,
            expiry=expiry or self.env._("none"),
            why=explanation,
        )
