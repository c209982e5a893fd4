# Sourced by the scripts below: paths, the Odoo command line and the database helpers.
ODOO_SRC=${ODOO_SRC:-/opt/odoo}
VENV=${VENV:-$HOME/.cache/medical_expiry/venv}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ADDONS_PATH="$ODOO_SRC/addons,$ODOO_SRC/odoo/addons,$REPO"
export PYTHONPATH="$ODOO_SRC${PYTHONPATH:+:$PYTHONPATH}"

bash "$REPO/scripts/setup.sh"

odoo() { "$VENV/bin/python" "$ODOO_SRC/odoo-bin" --addons-path="$ADDONS_PATH" "$@"; }

# A configuration file for pytest-odoo (it reads the addons path from there).
write_odoo_conf() {
    cat > "$1" <<CONF
[options]
addons_path = $ADDONS_PATH
data_dir = ${ODOO_DATA_DIR:-$HOME/.local/share/Odoo}
http_port = ${HTTP_PORT:-8069}
CONF
}
