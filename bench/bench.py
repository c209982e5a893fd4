"""The medical_expiry benchmark: every figure of the performance targets, in one run, on the same data.

Run by bench/run.sh (`make bench`) on the database bench/generate.py filled. Each section runs in a
process of its own (`bench.py --section NAME …`), so the peak RSS it reports is its own. Every section
sees the same data: most roll their transaction back; those that must commit (a job committing per
batch, rows written by an earlier transaction rather than the current one) run on a scratch copy of the
database. This process prints the figures as the sections finish, then each target with PASS or MISS.
"""

import argparse
import contextlib
import csv
import datetime
import io
import itertools
import json
import resource
import statistics
import subprocess
import sys
import time
from unittest import mock

from odoo_env import committed_env, parse_odoo_args, rolled_back_env, scratch_copy, vacuum

from odoo import Command, fields
from odoo.modules.registry import Registry
from odoo.tools import SQL

REPEAT = 3
ORM_SAMPLE = 10_000
FEFO_LINES = 50
FEFO_LINE_QUANTITY = 10
FEFO_PRODUCTS = 3
IMPORT_ROWS = 10_000
# Cards the kanban shows first in each column (Odoo's default).
KANBAN_LIMIT = 40
LEVEL_RESET = SQL(
    "UPDATE stock_lot SET expiry_state = NULL, expiry_rule_id = NULL, expiry_level_until = NULL"
)
# A day later: every lot is a day closer to its expiry (its dates a day earlier), few change level.
NEXT_DAY = SQL(
    "UPDATE stock_lot SET expiration_date = expiration_date - interval '1 day',"
    " expiry_level_until = expiry_level_until - 1"
)
ALL_LOTS = SQL("SELECT id, company_id, product_id, expiration_date FROM stock_lot")


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - start, result


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# ----------------------------------------------------------------------
# Sections: each returns {"rows": {key: {"seconds", "note"}}} or {"unavailable": why}
# ----------------------------------------------------------------------
def prepare(db):
    """Level every lot once and commit it, as the nightly job leaves the lots.

    The generator leaves the levels empty; the reservation guard and the workbench read the stored ones.
    The sections that classify empty them again first.
    """
    with committed_env(db) as env:
        env.cr.execute("SELECT count(*) FILTER (WHERE expiry_state IS NULL), count(*) FROM stock_lot")
        unlevelled, lots = env.cr.fetchone()
        if unlevelled:
            env["stock.lot"]._refresh_expiry_levels()
        env.cr.execute(
            "SELECT count(*), count(DISTINCT location.warehouse_id) FROM stock_quant quant "
            "JOIN stock_location location ON location.id = quant.location_id"
        )
        quants, warehouses = env.cr.fetchone()
    return {"data": {"lots": lots, "quants": quants, "warehouses": warehouses}}


def level_refresh(db):
    """The classification of the alert job: the module's one-statement UPDATE over every lot.

    On a scratch copy: the emptied levels are committed first, as lots written in the current transaction
    would make PostgreSQL re-check every foreign key of every updated row, which the nightly job never does.
    """
    with committed_env(db) as env:
        env.cr.execute(LEVEL_RESET)
    vacuum(db, "stock_lot")
    runs = []
    for _run in range(REPEAT):
        with rolled_back_env(db) as env:
            runs.append(timed(env["stock.lot"]._refresh_expiry_levels)[0])
            env.cr.execute("SELECT count(*) FROM stock_lot WHERE expiry_state IS NOT NULL")
            levelled = env.cr.fetchone()[0]
        vacuum(db, "stock_lot")
    return {
        "rows": {
            "levels": {
                "seconds": statistics.median(runs),
                "note": f"{levelled:,} lots levelled, median of {REPEAT}",
            }
        }
    }


def bare_sql(db):
    """The lower bound: the same classification as a plain SELECT, nothing written."""
    with rolled_back_env(db) as env:
        levels = env["medical.expiry.rule"]._lot_levels_sql(ALL_LOTS)
        # Grouping by the state needs every lot's level, so no part of the classification is skipped.
        query = SQL(
            "SELECT state, count(*) FROM (%s) AS level(id, days, state, rule_id, level_until) GROUP BY state "
            "ORDER BY count(*) DESC",
            levels,
        )
        runs = []
        for _run in range(REPEAT):
            seconds, _none = timed(env.cr.execute, query)
            runs.append(seconds)
        states = env.cr.fetchall()
    note = ", ".join(f"{state} {count:,}" for state, count in states)
    return {"rows": {"bare_sql": {"seconds": statistics.median(runs), "note": note}}}


def classify_one_by_one(lots):
    """The per-record ORM way: for each lot, compute its days, search its rules, write its level."""
    Rule = lots.env["medical.expiry.rule"]
    today = lots.env.company._expiry_today()

    def specificity(rule):
        # Product rules first, then the deepest category, then the company-wide ones; for each, the
        # lot's own company before every company.
        kind = 0 if rule.product_id else 1 if rule.categ_id else 2
        return kind, -len(rule.categ_id.parent_path or ""), not rule.company_id

    def write_level(lot, state, rule_id):
        # One UPDATE per lot: the module refuses level writes through the ORM (they are computed).
        lot.env.cr.execute(
            "UPDATE stock_lot SET expiry_state = %s, expiry_rule_id = %s WHERE id = %s",
            [state, rule_id, lot.id],
        )

    for lot in lots:
        if not lot.expiration_date:
            write_level(lot, "no_expiry", None)
            continue
        days = (lot.env.company._expiry_date_of(lot.expiration_date) - today).days
        company = [("company_id", "in", [lot.company_id.id, False])] if lot.company_id else []
        rules = Rule.search(
            company
            + [("applies_to", "=", "lot")]
            + [
                "|",
                "|",
                ("product_id", "=", lot.product_id.id),
                ("categ_id", "parent_of", lot.product_id.categ_id.id),
                "&",
                ("product_id", "=", False),
                ("categ_id", "=", False),
            ]
        )
        best = min(map(specificity, rules), default=None)
        covering = [rule for rule in rules if specificity(rule) == best and rule.days_before_expiry >= days]
        level = min(covering, key=lambda rule: (rule.days_before_expiry, rule.id), default=Rule)
        state = "expired" if days < 0 else "near_expiry" if level else "ok"
        write_level(lot, state, level.id or None)
    lots.env.flush_all()


def orm_loop(db):
    """What the classification costs done the naive way, on a sample, extrapolated to every lot."""
    with rolled_back_env(db) as env:
        env.cr.execute("SELECT count(*) FROM stock_lot")
        total = env.cr.fetchone()[0]
        # Every n-th lot, so the sample has the spread of products and dates of the whole.
        env.cr.execute(
            "SELECT id FROM stock_lot WHERE mod(id, %s) = 0 ORDER BY id LIMIT %s",
            [max(total // ORM_SAMPLE, 1), ORM_SAMPLE],
        )
        lots = env["stock.lot"].browse(row[0] for row in env.cr.fetchall())
        # The ORM writes every value it is given, changed or not: the stored levels need no emptying.
        seconds = timed(classify_one_by_one, lots)[0]
        # The comparison is only fair if the loop computes what the module computes.
        module_levels = env["medical.expiry.rule"]._lot_levels_sql(
            SQL("%s WHERE id = ANY(%s)", ALL_LOTS, lots.ids)
        )
        env.cr.execute(
            SQL(
                """
                SELECT count(*) FROM (%s) AS level(id, days, state, rule_id, level_until)
                  JOIN stock_lot lot ON lot.id = level.id
                 WHERE (lot.expiry_state, lot.expiry_rule_id) IS DISTINCT FROM (level.state, level.rule_id)
                """,
                module_levels,
            )
        )
        mismatches = env.cr.fetchone()[0]
    vacuum(db, "stock_lot")
    check = "same levels as the module" if not mismatches else f"{mismatches:,} lots levelled differently!"
    return {
        "rows": {
            "orm_loop": {
                "seconds": seconds * total / len(lots),
                "note": f"{len(lots):,} lots took {seconds:.1f} s, ×{total / len(lots):.0f}; {check}",
            }
        }
    }


def count_lot_activities(env):
    env.cr.execute("SELECT count(*) FROM mail_activity WHERE res_model IN ('stock.lot', 'product.product')")
    return env.cr.fetchone()[0]


def alert_job(db):
    """The daily job as its cron runs it, on a scratch copy: levels, blocking, activities, a commit per batch.

    First run: no lot levelled, no alert raised yet. Next day: the first run committed, every lot is a day
    closer to its expiry, few change level, and the alerts are raised already.
    """
    rows = {}
    for key, note, reset in (
        ("alert_first", "first run", LEVEL_RESET),
        ("alert_daily", "next day", NEXT_DAY),
    ):
        with committed_env(db) as env:
            if not hasattr(env["stock.lot"], "_cron_expiry_alerts"):
                return {"unavailable": "stock.lot._cron_expiry_alerts does not exist yet"}
            env.cr.execute(reset)
            activities_before = count_lot_activities(env)
        vacuum(db)
        with committed_env(db) as env:
            seconds = timed(env["stock.lot"]._cron_expiry_alerts, autocommit=True)[0]
            raised = count_lot_activities(env) - activities_before
        rows[key] = {"seconds": seconds, "note": f"{note}: {raised:,} activities raised"}
    return {"rows": rows}


def workbench(db):
    """The workbench's pivot: stock quantity and value by warehouse and month of expiry."""
    with rolled_back_env(db) as env:
        if "medical.expiry.workbench" not in env:
            return {"unavailable": "model medical.expiry.workbench does not exist yet"}
        Workbench = env["medical.expiry.workbench"]
        runs = []
        for _run in range(REPEAT):
            env.invalidate_all()
            seconds, groups = timed(
                Workbench.read_group,
                [],
                ["quantity:sum", "value:sum"],
                ["warehouse_id", "expiration_date:month"],
                lazy=False,
            )
            runs.append(seconds)
        kanban_runs = []
        for _run in range(REPEAT):
            env.invalidate_all()
            seconds, columns = timed(workbench_kanban_first_page, Workbench)
            kanban_runs.append(seconds)
    return {
        "rows": {
            "workbench": {
                "seconds": statistics.median(runs),
                "note": f"{len(groups):,} groups, median of {REPEAT}",
            },
            "workbench_kanban": {
                "seconds": statistics.median(kanban_runs),
                "note": f"{columns} columns of up to {KANBAN_LIMIT} cards and their progress bars, "
                f"median of {REPEAT}",
            },
        }
    }


def workbench_kanban_first_page(Workbench):
    """What the web client asks for the workbench's default view: the kanban grouped by expiry bucket, its
    progress bars, and the first cards of each column."""
    groups = Workbench.web_read_group([], ["quantity:sum"], ["expiry_bucket"], lazy=True)["groups"]
    Workbench.read_progress_bar(
        [], "expiry_bucket", {"field": "expiry_bucket", "sum_field": "quantity", "colors": {}}
    )
    specification = {
        name: {}
        for name in (
            "product_id",
            "quantity",
            "lot_id",
            "expiration_date",
            "expiry_countdown",
            "warehouse_id",
            "location_id",
            "expiry_rule_id",
            "expiry_bucket",
            "is_blocked",
            "in_transit",
            "color",
        )
    }
    for group in groups:
        Workbench.web_search_read(group["__domain"], specification, limit=KANBAN_LIMIT)
    return len(groups)


def fefo_reservation(db):
    """A 50-line delivery reserved with the module's guard, and with Odoo's product_expiry FEFO alone."""
    with rolled_back_env(db) as env:
        # The warehouse and products with the most quants: the hot products of the generator.
        env.cr.execute(
            """
            SELECT location.warehouse_id, quant.product_id, count(*)
              FROM stock_quant quant JOIN stock_location location ON location.id = quant.location_id
             WHERE location.warehouse_id IS NOT NULL
          GROUP BY 1, 2 ORDER BY 3 DESC LIMIT %s
            """,
            [FEFO_PRODUCTS],
        )
        hottest = env.cr.fetchall()
        warehouse = env["stock.warehouse"].browse(hottest[0][0])
        products = env["product.product"].browse(
            product_id for warehouse_id, product_id, _count in hottest if warehouse_id == warehouse.id
        )
        candidates = min(count for _wh, _product, count in hottest)
        customer = env["res.partner"].create({"name": "Bench hospital", "min_shelf_life_days": 90})
        customers = env.ref("stock.stock_location_customers")
        # Lines of the same product merge when a picking is confirmed: the moves are created confirmed.
        picking = env["stock.picking"].create(
            {
                "picking_type_id": warehouse.out_type_id.id,
                "partner_id": customer.id,
                "location_id": warehouse.lot_stock_id.id,
                "location_dest_id": customers.id,
                "move_ids": [
                    Command.create(
                        {
                            "name": product.display_name,
                            "product_id": product.id,
                            "product_uom": product.uom_id.id,
                            "product_uom_qty": FEFO_LINE_QUANTITY,
                            "location_id": warehouse.lot_stock_id.id,
                            "location_dest_id": customers.id,
                            "state": "confirmed",
                        }
                    )
                    for product in itertools.islice(itertools.cycle(products), FEFO_LINES)
                ],
            }
        )
        refused = env["stock.lot"]._outbound_refused_domain(customer._min_shelf_life_days())
        where = f"{len(products)} products × {candidates:,} quants in {warehouse.code}"

        def reserve():
            with contextlib.closing(env.cr.savepoint()):
                env.invalidate_all()
                seconds, _done = timed(picking.action_assign)
                lots = picking.move_line_ids.lot_id
                return (
                    seconds,
                    len(picking.move_line_ids),
                    env["stock.lot"].search_count([("id", "in", lots.ids), *refused]),
                )

        @contextlib.contextmanager
        def without_guard():
            # No refused lots for any move, every quant read: product_expiry's gather and FEFO order alone.
            move_class, quant_class = type(env["stock.move"]), type(env["stock.quant"])
            with (
                mock.patch.object(move_class, "_expiry_refused_lots_domain", lambda move: False),
                mock.patch.object(quant_class, "_bounded_reservation_order", return_value=None),
            ):
                yield

        variants = {"fefo_guard": contextlib.nullcontext, "fefo_plain": without_guard}
        runs = {key: [] for key in variants}
        outcome = {}
        # One untimed round first, to warm PostgreSQL's and Odoo's caches alike; then the two alternate.
        for round_ in range(REPEAT + 1):
            for key, variant in variants.items():
                with variant():
                    seconds, lines, refused_lots = reserve()
                outcome[key] = lines, refused_lots
                if round_:
                    runs[key].append(seconds)
    return {
        "rows": {
            key: {
                "seconds": statistics.median(runs[key]),
                "note": f"{lines} lines, {refused_lots} refused lots reserved; {where}",
            }
            for key, (lines, refused_lots) in outcome.items()
        }
    }


def lot_import_file(env):
    """A CSV of IMPORT_ROWS historical lots with Chinese headers: every product, each in three bins."""
    products = env["product.product"].search([("tracking", "=", "lot"), ("default_code", "!=", False)])
    bins = env["stock.location"].search([("usage", "=", "internal"), ("location_id.usage", "=", "internal")])
    today = fields.Date.today()
    output = io.StringIO()
    writer = csv.writer(output)
    writer.writerow(["产品编码", "批号", "生产日期", "有效期至", "数量", "库位"])
    for index in range(IMPORT_ROWS):
        expiration_date = today + datetime.timedelta(days=30 + index % 900)
        writer.writerow(
            [
                products[index % len(products)].default_code,
                f"HIST-{index:06d}",
                expiration_date - datetime.timedelta(days=730),
                expiration_date,
                1 + index % 50,
                bins[(index % len(products) + index // len(products) % 3) % len(bins)].complete_name,
            ]
        )
    return output.getvalue().encode("utf-8-sig"), len(products), len(bins)


def lot_import(db):
    """The historical lot import of a 10k-row CSV: the dry run (checks and XLSX report), then the import
    (checks, lots, inventory moves done, audit rows), each in a transaction rolled back."""
    rows = {}
    for key, mode in (("import_dry_run", "dry_run"), ("import", "all_or_nothing")):
        with rolled_back_env(db) as env:
            if "medical.lot.import" not in env:
                return {"unavailable": "model medical.lot.import does not exist yet"}
            data, products, bins = lot_import_file(env)
            lots_before = env["stock.lot"].search_count([])
            seconds = timed(env["medical.lot.import"]._run, data, "bench.csv", mode)[0]
            env.flush_all()
            created = env["stock.lot"].search_count([]) - lots_before
        rows[key] = {
            "seconds": seconds,
            "note": f"{IMPORT_ROWS / seconds:,.0f} rows/s; {IMPORT_ROWS:,} rows of {products} products in "
            f"{bins} bins; {created:,} lots created",
        }
    return {"rows": rows}


SECTIONS = {
    "prepare": prepare,
    "levels": level_refresh,
    "bare_sql": bare_sql,
    "orm_loop": orm_loop,
    "alert_job": alert_job,
    "workbench": workbench,
    "fefo": fefo_reservation,
    "lot_import": lot_import,
}
LABELS = {
    "levels": "level refresh (module UPDATE)",
    "bare_sql": "bare SQL classification",
    "orm_loop": "naive ORM loop, extrapolated",
    "alert_first": "alert job, first run",
    "alert_daily": "alert job, next day",
    "workbench": "workbench read_group wh × month",
    "workbench_kanban": "workbench kanban, first page",
    "fefo_guard": "FEFO reservation, module guard",
    "fefo_plain": "FEFO reservation, plain Odoo",
    "import_dry_run": "lot import 10k rows, dry run",
    "import": "lot import 10k rows",
}
SCRATCH_SECTIONS = {"levels", "alert_job"}
UNAVAILABLE_LABELS = {
    "alert_job": "alert job",
    "workbench": "workbench read_group",
    "lot_import": "historical lot import",
}


def run_section(name, db):
    """In the child process: the section's figures and this process's peak RSS, as JSON on stdout."""
    Registry(db)  # loaded before the section, to tell its memory apart
    idle_rss = peak_rss_mb()
    result = SECTIONS[name](db)
    result.update(rss_mb=peak_rss_mb(), idle_rss_mb=idle_rss)
    print(json.dumps(result))


def spawn_section(name, odoo_args):
    command = [sys.executable, __file__, "--section", name, *odoo_args]
    process = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)
    if process.returncode:
        return {"error": f"section {name} failed (exit {process.returncode}), see its traceback above"}
    return json.loads(process.stdout.splitlines()[-1])


def ratio_target(results, label, numerator, denominator, limit, invert=False):
    """PASS/MISS of numerator / denominator <= limit (or denominator / numerator >= limit if invert)."""
    if numerator not in results or denominator not in results:
        return f"{label:<50} n/a (a figure is missing)"
    ratio = results[numerator]["seconds"] / results[denominator]["seconds"]
    if invert:
        ratio = 1 / ratio
        passed = ratio >= limit
    else:
        passed = ratio <= limit
    return f"{label:<50} {ratio:8.2f}×  {'PASS' if passed else 'MISS'}"


def print_targets(results, rss):
    print("\ntargets")
    # The scale issue's targets: a first run within 3× the bare classification, a normal day within 1×.
    for key, limit in (("alert_first", 3), ("alert_daily", 1)):
        run = LABELS[key].removeprefix("alert job, ")
        print(ratio_target(results, f"alert job ≤ {limit}× bare SQL ({run})", key, "bare_sql", limit))
    peak = max(rss.values(), default=0)
    print(f"{'peak RSS of any section < 400 MB':<50} {peak:6.0f} MB  {'PASS' if peak < 400 else 'MISS'}")
    if "workbench" in results:
        seconds = results["workbench"]["seconds"]
        verdict = "PASS" if seconds <= 0.3 else "MISS"
        print(f"{'workbench read_group ≤ 0.3 s':<50} {seconds:7.2f} s  {verdict}")
        seconds = results["workbench_kanban"]["seconds"]
        verdict = "PASS" if seconds <= 0.3 else "MISS"
        print(f"{'workbench kanban first page ≤ 0.3 s':<50} {seconds:7.2f} s  {verdict}")
    else:
        print(f"{'workbench read_group ≤ 0.3 s':<50} n/a (no workbench)")
    print(
        ratio_target(
            results, "FEFO reservation ≥ 10× faster than plain", "fefo_guard", "fefo_plain", 10, invert=True
        )
    )
    if "import" in results:
        rate = IMPORT_ROWS / results["import"]["seconds"]
        passed = "PASS" if rate >= 1000 else "MISS"
        print(f"{'lot import 10k rows ≥ 1,000 rows/s':<50} {rate:7.0f} rows/s  {passed}")
    else:
        print(f"{'lot import 10k rows ≥ 1,000 rows/s':<50} n/a (no lot import)")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--section", choices=SECTIONS, help="run one section (in a child process)")
    parser.add_argument(
        "--only",
        type=lambda names: names.split(","),
        default=list(SECTIONS),
        help="run only these sections, comma-separated (the levels are always prepared first)",
    )
    args, odoo_args = parser.parse_known_args()
    unknown = set(args.only) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}; known: {', '.join(SECTIONS)}")
    db = parse_odoo_args(odoo_args)
    if args.section:
        run_section(args.section, db)
        return

    results, rss, failures = {}, {}, 0
    for name in SECTIONS:
        if name != "prepare" and name not in args.only:
            continue
        vacuum(db)
        if name in SCRATCH_SECTIONS:
            with scratch_copy(db) as scratch:
                # The last database option wins.
                result = spawn_section(name, [*odoo_args, f"--database={scratch}"])
        else:
            result = spawn_section(name, odoo_args)
        if "data" in result:
            data = result["data"]
            print(
                f"bench: {db}: {data['lots']:,} lots, {data['quants']:,} quants in {data['warehouses']} "
                f"warehouses and transit; a loaded idle registry takes {result['idle_rss_mb']:.0f} MB\n"
            )
            print(f"{'section':<34} {'seconds':>9} {'peak RSS':>9}  notes")
        elif "error" in result:
            failures += 1
            print(f"{name:<34} {'error':>9}  {result['error']}")
        elif "unavailable" in result:
            print(f"{UNAVAILABLE_LABELS[name]}: not available yet ({result['unavailable']})")
        else:
            rss[name] = result["rss_mb"]
            for key, row in result["rows"].items():
                results[key] = row
                print(
                    f"{LABELS[key]:<34} {row['seconds']:9.2f} {result['rss_mb']:6.0f} MB  {row['note']}",
                    flush=True,
                )
    print_targets(results, rss)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
