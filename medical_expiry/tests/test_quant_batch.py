from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import MedicalExpiryCase


@tagged("post_install", "-at_install")
class TestQuantBatch(MedicalExpiryCase):
    """Incoming inventory moves done at once leave the stock, the quants and the valuation that Odoo's
    ``_action_done``, line by line."""

    maxDiff = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.syringe.standard_price = 3.0
        cls.company.write({"annual_inventory_month": "12", "annual_inventory_day": 31})
        category = cls.env["stock.storage.category"].create({"name": "Cold"})
        cls.bin = cls.env["stock.location"].create(
            {"name": "Bin B", "location_id": cls.stock.id, "storage_category_id": category.id}
        )
        cls.inventory = cls.syringe.with_company(cls.company).property_stock_inventory

    def _inventory_moves(self, prefix):
        """Inventory moves bringing in two lots: KNOWN has 5 on hand since last month, NEW has nothing."""
        known = self._create_lot(self.syringe, 300, name=f"{prefix}-KNOWN", quantity=5)
        known.quant_ids.in_date = fields.Datetime.now() - timedelta(days=30)
        # KNOWN's stock is in the database before the lines come, as stock on hand is.
        self.env.flush_all()
        new = self._create_lot(self.syringe, 400, name=f"{prefix}-NEW")
        moves = self.env["stock.move"].create(
            [
                {
                    "name": "Historical lot import",
                    "product_id": self.syringe.id,
                    "product_uom": self.syringe.uom_id.id,
                    "product_uom_qty": sum(quantity for _lot, quantity in lines),
                    "location_id": self.inventory.id,
                    "location_dest_id": destination.id,
                    "state": "confirmed",
                    "is_inventory": True,
                    "picked": True,
                    "move_line_ids": [
                        Command.create(
                            {
                                "product_id": self.syringe.id,
                                "product_uom_id": self.syringe.uom_id.id,
                                "location_id": self.inventory.id,
                                "location_dest_id": destination.id,
                                "lot_id": lot.id,
                                "quantity": quantity,
                            }
                        )
                        for lot, quantity in lines
                    ],
                }
                for destination, lines in ((self.stock, [(known, 2), (new, 4)]), (self.bin, [(new, 6)]))
            ]
        )
        return moves, known, new

    def _left_by(self, moves, known, new):
        """What the moves left, with the lots' names made alike."""
        self.env.invalidate_all()
        quants = self.env["stock.quant"].search([("lot_id", "in", (known | new).ids)])
        return {
            "quants": sorted(
                (quant.lot_id.name.split("-", 1)[1], quant.location_id.id, quant.quantity) for quant in quants
            ),
            "on hand": (known.product_qty, new.product_qty),
            "moves": (set(moves.mapped("state")), set(moves.move_line_ids.mapped("state"))),
            "valuation": sorted(
                moves.stock_valuation_layer_ids.mapped(lambda layer: (layer.quantity, layer.value))
            ),
            # The stored fields Odoo computes when it creates a quant, and the lots' single location.
            "computed": sorted(
                (
                    quant.lot_id.name.split("-", 1)[1],
                    quant.location_id.id,
                    quant.company_id.id,
                    quant.storage_category_id.id,
                    quant.inventory_date,
                    quant.inventory_diff_quantity,
                    quant.inventory_quantity_set,
                    quant.reserved_quantity,
                    quant.expiration_date == quant.lot_id.expiration_date,
                    quant.removal_date == quant.lot_id.removal_date,
                    quant.expiry_date_local == quant.lot_id.expiry_date_local,
                )
                for quant in quants
            ),
            "lot locations": (known.location_id.id, new.location_id.id),
            "known in date kept": known.quant_ids.filtered(
                lambda quant: quant.location_id == self.stock
            ).in_date
            < fields.Datetime.now() - timedelta(days=29),
        }

    def test_moves_done_at_once_leave_what_action_done_leaves(self):
        orm_moves, orm_known, orm_new = self._inventory_moves("ORM")
        orm_moves._action_done()
        batch_moves, batch_known, batch_new = self._inventory_moves("SET")
        # The quants are in the ORM's cache before the batch writes them in SQL.
        self.assertEqual(batch_known.quant_ids.quantity, 5)
        batch_moves._action_done_incoming_batch()

        expected = self._left_by(orm_moves, orm_known, orm_new)
        self.assertEqual(self._left_by(batch_moves, batch_known, batch_new), expected)
        self.assertEqual(
            expected["quants"],
            sorted(
                [
                    ("KNOWN", self.stock.id, 7),
                    ("KNOWN", self.inventory.id, -2),
                    ("NEW", self.stock.id, 4),
                    ("NEW", self.bin.id, 6),
                    ("NEW", self.inventory.id, -10),
                ]
            ),
        )
        self.assertEqual(expected["moves"], ({"done"}, {"done"}))
        self.assertEqual(expected["lot locations"], (self.stock.id, False), "NEW is in two locations")
        self.assertIn(
            ("NEW", self.inventory.id, self.company.id, False, False, 10, False, 0, True, True, True),
            expected["computed"],
        )
        self.assertTrue(expected["known in date kept"], "an older incoming date stays")
        self.assertEqual(len(expected["valuation"]), 2, "one valuation layer per move")
        new_quant = batch_new.quant_ids.filtered(lambda quant: quant.location_id == self.bin)
        self.assertEqual(new_quant.expiration_date, batch_new.expiration_date)
        self.assertEqual(new_quant.company_id, self.company)

    def test_lines_taking_stock_out_are_left_to_action_done(self):
        lot = self._create_lot(self.syringe, 300, name="OUT", quantity=5)
        move = self.env["stock.move"].create(
            {
                "name": "Out",
                "product_id": self.syringe.id,
                "product_uom": self.syringe.uom_id.id,
                "product_uom_qty": 2,
                "location_id": self.stock.id,
                "location_dest_id": self.bin.id,
                "state": "confirmed",
                "picked": True,
                "move_line_ids": [
                    Command.create(
                        {
                            "product_id": self.syringe.id,
                            "product_uom_id": self.syringe.uom_id.id,
                            "location_id": self.stock.id,
                            "location_dest_id": self.bin.id,
                            "lot_id": lot.id,
                            "quantity": 2,
                        }
                    )
                ],
            }
        )
        state = move.state
        with self.assertRaises(ValueError):
            move._action_done_incoming_batch()
        self.assertEqual(lot.quant_ids.filtered(lambda quant: quant.location_id == self.stock).quantity, 5)
        self.assertEqual(move.state, state)

    def test_done_moves_are_not_done_again(self):
        moves, known, _new = self._inventory_moves("TWICE")
        moves._action_done_incoming_batch()
        with self.assertRaises(UserError):
            moves._action_done_incoming_batch()
        self.assertEqual(known.product_qty, 7)
