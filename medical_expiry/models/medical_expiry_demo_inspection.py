from dateutil.relativedelta import relativedelta

from odoo import api, models


class MedicalExpiryDemo(models.AbstractModel):
    """The demo's stock inspections (在库养护), met mid-way: last month's closed and signed in 上海中心仓,
    this month's half recorded, and 苏州分仓's last month still open, overdue, alerting the warehouse
    manager."""

    _inherit = "medical.expiry.demo"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _demo_stock_inspection(self, demo):
        warehouse_user = demo["users"]["warehouse"]
        Plan = self.env["medical.stock.inspection.plan"].with_user(warehouse_user)
        shanghai, suzhou = Plan.create(
            [
                {"warehouse_id": demo["warehouses"][key].id, "manager_id": warehouse_user.id}
                for key in ("shanghai", "suzhou")
            ]
        )
        Inspection = self.env["medical.stock.inspection"]
        last_month = demo["company"]._expiry_today().replace(day=1) - relativedelta(months=1)
        closed, overdue = (
            Inspection._create_for_period(plan, last_month, last_month + relativedelta(day=31))
            for plan in (shanghai, suzhou)
        )
        # Last month in 上海中心仓: every lot checked; the expired syringes reported non-conforming.
        closed = closed.with_user(warehouse_user)
        closed.action_start()
        for line in closed.line_ids:
            expired = line.lot_id.expiry_state == "expired"
            line.write(
                {
                    "appearance": "ok",
                    "expiry_check": "confirmed",
                    "action": "nonconforming" if expired else "none",
                    "note": "已过期，移交质量部按不合格品处理。" if expired else False,
                }
            )
        closed.note = "<p>库房温度 18–22 °C，相对湿度 45–60%，货架整洁，无虫害。</p>"
        self._demo_sign(warehouse_user, closed.action_close(), "本月在库养护检查完成。")
        # This month in 上海中心仓: under way, the first lots recorded, a damp carton to set aside.
        current = shanghai._create_due_inspections().with_user(warehouse_user)
        current.action_start()
        for index, line in enumerate(current.line_ids[:4]):
            damp = index == 1
            line.write(
                {
                    "appearance": "damaged" if damp else "ok",
                    "expiry_check": "confirmed",
                    "action": "quarantine" if damp else ("nonconforming" if index == 0 else "none"),
                    "note": "外箱受潮。" if damp else False,
                }
            )
        suzhou._create_due_inspections()
        Inspection._cron_overdue_alerts()
        return {"closed": closed, "current": current, "overdue": overdue}
