from odoo import api, models


class MedicalExpiryDemo(models.AbstractModel):
    """The demo's non-conforming goods (不合格品): the expired stock the nightly job and last month's
    inspection reported, in the red zone of 上海中心仓; one lot destroyed before a witness, one crushed
    carton approved for return to its supplier, the rest waiting for the quality manager."""

    _inherit = "medical.expiry.demo"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _demo_nonconforming(self, demo):
        quality, warehouse_user = demo["users"]["quality"], demo["users"]["warehouse"]
        shanghai = demo["warehouses"]["shanghai"]
        Register = self.env["medical.nonconforming"]
        self.env["stock.lot"]._cron_report_expired_stock()
        reported = Register.search([("company_id", "=", demo["company"].id)], order="id")
        for picking in reported.intake_picking_id.with_user(warehouse_user):
            picking.move_ids.picked = True
            result = picking.button_validate()
            if isinstance(result, dict):  # product_expiry asks to confirm moving expired lots
                self.env[result["res_model"]].with_user(warehouse_user).with_context(
                    **result["context"]
                ).create({}).process()
        crushed = self._demo_crushed_carton(demo, shanghai)
        destroyed = reported.filtered(lambda entry: entry.location_id.warehouse_id == shanghai)[:1]
        if destroyed:
            destroyed = destroyed.with_user(quality)
            self._demo_sign(
                quality, destroyed.action_approve(), "已过期，不可使用，批准销毁。", disposition="destroy"
            )
            self._demo_sign(
                warehouse_user,
                destroyed.with_user(warehouse_user).action_destroy(),
                "在质量部见证下粉碎销毁。",
                meaning="execution",
                witness_ids=[(6, 0, quality.ids)],
            )
        returned = crushed.with_user(quality)
        self._demo_sign(
            quality,
            returned.action_approve(),
            "外箱压损，退回供应商。",
            disposition="return",
            supplier_id=demo["suppliers"]["weigao"].id,
        )
        return {"destroyed": destroyed, "returned": returned, "waiting": reported - destroyed}

    @api.model
    def _demo_crushed_carton(self, demo, warehouse):
        """A carton crushed by a forklift, reported by the warehouse and taken to the red zone."""
        quant = self.env["stock.quant"].search(
            [
                ("location_id", "=", warehouse.lot_stock_id.id),
                ("lot_id.is_blocked", "=", False),
                ("lot_id.expiry_state", "!=", "expired"),
                ("quantity", ">", 2),
            ],
            order="id",
            limit=1,
        )
        entry = (
            self.env["medical.nonconforming"]
            .with_user(demo["users"]["warehouse"])
            ._report_goods(
                [
                    {
                        "reason": "damaged",
                        "lot_id": quant.lot_id.id,
                        "location_id": quant.location_id.id,
                        "quantity": 2,
                        "note": "叉车作业时外箱压损。",
                    }
                ]
            )
        )
        picking = entry.intake_picking_id.with_user(demo["users"]["warehouse"])
        picking.move_ids.picked = True
        self._demo_validate(picking)
        return entry
