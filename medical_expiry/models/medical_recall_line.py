from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, float_compare

LINE_TYPES = [
    ("on_hand", "On Hand"),
    ("reserved", "Reserved for Delivery"),
    ("in_transit", "In Transit"),
    ("delivered", "Delivered"),
]
RESOLUTIONS = [("destroyed", "Destroyed"), ("written_off", "Written Off")]
# The columns the trace fills, with their SQL array types, in the order of ``_create_traced``.
TRACED_COLUMNS = [
    ("recall_id", "int[]"),
    ("line_type", "varchar[]"),
    ("lot_id", "int[]"),
    ("product_id", "int[]"),
    ("location_id", "int[]"),
    ("warehouse_id", "int[]"),
    ("partner_id", "int[]"),
    ("picking_id", "int[]"),
    ("date", "timestamp[]"),
    ("supplier_id", "int[]"),
    ("purchase_id", "int[]"),
    ("receipt_id", "int[]"),
    ("quantity", "numeric[]"),
    ("qty_recovered", "numeric[]"),
]


class MedicalRecallLine(models.Model):
    """Where some units of a recalled lot were when the recall was traced, and what became of them.

    Stock is counted per lot and location, reservations per open delivery, deliveries per customer and
    delivery; every line carries its lot's supplier, purchase order and receipt. A serial number is a lot
    of its own, so each serial gets its own lines.
    """

    _name = "medical.recall.line"
    _description = "Recall Affected Unit"
    _order = "recall_id, id"
    _rec_name = "lot_id"

    recall_id = fields.Many2one(
        "medical.recall", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one(related="recall_id.company_id", store=True)
    recall_state = fields.Selection(related="recall_id.state", string="Recall Status")
    line_type = fields.Selection(LINE_TYPES, string="Where", required=True, readonly=True, index=True)
    lot_id = fields.Many2one("stock.lot", string="Lot/Serial", required=True, readonly=True, index=True)
    product_id = fields.Many2one("product.product", required=True, readonly=True)
    product_uom_id = fields.Many2one(related="product_id.uom_id", string="Unit")
    expiration_date = fields.Datetime(related="lot_id.expiration_date")
    location_id = fields.Many2one("stock.location", readonly=True)
    warehouse_id = fields.Many2one("stock.warehouse", readonly=True)
    partner_id = fields.Many2one(
        "res.partner", string="Customer", readonly=True, index="btree_not_null", help="The customer company."
    )
    picking_id = fields.Many2one(
        "stock.picking",
        string="Transfer",
        readonly=True,
        help="The delivery that shipped the units, the open delivery reserving them, or the transfer "
        "bringing them from transit.",
    )
    date = fields.Datetime(string="Delivered On", readonly=True)
    supplier_id = fields.Many2one("res.partner", readonly=True)
    purchase_id = fields.Many2one("purchase.order", readonly=True)
    receipt_id = fields.Many2one("stock.picking", readonly=True)
    notice_id = fields.Many2one("medical.recall.notice", readonly=True, index="btree_not_null")
    quantity = fields.Float(digits="Product Unit of Measure", readonly=True)
    qty_recovered = fields.Float(
        string="Recovered",
        digits="Product Unit of Measure",
        readonly=True,
        help="Delivered units the customer returned, or stock taken to quarantine, since the recall opened.",
    )
    qty_destroyed = fields.Float(string="Destroyed", digits="Product Unit of Measure", readonly=True)
    qty_written_off = fields.Float(string="Written Off", digits="Product Unit of Measure", readonly=True)
    qty_open = fields.Float(
        string="Open", digits="Product Unit of Measure", compute="_compute_resolution", store=True
    )
    is_resolved = fields.Boolean(string="Resolved", compute="_compute_resolution", store=True, index=True)
    resolution_note = fields.Text(readonly=True, help="Why units were destroyed or written off, and by whom.")

    @api.depends("quantity", "qty_recovered", "qty_destroyed", "qty_written_off")
    def _compute_resolution(self):
        for line in self:
            done = line.qty_recovered + line.qty_destroyed + line.qty_written_off
            rounding = line.product_id.uom_id.rounding or 0.01
            line.qty_open = max(line.quantity - done, 0.0)
            line.is_resolved = float_compare(done, line.quantity, precision_rounding=rounding) >= 0

    @api.model
    def _create_traced(self, vals_list):
        """Insert the lines a trace found, in one statement; returns nothing.

        A recall of a lot shipped for years has tens of thousands of lines: created through the ORM they
        take seconds (a precision lookup per value, a recompute per line), inserted set-based a fraction
        of it. They are plain facts: their computed columns (company, open quantity, resolved) are set
        here, and the recalls' totals are recomputed from them.
        """
        if not vals_list:
            return
        recalls = self.env["medical.recall"].browse({vals["recall_id"] for vals in vals_list})
        self.env.flush_all()
        arrays = [
            SQL("%s::" + sql_type, [vals.get(column) or None for vals in vals_list])
            for column, sql_type in TRACED_COLUMNS
        ]
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO medical_recall_line (%(columns)s, company_id, qty_destroyed, qty_written_off,
                                                 qty_open, is_resolved, create_uid, create_date, write_uid,
                                                 write_date)
                SELECT traced.*, recall.company_id, 0, 0,
                       GREATEST(traced.quantity - COALESCE(traced.qty_recovered, 0), 0),
                       COALESCE(traced.qty_recovered, 0) >= traced.quantity,
                       %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM unnest(%(arrays)s) AS traced(%(columns)s)
                  JOIN medical_recall recall ON recall.id = traced.recall_id
                """,
                columns=SQL(", ").join(SQL.identifier(column) for column, _type in TRACED_COLUMNS),
                arrays=SQL(", ").join(arrays),
                uid=self.env.uid,
                now=self.env.cr.now(),
            )
        )
        self.invalidate_model()
        recalls.invalidate_recordset(["line_ids"])
        recalls.modified(["line_ids"])

    def _describe_location(self):
        """Where the units are, in words: the customer and delivery, or the location."""
        if self.line_type == "delivered":
            return " ".join(
                filter(
                    None,
                    [self.partner_id.display_name or self.env._("unknown customer"), self.picking_id.name],
                )
            )
        return " ".join(filter(None, [self.location_id.display_name, self.picking_id.name]))

    def _describe_open_quantity(self):
        types = dict(self._fields["line_type"]._description_selection(self.env))
        return self.env._(
            "%(type)s, lot %(lot)s of %(product)s, %(where)s: %(open)s %(uom)s open",
            type=types[self.line_type],
            lot=self.lot_id.name,
            product=self.product_id.display_name,
            where=self._describe_location(),
            open=self.qty_open,
            uom=self.product_uom_id.name,
        )

    def _resolve(self, resolution, reason):
        """Close the open quantity of these lines as destroyed or written off; a write-off says why."""
        if resolution not in dict(RESOLUTIONS):
            raise UserError(self.env._("Choose whether the units were destroyed or written off."))
        if resolution == "written_off" and not (reason or "").strip():
            raise UserError(self.env._("Say why the units are written off."))
        if any(line.recall_id.state != "in_progress" for line in self):
            raise UserError(self.env._("Only the lines of an open recall can be resolved."))
        lines = self.filtered(lambda line: not line.is_resolved)
        if not lines:
            raise UserError(self.env._("These lines are already resolved."))
        self.check_access("write")
        field = "qty_destroyed" if resolution == "destroyed" else "qty_written_off"
        # The note stays on the lines and in the recall's chatter: in the company's language.
        company_env = self.with_context(lang=self.company_id[:1]._expiry_lang()).env
        labels = dict(self._fields["line_type"]._description_selection(company_env))
        if resolution == "destroyed":
            note = company_env._(
                "Destroyed, recorded by %(user)s: %(reason)s", user=self.env.user.name, reason=reason or ""
            )
        else:
            note = company_env._(
                "Written off by %(user)s: %(reason)s", user=self.env.user.name, reason=reason
            )
        for line in lines:
            line.write(
                {
                    field: line[field] + line.qty_open,
                    "resolution_note": "\n".join(filter(None, [line.resolution_note, note])),
                }
            )
        for recall in lines.recall_id:
            items = Markup("").join(
                Markup("<li>%s</li>")
                % company_env._(
                    "%(type)s, lot %(lot)s, %(where)s: %(qty)s",
                    type=labels[line.line_type],
                    lot=line.lot_id.name,
                    where=line.with_env(company_env)._describe_location(),
                    qty=line[field],
                )
                for line in lines
                if line.recall_id == recall
            )
            recall.message_post(body=Markup("<p>%s</p><ul>%s</ul>") % (note, items))

    def action_resolve(self):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Resolve Recall Lines"),
            "res_model": "medical.recall.resolve.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_line_ids": self.filtered(lambda line: not line.is_resolved).ids},
        }

    @api.model
    def _xlsx_columns(self):
        """The header of the lines' XLSX export: (title, width) of each cell of ``_xlsx_row``."""
        return [
            (self.env._("Type"), 16),
            (self.env._("Product"), 30),
            (self.env._("Lot/Serial"), 18),
            (self.env._("Expiration Date"), 16),
            (self.env._("Warehouse"), 14),
            (self.env._("Location"), 26),
            (self.env._("Customer"), 28),
            (self.env._("Transfer"), 18),
            (self.env._("Date"), 18),
            (self.env._("Supplier"), 24),
            (self.env._("Purchase Order"), 16),
            (self.env._("Receipt"), 18),
            (self.env._("Quantity"), 10),
            (self.env._("Recovered"), 10),
            (self.env._("Destroyed"), 10),
            (self.env._("Written Off"), 10),
            (self.env._("Open"), 10),
            (self.env._("Resolution Note"), 40),
        ]

    def _xlsx_row(self):
        types = dict(self._fields["line_type"]._description_selection(self.env))
        return [
            types[self.line_type],
            self.product_id.display_name,
            self.lot_id.name,
            self.lot_id.company_id._expiry_calendar()._expiry_date_of(self.expiration_date) or None,
            self.warehouse_id.name or None,
            self.location_id.display_name or None,
            self.partner_id.display_name or None,
            self.picking_id.name or None,
            self.date or None,
            self.supplier_id.display_name or None,
            self.purchase_id.name or None,
            self.receipt_id.name or None,
            self.quantity,
            self.qty_recovered,
            self.qty_destroyed,
            self.qty_written_off,
            self.qty_open,
            self.resolution_note or None,
        ]
