#!/usr/bin/env bash
# `make run`: Odoo at http://localhost:8069 (admin/admin) on a demo database with medical_expiry installed.
set -euo pipefail
source "$(dirname "$0")/common.sh"
DB=${DB:-medical_expiry_demo}
# Made once (the demo company exists once medical_expiry is installed with demo data); made again when it
# was made before the demo had its company, since the demo is built at install only, never on update.
if ! psql -d "$DB" -tAc "SELECT 1 FROM ir_model_data WHERE module = 'medical_expiry' AND name = 'demo_company'" 2>/dev/null | grep -q 1; then
    dropdb --if-exists "$DB"
    echo "run: creating $DB with medical_expiry and demo data (a few minutes, once)"
    odoo -d "$DB" -i medical_expiry --load-language=zh_CN --stop-after-init --log-level=warn
fi
# A database made by an older checkout is updated once to the module as it is now.
stamp="$HOME/.cache/medical_expiry/$DB.module-sha"
sha=$(find "$REPO/medical_expiry" -type f -not -name '*.pyc' -print0 | sort -z | xargs -0 sha1sum | sha1sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$sha" ]; then
    echo "run: updating medical_expiry in $DB"
    odoo -d "$DB" -u medical_expiry --stop-after-init --log-level=warn
    echo "$sha" > "$stamp"
fi
exec "$VENV/bin/odoo" --addons-path="$ADDONS_PATH" -d "$DB" --db-filter="^$DB\$" --http-port="${HTTP_PORT:-8069}" "$@"
