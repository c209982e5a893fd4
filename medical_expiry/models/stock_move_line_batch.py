from odoo import api, fields, models
from odoo.tools import SQL, float_round

# What a line of the historical lot import is created with: the keys _create_import_lines_sql accepts.
IMPORT_LINE_FIELDS = (
    "move_id",
    "product_id",
    "product_uom_id",
    "location_id",
    "location_dest_id",
    "company_id",
    "lot_id",
    "quantity",
)


class StockMoveLine(models.Model):
    """Set-based move line creation, for batches of thousands of lines (the historical lot import)."""

    _inherit = "stock.move.line"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _create_import_lines_sql(self, vals_list):
        """Create move lines in one statement: what ``create(vals_list)`` stores, for lines of a lot with
        the keys of ``IMPORT_LINE_FIELDS`` only, whose moves take their stock from a location without
        reservations and are in no transfer (the import's inventory moves); returns the lines in order.

        ``create`` costs about a millisecond a line (defaults, computes, the picker), half of a 10k-row
        import (bench/: "lot import 10k rows"). The stored fields it derives are given their values here:
        the company, picked state, state and reference of the move, the quantity in the product's unit,
        the lot's expiration date, today's date and the line's picker (``medical_picked_by_id``, the
        user). The moves' computes that read their lines are recomputed, and the Python constraints run,
        as after ``create``.
        """
        if not vals_list:
            return self.browse()
        unexpected = {key for vals in vals_list for key in vals} - set(IMPORT_LINE_FIELDS)
        missing = [vals for vals in vals_list if not all(vals.get(key) for key in IMPORT_LINE_FIELDS[:-1])]
        moves = self.env["stock.move"].browse({vals["move_id"] for vals in vals_list if vals.get("move_id")})
        if (
            unexpected
            or missing
            or any(move.picking_id or not move._should_bypass_reservation() for move in moves)
        ):
            raise ValueError(f"lines created in SQL need values of {IMPORT_LINE_FIELDS} only: {vals_list}")
        self.check_access("create")
        self.env.flush_all()
        uoms = self.env["uom.uom"].browse({vals["product_uom_id"] for vals in vals_list})
        products = self.env["product.product"].browse({vals["product_id"] for vals in vals_list})
        lots = self.env["stock.lot"].browse({vals["lot_id"] for vals in vals_list})
        # In the cache at once: each line's values read them line by line.
        moves.mapped(lambda move: (move.company_id, move.picked, move.state, move.reference))
        products.mapped("uom_id")
        lots.mapped("expiration_date")
        digits = self._fields["quantity"].get_digits(self.env)[1]
        quantities = [float_round(vals.get("quantity") or 0.0, precision_digits=digits) for vals in vals_list]
        in_product_uom = [
            uoms.browse(vals["product_uom_id"])._compute_quantity(
                quantity, products.browse(vals["product_id"]).uom_id, rounding_method="HALF-UP"
            )
            for vals, quantity in zip(vals_list, quantities, strict=True)
        ]
        line_moves = [moves.browse(vals["move_id"]) for vals in vals_list]
        columns = {
            "move_id": ("int", [vals["move_id"] for vals in vals_list]),
            "company_id": ("int", [move.company_id.id for move in line_moves]),
            "product_id": ("int", [vals["product_id"] for vals in vals_list]),
            "product_uom_id": ("int", [vals["product_uom_id"] for vals in vals_list]),
            "location_id": ("int", [vals["location_id"] for vals in vals_list]),
            "location_dest_id": ("int", [vals["location_dest_id"] for vals in vals_list]),
            "lot_id": ("int", [vals["lot_id"] for vals in vals_list]),
            "quantity": ("numeric", quantities),
            "quantity_product_uom": ("numeric", in_product_uom),
            "picked": ("bool", [move.picked for move in line_moves]),
            "state": ("varchar", [move.state for move in line_moves]),
            "reference": ("varchar", [move.reference or None for move in line_moves]),
            "expiration_date": (
                "timestamp",
                [lots.browse(vals["lot_id"]).expiration_date or None for vals in vals_list],
            ),
        }
        now = fields.Datetime.now()
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO stock_move_line (%(columns)s, date, medical_picked_by_id,
                                             create_uid, create_date, write_uid, write_date)
                SELECT *, %(date)s, %(uid)s, %(uid)s, %(now)s, %(uid)s, %(now)s FROM unnest(%(values)s)
             RETURNING id
                """,
                columns=SQL(", ").join(SQL.identifier(name) for name in columns),
                values=SQL(", ").join(
                    SQL("%s::%s", values, SQL(f"{column_type}[]")) for column_type, values in columns.values()
                ),
                date=now,
                now=self.env.cr.now(),
                uid=self.env.uid,
            )
        )
        lines = self.browse(line_id for (line_id,) in self.env.cr.fetchall())
        # Every cached list of lines (a move's, a lot's) misses the new ones; the moves' quantity and
        # picked state are computed from their lines.
        self.env.invalidate_all()
        moves.modified(["move_line_ids"])
        lines._validate_fields(columns)
        moves._account_analytic_entry_move()
        return lines
