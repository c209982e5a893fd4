from datetime import date, timedelta

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import MedicalExpiryCase, gtin

GS = "\x1d"
SYRINGE = gtin("690123456789")  # GTIN-13 on the product, GTIN-14 in the codes
STRIPS = gtin("6901234567900")  # GTIN-14 on the product
STENT = gtin("690123456791")
UNKNOWN = gtin("690123456792")
SYRINGE_14 = SYRINGE.zfill(14)
WRONG_CHECK_DIGIT = SYRINGE_14[:-1] + str((int(SYRINGE_14[-1]) + 1) % 10)
NONE = dict.fromkeys(
    ("di", "lot", "serial", "production_date", "expiration_date", "quantity", "sterilisation_lot"), False
)


def udi(**values):
    return {**NONE, "di": SYRINGE_14, **values}


# (code, what it says): vary AI order, FNC1 and parentheses, symbology identifiers, DD=00, serials,
# quantities, production dates.
VALID_CODES = [
    (f"(01){SYRINGE_14}(17)270331(10)LOT001", udi(lot="LOT001", expiration_date=date(2027, 3, 31))),
    (f"01{SYRINGE_14}17270331" + "10LOT001", udi(lot="LOT001", expiration_date=date(2027, 3, 31))),
    (f"01{SYRINGE_14}10LOT001{GS}17270331", udi(lot="LOT001", expiration_date=date(2027, 3, 31))),
    (f"(10)LOT001(17)270331(01){SYRINGE_14}", udi(lot="LOT001", expiration_date=date(2027, 3, 31))),
    (f"(01){SYRINGE_14}(17)270200(10)FEB", udi(lot="FEB", expiration_date=date(2027, 2, 28))),
    (f"(01){SYRINGE_14}(17)280200(10)LEAP", udi(lot="LEAP", expiration_date=date(2028, 2, 29))),
    (f"(01){SYRINGE_14}(17)271200(10)DEC", udi(lot="DEC", expiration_date=date(2027, 12, 31))),
    (f"01{SYRINGE_14}17270400" + "10APR", udi(lot="APR", expiration_date=date(2027, 4, 30))),
    (
        f"(01){SYRINGE_14}(11)250115(17)270115(10)P1",
        udi(lot="P1", production_date=date(2025, 1, 15), expiration_date=date(2027, 1, 15)),
    ),
    (
        f"01{SYRINGE_14}10P2{GS}11250600",
        udi(lot="P2", production_date=date(2025, 6, 30)),
    ),
    (f"(01){SYRINGE_14}(21)SN0001(17)290101", udi(serial="SN0001", expiration_date=date(2029, 1, 1))),
    (f"01{SYRINGE_14}21SN0002", udi(serial="SN0002")),
    (
        f"(01){SYRINGE_14}(17)290101(10)L9(21)S9",
        udi(lot="L9", serial="S9", expiration_date=date(2029, 1, 1)),
    ),
    (f"(01){SYRINGE_14}(17)290101(10)Q(30)25", udi(lot="Q", quantity=25, expiration_date=date(2029, 1, 1))),
    (f"01{SYRINGE_14}10Q{GS}3012", udi(lot="Q", quantity=12)),
    (f"(02){SYRINGE_14}(37)12(10)BOX", udi(lot="BOX", quantity=12)),
    (
        f"]d201{SYRINGE_14}10DM1{GS}17300630",
        udi(lot="DM1", expiration_date=date(2030, 6, 30)),
    ),
    (f"]C101{SYRINGE_14}17300630" + "10C1", udi(lot="C1", expiration_date=date(2030, 6, 30))),
    (f"{GS}01{SYRINGE_14}17300630" + "10FNC", udi(lot="FNC", expiration_date=date(2030, 6, 30))),
    (f"01{SYRINGE_14}10HASH#17300630", udi(lot="HASH", expiration_date=date(2030, 6, 30))),
    (
        f" (01) {SYRINGE_14} (17) 300630 (10) SPACED \n",
        udi(lot="SPACED", expiration_date=date(2030, 6, 30)),
    ),
    (f"(01){SYRINGE_14}(10)A-1/2.B", udi(lot="A-1/2.B")),
    (
        f"(01){SYRINGE_14}(15)270101(17)270331(10)BB",
        udi(lot="BB", expiration_date=date(2027, 3, 31)),
    ),
    (f"(01){gtin('1690123456789')}(10)CASE", udi(di=gtin("1690123456789"), lot="CASE")),
]


@tagged("post_install", "-at_install")
class TestGs1Receiving(MedicalExpiryCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.syringe.barcode = SYRINGE
        cls.strips.barcode = STRIPS
        cls.stent = cls._create_product("Stent", cls.categ_device, tracking="serial", barcode=STENT)

    def _receipt(self, product=None, quantity=10):
        return self._create_picking(
            product or self.syringe, quantity, partner=self.supplier, picking_type=self.warehouse.in_type_id
        )

    def _lines(self, picking):
        """What the detailed operations say, to compare before and after a refused scan."""
        return picking.move_line_ids.read(
            ["product_id", "lot_id", "lot_name", "quantity", "expiration_date", "production_date", "picked"]
        )

    def test_valid_codes_are_read(self):
        self.assertGreaterEqual(len(VALID_CODES), 20)
        parser = self.env["medical.udi.parser"]
        for code, expected in VALID_CODES:
            with self.subTest(code=code):
                self.assertEqual(parser._parse_udi(code), expected)

    def test_invalid_codes_are_refused_and_nothing_is_written(self):
        known = self._create_lot(self.syringe, 300, name="KNOWN")
        self._create_lot(self.stent, 300, name="SN-IN-STOCK", quantity=1)
        picking = self._receipt()
        picking._apply_udi_code(f"(01){SYRINGE_14}(17)290101(10)ON-RECEIPT")
        stent_picking = self._receipt(self.stent, 3)
        stent_picking._apply_udi_code(f"(01){STENT.zfill(14)}(21)SN-SCANNED")
        known_expiry = fields.Date.to_string(known.expiration_date)
        invalid = [
            (picking, f"(01){WRONG_CHECK_DIGIT}(17)290101(10)L", "Wrong check digit"),
            (picking, f"(01){SYRINGE_14}(99)ABC(10)L", "unknown GS1 application identifier"),
            (picking, f"(01){SYRINGE_14}(17)291301(10)L", "Impossible date in (17) 291301"),
            (picking, f"(01){SYRINGE_14}(17)290230(10)L", "Impossible date in (17) 290230"),
            (picking, f"(01){SYRINGE_14}(17)290132(10)L", "Impossible date in (17) 290132"),
            (picking, f"(01){SYRINGE_14}(11)251301(10)L", "Impossible date in (11) 251301"),
            (picking, f"(01){SYRINGE_14}(17)2901(10)L", "Cannot read the code"),
            (picking, f"(01){SYRINGE_14}(10){'L' * 21}", "Cannot read the code"),
            (picking, "", "Scan or paste"),
            (picking, "+A99912345/$$52001510X3", "not a UDI in a format"),  # HIBC
            (picking, "hello", "not a UDI in a format"),
            (picking, "(10)L(17)290101", "no product identifier"),
            (picking, f"(01){SYRINGE_14}(17)290101(17)290202(10)L", "twice (AI 17)"),
            (picking, f"(01){SYRINGE_14}(10)L(30)0", "must be positive"),
            (picking, f"(01){SYRINGE_14}(11)300101(17)290101(10)L", "after it expires"),
            (picking, f"(01){UNKNOWN.zfill(14)}(17)290101(10)L", "No product has UDI-DI"),
            (picking, f"(01){STRIPS}(17)290101(10)L", "does not bring"),
            (picking, f"(01){SYRINGE_14}(17)290101", "carries no lot number"),
            (picking, f"(01){SYRINGE_14}(17)290101(21)S1", "carries no lot number"),
            (picking, f"(01){SYRINGE_14}(17)290101(10)KNOWN", known_expiry),
            (picking, f"(01){SYRINGE_14}(17)290202(10)ON-RECEIPT", "2029-01-01"),
            (stent_picking, f"(01){STENT.zfill(14)}(21)SN-IN-STOCK", "already been received"),
            (stent_picking, f"(01){STENT.zfill(14)}(21)SN-SCANNED", "already on this receipt"),
            (stent_picking, f"(01){STENT.zfill(14)}(21)SN-NEW(30)2", "is one device"),
            (stent_picking, f"(01){STENT.zfill(14)}(10)LOT-NOT-SERIAL", "carries no serial number"),
            (picking, f"(01){SYRINGE_14}(17)290101(10)", "gives (10) with no value"),
            (picking, f"(01){SYRINGE_14}(10)(17)290101", "gives (10) with no value"),
            (picking, f"01{SYRINGE_14}10{GS}17290101", "gives (10) with no value"),
            (picking, f"(01){SYRINGE_14}(10)LOT-H(21)", "gives (21) with no value"),
            (stent_picking, f"(01){STENT.zfill(14)}(21)(17)300101", "gives (21) with no value"),
            (stent_picking, f"(01){STENT.zfill(14)}(21)SN-EMPTY-LOT(10)", "gives (10) with no value"),
        ]
        self.assertGreaterEqual(len(invalid), 20)
        lots = self.env["stock.lot"].search_count([])
        for receipt, code, fragment in invalid:
            with self.subTest(code=code):
                before = self._lines(receipt)
                with self.assertRaises(UserError) as error:
                    receipt._apply_udi_code(code)
                self.assertIn(fragment, str(error.exception))
                self.assertEqual(self._lines(receipt), before)
        self.assertEqual(self.env["stock.lot"].search_count([]), lots)

    def test_a_scan_fills_the_empty_line_of_the_receipt(self):
        picking = self._receipt()
        line = picking._apply_udi_code(f"(01){SYRINGE_14}(11)250115(17)290100(10)LOT-A")
        self.assertEqual(picking.move_line_ids, line)
        self.assertRecordValues(
            line,
            [
                {
                    "product_id": self.syringe.id,
                    "lot_name": "LOT-A",
                    "quantity": 1,
                    "picked": True,
                    "production_date": date(2025, 1, 15),
                }
            ],
        )
        self.assertEqual(line.expiration_date.date(), date(2029, 1, 31))

    def test_the_same_lot_scanned_again_adds_to_its_line(self):
        picking = self._receipt()
        picking._apply_udi_code(f"(01){SYRINGE_14}(17)290101(10)LOT-B")
        picking._apply_udi_code(f"01{SYRINGE_14}17290101" + "10LOT-B")
        line = picking._apply_udi_code(f"(01){SYRINGE_14}(17)290101(10)LOT-B(30)5")
        self.assertEqual(picking.move_line_ids, line)
        self.assertEqual(line.quantity, 7)

    def test_another_lot_gets_a_line_of_its_own(self):
        picking = self._receipt()
        first = picking._apply_udi_code(f"(01){SYRINGE_14}(17)290101(10)LOT-C(30)4")
        second = picking._apply_udi_code(f"(01){SYRINGE_14}(17)300101(10)LOT-D(30)6")
        self.assertNotEqual(first, second)
        self.assertEqual(picking.move_line_ids, first | second)
        self.assertEqual(second.move_id, picking.move_ids)
        self.assertEqual(sorted(picking.move_line_ids.mapped("lot_name")), ["LOT-C", "LOT-D"])

    def test_a_known_lot_with_the_same_expiry_is_reused(self):
        lot = self._create_lot(self.syringe, 400, name="LOT-KNOWN")
        picking = self._receipt()
        expiry = lot.expiration_date.strftime("%y%m%d")
        line = picking._apply_udi_code(f"(01){SYRINGE_14}(17){expiry}(10)LOT-KNOWN")
        self.assertEqual(line.lot_id, lot)
        self.assertEqual(line.expiration_date, lot.expiration_date)

    def test_serial_numbers_are_received_one_device_per_line(self):
        picking = self._receipt(self.stent, 2)
        stent = STENT.zfill(14)
        picking._apply_udi_code(f"(01){stent}(17)300101(21)SN-1")
        picking._apply_udi_code(f"(01){stent}(21)SN-2(17)300101")
        self.assertEqual(sorted(picking.move_line_ids.mapped("lot_name")), ["SN-1", "SN-2"])
        self.assertEqual(picking.move_line_ids.mapped("quantity"), [1, 1])

    def test_scanned_receipt_validates_into_lots_with_their_dates(self):
        picking = self._receipt(quantity=3)
        expiry = fields.Date.today() + timedelta(days=500)
        picking._apply_udi_code(f"(01){SYRINGE_14}(11)250301(17){expiry:%y%m%d}(10)LOT-E(30)3")
        picking.button_validate()
        self.assertEqual(picking.state, "done")
        lot = picking.move_line_ids.lot_id
        self.assertEqual(lot.name, "LOT-E")
        self.assertEqual(lot.expiration_date.date(), expiry)
        self.assertEqual(lot.production_date, date(2025, 3, 1))
        self.assertEqual(self.syringe.with_context(lot_id=lot.id).qty_available, 3)

    def test_the_scan_field_applies_the_code_and_empties_itself(self):
        picking = self._receipt()
        picking.udi_code = f"(01){SYRINGE_14}(17)290101(10)LOT-F"
        picking.action_apply_udi()
        self.assertFalse(picking.udi_code)
        self.assertEqual(picking.move_line_ids.lot_name, "LOT-F")

    def test_only_receipts_waiting_to_be_received_take_scans(self):
        delivery = self._create_picking(self.syringe, 1)
        with self.assertRaises(UserError):
            delivery._apply_udi_code(f"(01){SYRINGE_14}(17)290101(10)LOT-G")
        self.assertFalse(delivery.move_line_ids.lot_name)

    def test_a_code_typed_in_full_width_characters_is_read_as_its_ascii_form(self):
        """Chinese input methods in full-width mode type "（０１）０６９…": the same code, read alike."""
        ascii_code = f"(01){SYRINGE_14}(17)290101(10)LOT-W1"
        full_width = "".join(chr(ord(char) + 0xFEE0) for char in ascii_code) + "\u3000"
        self.assertNotIn("0", full_width)
        parser = self.env["medical.udi.parser"]
        self.assertEqual(parser._parse_udi(full_width), parser._parse_udi(ascii_code))
        full_width_check_digit = SYRINGE_14[:-1] + chr(ord(SYRINGE_14[-1]) + 0xFEE0)
        self.assertEqual(parser._parse_udi(f"(01){full_width_check_digit}(10)L")["di"], SYRINGE_14)
        picking = self._receipt()
        line = picking._apply_udi_code(full_width)
        self.assertEqual(line.lot_name, "LOT-W1")
        self.assertEqual(line.product_id, self.syringe)
