from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, float_compare

from .chatter_note import listed_note
from .medical_override import RETURN_OVERRIDE


class StockMoveLine(models.Model):
    _inherit = "stock.move.line"

    expiry_warning = fields.Boolean(
        string="Near-Expiry Warning",
        compute="_compute_expiry_warning",
        help="The lot is in a near-expiry level whose outbound policy is Warn.",
    )

    fefo_deviation = fields.Boolean(
        string="FEFO Deviation",
        readonly=True,
        copy=False,
        help="Shipped to a customer while an earlier-expiring, unblocked, available lot of the same "
        "product stood in the same warehouse. Set when the line is done.",
    )
    expiry_outbound_reason = fields.Selection(
        [("scrap", "Scrap"), ("supplier_return", "Return to Supplier"), ("clearance", "Clearance Sale")],
        string="Expiry-Driven Outbound",
        readonly=True,
        copy=False,
        help="Why this outbound line was caused by expiry, judged when the line is done: a scrapped, "
        "returned or clearance-sold lot that was expired, blocked or in a near-expiry level.",
    )
    production_date = fields.Date(help="Read from the UDI scanned at receipt; given to the lot it creates.")
    sterilisation_lot = fields.Char(
        help="灭菌批号, read from the UDI scanned at receipt or typed; given to the lot it creates."
    )

    @api.depends("lot_id.expiry_rule_id.outbound_policy", "location_id", "location_dest_id")
    def _compute_expiry_warning(self):
        for move_line in self:
            move_line.expiry_warning = (
                move_line.lot_id.outbound_policy == "warn" and move_line._is_outbound_route()
            )

    def _is_outbound_route(self):
        return self.env["stock.lot"]._is_outbound_route(
            self.location_id, self.location_dest_id, self.picking_type_id or self.move_id.picking_type_id
        )

    def _min_shelf_life_days(self):
        """The customer's minimum shelf life in days, for lines that deliver to a customer (else 0)."""
        partner = self.location_dest_id.usage == "customer" and (
            self.picking_id.partner_id or self.move_id.partner_id
        )
        return partner._min_shelf_life_days() if partner else 0

    def _expiry_days_left(self):
        """Days left until the line's expiration date, in the company's calendar."""
        company = self.company_id._expiry_calendar()
        return (company._expiry_date_of(self.expiration_date) - company._expiry_today()).days

    def _check_expiry_guards(self):
        """The expiry guards, one pass over the lines: refuse what must not move, naming each lot and why.

        Returns what the lines go past because its policy only warns, for the log once they are done:
        [(line, chatter subject or None, message)]; a short shelf life at receipt is also said on the
        transfer, an outbound warning (an expired lot confirmed in product_expiry's wizard, a level that
        warns) is only logged.
        """
        errors, warnings = [], []
        Lot = self.env["stock.lot"]
        for move_line in self.filtered(lambda ml: ml.quantity > 0):
            lot_name = move_line.lot_id.name or move_line.lot_name or ""
            if move_line.location_id.usage == "supplier":
                if move_line.product_id.use_expiration_date and not move_line.expiration_date:
                    errors.append(
                        self.env._(
                            "%(product)s, lot %(lot)s: an expiry-tracked product cannot be received "
                            "without an expiration date.",
                            product=move_line.product_id.display_name,
                            lot=lot_name,
                        )
                    )
                elif move_line._has_short_shelf_life_at_receipt():
                    if move_line.product_id.receipt_shelf_life_policy == "block":
                        errors.append(move_line._short_shelf_life_message())
                    else:
                        logged = move_line._for_company_log()
                        warnings.append(
                            (
                                move_line,
                                logged.env._("Short shelf life at receipt"),
                                logged._short_shelf_life_message(),
                            )
                        )
                continue
            if not move_line.lot_id or not move_line._is_outbound_route():
                continue
            min_days = move_line._min_shelf_life_days()
            refusals = [
                move_line.lot_id._outbound_refusal_message(reason, min_days)
                for reason, domain in Lot._outbound_refusal_domains(min_days).items()
                if move_line.lot_id.filtered_domain(domain)
            ]
            errors += refusals
            if not refusals:
                warning = move_line._for_company_log()._outbound_warning_message()
                if warning:
                    warnings.append((move_line, None, warning))
        if errors:
            raise UserError(
                self.env._(
                    "These lots cannot be moved:\n%s",
                    "\n".join(f"• {error}" for error in dict.fromkeys(errors)),
                )
            )
        return warnings

    def _for_company_log(self):
        """This line read in its company's language: what the guards let through is written once, for
        the audit log and the transfer's chatter, whoever validates."""
        return self.with_context(lang=self.company_id._expiry_lang())

    def _has_short_shelf_life_at_receipt(self):
        """Whether this line receives from a supplier a lot with less shelf life than the product requires."""
        return bool(
            self.location_id.usage == "supplier"
            and self.expiration_date
            and self._expiry_days_left() < self.product_id.min_shelf_life_receipt_days
        )

    def _short_shelf_life_message(self):
        return self.env._(
            "Lot %(lot)s of %(product)s has %(days)s days left at receipt; at least %(min)s are required.",
            lot=self.lot_id.name or self.lot_name or "",
            product=self.product_id.display_name,
            days=self._expiry_days_left(),
            min=self.product_id.min_shelf_life_receipt_days,
        )

    def _outbound_warning_message(self):
        """What shipping this line's lot goes past: product_expiry's confirmation of an expired lot, or a
        level that warns; None when nothing."""
        if self.lot_id.product_expiry_alert:
            return self.env._("Expired lot %s shipped after confirmation.", self.lot_id.name)
        if self.expiry_warning:
            return self.env._(
                "Lot %(lot)s shipped in level “%(level)s”, which warns.",
                lot=self.lot_id.name,
                level=self.lot_id.expiry_rule_id.name,
            )
        return None

    def _prepare_new_lot_vals(self):
        vals = super()._prepare_new_lot_vals()
        if self.production_date:
            vals["production_date"] = self.production_date
        if self.sterilisation_lot:
            vals["sterilisation_lot"] = self.sterilisation_lot
        return vals

    # ------------------------------------------------------------------
    # Customer returns
    # ------------------------------------------------------------------
    @api.model
    def _customer_moves_query(self, lot_ids):
        """Done move lines of the lots to and from customers: the one definition of who received what.

        Columns: lot_id, product_id, customer_id (commercial partner of the transfer, else of the move),
        picking_id, warehouse_id (that shipped), date, delivered (true to a customer, false back from
        one), destination_usage (where the units went), quantity (in the product's unit).
        """
        return SQL(
            """
            SELECT line.lot_id, line.product_id, partner.commercial_partner_id AS customer_id,
                   line.picking_id, COALESCE(source.warehouse_id, picking_type.warehouse_id) AS warehouse_id,
                   line.date, destination.usage = 'customer' AS delivered,
                   destination.usage AS destination_usage, line.quantity_product_uom AS quantity
              FROM stock_move_line line
              JOIN stock_move move ON move.id = line.move_id
              JOIN stock_location source ON source.id = line.location_id
              JOIN stock_location destination ON destination.id = line.location_dest_id
         LEFT JOIN stock_picking picking ON picking.id = line.picking_id
         LEFT JOIN stock_picking_type picking_type
                ON picking_type.id = COALESCE(move.picking_type_id, picking.picking_type_id)
         LEFT JOIN res_partner partner ON partner.id = COALESCE(picking.partner_id, move.partner_id)
             WHERE line.lot_id = ANY(%s) AND line.state = 'done'
               AND (source.usage = 'customer') != (destination.usage = 'customer')
            """,
            list(lot_ids),
        )

    def _customer_returns(self):
        """Lines taking a lot back from a customer (an existing lot, or a lot name typed on the return)."""
        return self.filtered(
            lambda ml: (
                (ml.lot_id or ml.lot_name)
                and ml.quantity > 0
                and ml.location_id.usage == "customer"
                and ml.location_dest_id.usage != "customer"
            )
        )

    def _returned_lot(self):
        """The lot this return line brings back: its lot, else the product's lot of the typed name."""
        if self.lot_id or not self.lot_name:
            return self.lot_id
        return self.env["stock.lot"].search(
            [
                ("name", "=", self.lot_name),
                ("product_id", "=", self.product_id.id),
                ("company_id", "in", [self.company_id.id, False]),
            ],
            limit=1,
        )

    def _customer_return_excess(self):
        """Returns of a lot above what the customer holds of it: a list of dicts (lot, name, product,
        customer, returned, held).

        A customer holds what it was delivered of the lot minus what it already returned; a return naming
        no customer is measured against what all customers hold; a lot that does not exist is held by
        nobody.
        """
        returns = self._customer_returns()
        if not returns:
            return []
        returning = defaultdict(float)
        lots = self.env["stock.lot"]
        for line in returns:
            lot = line._returned_lot()
            lots |= lot
            partner = (line.picking_id.partner_id or line.move_id.partner_id).commercial_partner_id
            key = (lot.id or line.lot_name, line.product_id, partner)
            returning[key] += line.quantity_product_uom
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT lot_id, customer_id,
                       SUM(CASE WHEN delivered THEN quantity ELSE -quantity END)
                  FROM (%s) moved
              GROUP BY lot_id, customer_id
                """,
                self._customer_moves_query(lots.ids),
            )
        )
        held = defaultdict(float)
        for lot_id, customer_id, quantity in self.env.cr.fetchall():
            held[lot_id, customer_id] += quantity
            held[lot_id, None] += quantity
        excess = []
        for (lot_key, product, partner), quantity in returning.items():
            lot = lots.browse(lot_key) if isinstance(lot_key, int) else lots.browse()
            holding = max(held[lot.id, partner.id or None], 0.0) if lot else 0.0
            if float_compare(quantity, holding, precision_rounding=product.uom_id.rounding) > 0:
                excess.append(
                    {
                        "lot": lot,
                        "name": lot.name or lot_key,
                        "product": product,
                        "customer": partner,
                        "returned": quantity,
                        "held": holding,
                    }
                )
        return excess

    def _check_customer_returns(self):
        """Refuse returns above what the customer received, unless a manager overrides with a reason.

        The one check of customer returns, run when a picking is validated and whenever lines are done.
        Returns the excess an override let through, for the audit log.
        """
        excess = self._customer_return_excess()
        if not excess:
            return []
        if self.env["medical.override"]._reason_of(self.picking_id, RETURN_OVERRIDE):
            return excess
        messages = []
        for item in excess:
            values = {
                "lot": item["name"],
                "product": item["product"].display_name,
                "customer": item["customer"].display_name or self.env._("an unnamed customer"),
                "quantity": item["returned"],
                "held": item["held"],
            }
            if not item["lot"]:
                message = self.env._(
                    "Lot %(lot)s of %(product)s does not exist: it was never delivered to anyone; "
                    "%(quantity)s returned.",
                    **values,
                )
            elif not item["held"]:
                message = self.env._(
                    "Lot %(lot)s of %(product)s was never delivered to %(customer)s (or it was all "
                    "returned already); %(quantity)s returned.",
                    **values,
                )
            else:
                message = self.env._(
                    "Lot %(lot)s of %(product)s: %(customer)s returns %(quantity)s but holds only "
                    "%(held)s (delivered, net of earlier returns).",
                    **values,
                )
            messages.append(message)
        raise UserError(
            self.env._(
                "This return is refused:\n%s\nAn expiry manager may accept it with “Accept Return”, "
                "giving a reason.",
                "\n".join(f"• {message}" for message in messages),
            )
        )

    def _log_return_overrides(self, excess):
        """Log each accepted excess on its lot (created by now if the return named a new one)."""
        reason = self.env["medical.override"]._reason_of(self.picking_id, RETURN_OVERRIDE)
        for item in excess:
            lot = item["lot"] or self.env["stock.lot"].search(
                [("name", "=", item["name"]), ("product_id", "=", item["product"].id)], limit=1
            )
            self.env["medical.audit.log"]._log(
                lot,
                "return_override",
                new_values={
                    lot.id: {
                        "customer": item["customer"].display_name or None,
                        "returned": item["returned"],
                        "held": item["held"],
                    }
                },
                reason=reason,
            )

    def _redirect_returns_to_quarantine(self):
        """Recalled, blocked, expired or near-expiry units coming back from customers go to quarantine, and
        so do units arriving from transit that may not leave (a lot recalled or blocked on its way).

        Whatever transfer brings them: never into sellable stock.
        """
        may_not_leave = self.env["stock.lot"]._outbound_refused_domain()
        arrivals = self.filtered(
            lambda ml: ml.location_id.usage == "transit" and ml.lot_id.filtered_domain(may_not_leave)
        )
        lines = (
            self._customer_returns().filtered(lambda ml: ml._returned_lot()._is_quarantine_bound()) | arrivals
        ).filtered(
            lambda ml: ml.location_dest_id.usage == "internal" and not ml.location_dest_id.is_quarantine
        )
        for line in lines:
            warehouse = line.location_dest_id.warehouse_id or line.move_id.picking_type_id.warehouse_id
            if warehouse:
                line.location_dest_id = warehouse._get_quarantine_location()
        for picking in lines.picking_id:
            redirected = lines.filtered(
                lambda ml, p=picking: ml.picking_id == p and ml.location_dest_id.is_quarantine
            )
            if redirected:
                company_env = picking.with_context(lang=picking.company_id._expiry_lang()).env
                picking.message_post(
                    body=listed_note(
                        company_env._("Put in quarantine, not in sellable stock:")
                        if redirected <= arrivals
                        else company_env._("Returned to quarantine, not to sellable stock:"),
                        (
                            company_env._(
                                "Lot %(lot)s (%(quantity)s) to %(location)s",
                                lot=line.lot_id.name,
                                quantity=line.quantity,
                                location=line.location_dest_id.with_env(company_env).display_name,
                            )
                            for line in redirected
                        ),
                    )
                )

    # ------------------------------------------------------------------
    # Quarantine release and guard overrides
    # ------------------------------------------------------------------
    def _quarantine_releases(self):
        """Lines taking stock out of quarantine towards sellable stock, another warehouse or a customer."""
        return self.filtered(
            lambda ml: (
                ml.quantity > 0
                and ml.location_id.is_quarantine
                and not ml.location_dest_id.is_quarantine
                and ml.location_dest_id.usage in ("internal", "transit", "customer")
            )
        )

    def _check_quarantine_release_signed(self):
        """Releases are signed on their transfers; a release outside a transfer cannot be signed."""
        if not self:
            return self.env["medical.signature"]
        pickings = self.picking_id if all(self.mapped("picking_id")) else self
        return self.env["medical.signature"]._check_signed(pickings, "quarantine_release")

    def _audit_movements(self):
        """{lot id: what moved}, for the audit rows of these lines."""
        values = {}
        for line in self.filtered("lot_id"):
            values.setdefault(line.lot_id.id, {"moves": []})["moves"].append(
                {
                    "transfer": line.picking_id.name or line.reference,
                    "quantity": line.quantity,
                    "from": line.location_id.display_name,
                    "to": line.location_dest_id.display_name,
                }
            )
        return values

    def _mark_expiry_outbound(self):
        """Record, as lines are done, the facts the KPIs need and history cannot give back later.

        A delivery deviates from FEFO when an earlier-expiring lot of the product sat available in the
        same warehouse and the outbound guard would have let it go to this customer.
        """
        lines = self.filtered("lot_id")
        if not lines:
            return
        self.env.flush_all()
        rows = []
        for min_days, group in lines.grouped(lambda line: line._min_shelf_life_days()).items():
            self.env.cr.execute(
                SQL(
                    """
                    SELECT line.id,
                           destination.usage = 'customer' AND EXISTS (
                               SELECT 1
                                 FROM stock_quant quant
                                 JOIN stock_lot other ON other.id = quant.lot_id
                                 JOIN stock_location location ON location.id = quant.location_id
                                WHERE quant.product_id = line.product_id
                                  AND location.warehouse_id = source.warehouse_id
                                  AND location.usage = 'internal' AND location.is_quarantine IS NOT TRUE
                                  AND quant.quantity - quant.reserved_quantity > 0
                                  AND other.id != lot.id AND NOT %(refused)s
                                  AND other.expiration_date < lot.expiration_date
                           ) AS fefo_deviation,
                           CASE WHEN lot.is_blocked IS NOT TRUE AND lot.expiry_rule_id IS NULL
                                     AND lot.expiry_state IS DISTINCT FROM 'expired' THEN NULL
                                WHEN move.scrapped THEN 'scrap'
                                WHEN destination.usage = 'supplier' THEN 'supplier_return'
                                WHEN destination.usage = 'customer' AND rule.suggested_action = 'clearance'
                                THEN 'clearance'
                           END AS reason
                      FROM stock_move_line line
                      JOIN stock_move move ON move.id = line.move_id
                      JOIN stock_lot lot ON lot.id = line.lot_id
                      JOIN stock_location source ON source.id = line.location_id
                      JOIN stock_location destination ON destination.id = line.location_dest_id
                 LEFT JOIN medical_expiry_rule rule ON rule.id = lot.expiry_rule_id
                     WHERE line.id = ANY(%(ids)s) AND source.usage IN ('internal', 'transit')
                    """,
                    ids=group.ids,
                    refused=self.env["stock.lot"]._outbound_refused_sql(SQL("other.id"), min_days),
                )
            )
            rows += self.env.cr.fetchall()
        marks = defaultdict(list)
        for line_id, deviation, reason in rows:
            if deviation or reason:
                marks[deviation, reason].append(line_id)
        for (deviation, reason), line_ids in marks.items():
            self.browse(line_ids).write({"fefo_deviation": deviation, "expiry_outbound_reason": reason})
