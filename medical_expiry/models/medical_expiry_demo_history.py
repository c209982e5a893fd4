from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import Command, api, models

from .medical_expiry_kpi import HISTORY_MONTHS

# A year of business with the module, oldest month first: (syringes, infusion sets) sold from 上海中心仓
# each month, and the infusion sets found damaged in 养护 (curing checks), blocked and scrapped, less often
# and fewer as FEFO and the alerts take hold: sales grow, turnover days and the expired rate go down.
MONTHLY_SALES = [
    (3000, 5000, 400),
    (3500, 5500, 250),
    (4000, 6000, 0),
    (4500, 6800, 150),
    (5000, 7500, 0),
    (5500, 8200, 0),
    (6000, 9000, 60),
    (6500, 9800, 0),
    (7000, 10500, 0),
    (7500, 11200, 0),
    (8000, 12000, 0),
    (8500, 12800, 0),
]
assert len(MONTHLY_SALES) == HISTORY_MONTHS


class MedicalExpiryDemo(models.AbstractModel):
    """The demo's past year, so that the manager's dashboard opens on twelve months of trends."""

    _inherit = "medical.expiry.demo"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _demo_history(self, demo):
        """Each month: a receipt from 威高, a delivery to a hospital, and the damaged rest scrapped.

        Documents are made and validated through the models like the rest of the demo, then dated back
        into their month: a demo-only shortcut (no real user can date a done move), since the KPIs read
        the date of done move lines. The opening count is dated before the first month, so the stock the
        months walk back from was on hand through the year.
        """
        company = demo["company"]
        today = company._expiry_today()
        first_month = today.replace(day=1) - relativedelta(months=HISTORY_MONTHS - 1)
        opening = self.env["stock.move"].search(
            [("company_id", "=", company.id), ("is_inventory", "=", True), ("state", "=", "done")]
        )
        self._demo_date_moves(opening, company, first_month - timedelta(days=5))
        for index, (syringes, infusions, damaged) in enumerate(MONTHLY_SALES):
            month = first_month + relativedelta(months=index)
            # The current month's documents are dated today at the latest.
            receipt_day = min(month + timedelta(days=2), today)
            delivery_day = min(month + timedelta(days=14), today)
            lots = self._demo_history_receipt(demo, month, syringes, infusions, receipt_day)
            shipped = {"syringe": syringes, "infusion": infusions - damaged}
            self._demo_history_delivery(demo, "zhongshan", lots, shipped, delivery_day)
            if damaged:
                self._demo_history_scrap(demo, lots["infusion"], damaged, delivery_day)

    @api.model
    def _demo_date_moves(self, moves, company, day):
        """Date done ``moves`` (their lines and pickings) on ``day``, 10:00 in the company's time zone."""
        moment = company._expiry_day_start(day) + timedelta(hours=10)
        moves.write({"date": moment})
        moves.move_line_ids.write({"date": moment})
        moves.picking_id.write({"date_done": moment})

    @api.model
    def _demo_history_receipt(self, demo, month, syringes, infusions, day):
        """The month's lots of syringes and infusion sets, received in 上海中心仓 with their lots typed."""
        company = demo["company"]
        devices = demo["devices"]
        receipt = self._demo_purchase(
            demo, "weigao", "shanghai", [("syringe", syringes, 0.78), ("infusion", infusions, 2.4)]
        ).picking_ids
        # 400 days: past the 365 a receipt needs, and before any lot of the opening stock that 中山医院 (180
        # days at least) may take, so that shipping the month's lots there follows FEFO.
        expiry = company._expiry_datetime_of(company._expiry_today() + timedelta(days=400))
        lots = {}
        for key, prefix in (("syringe", "SYR"), ("infusion", "INF")):
            move = receipt.move_ids.filtered(lambda move, key=key: move.product_id == devices[key])
            lots[key] = self.env["stock.lot"].create(
                {
                    "name": f"{prefix}{month:%y%m}R",
                    "product_id": devices[key].id,
                    "company_id": company.id,
                    "expiration_date": expiry,
                }
            )
            move.move_line_ids.unlink()
            self._demo_history_line(move, lots[key], move.product_uom_qty)
        self._demo_validate(receipt.with_user(demo["users"]["warehouse"]))
        self._demo_date_moves(receipt.move_ids, company, day)
        return lots

    @api.model
    def _demo_history_line(self, move, lot, quantity):
        """``move`` done from ``quantity`` of ``lot``, as a user picking it by hand would."""
        self.env["medical.recall.logistics"]._create_move_lines(
            move, [{"lot_id": lot.id, "quantity": quantity}]
        )
        move.picked = True

    @api.model
    def _demo_history_delivery(self, demo, hospital, lots, quantities, day):
        """The month's ``lots`` shipped to ``hospital``: ``quantities`` by device."""
        user = demo["users"]["warehouse"]
        warehouse = demo["warehouses"]["shanghai"]
        customer = self.env.ref("stock.stock_location_customers")
        picking = (
            self.env["stock.picking"]
            .with_user(user)
            .create(
                {
                    "picking_type_id": warehouse.out_type_id.id,
                    "partner_id": demo["hospitals"][hospital].id,
                    "location_id": warehouse.lot_stock_id.id,
                    "location_dest_id": customer.id,
                    "move_ids": [
                        Command.create(
                            {
                                "name": lot.product_id.name,
                                "product_id": lot.product_id.id,
                                "product_uom_qty": quantities[key],
                                "product_uom": lot.product_id.uom_id.id,
                                "location_id": warehouse.lot_stock_id.id,
                                "location_dest_id": customer.id,
                            }
                        )
                        for key, lot in lots.items()
                    ],
                }
            )
        )
        picking.action_confirm()
        for move in picking.move_ids:
            move.move_line_ids.unlink()
            lot = lots["syringe"] if move.product_id == lots["syringe"].product_id else lots["infusion"]
            self._demo_history_line(move, lot, move.product_uom_qty)
        self._demo_validate(picking)
        self._demo_date_moves(picking.move_ids, demo["company"], day)

    @api.model
    def _demo_history_scrap(self, demo, lot, quantity, day):
        """养护 finds the rest of ``lot`` damaged: the warehouse manager blocks and scraps it."""
        user = demo["users"]["warehouse"]
        lot.with_user(user)._block("quality", "养护检查发现外包装破损，冻结待报废。")
        scrap = (
            self.env["stock.scrap"]
            .with_user(user)
            .create(
                {
                    "product_id": lot.product_id.id,
                    "lot_id": lot.id,
                    "scrap_qty": quantity,
                    "location_id": demo["warehouses"]["shanghai"].lot_stock_id.id,
                    "company_id": demo["company"].id,
                }
            )
        )
        scrap.action_validate()
        self._demo_date_moves(scrap.move_ids, demo["company"], day)
        scrap.date_done = scrap.move_ids[:1].date
