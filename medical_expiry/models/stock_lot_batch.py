from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

# What a historical lot is created with: the columns _create_imported_lots_sql writes from the values.
IMPORTED_LOT_FIELDS = (
    "name",
    "product_id",
    "company_id",
    "expiration_date",
    "production_date",
    "sterilisation_lot",
)


class StockLot(models.Model):
    """Set-based lot creation, for batches of thousands of lots (the historical lot import)."""

    _inherit = "stock.lot"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _create_imported_lots_sql(self, vals_list):
        """Create lots in one statement: what ``create(vals_list)`` stores, for values with the keys of
        ``IMPORTED_LOT_FIELDS`` only (name, product and company required); returns the lots in order.

        ``create`` costs a few milliseconds a lot (defaults, computes, constraints one field at a time),
        most of a 10k-row import (bench/: "lot import 10k rows"). The stored computes are derived here from
        their one home each: the calendar expiry date (``_store_expiry_as_calendar_date``), product_expiry's
        best-before, removal and alert dates, the local expiry date (``res.company._expiry_date_of``) and
        the level (``_expiry_levels_of``); the Python constraints run afterwards, as ``create`` runs them.
        The lots of products that give them more (lot properties, a cost per lot, an expiration date
        computed from today) are created through ``create``.
        """
        unexpected = {key for vals in vals_list for key in vals} - set(IMPORTED_LOT_FIELDS)
        missing = [vals for vals in vals_list if not all(vals.get(key) for key in IMPORTED_LOT_FIELDS[:3])]
        if unexpected or missing:
            raise ValueError(f"lots created in SQL need values of {IMPORTED_LOT_FIELDS} only: {vals_list}")
        products = self.env["product.product"].browse({vals["product_id"] for vals in vals_list})
        through_orm = {
            product.id for product in products if product.lot_properties_definition or product.lot_valuated
        }

        def by_orm(vals):
            return vals["product_id"] in through_orm or (
                not vals.get("expiration_date") and products.browse(vals["product_id"]).use_expiration_date
            )

        self.with_context(lot_product_ids=set(products.ids))._check_create()
        in_sql = [vals for vals in vals_list if not by_orm(vals)]
        in_orm = [vals for vals in vals_list if by_orm(vals)]
        created = iter(self._insert_lots(in_sql)), iter(self.create(in_orm))
        return self.browse([next(created[by_orm(vals)]).id for vals in vals_list])

    @api.model
    def _insert_lots(self, vals_list):
        if not vals_list:
            return self.browse()
        self.env.flush_all()
        companies = self.env["res.company"].browse({vals["company_id"] for vals in vals_list})
        products = self.env["product.product"].browse({vals["product_id"] for vals in vals_list})
        # In the cache for all products at once: each lot's values read them product by product.
        products.mapped(lambda product: (product.medical_device_class, product.use_expiration_date))
        # Lots of a file share a few hundred dates: each is made a calendar date once.
        calendar = {}
        vals_list = [dict(vals) for vals in vals_list]
        for vals in vals_list:
            key = (vals["product_id"], vals["company_id"], vals.get("expiration_date"))
            if key not in calendar:
                self._store_expiry_as_calendar_date(vals)
                calendar[key] = fields.Datetime.to_datetime(vals.get("expiration_date")) or False
            vals["expiration_date"] = calendar[key]
        local_dates = {
            (vals["company_id"], vals["expiration_date"]): None
            for vals in vals_list
            if vals["expiration_date"]
        }
        for company_id, expiration_date in local_dates:
            local_dates[company_id, expiration_date] = companies.browse(company_id)._expiry_date_of(
                expiration_date
            )
        levels = self._expiry_levels_of(
            [(vals["company_id"], vals["product_id"], vals["expiration_date"]) for vals in vals_list]
        )

        def product_date(vals, days_field):
            """product_expiry's best-before, removal or alert date: so many days before the expiry."""
            product = products.browse(vals["product_id"])
            if not (product.use_expiration_date and vals["expiration_date"]):
                return None
            return vals["expiration_date"] - timedelta(days=product.product_tmpl_id[days_field])

        columns = {
            "name": ("varchar", [vals["name"] for vals in vals_list]),
            "product_id": ("int", [vals["product_id"] for vals in vals_list]),
            "product_uom_id": ("int", [products.browse(vals["product_id"]).uom_id.id for vals in vals_list]),
            "company_id": ("int", [vals["company_id"] for vals in vals_list]),
            "expiration_date": ("timestamp", [vals["expiration_date"] or None for vals in vals_list]),
            "use_date": ("timestamp", [product_date(vals, "use_time") for vals in vals_list]),
            "removal_date": ("timestamp", [product_date(vals, "removal_time") for vals in vals_list]),
            "alert_date": ("timestamp", [product_date(vals, "alert_time") for vals in vals_list]),
            "expiry_date_local": (
                "date",
                [local_dates.get((vals["company_id"], vals["expiration_date"])) for vals in vals_list],
            ),
            "expiry_state": ("varchar", [state for state, _rule, _until in levels]),
            "expiry_rule_id": ("int", [rule_id or None for _state, rule_id, _until in levels]),
            "expiry_level_until": ("date", [until or None for _state, _rule, until in levels]),
            "production_date": ("date", [vals.get("production_date") or None for vals in vals_list]),
            "sterilisation_lot": ("varchar", [vals.get("sterilisation_lot") or None for vals in vals_list]),
        }
        now = self.env.cr.now()
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO stock_lot (%(columns)s, expiry_level_changed_at,
                                       create_uid, create_date, write_uid, write_date)
                SELECT *, %(now)s, %(uid)s, %(now)s, %(uid)s, %(now)s FROM unnest(%(values)s)
             RETURNING id
                """,
                columns=SQL(", ").join(SQL.identifier(name) for name in columns),
                values=SQL(", ").join(
                    SQL("%s::%s", values, SQL(f"{column_type}[]")) for column_type, values in columns.values()
                ),
                now=now,
                uid=self.env.uid,
            )
        )
        lots = self.browse(lot_id for (lot_id,) in self.env.cr.fetchall())
        # Every cached list of lots (a product's, a search's) misses the new ones.
        self.env.invalidate_all()
        lots._validate_fields(IMPORTED_LOT_FIELDS)
        return lots
