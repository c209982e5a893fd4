from pathlib import Path

import polib

from odoo.tests import TransactionCase, tagged
from odoo.tools.translate import TranslationModuleReader

PO_FILE = Path(__file__).parent.parent / "i18n" / "zh_CN.po"


@tagged("post_install", "-at_install")
class TestTranslations(TransactionCase):
    def test_zh_cn_catalogue_is_complete(self):
        """Every term the module exports today has a Chinese translation: none missing, empty or fuzzy."""
        catalogue = polib.pofile(str(PO_FILE))
        self.assertFalse([entry.msgid for entry in catalogue.fuzzy_entries()], "fuzzy entries")
        self.assertFalse([entry.msgid for entry in catalogue.untranslated_entries()], "untranslated entries")
        translated = {entry.msgid for entry in catalogue if entry.msgstr}
        exported = TranslationModuleReader(self.env.cr, modules=["medical_expiry"])
        terms = {term[4] for term in exported if term[4]}  # (module, type, name, res_id, source, ...)
        self.assertFalse(sorted(terms - translated), "terms missing from i18n/zh_CN.po: run scripts/i18n.sh")

    def test_python_strings_are_translated_at_run_time(self):
        """A message written by code is only translated when its catalogue entry says it comes from code
        (a ``#: code:`` reference): a hand-added entry without one passes the check above, yet stays
        English for every reader."""
        code_terms = {
            term[4]
            for term in TranslationModuleReader(self.env.cr, modules=["medical_expiry"])
            if term[1] == "code" and term[4]
        }
        from_code = {
            entry.msgid
            for entry in polib.pofile(str(PO_FILE))
            if any(path.startswith("code:") for path, _line in entry.occurrences)
        }
        self.assertFalse(
            sorted(code_terms - from_code), "entries without their code reference: run scripts/i18n.sh"
        )
