from collections import defaultdict

from odoo import api, fields, models


# The recall's figures in a file of their own, beside its fields, states and actions (medical_recall.py).
class MedicalRecall(models.Model):
    """How far a recall got: the units affected and recovered, and how fast its customers were told.

    Stored, for the recall list, the KPI dashboard and the reports; summed in the database from the
    recall's lines and notices.
    """

    _inherit = "medical.recall"  # pylint: disable=consider-merging-classes-inherited

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
