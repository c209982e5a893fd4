from contextlib import contextmanager

from markupsafe import escape

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL
from odoo.tools.mail import generate_tracking_message_id
from odoo.tools.sql import column_exists, create_column

from .context_keys import AUDIT_REASON, IMPORT_FILE
from .medical_signed_mixin import SignedAction
from .stock_lot_expiry_level import LOT_LEVEL_FIELDS

BLOCK_REASONS = [
    ("expired", "Expired"),
    ("recall", "Recall"),
    ("quality", "Quality"),
    ("other", "Other"),
]
# The fields of a lot's block, set only by _block (expiry managers, logged) and _unblock (signed, logged):
# with LOT_LEVEL_FIELDS, the fields that carry control, never written through write() or create().
BLOCK_FIELDS = frozenset(
    {"is_blocked", "block_reason", "block_note", "blocked_by_id", "blocked_date", "unblocked_date"}
)
# Cursor cache key of the lots whose block fields _block or _unblock is writing at this moment.
BLOCK_WRITE_KEY = "medical_expiry.lots_in_block_write"


class StockLot(models.Model):
    _name = "stock.lot"
    _inherit = ["stock.lot", "medical.expiry.alert.mixin", "medical.signed.mixin", "medical.retention.mixin"]

    def _signed_actions(self):
        return {
            "lot_unblock": SignedAction(
                self.env._("Unblock Lot"),
                self.env._("Lot Unblocked"),
                "_unblock",
                "medical_expiry.group_expiry_manager",
            ),
            "expiry_date_change": SignedAction(
                self.env._("Change Expiration Date"),
                self.env._("Expiration Date Change"),
                "_change_expiration_date",
                "medical_expiry.group_expiry_manager",
                wizard="medical.lot.expiry.wizard",
            ),
        }

    expiration_date = fields.Datetime(tracking=True)
    # Stored for reports over every lot and quant: grouping by month of expiry is then a date_trunc of a
    # column, not a time-zone conversion per row.
    expiry_date_local = fields.Date(
        string="Expires On",
        compute="_compute_expiry_date_local",
        store=True,
        help="有效期至: the calendar date of the expiration date in the expiry time zone of the lot's "
        "company.",
    )
    production_date = fields.Date(help="生产日期, printed on vouchers next to the expiration date.")
    sterilisation_lot = fields.Char(
        help="灭菌批号 of a sterile device: read from its UDI at receipt (MA carriers) or imported; printed "
        "on vouchers and recall notices.",
    )
    medical_sterile = fields.Boolean(related="product_id.medical_sterile")
    is_blocked = fields.Boolean(string="Blocked", readonly=True, copy=False, tracking=True, index=True)
    block_reason = fields.Selection(BLOCK_REASONS, readonly=True, copy=False, tracking=True)
    block_note = fields.Text(readonly=True, copy=False)
    blocked_by_id = fields.Many2one("res.users", readonly=True, copy=False)
    blocked_date = fields.Datetime(string="Blocked On", readonly=True, copy=False)
    unblocked_date = fields.Datetime(
        string="Last Unblocked On",
        readonly=True,
        copy=False,
        help="A lot a manager unblocked after it expired is not blocked again by the nightly job.",
    )

    # ------------------------------------------------------------------
    # Expiry dates are calendar dates
    # ------------------------------------------------------------------
    @api.depends("expiration_date", "company_id.expiry_tz")
    def _compute_expiry_date_local(self):
        for lot in self:
            lot.expiry_date_local = lot.company_id._expiry_date_of(lot.expiration_date)

    def _auto_init(self):
        """On install, the stored calendar date of existing lots is set in one statement: the ORM would
        compute it one lot at a time (stock.quant's copy of it likewise)."""
        self._fill_expiry_date_local_column(self._table, "id")
        return super()._auto_init()

    @api.model
    def _fill_expiry_date_local_column(self, table, lot_column):
        """Create and fill ``table``'s expiry_date_local column unless it exists: the calendar date of the
        expiration date of the lot in ``lot_column`` ("id" for the lot table itself)."""
        cr = self.env.cr
        if column_exists(cr, table, "expiry_date_local"):
            return
        create_column(cr, table, "expiry_date_local", "date")
        cr.execute(
            SQL(
                """
                UPDATE %(table)s target SET expiry_date_local = %(local_date)s
                  FROM stock_lot lot
                  JOIN res_company company ON company.id = COALESCE(lot.company_id, %(company)s)
                 WHERE lot.id = target.%(lot)s AND lot.expiration_date IS NOT NULL
                """,
                table=SQL.identifier(table),
                lot=SQL.identifier(lot_column),
                local_date=self.env["res.company"]._expiry_local_date_sql(
                    SQL("lot.expiration_date"), time_zone=SQL("company.expiry_tz")
                ),
                company=self.env.company.id,
            )
        )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self.browse()._check_control_fields_untouched(vals)
            self._store_expiry_as_calendar_date(vals)
        return super().create(vals_list)

    @api.model
    def _store_expiry_as_calendar_date(self, vals):
        """Store a medical device's 有效期至 as the last second of its day in the company's time zone.

        Whatever time a scan, an import or a date picker sends, the lot then expires when the day D ends
        where the company works, and Odoo's own "expiration date <= now" checks agree with it.
        """
        if not vals.get("expiration_date"):
            return
        product = self.env["product.product"].browse(vals.get("product_id")) or self[:1].product_id
        if not product.medical_device_class:
            return
        company = self.env["res.company"].browse(vals.get("company_id")) or self[:1].company_id
        moment = fields.Datetime.to_datetime(vals["expiration_date"])
        vals["expiration_date"] = company._expiry_datetime_of(company._expiry_date_of(moment))

    # ------------------------------------------------------------------
    # Fields that carry control: each changes only through its own method
    # ------------------------------------------------------------------
    @api.model
    def default_get(self, fields_list):
        """A new lot starts unblocked, at the level its date gives: no default, from context or
        ir.default, may set a control field."""
        defaults = super().default_get(fields_list)
        for name in LOT_LEVEL_FIELDS | BLOCK_FIELDS:
            defaults.pop(name, None)
        return defaults

    def write(self, vals):
        """Control fields are refused; a changed expiration date is signed by a person, and logged."""
        if not self:
            return super().write(vals)
        self._check_control_fields_untouched(vals)
        if "expiration_date" not in vals:
            return super().write(vals)
        self._store_expiry_as_calendar_date(vals)
        new_date = fields.Datetime.to_datetime(vals["expiration_date"])
        changed = self.filtered(lambda lot: lot.expiration_date != new_date)
        # Superuser code (data files, system jobs) changes dates unsigned, still logged; a person signs.
        signature = (
            changed._spend_signature("expiry_date_change") if changed else self.env["medical.signature"]
        )
        old = {lot.id: {"expiration_date": lot.expiration_date} for lot in changed}
        res = super().write(vals)
        unsigned_reason = self.env.context.get(AUDIT_REASON) or (
            self.env._("import") if self.env.context.get(IMPORT_FILE) else self.env._("direct write")
        )
        changed._log_signed_action(
            "expiry_date_change",
            signature,
            old_values=old,
            new_values={lot.id: {"expiration_date": lot.expiration_date} for lot in changed},
            unsigned_reason=unsigned_reason,
        )
        return res

    def _check_control_fields_untouched(self, vals):
        """Refuse, whoever calls, a write of the level, of the block outside ``_block``/``_unblock`` (on
        no lots: a lot is never created blocked), or of a product that would give a lot another date."""
        level = LOT_LEVEL_FIELDS.intersection(vals)
        if level:
            raise UserError(
                self.env._(
                    "The expiry level of a lot (%(fields)s) is computed from its expiration date and the "
                    "rule library: it cannot be written.",
                    fields=self._field_labels(level),
                )
            )
        blocking = BLOCK_FIELDS.intersection(vals)
        if blocking and not (self and set(self.ids) <= self.env.cr.cache.get(BLOCK_WRITE_KEY, frozenset())):
            raise UserError(
                self.env._(
                    "The block of a lot (%(fields)s) changes only through its Block and Unblock actions: an "
                    "expiry manager blocks, and signs to unblock. It cannot be written directly.",
                    fields=self._field_labels(blocking),
                )
            )
        # product_expiry computes the date of a lot of another product again, outside write().
        relabelled = "product_id" in vals and self.filtered(
            lambda lot: lot.expiration_date and lot.product_id.id != vals["product_id"]
        )
        if relabelled:
            raise UserError(
                self.env._(
                    "Lots %(lots)s have an expiration date given for their product: another product would "
                    "give them another date. Create a lot of the other product instead.",
                    lots=", ".join(relabelled.mapped("name")),
                )
            )

    def _field_labels(self, names):
        return ", ".join(sorted(self._fields[name]._description_string(self.env) for name in names))

    def action_change_expiration_date(self):
        return self._action_request_signature("expiry_date_change")

    def _change_expiration_date(self, expiry_date):
        """Give the lots 有效期至 ``expiry_date`` (a calendar date of their company)."""
        if not expiry_date:
            raise UserError(self.env._("Enter the new expiration date."))
        company = self.company_id[:1]._expiry_calendar()
        self.write({"expiration_date": company._expiry_datetime_of(fields.Date.to_date(expiry_date))})

    def action_view_audit_log(self):
        return self.env["medical.audit.log"]._action_view_for(self)

    # ------------------------------------------------------------------
    # Daily job
    # ------------------------------------------------------------------
    @api.model
    def _cron_refresh_expiry(self, levelled_at=None, autocommit=False):
        """Nightly: re-level the lots whose level changes today, then block the expired ones nobody has
        knowingly released.

        ``autocommit`` (the cron): the levels are committed first. Blocking lots whose rows this transaction
        has just written makes PostgreSQL check each of their foreign keys again, thousands of lots on a
        first night; and a run killed in between leaves expired lots unblocked, which the next one blocks.
        """
        self._refresh_expiry_levels(due_only=True, levelled_at=levelled_at)
        self._commit_batch(autocommit)
        # With what the block's audit rows read (the name, the company) rather than every column.
        expired = self.search_fetch(
            [("expiry_state", "=", "expired"), ("is_blocked", "=", False)],
            ["unblocked_date", "expiration_date", "name", "company_id"],
        )
        self._block_expired_lots(
            expired.filtered(lambda lot: not lot.unblocked_date or lot.unblocked_date < lot.expiration_date)
        )

    # ------------------------------------------------------------------
    # Blocking
    # ------------------------------------------------------------------
    def _check_expiry_manager(self):
        self.env["res.users"]._check_expiry_manager(self.env._("Block or Unblock Lots"))

    @contextmanager
    def _writing_block_fields(self):
        """Open the block fields of these lots to the write of ``_block``/``_unblock``, for its duration.

        Kept in the cursor's cache, out of any caller's reach: no context key or value opens them.
        """
        cache = self.env.cr.cache
        previous = cache.get(BLOCK_WRITE_KEY, frozenset())
        cache[BLOCK_WRITE_KEY] = previous | frozenset(self.ids)
        try:
            yield
        finally:
            cache[BLOCK_WRITE_KEY] = previous

    def _block(self, reason, note=False):
        self._check_expiry_manager()
        with self._writing_block_fields():
            self.write(self._block_values(reason, note))
        self._log_block(reason, note)

    @api.model
    def _block_expired_lots(self, lots):
        """Block ``lots``, found expired by the nightly job, all at once: one UPDATE, the chatter notes
        and the audit rows in batch, as ``_block`` would for each lot (without its field tracking).

        Called once per run with every lot the job blocks as expired: the place to extend (``super()``)
        for what must follow an expiry, such as registering the stock as non-conforming goods.
        """
        if not lots:
            return
        self._check_expiry_manager()
        # Written once for the audit log and the chatter: in the company's language, for its inspectors.
        company_lang = self.with_context(lang=self.env.company._expiry_lang())
        note = company_lang.env._("Blocked by the daily expiry job: the lot has expired.")
        self.env.flush_all()
        values = lots._block_values("expired", note)
        self.env.cr.execute(
            SQL(
                "UPDATE stock_lot SET %s, write_uid = %s, write_date = %s WHERE id = ANY(%s)",
                SQL(", ").join(SQL("%s = %s", SQL.identifier(name), value) for name, value in values.items()),
                self.env.uid,
                self.env.cr.now(),
                lots.ids,
            )
        )
        lots.invalidate_recordset([*values, "write_uid", "write_date"])
        lots._log_block("expired", note, in_bulk=True)

    def _block_values(self, reason, note):
        """The block fields of a lot blocked now by the current user for ``reason``."""
        return {
            "is_blocked": True,
            "block_reason": reason,
            "block_note": note,
            "blocked_by_id": self.env.user.id,
            "blocked_date": fields.Datetime.now(),
        }

    def _log_block(self, reason, note, in_bulk=False):
        """The chatter note and the audit row of a block; ``in_bulk``: for thousands of lots, the notes and
        the rows are each inserted in one statement."""
        if note:
            if in_bulk:
                self._message_log_note_in_bulk(note)
            else:
                self._message_log_batch(bodies=dict.fromkeys(self.ids, note))
        Log = self.env["medical.audit.log"]
        (Log._log_batch if in_bulk else Log._log)(
            self, "lot_block", new_values=dict.fromkeys(self.ids, {"block_reason": reason}), reason=note
        )

    def _message_log_note_in_bulk(self, note):
        """``_message_log_batch`` of one note on thousands of lots (the nightly job's blocks): the same
        mail.message rows, inserted in one statement instead of one ORM create per message. Returns them."""
        if not self:
            return self.env["mail.message"]
        Message = self.env["mail.message"]
        author_id, email_from = self._message_compute_author(raise_on_email=False)
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO mail_message (
                    model, res_id, body, message_type, is_internal, subtype_id, author_id, email_from,
                    reply_to, message_id, email_add_signature, date,
                    create_uid, write_uid, create_date, write_date)
                SELECT %(model)s, res_id, %(body)s, 'notification', TRUE, %(subtype)s, %(author)s,
                       %(email_from)s, %(reply_to)s, %(message_id)s, FALSE, %(date)s,
                       %(uid)s, %(uid)s, %(now)s, %(now)s
                  FROM unnest(%(ids)s::int[]) AS res_id
             RETURNING id
                """,
                model=self._name,
                ids=self.ids,
                # Sanitised once, as the ORM would sanitise each message's body.
                body=Message._fields["body"].convert_to_column(escape(note), Message),
                subtype=self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_note"),
                author=author_id,
                email_from=email_from,
                reply_to=self.env["mail.thread"]._notify_get_reply_to(default=email_from)[False],
                message_id=generate_tracking_message_id("message-notify"),
                date=fields.Datetime.now(),
                uid=self.env.uid,
                now=self.env.cr.now(),
            )
        )
        messages = Message.browse(message_id for (message_id,) in self.env.cr.fetchall())
        # No column of the lots changed: what has no column (their chatter, and what is computed from it) is
        # read again.
        self.invalidate_recordset([name for name, field in self._fields.items() if not field.column_type])
        return messages

    def action_block(self):
        self._check_expiry_manager()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Block Lots"),
            "res_model": "medical.lot.block.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_lot_ids": self.ids},
        }

    def action_unblock(self):
        self._check_expiry_manager()
        return self._action_request_signature("lot_unblock")

    def _unblock(self):
        """Release blocked lots; a person signs it (21 CFR Part 11), and the release is logged."""
        self._check_expiry_manager()
        signature = self._spend_signature("lot_unblock")
        old = {lot.id: {"block_reason": lot.block_reason} for lot in self}
        with self._writing_block_fields():
            self.write(
                {
                    "is_blocked": False,
                    "block_reason": False,
                    "block_note": False,
                    "blocked_by_id": False,
                    "blocked_date": False,
                    "unblocked_date": fields.Datetime.now(),
                }
            )
        self._log_signed_action("lot_unblock", signature, old_values=old)

    # ------------------------------------------------------------------
    # Origin
    # ------------------------------------------------------------------
    @api.model
    def _first_supplier_receipt_sql(self, lot_id_sql):
        """SQL of at most one row: how the lot whose id is ``lot_id_sql`` first came from a supplier.

        Columns line_id (the done move line), supplier_id (the commercial partner of its transfer or
        move), purchase_id and receipt_id. The one definition of "the lot's supplier", for the recall
        trace and the workbench.
        """
        return SQL(
            """
            SELECT line.id AS line_id, partner.commercial_partner_id AS supplier_id,
                   purchase_line.order_id AS purchase_id, line.picking_id AS receipt_id
              FROM stock_move_line line
              JOIN stock_location source ON source.id = line.location_id AND source.usage = 'supplier'
              JOIN stock_move move ON move.id = line.move_id
         LEFT JOIN stock_picking picking ON picking.id = line.picking_id
         LEFT JOIN res_partner partner ON partner.id = COALESCE(picking.partner_id, move.partner_id)
         LEFT JOIN purchase_order_line purchase_line ON purchase_line.id = move.purchase_line_id
             WHERE line.lot_id = %s AND line.state = 'done'
          ORDER BY line.date, line.id
             LIMIT 1
            """,
            lot_id_sql,
        )

    def _first_supplier_receipt_line(self):
        """The done move line of the first receipt from a supplier that brought this lot in."""
        if not self:
            return self.env["stock.move.line"]
        self.ensure_one()
        self.env.flush_all()
        self.env.cr.execute(self._first_supplier_receipt_sql(self.id))
        return self.env["stock.move.line"].browse(line_id for line_id, *_origin in self.env.cr.fetchall())

    def _retention_ends(self):
        """A lot that ever moved is kept from its expiry, or from its last move without one; a lot that
        never moved records nothing yet."""
        last_moves = dict(
            self.env["stock.move.line"]._read_group(
                [("lot_id", "in", self.ids), ("state", "=", "done")], ["lot_id"], ["date:max"]
            )
        )
        return {
            lot: self._retention_end_of(
                lot.product_id,
                lot.company_id._expiry_date_of(lot.expiration_date),
                lot.company_id._expiry_date_of(last_moves[lot]),
            )
            for lot in self
            if lot in last_moves
        }
