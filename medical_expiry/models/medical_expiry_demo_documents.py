from datetime import timedelta

from odoo import Command, api, models

from .medical_expiry_demo import DEMO_PASSWORD


class MedicalExpiryDemo(models.AbstractModel):
    """The demo's documents, in every state a user meets, each made by the user whose work it is."""

    _inherit = "medical.expiry.demo"

    @api.model
    def _demo_documents(self, demo):
        demo["receipts"] = self._demo_receipts(demo)
        demo["refused_purchase"] = self._demo_purchase(
            demo, "winner", "shanghai", [("mask", 20000, 0.45)], confirm=False
        )
        demo["deliveries"] = self._demo_deliveries(demo)
        demo["transit"] = self._demo_transfer_in_transit(demo)
        demo["customer_return"] = self._demo_customer_return(demo)
        demo["recall"] = self._demo_recall(demo)
        demo["signatures"] = self._demo_signed_actions(demo)
        # Alerts as the nightly jobs leave them.
        self.env["stock.lot"]._cron_expiry_alerts(full=True)
        self.env["medical.qualification"]._cron_qualification_alerts()

    # ------------------------------------------------------------------
    # Purchases and receipts
    # ------------------------------------------------------------------
    @api.model
    def _demo_purchase(self, demo, supplier, warehouse, lines, confirm=True):
        """A purchase order of the warehouse manager: lines of (device, quantity, unit price)."""
        order = (
            self.env["purchase.order"]
            .with_user(demo["users"]["warehouse"])
            .create(
                {
                    "partner_id": demo["suppliers"][supplier].id,
                    "picking_type_id": demo["warehouses"][warehouse].in_type_id.id,
                    "order_line": [
                        Command.create(
                            {
                                "product_id": demo["devices"][device].id,
                                "product_qty": qty,
                                "price_unit": price,
                            }
                        )
                        for device, qty, price in lines
                    ],
                }
            )
        )
        if confirm:
            order.button_confirm()
        return order

    @api.model
    def _demo_receipts(self, demo):
        """Received with lots typed in, received by scanning UDIs, and one waiting to be received."""
        company = demo["company"]
        today = company._expiry_today()
        typed = self._demo_purchase(
            demo, "weigao", "shanghai", [("syringe", 2000, 0.78), ("infusion", 1000, 2.4)]
        ).picking_ids
        lots = {
            demo["devices"]["syringe"]: ("SYR2611F", 1060),
            demo["devices"]["infusion"]: ("INF2601F", 400),
        }
        for move in typed.move_ids:
            name, days = lots[move.product_id]
            move.move_line_ids.unlink()
            self.env["stock.move.line"].create(
                {
                    "move_id": move.id,
                    "picking_id": typed.id,
                    "product_id": move.product_id.id,
                    "product_uom_id": move.product_uom.id,
                    "location_id": move.location_id.id,
                    "location_dest_id": move.location_dest_id.id,
                    "lot_name": name,
                    "expiration_date": company._expiry_datetime_of(today + timedelta(days=days)),
                    "quantity": move.product_uom_qty,
                }
            )
            move.picked = True
        self._demo_validate(typed.with_user(demo["users"]["warehouse"]))
        scanned = self._demo_purchase(demo, "yuwell", "suzhou", [("glucose", 120, 43.0)]).picking_ids
        expiry = (today + timedelta(days=500)).strftime("%y%m%d")
        di = demo["devices"]["glucose"].barcode
        for lot, quantity in (("GLU2608E", 80), ("GLU2609F", 40)):
            scanned.with_user(demo["users"]["warehouse"])._apply_udi_code(
                f"(01){di}(17){expiry}(10){lot}(30){quantity}"
            )
        self._demo_validate(scanned.with_user(demo["users"]["warehouse"]))
        waiting = self._demo_purchase(demo, "weigao", "shanghai", [("mask", 10000, 0.48)]).picking_ids
        return {"typed": typed, "scanned": scanned, "waiting": waiting}

    @api.model
    def _demo_validate(self, picking):
        """Validate as the user would; the demo expects no question (backorder, confirmation) to arise."""
        result = picking.button_validate()
        if result is not True or picking.state != "done":
            # A demo that no longer matches the module's rules: for its developers, not its users.
            raise RuntimeError(f"The demo could not validate {picking.name}: {result}")
        return picking

    # ------------------------------------------------------------------
    # Sales and deliveries
    # ------------------------------------------------------------------
    @api.model
    def _demo_sale(self, demo, hospital, warehouse, device, quantity):
        """A confirmed sale order of the warehouse manager; its delivery reserved FEFO by Odoo."""
        order = (
            self.env["sale.order"]
            .with_user(demo["users"]["warehouse"])
            .create(
                {
                    "partner_id": demo["hospitals"][hospital].id,
                    "warehouse_id": demo["warehouses"][warehouse].id,
                    "order_line": [
                        Command.create(
                            {
                                "product_id": demo["devices"][device].id,
                                "product_uom_qty": quantity,
                                "price_unit": demo["devices"][device].list_price,
                            }
                        )
                    ],
                }
            )
        )
        order.action_confirm()
        return order.picking_ids

    @api.model
    def _demo_deliveries(self, demo):
        """Delivered, and reserved waiting to ship: one past a hospital's minimum shelf life, one taking
        a lot whose level warns."""
        delivered = self.env["stock.picking"]
        for hospital, warehouse, device, quantity in (
            ("zhongshan", "shanghai", "infusion", 300),
            ("ruijin", "shanghai", "infusion", 200),
            ("suda", "suzhou", "mask", 500),
        ):
            delivered |= self._demo_validate(self._demo_sale(demo, hospital, warehouse, device, quantity))
        return {
            "delivered": delivered,
            # 中山医院 takes 180 days of shelf life at least: FEFO skips the lots closer to expiry.
            "reserved": self._demo_sale(demo, "zhongshan", "shanghai", "syringe", 1000),
            # 苏大附一院 takes the earliest lot, whose 30-day level warns at shipping.
            "warned": self._demo_sale(demo, "suda", "suzhou", "mask", 800),
        }

    @api.model
    def _demo_transfer_in_transit(self, demo):
        """上海中心仓 sends syringes to 苏州分仓: shipped, on the road, waiting to be received there."""
        user = demo["users"]["warehouse"]
        shanghai, suzhou = demo["warehouses"]["shanghai"], demo["warehouses"]["suzhou"]
        transit = demo["company"].internal_transit_location_id
        syringe = demo["devices"]["syringe"]
        pickings = {}
        for key, picking_type, source, destination in (
            ("shipped", shanghai.int_type_id, shanghai.lot_stock_id, transit),
            ("arriving", suzhou.in_type_id, transit, suzhou.lot_stock_id),
        ):
            pickings[key] = (
                self.env["stock.picking"]
                .with_user(user)
                .create(
                    {
                        "picking_type_id": picking_type.id,
                        "location_id": source.id,
                        "location_dest_id": destination.id,
                        "origin": "上海中心仓 → 苏州分仓 调拨",
                        "move_ids": [
                            Command.create(
                                {
                                    "name": syringe.name,
                                    "product_id": syringe.id,
                                    "product_uom_qty": 600,
                                    "product_uom": syringe.uom_id.id,
                                    "location_id": source.id,
                                    "location_dest_id": destination.id,
                                }
                            )
                        ],
                    }
                )
            )
            pickings[key].action_confirm()
            pickings[key].action_assign()
            if key == "shipped":
                self._demo_validate(pickings[key])
        return pickings

    @api.model
    def _demo_customer_return(self, demo):
        """苏大附一院 sends back 50 masks with damaged boxes; near expiry, they come back to quarantine."""
        delivery = demo["deliveries"]["delivered"].filtered(
            lambda picking: picking.partner_id == demo["hospitals"]["suda"]
        )
        user = demo["users"]["warehouse"]
        wizard = (
            self.env["stock.return.picking"]
            .with_user(user)
            .with_context(active_id=delivery.id, active_model="stock.picking")
            .create({"picking_id": delivery.id})
        )
        wizard.product_return_moves.quantity = 50
        returned = self.env["stock.picking"].with_user(user).browse(wizard.action_create_returns()["res_id"])
        move = returned.move_ids
        move.move_line_ids.unlink()
        self.env["stock.move.line"].create(
            {
                "move_id": move.id,
                "picking_id": returned.id,
                "product_id": move.product_id.id,
                "product_uom_id": move.product_uom.id,
                "location_id": move.location_id.id,
                "location_dest_id": move.location_dest_id.id,
                "lot_id": delivery.move_line_ids.lot_id[:1].id,
                "quantity": 50,
            }
        )
        move.picked = True
        return self._demo_validate(returned)

    # ------------------------------------------------------------------
    # Recall and signed actions
    # ------------------------------------------------------------------
    @api.model
    def _demo_recall(self, demo):
        """威高 recalls infusion set lot INF2601F: opened and confirmed by the quality manager, notices
        to both hospitals sent, one acknowledged."""
        quality = demo["users"]["quality"]
        lot = self.env["stock.lot"].search(
            [("name", "=", "INF2601F"), ("company_id", "=", demo["company"].id)], limit=1
        )
        wizard = (
            self.env["medical.recall.wizard"]
            .with_user(quality)
            .create(
                {
                    "scope": "lots",
                    "lot_ids": [Command.set(lot.ids)],
                    "recall_class": "class_2",
                    "source": "manufacturer",
                    "reason": "威高集团通知：该批次输液器部分产品流量调节器可能失灵，主动召回。",
                }
            )
        )
        recall = self.env["medical.recall"].with_user(quality).browse(wizard.action_create()["res_id"])
        self._demo_sign(quality, recall.action_confirm(), "生产企业召回通知已核实，确认召回。")
        recall.notice_ids.action_mark_sent()
        recall.notice_ids.filtered(
            lambda notice: notice.partner_id == demo["hospitals"]["zhongshan"]
        ).action_acknowledge()
        return recall

    @api.model
    def _demo_sign(self, user, action, reason, **vals):
        """Fill in (``vals``) and sign the signature window ``action`` opened, as ``user`` would."""
        defaults = {
            key.removeprefix("default_"): value
            for key, value in action["context"].items()
            if key.startswith("default_")
        }
        wizard = (
            self.env[action["res_model"]]
            .with_user(user)
            .create({**defaults, "password": DEMO_PASSWORD, "meaning": "approval", "reason": reason, **vals})
        )
        return wizard.action_sign()

    @api.model
    def _demo_signed_actions(self, demo):
        """A lot blocked for a damp carton and released, signed, after inspection; a mistyped expiry
        date corrected, signed."""
        quality, warehouse = demo["users"]["quality"], demo["users"]["warehouse"]
        lots = demo["lots"]
        damp = lots["GLU2510D"].with_user(warehouse)
        self.env["medical.lot.block.wizard"].with_user(warehouse).create(
            {"lot_ids": [Command.set(damp.ids)], "reason": "quality", "note": "外包装受潮，待质量部评估。"}
        ).action_block()
        self._demo_sign(
            quality, damp.with_user(quality).action_unblock(), "质量部抽检合格，内包装完好，解除冻结。"
        )
        plate = lots["ORT25SN0004"].with_user(warehouse)
        self._demo_sign(
            warehouse,
            plate.action_change_expiration_date(),
            "入库时有效期录入错误，按产品标签更正。",
            new_expiration_date=demo["company"]._expiry_today() + timedelta(days=730),
        )
        return self.env["medical.signature"].search([("user_id", "in", (quality | warehouse).ids)])
