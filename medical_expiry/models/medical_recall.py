from collections import defaultdict
from datetime import timedelta

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, float_compare, format_datetime

from .context_keys import AUDIT_REASON
from .medical_signed_mixin import SignedAction

RECALL_CLASSES = [
    ("class_1", "Class I Recall"),
    ("class_2", "Class II Recall"),
    ("class_3", "Class III Recall"),
]
RECALL_SOURCES = [
    ("manufacturer", "Manufacturer Notice"),
    ("regulator", "Regulator Notice"),
    ("internal", "Internal Quality Finding"),
]
RECALL_STATES = [
    ("draft", "Draft"),
    ("in_progress", "In Progress"),
    ("closed", "Closed"),
    ("cancelled", "Cancelled"),
]
# Open lines named one by one in the error refusing to close a recall; the rest are counted.
CLOSE_ERROR_LINES = 20


class MedicalRecall(models.Model):
    """A recall of medical-device lots (医疗器械召回): every affected unit traced, blocked, notified and
    recovered.

    Confirming it traces the lots once more, blocks them, takes their stock to quarantine, prepares one
    notice and one return per customer and the return to the supplier; closing it is signed and needs
    every traced unit resolved.
    """

    _name = "medical.recall"
    _description = "Medical Device Recall"
    _inherit = ["mail.thread", "mail.activity.mixin", "medical.signed.mixin"]
    _order = "id desc"

    def _signed_actions(self):
        return {
            "recall_close": SignedAction(
                self.env._("Close Recall"),
                self.env._("Recall Closed"),
                "_close",
                "medical_expiry.group_expiry_compliance",
            ),
        }

    name = fields.Char(string="Reference", required=True, readonly=True, copy=False, default="/")
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    state = fields.Selection(
        RECALL_STATES, required=True, default="draft", readonly=True, copy=False, tracking=True
    )
    recall_class = fields.Selection(
        RECALL_CLASSES,
        required=True,
        tracking=True,
        help="Class I: use may cause or has caused serious harm to health; class II: temporary or "
        "reversible harm; class III: harm unlikely, recalled all the same. The class sets the notice "
        "deadline.",
    )
    source = fields.Selection(RECALL_SOURCES, required=True, default="manufacturer", tracking=True)
    reason = fields.Text(required=True, help="Why the lots are recalled, as the customers will read it.")
    user_id = fields.Many2one(
        "res.users", string="Responsible", default=lambda self: self.env.user, tracking=True
    )
    lot_ids = fields.Many2many(
        "stock.lot",
        "medical_recall_stock_lot_rel",
        "recall_id",
        "lot_id",
        string="Recalled Lots",
        check_company=True,
    )
    product_ids = fields.Many2many("product.product", string="Products", compute="_compute_product_ids")
    date_open = fields.Datetime(string="Opened On", readonly=True, copy=False, tracking=True)
    notice_deadline = fields.Datetime(
        compute="_compute_notice_deadline",
        store=True,
        help="Every customer must be notified by then: 1, 3 or 7 days after the opening for a class I, II or "
        "III recall (set per company).",
    )
    date_closed = fields.Datetime(string="Closed On", readonly=True, copy=False)
    close_signature_id = fields.Many2one(
        "medical.signature", string="Closing Signature", readonly=True, copy=False
    )
    line_ids = fields.One2many("medical.recall.line", "recall_id", string="Affected Units", readonly=True)
    notice_ids = fields.One2many(
        "medical.recall.notice", "recall_id", string="Customer Notices", readonly=True
    )
    picking_ids = fields.One2many("stock.picking", "recall_id", string="Transfers", readonly=True)
    recovery_baseline = fields.Json(
        readonly=True,
        copy=False,
        help="What had already come back (from customers, to quarantine) when the lots were traced: "
        "progress counts what came back since.",
    )
    line_count = fields.Integer(compute="_compute_counts")
    picking_count = fields.Integer(compute="_compute_counts")
    notice_count = fields.Integer(compute="_compute_counts")
    # Progress, in the units of each product (a recall is about one product, or a few of the same kind).
    qty_affected = fields.Float(
        string="Affected", digits="Product Unit of Measure", compute="_compute_quantities", store=True
    )
    qty_in_stock = fields.Float(
        string="In Stock",
        digits="Product Unit of Measure",
        compute="_compute_quantities",
        store=True,
        help="On hand in the warehouses when traced, reservations of open deliveries included.",
    )
    qty_in_transit = fields.Float(
        string="In Transit", digits="Product Unit of Measure", compute="_compute_quantities", store=True
    )
    qty_shipped = fields.Float(
        string="Shipped",
        digits="Product Unit of Measure",
        compute="_compute_quantities",
        store=True,
        help="Delivered to customers, net of what they returned before the recall.",
    )
    qty_recovered = fields.Float(
        string="Recovered",
        digits="Product Unit of Measure",
        compute="_compute_quantities",
        store=True,
        help="Returned by the customers since the recall opened.",
    )
    qty_quarantined = fields.Float(
        string="Quarantined",
        digits="Product Unit of Measure",
        compute="_compute_quantities",
        store=True,
        help="Stock on hand or in transit taken to quarantine since the recall opened (or already there).",
    )
    qty_destroyed = fields.Float(
        string="Destroyed", digits="Product Unit of Measure", compute="_compute_quantities", store=True
    )
    qty_written_off = fields.Float(
        string="Written Off", digits="Product Unit of Measure", compute="_compute_quantities", store=True
    )
    qty_open = fields.Float(
        string="Open", digits="Product Unit of Measure", compute="_compute_quantities", store=True
    )
    open_line_count = fields.Integer(string="Open Lines", compute="_compute_quantities", store=True)
    recovery_rate = fields.Float(
        compute="_compute_quantities",
        store=True,
        aggregator="avg",
        help="Share of the quantity shipped to customers that they returned.",
    )
    notice_sent_count = fields.Integer(string="Notices Sent", compute="_compute_notice_kpis", store=True)
    notice_late_count = fields.Integer(string="Notices Late", compute="_compute_notice_kpis", store=True)
    notices_complete = fields.Boolean(string="All Notices Sent", compute="_compute_notice_kpis", store=True)
    response_time_hours = fields.Float(
        string="Response Time (Hours)",
        compute="_compute_notice_kpis",
        store=True,
        aggregator="avg",
        help="Hours from the opening of the recall to the last customer notice sent, once all are sent.",
    )

    @api.depends("lot_ids")
    def _compute_product_ids(self):
        for recall in self:
            recall.product_ids = recall.lot_ids.product_id

    @api.depends("date_open", "recall_class")
    def _compute_notice_deadline(self):
        # Fixed at the opening: a later change of the company's delays does not move open recalls.
        for recall in self:
            days = recall.recall_class and recall.company_id._recall_notice_days(recall.recall_class)
            recall.notice_deadline = recall.date_open and recall.date_open + timedelta(days=days or 0)

    @api.depends("line_ids", "picking_ids", "notice_ids")
    def _compute_counts(self):
        lines = dict(
            self.env["medical.recall.line"]._read_group(
                [("recall_id", "in", self._origin.ids)], ["recall_id"], ["__count"]
            )
        )
        for recall in self:
            recall.line_count = lines.get(recall._origin, 0)
            recall.picking_count = len(recall.picking_ids)
            recall.notice_count = len(recall.notice_ids)

    @api.depends(
        "line_ids.line_type",
        "line_ids.quantity",
        "line_ids.qty_recovered",
        "line_ids.qty_destroyed",
        "line_ids.qty_written_off",
    )
    def _compute_quantities(self):
        # Grouped in the database: a recall may have tens of thousands of lines.
        totals = defaultdict(lambda: defaultdict(float))
        for recall, line_type, resolved, count, *sums in self.env["medical.recall.line"]._read_group(
            [("recall_id", "in", self._origin.ids)],
            ["recall_id", "line_type", "is_resolved"],
            [
                "__count",
                "quantity:sum",
                "qty_recovered:sum",
                "qty_destroyed:sum",
                "qty_written_off:sum",
                "qty_open:sum",
            ],
        ):
            quantity, recovered, destroyed, written_off, open_quantity = sums
            recall_totals = totals[recall.id]
            recall_totals[line_type] += quantity
            recall_totals["recovered" if line_type == "delivered" else "quarantined"] += recovered
            recall_totals["destroyed"] += destroyed
            recall_totals["written_off"] += written_off
            recall_totals["open"] += open_quantity
            recall_totals["open_lines"] += 0 if resolved else count
        for recall in self:
            recall_totals = totals[recall._origin.id]
            recall.qty_affected = sum(
                recall_totals[kind] for kind in ("on_hand", "reserved", "in_transit", "delivered")
            )
            recall.qty_in_stock = recall_totals["on_hand"] + recall_totals["reserved"]
            recall.qty_in_transit = recall_totals["in_transit"]
            recall.qty_shipped = recall_totals["delivered"]
            recall.qty_recovered = recall_totals["recovered"]
            recall.qty_quarantined = recall_totals["quarantined"]
            recall.qty_destroyed = recall_totals["destroyed"]
            recall.qty_written_off = recall_totals["written_off"]
            recall.qty_open = recall_totals["open"]
            recall.open_line_count = int(recall_totals["open_lines"])
            recall.recovery_rate = (
                recall_totals["recovered"] / recall_totals["delivered"] if recall_totals["delivered"] else 0.0
            )

    @api.depends("date_open", "notice_ids.date_sent", "notice_ids.is_late")
    def _compute_notice_kpis(self):
        for recall in self:
            notices = recall.notice_ids
            sent = notices.filtered("date_sent")
            recall.notice_sent_count = len(sent)
            recall.notice_late_count = len(sent.filtered("is_late"))
            recall.notices_complete = bool(notices) and sent == notices
            last_sent = recall.notices_complete and max(sent.mapped("date_sent"))
            recall.response_time_hours = (
                (last_sent - recall.date_open).total_seconds() / 3600
                if last_sent and recall.date_open
                else 0.0
            )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                company = self.env["res.company"].browse(vals.get("company_id")) or self.env.company
                vals["name"] = self.env["ir.sequence"].with_company(company).next_by_code("medical.recall")
        return super().create(vals_list)

    # ------------------------------------------------------------------
    # Opening, from the wizard
    # ------------------------------------------------------------------
    @api.model
    def _product_lots(self, product, date_from=False, date_to=False, date_field="expiration_date"):
        """The lots of ``product`` whose ``date_field`` (expiration or creation date) falls in the range."""
        domain = [("product_id", "=", product.id)]
        if date_from:
            domain.append((date_field, ">=", fields.Datetime.to_datetime(date_from)))
        if date_to:
            domain.append((date_field, "<", fields.Datetime.to_datetime(date_to) + timedelta(days=1)))
        return self.env["stock.lot"].search(domain)

    @api.model
    def _create_product_recall(
        self, vals, product, date_from=False, date_to=False, date_field="expiration_date"
    ):
        """A draft recall of the lots of ``product`` in the date range (see ``_product_lots``), traced."""
        if not product:
            raise UserError(self.env._("Choose the product to recall."))
        lots = self._product_lots(product, date_from, date_to, date_field)
        if not lots:
            raise UserError(
                self.env._(
                    "A recall needs at least one lot: no lot of %(product)s matches the range.",
                    product=product.display_name,
                )
            )
        return self._create_recall(vals, lots)

    @api.model
    def _create_recall(self, vals, lots):
        """A draft recall of ``lots``, traced: what the recall wizard makes."""
        if not lots:
            raise UserError(self.env._("A recall needs at least one lot: select the lots to recall."))
        recall = self.create({**vals, "lot_ids": [Command.set(lots.ids)]})
        recall._trace()
        return recall

    # ------------------------------------------------------------------
    # Trace
    # ------------------------------------------------------------------
    def action_trace(self):
        for recall in self:
            recall._check_state("draft")
            recall._trace()

    def _trace(self):
        """Replace the recall's lines by what the trace finds now."""
        self.ensure_one()
        self._check_has_lots()
        self.line_ids.unlink()
        self.env["medical.recall.line"]._create_traced(self._trace_affected_units())
        self.recovery_baseline = {
            _baseline_key(*key[1:]): quantity for key, quantity in self._came_back().items()
        }

    def _trace_affected_units(self):
        """Every unit of the recalled lots, wherever it is now: the values of the recall's lines.

        The one trace of the recall, set-based: stock on hand and in transit from the quants (Odoo's sum
        of the done move lines), reservations of open deliveries from their move lines, deliveries from
        the done move lines to customers net of what each customer sent back, and each lot's supplier
        from its first receipt. A handful of queries, however many move lines the lots have.
        """
        self.ensure_one()
        self.env.flush_all()
        lot_ids = self.lot_ids.ids
        origins = self._trace_origins(lot_ids)
        reservations = defaultdict(float)
        reserved_at = defaultdict(float)
        for line in self._open_delivery_lines():
            key = (line.lot_id.id, line.location_id.id)
            reservations[key + (line.picking_id.id,)] += line.quantity_product_uom
            reserved_at[key] += line.quantity_product_uom
        vals_list = []
        in_transit = {}

        def add(line_type, lot_id, product_id, quantity, **vals):
            vals_list.append(
                {
                    "recall_id": self.id,
                    "line_type": line_type,
                    "lot_id": lot_id,
                    "product_id": product_id,
                    "quantity": quantity,
                    **origins.get(lot_id, {}),
                    **vals,
                }
            )

        self.env.cr.execute(
            SQL(
                """
                SELECT quant.lot_id, quant.product_id, quant.location_id, location.warehouse_id,
                       location.usage, location.is_quarantine IS TRUE, SUM(quant.quantity)
                  FROM stock_quant quant
                  JOIN stock_location location ON location.id = quant.location_id
                 WHERE quant.lot_id = ANY(%s) AND location.usage IN ('internal', 'transit')
              GROUP BY quant.lot_id, quant.product_id, quant.location_id, location.warehouse_id,
                       location.usage, location.is_quarantine
                HAVING SUM(quant.quantity) > 0
              ORDER BY location.warehouse_id, quant.location_id, quant.lot_id
                """,
                lot_ids,
            )
        )
        for (
            lot_id,
            product_id,
            location_id,
            warehouse_id,
            usage,
            quarantined,
            quantity,
        ) in self.env.cr.fetchall():
            where = {"location_id": location_id, "warehouse_id": warehouse_id}
            if usage == "transit":
                in_transit[lot_id, location_id] = (product_id, warehouse_id, quantity)
                continue
            on_hand = quantity - reserved_at.get((lot_id, location_id), 0.0)
            if on_hand > 0:
                # Stock already in quarantine is under control: recovered from the start.
                add(
                    "on_hand",
                    lot_id,
                    product_id,
                    on_hand,
                    qty_recovered=on_hand if quarantined else 0.0,
                    **where,
                )
        arrivals = self._transit_arrivals({key: quantity for key, (*_rest, quantity) in in_transit.items()})
        for (lot_id, location_id, picking_id), quantity in arrivals.items():
            product_id, warehouse_id, _total = in_transit[lot_id, location_id]
            add(
                "in_transit",
                lot_id,
                product_id,
                quantity,
                picking_id=picking_id,
                location_id=location_id,
                warehouse_id=warehouse_id,
            )
        pickings = self.env["stock.picking"].browse({picking_id for _lot, _loc, picking_id in reservations})
        partners = {picking.id: picking.partner_id.commercial_partner_id.id for picking in pickings}
        locations = self.env["stock.location"].browse(
            {location_id for _lot, location_id, _pick in reservations}
        )
        warehouses = {location.id: location.warehouse_id.id for location in locations}
        lots = self.env["stock.lot"].browse({lot_id for lot_id, _loc, _pick in reservations})
        products = {lot.id: lot.product_id.id for lot in lots}
        for (lot_id, location_id, picking_id), quantity in reservations.items():
            add(
                "reserved",
                lot_id,
                products[lot_id],
                quantity,
                location_id=location_id,
                warehouse_id=warehouses[location_id],
                picking_id=picking_id,
                partner_id=partners.get(picking_id),
            )
        self.env.cr.execute(self._trace_deliveries_query(lot_ids))
        for (
            lot_id,
            product_id,
            customer_id,
            picking_id,
            warehouse_id,
            date,
            quantity,
        ) in self.env.cr.fetchall():
            add(
                "delivered",
                lot_id,
                product_id,
                quantity,
                partner_id=customer_id,
                picking_id=picking_id,
                warehouse_id=warehouse_id,
                date=date,
            )
        return vals_list

    @api.model
    def _transit_arrivals(self, transit_stock):
        """{(lot id, location id, picking id or False): quantity}: stock in transit ({(lot id, location id):
        quantity}) split over the transfers that will receive it.

        The units a transfer from that location reserved are its own. The rest go to the transfers still
        short of their demand for the product, oldest first: entered before the goods left, they could
        reserve nothing. What no transfer awaits yet is in transit for no one (picking False).
        """
        if not transit_stock:
            return {}
        precision = self.env["decimal.precision"].precision_get("Product Unit of Measure")
        lots = self.env["stock.lot"].browse({lot_id for lot_id, _location in transit_stock})
        moves = self.env["stock.move"].search(
            [
                ("location_id", "in", list({location_id for _lot, location_id in transit_stock})),
                ("product_id", "in", lots.product_id.ids),
                ("state", "not in", ("draft", "done", "cancel")),
            ],
            order="date, id",
        )
        reserved = defaultdict(float)
        for line in moves.move_line_ids.filtered(lambda line: line.lot_id in lots):
            reserved[line.lot_id.id, line.location_id.id, line.picking_id.id] += line.quantity_product_uom
        awaited = {
            move: move.product_qty - sum(move.move_line_ids.mapped("quantity_product_uom")) for move in moves
        }
        arrivals = defaultdict(float)
        for (lot_id, location_id), quantity in transit_stock.items():
            left = quantity
            for (reserved_lot, reserved_location, picking_id), reserved_quantity in reserved.items():
                if (reserved_lot, reserved_location) == (lot_id, location_id):
                    arrivals[lot_id, location_id, picking_id] += min(left, reserved_quantity)
                    left -= min(left, reserved_quantity)
            product = lots.browse(lot_id).product_id
            for move in moves:
                if float_compare(left, 0, precision_digits=precision) <= 0:
                    break
                if move.product_id == product and move.location_id.id == location_id and awaited[move] > 0:
                    part = min(left, awaited[move])
                    awaited[move] -= part
                    left -= part
                    arrivals[lot_id, location_id, move.picking_id.id] += part
            if float_compare(left, 0, precision_digits=precision) > 0:
                arrivals[lot_id, location_id, False] += left
        return {
            key: quantity
            for key, quantity in arrivals.items()
            if float_compare(quantity, 0, precision_digits=precision) > 0
        }

    @api.model
    def _trace_deliveries_query(self, lot_ids):
        """Per customer, delivery and lot: what was delivered, minus what that customer returned.

        A customer's returns of a lot are taken off its latest deliveries first. Customers are commercial
        partners: the hospital, not the ward the delivery went to.
        """
        return SQL(
            """
            WITH moved AS (%(moves)s),
            deliveries AS (
                SELECT lot_id, product_id, customer_id, picking_id, warehouse_id,
                       MAX(date) AS date, SUM(quantity) AS quantity
                  FROM moved
                 WHERE delivered
              GROUP BY lot_id, product_id, customer_id, picking_id, warehouse_id
            ),
            returned AS (
                SELECT lot_id, customer_id, SUM(quantity) AS quantity
                  FROM moved
                 WHERE NOT delivered
              GROUP BY lot_id, customer_id
            ),
            allocated AS (
                SELECT delivery.*,
                       GREATEST(COALESCE(returned.quantity, 0) - (
                           SUM(delivery.quantity) OVER (
                               PARTITION BY delivery.lot_id, delivery.customer_id
                               ORDER BY delivery.date DESC, delivery.picking_id DESC
                               ROWS UNBOUNDED PRECEDING
                           ) - delivery.quantity), 0) AS returned_after
                  FROM deliveries delivery
             LEFT JOIN returned ON returned.lot_id = delivery.lot_id
                   AND returned.customer_id IS NOT DISTINCT FROM delivery.customer_id
            )
            SELECT lot_id, product_id, customer_id, picking_id, warehouse_id, date,
                   quantity - LEAST(quantity, returned_after) AS quantity
              FROM allocated
             WHERE quantity > returned_after
          ORDER BY customer_id, date, picking_id, lot_id
            """,
            moves=self.env["stock.move.line"]._customer_moves_query(lot_ids),
        )

    @api.model
    def _trace_origins(self, lot_ids):
        """{lot id: supplier, purchase order and receipt of its first receipt from a supplier}."""
        self.env.cr.execute(
            SQL(
                "SELECT lot.id, origin.supplier_id, origin.purchase_id, origin.receipt_id"
                "  FROM unnest(%s::int[]) AS lot(id) CROSS JOIN LATERAL (%s) AS origin",
                list(lot_ids),
                self.env["stock.lot"]._first_supplier_receipt_sql(SQL("lot.id")),
            )
        )
        return {
            lot_id: {"supplier_id": supplier_id, "purchase_id": purchase_id, "receipt_id": receipt_id}
            for lot_id, supplier_id, purchase_id, receipt_id in self.env.cr.fetchall()
        }

    def _open_delivery_lines(self):
        """Open move lines reserving the recalled lots on their way out (deliveries, other warehouses)."""
        return (
            self.env["stock.move.line"]
            .search(
                [
                    ("lot_id", "in", self.lot_ids.ids),
                    ("state", "not in", ("done", "cancel")),
                    ("quantity", ">", 0),
                    ("location_id.usage", "=", "internal"),
                ]
            )
            .filtered(lambda line: line._is_outbound_route())
        )

    # ------------------------------------------------------------------
    # Confirmation: block, unreserve, quarantine, notify, recover
    # ------------------------------------------------------------------
    def action_confirm(self):
        self._confirm()
        return True

    def _confirm(self):
        for recall in self:
            recall._check_state("draft")
            recall._check_has_lots()
        self.check_access("write")
        for recall in self:
            recall.date_open = fields.Datetime.now()
            recall._trace()
            recall._set_state("in_progress")
            # Recalls are opened by compliance officers as well as expiry managers: the recall blocks its
            # lots, and moves their stock, on their behalf (each step is logged under their name).
            recall.lot_ids.sudo()._block(
                "recall",
                self.env._("Recall %(recall)s: %(reason)s", recall=recall.name, reason=recall.reason),
            )
            recall = recall.sudo()
            recall._unreserve_open_deliveries()
            recall._redirect_transit_to_quarantine()
            quarantine_moves = recall._create_quarantine_transfers()
            recall._create_customer_notices()
            recall._create_customer_returns()
            recall._create_supplier_returns(quarantine_moves)
            recall._refresh_progress()
            recall.sudo(False)._schedule_notice_activity()

    def _unreserve_open_deliveries(self):
        """Take the recalled lots out of open deliveries, which then reserve other lots if they can."""
        lines = self._open_delivery_lines()
        moves = lines.move_id
        lines.unlink()
        # The outbound guard refuses the recalled lots: what is reserved instead is sellable stock.
        moves.filtered(lambda move: move.state in ("confirmed", "partially_available"))._action_assign()

    def _redirect_transit_to_quarantine(self):
        """Stock in transit of the recalled lots will arrive in the quarantine of the receiving warehouse.

        A receiving transfer that awaits traced units it could not reserve (entered before the goods left)
        is given them first, so that every unit in transit arrives in quarantine.
        """
        precision = self.env["decimal.precision"].precision_get("Product Unit of Measure")
        for traced in self.line_ids.filtered(
            lambda line: (
                line.line_type == "in_transit" and line.picking_id.state not in (False, "done", "cancel")
            )
        ):
            moves = traced.picking_id.move_ids.filtered(
                lambda move, traced=traced: (
                    move.product_id == traced.product_id
                    and move.location_id == traced.location_id
                    and move.state not in ("done", "cancel")
                )
            )
            reserved = sum(
                moves.move_line_ids.filtered(lambda ml, traced=traced: ml.lot_id == traced.lot_id).mapped(
                    "quantity_product_uom"
                )
            )
            missing = traced.quantity - reserved
            if moves and float_compare(missing, 0, precision_digits=precision) > 0:
                move = moves[0]
                self._create_move_lines(
                    move,
                    [
                        {
                            "lot_id": traced.lot_id.id,
                            "quantity": traced.product_id.uom_id._compute_quantity(missing, move.product_uom),
                        }
                    ],
                )
        lines = self.env["stock.move.line"].search(
            [
                ("lot_id", "in", self.lot_ids.ids),
                ("state", "not in", ("done", "cancel")),
                ("location_id.usage", "=", "transit"),
                ("location_dest_id.usage", "=", "internal"),
                ("location_dest_id.is_quarantine", "=", False),
            ]
        )
        for warehouse in lines.location_dest_id.warehouse_id:
            lines.filtered(lambda line, wh=warehouse: line.location_dest_id.warehouse_id == wh).write(
                {"location_dest_id": warehouse._get_quarantine_location().id}
            )

    def _available_stock(self, lines):
        """{(lot, location, package, owner): quantity free to move} of the quants under these lines."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT lot_id, location_id, package_id, owner_id, SUM(quantity - reserved_quantity)
                  FROM stock_quant
                 WHERE lot_id = ANY(%s) AND location_id = ANY(%s)
              GROUP BY lot_id, location_id, package_id, owner_id
                HAVING SUM(quantity - reserved_quantity) > 0
              ORDER BY lot_id, location_id, package_id, owner_id
                """,
                lines.lot_id.ids,
                lines.location_id.ids,
            )
        )
        return {tuple(row[:4]): row[4] for row in self.env.cr.fetchall()}

    def _create_quarantine_transfers(self):
        """One internal transfer per warehouse taking the recalled stock on hand to its quarantine.

        The transfers reserve exactly the recalled lots, and are left for the warehouse to carry out.
        Returns {move: supplier} of their moves, one per location, product and supplier of the lots, for
        the returns to the supplier.
        """
        stock_lines = self.line_ids.filtered(
            lambda line: (
                line.line_type in ("on_hand", "reserved")
                and line.warehouse_id
                and not line.location_id.is_quarantine
            )
        )
        moves = {}
        if not stock_lines:
            return moves
        available = self._available_stock(stock_lines)
        suppliers = {line.lot_id.id: line.supplier_id for line in stock_lines}
        lots = stock_lines.lot_id
        for warehouse in stock_lines.warehouse_id:
            locations = stock_lines.filtered(lambda line, wh=warehouse: line.warehouse_id == wh).location_id
            quarantine = warehouse._get_quarantine_location()
            by_move = defaultdict(list)
            for (lot_id, location_id, package_id, owner_id), quantity in available.items():
                if location_id in locations.ids:
                    lot = lots.browse(lot_id)
                    by_move[location_id, lot.product_id, suppliers[lot_id]].append(
                        (lot, package_id, owner_id, quantity)
                    )
            if not by_move:
                continue
            picking = self._create_transfer(warehouse.int_type_id, warehouse.lot_stock_id, quarantine)
            for (location_id, product, supplier), quants in by_move.items():
                move = self._create_move(
                    picking, product, sum(quantity for *_rest, quantity in quants), location_id=location_id
                )
                self._create_move_lines(
                    move,
                    [
                        {
                            "lot_id": lot.id,
                            "package_id": package_id,
                            "owner_id": owner_id,
                            "quantity": quantity,
                        }
                        for lot, package_id, owner_id, quantity in quants
                    ],
                )
                moves[move] = supplier
            # Unmerged: each move keeps the lots of one supplier, which its supplier return reserves.
            picking.move_ids._action_confirm(merge=False)
        return moves

    def _create_customer_notices(self):
        """One notice per customer who received the recalled lots."""
        line_ids = defaultdict(list)
        for line in self.line_ids:
            if line.line_type == "delivered" and line.partner_id:
                line_ids[line.partner_id.id].append(line.id)
        self.env["medical.recall.notice"].create(
            [
                {"recall_id": self.id, "partner_id": partner_id, "line_ids": [Command.set(ids)]}
                for partner_id, ids in line_ids.items()
            ]
        )

    def _create_customer_returns(self):
        """One return per customer and warehouse, into quarantine, of what the customer holds."""
        delivered = self.line_ids.filtered(lambda line: line.line_type == "delivered" and line.partner_id)
        groups = defaultdict(lambda: defaultdict(float))
        default_warehouse = self.env["stock.warehouse"].search(
            [("company_id", "=", self.company_id.id)], limit=1
        )
        for line in delivered:
            groups[line.partner_id, line.warehouse_id or default_warehouse][line.lot_id] += line.quantity
        for (partner, warehouse), quantities in groups.items():
            picking_type = warehouse.out_type_id.return_picking_type_id or warehouse.in_type_id
            picking = self._create_transfer(
                picking_type,
                partner.property_stock_customer,
                warehouse._get_quarantine_location(),
                partner=partner,
            )
            self._fill_transfer(picking, quantities)
            picking.move_ids._action_confirm(merge=False)

    def _create_supplier_returns(self, quarantine_moves):
        """One return per warehouse and supplier of the recalled stock, from quarantine.

        Chained to the quarantine transfers: each return reserves the very lots its transfer brings in.
        Stock already in quarantine is reserved at once.
        """
        already = self.line_ids.filtered(
            lambda line: line.line_type == "on_hand" and line.location_id.is_quarantine and line.supplier_id
        )
        available = self._available_stock(already) if already else {}
        groups = defaultdict(lambda: {"moves": self.env["stock.move"], "quants": []})
        for move, supplier in quarantine_moves.items():
            if supplier:
                groups[move.picking_id.picking_type_id.warehouse_id, supplier]["moves"] |= move
        suppliers = {line.lot_id.id: line.supplier_id for line in already}
        for (lot_id, location_id, package_id, owner_id), quantity in available.items():
            location = self.env["stock.location"].browse(location_id)
            if location in already.location_id and location.warehouse_id:
                groups[location.warehouse_id, suppliers[lot_id]]["quants"].append(
                    (self.env["stock.lot"].browse(lot_id), location, package_id, owner_id, quantity)
                )
        for (warehouse, supplier), group in groups.items():
            quarantine = warehouse._get_quarantine_location()
            picking_type = warehouse.in_type_id.return_picking_type_id or warehouse.out_type_id
            picking = self._create_transfer(
                picking_type, quarantine, supplier.property_stock_supplier, partner=supplier
            )
            for product in group["moves"].product_id | self.env["product.product"].concat(
                *(lot.product_id for lot, *_rest in group["quants"])
            ):
                chained = group["moves"].filtered(lambda move, p=product: move.product_id == p)
                quants = [quant for quant in group["quants"] if quant[0].product_id == product]
                move = self._create_move(
                    picking,
                    product,
                    sum(chained.mapped("product_uom_qty")) + sum(quant[-1] for quant in quants),
                    move_orig_ids=[Command.set(chained.ids)],
                    procure_method="make_to_order" if chained else "make_to_stock",
                )
                self._create_move_lines(
                    move,
                    [
                        {
                            "lot_id": lot.id,
                            "location_id": location.id,
                            "package_id": package_id,
                            "owner_id": owner_id,
                            "quantity": quantity,
                        }
                        for lot, location, package_id, owner_id, quantity in quants
                    ],
                )
            picking.move_ids._action_confirm(merge=False)

    def _create_transfer(self, picking_type, source, destination, partner=None):
        return self.env["stock.picking"].create(
            {
                "picking_type_id": picking_type.id,
                "location_id": source.id,
                "location_dest_id": destination.id,
                "partner_id": partner.id if partner else False,
                "origin": self.name,
                "recall_id": self.id,
                "company_id": self.company_id.id,
            }
        )

    def _create_move(self, picking, product, quantity, location_id=None, **vals):
        return self.env["stock.move"].create(
            {
                "name": self.name,
                "picking_id": picking.id,
                "product_id": product.id,
                "product_uom": product.uom_id.id,
                "product_uom_qty": quantity,
                "location_id": location_id or picking.location_id.id,
                "location_dest_id": picking.location_dest_id.id,
                "partner_id": picking.partner_id.id,
                "company_id": picking.company_id.id,
                "origin": self.name,
                **vals,
            }
        )

    def _create_move_lines(self, move, lines):
        """Lines of exactly these lots, made before the move is confirmed so nothing else gets reserved."""
        self.env["stock.move.line"].create(
            [
                {
                    "move_id": move.id,
                    "picking_id": move.picking_id.id,
                    "product_id": move.product_id.id,
                    "product_uom_id": move.product_uom.id,
                    "location_id": move.location_id.id,
                    "location_dest_id": move.location_dest_id.id,
                    **line,
                }
                for line in lines
            ]
        )

    def _fill_transfer(self, picking, quantities):
        """One move per product, one line per lot, of ``quantities`` ({lot: quantity})."""
        for product in self.env["stock.lot"].concat(*quantities).product_id:
            lots = {lot: quantity for lot, quantity in quantities.items() if lot.product_id == product}
            move = self._create_move(picking, product, sum(lots.values()))
            self._create_move_lines(move, [{"lot_id": lot.id, "quantity": qty} for lot, qty in lots.items()])

    def _schedule_notice_activity(self):
        if not self.notice_ids:
            return
        self.activity_schedule(
            "mail.mail_activity_data_todo",
            date_deadline=fields.Date.context_today(self, self.notice_deadline),
            summary=self.env._("Notify every customer of recall %s", self.name),
            user_id=(self.user_id or self.env.user).id,
        )

    # ------------------------------------------------------------------
    # Progress
    # ------------------------------------------------------------------
    def action_refresh_progress(self):
        self._refresh_progress()

    @api.model
    def _refresh_progress_of_lots(self, lots):
        """Recount the open recalls of ``lots``, after stock of theirs moved."""
        if lots:
            self.sudo().search(
                [("state", "=", "in_progress"), ("lot_ids", "in", lots.ids)]
            )._refresh_progress()

    def _refresh_progress(self):
        """Recount what came back since the lots were traced: returns from customers, stock to quarantine.

        Customers' returns of a lot are spread over that customer's delivery lines, oldest first; stock
        taken from a location to quarantine over the lines of that lot and location.
        """
        recalls = self.filtered(lambda recall: recall.state == "in_progress")
        if not recalls:
            return
        came_back = recalls._came_back()
        # Read in the database, not the cache: a recall may have tens of thousands of lines. Lines of
        # stock already in quarantine when traced stay recovered.
        self.env.cr.execute(
            SQL(
                """
                SELECT line.id, line.recall_id, line.lot_id, line.line_type = 'delivered',
                       CASE WHEN line.line_type = 'delivered' THEN line.partner_id ELSE line.location_id END,
                       line.quantity, line.qty_recovered
                  FROM medical_recall_line line
             LEFT JOIN stock_location location ON location.id = line.location_id
                 WHERE line.recall_id = ANY(%s) AND location.is_quarantine IS NOT TRUE
              ORDER BY line.date, line.id
                """,
                recalls.ids,
            )
        )
        groups = defaultdict(list)
        for line_id, recall_id, lot_id, delivered, origin, quantity, recovered in self.env.cr.fetchall():
            groups[recall_id, lot_id, delivered, origin].append(
                (line_id, float(quantity), float(recovered or 0))
            )
        baselines = {recall.id: recall.recovery_baseline or {} for recall in recalls}
        precision = self.env["decimal.precision"].precision_get("Product Unit of Measure")
        changed = defaultdict(list)
        for (recall_id, *key), lines in groups.items():
            left = came_back.get((recall_id, *key), 0.0) - baselines[recall_id].get(_baseline_key(*key), 0.0)
            for line_id, quantity, recovered in lines:
                new = max(min(quantity, left), 0.0)
                left -= new
                if float_compare(recovered, new, precision_digits=precision):
                    changed[new].append(line_id)
        for quantity, line_ids in changed.items():
            self.env["medical.recall.line"].browse(line_ids).write({"qty_recovered": quantity})

    def _came_back(self):
        """{(recall id, lot id, from a customer, customer or location id): quantity} ever brought back.

        From a customer into stock (keyed by the customer), or from stock into quarantine (keyed by the
        location it left). Set-based over the done move lines of the recalls' lots.
        """
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT rel.recall_id, line.lot_id, source.usage = 'customer' AS from_customer,
                       CASE WHEN source.usage = 'customer' THEN partner.commercial_partner_id
                            ELSE line.location_id END AS origin,
                       SUM(line.quantity_product_uom)
                  FROM medical_recall_stock_lot_rel rel
                  JOIN stock_move_line line ON line.lot_id = rel.lot_id AND line.state = 'done'
                  JOIN stock_move move ON move.id = line.move_id
                  JOIN stock_location source ON source.id = line.location_id
                  JOIN stock_location destination ON destination.id = line.location_dest_id
             LEFT JOIN stock_picking picking ON picking.id = line.picking_id
             LEFT JOIN res_partner partner ON partner.id = COALESCE(picking.partner_id, move.partner_id)
                 WHERE rel.recall_id = ANY(%s)
                   AND ((source.usage = 'customer' AND destination.usage IN ('internal', 'transit'))
                        OR (source.usage IN ('internal', 'transit') AND source.is_quarantine IS NOT TRUE
                            AND destination.is_quarantine))
              GROUP BY 1, 2, 3, 4
                """,
                self.ids,
            )
        )
        return {
            (recall_id, lot_id, from_customer, origin): quantity
            for recall_id, lot_id, from_customer, origin, quantity in self.env.cr.fetchall()
        }

    # ------------------------------------------------------------------
    # Notices
    # ------------------------------------------------------------------
    def action_send_notices(self):
        self.ensure_one()
        self.notice_ids.filtered(lambda notice: notice.state == "to_send")._send()

    # ------------------------------------------------------------------
    # Closing and cancelling
    # ------------------------------------------------------------------
    def action_close(self):
        self._check_closable()
        return self._action_request_signature("recall_close")

    def _close(self):
        """Close resolved recalls; a compliance officer signs it, and the closure is logged."""
        self._check_closable()
        signature = self._spend_signature("recall_close")
        old = {recall.id: {"state": recall.state} for recall in self}
        self.write(
            {"state": "closed", "date_closed": fields.Datetime.now(), "close_signature_id": signature.id}
        )
        self.activity_unlink(["mail.mail_activity_data_todo"])
        self._log_signed_action(
            "recall_close",
            signature,
            old_values=old,
            new_values={recall.id: recall._audit_summary() for recall in self},
        )

    def _audit_summary(self):
        return {
            "state": self.state,
            "shipped": self.qty_shipped,
            "recovered": self.qty_recovered,
            "quarantined": self.qty_quarantined,
            "destroyed": self.qty_destroyed,
            "written_off": self.qty_written_off,
        }

    def _check_closable(self):
        for recall in self:
            recall._check_state("in_progress")
            open_lines = recall.line_ids.filtered(lambda line: not line.is_resolved)
            if open_lines:
                details = [line._open_description() for line in open_lines[:CLOSE_ERROR_LINES]]
                if len(open_lines) > CLOSE_ERROR_LINES:
                    details.append(self.env._("… and %s more", len(open_lines) - CLOSE_ERROR_LINES))
                raise UserError(
                    self.env._(
                        "Recall %(recall)s cannot be closed: %(count)s lines are not resolved (recovered, "
                        "destroyed or written off with a reason):\n%(lines)s",
                        recall=recall.name,
                        count=len(open_lines),
                        lines="\n".join(f"• {detail}" for detail in details),
                    )
                )

    def action_cancel(self):
        for recall in self:
            if recall.state not in ("draft", "in_progress"):
                raise UserError(self.env._("Only draft or open recalls can be cancelled."))
        self.check_access("write")
        self.sudo().picking_ids.filtered(
            lambda picking: picking.state not in ("done", "cancel")
        ).action_cancel()
        for recall in self.filtered(lambda recall: recall.state == "in_progress"):
            recall.message_post(
                body=self.env._(
                    "Recall cancelled: its lots stay blocked until an expiry manager unblocks them (signed)."
                )
            )
        self.activity_unlink(["mail.mail_activity_data_todo"])
        self._set_state("cancelled")

    def _set_state(self, state):
        """Change the state, logged in the audit trail."""
        old = {recall.id: {"state": recall.state} for recall in self}
        self.write({"state": state})
        self.env["medical.audit.log"]._log(
            self,
            "recall_state",
            old_values=old,
            new_values=dict.fromkeys(self.ids, {"state": state}),
            reason=self.env.context.get(AUDIT_REASON),
        )

    def _check_state(self, state):
        if self.state != state:
            states = dict(self._fields["state"]._description_selection(self.env))
            raise UserError(
                self.env._(
                    "Recall %(recall)s is %(state)s: this needs it to be %(needed)s.",
                    recall=self.name,
                    state=states[self.state],
                    needed=states[state],
                )
            )

    def _check_has_lots(self):
        if not self.lot_ids:
            raise UserError(self.env._("Recall %s has no lots: add the recalled lots first.", self.name))

    # ------------------------------------------------------------------
    # Views and exports
    # ------------------------------------------------------------------
    def _open(self, name, model, domain, context=None):
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": model,
            "view_mode": "list,form",
            "domain": domain,
            "context": context or {},
        }

    def action_view_lines(self):
        self.ensure_one()
        return self._open(
            self.env._("Affected Units"),
            "medical.recall.line",
            [("recall_id", "=", self.id)],
            {"search_default_group_line_type": 1, "create": False},
        )

    def action_view_pickings(self):
        self.ensure_one()
        return self._open(self.env._("Recall Transfers"), "stock.picking", [("recall_id", "=", self.id)])

    def action_view_notices(self):
        self.ensure_one()
        return self._open(
            self.env._("Customer Notices"),
            "medical.recall.notice",
            [("recall_id", "=", self.id)],
            {"create": False},
        )

    def action_view_audit_log(self):
        return self.env["medical.audit.log"]._action_view_for(self)

    def _xlsx_columns(self):
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

    def _report_stock_lines(self):
        """Lines of stock (on hand, reserved, in transit) by warehouse and location, for the report."""
        return self.line_ids.filtered(lambda line: line.line_type != "delivered").sorted(
            lambda line: (
                line.warehouse_id.name or "",
                line.location_id.complete_name or "",
                line.lot_id.name,
            )
        )

    def _report_customers(self):
        """[(customer, notice, lines)] of the delivered lines by customer name, for the recall report.

        Deliveries to no known customer come last, under an empty customer.
        """
        line_ids = defaultdict(list)
        for line in self.line_ids:
            if line.line_type == "delivered":
                line_ids[line.partner_id].append(line.id)
        notices = {notice.partner_id: notice for notice in self.notice_ids}
        return [
            (partner, notices.get(partner, self.env["medical.recall.notice"]), self.line_ids.browse(ids))
            for partner, ids in sorted(line_ids.items(), key=lambda item: (not item[0], item[0].name or ""))
        ]

    def _format_datetime(self, value):
        return format_datetime(self.env, value, dt_format="yyyy-MM-dd HH:mm") if value else ""


def _baseline_key(lot_id, from_customer, origin):
    return f"{lot_id}|{int(from_customer)}|{origin or 0}"
