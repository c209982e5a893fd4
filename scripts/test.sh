#!/usr/bin/env bash
# `make test`: a throw-away database, medical_expiry installed, pytest-odoo over medical_expiry/tests.
# `make test-odoo` (SUITE=odoo): Odoo's own stock, product_expiry, sale_stock and purchase_stock suites
# run against a database where medical_expiry is installed, so our overrides are live during them.
# `make test-odoo-baseline` (SUITE=odoo BASELINE=1): the same suites without medical_expiry.
set -euo pipefail
source "$(dirname "$0")/common.sh"
DB=medical_expiry_test_$$
work=$(mktemp -d)
trap 'dropdb --if-exists "$DB" >/dev/null 2>&1 || true; rm -rf "$work" "${ODOO_DATA_DIR:-$HOME/.local/share/Odoo}/filestore/$DB"' EXIT
# Tests serve HTTP on a port of their own, so they run beside `make run` and each other.
HTTP_PORT=${TEST_HTTP_PORT:-$((8200 + $$ % 700))} write_odoo_conf "$work/odoo.conf"

options=()
if [ "${SUITE:-module}" = odoo ]; then
    paths=()
    for module in stock product_expiry sale_stock purchase_stock; do paths+=("$ODOO_SRC/addons/$module/tests"); done
    # Node ids relative to the addons folder, as in scripts/odoo-baseline-failures.txt.
    options+=(--rootdir="$ODOO_SRC/addons")
    if [ -n "${BASELINE:-}" ]; then
        modules=stock,product_expiry,sale_stock,purchase_stock,barcodes_gs1_nomenclature
    else
        modules=medical_expiry
        while read -r node; do options+=(--deselect="$node"); done < <(grep -v '^#' "$REPO/scripts/odoo-baseline-failures.txt")
    fi
else
    paths=("$REPO/medical_expiry/tests")
    modules=medical_expiry
fi
echo "test: installing $modules in $DB"
odoo -d "$DB" -i "$modules" --without-demo=all --stop-after-init --log-level=warn --no-http
# Run from the repo, never from inside $ODOO_SRC/addons (its calendar addon shadows the stdlib module).
cd "$REPO"
"$VENV/bin/python" -m pytest -p no:cacheprovider --odoo-database="$DB" --odoo-config="$work/odoo.conf" \
    --odoo-http --odoo-log-level=warn -q "${options[@]}" "${paths[@]}" "$@"
