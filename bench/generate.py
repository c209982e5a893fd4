"""Bench data: 5 warehouses, a few hundred products, 200k lots and 1M quants at scale 1.

The few configuration records (warehouses, locations, categories, products, rules) go through the ORM;
lots and quants are set-based INSERT … SELECT statements over generate_series, so the full scale loads
in minutes. Lots keep their level columns empty, so the first classification does the whole work.
Everything is one transaction: the scale marker it ends with means the data are complete.

    python bench/generate.py --scale 0.05 --addons-path=… -d medical_expiry_bench
"""

import argparse
import datetime
import math
import time

from odoo_env import committed_env, parse_odoo_args, vacuum

from odoo import fields
from odoo.tools import SQL

SCALE_PARAMETER = "medical_expiry.bench_scale"
LOTS_AT_SCALE_1 = 200_000
# Each lot lies in this many places (bins of one warehouse or several warehouses): 1M quants at scale 1.
QUANTS_PER_LOT = 5
PRODUCTS = 300
WAREHOUSES = [("Beijing", "BJ"), ("Shanghai", "SH"), ("Guangzhou", "GZ"), ("Chengdu", "CD"), ("Wuhan", "WU")]
BINS_PER_WAREHOUSE = 20
# The FEFO bench reserves these products in the first warehouse, where each has this many quants.
HOT_PRODUCTS = 3
FEFO_CANDIDATES = 10_000
CATEGORIES = {
    "Consumables": ["Syringes", "Catheters", "Dressings"],
    "IVD": ["Reagents", "Test Strips"],
    "Implants": ["Orthopaedic", "Cardiovascular"],
}
# Rule sets besides the three shipped company-wide levels (180/90/30 days), so that the classification
# resolves every scope: a category, a sub-category that overrides it, single products.
CATEGORY_RULES = {
    "IVD": [(120, "allow"), (60, "warn"), (15, "block")],
    "Reagents": [(90, "warn"), (30, "block")],
    "Implants": [(365, "allow"), (180, "warn"), (60, "block")],
}
PRODUCT_RULES = [(45, "block")]
PRODUCTS_WITH_OWN_RULES = 2
EXPIRY_DAYS_RANGE = (-60, 900)
LOTS_WITHOUT_EXPIRY = 0.01
LOTS_BLOCKED = 0.005


def create_configuration(env):
    """The records made through the ORM.

    Returns the bins (warehouse by warehouse), the transit location, the hot products and the others.
    """
    company = env.company
    warehouses = env["stock.warehouse"].create([{"name": name, "code": code} for name, code in WAREHOUSES])
    bins = env["stock.location"].create(
        [
            {"name": f"{chr(65 + row // 10)}-{row % 10 + 1:02d}", "location_id": warehouse.lot_stock_id.id}
            for warehouse in warehouses
            for row in range(BINS_PER_WAREHOUSE)
        ]
    )
    transit = env["stock.location"].create(
        {
            "name": "Inter-warehouse transit",
            "usage": "transit",
            "location_id": env.ref("stock.stock_location_locations").id,
            "company_id": company.id,
        }
    )
    # Explicit FEFO on every category: Odoo's plain FEFO runs in the reservation bench with or without
    # the module's FEFO-by-default.
    fefo = env.ref("product_expiry.removal_fefo")
    root = env["product.category"].create({"name": "Medical Devices", "removal_strategy_id": fefo.id})
    categories = {}
    for parent_name, children in CATEGORIES.items():
        parent = env["product.category"].create(
            {"name": parent_name, "parent_id": root.id, "removal_strategy_id": fefo.id}
        )
        categories[parent_name] = parent
        for child_name in children:
            categories[child_name] = env["product.category"].create(
                {"name": child_name, "parent_id": parent.id, "removal_strategy_id": fefo.id}
            )
    leaves = [categories[name] for children in CATEGORIES.values() for name in children]
    device_classes = ["1", "2", "3", False]
    product_categories = [categories["Test Strips"]] * HOT_PRODUCTS + [
        leaves[index % len(leaves)] for index in range(HOT_PRODUCTS, PRODUCTS)
    ]
    templates = env["product.template"].create(
        [
            {
                "name": f"Test strips {index + 1}" if index < HOT_PRODUCTS else f"Device {index + 1:03d}",
                "default_code": f"MD{index + 1:04d}",
                "categ_id": product_categories[index].id,
                "is_storable": True,
                "tracking": "lot",
                "use_expiration_date": True,
                "expiration_time": 730,
                "use_time": 30,
                "removal_time": [15, 30, 45][index % 3],
                "alert_time": [60, 90, 120][index % 3],
                "medical_device_class": "2" if index < HOT_PRODUCTS else device_classes[index % 4],
                "standard_price": 5 + index * 37 % 200,
                "list_price": 8 + index * 37 % 300,
            }
            for index in range(PRODUCTS)
        ]
    )
    products = templates.product_variant_ids
    hot, others = products[:HOT_PRODUCTS], products[HOT_PRODUCTS:]
    env["medical.expiry.rule"].create(
        [
            {
                "name": f"{categ_name}: {days} days",
                "days_before_expiry": days,
                "outbound_policy": policy,
                "categ_id": categories[categ_name].id,
                "group_id": env.ref("stock.group_stock_manager").id,
            }
            for categ_name, levels in CATEGORY_RULES.items()
            for days, policy in levels
        ]
        + [
            {
                "name": f"{product.default_code}: {days} days",
                "days_before_expiry": days,
                "outbound_policy": policy,
                "product_id": product.id,
                "group_id": env.ref("stock.group_stock_manager").id,
            }
            for product in others[:PRODUCTS_WITH_OWN_RULES]
            for days, policy in PRODUCT_RULES
        ]
    )
    return bins, transit, hot, others


def insert_lots(env, lots, hot, others):
    """Lots of every product, expiring from 60 days ago to 900 days ahead, product_expiry's dates derived.

    The first lots go to the hot products, enough for FEFO_CANDIDATES quants each in the first warehouse
    (a third of the lots at most, at small scales).
    """
    hot_lots = min(math.ceil(FEFO_CANDIDATES / QUANTS_PER_LOT) * len(hot), lots // 3)
    first_day, last_day = EXPIRY_DAYS_RANGE
    env.cr.execute(
        SQL(
            """
            INSERT INTO stock_lot (name, product_id, product_uom_id, company_id, expiration_date,
                                   expiry_date_local,
                                   use_date, removal_date, alert_date, product_expiry_reminded,
                                   is_blocked, block_reason, blocked_by_id, blocked_date,
                                   create_uid, create_date, write_uid, write_date)
            SELECT product.default_code || '-' || lpad(src.n::text, 7, '0'),
                   product.id, template.uom_id, %(company)s,
                   src.expiration_date,
                   %(expiry_date_local)s,
                   src.expiration_date - make_interval(days => template.use_time),
                   src.expiration_date - make_interval(days => template.removal_time),
                   src.expiration_date - make_interval(days => template.alert_time),
                   false,
                   src.blocked,
                   CASE WHEN src.blocked THEN (ARRAY['recall', 'quality'])[1 + mod(src.n, 2)] END,
                   CASE WHEN src.blocked THEN %(uid)s END,
                   CASE WHEN src.blocked THEN %(now)s END,
                   %(uid)s, %(now)s, %(uid)s, %(now)s
              FROM (SELECT n,
                           CASE WHEN n <= %(hot_lots)s
                                THEN (%(hot)s::int[])[1 + mod(n, %(hot_count)s)]
                                ELSE (%(others)s::int[])[1 + mod(n, %(other_count)s)] END AS product_id,
                           CASE WHEN random() >= %(without_expiry)s
                                THEN %(today)s + make_interval(days => %(first_day)s
                                                                       + floor(random() * %(days)s)::int) END
                                AS expiration_date,
                           random() < %(blocked)s AS blocked
                      FROM generate_series(1, %(lots)s) AS n) AS src
              JOIN product_product product ON product.id = src.product_id
              JOIN product_template template ON template.id = product.product_tmpl_id
            """,
            company=env.company.id,
            expiry_date_local=env["res.company"]._expiry_local_date_sql(
                SQL("src.expiration_date"), company_id=env.company.id
            ),
            uid=env.uid,
            now=fields.Datetime.now(),
            today=datetime.datetime.combine(fields.Date.today(), datetime.time.min),
            hot_lots=hot_lots,
            hot=hot.ids,
            hot_count=len(hot),
            others=others.ids,
            other_count=len(others),
            without_expiry=LOTS_WITHOUT_EXPIRY,
            first_day=first_day,
            days=last_day - first_day + 1,
            blocked=LOTS_BLOCKED,
            lots=lots,
        )
    )


def insert_quants(env, bins, transit, hot):
    """QUANTS_PER_LOT quants per lot, each in a place of its own.

    Hot lots spread over the bins of the first warehouse; the others over the five warehouses, one
    quant each, the first of every tenth lot in transit (2% of the quants).
    """
    locations = bins | transit
    inventory_dates = [location._get_next_inventory_date() or None for location in locations]
    env.cr.execute(
        SQL(
            """
            INSERT INTO stock_quant (product_id, company_id, location_id, storage_category_id, lot_id,
                                     quantity, reserved_quantity, inventory_diff_quantity,
                                     inventory_quantity_set, inventory_date, in_date, expiration_date,
                                     expiry_date_local, removal_date, create_uid, create_date, write_uid,
                                     write_date)
            SELECT place.product_id, location.company_id, location.id, location.storage_category_id,
                   place.lot_id, place.quantity, 0, -place.quantity, false,
                   inventory.date, place.in_date, place.expiration_date, place.expiry_date_local,
                   place.removal_date,
                   %(uid)s, %(now)s, %(uid)s, %(now)s
              FROM (SELECT lot.id AS lot_id, lot.product_id, lot.expiration_date, lot.expiry_date_local,
                           lot.removal_date,
                           CASE WHEN lot.product_id = ANY(%(hot)s)
                                THEN (%(bins)s::int[])[1 + mod(lot.id * 7 + slot, %(bins_per_warehouse)s)]
                                WHEN slot = 0 AND mod(lot.id, 10) = 0 THEN %(transit)s
                                ELSE (%(bins)s::int[])[1 + mod(lot.id + slot, %(warehouses)s)
                                                           * %(bins_per_warehouse)s
                                                         + mod(lot.id * 7 + slot, %(bins_per_warehouse)s)] END
                                AS location_id,
                           (1 + floor(random() * 100))::numeric AS quantity,
                           %(now)s - make_interval(days => 1 + floor(random() * 365)::int) AS in_date
                      FROM stock_lot lot
                     CROSS JOIN generate_series(0, %(last_slot)s) AS slot) AS place
              JOIN stock_location location ON location.id = place.location_id
              JOIN unnest(%(locations)s::int[], %(inventory_dates)s::date[]) AS inventory(location_id, date)
                ON inventory.location_id = place.location_id
            """,
            uid=env.uid,
            now=fields.Datetime.now(),
            hot=hot.ids,
            bins=bins.ids,
            bins_per_warehouse=BINS_PER_WAREHOUSE,
            warehouses=len(WAREHOUSES),
            transit=transit.id,
            last_slot=QUANTS_PER_LOT - 1,
            locations=locations.ids,
            inventory_dates=inventory_dates,
        )
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0, help="1.0: 200k lots and 1M quants")
    args, odoo_args = parser.parse_known_args()
    db = parse_odoo_args(odoo_args)
    lots = round(LOTS_AT_SCALE_1 * args.scale)
    start = time.perf_counter()

    def step(message):
        print(f"generate: {time.perf_counter() - start:7.1f} s  {message}", flush=True)

    with committed_env(db) as env:
        if env["stock.lot"].search_count([], limit=1):
            raise SystemExit(f"generate: {db} has lots already; the generator wants a fresh database")
        bins, transit, hot, others = create_configuration(env)
        env.flush_all()
        step(f"{len(WAREHOUSES)} warehouses, {len(bins)} bins, {PRODUCTS} products, rules (ORM)")
        # The same data on every run.
        env.cr.execute("SELECT setseed(0.42)")
        insert_lots(env, lots, hot, others)
        step(f"{lots:,} lots")
        insert_quants(env, bins, transit, hot)
        step(f"{env.cr.rowcount:,} quants")
        env["ir.config_parameter"].set_param(SCALE_PARAMETER, f"{args.scale:g}")
    vacuum(db)
    step("committed, vacuumed and analysed")


if __name__ == "__main__":
    main()
