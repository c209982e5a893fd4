import re

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import MedicalExpiryCase

NOTE = "Blocked by the daily expiry job: the lot has expired."
# Columns a note is told apart by: its row, the random part of its Message-Id, and when it was written.
UNCOMPARED = {"id", "res_id", "message_id", "date"}
AUDITED = ["model", "record_name", "action", "old_values", "new_values", "reason", "user_id", "company_id"]


@tagged("post_install", "-at_install")
class TestNightlyBlock(MedicalExpiryCase):
    """The nightly job blocks every expired lot at once; the result is what blocking each one would give."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Lot = cls.env["stock.lot"]
        cls.Log = cls.env["medical.audit.log"]

    def _expired_lots(self, prefix):
        return self.Lot.concat(
            *(
                self._create_lot(product, -days, name=f"{prefix}-{index}", quantity=2)
                for index, (product, days) in enumerate(
                    ((self.syringe, 1), (self.strips, 3), (self.syringe, 40))
                )
            )
        )

    def _state(self, lots):
        lots.invalidate_recordset()
        return [
            (lot.is_blocked, lot.block_reason, lot.block_note, lot.blocked_by_id, bool(lot.blocked_date))
            for lot in lots
        ]

    def _notes(self, lots):
        return [lot.message_ids.filtered(lambda message: NOTE in message.body).mapped("body") for lot in lots]

    def _audit(self, lots):
        rows = self._audit_rows(lots, "lot_block").sorted("sequence")
        return [
            [
                getattr(row, name) if name not in ("record_name",) else row.record_name.split("-")[1]
                for name in AUDITED
            ]
            for row in rows
        ]

    def test_batch_block_gives_what_blocking_one_by_one_gives(self):
        batch, single = self._expired_lots("BATCH"), self._expired_lots("SINGLE")
        self.Lot._block_expired_lots(batch)
        for lot in single:
            lot._block("expired", NOTE)
        self.assertEqual(self._state(batch), self._state(single))
        self.assertEqual(self._state(batch)[0][:3], (True, "expired", NOTE))
        self.assertEqual(self._notes(batch), self._notes(single))
        self.assertTrue(all(len(notes) == 1 for notes in self._notes(batch)), "one note per lot")
        self.assertEqual(self._audit(batch), self._audit(single))
        self.assertEqual(len(self._audit(batch)), 3)
        checked, broken, missing = self.Log._verify_chain()
        self.assertFalse(broken, "the rows written in one statement keep the chain")
        self.assertIsNone(missing)
        self.assertGreaterEqual(checked, 6)

    def test_batch_audit_rows_chain_like_single_rows(self):
        lots = self._expired_lots("CHAIN")
        batch = self.Log._log_batch(lots, "lot_block", new_values={lots[0].id: {"block_reason": "expired"}})
        after = self.Log._log(lots[0], "lot_block", reason="after the batch")
        rows = (batch | after).sorted("sequence")
        self.assertEqual(rows.mapped("res_id"), [*lots.ids, lots[0].id])
        for previous, row in zip(rows, rows[1:], strict=False):
            self.assertEqual(row.sequence, previous.sequence + 1)
            self.assertEqual(row.prev_hash, previous.hash)
        self.assertEqual(batch[0].create_uid, self.env.user)
        self.assertIn('"block_reason":"expired"', batch[0].new_values)
        self.assertFalse(self.Log._verify_chain()[1])

    def test_nightly_job_blocks_expired_lots_in_one_pass(self):
        lots = self._expired_lots("NIGHT")
        self.Lot._cron_refresh_expiry()
        self.assertEqual(self._state(lots)[2][:3], (True, "expired", NOTE))
        self.assertEqual(len(self._audit(lots)), 3)

    def test_only_expiry_managers_block_expired_lots(self):
        lots = self._expired_lots("REFUSED")
        rows = self.Log.search_count([])
        with self.assertRaises(AccessError):
            self.Lot.with_user(self.stock_user)._block_expired_lots(lots.with_user(self.stock_user))
        self.assertEqual(self._state(lots), [(False, False, False, self.env["res.users"], False)] * 3)
        self.assertEqual(self.Log.search_count([]), rows)

    def _message_rows(self, messages):
        self.env.flush_all()
        self.env.cr.execute("SELECT * FROM mail_message WHERE id = ANY(%s) ORDER BY res_id", [messages.ids])
        return self.env.cr.dictfetchall()

    def test_bulk_notes_are_the_rows_message_log_batch_writes(self):
        lots = self._expired_lots("NOTES")
        orm = self._message_rows(lots._message_log_batch(bodies=dict.fromkeys(lots.ids, NOTE)))
        bulk = self._message_rows(lots._message_log_note_in_bulk(NOTE))
        self.assertEqual([row["res_id"] for row in bulk], sorted(lots.ids), "one note per lot")
        self.assertEqual([row["res_id"] for row in orm], [row["res_id"] for row in bulk])
        for orm_row, bulk_row in zip(orm, bulk, strict=True):
            self.assertEqual(
                {column: value for column, value in bulk_row.items() if column not in UNCOMPARED},
                {column: value for column, value in orm_row.items() if column not in UNCOMPARED},
            )
            # Message-Ids are random; both are the batch's "message-notify" one.
            self.assertEqual(
                re.sub(r"^<[0-9.]+-", "<", bulk_row["message_id"]),
                re.sub(r"^<[0-9.]+-", "<", orm_row["message_id"]),
            )
            self.assertLessEqual(abs(bulk_row["date"] - orm_row["date"]).total_seconds(), 60)
            self.assertLessEqual(bulk_row["date"], fields.Datetime.now())
        self.assertIn(NOTE, bulk[0]["body"])
        self.assertEqual(bulk[0]["message_type"], "notification")
        self.assertEqual(bulk[0]["subtype_id"], self.env.ref("mail.mt_note").id)

    def test_bulk_notes_show_in_the_chatter_read_before(self):
        lots = self._expired_lots("CACHED")
        before = {lot: lot.message_ids for lot in lots}
        messages = lots._message_log_note_in_bulk(NOTE)
        for lot in lots:
            new = lot.message_ids - before[lot]
            self.assertEqual(new, messages.filtered(lambda message, lot=lot: message.res_id == lot.id))
            self.assertEqual(len(new), 1)
            self.assertIn(NOTE, new.body)

    def test_bulk_notes_escape_the_note(self):
        lot = self._expired_lots("ESCAPED")[:1]
        message = lot._message_log_note_in_bulk("<script>alert(1)</script> & co")
        self.assertNotIn("<script>", message.body)
        self.assertIn("&lt;script&gt;", message.body)

    def test_a_run_killed_between_levels_and_blocks_is_completed_by_the_next(self):
        lots = self._expired_lots("KILLED")
        # The cron commits the levels before it blocks: a run killed in between leaves them levelled only.
        self.Lot._refresh_expiry_levels(due_only=True)
        self.assertEqual(set(lots.mapped("expiry_state")), {"expired"})
        self.assertEqual(self._state(lots)[0][:2], (False, False))
        self.Lot._cron_expiry_alerts()
        self.assertEqual([state[:3] for state in self._state(lots)], [(True, "expired", NOTE)] * 3)
        self.assertEqual([len(notes) for notes in self._notes(lots)], [1, 1, 1])
        self.assertEqual(len(self._audit(lots)), 3)
