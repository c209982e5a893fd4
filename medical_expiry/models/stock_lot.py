from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.osv import expression
from odoo.tools import SQL

EXPIRY_STATES = [
    ("no_expiry", "No Expiry"),
    ("ok", "OK"),
    ("near_expiry", "Near Expiry"),
    ("expired", "Expired"),
]
BLOCK_REASONS = [
    ("expired", "Expired"),
    ("recall", "Recall"),
    ("quality", "Quality"),
    ("other", "Other"),
]
LEVEL_COLUMNS = ["days_to_expiry", "expiry_state", "expiry_rule_id"]


class StockLot(models.Model):
    _inherit = "stock.lot"

    days_to_expiry = fields.Integer(
        string="Days to Expiry",
        compute="_compute_expiry_level",
        store=True,
        aggregator="min",
        help="Days left before the expiration date; empty when the lot has no expiration date. "
        "Refreshed every night.",
    )
    expiry_state = fields.Selection(
        EXPIRY_STATES,
        compute="_compute_expiry_level",
        store=True,
        index=True,
    )
    expiry_rule_id = fields.Many2one(
        "medical.expiry.rule",
        string="Expiry Level",
        compute="_compute_expiry_level",
        store=True,
        index="btree_not_null",
        help="The near-expiry level the lot is in, from the most specific rule set of its product.",
    )
    outbound_policy = fields.Selection(related="expiry_rule_id.outbound_policy")
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

    @api.depends("expiration_date", "product_id", "company_id")
    def _compute_expiry_level(self):
        lots = SQL(
            "SELECT * FROM unnest(%s::int[], %s::int[], %s::int[], %s::timestamp[])"
            " AS src(id, company_id, product_id, expiration_date)",
            list(range(len(self))),
            [lot.company_id.id or None for lot in self],
            [lot.product_id.id or None for lot in self],
            [lot.expiration_date or None for lot in self],
        )
        self.env.cr.execute(self.env["medical.expiry.rule"]._lot_levels_sql(lots))
        levels = {index: (days, state, rule_id) for index, days, state, rule_id in self.env.cr.fetchall()}
        rules = self.env["medical.expiry.rule"]
        for index, lot in enumerate(self):
            days, state, rule_id = levels.get(index, (False, "no_expiry", False))
            lot.days_to_expiry = days
            lot.expiry_state = state
            lot.expiry_rule_id = rules.browse(rule_id)

    # ------------------------------------------------------------------
    # Daily job
    # ------------------------------------------------------------------
    @api.model
    def _refresh_expiry_levels(self):
        """Re-level every lot in one UPDATE (days left change every day, rules change any time).

        Returns the ids of the lots that became expired in this pass.
        """
        self.env.flush_all()
        lots = SQL("SELECT id, company_id, product_id, expiration_date FROM stock_lot")
        self.env.cr.execute(
            SQL(
                """
                UPDATE stock_lot lot
                   SET days_to_expiry = level.days, expiry_state = level.state, expiry_rule_id = level.rule_id
                  FROM (%s) AS level(id, days, state, rule_id), stock_lot old
                 WHERE lot.id = level.id AND old.id = level.id
                   AND (lot.days_to_expiry, lot.expiry_state, lot.expiry_rule_id)
                       IS DISTINCT FROM (level.days, level.state, level.rule_id)
             RETURNING lot.id, level.state, old.expiry_state
                """,
                self.env["medical.expiry.rule"]._lot_levels_sql(lots),
            )
        )
        changed = self.env.cr.fetchall()
        self.invalidate_model(LEVEL_COLUMNS)
        return [lot_id for lot_id, state, old_state in changed if state == "expired" != old_state]

    @api.model
    def _cron_refresh_expiry(self):
        """Nightly: re-level every lot, then block the expired ones nobody has knowingly released."""
        self._refresh_expiry_levels()
        expired = self.search([("expiry_state", "=", "expired"), ("is_blocked", "=", False)])
        to_block = expired.filtered(
            lambda lot: not lot.unblocked_date or lot.unblocked_date < lot.expiration_date
        )
        to_block._block("expired", self.env._("Blocked by the daily expiry job: the lot has expired."))

    # ------------------------------------------------------------------
    # Blocking
    # ------------------------------------------------------------------
    def _check_expiry_manager(self):
        if not self.env.su and not self.env.user.has_group("medical_expiry.group_expiry_manager"):
            raise AccessError(self.env._("Only expiry managers can block or unblock lots."))

    def _block(self, reason, note=False):
        self._check_expiry_manager()
        self.write(
            {
                "is_blocked": True,
                "block_reason": reason,
                "block_note": note,
                "blocked_by_id": self.env.user.id,
                "blocked_date": fields.Datetime.now(),
            }
        )
        if note:
            self._message_log_batch(bodies=dict.fromkeys(self.ids, note))

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

    # ------------------------------------------------------------------
    # Outbound guard
    # ------------------------------------------------------------------
    @api.model
    def _is_outbound_route(self, source, destination, picking_type):
        """Whether a move takes stock towards a customer, another warehouse or a delivery step.

        Moves into quarantine, back to a supplier, to scrap or within a warehouse outside the delivery
        route stay free: that is how bad stock is taken out of the way.
        """
        if (
            source.usage not in ("internal", "transit")
            or destination.usage not in ("customer", "transit", "internal")
            or destination.is_quarantine
        ):
            return False
        if destination.usage != "internal":
            return True
        warehouse = picking_type.warehouse_id
        return (
            destination.warehouse_id != source.warehouse_id
            or picking_type.code == "outgoing"
            or picking_type in (warehouse.pick_type_id | warehouse.pack_type_id)
        )

    @api.model
    def _outbound_refusal_domains(self, min_expiration_date=False):
        """Which lots may never leave sellable stock: one domain per reason.

        The one definition of the outbound guard, used by reservation and by validation. Expired lots
        of medical devices are refused outright; for other goods product_expiry's confirmation stands
        until the nightly job blocks them.
        """
        refusals = {
            "blocked": [("is_blocked", "=", True)],
            "expired": [
                ("product_id.medical_device_class", "!=", False),
                ("expiration_date", "<=", fields.Datetime.now()),
            ],
            "level": [("expiry_rule_id.outbound_policy", "=", "block")],
        }
        if min_expiration_date:
            refusals["shelf_life"] = [("expiration_date", "<", min_expiration_date)]
        return refusals

    @api.model
    def _outbound_refused_domain(self, min_expiration_date=False):
        return expression.OR(self._outbound_refusal_domains(min_expiration_date).values())

    def _outbound_refusal_message(self, reason, min_expiration_date=False):
        self.ensure_one()
        expiry = self.expiration_date and fields.Date.to_string(self.expiration_date) or self.env._("none")
        explanation = {
            "blocked": self.env._(
                "blocked (%s)",
                dict(self._fields["block_reason"]._description_selection(self.env)).get(
                    self.block_reason, ""
                ),
            ),
            "expired": self.env._("expired"),
            "level": self.env._("in level “%s”, which blocks shipping", self.expiry_rule_id.name),
            "shelf_life": self.env._(
                "less shelf life left than the customer accepts (needs to expire after %s)",
                min_expiration_date and fields.Date.to_string(min_expiration_date),
            ),
        }[reason]
        return self.env._(
            "Lot %(lot)s of %(product)s (expires %(expiry)s): %(why)s",
            lot=self.name,
            product=self.product_id.display_name,
            expiry=expiry,
            why=explanation,
        )
