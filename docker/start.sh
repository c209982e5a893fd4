#!/bin/bash
# The odoo service's command: on the first start, create medical_expiry_demo with the demo data, zh_CN and
# medical_expiry installed (the demo's admin works in 简体中文); then (and on every later start) serve it. `-i` only the first time, since it
# would re-initialise the module, noupdate data included, on every start.
set -euo pipefail
DB=medical_expiry_demo
CONF=/etc/odoo/odoo.conf
export PGHOST=db PGPORT=5432 PGUSER=odoo PGPASSWORD=odoo
wait-for-psql.py --db_host "$PGHOST" --db_port "$PGPORT" --db_user "$PGUSER" --db_password "$PGPASSWORD" --timeout 60
if ! psql -d "$DB" -tAc "SELECT 1 FROM ir_module_module WHERE name = 'medical_expiry' AND state = 'installed'" 2>/dev/null | grep -q 1; then
    echo "medical_expiry: creating $DB with demo data (a few minutes, once)"
    odoo -c "$CONF" -d "$DB" -i medical_expiry --stop-after-init --load-language=zh_CN
fi
exec odoo -c "$CONF" -d "$DB" --db-filter="^$DB\$"
