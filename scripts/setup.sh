#!/usr/bin/env bash
# Idempotent machine set-up shared by `make run` and `make test`:
# system packages, a virtualenv with Odoo's requirements, a running PostgreSQL and a role for this user.
# Every step checks first, so a second run takes a few seconds.
set -euo pipefail

ODOO_SRC=${ODOO_SRC:-/opt/odoo}
VENV=${VENV:-$HOME/.cache/medical_expiry/venv}
here=$(cd "$(dirname "$0")/.." && pwd)

if [ ! -f "$ODOO_SRC/odoo-bin" ]; then
    echo "ODOO_SRC=$ODOO_SRC has no odoo-bin: check out Odoo 18.0 there (git clone -b 18.0 --depth 1 https://github.com/odoo/odoo \"$ODOO_SRC\") or use docker/ (see README)." >&2
    exit 1
fi

sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
# From /, which the postgres user can always enter (a private work tree it cannot).
as_postgres() { (cd / && if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi); }

apt_packages=(postgresql wkhtmltopdf fonts-noto-cjk chromium libpq-dev python3-venv)
missing=()
for pkg in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    sudo_ apt-get update -qq
    DEBIAN_FRONTEND=noninteractive sudo_ apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The virtualenv is keyed by the requirements it was built from, so a changed Odoo tree rebuilds it.
stamp=$(cat "$ODOO_SRC/requirements.txt" "$here/requirements.txt" | sha1sum | cut -c1-12)
if [ ! -f "$VENV/.stamp-$stamp" ]; then
    echo "setup: building the virtualenv in $VENV"
    python3.11 -m venv "$VENV" 2>/dev/null || python3 -m venv "$VENV"
    # cbor2 5.4.2 does not build on Python 3.11 here and python-ldap needs headers no addon we load uses.
    grep -v -E '^(cbor2|python-ldap)' "$ODOO_SRC/requirements.txt" > "$VENV/odoo-requirements.txt"
    "$VENV/bin/pip" install -q --upgrade pip wheel 'setuptools<70'
    "$VENV/bin/pip" install -q -r "$VENV/odoo-requirements.txt" -r "$here/requirements.txt"
    rm -f "$VENV"/.stamp-*
    touch "$VENV/.stamp-$stamp"
fi

# PostgreSQL: start the local cluster when it is down and give this OS user a superuser role.
if ! pg_isready -q; then
    cluster=$(pg_lsclusters -h | awk 'NR==1 {print $1" "$2}')
    echo "setup: starting PostgreSQL cluster $cluster"
    sudo_ pg_ctlcluster $cluster start
    for _ in $(seq 30); do pg_isready -q && break; sleep 1; done
fi
user=$(id -un)
if ! as_postgres psql -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$user'" | grep -q 1; then
    echo "setup: creating PostgreSQL role $user"
    as_postgres createuser --superuser "$user"
fi
