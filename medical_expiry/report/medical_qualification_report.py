from datetime import timedelta

from odoo import api, models
from odoo.exceptions import UserError
from odoo.tools import format_date

HOLDER_FILTERS = [("all", "Partners and Products"), ("partner", "Partners"), ("product", "Products")]


class ReportQualificationExpiry(models.AbstractModel):
    """The qualifications to renew: those of the company that end within N days, by holder.

    A document already replaced by a valid renewal needs nothing and is left out, as from the alerts.
    ``data``: ``days`` (N, zero or more), ``holder`` (a HOLDER_FILTERS key) and ``include_lapsed`` (also
    the documents expired or revoked without a valid replacement, the latest of each holder and type) and
    ``include_approvals`` (after them, each first-business approval of the company with its documents).
    """

    _name = "report.medical_expiry.report_qualification_expiry"
    _description = "Qualification Expiry Report"

    @api.model
    def _get_report_values(self, docids, data=None):
        data = data or {}
        columns, sections = self._report_sections(data)
        return {
            "doc_ids": docids,
            "doc_model": "medical.qualification.report.wizard",
            "title": self._title(data),
            "scope": self._scope(data),
            # Each section is headed by its holder: its tables go without the holder column.
            "columns": columns[1:],
            "sections": sections,
        }

    @api.model
    def _xlsx_table(self, data, records):
        """The XLSX report's sheet: the PDF's sections in one table, the holder first."""
        columns, sections = self._report_sections(data)
        rows = [[holder, *row] for holder, holder_rows in sections for row in holder_rows]
        title = self._title(data)
        return title, columns, rows, [title, self._scope(data)]

    @api.model
    def _check_data(self, data):
        days = data.get("days")
        if not isinstance(days, int) or days < 0:
            raise UserError(self.env._("“Expiring Within” must be zero or more days."))
        if data.get("holder") not in dict(HOLDER_FILTERS):
            raise UserError(self.env._("Choose whether to report partners, products or both."))

    @api.model
    def _title(self, data):
        return self.env._("Qualifications Expiring within %s Days", data["days"])

    @api.model
    def _scope(self, data):
        """What the report covers, in words: the day it counts from, the holders, the lapsed documents."""
        wizard = self.env["medical.qualification.report.wizard"]
        holders = dict(wizard._fields["holder"]._description_selection(self.env))[data["holder"]]
        lapsed = (
            self.env._("expired and revoked documents not renewed included")
            if data.get("include_lapsed")
            else self.env._("expired and revoked documents left out")
        )
        return self.env._(
            "As of %(date)s · %(holders)s · %(lapsed)s · documents replaced by a valid renewal left out",
            date=format_date(self.env, self.env.company._expiry_today()),
            holders=holders,
            lapsed=lapsed,
        )

    @api.model
    def _columns(self):
        return [
            (self.env._("Holder"), 28),
            (self.env._("Type"), 26),
            (self.env._("Number"), 28),
            (self.env._("Issuing Authority"), 24),
            (self.env._("Valid To"), 12),
            (self.env._("Days Left"), 10),
            (self.env._("Status"), 10),
            (self.env._("Alert Level"), 16),
            (self.env._("Responsible"), 18),
        ]

    @api.model
    def _qualifications(self, data):
        """The documents to report, in the model's order (soonest end first)."""
        self._check_data(data)
        Qualification = self.env["medical.qualification"]
        domain = [] if data["holder"] == "all" else [("holder", "=", data["holder"])]
        # Searched as the company keeps them on file, then read as the user: he sees nothing he may not.
        limit = self.env.company._expiry_today() + timedelta(days=data["days"])
        expiring = Qualification._on_file(
            [*domain, ("state", "in", ("valid", "expiring")), ("date_end", "<=", limit)]
        ).sudo(False)
        reported = expiring - expiring._renewed()
        if data.get("include_lapsed"):
            lapsed = Qualification._on_file([*domain, ("state", "in", ("expired", "revoked"))]).sudo(False)
            reported |= lapsed._lapsed()
        return reported.sorted()

    @api.model
    def _report_sections(self, data):
        """(columns, sections): sections are [(holder, rows)], the holder with the soonest end first; the
        rows lack the holder column, the first of ``columns``."""
        by_holder = self._qualifications(data).grouped(lambda document: document._holder_record())
        sections = [
            (holder.display_name, [self._row(document) for document in documents])
            for holder, documents in by_holder.items()
        ]
        return self._columns(), sections + self._approval_sections(data)

    @api.model
    def _approval_sections(self, data):
        """One section per first-business approval of the company, headed by its state and signer, listing
        the valid documents that answer its checklist."""
        if not data.get("include_approvals"):
            return []
        domain = [("company_id", "=", self.env.company.id)]
        if data["holder"] != "all":
            domain.append(("holder", "=", data["holder"]))
        approvals = self.env["medical.first.business.approval"].search(domain, order="holder, id")
        return [
            (approval._report_heading(), [self._row(document) for document in approval.document_ids])
            for approval in approvals
        ]

    @api.model
    def _row(self, document):
        cell = self.env["medical.report.table"]._cell_value
        field = document._fields
        return [
            cell(document, field["qualification_type"]),
            document.number,
            document.issuing_authority or None,
            document.date_end or None,
            document.days_to_expiry if document.date_end else None,
            cell(document, field["state"]),
            cell(document, field["expiry_rule_id"]),
            cell(document, field["user_id"]),
        ]
