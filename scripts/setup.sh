#!/usr/bin/env bash
# Idempotent machine set-up shared by `make run` and `make test`: system packages, Odoo 18.0 (the tree at
# ODOO_SRC, or a shallow clone of the commit pinned in scripts/odoo-version), a virtualenv with Odoo installed
# as a package plus requirements.txt, a running PostgreSQL and a role for this user.
# Every step checks first, so a second run takes a few seconds.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/scripts/odoo-version"
ODOO_SRC=${ODOO_SRC:-$(odoo_default_src)}
VENV=${VENV:-$HOME/.cache/medical_expiry/venv}

sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
# From /, which the postgres user can always enter (a private work tree it cannot).
as_postgres() { (cd / && if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi); }

apt_packages=(postgresql wkhtmltopdf fonts-noto-cjk chromium libpq-dev python3-venv git)
missing=()
for pkg in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    sudo_ apt-get update -qq
    DEBIAN_FRONTEND=noninteractive sudo_ apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Odoo 18.0: a tree given by ODOO_SRC wins; otherwise the pinned commit, fetched once into a cache folder.
if [ ! -f "$ODOO_SRC/odoo-bin" ]; then
    echo "setup: fetching Odoo $ODOO_BRANCH ${ODOO_COMMIT:-(branch tip)} into $ODOO_SRC"
    rm -rf "$ODOO_SRC.partial" && mkdir -p "$ODOO_SRC.partial"
    if ! { git -C "$ODOO_SRC.partial" init -q \
        && timeout 1800 git -C "$ODOO_SRC.partial" fetch -q --depth 1 "$ODOO_REPO" "${ODOO_COMMIT:-$ODOO_BRANCH}" \
        && git -C "$ODOO_SRC.partial" checkout -q FETCH_HEAD; } >/dev/null 2>&1; then
        rm -rf "$ODOO_SRC.partial"
        echo "setup: cannot fetch Odoo $ODOO_BRANCH from $ODOO_REPO (no network?): put an Odoo 18.0 tree somewhere and run again with ODOO_SRC=/path/to/odoo" >&2
        exit 1
    fi
    rm -rf "$ODOO_SRC" && mv "$ODOO_SRC.partial" "$ODOO_SRC"
    echo "setup: Odoo $ODOO_BRANCH at commit $(git -C "$ODOO_SRC" rev-parse HEAD)"
fi

# The virtualenv is keyed by what it was built from (Odoo's and our requirements, the Odoo tree's place),
# so a changed Odoo tree or requirement rebuilds it.
stamp=$( (cat "$ODOO_SRC/requirements.txt" "$here/requirements.txt"; echo "$ODOO_SRC") | sha1sum | cut -c1-12)
if [ ! -f "$VENV/.stamp-$stamp" ]; then
    echo "setup: building the virtualenv in $VENV"
    python3.11 -m venv "$VENV" 2>/dev/null || python3 -m venv "$VENV"
    # cbor2 5.4.2 does not build on Python 3.11 here and python-ldap needs headers no addon we load uses.
    grep -v -E '^(cbor2|python-ldap)' "$ODOO_SRC/requirements.txt" > "$VENV/odoo-requirements.txt"
    "$VENV/bin/pip" install -q --upgrade pip wheel 'setuptools<70'
    # Odoo itself as an editable package in compat mode: `import odoo` needs no PYTHONPATH and `odoo.addons`
    # also spans site-packages, where OCA's odoo-addon-* wheels of requirements.txt land.
    # (setuptools' long warnings about Odoo's data folders go to a log, shown only when the install fails.)
    "$VENV/bin/pip" install -q --no-deps --config-settings editable_mode=compat -e "$ODOO_SRC" \
        > "$VENV/odoo-install.log" 2>&1 || { cat "$VENV/odoo-install.log" >&2; exit 1; }
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
