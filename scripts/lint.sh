#!/usr/bin/env bash
# Lint the repository: ruff (check + format check, ruff.toml) and the pylint-odoo checks (.pylintrc).
# Run from anywhere as `bash scripts/lint.sh`; installs ruff and pylint-odoo into the virtualenv when missing.
# The versions match the revs of .pre-commit-config.yaml. Exits non-zero when any of the three steps fails.
set -euo pipefail

VENV=${VENV:-$HOME/.cache/medical_expiry/venv}
RUFF_VERSION=0.16.4
PYLINT_ODOO_VERSION=10.0.11
cd "$(dirname "$0")/.."

if [ ! -x "$VENV/bin/python" ]; then
    echo "lint: no virtualenv at $VENV (run \`make test\` or scripts/setup.sh first, or set VENV)" >&2
    exit 1
fi
installed() {
    local info
    info=$("$VENV/bin/python" -m pip show "$1" 2>/dev/null) || return 1
    grep -qx "Version: $2" <<<"$info"
}
if ! installed ruff "$RUFF_VERSION" || ! installed pylint-odoo "$PYLINT_ODOO_VERSION"; then
    echo "lint: installing ruff $RUFF_VERSION and pylint-odoo $PYLINT_ODOO_VERSION into $VENV"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check "ruff==$RUFF_VERSION" "pylint-odoo==$PYLINT_ODOO_VERSION"
fi

# Only the folders that exist (bench/ is optional).
python_dirs=()
for dir in medical_expiry bench; do
    [ -d "$dir" ] && python_dirs+=("$dir")
done

status=0
echo "lint: ruff check ${python_dirs[*]}"
"$VENV/bin/ruff" check "${python_dirs[@]}" || status=1
echo "lint: ruff format --check medical_expiry"
"$VENV/bin/ruff" format --check medical_expiry || status=1
# .pylintrc disables everything but the pylint-odoo ("odoolint") checks that apply to Odoo 18.0.
echo "lint: pylint-odoo medical_expiry"
"$VENV/bin/pylint" --rcfile=.pylintrc --load-plugins=pylint_odoo medical_expiry || status=1

if [ "$status" -ne 0 ]; then
    echo "lint: FAILED" >&2
else
    echo "lint: OK"
fi
exit "$status"
