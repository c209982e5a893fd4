from collections import defaultdict

from odoo import Command, api, fields, models
from odoo.exceptions import UserError

from .chatter_note import listed_note

NOTICE_STATES = [("to_send", "To Send"), ("sent", "Sent"), ("acknowledged", "Acknowledged")]


class MedicalRecallNotice(models.Model):
    """The recall notice of one customer: what it received, when it was told, whether it confirmed."""

    _name = "medical.recall.notice"
    _description = "Recall Customer Notice"
    _inherit = ["mail.thread"]
    _order = "recall_id desc, partner_id"

    recall_id = fields.Many2one(
        "medical.recall", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one(related="recall_id.company_id", store=True)
    notice_deadline = fields.Datetime(related="recall_id.notice_deadline")
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, readonly=True, index=True)
    state = fields.Selection(NOTICE_STATES, required=True, default="to_send", readonly=True, tracking=True)
    date_sent = fields.Datetime(string="Sent On", readonly=True, copy=False)
    date_acknowledged = fields.Datetime(string="Acknowledged On", readonly=True, copy=False)
    acknowledgement_note = fields.Char(
        help="Who confirmed receipt of the notice, and how (signed copy, e-mail, phone)."
    )
    is_late = fields.Boolean(
        string="Late",
        compute="_compute_is_late",
        store=True,
        help="Sent after the notice deadline of the recall class.",
    )
    line_ids = fields.One2many("medical.recall.line", "notice_id", string="Units Delivered", readonly=True)
    qty_shipped = fields.Float(
        string="Shipped", digits="Product Unit of Measure", compute="_compute_quantities", store=True
    )
    qty_recovered = fields.Float(
        string="Recovered", digits="Product Unit of Measure", compute="_compute_quantities", store=True
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
    return_picking_ids = fields.Many2many(
        "stock.picking", string="Returns", compute="_compute_return_picking_ids"
    )

    _sql_constraints = [
        ("recall_partner_unique", "UNIQUE(recall_id, partner_id)", "A recall notifies each customer once."),
    ]

    @api.depends("recall_id.name", "partner_id.name")
    def _compute_display_name(self):
        for notice in self:
            notice.display_name = f"{notice.recall_id.name} · {notice.partner_id.display_name}"

    @api.depends("date_sent", "recall_id.notice_deadline")
    def _compute_is_late(self):
        for notice in self:
            deadline = notice.recall_id.notice_deadline
            notice.is_late = bool(notice.date_sent and deadline and notice.date_sent > deadline)

    @api.depends(
        "line_ids.quantity", "line_ids.qty_recovered", "line_ids.qty_destroyed", "line_ids.qty_written_off"
    )
    def _compute_quantities(self):
        for notice in self:
            lines = notice.line_ids
            notice.qty_shipped = sum(lines.mapped("quantity"))
            notice.qty_recovered = sum(lines.mapped("qty_recovered"))
            notice.qty_destroyed = sum(lines.mapped("qty_destroyed"))
            notice.qty_written_off = sum(lines.mapped("qty_written_off"))
            notice.qty_open = sum(lines.mapped("qty_open"))

    @api.depends("recall_id.picking_ids.partner_id")
    def _compute_return_picking_ids(self):
        for notice in self:
            notice.return_picking_ids = notice.recall_id.picking_ids.filtered(
                lambda picking, n=notice: (
                    picking.location_id.usage == "customer"
                    and picking.partner_id.commercial_partner_id == n.partner_id
                )
            )

    @api.model
    def _create_for_customers(self, recall):
        """One notice per customer who received the lots of ``recall``, listing its delivered lines."""
        line_ids = defaultdict(list)
        for line in recall.line_ids:
            if line.line_type == "delivered" and line.partner_id:
                line_ids[line.partner_id.id].append(line.id)
        return self.create(
            [
                {"recall_id": recall.id, "partner_id": partner_id, "line_ids": [Command.set(ids)]}
                for partner_id, ids in line_ids.items()
            ]
        )

    # ------------------------------------------------------------------
    # Sending and acknowledgement
    # ------------------------------------------------------------------
    def action_send(self):
        self._send()

    def _send(self):
        """E-mail each customer its notice, the notice PDF attached, and record when."""
        notices = self.filtered(lambda notice: notice.state == "to_send")
        if not notices:
            raise UserError(self.env._("These notices were already sent."))
        if any(notice.recall_id.state != "in_progress" for notice in notices):
            raise UserError(self.env._("Notices are sent for open recalls only."))
        without_email = notices.filtered(lambda notice: not notice.partner_id.email)
        if without_email:
            raise UserError(
                self.env._(
                    "These customers have no e-mail address: add one, or send the notice another way and "
                    "mark it as sent:\n%s",
                    "\n".join(f"• {name}" for name in without_email.partner_id.mapped("display_name")),
                )
            )
        template = self.env.ref("medical_expiry.mail_template_recall_notice")
        for notice in notices:
            notice.message_post_with_source(template, message_type="comment", subtype_xmlid="mail.mt_comment")
        notices._mark_sent()

    def action_mark_sent(self):
        """For a notice delivered by hand, post or fax."""
        notices = self.filtered(lambda notice: notice.state == "to_send")
        if not notices:
            raise UserError(self.env._("These notices were already sent."))
        notices._mark_sent()

    def _mark_sent(self):
        self.write({"state": "sent", "date_sent": fields.Datetime.now()})
        for recall in self.recall_id:
            notices = self.filtered(lambda notice, r=recall: notice.recall_id == r)
            company_env = recall.with_context(lang=recall.company_id._expiry_lang()).env
            recall.message_post(
                body=listed_note(
                    company_env._("Recall notice sent:"),
                    (
                        notice.partner_id.display_name + (company_env._(" (late)") if notice.is_late else "")
                        for notice in notices
                    ),
                )
            )

    def action_acknowledge(self):
        for notice in self:
            if notice.state != "sent":
                raise UserError(
                    self.env._(
                        "The notice to %s must be sent before it is acknowledged.", notice.partner_id.name
                    )
                )
        self.write({"state": "acknowledged", "date_acknowledged": fields.Datetime.now()})

    def action_print(self):
        return self.env.ref("medical_expiry.action_report_medical_recall_notice").report_action(self)
