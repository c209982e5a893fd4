from odoo import models


class StockWarehouse(models.Model):
    _inherit = "stock.warehouse"

    def _get_quarantine_location(self):
        """The warehouse's quarantine location, created on demand under its view location.

        Recalled stock and returned bad stock go there; nothing in it is reserved for customers, and
        taking stock out of it towards sellable stock needs a signature.
        """
        self.ensure_one()
        Location = self.env["stock.location"].sudo()
        location = Location.search(
            [
                ("warehouse_id", "=", self.id),
                ("is_quarantine", "=", True),
                ("is_nonconforming", "=", False),
                ("usage", "=", "internal"),
            ],
            order="id",
            limit=1,
        )
        if not location:
            location = Location.create(
                {
                    "name": self.env._("Quarantine"),
                    "usage": "internal",
                    "is_quarantine": True,
                    "location_id": self.view_location_id.id,
                    "company_id": self.company_id.id,
                }
            )
        return location.sudo(False)

    def _get_nonconforming_location(self):
        """The warehouse's red non-conforming zone (不合格品区), a quarantine location created on demand
        under its view location: non-conforming goods wait there to be destroyed or returned."""
        self.ensure_one()
        Location = self.env["stock.location"].sudo()
        location = Location.search(
            [("warehouse_id", "=", self.id), ("is_nonconforming", "=", True), ("usage", "=", "internal")],
            order="id",
            limit=1,
        )
        if not location:
            location = Location.create(
                {
                    "name": self.env._("Non-Conforming (Red Zone)"),
                    "usage": "internal",
                    "is_quarantine": True,
                    "is_nonconforming": True,
                    "location_id": self.view_location_id.id,
                    "company_id": self.company_id.id,
                }
            )
        return location.sudo(False)
