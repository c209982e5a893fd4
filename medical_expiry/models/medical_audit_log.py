import hashlib
import json

from odoo import api, fields, models
from odoo.tools import SQL

from odoo.addons.base.models.ir_sequence import _update_nogap

from .context_keys import AUDIT_RECORD

# The row content the hash covers, in a fixed order: a reader can recompute it from the table alone.
HASHED_COLUMNS = [
    "sequence",
    "timestamp",
    "user_id",
    "model",
    "res_id",
    "record_name",
    "action",
    "old_values",
    "new_values",
    "reason",
    "signature_id",
]
GENESIS_HASH = "0" * 64
VERIFY_BATCH_SIZE = 5000


class MedicalAuditLog(models.Model):
    """Append-only, hash-chained audit trail (GSP, 21 CFR Part 11).

    Every row carries the SHA-256 of the previous row's hash and of its own content, so changing or
    removing a row breaks the chain from that row on; rows are numbered by a gap-free sequence, so
    removing the newest rows leaves the chain short of the sequence's next number. The ORM refuses writes
    and deletes, and so does a trigger in the database, for every user including the administrator
    (``medical.append.only.mixin``).
    """

    _name = "medical.audit.log"
    _inherit = ["medical.append.only.mixin"]
    _description = "Audit Log"
    _order = "sequence desc"
    _rec_name = "sequence"

    sequence = fields.Integer(required=True, readonly=True, index=True)
    timestamp = fields.Datetime(required=True, readonly=True, index=True)
    user_id = fields.Many2one("res.users", required=True, readonly=True, ondelete="restrict")
    model = fields.Char(required=True, readonly=True, index=True)
    res_id = fields.Integer(string="Record ID", readonly=True, index=True)
    record_name = fields.Char(string="Record", readonly=True)
    record_ref = fields.Reference(
        selection="_selection_record_ref", string="Document", compute="_compute_record_ref"
    )
    action = fields.Selection(selection="_selection_action", required=True, readonly=True, index=True)
    old_values = fields.Text(readonly=True, help="JSON of the values before the change.")
    new_values = fields.Text(readonly=True, help="JSON of the values after the change.")
    reason = fields.Text(readonly=True)
    signature_id = fields.Many2one(
        "medical.signature", readonly=True, ondelete="restrict", index="btree_not_null"
    )
    # No default: the rows written before there were companies keep none (their hash does not cover one).
    company_id = fields.Many2one("res.company", readonly=True, index=True)
    prev_hash = fields.Char(string="Previous Hash", required=True, readonly=True)
    hash = fields.Char(required=True, readonly=True)
    change_summary = fields.Text(string="Change (Old → New)", compute="_compute_change_summary")

    _sql_constraints = [
        ("sequence_unique", "UNIQUE(sequence)", "Two audit rows cannot share a sequence number."),
    ]

    @api.model
    def _selection_action(self):
        """The actions logged: those not signed, then each signed action as its model declares it."""
        unsigned = [
            ("lot_block", self.env._("Lot Blocked")),
            ("recall_state", self.env._("Recall State Change")),
            ("guard_override", self.env._("Guard Override")),
            ("return_override", self.env._("Return Override")),
            ("qualification_revoke", self.env._("Qualification Revoked")),
            ("first_business_reopen", self.env._("First-Business Approval Reopened")),
            ("nonconforming_report", self.env._("Non-Conforming Goods Reported")),
            ("nonconforming_cancel", self.env._("Non-Conforming Goods Cancelled")),
            ("nonconforming_returned", self.env._("Non-Conforming Goods Returned to Supplier")),
            ("nonconforming_reopen", self.env._("Non-Conforming Goods Reopened")),
            ("nonconforming_backorder", self.env._("Non-Conforming Goods Moved to Backorder")),
            ("nonconforming_recall_return", self.env._("Non-Conforming Goods Returned by a Recall")),
            ("import", self.env._("Import")),
            ("signature", self.env._("Signature")),
            ("signature_failed", self.env._("Failed Signature")),
        ]
        signed = self.env["medical.signature"]._signed_action_declarations()
        return unsigned + [(code, action.logged_as) for code, action in signed.items()]

    @api.model
    def _selection_record_ref(self):
        return [(model.model, model.name) for model in self.env["ir.model"].sudo().search([])]

    @api.depends("model", "res_id")
    def _compute_record_ref(self):
        for row in self:
            exists = row.model in self.env and row.res_id and self.env[row.model].browse(row.res_id).exists()
            row.record_ref = f"{row.model},{row.res_id}" if exists else False

    @api.depends("old_values", "new_values")
    def _compute_change_summary(self):
        """One “field: old → new” line per changed field, from the JSON the row keeps."""

        def text(values, name):
            return "—" if values.get(name) is None else str(values[name])

        for row in self:
            old, new = json.loads(row.old_values or "{}"), json.loads(row.new_values or "{}")
            row.change_summary = (
                "\n".join(
                    f"{name}: {text(old, name)} → {text(new, name)}"
                    for name in sorted(old.keys() | new.keys())
                )
                or False
            )

    @api.depends("sequence", "action", "record_name")
    def _compute_display_name(self):
        actions = dict(self._fields["action"]._description_selection(self.env))
        for row in self:
            row.display_name = (
                f"#{row.sequence} {actions.get(row.action, '')} {row.record_name or ''}".strip()
            )

    # ------------------------------------------------------------------
    # The one way rows are written
    # ------------------------------------------------------------------
    @api.model
    def _log(self, records, action, old_values=None, new_values=None, reason=None, signature=None):
        """Append one row per record; ``old_values``/``new_values`` map record ids to dicts."""
        return self._create_append_only(
            self._chained_rows(records, action, old_values, new_values, reason, signature)
        )

    @api.model
    def _log_batch(self, records, action, old_values=None, new_values=None, reason=None, signature=None):
        """``_log`` for thousands of records (the nightly job's blocks): the same rows, chained the same
        way, inserted in one statement instead of through the ORM's create."""
        rows = self._chained_rows(records, action, old_values, new_values, reason, signature)
        if not rows:
            return self.browse()
        columns = [*HASHED_COLUMNS, "company_id", "prev_hash", "hash"]
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO medical_audit_log (%s, create_uid, write_uid, create_date, write_date)
                SELECT *, %s, %s, %s, %s FROM unnest(%s)
                RETURNING id
                """,
                SQL(", ").join(SQL.identifier(column) for column in columns),
                self.env.uid,
                self.env.uid,
                self.env.cr.now(),
                self.env.cr.now(),
                SQL(", ").join(
                    SQL(
                        "%s::%s",
                        [row[column] or None for row in rows],
                        SQL(self._fields[column].column_type[1] + "[]"),
                    )
                    for column in columns
                ),
            )
        )
        logged = self.browse(row_id for (row_id,) in self.env.cr.fetchall())
        self.invalidate_model()
        return logged

    @api.model
    def _chained_rows(self, records, action, old_values, new_values, reason, signature):
        """The values of the rows of ``_log``, one per record, numbered and hash-chained.

        Numbers come from a gap-free sequence whose row lock serialises writers, so two transactions
        can never chain onto the same predecessor.
        """
        if not records:
            return []
        sequence = self.env.ref("medical_expiry.seq_medical_audit_log").sudo()
        first = _update_nogap(sequence, len(records))
        self.env.cr.execute(
            "SELECT hash FROM medical_audit_log WHERE sequence = %s",
            [first - 1],
        )
        previous = self.env.cr.fetchone()
        prev_hash = previous[0] if previous else GENESIS_HASH
        timestamp = fields.Datetime.now()
        vals_list = []
        for offset, record in enumerate(records):
            vals = {
                "sequence": first + offset,
                "timestamp": timestamp,
                "user_id": self.env.uid,
                "model": record._name,
                "res_id": record.id,
                "record_name": record.display_name,
                "action": action,
                "old_values": self._canonical((old_values or {}).get(record.id)),
                "new_values": self._canonical((new_values or {}).get(record.id)),
                "reason": reason or False,
                "signature_id": signature.id if signature else False,
                "company_id": self._company_of(record).id,
                "prev_hash": prev_hash,
            }
            vals["hash"] = prev_hash = self._row_hash(vals)
            vals_list.append(vals)
        return vals_list

    @api.model
    def _company_of(self, records):
        """The company an audit row or a signature about ``records`` belongs to: the one company the
        records have, else the user's current company."""
        company = records.company_id if "company_id" in records._fields else None
        return (
            company if company and len(company) == 1 and company._name == "res.company" else self.env.company
        )

    @api.model
    def _canonical(self, values):
        if not values:
            return False
        return json.dumps(values, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":"))

    @api.model
    def _row_hash(self, vals):
        """SHA-256 over the previous hash and the row's canonical content."""
        content = {
            column: fields.Datetime.to_string(vals[column]) if column == "timestamp" else vals[column] or None
            for column in HASHED_COLUMNS
        }
        # Covered once set, left out when empty: rows from before companies keep the hash they were given.
        if vals.get("company_id"):
            content["company_id"] = vals["company_id"]
        payload = vals["prev_hash"] + self._canonical(content)
        return hashlib.sha256(payload.encode()).hexdigest()

    # ------------------------------------------------------------------
    # Verification
    # ------------------------------------------------------------------
    @api.model
    def _verify_chain(self):
        """(number of rows checked, first broken row or an empty recordset, numbers missing at the end),
        read straight from the table.

        The numbers missing at the end are the (first, last) numbers the gap-free sequence gave out after
        the newest row there is (its newest rows were removed), or None when the chain reaches the
        sequence's last number: the chain proves it is complete at both ends, its start by the genesis
        hash, its end by the sequence, which ``_log`` advances in the same transaction as it appends.
        """
        self.env.flush_all()
        prev_hash, expected_sequence, checked = GENESIS_HASH, None, 0
        columns = SQL(", ").join(
            SQL.identifier(column) for column in [*HASHED_COLUMNS, "company_id", "prev_hash", "hash", "id"]
        )
        last = 0
        while True:
            self.env.cr.execute(
                SQL(
                    "SELECT %s FROM medical_audit_log WHERE sequence > %s ORDER BY sequence LIMIT %s",
                    columns,
                    last,
                    VERIFY_BATCH_SIZE,
                )
            )
            rows = self.env.cr.dictfetchall()
            if not rows:
                return checked, self.browse(), self._missing_at_end(last)
            for row in rows:
                broken = (
                    (expected_sequence is not None and row["sequence"] != expected_sequence)
                    or row["prev_hash"] != prev_hash
                    or self._row_hash(row) != row["hash"]
                )
                if broken:
                    return checked, self.browse(row["id"]), None
                prev_hash, expected_sequence, last = row["hash"], row["sequence"] + 1, row["sequence"]
                checked += 1

    @api.model
    def _missing_at_end(self, last_sequence):
        """(first, last) numbers given out after ``last_sequence``, the newest row's, or None if none was."""
        self.env.cr.execute(
            "SELECT number_next - 1 FROM ir_sequence WHERE id = %s",
            [self.env.ref("medical_expiry.seq_medical_audit_log").id],
        )
        last_given = self.env.cr.fetchone()[0]
        if last_given == last_sequence:
            return None
        return last_sequence + 1, last_given

    @api.model
    def _chain_status(self):
        """(verdict in words, whether the chain is broken) of a verification of the chain."""
        checked, broken, missing = self._verify_chain()
        if broken:
            broken = broken.sudo()
            message = self.env._(
                "Audit chain broken at row #%(sequence)s (%(row)s): it was changed or a row before it was "
                "removed. %(checked)s rows before it are intact.",
                sequence=broken.sequence,
                row=broken.display_name,
                checked=checked,
            )
        elif missing and missing[0] <= missing[1]:
            message = self.env._(
                "Audit chain broken at its end: rows #%(first)s to #%(last)s were written and are gone. "
                "The %(checked)s rows before them are intact.",
                first=missing[0],
                last=missing[1],
                checked=checked,
            )
        elif missing:
            message = self.env._(
                "Audit chain broken at its end: the audit sequence was set back to #%(last)s, before the "
                "newest row #%(newest)s.",
                last=missing[1],
                newest=missing[0] - 1,
            )
        else:
            message = self.env._("Audit chain OK: %s rows verified.", checked)
        return message, bool(broken or missing)

    def action_verify_chain(self):
        self.env["res.users"]._check_expiry_compliance(self.env._("Verify the Audit Chain"))
        message, broken = self.sudo()._chain_status()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"message": message, "type": "danger" if broken else "success", "sticky": bool(broken)},
        }

    @api.model
    def _action_view_for(self, records):
        """The audit trail of ``records``, oldest first."""
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Audit Trail"),
            "res_model": self._name,
            "view_mode": "list,form",
            "domain": [("model", "=", records._name), ("res_id", "in", records.ids)],
            # The audit extract of a single record's trail opens on that record.
            "context": {
                "create": False,
                AUDIT_RECORD: len(records) == 1 and [records._name, records.id],
            },
        }

    def action_open_audit_extract(self):
        """The audit extract wizard, set on the record whose trail is shown, if any."""
        model, res_id = self.env.context.get(AUDIT_RECORD) or (False, False)
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Audit Log Extract"),
            "res_model": "medical.audit.extract.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_record_model": model, "default_record_id": res_id},
        }
