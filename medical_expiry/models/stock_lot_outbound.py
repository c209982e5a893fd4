from odoo import api, fields, models
from odoo.osv import expression
from odoo.tools import SQL


class StockLot(models.Model):
    """Which lots may leave sellable stock: the one definition, and the routes it guards."""

    _inherit = "stock.lot"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _is_outbound_route(self, source, destination, picking_type):
        """Whether a move takes stock towards a customer, another warehouse or a delivery step.

        Moves into quarantine, back to a supplier, to scrap or within a warehouse outside the delivery
        route stay free: that is how bad stock is taken out of the way. So are arrivals from transit into a
        warehouse: the goods left already, and what may not leave arrives in quarantine.
        """
        if (
            source.usage not in ("internal", "transit")
            or destination.usage not in ("customer", "transit", "internal")
            or destination.is_quarantine
        ):
            return False
        if source.usage == "transit":
            return destination.usage == "customer"
        if destination.usage != "internal":
            return True
        warehouse = picking_type.warehouse_id
        return (
            destination.warehouse_id != source.warehouse_id
            or picking_type.code == "outgoing"
            or picking_type in (warehouse.pick_type_id | warehouse.pack_type_id)
        )

    @api.model
    def _outbound_refusal_domains(self, min_shelf_life_days=0):
        """Which lots may never leave sellable stock: one domain per reason.

        The one definition of "may this lot leave", used by reservation, validation, the workbench's FEFO
        rank and forecast, the FEFO-deviation mark and quarantine routing; SQL forms are derived from it
        (``_outbound_refused_sql``). Expired lots of medical devices are refused outright, from the day
        after their 有效期至 in the company's calendar; for other goods product_expiry's confirmation
        stands until the nightly job blocks them. ``min_shelf_life_days``: the customer's minimum.
        """
        refusals = {
            "blocked": [("is_blocked", "=", True)],
            "expired": [("product_id.medical_device_class", "!=", False), ("days_to_expiry", "<", 0)],
            "level": [("expiry_rule_id.outbound_policy", "=", "block")],
        }
        if min_shelf_life_days:
            refusals["shelf_life"] = [("days_to_expiry", "<", min_shelf_life_days)]
        return refusals

    @api.model
    def _outbound_refused_domain(self, min_shelf_life_days=0):
        return expression.OR(self._outbound_refusal_domains(min_shelf_life_days).values())

    @api.model
    def _outbound_refused_sql(self, lot_id_sql, min_shelf_life_days=0):
        """SQL condition, true when the lot whose id is ``lot_id_sql`` may not leave (from the domain)."""
        refused = self.with_context(active_test=False)._search(
            self._outbound_refused_domain(min_shelf_life_days)
        )
        return SQL("%s IN %s", lot_id_sql, refused.subselect())

    def _outbound_refusal_message(self, reason, min_shelf_life_days=0):
        self.ensure_one()
        company = self.company_id._expiry_calendar()
        expiry = self.expiration_date and fields.Date.to_string(company._expiry_date_of(self.expiration_date))
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
                "less shelf life left than the customer accepts (%(days)s days left, at least %(min)s "
                "needed)",
                days=self.days_to_expiry,
                min=min_shelf_life_days,
            ),
        }[reason]
        return self.env._(
            "Lot %(lot)s of %(product)s (expires %(expiry)s): %(why)s",
            lot=self.name,
            product=self.product_id.display_name,
            expiry=expiry or self.env._("none"),
            why=explanation,
        )

    def _is_quarantine_bound(self):
        """Whether stock of this lot coming back from a customer must go to quarantine, not to stock:
        when it may not leave again (the outbound guard's refusals) or is expired or near expiry."""
        return bool(self.filtered_domain(self._quarantine_bound_domain()))

    @api.model
    def _quarantine_bound_domain(self):
        return expression.OR(
            [self._outbound_refused_domain(), [("expiry_state", "in", ("expired", "near_expiry"))]]
        )
