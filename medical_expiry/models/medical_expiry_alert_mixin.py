from odoo import api, models


class MedicalExpiryAlertMixin(models.AbstractModel):
    """Expiry alerts kept in line with what records call for: lots, qualifications.

    A model gives ``_expiry_alert_types()`` ({state: activity type}), ``_wanted_expiry_alerts()``
    ({(record id, activity type id, rule id): users}), ``_expiry_alert_summary()`` and
    ``_expiry_alert_closing_note()``. The alert types are kept when done, so an alert handled once is
    never raised again for the same level: syncing is idempotent. An alert may also sit on another record
    that stands for several (a product for its lots): ``_apply_expiry_alerts`` does the work for any model.
    """

    _name = "medical.expiry.alert.mixin"
    _description = "Expiry Alerts"

    def _sync_expiry_alerts(self):
        """Raise the missing alerts of these records and close the ones their level no longer calls for."""

        def summary(record_id):
            return lambda lang: self.browse(record_id).with_context(lang=lang)._expiry_alert_summary()

        wanted = {
            key: {"users": users, "summary": summary(key[0])}
            for key, users in self._wanted_expiry_alerts().items()
        }
        self._apply_expiry_alerts(self, wanted, lambda record: record._expiry_alert_closing_note())

    @api.model
    def _apply_expiry_alerts(self, subjects, wanted, closing_note):
        """Bring the expiry alerts on ``subjects`` (records of any model) in line with ``wanted``.

        ``wanted``: {(subject id, activity type id, rule id): {"users", "summary" (a function of the
        reader's language giving the alert's text), and optionally "lot_count", the lots the alert
        covers}}; ``closing_note(subject)`` says why an alert is closed. Each alert is written in its
        user's language. An open alert whose text changed gets the new one; one no longer wanted is closed.
        """
        alert_types = self._expiry_alert_types()
        existing = (
            self.env["mail.activity"]
            .with_context(active_test=False)
            .search(
                [
                    ("res_model", "=", subjects._name),
                    ("res_id", "in", subjects.ids),
                    ("activity_type_id", "in", [alert_type.id for alert_type in alert_types.values()]),
                ]
            )
        )
        raised = {
            (activity.res_id, activity.activity_type_id.id, activity.expiry_rule_id.id, activity.user_id.id)
            for activity in existing
        }
        model_id = self.env["ir.model"]._get_id(subjects._name)
        today = self.env.company._expiry_today()
        vals_list = [
            {
                "res_model_id": model_id,
                "res_id": subject_id,
                "activity_type_id": type_id,
                "expiry_rule_id": rule_id,
                "user_id": user.id,
                "date_deadline": today,
                "summary": alert["summary"](user.lang),
                "expiry_lot_count": alert.get("lot_count", 1),
            }
            for (subject_id, type_id, rule_id), alert in wanted.items()
            for user in alert["users"]
            if (subject_id, type_id, rule_id, user.id) not in raised
        ]
        self.env["mail.activity"].with_context(mail_activity_quick_update=True).create(vals_list)
        for activity in existing.filtered("active"):
            alert = wanted.get((activity.res_id, activity.activity_type_id.id, activity.expiry_rule_id.id))
            summary = alert and alert["summary"](activity.user_id.lang)
            if alert and activity.summary != summary:
                activity.write({"summary": summary, "expiry_lot_count": alert.get("lot_count", 1)})
        stale = existing.filtered(
            lambda activity: (
                activity.active
                and (activity.res_id, activity.activity_type_id.id, activity.expiry_rule_id.id) not in wanted
            )
        )
        stale.expiry_auto_closed = True
        for activity in stale:
            reader = subjects.browse(activity.res_id).with_context(lang=activity.user_id.lang)
            activity.action_feedback(feedback=closing_note(reader))

    def _action_run_alert_job(self, job, done_message):
        """Managers run a daily alert job on demand, as the system: it looks at every record."""
        self.env["res.users"]._check_expiry_manager(self.env._("Run the Alert Jobs"))
        getattr(self.sudo(), job)()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"message": done_message, "type": "success"},
        }
