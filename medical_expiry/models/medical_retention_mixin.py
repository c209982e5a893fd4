from datetime import date

from dateutil.relativedelta import relativedelta

from odoo import api, models
from odoo.exceptions import UserError

# GSP (医疗器械经营质量管理规范) 记录保存: two years past the device's expiry, five years for a device without
# one, for ever for implants.
YEARS_AFTER_EXPIRY = 2
YEARS_WITHOUT_EXPIRY = 5
FOREVER = date.max


class MedicalRetentionMixin(models.AbstractModel):
    """Records of medical devices (lots, moves, vouchers) that nobody may delete, the superuser included,
    before the retention GSP sets for them has run out.

    A model names, for each of its records that is such a record, the last day it must be kept
    (``_retention_ends``), from the one rule ``_retention_end_of``.
    """

    _name = "medical.retention.mixin"
    _description = "Records Kept for GSP"

    def _retention_ends(self):
        """{record: the last day it must be kept} for those of these records that GSP keeps."""
        raise NotImplementedError

    @api.model
    def _retention_end_of(self, product, expiry_date, since):
        """The last day a record of ``product`` must be kept: FOREVER for an implant, ``expiry_date`` (a
        calendar date) plus two years, or without one ``since`` (the record's date) plus five years. None
        for what is not a medical device."""
        if not product.medical_device_class:
            return None
        if product.medical_implant:
            return FOREVER
        if expiry_date:
            return expiry_date + relativedelta(years=YEARS_AFTER_EXPIRY)
        return since + relativedelta(years=YEARS_WITHOUT_EXPIRY)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_retained(self):
        kept = {
            record: end
            for record, end in self._retention_ends().items()
            if end and end >= record.company_id._expiry_today()
        }
        if not kept:
            return
        label = self.env["ir.model"]._get(self._name).name
        lines = [
            self.env._("%(record)s: an implant, kept for ever", record=record.display_name)
            if end == FOREVER
            else self.env._("%(record)s: kept until %(date)s", record=record.display_name, date=end)
            for record, end in kept.items()
        ]
        raise UserError(
            self.env._(
                "These %(records)s are records of medical devices that GSP keeps (two years after expiry, "
                "five years without an expiry date, for ever for implants): they cannot be deleted before.\n"
                "%(lines)s",
                records=label,
                lines="\n".join(f"• {line}" for line in lines),
            )
        )
