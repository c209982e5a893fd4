#!/usr/bin/env bash
# `make bench`: the performance figures of README's Performance section, on generated data.
# SCALE=1 (default) is 200k lots and 1M quants; SCALE=0.05 is a quick run. BENCH_DB names the database.
# BENCH_SECTIONS runs only the sections named (comma-separated, e.g. BENCH_SECTIONS=fefo).
# The database is made once per scale (medical_expiry installed without demo data, then bench/generate.py)
# and reused afterwards, with medical_expiry updated so the figures are those of the code checked out.
set -euo pipefail
source "$(dirname "$0")/../scripts/common.sh"
SCALE=${SCALE:-1}
BENCH_DB=${BENCH_DB:-medical_expiry_bench}
odoo_args=(--addons-path="$ADDONS_PATH" -d "$BENCH_DB" --log-level=warn)

# generate.py ends its transaction with this marker: present means the data are complete.
wanted=$(printf '%g' "$SCALE")
generated=$(psql -XtAq -d "$BENCH_DB" \
    -c "SELECT value FROM ir_config_parameter WHERE key = 'medical_expiry.bench_scale'" 2>/dev/null || true)
if [ "$generated" = "$wanted" ]; then
    echo "bench: reusing $BENCH_DB (scale $generated); updating medical_expiry"
    odoo "${odoo_args[@]}" -u medical_expiry --stop-after-init --no-http
else
    dropdb --if-exists "$BENCH_DB"
    echo "bench: installing medical_expiry in $BENCH_DB"
    odoo "${odoo_args[@]}" -i medical_expiry --without-demo=all --stop-after-init --no-http
    echo "bench: generating scale $wanted"
    "$VENV/bin/python" "$REPO/bench/generate.py" --scale "$wanted" "${odoo_args[@]}"
fi
"$VENV/bin/python" "$REPO/bench/bench.py" ${BENCH_SECTIONS:+--only "$BENCH_SECTIONS"} "${odoo_args[@]}"
