from odoo import models


class StockWarehouse(models.Model):
    _inherit = "stock.warehouse"

    def _get_quarantine_location(self):
        """The warehouse's quarantine location, created on demand under its view location.

        Recalled stock and returned bad stock go there; nothing in it is reserved for customers, and
        taking stock out of it towards sellable stock needs a signature.
        """
        return self._get_special_location(
            [("is_quarantine", "=", True), ("is_nonconforming", "=", False)],
            {"name": self._company_env()._("Quarantine"), "is_quarantine": True},
        )

    def _get_nonconforming_location(self):
        """The warehouse's red non-conforming zone (不合格品区), a quarantine location created on demand
        under its view location: non-conforming goods wait there to be destroyed or returned."""
        return self._get_special_location(
            [("is_nonconforming", "=", True)],
            {
                "name": self._company_env()._("Non-Conforming (Red Zone)"),
                "is_quarantine": True,
                "is_nonconforming": True,
            },
        )

    def _company_env(self):
        """The environment in the company's language: a location made on demand, often by a nightly job,
        is named for the company's staff, not for whoever happened to trigger it."""
        return self.with_context(lang=self.company_id._expiry_lang()).env

    def _get_special_location(self, domain, vals):
        """The warehouse's first internal location matching ``domain``, else one made of ``vals`` under its
        view location."""
        self.ensure_one()
        Location = self.env["stock.location"].sudo()
        location = Location.search(
            [("warehouse_id", "=", self.id), ("usage", "=", "internal"), *domain], order="id", limit=1
        )
        if not location:
            location = Location.create(
                {
                    "usage": "internal",
                    "location_id": self.view_location_id.id,
                    "company_id": self.company_id.id,
                    **vals,
                }
            )
        return location.sudo(False)
