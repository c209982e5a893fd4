from datetime import datetime, timedelta

from odoo import api, fields, models
from odoo.tools import SQL

# Where the alert job keeps when its last complete run started, and how far before that it looks again,
# for the writes of transactions that began before that run and committed after it.
ALERT_RUN_PARAMETER = "medical_expiry.expiry_alerts_last_run"
ALERT_RUN_MARGIN = timedelta(hours=1)
# Lots per committed batch of the alert job: small enough to lose little when killed, large enough
# that per-batch queries stay negligible.
ALERT_BATCH_SIZE = 2000


class StockLot(models.Model):
    """The expiry alerts of lots and products: the daily job that keeps them in line with the levels."""

    _inherit = "stock.lot"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _cron_expiry_alerts(self, batch_size=ALERT_BATCH_SIZE, autocommit=False, full=False):
        """Daily: re-level lots, block expired ones, then bring expiry alerts in line with the levels.

        Alerts are derived from the database state alone (levels, stock, existing activities), so the
        job is idempotent, and a run killed between two committed batches is completed by the next one.
        Batches are of products, since an alert speaks for all the lots of a product in a level. A daily
        run looks only at the products whose lots changed level or stock since the last complete run
        (``full``: at every product with lots in a level or an open alert, as after a change of recipients).
        """
        # The lots this run re-levels change level at exactly this time, which no other transaction gives.
        self.env.cr.execute("SELECT clock_timestamp() AT TIME ZONE 'UTC'")
        started = self.env.cr.fetchone()[0]
        last_run = not full and self.env["ir.config_parameter"].sudo().get_param(ALERT_RUN_PARAMETER)
        self._cron_refresh_expiry(levelled_at=started, autocommit=autocommit)
        self._commit_batch(autocommit)
        product_ids = self._expiry_alert_scope(last_run and datetime.fromisoformat(last_run))
        for start in range(0, len(product_ids), batch_size):
            products = self.env["product.product"].browse(product_ids[start : start + batch_size])
            self._sync_product_expiry_alerts(products)
            self._commit_batch(autocommit)
        self._escalate_expiry_alerts()
        # To the microsecond: the next run tells the lots this run re-levelled (and brought in line) apart.
        self.env["ir.config_parameter"].sudo().set_param(ALERT_RUN_PARAMETER, started.isoformat(" "))

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
    def _expiry_alert_scope(self, last_run=None):
        """Ids of the products the job must look at.

        Every product with lots in a level or an open alert on it or on one of its lots; or, after a
        complete run started at ``last_run``, only those whose lots changed level since, or whose stock of
        lots in a level changed since, both read through indexes: a day on which nothing changes reads
        nothing. The lots that run re-levelled itself (at ``last_run`` exactly) it brought in line already.
        """
        self.env.flush_all()
        alert_types = [alert_type.id for alert_type in self._expiry_alert_types().values()]
        if last_run:
            query = SQL(
                """
                SELECT product_id FROM stock_lot
                 WHERE expiry_level_changed_at >= %(since)s AND expiry_level_changed_at < %(last_run)s
                    OR expiry_level_changed_at > %(last_run)s
                 UNION
                SELECT lot.product_id
                  FROM stock_quant quant
                  JOIN stock_lot lot ON lot.id = quant.lot_id
                 WHERE quant.write_date >= %(since)s AND lot.expiry_state IN ('near_expiry', 'expired')
                 ORDER BY 1
                """,
                since=last_run - ALERT_RUN_MARGIN,
                last_run=last_run,
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
        level for each responsible user, grouped as the level's rule says: one alert per product, level and
        user naming how many lots, how much and what value it covers; one per product, warehouse, level and
        user covering the lots' stock in that warehouse; or one per lot. A lot without stock calls for none.
        """
        # One row per alert: the stock is summed here, by lot first (hashed), then per product, level and
        # warehouse, or per lot.
        self.env.flush_all()
        with self._without_jit():
            self.env.cr.execute(
                """
                WITH lot_stock AS (
                    SELECT lot.id AS lot_id, lot.product_id, lot.expiry_state, lot.expiry_rule_id,
                           lot.company_id, rule.alert_grouping,
                           CASE WHEN rule.alert_grouping = 'warehouse' THEN location.warehouse_id END
                               AS warehouse_id,
                           SUM(quant.quantity) AS quantity,
                           SUM(quant.quantity * COALESCE(
                               (product.standard_price ->> quant.company_id::text)::numeric, 0)) AS value
                      FROM stock_lot lot
                      JOIN stock_quant quant ON quant.lot_id = lot.id AND quant.quantity > 0
                      JOIN stock_location location
                        ON location.id = quant.location_id AND location.usage IN ('internal', 'transit')
                      JOIN product_product product ON product.id = lot.product_id
                 LEFT JOIN medical_expiry_rule rule ON rule.id = lot.expiry_rule_id
                     WHERE lot.product_id = ANY(%s) AND lot.expiry_state IN ('near_expiry', 'expired')
                  GROUP BY lot.id, rule.alert_grouping, 7
                )
                SELECT product_id, expiry_state, expiry_rule_id,
                       COALESCE(alert_grouping = 'warehouse', FALSE), warehouse_id,
                       CASE WHEN alert_grouping = 'lot' THEN lot_id END,
                       count(*), array_agg(DISTINCT company_id), SUM(quantity), SUM(value)
                  FROM lot_stock
              GROUP BY 1, 2, 3, 4, 5, 6
                """,
                [products.ids],
            )
            rows = self.env.cr.fetchall()
        alert_types = self._expiry_alert_types()
        rules = self.env["medical.expiry.rule"].browse({row[2] for row in rows if row[2]})
        fallback = self.env.ref("stock.group_stock_manager").users
        recipients_by_rule = {rule.id: rule.user_ids | rule.group_id.users for rule in rules}
        lots = self.browse(row[5] for row in rows if row[5])
        product_alerts, lot_alerts = {}, {}
        for product_id, state, rule_id, per_warehouse, warehouse_id, lot_id, *stock in rows:
            users = recipients_by_rule.get(rule_id) or products.browse(product_id).responsible_id or fallback
            key = (alert_types[state].id, rule_id or False)
            if lot_id:
                lot = lots.browse(lot_id)
                lot_alerts[lot_id, *key, False] = {
                    "users": users,
                    "summary": lambda lang, lot=lot: lot.with_context(lang=lang)._expiry_alert_summary(),
                }
                continue
            lot_count, company_ids, quantity, value = stock
            product_alerts[product_id, *key, warehouse_id or False] = {
                "users": users,
                "per_warehouse": per_warehouse,
                "lot_count": lot_count,
                "companies": set(company_ids),
                "quantity": quantity,
                "value": float(value),
            }
        warehouses = self.env["stock.warehouse"].browse({key[3] for key in product_alerts if key[3]})
        names_by_lang = {}

        def names(lang):
            """Product, unit, level and warehouse names in the reader's language, read once per batch and
            language."""
            if lang not in names_by_lang:
                names_by_lang[lang] = (
                    {p.id: (p.display_name, p.uom_id.name) for p in products.with_context(lang=lang)},
                    {rule.id: rule.name for rule in rules.with_context(lang=lang)},
                    {warehouse.id: warehouse.name for warehouse in warehouses.with_context(lang=lang)},
                )
            return names_by_lang[lang]

        for (product_id, type_id, rule_id, warehouse_id), alert in product_alerts.items():
            # The value is in the lots' company's currency, whichever company the job runs in.
            currency = self.env["res.company"].browse(alert.pop("companies") - {None}).currency_id
            currency = currency if len(currency) == 1 else self.env.company.currency_id

            def summary(
                lang,
                product_id=product_id,
                rule_id=rule_id,
                warehouse_id=warehouse_id,
                expired=type_id == alert_types["expired"].id,
                alert=alert,
                currency=currency,
            ):
                product_names, rule_names, warehouse_names = names(lang)
                product_name, uom_name = product_names[product_id]
                return self.with_context(lang=lang)._expiry_product_alert_summary(
                    product_name,
                    expired,
                    rule_names.get(rule_id, ""),
                    alert["lot_count"],
                    f"{round(alert['quantity'], 2)} {uom_name}",
                    currency.format(alert["value"]),
                    warehouse=warehouse_names.get(warehouse_id, "") if alert["per_warehouse"] else None,
                )

            alert["summary"] = summary
        self._apply_expiry_alerts(products, product_alerts, self._expiry_product_alert_closing_note)
        alerted_lots = self.browse({key[0] for key in lot_alerts}) | self.search(
            [("product_id", "in", products.ids), ("activity_ids", "!=", False)]
        )
        self._apply_expiry_alerts(
            alerted_lots, lot_alerts, lambda lot, _alert: lot._expiry_alert_closing_note()
        )

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
    def _expiry_product_alert_summary(
        self, product_name, expired, level, count, quantity, value, warehouse=None
    ):
        """What one product alert says: the product, the level, how many lots, how much, what value; and,
        for an alert per warehouse, the warehouse (``warehouse`` "", for stock in transit outside any)."""
        values = {
            "product": product_name,
            "count": count,
            "level": level,
            "quantity": quantity,
            "value": value,
        }
        if warehouse is None:
            if expired:
                return self.env._(
                    "%(product)s: %(count)s expired lots, %(quantity)s worth %(value)s", **values
                )
            return self.env._(
                "%(product)s: %(count)s lots in level “%(level)s”, %(quantity)s worth %(value)s", **values
            )
        if not warehouse:
            if expired:
                return self.env._(
                    "%(product)s in transit: %(count)s expired lots, %(quantity)s worth %(value)s", **values
                )
            return self.env._(
                "%(product)s in transit: %(count)s lots in level “%(level)s”, %(quantity)s worth %(value)s",
                **values,
            )
        if expired:
            return self.env._(
                "%(product)s in %(warehouse)s: %(count)s expired lots, %(quantity)s worth %(value)s",
                warehouse=warehouse,
                **values,
            )
        return self.env._(
            "%(product)s in %(warehouse)s: %(count)s lots in level “%(level)s”, %(quantity)s worth %(value)s",
            warehouse=warehouse,
            **values,
        )

    @api.model
    def _expiry_product_alert_closing_note(self, product, alert):
        """Why a product's alert is closed, in the language ``product`` is read in (its alert's user's)."""
        if alert.expiry_warehouse_id:
            return product.env._(
                "Closed by the expiry job: no stock of %(product)s in %(warehouse)s is in this level any "
                "more.",
                product=product.display_name,
                warehouse=alert.expiry_warehouse_id.with_context(lang=product.env.lang).name,
            )
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
        """Alerts left open too long get, once per record, level and warehouse, an escalation for each expiry
        manager."""
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
                                  AND escalation.expiry_rule_id IS NOT DISTINCT FROM alert.expiry_rule_id
                                  AND escalation.expiry_warehouse_id
                                      IS NOT DISTINCT FROM alert.expiry_warehouse_id)
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
            (alert.res_model, alert.res_id, alert.expiry_rule_id.id, alert.expiry_warehouse_id.id): alert
            for alert in overdue
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
                    "expiry_warehouse_id": alert.expiry_warehouse_id.id,
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
