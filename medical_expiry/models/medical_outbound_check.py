from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_compare

from .stock_move_line_validation import VALIDATION_PASS_KEY

# Cursor cache key set while Odoo's reservation engine makes or tops up move lines: kept out of any caller's
# reach, no context key or value can say that a line was reserved rather than picked.
RESERVING_KEY = "medical_expiry.reserving"


class MedicalOutboundCheck(models.Model):
    """出库复核: before a delivery of medical devices is validated, a second person confirms each line.

    The picker of a line is the user who last ticked it picked or set its quantity or lot by hand
    (``stock.move.line.medical_picked_by_id``; the automatic reservation picks nobody, so a supervisor who
    clicked Check Availability may check); the checker of a line must be someone else. A line is
    confirmed against what it was when checked (product, lot, quantity): a line changed after its check,
    or a device line added, needs checking again. A mismatch stays in the check's history: once the goods
    are corrected, the line is checked again (``action_recheck``) under the same rules, and its new result
    replaces the mismatch as the line's current one. Every field here is written by the methods of this
    model only (users have read access, the methods write as superuser after their checks).
    """

    _name = "medical.outbound.check"
    _description = "Outbound Double-Check"
    _order = "id desc"

    picking_id = fields.Many2one(
        "stock.picking", required=True, readonly=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="picking_id.company_id", store=True, index=True)
    line_ids = fields.One2many(
        "medical.outbound.check.line", "check_id", readonly=True, domain=[("superseded_at", "=", False)]
    )
    history_line_ids = fields.One2many(
        "medical.outbound.check.line",
        "check_id",
        string="Check History",
        readonly=True,
        help="Every result recorded on this delivery, mismatches checked again included.",
    )
    mismatch_found = fields.Boolean(
        compute="_compute_mismatch_found", help="A mismatch was found, even if its line was checked again."
    )
    state = fields.Selection(
        [("checking", "Checking"), ("done", "Checked"), ("mismatch", "Mismatch")],
        compute="_compute_state",
        store=True,
    )
    checker_id = fields.Many2one("res.users", string="Checked By", compute="_compute_state", store=True)
    checked_at = fields.Datetime(string="Checked On", compute="_compute_state", store=True)

    _sql_constraints = [
        ("picking_unique", "UNIQUE(picking_id)", "A transfer has one outbound double-check."),
    ]

    @api.depends("line_ids.result", "line_ids.checker_id", "line_ids.checked_at", "line_ids.superseded_at")
    def _compute_state(self):
        for check in self:
            results = set(check.line_ids.mapped("result"))
            check.state = "mismatch" if "mismatch" in results else "done" if results == {"ok"} else "checking"
            last = check.line_ids.filtered("checked_at").sorted("checked_at")[-1:]
            check.checker_id = last.checker_id if check.state == "done" else False
            check.checked_at = last.checked_at if check.state == "done" else False

    @api.depends("history_line_ids.result")
    def _compute_mismatch_found(self):
        for check in self:
            check.mismatch_found = "mismatch" in check.history_line_ids.mapped("result")

    @api.depends("picking_id")
    def _compute_display_name(self):
        for check in self:
            check.display_name = self.env._("Double-check of %s", check.picking_id.name)

    # ------------------------------------------------------------------
    # Which transfers need it
    # ------------------------------------------------------------------
    @api.model
    def _lines_to_check(self, move_lines):
        """The lines of ``move_lines`` that need a double-check: medical devices delivered from a
        company that requires it."""
        return move_lines.filtered(
            lambda line: (
                line.quantity > 0
                and line.product_id.medical_device_class
                and line.picking_id.picking_type_code == "outgoing"
                and line.company_id.outbound_double_check_required
            )
        )

    @api.model
    def _check_lines_double_checked(self, move_lines):
        """Refuse to validate device lines of a delivery not double-checked OK by someone not their picker.

        Called by the validation pipeline (``stock.move.line._check_before_done``), whatever the caller."""
        lines = self._lines_to_check(move_lines)
        if not lines:
            return
        checks = self.sudo().search([("picking_id", "in", lines.picking_id.ids)])
        by_move_line = {check_line.move_line_id: check_line for check_line in checks.line_ids}
        problems = []
        for line in lines:
            check_line = by_move_line.get(line)
            label = line._outbound_check_label()
            if not check_line or check_line._is_stale():
                problems.append(self.env._("%(line)s: not double-checked.", line=label))
            elif check_line.result == "mismatch":
                problems.append(
                    self.env._("%(line)s: mismatch (%(reason)s).", line=label, reason=check_line.reason)
                )
            elif check_line.result != "ok":
                problems.append(self.env._("%(line)s: not double-checked.", line=label))
            elif check_line.checker_id == line.medical_picked_by_id:
                problems.append(
                    self.env._(
                        "%(line)s: checked by its own picker, %(user)s.",
                        line=label,
                        user=check_line.checker_id.name,
                    )
                )
        if problems:
            raise UserError(
                self.env._(
                    "This delivery needs its outbound double-check (出库复核) first:\n%s",
                    "\n".join(f"• {problem}" for problem in problems),
                )
            )

    # ------------------------------------------------------------------
    # The check's steps, the only writers of its fields
    # ------------------------------------------------------------------
    @api.model
    def _start(self, picking):
        """The double-check of ``picking``, its lines (re)built for the device lines to check."""
        picking.ensure_one()
        picking.check_access("read")
        if picking.picking_type_code != "outgoing" or picking.state in ("draft", "done", "cancel"):
            raise UserError(
                self.env._("%s is not a delivery waiting to go out: nothing to double-check.", picking.name)
            )
        lines = self._lines_to_check(picking.move_line_ids)
        if not lines:
            raise UserError(self.env._("%s has no medical-device line to double-check.", picking.name))
        check = self.sudo().search([("picking_id", "=", picking.id)]) or self.sudo().create(
            {"picking_id": picking.id}
        )
        current = {check_line.move_line_id: check_line for check_line in check.line_ids}
        stale = check.line_ids.filtered(lambda cl: cl._is_stale() or cl.move_line_id not in lines)
        found_not_matching = stale.filtered(lambda cl: cl.result == "mismatch")
        found_not_matching.write({"superseded_at": fields.Datetime.now()})
        (stale - found_not_matching).unlink()
        check.invalidate_recordset(["line_ids"])
        check.line_ids.create(
            [
                {"check_id": check.id, "move_line_id": line.id, **line._outbound_check_snapshot()}
                for line in lines
                if line not in current or current[line] in stale
            ]
        )
        return check.sudo(False)

    def action_scan(self, barcode):
        """Tick the line a scanned UDI names (product, lot and expiry all match), or record the mismatch."""
        self.ensure_one()
        self._check_may_check()
        udi = self.env["medical.udi.parser"]._parse_udi(barcode)
        product = self.env["product.product"]._products_by_udi_di([udi["di"]]).get(udi["di"])
        lines = self.line_ids.filtered(lambda cl: cl.product_id == product and cl.result != "ok")
        if not product or not lines:
            raise UserError(
                self.env._(
                    "The code scanned (UDI-DI %(di)s) is no device still to check on %(picking)s.",
                    di=udi["di"],
                    picking=self.picking_id.name,
                )
            )
        company = self.company_id._expiry_calendar()
        matching = lines.filtered(lambda cl: cl.lot_id.name == udi["lot"])
        if not matching:
            return lines[:1]._record(
                "mismatch",
                self.env._(
                    "Wrong lot scanned: %(scanned)s instead of %(expected)s.",
                    scanned=udi["lot"] or "-",
                    expected=lines[:1].lot_id.name,
                ),
            )
        line = matching[:1]
        expected = line.expiration_date and company._expiry_date_of(line.expiration_date)
        if udi["expiration_date"] and udi["expiration_date"] != expected:
            return line._record(
                "mismatch",
                self.env._(
                    "Wrong expiry scanned: %(scanned)s instead of %(expected)s.",
                    scanned=udi["expiration_date"],
                    expected=expected,
                ),
            )
        return line._record("ok")

    def _check_may_check(self):
        self.check_access("read")
        if self.picking_id.state in ("done", "cancel"):
            raise UserError(
                self.env._("%s is done or cancelled: its double-check is closed.", self.picking_id.name)
            )
        if not self.env.user.has_group("stock.group_stock_user"):
            raise UserError(self.env._("Only inventory users double-check deliveries."))


class MedicalOutboundCheckLine(models.Model):
    _name = "medical.outbound.check.line"
    _description = "Outbound Double-Check Line"
    _order = "check_id, id"

    check_id = fields.Many2one(
        "medical.outbound.check", required=True, readonly=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="check_id.company_id", store=True, index=True)
    move_line_id = fields.Many2one("stock.move.line", readonly=True, index=True, ondelete="set null")
    product_id = fields.Many2one("product.product", readonly=True)
    lot_id = fields.Many2one("stock.lot", string="Lot/Serial Number", readonly=True)
    expiration_date = fields.Datetime(readonly=True)
    quantity = fields.Float(readonly=True, digits="Product Unit of Measure")
    packaging_ok = fields.Boolean(string="Packaging Intact", readonly=True)
    result = fields.Selection(
        [("pending", "To Check"), ("ok", "OK"), ("mismatch", "Mismatch")],
        default="pending",
        required=True,
        readonly=True,
    )
    reason = fields.Char(readonly=True)
    checker_id = fields.Many2one("res.users", string="Checked By", readonly=True)
    checked_at = fields.Datetime(string="Checked On", readonly=True)
    superseded_at = fields.Datetime(
        string="Checked Again On",
        readonly=True,
        help="When this mismatch stopped being the line's current result: the line was checked again, or "
        "changed and its check started again. Kept as history.",
    )

    def _is_stale(self):
        """Whether the move line changed since this check line was made (or is gone)."""
        self.ensure_one()
        line = self.move_line_id
        return not line.exists() or (
            line.product_id != self.product_id
            or line.lot_id != self.lot_id
            or float_compare(line.quantity, self.quantity, precision_rounding=line.product_uom_id.rounding)
        )

    def action_confirm(self):
        """Ticked: product, lot, expiry, quantity and packaging match what goes out."""
        for line in self:
            line._record("ok")
        return True

    def action_record_mismatch(self, reason):
        """Something does not match (or the packaging is damaged): the delivery is held, with the reason."""
        if not (reason or "").strip():
            raise UserError(self.env._("Say what does not match."))
        for line in self:
            line._record("mismatch", reason.strip())
        return True

    @api.returns("self")
    def action_recheck(self):
        """The goods of a mismatched line were corrected: check the line again, under the rules of a check.

        The mismatch stays in the check's history (and the audit log); a new line to check takes its place
        as the line's current result. Returns the new lines."""
        rechecks = self.browse()
        for line in self:
            line.check_id._check_may_check()
            if line.result != "mismatch" or line.superseded_at:
                raise UserError(
                    self.env._(
                        "%(line)s has no mismatch to check again.",
                        line=line.move_line_id._outbound_check_label(),
                    )
                )
            line._check_checker()
            line.sudo().superseded_at = fields.Datetime.now()
            rechecks |= line.sudo().create(
                {
                    "check_id": line.check_id.id,
                    "move_line_id": line.move_line_id.id,
                    **line.move_line_id._outbound_check_snapshot(),
                }
            )
            line.check_id.invalidate_recordset(["line_ids"])
            company_lang = line._in_company_lang()
            audit_reason = company_lang.env._(
                "%(line)s is checked again after its mismatch: %(reason)s",
                line=company_lang.move_line_id._outbound_check_label(),
                reason=line.reason,
            )
            self.env["medical.audit.log"]._log(
                line.check_id.picking_id, "outbound_recheck", reason=audit_reason
            )
        return rechecks.sudo(False)

    def _record(self, result, reason=False):
        """The one writer of a line's result: by someone other than its picker, on a line still current."""
        self.ensure_one()
        self.check_id._check_may_check()
        if self.result == "mismatch":
            raise UserError(
                self.env._(
                    "%(line)s was found not to match: once the goods are corrected, check it again.",
                    line=self.move_line_id._outbound_check_label(),
                )
            )
        self._check_checker()
        self.sudo().write(
            {
                "result": result,
                "reason": reason or False,
                "packaging_ok": result == "ok",
                "checker_id": self.env.uid,
                "checked_at": fields.Datetime.now(),
            }
        )
        picking = self.check_id.picking_id
        if result == "mismatch":
            company_lang = self._in_company_lang()
            audit_reason = company_lang.env._(
                "%(line)s does not match: %(reason)s",
                line=company_lang.move_line_id._outbound_check_label(),
                reason=reason,
            )
            self.env["medical.audit.log"]._log(picking, "outbound_mismatch", reason=audit_reason)
        elif self.check_id.state == "done":
            self.env["medical.audit.log"]._log(
                picking, "outbound_check", new_values={picking.id: {"checker": self.env.user.name}}
            )
        return self

    def _in_company_lang(self):
        """The audit reasons are read by the company's quality staff: in the company's language."""
        return self.with_context(lang=self.check_id.picking_id.company_id.partner_id.lang or self.env.lang)

    def _check_checker(self):
        """A line is checked as it still is on the delivery, by someone other than its picker."""
        if self._is_stale():
            raise UserError(
                self.env._(
                    "%(line)s changed since the check started: start the check again.", line=self.display_name
                )
            )
        picker = self.move_line_id.medical_picked_by_id
        if picker == self.env.user:
            raise UserError(
                self.env._(
                    "%(line)s was picked by you: another person double-checks it.",
                    line=self.move_line_id._outbound_check_label(),
                )
            )

    @api.depends("product_id", "lot_id", "quantity")
    def _compute_display_name(self):
        for line in self:
            line.display_name = (
                f"{line.product_id.display_name} / {line.lot_id.name or ''} / {line.quantity:g}"
            )


class StockMove(models.Model):
    _inherit = "stock.move"  # pylint: disable=consider-merging-classes-inherited

    def _update_reserved_quantity(
        self, need, location_id, lot_id=None, package_id=None, owner_id=None, strict=True
    ):
        """Odoo's reservation engine, the one place it creates or tops up move lines from stock (Check
        Availability, confirmation, chained moves): what it reserves was picked by nobody."""
        cache = self.env.cr.cache
        if cache.get(RESERVING_KEY):
            return super()._update_reserved_quantity(need, location_id, lot_id, package_id, owner_id, strict)
        cache[RESERVING_KEY] = True
        try:
            return super()._update_reserved_quantity(need, location_id, lot_id, package_id, owner_id, strict)
        finally:
            del cache[RESERVING_KEY]


class StockMoveLine(models.Model):
    _inherit = "stock.move.line"  # pylint: disable=consider-merging-classes-inherited

    medical_picked_by_id = fields.Many2one(
        "res.users",
        string="Picked By",
        readonly=True,
        copy=False,
        help="Who picked the line: ticked it picked, or set its lot or quantity by hand (not the automatic "
        "reservation): the outbound double-check is done by someone else.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        # Never a client's word: the picker is whoever makes the line, unless the reservation engine does.
        reserving = self.env.cr.cache.get(RESERVING_KEY)
        for vals in vals_list:
            vals.pop("medical_picked_by_id", None)
            if not reserving:
                vals["medical_picked_by_id"] = self.env.uid
        return super().create(vals_list)

    def write(self, vals):
        # Never a client's word: the picker is whoever writes what is picked. Neither Odoo's reservation
        # engine topping up a line nor Odoo marking the lines picked itself while validating
        # (stock.picking._pre_action_done_hook) makes a picker.
        vals.pop("medical_picked_by_id", None)
        cache = self.env.cr.cache
        picking = not cache.get(RESERVING_KEY) and (
            {"quantity", "lot_id", "product_id"} & vals.keys()
            or ("picked" in vals and not cache.get(VALIDATION_PASS_KEY))
        )
        if picking:
            vals["medical_picked_by_id"] = self.env.uid
        return super().write(vals)

    def _outbound_check_snapshot(self):
        return {
            "product_id": self.product_id.id,
            "lot_id": self.lot_id.id,
            "expiration_date": self.expiration_date or self.lot_id.expiration_date,
            "quantity": self.quantity,
        }

    def _outbound_check_label(self):
        return self.env._(
            "%(product)s, lot %(lot)s, %(quantity)s %(uom)s",
            product=self.product_id.display_name,
            lot=self.lot_id.name or self.lot_name or "-",
            quantity=format(self.quantity, "g"),
            uom=self.product_uom_id.name,
        )


class StockPicking(models.Model):
    _inherit = "stock.picking"  # pylint: disable=consider-merging-classes-inherited

    outbound_check_ids = fields.One2many("medical.outbound.check", "picking_id", readonly=True)
    outbound_double_check_required = fields.Boolean(related="company_id.outbound_double_check_required")
    outbound_check_state = fields.Selection(related="outbound_check_ids.state", string="Double-Check")
    outbound_checker_id = fields.Many2one(related="outbound_check_ids.checker_id", string="Double-Checked By")
    outbound_checked_at = fields.Datetime(related="outbound_check_ids.checked_at", string="Double-Checked On")

    def action_start_outbound_check(self):
        check = self.env["medical.outbound.check"]._start(self)
        return {
            "type": "ir.actions.act_window",
            "res_model": check._name,
            "res_id": check.id,
            "view_mode": "form",
            "target": "current",
        }


class MedicalAuditLog(models.Model):
    _inherit = "medical.audit.log"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _selection_action(self):
        return super()._selection_action() + [
            ("outbound_check", self.env._("Outbound Double-Check Done")),
            ("outbound_mismatch", self.env._("Outbound Double-Check Mismatch")),
            ("outbound_recheck", self.env._("Outbound Double-Check Mismatch Checked Again")),
        ]
