from collections import defaultdict

from odoo import api, models
from odoo.tools import float_compare

from .chatter_note import listed_note


class MedicalNonconforming(models.Model):
    """The recall's feed of the register: the units a recall brings back are non-conforming goods.

    Registered when the transfer bringing them into quarantine is done, not when the recall is confirmed
    (but for the stock already in a quarantine then, ``_register_quarantined_stock``): the register shows
    what is in the warehouse as non-conforming, in the quantities that arrived (a customer may return
    less than it was sent, transit may arrive short), and a recall cancelled before its goods came back
    leaves no entry behind.

    The entries wait in the quarantine the recall brought them to, not in the red zone: the quarantine is
    already set apart (nothing in it is reserved, leaving it is signed), and the recall's returns to the
    supplier reserve the goods there, chained to the transfers bringing them in; a second move would break
    that chain and control nothing more. Goods the recall returns to their supplier are approved for that
    return by the recall's signed confirmation, under its signature: there is no second decision to sign.
    The others wait for quality to approve their destruction or return, as any entry.
    """

    _inherit = "medical.nonconforming"

    @api.model
    def _register_recalled_stock(self, pickings):
        """Register the units of lots under an open recall that ``pickings``, just done, brought into a
        quarantine: from stock, from transit or from customers, whatever the transfer (the recall's own,
        or a return the quarantine routing sent there)."""
        lines = pickings.move_line_ids.filtered(
            lambda line: (
                line.state == "done"
                and line.lot_id
                and line.location_dest_id.is_quarantine
                and not line.location_dest_id.is_nonconforming
                and not line.location_id.is_quarantine
                and line.location_id.usage in ("internal", "transit", "customer")
            )
        )
        if not lines:
            return self.browse()
        recalls = (
            self.env["medical.recall"]
            .sudo()
            .search([("state", "=", "in_progress"), ("lot_ids", "in", lines.lot_id.ids)], order="id")
        )
        quantities = defaultdict(float)
        for line in lines:
            recall = self._recall_bringing_back(line, recalls)
            if recall:
                key = (recall, line.lot_id, line.location_id, line.location_dest_id, line.picking_id)
                quantities[(*key, self._recall_return_of(line, recall))] += line.quantity_product_uom
        vals_list = []
        for (recall, lot, source, quarantine, picking, supplier_return), quantity in quantities.items():
            vals = {
                "company_id": recall.company_id.id,
                "reason": "recalled",
                "product_id": lot.product_id.id,
                "lot_id": lot.id,
                "source_location_id": source.id,
                "location_id": quarantine.id,
                "quantity": quantity,
                "origin": recall.name,
                "intake_picking_id": picking.id,
            }
            if supplier_return:
                vals.update(self._recall_approval_values(recall, supplier_return))
            vals_list.append(vals)
        return self._enter(vals_list)

    @api.model
    def _register_quarantined_stock(self, recall):
        """At the confirmation of ``recall``, the register takes in its lots' stock already in a quarantine
        of its company, where no transfer will bring it: the part the register does not hold yet is
        entered, approved for the recall's return to the supplier when that return takes it. Open entries
        on goods the return takes (a red-zone entry still reported, or approved for return and not being
        returned) are attached to it; goods approved for destruction are left to their decision."""
        quants = (
            self.env["stock.quant"]
            .sudo()
            .search(
                [
                    ("lot_id", "in", recall.lot_ids.ids),
                    ("location_id.is_quarantine", "=", True),
                    ("location_id.usage", "=", "internal"),
                    ("company_id", "=", recall.company_id.id),
                ]
            )
        )
        on_hand = defaultdict(float)
        for quant in quants:
            on_hand[quant.lot_id, quant.location_id] += quant.quantity
        returning = {
            (line.lot_id, line.location_id): line.picking_id
            for line in recall.picking_ids.filtered(
                lambda picking: picking.location_dest_id.usage == "supplier"
            ).move_line_ids
        }
        open_entries = self._open_entries_at(quants.lot_id, quants.location_id)
        vals_list = []
        for (lot, location), quantity in on_hand.items():
            entries = open_entries.get((lot, location), self.browse())
            uncovered = quantity - sum(entries.mapped("quantity"))
            if float_compare(uncovered, 0, precision_rounding=lot.product_id.uom_id.rounding) <= 0:
                continue
            vals = {
                "company_id": recall.company_id.id,
                "reason": "recalled",
                "product_id": lot.product_id.id,
                "lot_id": lot.id,
                "source_location_id": location.id,
                "location_id": location.id,
                "quantity": uncovered,
                "origin": recall.name,
            }
            if (lot, location) in returning:
                vals.update(self._recall_approval_values(recall, returning[lot, location]))
            vals_list.append(vals)
        self._attach_to_recall_returns(recall, returning, open_entries)
        self._note_kept_for_destruction(recall, open_entries)
        return self._enter(vals_list)

    @api.model
    def _attach_to_recall_returns(self, recall, returning, open_entries):
        """The open entries whose goods ``recall``'s returns to the supplier take (``returning``:
        {(lot, location): return}) are disposed of by them: a reported entry is approved for the return by
        the recall, an entry quality approved for return (signed) keeps its approval and is returned by
        it. ``_finish_returns`` closes them when the return is done."""
        attached = self.browse()
        for place, supplier_return in returning.items():
            for entry in open_entries.get(place, self.browse()):
                if entry.intake_picking_id and entry.intake_picking_id.state != "done":
                    continue  # reserved by its transfer to the red zone: the return does not take it
                if entry.state == "reported":
                    values = self._recall_approval_values(recall, supplier_return)
                elif entry.disposition == "return" and (
                    not entry.picking_id or entry.picking_id.state == "cancel"
                ):
                    values = {"picking_id": supplier_return.id}
                else:
                    continue
                old_values = {entry.id: entry._audit_values()}
                entry.write(values)
                attached |= entry
                self.env["medical.audit.log"]._log(
                    entry,
                    "nonconforming_recall_return",
                    old_values=old_values,
                    new_values={entry.id: entry._audit_values()},
                    reason=recall.name,
                )
        return attached

    @api.model
    def _note_kept_for_destruction(self, recall, open_entries):
        """Say in ``recall``'s chatter which of its goods in quarantine it leaves to their destruction."""
        kept = self.browse().concat(
            *(
                entries.filtered(lambda entry: entry.disposition == "destroy")
                for entries in open_entries.values()
            )
        )
        if not kept:
            return
        company_env = recall.with_context(lang=recall.company_id._expiry_lang()).env
        recall.message_post(
            body=listed_note(
                company_env._(
                    "These goods were already approved for destruction: the recall leaves them to be "
                    "destroyed and does not return them to the supplier."
                ),
                (
                    company_env._(
                        "%(entry)s: lot %(lot)s, %(quantity)s %(unit)s in %(location)s",
                        entry=entry.name,
                        lot=entry.lot_id.name,
                        quantity=entry.quantity,
                        unit=entry.product_uom_id.with_env(company_env).name,
                        location=entry.location_id.with_env(company_env).display_name,
                    )
                    for entry in kept
                ),
            )
        )

    @api.model
    def _recall_approval_values(self, recall, supplier_return):
        """What an entry approved for ``supplier_return`` by ``recall``'s signed confirmation holds."""
        return {
            "state": "approved",
            "disposition": "return",
            "supplier_id": supplier_return.partner_id.id,
            "picking_id": supplier_return.id,
            "approver_id": recall.confirm_user_id.id,
            "date_approved": recall.date_open,
            "approve_signature_id": recall.confirm_signature_id.id,
        }

    def _is_recall_approved(self):
        """Approved by a recall's confirmation, not by a decision of quality on the entry itself: the
        entry's return to the supplier is its recall's, and its approval is the recall's signed confirmation
        (quality's own approvals carry their own signature, even on goods a recall returns)."""
        self.ensure_one()
        recall = self.picking_id.recall_id
        return (
            self.state == "approved"
            and bool(recall)
            and self.approve_signature_id == recall.confirm_signature_id
        )

    @api.model
    def _recall_bringing_back(self, line, recalls):
        """The open recall of ``recalls`` that ``line`` brings its lot back for: the recall of its transfer,
        else the latest recall of the lot in its company."""
        candidates = recalls.filtered(
            lambda recall: line.lot_id in recall.lot_ids and recall.company_id == line.company_id
        )
        if line.picking_id.recall_id in candidates:
            return line.picking_id.recall_id
        return candidates[-1:]

    @api.model
    def _recall_return_of(self, line, recall):
        """The return to the supplier ``recall`` chained to the move of ``line``, if it has one open."""
        return line.move_id.move_dest_ids.filtered(
            lambda move: (
                move.picking_id.recall_id == recall
                and move.location_dest_id.usage == "supplier"
                and move.state not in ("done", "cancel")
            )
        ).picking_id[:1]

    @api.model
    def _reopen_recall_returns(self, recalls):
        """Entries approved for a return to the supplier by ``recalls``, just cancelled with that return,
        are reported again: the recall's decision is withdrawn, quality decides what becomes of the goods
        (or cancels the entry). Entries quality had approved for return, that the recall took, are left
        approved as before, without a return."""
        entries = self.search(
            [
                ("picking_id.recall_id", "in", recalls.ids),
                ("picking_id.state", "=", "cancel"),
                ("state", "=", "approved"),
            ]
        )
        # Entries quality approved for return (signed) keep their approval: only the return is withdrawn.
        quality_approved = entries.filtered(lambda entry: not entry._is_recall_approved())
        if not entries:
            return
        old_values = {entry.id: entry._audit_values() for entry in entries}
        quality_approved.write({"picking_id": False})
        (entries - quality_approved).write(
            {
                "state": "reported",
                "disposition": False,
                "supplier_id": False,
                "picking_id": False,
                "approver_id": False,
                "date_approved": False,
                "approve_signature_id": False,
            }
        )
        self.env["medical.audit.log"]._log(
            entries,
            "nonconforming_reopen",
            old_values=old_values,
            new_values={entry.id: entry._audit_values() for entry in entries},
            reason=", ".join(recalls.mapped("name")),
        )
