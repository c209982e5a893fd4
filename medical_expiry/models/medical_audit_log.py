import hashlib
import json

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from odoo.addons.base.models.ir_sequence import _update_nogap

AUDIT_ACTIONS = [
    ("expiry_date_change", "Expiration Date Change"),
    ("lot_block", "Lot Blocked"),
    ("lot_unblock", "Lot Unblocked"),
    ("rule_create", "Rule Created"),
    ("rule_change", "Rule Changed"),
    ("rule_delete", "Rule Deleted"),
    ("recall_state", "Recall State Change"),
    ("recall_close", "Recall Closed"),
    ("scrap_expired", "Expired Stock Scrapped"),
    ("quarantine_release", "Release from Quarantine"),
    ("guard_override", "Guard Override"),
    ("return_override", "Return Override"),
    ("qualification_revoke", "Qualification Revoked"),
    ("import", "Import"),
    ("signature", "Signature"),
    ("signature_failed", "Failed Signature"),
]
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
    removing a row breaks the chain from that row on. The ORM refuses writes and deletes, and so does a
    trigger in the database, for every user including the administrator.
    """

    _name = "medical.audit.log"
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
    action = fields.Selection(AUDIT_ACTIONS, required=True, readonly=True, index=True)
    old_values = fields.Text(readonly=True, help="JSON of the values before the change.")
    new_values = fields.Text(readonly=True, help="JSON of the values after the change.")
    reason = fields.Text(readonly=True)
    signature_id = fields.Many2one(
        "medical.signature", readonly=True, ondelete="restrict", index="btree_not_null"
    )
    prev_hash = fields.Char(string="Previous Hash", required=True, readonly=True)
    hash = fields.Char(required=True, readonly=True)
    change_summary = fields.Text(string="Change (Old → New)", compute="_compute_change_summary")

    _sql_constraints = [
        ("sequence_unique", "UNIQUE(sequence)", "Two audit rows cannot share a sequence number."),
    ]

    def init(self):
        """Refuse UPDATE, DELETE and TRUNCATE in the database itself, whoever connects."""
        self._install_append_only_trigger(self._table)

    @api.model
    def _install_append_only_trigger(self, table):
        self.env.cr.execute(
            """
            CREATE OR REPLACE FUNCTION medical_expiry_refuse_change() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
                    USING ERRCODE = 'insufficient_privilege';
            END;
            $$ LANGUAGE plpgsql
            """
        )
        for name, event, level in (
            ("append_only", "UPDATE OR DELETE", "ROW"),
            ("no_truncate", "TRUNCATE", "STATEMENT"),
        ):
            trigger = SQL.identifier(f"{table}_{name}")
            self.env.cr.execute(SQL("DROP TRIGGER IF EXISTS %s ON %s", trigger, SQL.identifier(table)))
            self.env.cr.execute(
                SQL(
                    "CREATE TRIGGER %s BEFORE %s ON %s FOR EACH %s"
                    " EXECUTE FUNCTION medical_expiry_refuse_change()",
                    trigger,
                    SQL(event),
                    SQL.identifier(table),
                    SQL(level),
                )
            )

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
    # Append-only
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        self.check_access("create")
        if not self.env.context.get("medical_audit_log_append"):
            raise UserError(self.env._("Audit rows are written by the application only."))
        return super().create(vals_list)

    def write(self, vals):  # pylint: disable=method-required-super
        raise UserError(self.env._("The audit log is append-only: its rows cannot be changed."))

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(self.env._("The audit log is append-only: its rows cannot be deleted."))

    # ------------------------------------------------------------------
    # The one way rows are written
    # ------------------------------------------------------------------
    @api.model
    def _log(self, records, action, old_values=None, new_values=None, reason=None, signature=None):
        """Append one row per record; ``old_values``/``new_values`` map record ids to dicts.

        Numbers come from a gap-free sequence whose row lock serialises writers, so two transactions
        can never chain onto the same predecessor.
        """
        if not records:
            return self.browse()
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
                "prev_hash": prev_hash,
            }
            vals["hash"] = prev_hash = self._row_hash(vals)
            vals_list.append(vals)
        return self.sudo().with_context(medical_audit_log_append=True).create(vals_list)

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
        payload = vals["prev_hash"] + self._canonical(content)
        return hashlib.sha256(payload.encode()).hexdigest()

    # ------------------------------------------------------------------
    # Verification
    # ------------------------------------------------------------------
    @api.model
    def _verify_chain(self):
        """(number of rows checked, first broken row or an empty recordset), read straight from the table."""
        self.env.flush_all()
        prev_hash, expected_sequence, checked = GENESIS_HASH, None, 0
        columns = SQL(", ").join(
            SQL.identifier(column) for column in [*HASHED_COLUMNS, "prev_hash", "hash", "id"]
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
                return checked, self.browse()
            for row in rows:
                broken = (
                    (expected_sequence is not None and row["sequence"] != expected_sequence)
                    or row["prev_hash"] != prev_hash
                    or self._row_hash(row) != row["hash"]
                )
                if broken:
                    return checked, self.browse(row["id"])
                prev_hash, expected_sequence, last = row["hash"], row["sequence"] + 1, row["sequence"]
                checked += 1

    @api.model
    def _chain_status(self):
        """(verdict in words, first broken row or an empty recordset) of a verification of the chain."""
        checked, broken = self._verify_chain()
        if broken:
            message = self.env._(
                "Audit chain broken at row #%(sequence)s (%(row)s): it was changed or a row before it was "
                "removed. %(checked)s rows before it are intact.",
                sequence=broken.sequence,
                row=broken.display_name,
                checked=checked,
            )
        else:
            message = self.env._("Audit chain OK: %s rows verified.", checked)
        return message, broken

    def action_verify_chain(self):
        if not self.env.user.has_group("medical_expiry.group_expiry_compliance"):
            raise UserError(self.env._("Only compliance officers can verify the audit chain."))
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
                "medical_audit_record": len(records) == 1 and [records._name, records.id],
            },
        }

    def action_open_audit_extract(self):
        """The audit extract wizard, set on the record whose trail is shown, if any."""
        model, res_id = self.env.context.get("medical_audit_record") or (False, False)
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Audit Log Extract"),
            "res_model": "medical.audit.extract.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_record_model": model, "default_record_id": res_id},
        }
