from odoo import api, models
from odoo.exceptions import UserError

REPORT_KINDS = [("near_expiry", "Near Expiry"), ("expired", "Expired")]


class ReportExpiryStock(models.AbstractModel):
    """Near-expiry or expired stock by warehouse and level, valued at cost.

    Read from the expiry workbench (quants on hand or in transit, with their lot's stored level), so the
    report counts exactly the stock the workbench shows. ``data``: ``report_kind`` (a REPORT_KINDS key)
    and ``warehouse_ids`` (empty: every warehouse, stock in transit included).
    """

    _name = "report.medical_expiry.report_expiry_stock"
    _description = "Expiry Stock Report"

    @api.model
    def _get_report_values(self, docids, data=None):
        data = data or {}
        columns, rows, total_rows = self._report_table(data)
        return {
            "doc_ids": docids,
            "doc_model": "medical.expiry.report.wizard",
            "title": self._title(data),
            "scope": self._scope(data),
            "columns": columns,
            "rows": rows,
            "total_rows": total_rows,
        }

    @api.model
    def _xlsx_table(self, data, records):
        """The XLSX report's sheet (report.medical_expiry.report_expiry_stock_xlsx): the PDF's table."""
        columns, rows, _total_rows = self._report_table(data)
        title = self._title(data)
        return title, columns, rows, [f"{title}: {self._scope(data)}"]

    @api.model
    def _check_data(self, data):
        if data.get("report_kind") not in dict(REPORT_KINDS):
            raise UserError(self.env._("Choose whether to report near-expiry or expired stock."))

    @api.model
    def _title(self, data):
        return {"near_expiry": self.env._("Near-Expiry Stock"), "expired": self.env._("Expired Stock")}[
            data["report_kind"]
        ]

    @api.model
    def _scope(self, data):
        warehouses = self.env["stock.warehouse"].browse(data.get("warehouse_ids") or [])
        return ", ".join(warehouses.mapped("name")) or self.env._("All warehouses and stock in transit")

    @api.model
    def _columns(self):
        return [
            (self.env._("Warehouse"), 16),
            (self.env._("Location"), 22),
            (self.env._("Product"), 28),
            (self.env._("Lot/Serial Number"), 18),
            (self.env._("Expiration Date"), 14),
            (self.env._("Days Left"), 10),
            (self.env._("Level"), 16),
            (self.env._("Quantity"), 11),
            (self.env._("Unit Cost"), 11),
            (self.env._("Value"), 13),
        ]

    @api.model
    def _report_table(self, data):
        """(columns, rows, indexes of the total rows): stock by warehouse, most urgent level first.

        Each warehouse ends with a row of its totals, and the table with the grand total.
        """
        self._check_data(data)
        domain = [("expiry_state", "=", data["report_kind"])]
        if data.get("warehouse_ids"):
            domain.append(("warehouse_id", "in", data["warehouse_ids"]))
        # The rule order is widest level first: reversed, the most urgent level comes first.
        stock = self.env["medical.expiry.workbench"].search(
            domain, order="warehouse_id, expiry_rule_id desc, expiration_date, id"
        )
        rows, total_rows = [], []
        for warehouse, quants in stock.grouped("warehouse_id").items():
            label = warehouse.name or self.env._("No Warehouse")
            rows.extend(
                [
                    label,
                    quant.location_id.display_name,
                    quant.product_id.display_name,
                    quant.lot_id.name,
                    quant.expiration_date,
                    quant.days_to_expiry,
                    quant.expiry_rule_id.name,
                    quant.quantity,
                    quant.product_id.with_company(quant.company_id).standard_price,
                    quant.currency_id.round(quant.value),
                ]
                for quant in quants
            )
            total_rows.append(len(rows))
            rows.append(self._total_row(label, self.env._("Total"), quants))
        if stock:
            total_rows.append(len(rows))
            rows.append(self._total_row(self.env._("Total"), None, stock))
        return self._columns(), rows, total_rows

    @api.model
    def _total_row(self, first_cell, second_cell, quants):
        currency = self.env.company.currency_id
        return [
            first_cell,
            second_cell,
            *[None] * 5,
            sum(quants.mapped("quantity")),
            None,
            currency.round(sum(quants.mapped("value"))),
        ]
