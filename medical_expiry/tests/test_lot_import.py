import base64
import csv
import io
import json
from datetime import timedelta

import openpyxl

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import MedicalExpiryCase, gtin

HEADER = ["product", "lot", "production_date", "expiration_date", "quantity", "location"]
CHINESE_HEADER = ["产品编码", "批号", "生产日期", "有效期至", "数量", "库位"]
STRIPS_GTIN = gtin("690123456793")


@tagged("post_install", "-at_install")
class TestLotImport(MedicalExpiryCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.syringe.default_code = "SYR-001"
        cls.strips.barcode = STRIPS_GTIN
        cls.gauze = cls._create_product("Gauze", cls.categ_device, tracking="none", default_code="GAU-001")
        cls.today = fields.Date.today()
        cls.produced = cls.today - timedelta(days=100)
        cls.expires = cls.today + timedelta(days=600)
        cls.location = cls.stock.complete_name

    def _csv(self, rows, header=HEADER, encoding="utf-8-sig"):
        output = io.StringIO()
        writer = csv.writer(output)
        writer.writerow(header)
        writer.writerows(rows)
        return output.getvalue().encode(encoding)

    def _row(self, product="SYR-001", lot="L-1", produced=None, expires=None, quantity=10, location=None):
        return [
            product,
            lot,
            str(produced or self.produced),
            str(expires or self.expires),
            quantity,
            location or self.location,
        ]

    def _checked(self, *rows):
        Import = self.env["medical.lot.import"]
        return Import._validate_rows(Import._read_rows(self._csv(rows), "lots.csv"))

    def _lots(self, *names):
        return self.env["stock.lot"].search([("name", "in", names)])

    def test_each_bad_input_is_reported_on_its_row(self):
        self._create_lot(self.syringe, 300, name="KNOWN")
        past = self.today - timedelta(days=1)
        cases = [
            (self._row(product="NOPE"), "Unknown product “NOPE”"),
            (self._row(product=""), "The product is missing"),
            (self._row(product="GAU-001"), "is not tracked by lots"),
            (self._row(lot=""), "The lot is missing"),
            (self._row(lot="L-2", produced="2025-13-01"), "Bad production date “2025-13-01”"),
            (self._row(lot="L-3", expires="next year"), "Bad expiration date “next year”"),
            (self._row(lot="L-4")[:3] + ["", 10, self.location], "The expiration date is missing"),
            (
                self._row(lot="L-5", produced=self.expires + timedelta(days=1)),
                "before its production date",
            ),
            (self._row(lot="L-6", produced=past - timedelta(days=400), expires=past), "Already expired"),
            (self._row(lot="KNOWN"), "exists with expiration date"),
            (self._row(lot="L-7", quantity=-5), "Negative quantity"),
            (self._row(lot="L-8", quantity="ten"), "Bad quantity “ten”"),
            (self._row(lot="L-11", quantity=""), "The quantity is missing"),
            (self._row(lot="L-9", location="WH/Nowhere"), "Unknown location “WH/Nowhere”"),
            (self._row(lot="L-10", location=self.customers.complete_name), "Unknown location"),
        ]
        checked = self._checked(*(row for row, _fragment in cases))
        for (row, fragment), result in zip(cases, checked, strict=True):
            with self.subTest(row=row):
                self.assertEqual(len(result["errors"]), 1, result["errors"])
                self.assertIn(fragment, result["errors"][0])

    def test_a_lot_repeated_with_another_date_is_reported_on_the_later_row(self):
        first, same, other = self._checked(
            self._row(lot="DUP"),
            self._row(lot="DUP", location=self.quarantine.complete_name),
            self._row(lot="DUP", expires=self.expires + timedelta(days=1)),
        )
        self.assertFalse(first["errors"])
        self.assertFalse(same["errors"])
        self.assertIn("is in row 2 with expiration date", other["errors"][0])

    def test_products_are_found_by_reference_or_gtin(self):
        by_code, by_gtin13, by_gtin14 = self._checked(
            self._row(), self._row(product=STRIPS_GTIN), self._row(product=STRIPS_GTIN.zfill(14))
        )
        self.assertEqual(by_code["product"], self.syringe)
        self.assertEqual(by_gtin13["product"], self.strips)
        self.assertEqual(by_gtin14["product"], self.strips)

    def test_a_gtin_typed_in_full_width_digits_finds_its_product(self):
        full_width = "".join(chr(ord(digit) + 0xFEE0) for digit in STRIPS_GTIN)
        [row] = self._checked(self._row(product=full_width))
        self.assertEqual(row["product"], self.strips)
        self.assertFalse(row["errors"])

    def test_products_are_found_by_ma_and_ahm_di_as_written(self):
        ma_di, ahm_di = "MA.156.M0.100001.1A2B3C45", "MF6901234567"
        self._create_product("MA stent", self.categ_device, barcode=ma_di)
        self._create_product("AHM catheter", self.categ_device, barcode=ahm_di)
        by_ma, by_ahm, lower_case = self._checked(
            self._row(product=ma_di), self._row(product=f" {ahm_di} "), self._row(product=ma_di.lower())
        )
        self.assertEqual(by_ma["product"].name, "MA stent")
        self.assertEqual(by_ahm["product"].name, "AHM catheter")
        self.assertIn(f"Unknown product “{ma_di.lower()}”", lower_case["errors"][0])

    def test_dry_run_reports_every_row_and_writes_nothing(self):
        data = self._csv([self._row(lot="OK-1"), self._row(lot="BAD-1", quantity=-1)])
        lots = self.env["stock.lot"].search_count([])
        action = self.env["medical.lot.import"]._run(data, "lots.csv", "dry_run")
        header, ok, bad = self._read_xlsx(action)
        self.assertEqual(header[0], "Row")
        self.assertEqual(header[-2:], ["Status", "Messages"])
        self.assertEqual(ok[:3], [2, "SYR-001", "OK-1"])
        self.assertEqual(ok[-2:], ["OK", None])
        self.assertEqual(bad[:3], [3, "SYR-001", "BAD-1"])
        self.assertEqual(bad[-2], "Error")
        self.assertIn("Negative quantity", bad[-1])
        self.assertEqual(self.env["stock.lot"].search_count([]), lots)

    def test_all_or_nothing_imports_nothing_when_one_row_is_bad(self):
        data = self._csv([self._row(lot="AON-1"), self._row(lot="AON-2", location="WH/Nowhere")])
        moves = self.env["stock.move"].search_count([])
        with self.assertRaises(UserError) as error:
            self.env["medical.lot.import"]._run(data, "lots.csv", "all_or_nothing")
        self.assertIn("1 of 2 rows have errors", str(error.exception))
        self.assertIn("Row 3", str(error.exception))
        self.assertFalse(self._lots("AON-1", "AON-2"))
        self.assertEqual(self.env["stock.move"].search_count([]), moves)
        self.assertFalse(self.env["medical.audit.log"].search([("action", "=", "import")]))

    def test_valid_rows_only_skips_the_bad_ones(self):
        data = self._csv(
            [self._row(lot="VO-1", quantity=4), self._row(lot="VO-2", expires="bad"), self._row(lot="VO-3")]
        )
        action = self.env["medical.lot.import"]._run(data, "lots.csv", "valid_only")
        self.assertIn("2 lots imported from 2 rows; 1 rows with errors skipped", action["params"]["message"])
        self.assertEqual(sorted(self._lots("VO-1", "VO-2", "VO-3").mapped("name")), ["VO-1", "VO-3"])

    def test_import_creates_lots_with_dates_inventory_moves_and_audit_rows(self):
        data = self._csv(
            [
                self._row(lot="IMP-1", quantity=7),
                self._row(lot="IMP-1", quantity=3, location=self.quarantine.complete_name),
                self._row(product=STRIPS_GTIN, lot="IMP-2", quantity=0),
            ]
        )
        self.env["medical.lot.import"]._run(data, "history.csv", "all_or_nothing")
        lot, empty_lot = self._lots("IMP-1"), self._lots("IMP-2")
        self.assertEqual(lot.expiration_date.date(), self.expires)
        self.assertEqual(lot.production_date, self.produced)
        self.assertEqual(lot.product_qty, 10)
        self.assertEqual(empty_lot.product_id, self.strips)
        self.assertEqual(empty_lot.product_qty, 0)
        lines = self.env["stock.move.line"].search([("lot_id", "=", lot.id)])
        self.assertEqual(sorted(lines.mapped("quantity")), [3, 7])
        self.assertEqual(lines.location_dest_id, self.stock | self.quarantine)
        self.assertTrue(all(lines.move_id.mapped("is_inventory")))
        self.assertEqual(set(lines.mapped("state")), {"done"})
        self.assertIn("history.csv", lines.move_id[0].name)
        audit = self._audit_rows(lot | empty_lot, "import")
        self.assertEqual(len(audit), 2)
        self.assertEqual(set(audit.mapped("reason")), {"import"})
        logged = json.loads(audit.filtered(lambda row: row.res_id == lot.id).new_values)
        self.assertEqual(logged["file"], "history.csv")
        self.assertEqual([entry["quantity"] for entry in logged["stock"]], [7, 3])

    def test_a_known_lot_with_the_same_date_gets_its_stock_added(self):
        lot = self._create_lot(self.syringe, 300, name="KNOWN", quantity=5)
        row = self._row(lot="KNOWN", expires=lot.expiration_date.date(), quantity=2)
        self.env["medical.lot.import"]._run(self._csv([row]), "lots.csv", "all_or_nothing")
        self.assertEqual(self._lots("KNOWN"), lot)
        self.assertEqual(lot.product_qty, 7)
        self.assertEqual(len(self._audit_rows(lot, "import")), 1)

    def test_xlsx_with_chinese_headers_date_cells_and_numeric_gtins(self):
        workbook = openpyxl.Workbook()
        sheet = workbook.active
        sheet.append(CHINESE_HEADER)
        sheet.append([int(STRIPS_GTIN), "X-1", self.produced, self.expires, 12, self.location])
        sheet.append(["SYR-001", 2024001, None, self.expires, 1.0, self.location])
        output = io.BytesIO()
        workbook.save(output)
        self.env["medical.lot.import"]._run(output.getvalue(), "批次.xlsx", "all_or_nothing")
        strips_lot, syringe_lot = self._lots("X-1"), self._lots("2024001")
        self.assertEqual(strips_lot.product_id, self.strips)
        self.assertEqual(strips_lot.product_qty, 12)
        self.assertEqual(strips_lot.production_date, self.produced)
        self.assertEqual(syringe_lot.expiration_date.date(), self.expires)
        self.assertFalse(syringe_lot.production_date)

    def test_csv_from_chinese_excel_is_read_as_gb18030(self):
        data = self._csv([self._row(lot="批号-1")], header=CHINESE_HEADER, encoding="gb18030")
        (row,) = self.env["medical.lot.import"]._read_rows(data, "lots.csv")
        self.assertEqual(row["values"]["lot"], "批号-1")

    def test_files_without_a_required_column_or_of_another_kind_are_refused(self):
        with self.assertRaises(UserError) as error:
            self.env["medical.lot.import"]._read_rows(self._csv([], header=HEADER[:-1]), "lots.csv")
        self.assertIn("no column location", str(error.exception))
        with self.assertRaises(UserError) as error:
            self.env["medical.lot.import"]._read_rows(b"x", "lots.xls")
        self.assertIn(".csv or .xlsx", str(error.exception))

    def test_the_wizard_runs_the_chosen_mode(self):
        wizard = self.env["medical.lot.import.wizard"].create(
            {
                "file": base64.b64encode(self._csv([self._row(lot="WIZ-1")])),
                "filename": "lots.csv",
                "mode": "valid_only",
            }
        )
        action = wizard.action_run()
        self.assertEqual(action["params"]["type"], "success")
        self.assertTrue(self._lots("WIZ-1"))

    def test_imported_stock_has_one_quant_per_lot_and_location_on_both_sides(self):
        known = self._create_lot(self.syringe, 300, name="KNOWN-Q", quantity=5)
        rows = [
            self._row(lot="Q-1", quantity=4),
            self._row(lot="Q-1", quantity=6, location=self.quarantine.complete_name),
            self._row(lot="KNOWN-Q", expires=known.expiration_date.date(), quantity=2),
        ]
        self.env["medical.lot.import"]._run(self._csv(rows), "lots.csv", "all_or_nothing")
        lot = self._lots("Q-1")
        inventory = self.syringe.with_company(self.company).property_stock_inventory
        quants = self.env["stock.quant"].search([("lot_id", "in", (lot | known).ids)])
        self.assertEqual(
            sorted((q.lot_id.name, q.location_id.id, q.quantity) for q in quants),
            sorted(
                [
                    ("KNOWN-Q", self.stock.id, 7),
                    ("KNOWN-Q", inventory.id, -2),
                    ("Q-1", self.stock.id, 4),
                    ("Q-1", self.quarantine.id, 6),
                    ("Q-1", inventory.id, -10),
                ]
            ),
            "the known lot's quant is added to, not doubled",
        )
        stock_quants = quants.filtered(lambda quant: quant.location_id.usage == "internal")
        self.assertEqual(stock_quants.company_id, self.company)
        for quant in stock_quants:
            self.assertEqual(quant.expiration_date, quant.lot_id.expiration_date)
        self.assertTrue(all(stock_quants.mapped("in_date")))
