#!/usr/bin/env bash
# Regenerate i18n/medical_expiry.pot from the module (with its demo data) and merge it into zh_CN.po:
# new terms arrive untranslated (and test_i18n fails until they are translated), stale ones are dropped.
set -euo pipefail
source "$(dirname "$0")/common.sh"
DB=${DB:-medical_expiry_i18n}
command -v msgmerge >/dev/null || { apt-get update -qq && apt-get install -y -qq gettext >/dev/null; }
# A fresh database each time: an updated one can keep stale terms of translated HTML fields.
dropdb --if-exists "$DB"
odoo -d "$DB" -i medical_expiry --load-language=zh_CN --stop-after-init --log-level=warn --no-http
i18n="$REPO/medical_expiry/i18n"
odoo -d "$DB" --i18n-export="$i18n/medical_expiry.pot" --modules=medical_expiry --stop-after-init --log-level=warn --no-http
msgmerge --quiet --update --no-fuzzy-matching --backup=none --width=79 "$i18n/zh_CN.po" "$i18n/medical_expiry.pot"
msgattrib --no-obsolete --width=79 -o "$i18n/zh_CN.po" "$i18n/zh_CN.po"
echo "i18n: $(msgattrib --untranslated "$i18n/zh_CN.po" | grep -c '^msgid' || true) untranslated entries left in zh_CN.po"
