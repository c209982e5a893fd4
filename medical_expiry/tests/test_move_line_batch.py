from odoo.tests import tagged

from .common import MedicalExpiryCase

# Not compared: the records' own ids and the moments they were made (the two batches are made one after
# the other). move_id is compared as the position of the line's move in its batch.
NOT_COMPARED = {"id", "move_id", "create_date", "write_date", "date"}


@tagged("post_install", "-at_install")
class TestMoveLineBatch(MedicalExpiryCase):
    """Move lines created in SQL for the historical import store what ``stock.move.line.create`` stores,
    and leave their moves as ``create`` leaves them."""

    maxDiff = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bandage = cls._create_product("Bandage", cls.categ_device, use_expiration_date=False)
        cls.syringe_lots = cls._create_lot(cls.syringe, 300, name="SYR-A") | cls._create_lot(
            cls.syringe, 500, name="SYR-B"
        )
        cls.bandage_lot = cls.env["stock.lot"].create(
            {"name": "BAN-A", "product_id": cls.bandage.id, "company_id": cls.company.id}
        )
        cls.inventory = cls.syringe.with_company(cls.company).property_stock_inventory
        cls.dozens = cls.env.ref("uom.product_uom_dozen")

    def _moves_and_lines(self):
        """The import's moves (no lines yet) and the values of their lines: a move a product and place."""
        lines = [
            (
                self.syringe,
                self.stock,
                [(self.syringe_lots[0], 5, self.syringe.uom_id), (self.syringe_lots[1], 2.5, self.dozens)],
            ),
            (self.syringe, self.stock_2, [(self.syringe_lots[0], 3, self.syringe.uom_id)]),
            (self.bandage, self.stock, [(self.bandage_lot, 7, self.bandage.uom_id)]),
        ]
        moves = self.env["stock.move"].create(
            [
                {
                    "name": "Historical lot import: lots.csv",
                    "product_id": product.id,
                    "product_uom": product.uom_id.id,
                    "product_uom_qty": 10,
                    "location_id": self.inventory.id,
                    "location_dest_id": location.id,
                    "company_id": self.company.id,
                    "state": "confirmed",
                    "is_inventory": True,
                    "picked": True,
                }
                for product, location, _lines in lines
            ]
        )
        line_vals = [
            {
                "move_id": move.id,
                "product_id": product.id,
                "product_uom_id": uom.id,
                "location_id": self.inventory.id,
                "location_dest_id": location.id,
                "company_id": self.company.id,
                "lot_id": lot.id,
                "quantity": quantity,
            }
            for move, (product, location, move_lines) in zip(moves, lines, strict=True)
            for lot, quantity, uom in move_lines
        ]
        return moves, line_vals

    def _stored(self, moves):
        """Every stored column of the moves and of their lines, read back from the database."""
        self.env.invalidate_all()

        def read(records):
            names = [
                name
                for name, field in records._fields.items()
                if field.store and field.column_type and name not in NOT_COMPARED
            ]
            return [{**values, "id": None} for values in records.read(names)]

        lines = moves.move_line_ids.sorted("id")
        positions = [list(moves).index(line.move_id) for line in lines]
        return read(moves), list(zip(positions, read(lines), strict=True))

    def test_lines_created_in_sql_store_what_create_stores(self):
        Line = self.env["stock.move.line"]
        orm_moves, orm_line_vals = self._moves_and_lines()
        Line.create(orm_line_vals)
        sql_moves, sql_line_vals = self._moves_and_lines()
        sql_lines = Line._create_import_lines_sql(sql_line_vals)
        self.assertEqual(sql_lines.move_id, sql_moves)
        self.assertEqual(self._stored(sql_moves), self._stored(orm_moves))
        self.assertEqual(sql_lines.mapped("quantity_product_uom"), [5, 30, 3, 7])
        self.assertEqual(sql_moves.mapped("quantity"), [35, 3, 7])
        self.assertEqual(sql_lines[0].expiration_date, self.syringe_lots[0].expiration_date)
        self.assertEqual(sql_lines.medical_picked_by_id, self.env.user)
        self.assertTrue(all(sql_lines.mapped("date")))
        # Done at once, they leave what the lines made by create leave.
        orm_moves._action_done_incoming_batch()
        sql_moves._action_done_incoming_batch()
        self.assertEqual(self._stored(sql_moves), self._stored(orm_moves))
        self.assertEqual(set(sql_lines.mapped("state")), {"done"})

    def test_lines_of_moves_that_reserve_are_refused(self):
        Line = self.env["stock.move.line"]
        moves, line_vals = self._moves_and_lines()
        moves[0].location_id = self.stock_2
        count = Line.search_count([])
        with self.assertRaises(ValueError):
            Line._create_import_lines_sql(line_vals)
        with self.assertRaises(ValueError):
            Line._create_import_lines_sql([{**line_vals[-1], "lot_name": "NEW"}])
        self.assertEqual(Line.search_count([]), count)
        self.assertFalse(moves.move_line_ids)
