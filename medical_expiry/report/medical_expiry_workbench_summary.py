from contextlib import contextmanager

from odoo import api, fields, models, tools
from odoo.tools import SQL

from ..models.stock_lot_expiry_level import EXPIRY_STATES
from .medical_expiry_workbench import EXPIRY_BUCKETS

# The table of running totals the triggers append to; the model reads it through a view that adds what
# "today" decides (the bucket) and what the company and the place give (currency, warehouse or transit).
TOTALS_TABLE = "medical_expiry_workbench_total"
# What a row of totals is keyed by: every way the workbench groups its stock except by product or lot.
TOTALS_KEY = ["company_id", "warehouse_id", "in_transit", "expiration_date", "expiry_state"]
# The columns of the sources the totals depend on, per table: a change of any other column moves nothing.
TOTALS_SOURCES = {
    "stock_quant": ["company_id", "location_id", "lot_id", "product_id", "quantity", "expiry_date_local"],
    "stock_lot": ["expiry_state"],
    "stock_location": ["usage", "warehouse_id"],
    "product_product": ["standard_price"],
}
# Set, for one statement of its transaction, by the server method that re-levels lots and appends the change
# of the totals itself (``_levels_counted_by_statement``): the lot trigger then leaves it alone. No client
# can set it: it is no context key, only that method's SQL sets it.
LEVELS_COUNTED_SETTING = "medical_expiry.levels_counted_by_statement"


class MedicalExpiryWorkbenchSummary(models.Model):
    """The workbench's stock totalled per company, warehouse or transit, date of expiry and level.

    A million quants fall into a few thousand such totals: the kanban's columns, their progress bars and
    counts, and the pivot by warehouse and month read these instead of every quant
    (``medical.expiry.workbench._read_group``). The totals are kept by PostgreSQL triggers on the
    quants, lots, locations and products, set-based per statement, so every writer keeps them right:
    the ORM, Odoo's own SQL on quants, and this module's batch statements. Each statement appends its
    change as rows of differences (no row is updated, so concurrent transactions never wait on each
    other); ``_rebuild_totals`` folds them back into one row per key each night, and counts afresh: a
    quant changed while another transaction re-levels its lot (neither sees the other's write) is right
    again from then on. The statement that re-levels lots (``stock.lot._refresh_expiry_levels``, every lot
    on a first night) appends its own change from the lots it returns, which the lot trigger then leaves
    alone: the 200,000 lots it wrote are not read a second time.
    """

    _name = "medical.expiry.workbench.summary"
    _description = "Expiry Workbench Totals"
    _auto = False
    _table = "medical_expiry_workbench_summary"
    _depends = {
        "stock.quant": ["company_id", "location_id", "lot_id", "product_id", "quantity", "expiry_date_local"],
        "stock.lot": ["expiry_state"],
        "stock.location": ["usage", "warehouse_id"],
        "product.product": ["standard_price"],
        "res.company": ["currency_id", "expiry_tz"],
    }

    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    warehouse_id = fields.Many2one("stock.warehouse", readonly=True)
    in_transit = fields.Boolean(readonly=True)
    stock_place = fields.Selection(
        selection="_selection_stock_place", string="Warehouse or Transit", readonly=True
    )
    expiration_date = fields.Date(readonly=True)
    expiry_state = fields.Selection(EXPIRY_STATES, readonly=True)
    expiry_bucket = fields.Selection(EXPIRY_BUCKETS, string="Expires In", readonly=True)
    quant_count = fields.Integer(string="Rows of Stock", readonly=True)
    quantity = fields.Float(readonly=True)
    value = fields.Float(readonly=True)

    @api.model
    def _selection_stock_place(self):
        return self.env["medical.expiry.workbench"]._selection_stock_place()

    # ------------------------------------------------------------------
    # Tables, view and triggers
    # ------------------------------------------------------------------
    def init(self):
        cr = self.env.cr
        cr.execute(
            SQL(
                """
                CREATE TABLE IF NOT EXISTS %s (
                    id serial PRIMARY KEY, company_id integer, warehouse_id integer, in_transit boolean,
                    expiration_date date, expiry_state varchar, quant_count integer, quantity numeric,
                    value numeric)
                """,
                SQL.identifier(TOTALS_TABLE),
            )
        )
        tools.drop_view_if_exists(cr, self._table)
        cr.execute(SQL("CREATE VIEW %s AS (%s)", SQL.identifier(self._table), self._view_query()))
        self._create_triggers()
        self._rebuild_totals()

    def _view_query(self):
        """The totals with their bucket, counted from each company's today, computed once per company."""
        return SQL(
            """
            WITH company AS MATERIALIZED (
                SELECT company.id, company.currency_id, %(today)s AS today FROM res_company company
            )
            SELECT total.id, total.company_id, company.currency_id, total.warehouse_id, total.in_transit,
                   CASE WHEN total.in_transit THEN 'transit' ELSE total.warehouse_id::text END AS stock_place,
                   total.expiration_date, total.expiry_state, %(bucket)s AS expiry_bucket,
                   total.quant_count, total.quantity, total.value
              FROM %(totals)s total
         LEFT JOIN company ON company.id = total.company_id
            """,
            totals=SQL.identifier(TOTALS_TABLE),
            today=self.env["res.company"]._expiry_local_date_sql(
                SQL("(now() AT TIME ZONE 'UTC')"), time_zone=SQL("company.expiry_tz")
            ),
            bucket=self.env["medical.expiry.workbench"]._expiry_bucket_sql(
                SQL("total.expiry_state"),
                SQL("total.expiration_date"),
                SQL("(total.expiration_date - company.today)"),
            ),
        )

    @api.model
    def _totals_sql(self, quants, sign, locations="stock_location", products="product_product"):
        """The workbench's rows of the quants ``quants`` (a table or sub-query), totalled per key and
        multiplied by ``sign``; read with the locations and products of the tables named."""
        Workbench = self.env["medical.expiry.workbench"]
        key = SQL(", ").join(SQL.identifier(column) for column in TOTALS_KEY)
        return SQL(
            """
            SELECT %(key)s, %(sign)s * count(*) AS quant_count, %(sign)s * sum(quantity) AS quantity,
                   %(sign)s * sum(value) AS value
              FROM (SELECT quant.company_id, location.warehouse_id, location.usage = 'transit' AS in_transit,
                           quant.expiry_date_local AS expiration_date, %(state)s AS expiry_state,
                           quant.quantity, %(value)s AS value
                      FROM %(quants)s quant
                      JOIN %(locations)s location ON location.id = quant.location_id
                 LEFT JOIN stock_lot lot ON lot.id = quant.lot_id
                 LEFT JOIN %(products)s product ON product.id = quant.product_id
                     WHERE %(in_stock)s) AS row
          GROUP BY %(key)s
            """,
            key=key,
            sign=sign,
            quants=quants,
            locations=SQL.identifier(locations),
            products=SQL.identifier(products),
            state=Workbench._expiry_state_sql("lot"),
            value=Workbench._stock_value_sql("quant", "product"),
            in_stock=Workbench._in_stock_sql("quant", "location"),
        )

    @api.model
    def _append_totals_sql(self, *totals):
        """Append the sum of ``totals`` (queries of ``_totals_sql``), leaving out the keys it leaves alone."""
        key = SQL(", ").join(SQL.identifier(column) for column in TOTALS_KEY)
        return SQL(
            """
            INSERT INTO %(table)s (%(key)s, quant_count, quantity, value)
            SELECT %(key)s, sum(quant_count), sum(quantity), sum(value)
              FROM (%(totals)s) AS change
          GROUP BY %(key)s
            HAVING sum(quant_count) != 0 OR sum(quantity) != 0 OR sum(value) != 0
            """,
            table=SQL.identifier(TOTALS_TABLE),
            key=key,
            totals=SQL(" UNION ALL ").join(totals),
        )

    def _rebuild_totals(self):
        """One row per key again, counted afresh from the quants: folds the rows of differences the
        triggers appended. Rows appended meanwhile by transactions this one does not see are kept, and
        add their change to the count."""
        self.env.flush_all()
        self.env.cr.execute(SQL("DELETE FROM %s", SQL.identifier(TOTALS_TABLE)))
        self.env.cr.execute(self._append_totals_sql(self._totals_sql(SQL("stock_quant"), 1)))
        self.invalidate_model()

    @api.model
    def _cron_rebuild_totals(self):
        self._rebuild_totals()

    def _create_triggers(self):
        """A statement trigger per source table: the rows of its statement before (counted out) and after
        (counted in), for the rows whose columns the totals read changed."""
        cr = self.env.cr
        for table, columns in TOTALS_SOURCES.items():
            function = SQL.identifier(f"{TOTALS_TABLE}_{table}")
            body = cr.mogrify(*self._trigger_body(table, columns)).decode()
            cr.execute(
                SQL(
                    "CREATE OR REPLACE FUNCTION %s() RETURNS trigger LANGUAGE plpgsql AS $body$\n%s\n$body$",
                    function,
                    SQL(body.replace("%", "%%")),
                )
            )
            events = {"UPDATE": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"}
            if table == "stock_quant":
                events["INSERT"] = "REFERENCING NEW TABLE AS new_rows"
                events["DELETE"] = "REFERENCING OLD TABLE AS old_rows"
            for event, transition in events.items():
                trigger = SQL.identifier(f"{TOTALS_TABLE}_{event.lower()}")
                cr.execute(SQL("DROP TRIGGER IF EXISTS %s ON %s", trigger, SQL.identifier(table)))
                cr.execute(
                    SQL(
                        "CREATE TRIGGER %s AFTER %s ON %s %s FOR EACH STATEMENT EXECUTE FUNCTION %s()",
                        trigger,
                        SQL(event),
                        SQL.identifier(table),
                        SQL(transition),
                        function,
                    )
                )

    @contextmanager
    def _levels_counted_by_statement(self):
        """For the statement run inside, which re-levels lots and appends the change of the totals itself
        (``_append_totals_sql(_relevelled_totals_sql(...))``, from what it returns): the lot trigger leaves
        it alone rather than reading every lot it wrote a second time. The setting is the transaction's
        own, only this server code sets it, and it is off again after the statement."""
        self.env.cr.execute("SELECT set_config(%s, 'on', TRUE)", [LEVELS_COUNTED_SETTING])
        yield
        self.env.cr.execute("SELECT set_config(%s, 'off', TRUE)", [LEVELS_COUNTED_SETTING])

    def _drop_totals(self):
        """Uninstalling: the triggers, their functions and the table of totals go, as Odoo does not know
        them (the quants of a database without the module must not feed a table nobody reads)."""
        cr = self.env.cr
        for table in TOTALS_SOURCES:
            cr.execute(SQL("DROP FUNCTION IF EXISTS %s() CASCADE", SQL.identifier(f"{TOTALS_TABLE}_{table}")))
        cr.execute(SQL("DROP TABLE IF EXISTS %s CASCADE", SQL.identifier(TOTALS_TABLE)))

    def _trigger_body(self, table, columns):
        """(code, params) of the plpgsql body of the trigger function of ``table``."""
        changed = SQL(
            "(SELECT before.id FROM old_rows before JOIN new_rows after ON after.id = before.id"
            " WHERE (%s) IS DISTINCT FROM (%s))",
            SQL(", ").join(SQL.identifier("before", column) for column in columns),
            SQL(", ").join(SQL.identifier("after", column) for column in columns),
        )
        if table == "stock_quant":

            def of_changed(rows):
                return SQL("(SELECT * FROM %s WHERE id IN %s)", SQL(rows), changed)

            body = SQL(
                """
                BEGIN
                    IF TG_OP = 'INSERT' THEN %(inserted)s;
                    ELSIF TG_OP = 'DELETE' THEN %(deleted)s;
                    ELSE %(updated)s;
                    END IF;
                    RETURN NULL;
                END
                """,
                inserted=self._append_totals_sql(self._totals_sql(SQL("new_rows"), 1)),
                deleted=self._append_totals_sql(self._totals_sql(SQL("old_rows"), -1)),
                updated=self._append_totals_sql(
                    self._totals_sql(of_changed("old_rows"), -1), self._totals_sql(of_changed("new_rows"), 1)
                ),
            )
        elif table == "stock_lot":
            relevelled = SQL(
                "(SELECT after.id, before.expiry_state AS old_state, after.expiry_state AS new_state"
                " FROM old_rows before JOIN new_rows after ON after.id = before.id)"
            )
            # Most writes of lots (blocking thousands of them) move no level: found out, by a set difference
            # (hashed, whatever the planner guesses of the rows), before any stock is read.
            body = SQL(
                """
                BEGIN
                    IF current_setting(%(setting)s, TRUE) IS DISTINCT FROM 'on' AND EXISTS (
                        SELECT id, expiry_state FROM new_rows EXCEPT SELECT id, expiry_state FROM old_rows
                    ) THEN %(append)s;
                    END IF;
                    RETURN NULL;
                END
                """,
                setting=LEVELS_COUNTED_SETTING,
                append=self._append_totals_sql(self._relevelled_totals_sql(relevelled)),
            )
        else:
            reference = {"stock_location": "location_id", "product_product": "product_id"}[table]
            quants = SQL("(SELECT * FROM stock_quant WHERE %s IN %s)", SQL.identifier(reference), changed)
            source = {"stock_location": "locations", "product_product": "products"}[table]
            body = SQL(
                "BEGIN %s; RETURN NULL; END",
                self._append_totals_sql(
                    self._totals_sql(quants, -1, **{source: "old_rows"}),
                    self._totals_sql(quants, 1, **{source: "new_rows"}),
                ),
            )
        return body.code, body.params

    @api.model
    def _relevelled_totals_sql(self, relevelled):
        """The change of a statement that moved lots to other levels: their stock, read once, leaves the
        totals of the old level and joins those of the new (the nightly job may re-level every lot).

        ``relevelled``: a table or sub-query of the lots the statement wrote, with columns ``id``,
        ``old_state`` and ``new_state`` (their levels before and after); lots whose level stayed move
        nothing."""
        Workbench = self.env["medical.expiry.workbench"]
        return SQL(
            """
            SELECT relevelled.company_id, relevelled.warehouse_id, relevelled.in_transit,
                   relevelled.expiration_date, side.expiry_state,
                   side.sign * relevelled.quant_count AS quant_count,
                   side.sign * relevelled.quantity AS quantity,
                   side.sign * relevelled.value AS value
              FROM (SELECT quant.company_id, location.warehouse_id, location.usage = 'transit' AS in_transit,
                           quant.expiry_date_local AS expiration_date, %(old_state)s AS old_state,
                           %(new_state)s AS new_state, count(*) AS quant_count,
                           sum(quant.quantity) AS quantity, sum(%(value)s) AS value
                      FROM %(relevelled)s lot
                      JOIN stock_quant quant
                        ON quant.lot_id = lot.id AND lot.old_state IS DISTINCT FROM lot.new_state
                      JOIN stock_location location ON location.id = quant.location_id
                 LEFT JOIN product_product product ON product.id = quant.product_id
                     WHERE %(in_stock)s
                  GROUP BY 1, 2, 3, 4, 5, 6) AS relevelled
            CROSS JOIN LATERAL (VALUES (-1, relevelled.old_state), (1, relevelled.new_state))
                    AS side(sign, expiry_state)
            """,
            relevelled=relevelled,
            old_state=Workbench._expiry_state_sql("lot", "old_state"),
            new_state=Workbench._expiry_state_sql("lot", "new_state"),
            value=Workbench._stock_value_sql("quant", "product"),
            in_stock=Workbench._in_stock_sql("quant", "location"),
        )
