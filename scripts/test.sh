#!/usr/bin/env bash
# `make test`: a throw-away database, medical_expiry installed, pytest-odoo over medical_expiry/tests and tests/.
# `make test-odoo` (SUITE=odoo): Odoo's own runner (`-i medical_expiry --test-enable --test-tags`) over
# Odoo's stock, product_expiry, sale_stock and purchase_stock suites and ours, as OCA CI runs them.
# `make test-odoo-baseline` (SUITE=odoo BASELINE=1): Odoo's suites alone, without medical_expiry.
# Extra arguments go to pytest (module suite) or to odoo (SUITE=odoo).
set -euo pipefail
source "$(dirname "$0")/common.sh"
DB=medical_expiry_test_$$
work=$(mktemp -d)
trap 'dropdb --if-exists "$DB" >/dev/null 2>&1 || true; rm -rf "$work" "${ODOO_DATA_DIR:-$HOME/.local/share/Odoo}/filestore/$DB"' EXIT
# Tests serve HTTP on a port of their own, so they run beside `make run` and each other.
HTTP_PORT=${TEST_HTTP_PORT:-$((8200 + $$ % 700))}

if [ "${SUITE:-module}" = odoo ]; then
    odoo_suites=/stock,/product_expiry,/sale_stock,/purchase_stock
    if [ -n "${BASELINE:-}" ]; then
        modules=stock,product_expiry,sale_stock,purchase_stock,barcodes_gs1_nomenclature
        tags=$odoo_suites
    else
        modules=medical_expiry
        tags=$odoo_suites,/medical_expiry
        # Tests that fail under Odoo's runner without medical_expiry too (see the file for each one's reason).
        while read -r tag; do tags+=",-$tag"; done < <(grep -v -e '^#' -e '^$' "$REPO/scripts/odoo-baseline-failures.txt")
    fi
    echo "test: Odoo's runner, installing $modules in $DB with --test-tags $tags"
    # As OCA CI and runbot do: each suite's at_install tests run right after its module is installed, its
    # post_install tests once every module (medical_expiry included) is, so our overrides are live in them.
    log=${TMPDIR:-/tmp}/$DB.log   # kept: the whole run, tracebacks included
    echo "test: full log in $log"
    set +e
    odoo -d "$DB" -i "$modules" --without-demo=all --test-enable --test-tags "$tags" --stop-after-init \
        --http-port="$HTTP_PORT" --log-level=test "$@" 2>&1 | tee "$log" | grep -E --line-buffered \
        ' (ERROR|CRITICAL) |^(FAIL|ERROR):|Traceback|odoo\.tests\.(result|stats)|post-tests in'
    rc=${PIPESTATUS[0]}
    set -e
    # Odoo's closing report ("F failed, E error(s) of N tests when loading database ..."), as CI reads it.
    summary=$(grep -oE '[0-9]+ failed, [0-9]+ error\(s\) of [0-9]+ tests' "$log" | tail -1)
    if [ -z "$summary" ]; then
        echo "test: Odoo's runner gave no summary (exit code $rc)" >&2
        exit $((rc ? rc : 1))
    fi
    read -r failed errors total < <(sed -E 's/([0-9]+) failed, ([0-9]+) error\(s\) of ([0-9]+) tests/\1 \2 \3/' <<<"$summary")
    echo "$((total - failed - errors)) passed, $((failed + errors)) failed"
    [ "$failed" = 0 ] && [ "$errors" = 0 ] && [ "$rc" = 0 ]
    exit
fi

HTTP_PORT=$HTTP_PORT write_odoo_conf "$work/odoo.conf"
echo "test: installing medical_expiry in $DB"
odoo -d "$DB" -i medical_expiry --without-demo=all --stop-after-init --log-level=warn --no-http
# Run from the repo, never from inside $ODOO_SRC/addons (its calendar addon shadows the stdlib module).
cd "$REPO"
"$VENV/bin/python" -m pytest -p no:cacheprovider --odoo-database="$DB" --odoo-config="$work/odoo.conf" \
    --odoo-http --odoo-log-level=warn -q "$REPO/medical_expiry/tests" "$REPO/tests" "$@"
