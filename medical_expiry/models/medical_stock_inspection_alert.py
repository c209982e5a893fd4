from odoo import api, fields, models


class MedicalStockInspection(models.Model):
    """Overdue stock inspections alert the warehouse manager (``medical.expiry.alert.mixin``): once per
    inspection, closed when the inspection is."""

    _inherit = "medical.stock.inspection"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _cron_overdue_alerts(self):
        """Raise the alert of every overdue inspection once, close those of inspections since closed."""
        alert_types = self._expiry_alert_types()
        # Every company's today is at most a day past UTC's: the exact test is each inspection's own.
        candidates = self.search([("state", "!=", "done"), ("period_end", "<=", fields.Date.today())])
        alerted = self.env["mail.activity"].search(
            [("res_model", "=", self._name), ("activity_type_id", "in", [t.id for t in alert_types.values()])]
        )
        (candidates | self.browse(alerted.mapped("res_id")).exists())._sync_expiry_alerts()

    @api.model
    def _expiry_alert_types(self):
        return {"overdue": self.env.ref("medical_expiry.mail_activity_type_stock_inspection_overdue")}

    def _wanted_expiry_alerts(self):
        """{(id, activity type id, False): users}: the warehouse manager of each overdue inspection."""
        alert_type = self._expiry_alert_types()["overdue"]
        return {
            (inspection.id, alert_type.id, False): inspection._managers_to_alert()
            for inspection in self
            if inspection._is_overdue()
        }

    def _managers_to_alert(self):
        """The plan's warehouse manager, else the company's inventory administrators."""
        manager = self.plan_id.manager_id.filtered("active")
        if manager:
            return manager
        return self.env.ref("stock.group_stock_manager").users.filtered(
            lambda user: self.company_id in user.company_ids and not user.share
        )

    def _expiry_alert_summary(self):
        return self.env._(
            "Stock inspection %(inspection)s of %(warehouse)s was due on %(date)s and is not closed",
            inspection=self.name,
            warehouse=self.warehouse_id.name,
            date=self.period_end,
        )

    def _expiry_alert_closing_note(self):
        return self.env._("Closed by the inspection job: the stock inspection is closed.")
