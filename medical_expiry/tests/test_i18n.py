from datetime import timedelta
from pathlib import Path

import polib

from odoo.tests import TransactionCase, tagged
from odoo.tools.translate import TranslationModuleReader

from .common import MedicalExpiryCase

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


@tagged("post_install", "-at_install")
class TestTextsInTheReadersLanguage(MedicalExpiryCase):
    """What the module writes for a person reads in that person's language (else the company's), whoever
    or whatever wrote it: here a Chinese distributor whose English-speaking admin runs the jobs."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("zh_CN")
        cls.env["ir.module.module"]._load_module_terms(["medical_expiry"], ["zh_CN"])
        cls.company.partner_id.lang = "zh_CN"
        cls.compliance_officer.lang = "zh_CN"
        cls.manager.lang = "zh_CN"

    def test_a_qualification_alert_names_the_document_type_in_chinese(self):
        licence = self.env["medical.qualification"].create(
            {
                "qualification_type": "business_licence",
                "partner_id": self.supplier.id,
                "number": "91310000000000001X",
                "date_end": self.company._expiry_today() + timedelta(days=10),
                "user_id": self.compliance_officer.id,
            }
        )
        # Read in English first, as the admin's screen would: each language has its own name.
        self.assertIn("Business Licence", licence.with_context(lang="en_US").display_name)
        self.assertIn("营业执照", licence.with_context(lang="zh_CN").display_name)
        self.env["medical.qualification"]._cron_qualification_alerts()
        alerts = self.env["mail.activity"].search(
            [
                ("res_model", "=", "medical.qualification"),
                ("res_id", "=", licence.id),
                ("user_id", "=", self.compliance_officer.id),
            ]
        )
        self.assertTrue(alerts)
        self.assertIn("营业执照", alerts.summary)
        self.assertNotIn("Business Licence", alerts.summary)

    def test_a_warned_shipment_is_logged_in_chinese_whoever_validates(self):
        level = self._create_rule(45, "warn")
        lot = self._create_lot(self.syringe, 30, name="SYR-WARN", quantity=10)
        self.env["stock.lot"]._cron_refresh_expiry()
        self.assertEqual(lot.expiry_rule_id, level)
        picking = self._create_picking(self.syringe, 5)
        self._set_lines(picking, (lot, 5))
        picking.move_ids.picked = True
        # The manager validates through RPC with no language in the context: the log is the company's.
        picking.with_user(self.manager).with_context(lang=None).button_validate()
        self.assertEqual(picking.state, "done")
        reason = self._audit_rows(lot, "guard_override").reason
        self.assertEqual(reason, f"批号 SYR-WARN 处于出库警告级别“{level.name}”，已发货。")

    def test_the_lot_form_names_its_dates_in_a_device_distributors_words(self):
        """product_expiry's Chinese labels of the best-before and alert dates are a food's."""
        form = self.env["stock.lot"].with_context(lang="zh_CN").get_views([(False, "form")])
        arch = form["views"]["form"]["arch"]
        self.assertIn("建议使用截止日期", arch)
        self.assertIn("近效期预警日期", arch)
        self.assertNotIn("食用", arch)

    def test_an_expired_lot_taken_off_a_delivery_is_noted_in_chinese(self):
        lot = self._create_lot(self.syringe, 20, name="SYR-OFF", quantity=5)
        delivery = self._create_picking(self.syringe, 3)
        self.assertEqual(delivery.move_line_ids.lot_id, lot)
        self._age_lots(lot, 22)
        Lot = self.env["stock.lot"].with_context(lang="en_US")
        Lot._block_expired_lots(lot)
        Lot._cron_report_expired_stock()
        self.assertFalse(delivery.move_line_ids)
        self.assertIn("已从本调拨单中撤下", delivery.message_ids[0].body)
        self.assertRegex(delivery.message_ids[0].body, r"批次 SYR-OFF（3.0 .+）：已过期")
