from datetime import datetime, time, timedelta

import pytz

from odoo import fields, models
from odoo.tools import SQL

from odoo.addons.base.models.res_partner import _tz_get


class ResCompany(models.Model):
    _inherit = "res.company"

    expiry_tz = fields.Selection(
        _tz_get,
        string="Expiry Time Zone",
        required=True,
        default=lambda self: self._default_expiry_tz(),
        help="有效期至 D means usable through the end of day D in this time zone, and expired from the next "
        "midnight here. Every expiry level, block, guard, report and UDI date of the company is read in it.",
    )

    expiry_alert_escalation_days = fields.Integer(
        string="Escalate Expiry Alerts After (days)",
        default=7,
        help="An expiry alert still open after this many days is escalated once to the expiry managers.",
    )
    # 医疗器械召回管理办法: the recalling company notifies its customers within 1, 3 or 7 days of deciding
    # a class I, II or III recall.
    recall_notice_days_class_1 = fields.Integer(
        string="Class I Recall Notice Deadline (days)",
        default=1,
        help="Days from the opening of a class I recall within which every customer must be notified.",
    )
    recall_notice_days_class_2 = fields.Integer(
        string="Class II Recall Notice Deadline (days)",
        default=3,
        help="Days from the opening of a class II recall within which every customer must be notified.",
    )
    recall_notice_days_class_3 = fields.Integer(
        string="Class III Recall Notice Deadline (days)",
        default=7,
        help="Days from the opening of a class III recall within which every customer must be notified.",
    )

    qualification_policy = fields.Selection(
        [("warn", "Warn"), ("block", "Refuse")],
        string="Lapsed Qualifications",
        required=True,
        default="block",
        help="What happens to a purchase order from a supplier whose licence lapsed or does not cover the "
        "device's class, a sale order or delivery to a customer whose licence lapsed, and a receipt of a "
        "device whose registration lapsed. Refuse: it cannot go on unless an expiry manager overrides "
        "with a reason. Warn: it goes on with a note. Both are kept in the audit log.",
    )

    first_business_approval_required = fields.Boolean(
        string="First-Business Approval",
        default=True,
        help="首营审核: medical devices are bought only from a supplier, and only devices, that quality "
        "approved with a signature. An order that lacks an approval is refused or flagged as the "
        "qualification policy says.",
    )

    outbound_double_check_required = fields.Boolean(
        string="Outbound Double-Check",
        help="出库复核: a delivery of medical devices is validated only once a second person, not the one "
        "who picked, confirmed each line's product, lot, expiry, quantity and packaging.",
    )

    def _default_expiry_tz(self):
        return self.env.user.tz or "Asia/Shanghai"

    # ------------------------------------------------------------------
    # The company's calendar: the one meaning of "today" and of "expires on D"
    # ------------------------------------------------------------------
    def _expiry_calendar(self):
        """The company whose calendar decides (the current one for records without a company)."""
        return self[:1] or self.env.company

    def _expiry_lang(self, reader=None):
        """The language of a text written for ``reader`` (a user or a partner): theirs, else the
        company's (what it writes for its inspectors: audit reasons, chatter), else the current one."""
        company = self._expiry_calendar()
        return (reader and reader.lang) or company.partner_id.lang or self.env.lang or "en_US"

    def _expiry_today(self, now=None):
        """Today's date in the company's expiry time zone (``now``: a naive UTC datetime)."""
        company = self._expiry_calendar()
        moment = pytz.utc.localize(now or fields.Datetime.now())
        return moment.astimezone(pytz.timezone(company.expiry_tz)).date()

    def _expiry_date_of(self, expiration_date):
        """The calendar date D of a stored expiration datetime (naive UTC): the date people read and print."""
        if not expiration_date:
            return False
        company = self._expiry_calendar()
        return pytz.utc.localize(expiration_date).astimezone(pytz.timezone(company.expiry_tz)).date()

    def _expiry_day_start(self, day):
        """The naive UTC datetime at which ``day`` begins in the company's time zone."""
        company = self._expiry_calendar()
        midnight = pytz.timezone(company.expiry_tz).localize(
            datetime.combine(fields.Date.to_date(day), time())
        )
        return midnight.astimezone(pytz.utc).replace(tzinfo=None)

    def _expiry_datetime_of(self, expiry_date):
        """The stored expiration datetime (naive UTC) for 有效期至 ``expiry_date``: the last second of that
        day in the company's time zone, so that Odoo's own "expiration date <= now" agrees with "usable
        through D".
        """
        if not expiry_date:
            return False
        return self._expiry_day_start(fields.Date.to_date(expiry_date) + timedelta(days=1)) - timedelta(
            seconds=1
        )

    def _expiry_local_date_sql(self, utc_timestamp, company_id=None, time_zone=None):
        """SQL form of ``_expiry_date_of`` and ``_expiry_today``: the local date of the naive UTC timestamp
        ``utc_timestamp`` (SQL) in the expiry time zone of the company ``company_id`` (SQL; NULL: the current
        company). Derived here so that SQL and Python read a date the same way.

        ``time_zone``: the SQL of that company's ``expiry_tz`` column, when the query joins the company
        already. A query over many rows should: a look-up per row makes a scan of a million quants five
        times slower than the join.
        """
        self.env["res.company"].flush_model(["expiry_tz"])
        if time_zone is None:
            time_zone = SQL(
                "(SELECT expiry_tz FROM res_company WHERE id = COALESCE(%s, %s))",
                company_id,
                self.env.company.id,
            )
        return SQL("((%s) AT TIME ZONE 'UTC' AT TIME ZONE %s)::date", utc_timestamp, time_zone)

    def _recall_notice_days(self, recall_class):
        """Days a recall of ``recall_class`` leaves to notify the customers."""
        self.ensure_one()
        return self[f"recall_notice_days_{recall_class}"]
