#!/usr/bin/env bash
# `make bench-recall`: the recall figures (one lot, 10,000 delivery lines to 500 customers: trace < 2 s, confirm < 30 s).
# The database (BENCH_RECALL_DB) is made once (medical_expiry installed without demo data, then
# bench/recall_trace.py --generate) and reused afterwards, with medical_expiry updated so the figure is that
# of the code checked out.
set -euo pipefail
source "$(dirname "$0")/../scripts/common.sh"
BENCH_DB=${BENCH_RECALL_DB:-medical_expiry_bench_recall}
odoo_args=(--addons-path="$ADDONS_PATH" -d "$BENCH_DB" --log-level=warn)

# recall_trace.py --generate ends its transaction with this marker: present means the data are complete.
generated=$(psql -XtAq -d "$BENCH_DB" \
    -c "SELECT value FROM ir_config_parameter WHERE key = 'medical_expiry.bench_recall'" 2>/dev/null || true)
if [ "$generated" = 1 ]; then
    echo "bench-recall: reusing $BENCH_DB; updating medical_expiry"
    odoo "${odoo_args[@]}" -u medical_expiry --stop-after-init --no-http
else
    dropdb --if-exists "$BENCH_DB"
    echo "bench-recall: installing medical_expiry in $BENCH_DB"
    odoo "${odoo_args[@]}" -i medical_expiry --without-demo=all --stop-after-init --no-http
    echo "bench-recall: generating one recalled lot among others"
    "$VENV/bin/python" "$REPO/bench/recall_trace.py" --generate "${odoo_args[@]}"
fi
"$VENV/bin/python" "$REPO/bench/recall_trace.py" "${odoo_args[@]}"
