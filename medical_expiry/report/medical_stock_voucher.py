from odoo import api, models
from odoo.exceptions import UserError


class ReportInboundVoucher(models.AbstractModel):
    """入库单: printed for receipts only, so that no delivery ever goes out titled as a receipt."""

    _name = "report.medical_expiry.report_inbound_voucher"
    _description = "Inbound Voucher"
    _picking_type_code = "incoming"

    @api.model
    def _get_report_values(self, docids, data=None):
        pickings = self.env["stock.picking"].browse(docids)
        wrong = pickings.filtered(lambda picking: picking.picking_type_code != self._picking_type_code)
        if wrong:
            raise UserError(
                self.env._(
                    "%(voucher)s cannot be printed for %(transfers)s: wrong type of transfer.",
                    voucher=self.env["ir.model"]._get(self._name).name,
                    transfers=", ".join(wrong.mapped("name")),
                )
            )
        return {"doc_ids": pickings.ids, "doc_model": "stock.picking", "docs": pickings}


class ReportOutboundVoucher(models.AbstractModel):
    """出库单: printed for deliveries only."""

    _name = "report.medical_expiry.report_outbound_voucher"
    _inherit = "report.medical_expiry.report_inbound_voucher"
    _description = "Outbound Voucher"
    _picking_type_code = "outgoing"
