from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import MedicalExpiryCase


@tagged("post_install", "-at_install")
class TestExpiryRule(MedicalExpiryCase):
    def test_default_rule_library_has_three_company_wide_levels(self):
        defaults = (
            self.env["medical.expiry.rule"]
            .with_context(active_test=False)
            .search(
                [
                    (
                        "id",
                        "in",
                        [self.env.ref(f"medical_expiry.rule_default_{days}").id for days in (180, 90, 30)],
                    )
                ]
            )
        )
        self.assertEqual(sorted(defaults.mapped("days_before_expiry")), [30, 90, 180])
        self.assertEqual(set(defaults.mapped("scope")), {"company"})
        self.assertFalse(defaults.company_id)

    def test_negative_days_are_refused_and_nothing_is_written(self):
        count = self.env["medical.expiry.rule"].search_count([])
        with self.assertRaises(ValidationError) as error:
            self._create_rule(-5)
        self.assertIn("cannot be negative", str(error.exception))
        self.assertEqual(self.env["medical.expiry.rule"].search_count([]), count)

    def test_two_rules_of_one_scope_with_the_same_days_are_refused(self):
        self._create_rule(90, categ_id=self.categ_ivd.id)
        with self.assertRaises(ValidationError) as error:
            self._create_rule(90, categ_id=self.categ_ivd.id)
        self.assertIn("already starts at 90 days", str(error.exception))
        self.assertEqual(
            self.env["medical.expiry.rule"].search_count([("categ_id", "=", self.categ_ivd.id)]), 1
        )
        # The same days in another scope are fine.
        self._create_rule(90, categ_id=self.categ_strips.id)

    def test_a_rule_cannot_target_a_product_and_a_category(self):
        with self.assertRaises(ValidationError) as error:
            self._create_rule(60, categ_id=self.categ_ivd.id, product_id=self.strips.id)
        self.assertIn("not both", str(error.exception))

    def test_lot_takes_the_smallest_level_covering_its_days(self):
        self._create_rule(180)
        level_90 = self._create_rule(90)
        level_30 = self._create_rule(30)
        self.assertEqual(self._create_lot(self.syringe, 31).expiry_rule_id, level_90)
        self.assertEqual(self._create_lot(self.syringe, 30).expiry_rule_id, level_30)
        self.assertEqual(self._create_lot(self.syringe, -3).expiry_rule_id, level_30)
        self.assertFalse(self._create_lot(self.syringe, 181).expiry_rule_id)

    def test_most_specific_rule_set_wins(self):
        self._create_rule(90)
        ivd_120 = self._create_rule(120, categ_id=self.categ_ivd.id)
        strips_60 = self._create_rule(60, categ_id=self.categ_strips.id)
        product_365 = self._create_rule(365, product_id=self.syringe.id)
        # Nearest category beats its parent and the company default: 100 days is beyond the strips' set.
        self.assertFalse(self._create_lot(self.strips, 100).expiry_rule_id)
        self.assertEqual(self._create_lot(self.strips, 50).expiry_rule_id, strips_60)
        # Without its own rules, a sub-category takes its parent's.
        strips_60.active = False
        self.assertEqual(self._create_lot(self.strips, 100, name="strips-100-b").expiry_rule_id, ivd_120)
        # A product rule beats everything.
        self.assertEqual(self._create_lot(self.syringe, 300).expiry_rule_id, product_365)

    def test_company_rule_beats_rule_for_every_company(self):
        self._create_rule(90, company_id=False)
        own = self._create_rule(60, company_id=self.company.id)
        lot = self._create_lot(self.syringe, 80)
        lot.company_id = self.company
        self.assertFalse(lot.expiry_rule_id, "the company's own set (60 days) applies, not the shared one")
        self.assertEqual(self._create_lot(self.syringe, 50, name="own").expiry_rule_id, own)

    def test_changing_the_rule_library_relevels_existing_lots(self):
        lot = self._create_lot(self.syringe, 100)
        self.assertEqual(lot.expiry_state, "ok")
        rule = self._create_rule(120)
        self.assertEqual(lot.expiry_rule_id, rule)
        self.assertEqual(lot.expiry_state, "near_expiry")
        rule.days_before_expiry = 80
        self.assertFalse(lot.expiry_rule_id)
        self.assertEqual(lot.expiry_state, "ok")

    def test_rule_changes_are_tracked_in_chatter(self):
        rule = self._create_rule(90)
        self._flush_tracking()  # changes made in the creating transaction are not tracked apart
        rule.outbound_policy = "block"
        self._flush_tracking()
        self.assertTrue(
            rule.message_ids.tracking_value_ids.filtered(
                lambda value: value.field_id.name == "outbound_policy"
            )
        )
