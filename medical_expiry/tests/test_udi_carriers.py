from datetime import date

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import MedicalExpiryCase, gtin

SYRINGE_GTIN = gtin("0690123456789")
STENT_GTIN = gtin("0690123456791")
MA_SYRINGE = "MA.156.M0.100001.10000013"
MA_STENT = "MA.156.M0.100001.1A2B3C45"
AHM_SYRINGE = "MF6901234567"
AHM_STENT = "MF1234567890123"
NONE = dict.fromkeys(
    ("di", "lot", "serial", "production_date", "expiration_date", "quantity", "sterilisation_lot"), False
)
# What a receipt line says after a scan, whatever its product.
LINE_FIELDS = ["lot_id", "lot_name", "quantity", "expiration_date", "production_date", "picked"]


def ma(**values):
    return {**NONE, "di": MA_SYRINGE, **values}


# (code, what it says): DI alone, each data unit, 6- and 8-digit dates, .V and .E agreeing, the units
# the sterilisation lot (.D), the check character a receipt leaves aside (.C), any order, other DIs.
MA_VALID_CODES = [
    (MA_SYRINGE, ma()),
    (f"{MA_SYRINGE}.LA2401", ma(lot="A2401")),
    (f"{MA_SYRINGE}.L20220117", ma(lot="20220117")),
    (f"{MA_SYRINGE}.Llot7a", ma(lot="lot7a")),
    (f"{MA_SYRINGE}.LA2401.V270331", ma(lot="A2401", expiration_date=date(2027, 3, 31))),
    (f"{MA_SYRINGE}.LA2401.E20270331", ma(lot="A2401", expiration_date=date(2027, 3, 31))),
    (f"{MA_SYRINGE}.V270331.E20270331.LA1", ma(lot="A1", expiration_date=date(2027, 3, 31))),
    (
        f"{MA_SYRINGE}.LA2401.M20240115.V270114",
        ma(lot="A2401", production_date=date(2024, 1, 15), expiration_date=date(2027, 1, 14)),
    ),
    (f"{MA_SYRINGE}.M240229.LLEAP", ma(lot="LEAP", production_date=date(2024, 2, 29))),
    (f"{MA_SYRINGE}.SSN0001", ma(serial="SN0001")),
    (f"{MA_SYRINGE}.SSN0002.E300101", ma(serial="SN0002", expiration_date=date(2030, 1, 1))),
    (f"{MA_SYRINGE}.LL9.SS9", ma(lot="L9", serial="S9")),
    (
        f"{MA_SYRINGE}.LA3.D20220118.V270331",
        ma(lot="A3", expiration_date=date(2027, 3, 31), sterilisation_lot="20220118"),
    ),
    (
        f"{MA_SYRINGE}.Sx00008.M220117.L20220117.D20220118.E230117.C3",
        ma(
            lot="20220117",
            serial="x00008",
            production_date=date(2022, 1, 17),
            expiration_date=date(2023, 1, 17),
            sterilisation_lot="20220118",
        ),
    ),
    (f" {MA_SYRINGE}.LSPACED \n", ma(lot="SPACED")),
    (f"{MA_STENT}.SSN3", ma(di=MA_STENT, serial="SN3")),
    ("MA.156.M0.100011.2cscp023.Ste002", ma(di="MA.156.M0.100011.2cscp023", serial="te002")),
    ("MA.840.M0.999999.00000000.LUS1", ma(di="MA.840.M0.999999.00000000", lot="US1")),
]

# (code, a distinctive part of the refusal): the DI's structure, unknown or repeated units, empty or
# ill-formed fields, impossible dates, contradictions.
MA_INVALID_CODES = [
    ("MA.156.M0.10001.10000013.L1", "is not an MA UDI-DI"),
    ("MA.156.M1.100001.10000013.L1", "is not an MA UDI-DI"),
    ("MA.15.M0.100001.10000013.L1", "is not an MA UDI-DI"),
    ("MA.156.M0.100001.1000001.L1", "is not an MA UDI-DI"),
    ("MA.156.M0.100001.A0000013.L1", "is not an MA UDI-DI"),
    ("MA.156.M0.100001.1000001X.L1", "is not an MA UDI-DI"),
    ("MA.156.M0.100001", "“MA.156.M0.100001” is not an MA UDI-DI"),
    (f"{MA_SYRINGE}.X123", "Unknown data identifier “.X”"),
    (f"{MA_SYRINGE}.l123", "Unknown data identifier “.l”"),
    (f"{MA_SYRINGE}.LA.1B", "Unknown data identifier “.1”"),
    (f"{MA_SYRINGE}..LA1", "Unknown data identifier “.”"),
    (f"{MA_SYRINGE}.L", "gives .L with no value"),
    (f"{MA_SYRINGE}.LA1.S", "gives .S with no value"),
    (f"{MA_SYRINGE}.LA1.LA2", "gives .L twice"),
    (f"{MA_SYRINGE}.V270331.V270331", "gives .V twice"),
    (f"{MA_SYRINGE}.LAB-1", ".L AB-1: MA fields are letters and digits only"),
    (f"{MA_SYRINGE}.LA1.V270331.E270401", "contradicts itself: .V says 2027-03-31, .E says 2027-04-01"),
    (f"{MA_SYRINGE}.LA1.M250230", "Impossible date in .M 250230: there is no 2025-02-30"),
    (f"{MA_SYRINGE}.LA1.E20251301", "Impossible date in .E 20251301: there is no 2025-13-01"),
    (f"{MA_SYRINGE}.LA1.V270100", "there is no 2027-01-00"),
    (f"{MA_SYRINGE}.LA1.V2703", ".V 2703 is not a date"),
    (f"{MA_SYRINGE}.LA1.M2502301", ".M 2502301 is not a date"),
    (f"{MA_SYRINGE}.LA1.M270101.V260101", "after it expires"),
]


def ahm(**values):
    return {**NONE, "di": AHM_SYRINGE, **values}


# (code, what it says): with and without "*", BN as BA, 6- and 8-digit dates, the elements a receipt
# leaves aside (BD best-before date, PL packaging level), any order, the longest DI.
AHM_VALID_CODES = [
    (AHM_SYRINGE, ahm()),
    (f"{AHM_SYRINGE}BA2401A", ahm(lot="2401A")),
    (f"{AHM_SYRINGE}BA2401A*", ahm(lot="2401A")),
    (f"{AHM_SYRINGE}*BA2401A", ahm(lot="2401A")),
    (f"{AHM_SYRINGE}BN2401A", ahm(lot="2401A")),
    (f"{AHM_SYRINGE}BA2401A*ED270331", ahm(lot="2401A", expiration_date=date(2027, 3, 31))),
    (
        f"{AHM_SYRINGE}MD240115ED270114BA2401A",
        ahm(lot="2401A", production_date=date(2024, 1, 15), expiration_date=date(2027, 1, 14)),
    ),
    (
        f"{AHM_SYRINGE}BA2401A*MD20240115*ED20270114",
        ahm(lot="2401A", production_date=date(2024, 1, 15), expiration_date=date(2027, 1, 14)),
    ),
    (f"{AHM_SYRINGE}MD240229BALEAP", ahm(lot="LEAP", production_date=date(2024, 2, 29))),
    (f"{AHM_SYRINGE}SN0001", ahm(serial="0001")),
    (f"{AHM_SYRINGE}BA9*SN9*ED290101", ahm(lot="9", serial="9", expiration_date=date(2029, 1, 1))),
    (f"{AHM_SYRINGE}BA3*BD270101*ED270331", ahm(lot="3", expiration_date=date(2027, 3, 31))),
    (f"{AHM_SYRINGE}BA4*PL1*ED270331", ahm(lot="4", expiration_date=date(2027, 3, 31))),
    (f"{AHM_SYRINGE}BA6-B/7*ED270331", ahm(lot="6-B/7", expiration_date=date(2027, 3, 31))),
    (f"{AHM_SYRINGE}BA7*BN7", ahm(lot="7")),
    (f" {AHM_SYRINGE}BA8 \n", ahm(lot="8")),
    (f"{AHM_STENT}SNX1*ED300101", ahm(di=AHM_STENT, serial="X1", expiration_date=date(2030, 1, 1))),
]

# (code, a distinctive part of the refusal): the DI, unreadable or unknown identifiers, empty or
# repeated elements, impossible dates, contradictions.
AHM_INVALID_CODES = [
    (f"MF{'1' * 14}BA1", "at most 13 digits after MF, not 14"),
    ("MFBA1", "gives MF with no value"),
    ("MF*BA1", "gives MF with no value"),
    ("MF12AB1", "Unknown data identifier “AB”"),
    (f"{AHM_SYRINGE}XX1", "Unknown data identifier “XX”"),
    (f"{AHM_SYRINGE}ba1", "Cannot read the AHM code from “ba1” on"),
    (f"{AHM_SYRINGE}BA1**ED270331", "Cannot read the AHM code from “*ED270331” on"),
    (f"{AHM_SYRINGE}BA1*BD2701x1", "Cannot read the AHM code from “x1” on"),
    (f"{AHM_SYRINGE}BA*ED270331", "gives BA with no value"),
    (f"{AHM_SYRINGE}BA1*ED", "gives ED with no value"),
    (f"{AHM_SYRINGE}BA1*PL", "gives PL with no value"),
    (f"{AHM_SYRINGE}BA1*BA2", "gives BA twice"),
    (f"{AHM_SYRINGE}BA1*SN1*SN2", "gives SN twice"),
    (f"{AHM_SYRINGE}BA1*ED270331ED270331", "gives ED twice"),
    (f"{AHM_SYRINGE}BA1*BN2", "contradicts itself: BA says 1, BN says 2"),
    (f"{AHM_SYRINGE}BA1*MD250230", "Impossible date in MD 250230: there is no 2025-02-30"),
    (f"{AHM_SYRINGE}BA1*ED271301", "Impossible date in ED 271301: there is no 2027-13-01"),
    (f"{AHM_SYRINGE}BA1*BD270132", "there is no 2027-01-32"),
    (f"{AHM_SYRINGE}BA1*ED2703", "ED 2703 is not a date"),
    (f"{AHM_SYRINGE}BA1*MD270101*ED260101", "after it expires"),
]


@tagged("post_install", "-at_install")
class TestUdiCarriers(MedicalExpiryCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.syringe.barcode = SYRINGE_GTIN
        cls.stent = cls._create_product("Stent", cls.categ_device, tracking="serial", barcode=STENT_GTIN)
        cls.ma_syringe = cls._create_product("MA syringe", cls.categ_device, barcode=MA_SYRINGE)
        cls.ma_stent = cls._create_product("MA stent", cls.categ_device, tracking="serial", barcode=MA_STENT)
        cls.ahm_syringe = cls._create_product("AHM syringe", cls.categ_device, barcode=AHM_SYRINGE)
        cls.ahm_stent = cls._create_product(
            "AHM stent", cls.categ_device, tracking="serial", barcode=AHM_STENT
        )

    def _receipt(self, product, quantity=10):
        return self._create_picking(
            product, quantity, partner=self.supplier, picking_type=self.warehouse.in_type_id
        )

    def _values(self, lines):
        """What move lines say, without their product and ids."""
        return [{field: line[field] for field in LINE_FIELDS} for line in lines.read(LINE_FIELDS, load=None)]

    def _scanned(self, product, code):
        """What the line a scan writes on a new receipt of ``product`` says."""
        return self._values(self._receipt(product)._apply_udi_code(code))

    def _assert_valid(self, codes):
        self.assertGreaterEqual(len(codes), 15)
        parser = self.env["medical.udi.parser"]
        for code, expected in codes:
            with self.subTest(code=code):
                self.assertEqual(parser._parse_udi(code), expected)

    def _assert_refused_on_a_receipt(self, receipt, codes):
        """Each code is refused with its message, and the receipt's lines and the lots stay as they were."""
        self.assertGreaterEqual(len(codes), 15)
        lots = self.env["stock.lot"].search_count([])
        for code, fragment in codes:
            with self.subTest(code=code):
                before = self._values(receipt.move_line_ids)
                with self.assertRaises(UserError) as error:
                    receipt._apply_udi_code(code)
                self.assertIn(fragment, str(error.exception))
                self.assertEqual(self._values(receipt.move_line_ids), before)
        self.assertEqual(self.env["stock.lot"].search_count([]), lots)

    # ------------------------------------------------------------------
    # MA
    # ------------------------------------------------------------------
    def test_ma_valid_codes_are_read(self):
        self._assert_valid(MA_VALID_CODES)

    def test_ma_invalid_codes_are_refused_and_nothing_is_written(self):
        receipt = self._receipt(self.ma_syringe)
        receipt._apply_udi_code(f"{MA_SYRINGE}.LONRECEIPT.V290101")
        self._assert_refused_on_a_receipt(
            receipt,
            [
                *MA_INVALID_CODES,
                ("MA.156.M0.100001.99999995.LA1", "No product has UDI-DI MA.156.M0.100001.99999995"),
                (f"{MA_SYRINGE}.SSN1", "carries no lot number"),
                (f"{MA_SYRINGE}.LONRECEIPT.V290202", "2029-01-01"),
            ],
        )

    def test_an_ma_code_fills_a_lot_line_as_its_gs1_code_does(self):
        gs1 = self._scanned(self.syringe, f"(01){SYRINGE_GTIN}(11)250115(17)290131(10)LOT7")
        self.assertEqual(self._scanned(self.ma_syringe, f"{MA_SYRINGE}.M250115.V290131.LLOT7"), gs1)
        self.assertEqual(self._scanned(self.ma_syringe, f"{MA_SYRINGE}.LLOT7.M20250115.E20290131"), gs1)
        [line] = gs1
        self.assertEqual(line["lot_name"], "LOT7")
        self.assertEqual(line["production_date"], date(2025, 1, 15))
        self.assertEqual(line["expiration_date"].date(), date(2029, 1, 31))

    def test_an_ma_code_fills_a_serial_line_as_its_gs1_code_does(self):
        gs1 = self._scanned(self.stent, f"(01){STENT_GTIN}(17)300101(21)SN7")
        self.assertEqual(self._scanned(self.ma_stent, f"{MA_STENT}.SSN7.V300101"), gs1)
        [line] = gs1
        self.assertEqual(line["lot_name"], "SN7")
        self.assertEqual(line["quantity"], 1)
        self.assertEqual(line["expiration_date"].date(), date(2030, 1, 1))

    # ------------------------------------------------------------------
    # AHM
    # ------------------------------------------------------------------
    def test_ahm_valid_codes_are_read(self):
        self._assert_valid(AHM_VALID_CODES)

    def test_ahm_invalid_codes_are_refused_and_nothing_is_written(self):
        receipt = self._receipt(self.ahm_syringe)
        receipt._apply_udi_code(f"{AHM_SYRINGE}BAONRECEIPT*ED290101")
        self._assert_refused_on_a_receipt(
            receipt,
            [
                *AHM_INVALID_CODES,
                ("MF1111BA1", "No product has UDI-DI MF1111"),
                (f"{AHM_SYRINGE}SN1", "carries no lot number"),
                (f"{AHM_SYRINGE}BAONRECEIPT*ED290202", "2029-01-01"),
            ],
        )

    def test_an_ahm_code_fills_a_lot_line_as_its_gs1_code_does(self):
        gs1 = self._scanned(self.syringe, f"(01){SYRINGE_GTIN}(11)250115(17)290131(10)LOT-7")
        self.assertEqual(self._scanned(self.ahm_syringe, f"{AHM_SYRINGE}BALOT-7*MD250115ED290131"), gs1)
        self.assertEqual(self._scanned(self.ahm_syringe, f"{AHM_SYRINGE}MD250115*ED290131*BNLOT-7"), gs1)
        self.assertEqual(gs1[0]["lot_name"], "LOT-7")

    def test_an_ahm_code_fills_a_serial_line_as_its_gs1_code_does(self):
        gs1 = self._scanned(self.stent, f"(01){STENT_GTIN}(17)300101(21)SN7")
        self.assertEqual(self._scanned(self.ahm_stent, f"{AHM_STENT}SNSN7*ED300101"), gs1)

    # ------------------------------------------------------------------
    # Every carrier
    # ------------------------------------------------------------------
    def test_codes_typed_in_full_width_characters_are_read_as_their_ascii_form(self):
        parser = self.env["medical.udi.parser"]
        for ascii_code in (
            f"{MA_SYRINGE}.LA2401.V270331",
            f"{AHM_SYRINGE}BA2401A*ED270331",
            f"(01){SYRINGE_GTIN}(17)270331(10)A2401",
        ):
            full_width = "".join(chr(ord(char) + 0xFEE0) for char in ascii_code)
            with self.subTest(code=ascii_code):
                self.assertEqual(parser._parse_udi(full_width), parser._parse_udi(ascii_code))
        full_width_ma = "".join(chr(ord(char) + 0xFEE0) for char in f"{MA_SYRINGE}.LFW1")
        self.assertEqual(self._scanned(self.ma_syringe, full_width_ma)[0]["lot_name"], "FW1")
