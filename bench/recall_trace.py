"""The recall benchmark: one lot delivered 10,000 times to 500 customers, traced in under 2 s and the
recall confirmed in under 30 s.

Run by bench/recall.sh (`make bench-recall`). `--generate` fills the database once and commits: the
recalled lot (on hand, 10,000 done delivery lines to 500 customers, one return per customer) and, around
it, 50,000 delivery lines of 200 other lots, all written in SQL. Without it, this script times, on a
recall of that lot, in transactions it rolls back: `medical.recall._trace()` (the set-based trace and the
creation of the recall's lines), and `medical.recall._confirm()` (trace, block, quarantine transfer, one
notice and one return per customer, supplier returns), and prints the figures against the targets.
"""

import argparse
import statistics
import sys
import time
from datetime import timedelta

from odoo_env import committed_env, parse_odoo_args, rolled_back_env, vacuum

from odoo import fields

MARKER = "medical_expiry.bench_recall"
CUSTOMERS = 500
DELIVERIES = 10_000
NOISE_LOTS = 200
NOISE_DELIVERIES_PER_LOT = 250
REPEAT = 3
TARGET_SECONDS = 2.0
CONFIRM_TARGET_SECONDS = 30.0


def insert_deliveries(env, lots, count_per_lot, partner_ids, name_prefix):
    """``count_per_lot`` done deliveries of 1 to 5 units of each lot, spread over the partners, in SQL."""
    warehouse = env["stock.warehouse"].search([("company_id", "=", env.company.id)], limit=1)
    product = lots[:1].product_id
    params = {
        "lots": lots.ids,
        "count": count_per_lot,
        "partners": partner_ids,
        "prefix": name_prefix,
        "type": warehouse.out_type_id.id,
        "source": warehouse.lot_stock_id.id,
        "destination": env.ref("stock.stock_location_customers").id,
        "company": env.company.id,
        "product": product.id,
        "uom": product.uom_id.id,
        "uid": env.uid,
        "now": fields.Datetime.now(),
    }
    env.cr.execute(
        """
        CREATE TEMPORARY TABLE bench_delivery ON COMMIT DROP AS
        SELECT lot.id AS lot_id, n, nextval('stock_picking_id_seq') AS picking_id,
               nextval('stock_move_id_seq') AS move_id,
               (%(partners)s::int[])[1 + (n + lot.id) %% cardinality(%(partners)s::int[])] AS partner_id,
               1 + n %% 5 AS quantity,
               %(now)s::timestamp - (n || ' hours')::interval AS date
          FROM stock_lot lot, generate_series(1, %(count)s) n
         WHERE lot.id = ANY(%(lots)s);

        INSERT INTO stock_picking (id, name, partner_id, picking_type_id, location_id, location_dest_id,
                                   move_type, state, company_id, date, scheduled_date, date_done,
                                   create_uid, create_date, write_uid, write_date)
        SELECT picking_id, %(prefix)s || lot_id || '/' || n, partner_id, %(type)s, %(source)s,
               %(destination)s,
               'direct', 'done', %(company)s, date, date, date, %(uid)s, date, %(uid)s, date
          FROM bench_delivery;

        INSERT INTO stock_move (id, name, picking_id, partner_id, product_id, product_uom, product_uom_qty,
                                product_qty, quantity, location_id, location_dest_id, picking_type_id,
                                procure_method, state, company_id, date, picked,
                                create_uid, create_date, write_uid, write_date)
        SELECT move_id, 'bench', picking_id, partner_id, %(product)s, %(uom)s, quantity, quantity, quantity,
               %(source)s, %(destination)s, %(type)s, 'make_to_stock', 'done', %(company)s, date, TRUE,
               %(uid)s, date, %(uid)s, date
          FROM bench_delivery;

        INSERT INTO stock_move_line (move_id, picking_id, product_id, product_uom_id, lot_id, quantity,
                                     quantity_product_uom, location_id, location_dest_id, state, company_id,
                                     date, picked, create_uid, create_date, write_uid, write_date)
        SELECT move_id, picking_id, %(product)s, %(uom)s, lot_id, quantity, quantity, %(source)s,
               %(destination)s, 'done', %(company)s, date, TRUE, %(uid)s, date, %(uid)s, date
          FROM bench_delivery;

        DROP TABLE bench_delivery;
        """,
        params,
    )


def insert_returns(env, lot, partner_ids):
    """One done return of one unit of the lot from each customer, outside any transfer."""
    warehouse = env["stock.warehouse"].search([("company_id", "=", env.company.id)], limit=1)
    env.cr.execute(
        """
        CREATE TEMPORARY TABLE bench_return ON COMMIT DROP AS
        SELECT partner.id AS partner_id, nextval('stock_move_id_seq') AS move_id
          FROM unnest(%(partners)s::int[]) AS partner(id);

        INSERT INTO stock_move (id, name, partner_id, product_id, product_uom, product_uom_qty, product_qty,
                                quantity, location_id, location_dest_id, procure_method, state, company_id,
                                date, picked)
        SELECT move_id, 'bench return', partner_id, %(product)s, %(uom)s, 1, 1, 1, %(customers)s, %(stock)s,
               'make_to_stock', 'done', %(company)s, %(now)s, TRUE
          FROM bench_return;

        INSERT INTO stock_move_line (move_id, product_id, product_uom_id, lot_id, quantity,
                                     quantity_product_uom, location_id, location_dest_id, state,
                                     company_id, date, picked)
        SELECT move_id, %(product)s, %(uom)s, %(lot)s, 1, 1, %(customers)s, %(stock)s, 'done', %(company)s,
               %(now)s, TRUE
          FROM bench_return;

        DROP TABLE bench_return;
        """,
        {
            "product": lot.product_id.id,
            "uom": lot.product_id.uom_id.id,
            "lot": lot.id,
            "customers": env.ref("stock.stock_location_customers").id,
            "stock": warehouse.lot_stock_id.id,
            "company": env.company.id,
            "now": fields.Datetime.now(),
            "partners": partner_ids,
        },
    )


def generate(db):
    with committed_env(db) as env:
        product = env["product.product"].create(
            {
                "name": "Bench Recall Catheter",
                "is_storable": True,
                "tracking": "lot",
                "use_expiration_date": True,
                "medical_device_class": "2",
            }
        )
        expiry = fields.Datetime.now() + timedelta(days=300)
        lot = env["stock.lot"].create(
            {"name": "BENCH-RECALL", "product_id": product.id, "expiration_date": expiry}
        )
        noise = env["stock.lot"].create(
            [
                {"name": f"BENCH-NOISE-{index:03d}", "product_id": product.id, "expiration_date": expiry}
                for index in range(NOISE_LOTS)
            ]
        )
        partners = env["res.partner"].create(
            [{"name": f"Bench Hospital {index:03d}"} for index in range(CUSTOMERS)]
        )
        warehouse = env["stock.warehouse"].search([("company_id", "=", env.company.id)], limit=1)
        env["stock.quant"]._update_available_quantity(product, warehouse.lot_stock_id, 1000, lot_id=lot)
        env.flush_all()
        insert_deliveries(env, lot, DELIVERIES, partners.ids, "BENCH/OUT/")
        insert_deliveries(env, noise, NOISE_DELIVERIES_PER_LOT, partners.ids, "BENCH/NOISE/")
        insert_returns(env, lot, partners.ids)
        env["ir.config_parameter"].set_param(MARKER, "1")
    vacuum(db)


def timed(function):
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def new_recall(env):
    lot = env["stock.lot"].search([("name", "=", "BENCH-RECALL")])
    recall = env["medical.recall"].create(
        {"recall_class": "class_1", "reason": "Bench", "lot_ids": [(6, 0, lot.ids)]}
    )
    env.flush_all()
    return lot, recall


def measure_confirm(db):
    """(seconds, notices, customer returns) of confirming a recall of the lot, median of REPEAT."""
    runs = []
    for _run in range(REPEAT):
        with rolled_back_env(db) as env:
            _lot, recall = new_recall(env)
            seconds, _none = timed(lambda recall=recall: (recall._confirm(), recall.env.flush_all()))
            runs.append(seconds)
            customers = env.ref("stock.stock_location_customers")
            returns = recall.picking_ids.filtered(
                lambda picking, customers=customers: picking.location_id == customers
            )
            notices = len(recall.notice_ids)
    return statistics.median(runs), notices, len(returns)


def measure(db):
    traces, queries = [], []
    for _run in range(REPEAT):
        with rolled_back_env(db) as env:
            lot, recall = new_recall(env)
            env.cr.execute(
                "SELECT count(*), count(DISTINCT picking.partner_id) FROM stock_move_line line "
                "JOIN stock_picking picking ON picking.id = line.picking_id WHERE line.lot_id = %s",
                [lot.id],
            )
            move_lines, customers = env.cr.fetchone()
            queries.append(timed(lambda lot=lot: env["medical.recall.trace"]._trace_units(lot))[0])
            seconds, _none = timed(lambda recall=recall: (recall._trace(), recall.env.flush_all()))
            traces.append(seconds)
            lines = len(recall.line_ids)
            delivered = recall.qty_shipped
    return {
        "move_lines": move_lines,
        "customers": customers,
        "lines": lines,
        "delivered": delivered,
        "trace": statistics.median(traces),
        "query": statistics.median(queries),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--generate", action="store_true", help="fill the database once, and commit")
    args, odoo_args = parser.parse_known_args()
    db = parse_odoo_args(odoo_args)
    if args.generate:
        generate(db)
        return
    figures = measure(db)
    confirm, notices, returns = measure_confirm(db)
    noise = NOISE_LOTS * NOISE_DELIVERIES_PER_LOT
    print(
        f"bench: {db}: lot BENCH-RECALL, {figures['move_lines']:,} move lines to {figures['customers']} "
        f"customers, among {noise:,} move lines of {NOISE_LOTS} other lots\n"
    )
    print(f"{'trace query (_trace_units)':<42} {figures['query']:7.2f} s  median of {REPEAT}")
    print(
        f"{'trace with its lines (_trace)':<42} {figures['trace']:7.2f} s  {figures['lines']:,} lines, "
        f"{figures['delivered']:,.0f} units delivered net of returns, median of {REPEAT}"
    )
    print(
        f"{'recall confirm (_confirm)':<42} {confirm:7.2f} s  {notices} notices, {returns} customer returns "
        f"prepared, median of {REPEAT}"
    )
    verdicts = [
        ("recall trace of one lot < 2 s", figures["trace"], TARGET_SECONDS),
        ("recall confirm at 500 customers < 30 s", confirm, CONFIRM_TARGET_SECONDS),
    ]
    print()
    for label, seconds, target in verdicts:
        print(f"{label:<42} {seconds:7.2f} s  {'PASS' if seconds < target else 'MISS'}")
    sys.exit(0 if all(seconds < target for _label, seconds, target in verdicts) else 1)


if __name__ == "__main__":
    main()
