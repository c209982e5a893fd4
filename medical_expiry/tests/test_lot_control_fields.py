import base64
import csv
import io
from datetime import timedelta
from functools import partial

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from ..models.stock_lot import BLOCK_FIELDS
from ..models.stock_lot_expiry_level import LOT_LEVEL_FIELDS
from .common import MedicalExpiryCase

# What a lot's control is made of, re-read after every refused attempt.
CONTROL_FIELDS = sorted(BLOCK_FIELDS | LOT_LEVEL_FIELDS | {"expiration_date"})


@tagged("post_install", "-at_install")
class TestLotControlFields(MedicalExpiryCase):
    """The block, the level and the expiration date of a lot change only through their own methods:
    whoever writes them otherwise (RPC, import, a form, another module) is refused, and nothing changes."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.level_block = cls._create_rule(15, "block")
        cls._create_rule(120)
        cls.syringe.default_code = "SYR-001"

    def _control(self, lot):
        """(control fields, number of audit rows) of ``lot``, as the database has them."""
        self.env.invalidate_all()
        audit_rows = self.env["medical.audit.log"].search_count(
            [("model", "=", "stock.lot"), ("res_id", "=", lot.id)]
        )
        return lot.read(CONTROL_FIELDS)[0], audit_rows

    def _assert_refused(self, lot, attempt, *fragments):
        """``attempt()`` raises a UserError saying ``fragments``, and ``lot`` and its audit trail stay as
        they were."""
        before = self._control(lot)
        with self.assertRaises(UserError) as error:
            attempt()
        for fragment in fragments:
            self.assertIn(fragment, str(error.exception))
        self.assertEqual(self._control(lot), before)

    def _blocked_lot(self, name="SYR-BLOCKED"):
        lot = self._create_lot(self.syringe, 200, quantity=10, name=name)
        lot.with_user(self.manager)._block("recall", "Supplier recall")
        return lot

    # ------------------------------------------------------------------
    # Block: only _block (managers, logged) and _unblock (signed, logged)
    # ------------------------------------------------------------------
    def test_a_clerk_cannot_unblock_a_lot_by_writing_it(self):
        lot = self._blocked_lot()
        self._assert_refused(
            lot,
            lambda: lot.with_user(self.stock_user).write({"is_blocked": False}),
            "only through its Block and Unblock actions",
        )
        self.assertEqual((lot.is_blocked, lot.block_reason), (True, "recall"))

    def test_a_manager_cannot_unblock_a_lot_without_signing(self):
        lot = self._blocked_lot()
        self._assert_refused(
            lot,
            lambda: lot.with_user(self.manager).write(
                {"is_blocked": False, "block_reason": False, "unblocked_date": fields.Datetime.now()}
            ),
            "only through its Block and Unblock actions",
        )
        self.assertFalse(self._audit_rows(lot, "lot_unblock"))

    def test_a_clerk_cannot_block_a_lot_by_writing_it(self):
        lot = self._create_lot(self.syringe, 200, quantity=10)
        self._assert_refused(
            lot,
            lambda: lot.with_user(self.stock_user).write({"is_blocked": True, "block_reason": "quality"}),
            "only through its Block and Unblock actions",
        )
        self.assertFalse(lot.is_blocked)

    def test_no_block_field_is_written_directly_by_anyone(self):
        lot = self._blocked_lot()
        values = {
            "is_blocked": False,
            "block_reason": "other",
            "block_note": "Nothing wrong",
            "blocked_by_id": self.stock_user.id,
            "blocked_date": fields.Datetime.now() - timedelta(days=400),
            # A release date in the future would keep the nightly job from ever blocking the lot again.
            "unblocked_date": fields.Datetime.now() + timedelta(days=3650),
        }
        self.assertEqual(set(values), BLOCK_FIELDS)
        for user in (self.stock_user, self.manager, self.env.ref("base.user_admin")):
            for name, value in values.items():
                with self.subTest(user=user.login, field=name):
                    self._assert_refused(lot, partial(lot.with_user(user).write, {name: value}))
        with self.subTest(user="superuser"):
            self._assert_refused(lot, lambda: lot.sudo().write({"is_blocked": False}))

    def test_an_import_cannot_unblock_a_lot(self):
        lot = self._blocked_lot()
        before = self._control(lot)
        result = (
            self.env["stock.lot"]
            .with_user(self.manager)
            .with_context(import_file=True)
            .load([".id", "is_blocked"], [[str(lot.id), "0"]])
        )
        self.assertFalse(result["ids"])
        self.assertIn("only through its Block and Unblock actions", result["messages"][0]["message"])
        self.assertEqual(self._control(lot), before)

    def test_a_lot_is_never_created_blocked_or_with_a_level(self):
        Lot = self.env["stock.lot"].with_user(self.stock_user)
        vals = {"name": "SYR-NEW", "product_id": self.syringe.id}
        for name, value in (("is_blocked", True), ("blocked_by_id", self.manager.id)):
            with self.subTest(field=name), self.assertRaises(UserError):
                Lot.create({**vals, name: value})
        with self.assertRaises(UserError):
            Lot.create({**vals, "expiry_rule_id": False})
        self.assertFalse(self.env["stock.lot"].search([("name", "=", "SYR-NEW")]))

    def test_context_defaults_never_set_a_control_field(self):
        lot = (
            self.env["stock.lot"]
            .with_user(self.stock_user)
            .with_context(
                default_expiry_state="ok",
                default_days_to_expiry=500,
                default_unblocked_date=fields.Datetime.to_string(fields.Datetime.now() + timedelta(days=999)),
            )
            .create(
                {
                    "name": "SYR-DEFAULTS",
                    "product_id": self.syringe.id,
                    "expiration_date": fields.Datetime.now() - timedelta(days=3),
                }
            )
        )
        self.assertEqual(lot.expiry_state, "expired")
        self.assertLess(lot.days_to_expiry, 0)
        self.assertFalse(lot.unblocked_date)

    def test_a_manager_blocks_through_the_wizard_and_it_is_logged(self):
        lot = self._create_lot(self.syringe, 200, quantity=10)
        self.env["medical.lot.block.wizard"].with_user(self.manager).create(
            {"lot_ids": [(6, 0, lot.ids)], "reason": "quality", "note": "Wet cartons"}
        ).action_block()
        self.assertEqual(
            (lot.is_blocked, lot.block_reason, lot.blocked_by_id), (True, "quality", self.manager)
        )
        row = self._audit_rows(lot, "lot_block")
        self.assertEqual((row.user_id, row.reason), (self.manager, "Wet cartons"))

    def test_a_manager_unblocks_with_a_signature_and_it_is_logged(self):
        lot = self._blocked_lot()
        self._signed(self.manager, lot, "lot_unblock", reason="Supplier withdrew the recall")._unblock()
        self.assertFalse(lot.is_blocked)
        self.assertFalse(lot.blocked_by_id)
        self.assertTrue(lot.unblocked_date)
        row = self._audit_rows(lot, "lot_unblock")
        self.assertEqual(row.signature_id.user_id, self.manager)
        self.assertEqual(row.reason, "Supplier withdrew the recall")

    def test_the_nightly_job_blocks_expired_lots_and_logs_it(self):
        lot = self._create_lot(self.syringe, -2, quantity=10)
        self.env["stock.lot"]._cron_refresh_expiry()
        self.assertEqual((lot.is_blocked, lot.block_reason), (True, "expired"))
        self.assertEqual(len(self._audit_rows(lot, "lot_block")), 1)

    # ------------------------------------------------------------------
    # Level: set only by the level computation
    # ------------------------------------------------------------------
    def test_a_clerk_cannot_clear_the_level_to_ship_a_lot(self):
        lot = self._create_lot(self.syringe, 10, quantity=10, name="SYR-SHORT")
        self.assertEqual(lot.expiry_rule_id, self.level_block)
        self._assert_refused(
            lot,
            lambda: lot.with_user(self.stock_user).write({"expiry_rule_id": False}),
            "computed from its expiration date and the rule library",
        )
        picking = self._create_picking(self.syringe, 5).with_user(self.stock_user)
        self._set_lines(picking, (lot, 5))
        with self.assertRaises(UserError) as error:
            picking.button_validate()
        self.assertIn("which blocks shipping", str(error.exception))
        self.assertNotEqual(picking.state, "done")
        self.assertEqual(lot.product_qty, 10)

    def test_no_level_field_is_written_by_anyone(self):
        lot = self._create_lot(self.syringe, -3, quantity=10)
        values = {
            "expiry_state": "ok",
            "days_to_expiry": 200,
            "expiry_rule_id": False,
            # A far-away next change would keep the nightly job from ever re-levelling the lot.
            "expiry_level_until": fields.Date.today() + timedelta(days=3650),
            # An old change would keep the alert job from looking at the lot's product again.
            "expiry_level_changed_at": fields.Datetime.now() - timedelta(days=3650),
            "outbound_policy": "allow",
        }
        self.assertEqual(set(values), LOT_LEVEL_FIELDS)
        for user in (self.stock_user, self.manager):
            for name, value in values.items():
                with self.subTest(user=user.login, field=name):
                    self._assert_refused(lot, partial(lot.with_user(user).write, {name: value}))
        with self.subTest(user="superuser"):
            self._assert_refused(lot, lambda: lot.sudo().write({"expiry_state": "ok"}))
        self.assertEqual(lot.expiry_state, "expired")

    # ------------------------------------------------------------------
    # Expiration date: a person signs, whatever the context says
    # ------------------------------------------------------------------
    def test_an_import_context_does_not_spare_the_signature(self):
        lot = self._create_lot(self.syringe, 10, quantity=10)
        later = lot.expiration_date + timedelta(days=400)
        for user in (self.stock_user, self.manager):
            with self.subTest(user=user.login):
                self._assert_refused(
                    lot,
                    partial(
                        lot.with_user(user).with_context(import_file=True).write, {"expiration_date": later}
                    ),
                    "needs your electronic signature",
                )
        self.assertEqual(lot.expiry_rule_id, self.level_block)

    def test_changing_the_product_cannot_reset_the_expiration_date(self):
        # product_expiry computes a lot's date from its product again: a new product would mean a new date.
        lot = self._create_lot(self.syringe, 10, name="SYR-RELABEL")
        self.strips.expiration_time = 3650
        self._assert_refused(
            lot,
            partial(lot.with_user(self.stock_user).write, {"product_id": self.strips.id}),
            "SYR-RELABEL",
        )
        self.assertEqual(lot.product_id, self.syringe)

    def test_odoo_import_cannot_change_an_expiration_date(self):
        lot = self._create_lot(self.syringe, 10, quantity=10)
        before = self._control(lot)
        result = (
            self.env["stock.lot"]
            .with_user(self.manager)
            .with_context(import_file=True)
            .load([".id", "expiration_date"], [[str(lot.id), "2031-12-31 15:59:59"]])
        )
        self.assertFalse(result["ids"])
        self.assertIn("needs your electronic signature", result["messages"][0]["message"])
        self.assertEqual(self._control(lot), before)

    def test_the_lot_import_creates_dated_lots_unsigned_and_logs_them(self):
        expires = fields.Date.today() + timedelta(days=600)
        self.env["medical.lot.import.wizard"].with_user(self.manager).create(
            {
                "file": self._lot_file([self.syringe, "SYR-HIST", expires, 5]),
                "filename": "history.csv",
                "mode": "all_or_nothing",
            }
        ).action_run()
        lot = self.env["stock.lot"].search([("name", "=", "SYR-HIST")])
        self.assertEqual(lot.expiration_date.date(), expires)
        self.assertEqual(self._audit_rows(lot, "import").user_id, self.manager)

    def test_the_lot_import_refuses_to_change_a_known_date(self):
        lot = self._create_lot(self.syringe, 300, quantity=10, name="SYR-KNOWN")
        wizard = (
            self.env["medical.lot.import.wizard"]
            .with_user(self.manager)
            .create(
                {
                    "file": self._lot_file(
                        [self.syringe, "SYR-KNOWN", fields.Date.today() + timedelta(days=900), 5]
                    ),
                    "filename": "corrections.csv",
                    "mode": "all_or_nothing",
                }
            )
        )
        self._assert_refused(lot, wizard.action_run, "SYR-KNOWN", "exists with expiration date")

    def test_system_code_changes_dates_unsigned_and_logged(self):
        lot = self._create_lot(self.syringe, 300)
        new_date = lot.expiration_date - timedelta(days=30)
        lot.write({"expiration_date": new_date})
        self.assertEqual(lot.expiration_date, new_date)
        row = self._audit_rows(lot, "expiry_date_change")
        self.assertFalse(row.signature_id)
        self.assertEqual(row.user_id, self.env.ref("base.user_root"))

    def _lot_file(self, *rows):
        """A historical lot file (base64 CSV) of (product, lot, expiration date, quantity) rows."""
        output = io.StringIO()
        writer = csv.writer(output)
        writer.writerow(["product", "lot", "expiration_date", "quantity", "location"])
        for product, lot, expires, quantity in rows:
            writer.writerow([product.default_code, lot, str(expires), quantity, self.stock.complete_name])
        return base64.b64encode(output.getvalue().encode())
