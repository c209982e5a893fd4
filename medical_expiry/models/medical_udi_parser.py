import datetime
import re

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools.barcode import get_barcode_check_digit

from .context_keys import GS1_TRACE

# What a UDI tells at receipt, whichever carrier it comes in.
UDI_KEYS = ("di", "lot", "serial", "production_date", "expiration_date", "quantity")
# The GS1 application identifiers a receipt reads, and the UDI key each fills. Other AIs Odoo's
# nomenclature knows (SSCC, best-before date, weights…) are read and left aside.
GS1_AI_KEYS = {
    "01": "di",
    "02": "di",  # the GTIN of the items a logistic unit contains, counted by (37)
    "10": "lot",
    "11": "production_date",
    "17": "expiration_date",
    "21": "serial",
    "30": "quantity",
    "37": "quantity",
}
# A GS1 element string starts with an AI, written plain or in parentheses, or with a symbology
# identifier (]C1 GS1-128, ]d2 DataMatrix, ]Q3 QR…) or an FNC1.
GS1_START = re.compile(r"\d|\(\d|\][A-Za-z]\d|\x1d")
SYMBOLOGY_IDENTIFIER = re.compile(r"\][A-Za-z]\d")
PARENTHESISED_AI = re.compile(r"\((\d{2,4})\)")
FNC1 = "\x1d"
# A date in an MA or AHM data unit: YYMMDD or YYYYMMDD.
UDI_DATE = re.compile(r"[0-9]{6}|[0-9]{8}")
# An MA UDI-DI: "MA", the country (3 digits), the industry (M0: medical devices), the registrant (6 digits),
# the product code (packaging indicator digit, item code of 6 letters or digits, check digit). ZIIOT hands
# its check digits out through its coding service and publishes no algorithm (the one passed around,
# github.com/weirros/IdCodeChecker, is withdrawn by its author): the structure is checked, the digit is not.
MA_START = re.compile(r"MA\.")
MA_DI = re.compile(r"MA\.[0-9]{3}\.M0\.[0-9]{6}\.[0-9][0-9A-Za-z]{6}[0-9]")
MA_FIELD = re.compile(r"[0-9A-Za-z]+")
# An AHM (Alibaba Health) UDI: elements named by two capital letters, the DI's MF first (see _parse_ahm).
AHM_START = re.compile(r"MF")
AHM_IDENTIFIER = re.compile(r"[A-Z]{2}")
# The elements written in digits end at the first other character; any other runs to a "*" or the end.
AHM_NUMERIC = {"MF", "MD", "BD", "ED", "PL"}
AHM_DIGITS = re.compile(r"[0-9]*")
AHM_TEXT = re.compile(r"[^*]*")
AHM_DI_DIGITS = 13
# Chinese input methods in full-width mode type "０１２…", "（１０）", "ＭＡ．", "＊" and ideographic
# spaces: each is read as the ASCII character it stands for (U+FF01-U+FF5E are U+0021-U+007E shifted).
FULL_WIDTH_TO_ASCII = {0xFF01 + offset: 0x21 + offset for offset in range(0x5E)} | {0x3000: " "}


class MedicalUdiParser(models.AbstractModel):
    """Reads the UDI (unique device identification) a device carries into one plain structure.

    China's UDI rules admit the carriers of three issuing agencies: GS1, MA (IDcode) and AHM. Each
    carrier has a recogniser and a parser behind the one entry point, ``_parse_udi``, and every parser
    returns the same keys, so receipts and imports never care which carrier a code came in.
    """

    _name = "medical.udi.parser"
    _description = "UDI Parser"

    @api.model
    def _parse_udi(self, code):
        """{di, lot, serial, production_date, expiration_date, quantity} of a scanned or pasted UDI.

        ``di`` is the device identifier as its carrier writes it (a GTIN-14 for GS1), dates are
        ``datetime.date``, the quantity a number, what the code does not carry False.
        Raises a UserError naming the problem when the code cannot be read.
        """
        code = self._normalised(code).strip()
        if not code:
            raise UserError(self.env._("Scan or paste a UDI code first."))
        for recognises, parse in self._udi_carriers():
            if recognises(code):
                udi = parse(code)
                self._check_udi(udi)
                return udi
        raise UserError(
            self.env._("“%s” is not a UDI in a format this database reads (GS1, MA or AHM).", code)
        )

    @api.model
    def _normalised(self, code):
        """The code with the full-width characters a Chinese input method types made ASCII, for every
        carrier and every place that reads a UDI or a UDI-DI."""
        return (code or "").translate(FULL_WIDTH_TO_ASCII)

    @api.model
    def _udi_carriers(self):
        """(recogniser, parser) of each UDI carrier, tried in order."""
        return [
            (GS1_START.match, self._parse_gs1),
            (MA_START.match, self._parse_ma),
            (AHM_START.match, self._parse_ahm),
        ]

    @api.model
    def _check_udi(self, udi):
        """What no carrier may say, whatever its syntax."""
        if not udi["di"]:
            raise UserError(self.env._("The code carries no product identifier (UDI-DI)."))
        if (
            udi["production_date"]
            and udi["expiration_date"]
            and udi["production_date"] > udi["expiration_date"]
        ):
            raise UserError(
                self.env._(
                    "The code says the device was produced on %(production)s, after it expires on "
                    "%(expiry)s.",
                    production=fields.Date.to_string(udi["production_date"]),
                    expiry=fields.Date.to_string(udi["expiration_date"]),
                )
            )
        if udi["quantity"] is not False and udi["quantity"] <= 0:
            raise UserError(self.env._("The code's quantity must be positive, not %s.", udi["quantity"]))

    # ------------------------------------------------------------------
    # Data units, as MA and AHM write them: an identifier, then its value
    # ------------------------------------------------------------------
    @api.model
    def _read_data_units(self, units, readers):
        """The UDI that (identifier, value) pairs say, each read as ``readers`` tell: {identifier: (UDI
        key, reader)}, a key None for a unit checked and left aside, a reader None for a value as it is.

        Two identifiers may give the same fact (MA's .V and .E) only when they agree.
        """
        udi = dict.fromkeys(UDI_KEYS, False)
        seen = set()
        given_by = {}
        for unit, value in units:
            if unit not in readers:
                raise UserError(self.env._("Unknown data identifier “%s”: the code cannot be read.", unit))
            if unit in seen:
                raise UserError(self.env._("The code gives %s twice.", unit))
            seen.add(unit)
            if not value:
                raise UserError(self.env._("The code gives %s with no value.", unit))
            key, reader = readers[unit]
            value = reader(value, unit) if reader else value
            if not key:
                continue
            if key in given_by and udi[key] != value:
                raise UserError(
                    self.env._(
                        "The code contradicts itself: %(unit)s says %(value)s, %(other_unit)s says "
                        "%(other_value)s.",
                        unit=given_by[key],
                        value=udi[key],
                        other_unit=unit,
                        other_value=value,
                    )
                )
            given_by.setdefault(key, unit)
            udi[key] = value
        return udi

    @api.model
    def _udi_date(self, value, unit):
        """The date a data unit gives, written YYMMDD (20YY: the rules give no other century) or YYYYMMDD."""
        if not UDI_DATE.fullmatch(value):
            raise UserError(
                self.env._(
                    "%(unit)s %(value)s is not a date: dates are written YYMMDD or YYYYMMDD.",
                    unit=unit,
                    value=value,
                )
            )
        digits = value if len(value) == 8 else "20" + value
        year, month, day = digits[:4], digits[4:6], digits[6:]
        try:
            return datetime.date(int(year), int(month), int(day))
        except ValueError:
            raise UserError(
                self.env._(
                    "Impossible date in %(unit)s %(value)s: there is no %(date)s.",
                    unit=unit,
                    value=value,
                    date="-".join((year, month, day)),
                )
            ) from None

    # ------------------------------------------------------------------
    # GS1
    # ------------------------------------------------------------------
    @api.model
    def _gs1_nomenclature(self):
        """The company's GS1 nomenclature, or Odoo's default one (which also reads AI 11, see data/)."""
        nomenclature = self.env.company.nomenclature_id
        if nomenclature.is_gs1_nomenclature:
            return nomenclature
        return self.env.ref("barcodes_gs1_nomenclature.default_gs1_nomenclature")

    @api.model
    def _parse_gs1(self, code):
        """A GS1 element string (GS1-128, DataMatrix, or written with parenthesised AIs), read by Odoo's
        GS1 nomenclature, which checks the check digits and reads the dates (DD=00: the month's last day).
        """
        element_string = self._gs1_fnc1_form(code)
        trace = []
        nomenclature = self._gs1_nomenclature().with_context(**{GS1_TRACE: trace})
        try:
            elements = nomenclature.parse_barcode(element_string)
        except ValueError:
            # Odoo reads a date with strptime, which refuses a month 13 or a 30 February.
            raise UserError(
                self.env._(
                    "Impossible date in (%(ai)s) %(value)s: GS1 dates are YYMMDD.",
                    ai=trace[-1]["ai"],
                    value=trace[-1]["value"],
                )
            ) from None
        if not elements:
            raise UserError(self._gs1_refusal(trace, element_string))
        udi = dict.fromkeys(UDI_KEYS, False)
        given = set()
        for element in elements:
            key = GS1_AI_KEYS.get(element["ai"])
            if not key:
                continue
            if key in given:
                raise UserError(
                    self.env._("The code gives the same information twice (AI %s).", element["ai"])
                )
            given.add(key)
            if element["value"] == "":
                # "(10)" or "(21)" with nothing after it: a blank lot or serial must not pass as none.
                raise UserError(self.env._("The code gives (%s) with no value.", element["ai"]))
            udi[key] = element["value"]
        return udi

    @api.model
    def _gs1_fnc1_form(self, code):
        """The element string as a scanner sends it: "(01)…(17)…(10)…" becomes "01…<FNC1>17…<FNC1>10…".

        An FNC1 ends every element, so a variable-length value (a lot) never swallows the next AI.
        """
        prefix, *parts = PARENTHESISED_AI.split(code)
        if not parts:
            return code
        elements = [ai + value.strip() for ai, value in zip(parts[::2], parts[1::2], strict=True)]
        if prefix and not SYMBOLOGY_IDENTIFIER.fullmatch(prefix):
            elements.insert(0, prefix)
            prefix = ""
        return prefix + FNC1.join(elements)

    @api.model
    def _gs1_refusal(self, trace, element_string):
        """Why Odoo's nomenclature refused an element string, from the elements it tried to read."""
        last_read = max((index for index, element in enumerate(trace) if element["read"]), default=-1)
        for element in trace[last_read + 1 :]:
            if element["content_type"] == "identifier":
                value = element["value"]
                return self.env._(
                    "Wrong check digit in (%(ai)s) %(value)s: the last digit should be %(digit)s.",
                    ai=element["ai"],
                    value=value,
                    digit=get_barcode_check_digit("0" * (18 - len(value)) + value),
                )
        rest = trace[last_read]["rest"] if last_read >= 0 else element_string
        return self.env._(
            "Cannot read the code from “%s” on: unknown GS1 application identifier, or a value longer "
            "than its AI allows.",
            rest.replace(FNC1, "<GS>"),
        )

    # ------------------------------------------------------------------
    # MA (IDcode)
    # ------------------------------------------------------------------
    @api.model
    def _parse_ma(self, code):
        """An MA (IDcode) UDI: its DI, then data units, each a separator "." and a letter before its value,
        as in "MA.156.M0.100001.10000013.LA2401.M20240115.V270114".

        ZIIOT's rules (http://udi.cp-sy.cn/Login/Architecture; the DI structure in
        https://wanbiaoku.com/new/af3df720e0c04f3bb39b5d8f0061555d) make every field letters and digits,
        so each "." starts a data unit: a lot cannot hold a ".", and "….LA.1" is lot A, then a unit ".1".
        The rules define no URL form of the code, so none is read.
        """
        parts = code.split(".")
        di = ".".join(parts[:5])
        if not MA_DI.fullmatch(di):
            raise UserError(
                self.env._(
                    "“%s” is not an MA UDI-DI, written MA.<country: 3 digits>.M0.<registrant: 6 digits>."
                    "<product code: packaging digit, 6 letters or digits, check digit>.",
                    di,
                )
            )
        udi = self._read_data_units([("." + part[:1], part[1:]) for part in parts[5:]], self._ma_data_units())
        udi["di"] = di
        return udi

    @api.model
    def _ma_data_units(self):
        """{separator: (UDI key, reader)} of the MA data units."""
        return {
            ".L": ("lot", self._ma_field),
            ".S": ("serial", self._ma_field),
            ".M": ("production_date", self._udi_date),
            ".V": ("expiration_date", self._udi_date),  # 有效期
            ".E": ("expiration_date", self._udi_date),  # 失效期: the same date, for a receipt
            ".D": (None, self._ma_field),  # 灭菌批号, the sterilisation lot
            # Not in the rules' list, but codes as MA's coding service prints them end with a check
            # character (….V220627.C3), whose algorithm is not published either: read, not verified.
            ".C": (None, self._ma_field),
        }

    @api.model
    def _ma_field(self, value, unit):
        """A lot, serial number or sterilisation lot: letters and digits, as MA's rules have them."""
        if not MA_FIELD.fullmatch(value):
            raise UserError(
                self.env._(
                    "%(unit)s %(value)s: MA fields are letters and digits only.",
                    unit=unit,
                    value=value,
                )
            )
        return value

    # ------------------------------------------------------------------
    # AHM (Alibaba Health)
    # ------------------------------------------------------------------
    @api.model
    def _parse_ahm(self, code):
        """An AHM (Alibaba Health) UDI, as "MF6901234567BA2401A*SN0001*MD240115ED270114".

        Alibaba Health publishes no syntax; this reads what the public sources agree on. The DI is the
        maker's and the product's codes, the PI a batch (BN), serial (SN), production (MD), best-before (BD)
        and expiry (ED) date: https://wanbiaoku.com/new/af3df720e0c04f3bb39b5d8f0061555d. The only public
        parser found (github.com/MoniGas/HisTraceBack, Dal/UdiDAL.cs) reads MF and the DI (at most 13
        characters) first, the batch as BA ended by a "*", YYMMDD dates, and PL, the packaging level.
        So each element is two capital letters and a value: MF (kept in the DI, which then never reads as
        a GTIN), MD, BD, ED and PL are digits, ending at the next letter (the DI's digits are an
        assumption: the parser splits it off at BA); BA or BN and SN run to a "*" or the end; a "*" may
        follow any element. BD, like GS1's (15), and PL are read and left aside.
        """
        units = []
        position = 0
        while position < len(code):
            identifier = AHM_IDENTIFIER.match(code, position)
            if not identifier:
                raise UserError(
                    self.env._(
                        "Cannot read the AHM code from “%s” on: a data identifier of two capital letters "
                        "is expected there.",
                        code[position:],
                    )
                )
            unit = identifier.group()
            value = (AHM_DIGITS if unit in AHM_NUMERIC else AHM_TEXT).match(code, identifier.end())
            units.append((unit, value.group()))
            position = value.end()
            if code.startswith("*", position):
                position += 1
        return self._read_data_units(units, self._ahm_data_units())

    @api.model
    def _ahm_data_units(self):
        """{data identifier: (UDI key, reader)} of the AHM elements."""
        return {
            "MF": ("di", self._ahm_di),
            "BA": ("lot", None),
            "BN": ("lot", None),
            "SN": ("serial", None),
            "MD": ("production_date", self._udi_date),
            "BD": (None, self._udi_date),  # 保质日期, best before
            "ED": ("expiration_date", self._udi_date),  # 有效日期
            "PL": (None, None),  # packaging level
        }

    @api.model
    def _ahm_di(self, value, unit):
        """The AHM UDI-DI: MF and up to 13 digits."""
        if len(value) > AHM_DI_DIGITS:
            raise UserError(
                self.env._(
                    "An AHM UDI-DI has at most %(max)s digits after MF, not %(count)s (%(value)s).",
                    max=AHM_DI_DIGITS,
                    count=len(value),
                    value=value,
                )
            )
        return unit + value
