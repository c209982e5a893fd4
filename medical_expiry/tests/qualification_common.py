from datetime import timedelta

from .common import MedicalExpiryCase


class QualificationCase(MedicalExpiryCase):
    """Qualifications dated relative to today, and a way to let days pass."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = cls.company._expiry_today()
        cls.hospital = cls.env["res.partner"].create({"name": "People's Hospital", "is_company": True})

    @classmethod
    def _qualify(cls, holder, qualification_type, days=None, number=None, **vals):
        """A qualification of ``holder`` (partner or product) valid for ``days`` more days (None: no end)."""
        holder_field = "partner_id" if holder._name == "res.partner" else "product_tmpl_id"
        holder_id = holder.id if holder._name != "product.product" else holder.product_tmpl_id.id
        return cls.env["medical.qualification"].create(
            {
                "qualification_type": qualification_type,
                holder_field: holder_id,
                "number": number or f"{qualification_type}-{holder.id}-{days}",
                "date_end": days is not None and cls.today + timedelta(days=days),
                **vals,
            }
        )

    @classmethod
    def _create_qualification_rule(cls, days, **vals):
        return cls.env["medical.expiry.rule"].create(
            {
                "name": f"{days} days",
                "applies_to": "qualification",
                "days_before_expiry": days,
                **vals,
            }
        )

    def _pass_days(self, days):
        """Bring every end of validity ``days`` closer in the database, then run the nightly refresh."""
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE medical_qualification SET date_end = date_end - %s WHERE date_end IS NOT NULL", [days]
        )
        self.env.invalidate_all()
        self.env["medical.qualification"]._refresh_levels()
