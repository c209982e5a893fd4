from odoo import api, models
from odoo.exceptions import UserError
from odoo.tools import format_datetime

# The columns of the extract: the audit list's, and what each row changed.
EXTRACT_FIELDS = [
    "sequence",
    "timestamp",
    "user_id",
    "action",
    "record_name",
    "reason",
    "signature_id",
    "change_summary",
]


class ReportAuditExtract(models.AbstractModel):
    """The audit rows of a period and/or of one record, with the verdict on the whole chain.

    ``data``: ``date_from`` and ``date_to`` (UTC, as Odoo writes datetimes), ``record_model`` and
    ``record_id``; a period, a record or both.
    """

    _name = "report.medical_expiry.report_audit_extract"
    _description = "Audit Log Extract"

    @api.model
    def _get_report_values(self, docids, data=None):
        data = data or {}
        columns, rows = self._report_table(data)
        status, broken = self.env["medical.audit.log"]._chain_status()
        return {
            "doc_ids": docids,
            "doc_model": "medical.audit.extract.wizard",
            "criteria": self._criteria(data),
            "chain_status": status,
            "chain_broken": bool(broken),
            "columns": columns,
            "rows": rows,
        }

    @api.model
    def _xlsx_table(self, data, records):
        """The XLSX report's sheet: the PDF's table under its criteria and the chain's status."""
        columns, rows = self._report_table(data)
        status, _broken = self.env["medical.audit.log"]._chain_status()
        title = self.env._("Audit Log Extract")
        return title, columns, rows, [title, self._criteria(data), status]

    @api.model
    def _check_data(self, data):
        period = data.get("date_from") or data.get("date_to")
        record = data.get("record_model") or data.get("record_id")
        if not period and not record:
            raise UserError(self.env._("Choose a period, a record, or both."))
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            raise UserError(self.env._("The period ends before it starts."))
        if record and not (data.get("record_model") and data.get("record_id")):
            raise UserError(self.env._("Give both the model and the ID of the record."))
        if record and data["record_model"] not in self.env:
            raise UserError(self.env._("There is no model “%s”.", data["record_model"]))

    @api.model
    def _logs(self, data):
        """The rows asked for, oldest first."""
        self._check_data(data)
        domain = []
        if data.get("date_from"):
            domain.append(("timestamp", ">=", data["date_from"]))
        if data.get("date_to"):
            domain.append(("timestamp", "<=", data["date_to"]))
        if data.get("record_model"):
            domain += [("model", "=", data["record_model"]), ("res_id", "=", data["record_id"])]
        return self.env["medical.audit.log"].search(domain, order="sequence")

    @api.model
    def _report_table(self, data):
        return self.env["medical.report.table"]._records_table(self._logs(data), EXTRACT_FIELDS)

    @api.model
    def _criteria(self, data):
        """What the extract covers, in words."""
        parts = []
        if data.get("date_from") or data.get("date_to"):
            parts.append(
                self.env._(
                    "Period: %(start)s to %(end)s",
                    start=data.get("date_from") and format_datetime(self.env, data["date_from"]) or "…",
                    end=data.get("date_to") and format_datetime(self.env, data["date_to"]) or "…",
                )
            )
        if data.get("record_model"):
            record = self.env[data["record_model"]].sudo().browse(data["record_id"]).exists()
            parts.append(
                self.env._(
                    "Record: %(model)s #%(id)s %(name)s",
                    model=self.env["ir.model"]._get(data["record_model"]).name,
                    id=data["record_id"],
                    name=record.display_name or "",
                )
            )
        return " · ".join(parts)
