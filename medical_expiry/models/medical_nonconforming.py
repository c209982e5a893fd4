from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import float_compare, float_is_zero

from .medical_signed_mixin import SignedAction
from .res_users import COMPLIANCE_GROUP, MANAGER_GROUP

NONCONFORMING_REASONS = [
    ("expired", "Expired"),
    ("damaged", "Damaged"),
    ("recalled", "Recalled"),
    ("failed_inspection", "Failed Inspection"),
    ("returned", "Returned"),
]
NONCONFORMING_STATES = [
    ("reported", "Reported"),
    ("approved", "Approved"),
    ("done", "Done"),
    ("cancelled", "Cancelled"),
]
DISPOSITIONS = [("destroy", "Destroy"), ("return", "Return to Supplier")]
OPEN_STATES = ("reported", "approved")


class MedicalNonconforming(models.Model):
    """One entry of the non-conforming goods register (不合格品台账): a lot's stock found unfit, taken to
    the warehouse's red non-conforming zone, then approved for destruction or return to its supplier,
    each step signed; a return is done when the warehouse carries out its transfer.

    Made only by ``_enter``: through ``_report_goods`` (users, the monthly inspection, the nightly expiry
    job) and for the stock a recall brings back (``medical_nonconforming_recall.py``); every field but the
    note is written by its own methods, after their checks. Kept as a GSP record.
    """

    _name = "medical.nonconforming"
    _description = "Non-Conforming Goods"
    _inherit = ["mail.thread", "medical.signed.mixin", "medical.retention.mixin"]
    _order = "date_reported desc, id desc"

    def _signed_actions(self):
        return {
            "nonconforming_approve": SignedAction(
                self.env._("Approve Non-Conforming Goods Disposition"),
                self.env._("Non-Conforming Goods Disposition Approved"),
                "_approve",
                COMPLIANCE_GROUP,
                "medical.nonconforming.approve.wizard",
            ),
            "nonconforming_destroy": SignedAction(
                self.env._("Destroy Non-Conforming Goods"),
                self.env._("Non-Conforming Goods Destroyed"),
                "_destroy",
                MANAGER_GROUP,
                "medical.nonconforming.destroy.wizard",
            ),
            "nonconforming_return": SignedAction(
                self.env._("Return Non-Conforming Goods to Supplier"),
                self.env._("Return of Non-Conforming Goods to Supplier Signed"),
                "_return_to_supplier",
                MANAGER_GROUP,
            ),
        }

    name = fields.Char(string="Reference", required=True, readonly=True, copy=False)
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    reason = fields.Selection(NONCONFORMING_REASONS, required=True, readonly=True, index=True)
    product_id = fields.Many2one("product.product", required=True, readonly=True, index=True)
    lot_id = fields.Many2one(
        "stock.lot", string="Lot/Serial Number", required=True, readonly=True, index=True, ondelete="restrict"
    )
    expiration_date = fields.Datetime(related="lot_id.expiration_date")
    source_location_id = fields.Many2one(
        "stock.location", string="Found In", required=True, readonly=True, index=True
    )
    location_id = fields.Many2one(
        "stock.location",
        string="Non-Conforming Zone",
        required=True,
        readonly=True,
        help="Where the goods wait for their disposition: the warehouse's red non-conforming zone, or its "
        "quarantine for the goods a recall brought back.",
    )
    quantity = fields.Float(required=True, readonly=True, digits="Product Unit of Measure")
    product_uom_id = fields.Many2one(related="product_id.uom_id", string="Unit")
    state = fields.Selection(
        NONCONFORMING_STATES, required=True, default="reported", readonly=True, tracking=True, index=True
    )
    disposition = fields.Selection(DISPOSITIONS, readonly=True, tracking=True)
    origin = fields.Char(string="Source Document", readonly=True)
    reporter_id = fields.Many2one("res.users", string="Reported By", required=True, readonly=True)
    date_reported = fields.Datetime(string="Reported On", required=True, readonly=True)
    approver_id = fields.Many2one("res.users", string="Approved By", readonly=True)
    date_approved = fields.Datetime(string="Approved On", readonly=True)
    approve_signature_id = fields.Many2one(
        "medical.signature", string="Approval Signature", readonly=True, ondelete="restrict"
    )
    supplier_id = fields.Many2one("res.partner", readonly=True)
    done_by_id = fields.Many2one("res.users", string="Disposed Of By", readonly=True)
    date_done = fields.Datetime(string="Disposed Of On", readonly=True)
    done_signature_id = fields.Many2one(
        "medical.signature", string="Disposition Signature", readonly=True, ondelete="restrict"
    )
    witness_ids = fields.Many2many("res.users", string="Witnesses", readonly=True)
    intake_picking_id = fields.Many2one(
        "stock.picking",
        string="Transfer to the Non-Conforming Zone",
        readonly=True,
        help="Left for the warehouse to carry out: the goods are disposed of once it is done.",
    )
    scrap_id = fields.Many2one("stock.scrap", string="Destruction Scrap", readonly=True)
    picking_id = fields.Many2one(
        "stock.picking",
        string="Return to Supplier",
        readonly=True,
        index="btree_not_null",
        help="The goods are returned, and the entry done, when the warehouse carries out this transfer.",
    )
    picking_state = fields.Selection(
        related="picking_id.state", string="Return Status", help="Where the return to the supplier stands."
    )
    note = fields.Text()

    # ------------------------------------------------------------------
    # Fields that carry control: written by the methods below only
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            raise UserError(
                self.env._(
                    "Non-conforming goods are entered by reporting them (Report Non-Conforming Goods), which "
                    "also moves them to the non-conforming zone."
                )
            )
        return super().create(vals_list)

    def write(self, vals):
        refused = set(vals) - {"note"}
        if refused and not self.env.su:
            raise UserError(
                self.env._(
                    "Non-conforming goods change only through their Approve, Destroy and Return actions: "
                    "%(fields)s cannot be written directly.",
                    fields=", ".join(
                        sorted(self._fields[name]._description_string(self.env) for name in refused)
                    ),
                )
            )
        return super().write(vals)

    def _retention_ends(self):
        """Every entry is a GSP record of its lot, kept as long as the lot's records."""
        ends = {}
        for entry in self:
            since = entry.company_id._expiry_date_of(entry.date_reported)
            expiry = entry.company_id._expiry_date_of(entry.lot_id.expiration_date)
            end = self._retention_end_of(entry.product_id, expiry, since)
            if end:
                ends[entry] = end
        return ends

    def _check_state(self, *states):
        labels = dict(self._fields["state"]._description_selection(self.env))
        for entry in self:
            if entry.state not in states:
                raise UserError(
                    self.env._(
                        "Non-conforming goods %(entry)s are %(state)s: this needs them to be %(needed)s.",
                        entry=entry.name,
                        state=labels[entry.state],
                        needed=" / ".join(labels[state] for state in states),
                    )
                )

    # ------------------------------------------------------------------
    # Report: the one way in, for users and for the jobs feeding the register
    # ------------------------------------------------------------------
    @api.model
    def _report_goods(self, vals_list, skip_unavailable=False):
        """Enter each of ``vals_list`` ({reason, lot_id, location_id: where the goods are, quantity: by
        default all the free stock, origin, note}) in the register, and move the goods to the red zone of
        their warehouse: one transfer per warehouse, reserved on exactly those lots, left for the
        warehouse to carry out. Stock reserved by open deliveries stays where it is.

        Goods without free stock are refused, or with ``skip_unavailable`` (the jobs feeding the register)
        left out."""
        if not (self.env.su or self.env.user.has_group("stock.group_stock_user")):
            raise AccessError(self.env._("Only inventory users may report non-conforming goods."))
        if not vals_list:
            return self.browse()
        # The caller reports only goods it may see: its companies' lots and locations.
        self.env["stock.lot"].browse([vals["lot_id"] for vals in vals_list]).check_access("read")
        self.env["stock.location"].browse([vals["location_id"] for vals in vals_list]).check_access("read")
        Lot, Location = self.env["stock.lot"].sudo(), self.env["stock.location"].sudo()
        quants = (
            self.env["stock.quant"]
            .sudo()
            .search(
                [
                    ("lot_id", "in", [vals["lot_id"] for vals in vals_list]),
                    ("location_id", "in", [vals["location_id"] for vals in vals_list]),
                ]
            )
        )
        logistics = self.env["medical.recall.logistics"].sudo()
        free = defaultdict(list)
        for (lot_id, location_id, package_id, owner_id), quantity in logistics._get_free_quantities(
            quants
        ).items():
            free[lot_id, location_id].append(
                {"lot_id": lot_id, "package_id": package_id, "owner_id": owner_id, "quantity": quantity}
            )
        entries_vals, move_lines = [], []
        for vals in vals_list:
            lot, location = Lot.browse(vals["lot_id"]), Location.browse(vals["location_id"])
            warehouse = location.warehouse_id
            if not warehouse or location.usage != "internal":
                raise UserError(
                    self.env._(
                        "%(location)s is not a stock location of a warehouse: only goods in a warehouse "
                        "are reported as non-conforming.",
                        location=location.display_name,
                    )
                )
            if skip_unavailable and not free[lot.id, location.id]:
                continue
            lines = self._take(free[lot.id, location.id], vals.get("quantity"), lot, location)
            red_zone = warehouse._get_nonconforming_location().sudo()
            entries_vals.append(
                {
                    "company_id": warehouse.company_id.id,
                    "reason": vals["reason"],
                    "product_id": lot.product_id.id,
                    "lot_id": lot.id,
                    "source_location_id": location.id,
                    "location_id": red_zone.id,
                    "quantity": sum(line["quantity"] for line in lines),
                    "origin": vals.get("origin"),
                    "note": vals.get("note"),
                }
            )
            move_lines.append(lines)
        entries = self._enter(entries_vals)
        entries._move_to_red_zone(dict(zip(entries, move_lines, strict=True)))
        return self.browse(entries.ids)

    @api.model
    def _enter(self, vals_list):
        """Create the entries of ``vals_list`` (each naming its company), numbered in their company's
        sequence, reported by the current user now, and log them: the one way entries are made."""
        if not vals_list:
            return self.browse()
        now = fields.Datetime.now()
        entries = self.sudo().create(
            [
                {
                    **vals,
                    "name": self.env["ir.sequence"]
                    .with_company(vals["company_id"])
                    .next_by_code("medical.nonconforming"),
                    "reporter_id": self.env.uid,
                    "date_reported": now,
                }
                for vals in vals_list
            ]
        )
        self.env["medical.audit.log"]._log(
            entries,
            "nonconforming_report",
            new_values={entry.id: entry._audit_values() for entry in entries},
            reason=", ".join(sorted({entry.origin for entry in entries if entry.origin})) or None,
        )
        return entries

    @api.model
    def _open_entries_at(self, lots, locations):
        """{(lot, location): open entries} of ``lots`` whose goods are in ``locations`` now: in the zone
        the entry names, or still where they were found while their transfer there is not carried out.
        What the register already holds of a lot at a location, so that no goods are entered twice."""
        entries = self.sudo().search([("lot_id", "in", lots.ids), ("state", "in", OPEN_STATES)])
        by_place = defaultdict(lambda: self.browse())
        for entry in entries:
            location = entry._goods_location()
            if location in locations:
                by_place[entry.lot_id, location] |= entry
        return by_place

    def _goods_location(self):
        """Where the goods of this entry are: its zone, once they are there."""
        if self.intake_picking_id and self.intake_picking_id.state != "done":
            return self.source_location_id
        return self.location_id

    @api.model
    def _take(self, free_lines, quantity, lot, location):
        """The quant lines of ``free_lines`` holding ``quantity`` (all of them without one)."""
        rounding = lot.product_id.uom_id.rounding
        available = sum(line["quantity"] for line in free_lines)
        wanted = quantity or available
        if float_is_zero(wanted, precision_rounding=rounding) or (
            float_compare(wanted, available, precision_rounding=rounding) > 0
        ):
            raise UserError(
                self.env._(
                    "Lot %(lot)s has %(available)s free in %(location)s: %(wanted)s cannot be reported as "
                    "non-conforming.",
                    lot=lot.name,
                    available=available,
                    location=location.display_name,
                    wanted=wanted,
                )
            )
        taken = []
        for line in free_lines:
            if float_compare(wanted, 0, precision_rounding=rounding) <= 0:
                break
            taken.append({**line, "quantity": min(line["quantity"], wanted)})
            wanted -= taken[-1]["quantity"]
        return taken

    def _move_to_red_zone(self, move_lines):
        """One transfer per warehouse from where the goods are to its red zone (``move_lines``:
        {entry: quant lines}); goods already in the red zone stay."""
        logistics = self.env["medical.recall.logistics"].sudo()
        by_zone = defaultdict(lambda: self.browse())
        for entry in self.sudo():
            if entry.source_location_id != entry.location_id:
                by_zone[entry.location_id] |= entry
        for red_zone, entries in by_zone.items():
            warehouse = red_zone.warehouse_id
            picking = (
                self.env["stock.picking"]
                .sudo()
                .create(
                    {
                        "picking_type_id": warehouse.int_type_id.id,
                        "location_id": warehouse.lot_stock_id.id,
                        "location_dest_id": red_zone.id,
                        "origin": ", ".join(entries.mapped("name")),
                        "company_id": warehouse.company_id.id,
                    }
                )
            )
            for entry in entries:
                move = logistics._create_move(
                    picking,
                    entry.product_id,
                    entry.quantity,
                    location_id=entry.source_location_id.id,
                    name=entry.name,
                    origin=entry.name,
                )
                logistics._create_move_lines(move, move_lines[entry])
            picking.move_ids._action_confirm(merge=False)
            entries.write({"intake_picking_id": picking.id})

    def _audit_values(self):
        return {
            "state": self.state,
            "reason": self.reason,
            "lot": self.lot_id.name,
            "quantity": self.quantity,
            "from": self.source_location_id.complete_name,
            "to": self.location_id.complete_name,
            "disposition": self.disposition or None,
            "witnesses": self.witness_ids.mapped("name"),
            "scrap": self.scrap_id.name or None,
            "return": self.picking_id.name or None,
        }

    # ------------------------------------------------------------------
    # Approve, then destroy or return: each signed
    # ------------------------------------------------------------------
    def action_approve(self):
        self._check_state("reported")
        self.env["res.users"]._check_expiry_compliance(self.env._("Approve Non-Conforming Goods Disposition"))
        return self._action_request_signature("nonconforming_approve")

    def _approve(self, disposition, supplier=None):
        """The signed approval of the disposition (``disposition``: destroy, or return to ``supplier``)."""
        self._check_state("reported")
        self.env["res.users"]._check_expiry_compliance(self.env._("Approve Non-Conforming Goods Disposition"))
        if disposition not in dict(DISPOSITIONS):
            raise UserError(
                self.env._("Choose whether the goods are destroyed or returned to their supplier.")
            )
        supplier = supplier or self.env["res.partner"]
        if disposition == "return" and not supplier:
            raise UserError(self.env._("Goods returned to their supplier need the supplier."))
        signature = self._spend_signature(
            "nonconforming_approve", self._approval_values(disposition, supplier)
        )
        old_values = {entry.id: {"state": entry.state} for entry in self}
        self.sudo().write(
            {
                "state": "approved",
                "disposition": disposition,
                "supplier_id": supplier.id if disposition == "return" else False,
                "approver_id": self.env.uid,
                "date_approved": fields.Datetime.now(),
                "approve_signature_id": signature.id,
            }
        )
        self._log_signed_action(
            "nonconforming_approve",
            signature,
            old_values=old_values,
            new_values={entry.id: entry._audit_values() for entry in self},
        )

    @api.model
    def _approval_values(self, disposition, supplier):
        """What an approval signature binds: the disposition, and the supplier of a return."""
        return {"disposition": disposition, "supplier_id": supplier.id if disposition == "return" else False}

    def _check_disposable(self, disposition):
        self._check_state("approved")
        for entry in self:
            if entry.disposition != disposition:
                raise UserError(
                    self.env._(
                        "Non-conforming goods %(entry)s were approved for another disposition.",
                        entry=entry.name,
                    )
                )
            if entry.intake_picking_id and entry.intake_picking_id.sudo().state != "done":
                raise UserError(
                    self.env._(
                        "Non-conforming goods %(entry)s are not in the non-conforming zone yet: carry out "
                        "transfer %(transfer)s first.",
                        entry=entry.name,
                        transfer=entry.intake_picking_id.sudo().name,
                    )
                )
            if entry.picking_id and entry.picking_id.sudo().state != "cancel":
                raise UserError(
                    self.env._(
                        "Non-conforming goods %(entry)s are already being returned to their supplier by "
                        "transfer %(transfer)s.",
                        entry=entry.name,
                        transfer=entry.picking_id.sudo().name,
                    )
                )

    def action_destroy(self):
        self._check_disposable("destroy")
        self.env["res.users"]._check_expiry_manager(self.env._("Destroy Non-Conforming Goods"))
        return self._action_request_signature("nonconforming_destroy")

    def _destroy(self, witnesses):
        """The signed destruction before ``witnesses``: the goods are scrapped from the red zone."""
        self._check_disposable("destroy")
        self.env["res.users"]._check_expiry_manager(self.env._("Destroy Non-Conforming Goods"))
        witnesses = witnesses - self.env.user
        if not witnesses:
            raise UserError(
                self.env._("A destruction is witnessed: name at least one witness besides yourself.")
            )
        signature = self._spend_signature("nonconforming_destroy", self._destruction_values(witnesses))
        old_values = {entry.id: {"state": entry.state} for entry in self}
        now = fields.Datetime.now()
        for entry in self.sudo():
            scrap = entry.env["stock.scrap"].create(
                {
                    "product_id": entry.product_id.id,
                    "product_uom_id": entry.product_id.uom_id.id,
                    "lot_id": entry.lot_id.id,
                    "scrap_qty": entry.quantity,
                    "location_id": entry.location_id.id,
                    "company_id": entry.company_id.id,
                    "origin": entry.name,
                    "nonconforming_id": entry.id,
                }
            )
            scrap.do_scrap()
            entry.write(
                {
                    "state": "done",
                    "scrap_id": scrap.id,
                    "witness_ids": [fields.Command.set(witnesses.ids)],
                    "done_by_id": self.env.uid,
                    "date_done": now,
                    "done_signature_id": signature.id,
                }
            )
        self._log_signed_action(
            "nonconforming_destroy",
            signature,
            old_values=old_values,
            new_values={entry.id: entry._audit_values() for entry in self},
        )

    @api.model
    def _destruction_values(self, witnesses):
        """What a destruction signature binds: its witnesses."""
        return {"witness_ids": sorted(witnesses.ids)}

    def action_return(self):
        self._check_disposable("return")
        self.env["res.users"]._check_expiry_manager(self.env._("Return Non-Conforming Goods to Supplier"))
        return self._action_request_signature("nonconforming_return")

    def _return_to_supplier(self):
        """The signed return: one transfer per entry from where the goods wait to its supplier, reserved
        on its lot, left for the warehouse to carry out. The entry stays approved until the transfer is
        done (``_finish_returns``): cancelled, the goods can be returned again."""
        self._check_disposable("return")
        self.env["res.users"]._check_expiry_manager(self.env._("Return Non-Conforming Goods to Supplier"))
        signature = self._spend_signature("nonconforming_return")
        old_returns = {entry: entry.sudo().picking_id.name or None for entry in self}
        logistics = self.env["medical.recall.logistics"].sudo()
        for entry in self.sudo():
            warehouse = entry.location_id.warehouse_id
            picking = entry.env["stock.picking"].create(
                {
                    "picking_type_id": (
                        warehouse.in_type_id.return_picking_type_id or warehouse.out_type_id
                    ).id,
                    "location_id": entry.location_id.id,
                    "location_dest_id": entry.supplier_id.property_stock_supplier.id,
                    "partner_id": entry.supplier_id.id,
                    "origin": entry.name,
                    "company_id": entry.company_id.id,
                }
            )
            move = logistics._create_move(
                picking, entry.product_id, entry.quantity, name=entry.name, origin=entry.name
            )
            logistics._create_move_lines(move, [{"lot_id": entry.lot_id.id, "quantity": entry.quantity}])
            picking.move_ids._action_confirm(merge=False)
            entry.write({"picking_id": picking.id, "done_signature_id": signature.id})
        self._log_signed_action(
            "nonconforming_return",
            signature,
            old_values={entry.id: {"return": old_returns[entry]} for entry in self},
            new_values={entry.id: entry._audit_values() for entry in self},
        )

    @api.model
    def _transfers_done(self, pickings):
        """What the register follows of the transfers the warehouse carries out: the recalled units they
        bring into quarantine (``medical_nonconforming_recall.py``), and the returns to the supplier."""
        self._register_recalled_stock(pickings)
        self._finish_returns(pickings)

    @api.model
    def _finish_returns(self, pickings):
        """The entries returned by ``pickings``, just carried out, are done: by whoever validated them,
        then. Serves the register's own returns and the returns to the supplier a recall makes.

        A return carried out in part leaves the rest of its product in a backorder: the entry follows the
        backorder, and is done with it."""
        entries = self.sudo().search(
            [
                ("picking_id", "in", pickings.filtered(lambda picking: picking.state == "done").ids),
                ("state", "=", "approved"),
                ("disposition", "=", "return"),
            ]
        )
        for entry in entries:
            backorder = entry.picking_id.backorder_ids.filtered(
                lambda picking, entry=entry: (
                    picking.state not in ("done", "cancel")
                    and entry.product_id in picking.move_ids.product_id
                )
            )[:1]
            if backorder:
                old_picking = entry.picking_id
                entry.write({"picking_id": backorder.id})
                self.env["medical.audit.log"]._log(
                    entry,
                    "nonconforming_backorder",
                    old_values={entry.id: {"picking": old_picking.name}},
                    new_values={entry.id: {"picking": backorder.name}},
                    reason=old_picking.name,
                )
                entries -= entry
        if not entries:
            return
        old_values = {entry.id: {"state": entry.state} for entry in entries}
        for entry in entries:
            entry.write(
                {"state": "done", "done_by_id": self.env.uid, "date_done": entry.picking_id.date_done}
            )
        self.env["medical.audit.log"]._log(
            entries,
            "nonconforming_returned",
            old_values=old_values,
            new_values={entry.id: entry._audit_values() for entry in entries},
            reason=", ".join(entries.picking_id.mapped("name")),
        )

    def action_cancel(self):
        """A report made in error: cancelled by an expiry manager before approval, its transfer with it
        if not carried out."""
        self._check_state("reported")
        self.env["res.users"]._check_expiry_manager(self.env._("Cancel Non-Conforming Goods"))
        pickings = self.sudo().intake_picking_id.filtered(lambda picking: picking.state != "done")
        pickings.move_ids.filtered(lambda move: move.name in self.mapped("name"))._action_cancel()
        self.sudo().write({"state": "cancelled"})
        self.env["medical.audit.log"]._log(
            self, "nonconforming_cancel", new_values={entry.id: {"state": "cancelled"} for entry in self}
        )

    # ------------------------------------------------------------------
    # Views and reports
    # ------------------------------------------------------------------
    def action_view_audit_log(self):
        return self.env["medical.audit.log"]._action_view_for(self)
