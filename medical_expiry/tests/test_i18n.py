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
        terms = {source for _module, _type, _name, _res_id, source, _value, _comments
                 in TranslationModuleReader(self.env.cr, modules=["medical_expiry"]) if source}
        self.assertFalse(sorted(terms - translated), "terms missing from i18n/zh_CN.po: run scripts/i18n.sh")
