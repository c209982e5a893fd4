# Sourced by the scripts below: paths, the Odoo command line and the database helpers.
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$REPO/scripts/odoo-version"
ODOO_SRC=${ODOO_SRC:-$(odoo_default_src)}
VENV=${VENV:-$HOME/.cache/medical_expiry/venv}
export ODOO_SRC VENV
# Odoo's base add-ons and OCA's pip-installed ones are found through the odoo package itself.
ADDONS_PATH="$ODOO_SRC/addons,$REPO"

bash "$REPO/scripts/setup.sh"

odoo() { "$VENV/bin/odoo" --addons-path="$ADDONS_PATH" "$@"; }

# A configuration file for pytest-odoo (it reads the addons path from there).
write_odoo_conf() {
    cat > "$1" <<CONF
[options]
addons_path = $ADDONS_PATH
data_dir = ${ODOO_DATA_DIR:-$HOME/.local/share/Odoo}
http_port = ${HTTP_PORT:-8069}
CONF
}
