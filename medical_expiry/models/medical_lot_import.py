import datetime
from collections import defaultdict

from odoo import api, models
from odoo.exceptions import UserError
from odoo.tools.misc import clean_context

# The columns of a historical lot file and the headers each may have, English or Chinese (any case).
IMPORT_HEADERS = {
    "product": ("product", "gtin", "产品编码"),
    "lot": ("lot", "批号"),
    "production_date": ("production_date", "生产日期"),
    "expiration_date": ("expiration_date", "有效期至"),
    "quantity": ("quantity", "数量"),
    "location": ("location", "库位"),
    "sterilisation_lot": ("sterilisation_lot", "灭菌批号"),
}
OPTIONAL_COLUMNS = {"production_date", "sterilisation_lot"}
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d")
# Errors listed in the message refusing an all-or-nothing import; the dry-run report has every row.
ERRORS_SHOWN = 20


class MedicalLotImport(models.AbstractModel):
    """Historical lots (data cleansing): read a CSV or XLSX file, check every row, import lots and stock.

    Rows are checked set-based (one search each for products, locations and existing lots), lots are
    created in one batch, and their stock comes in as inventory adjustments: Odoo's own inventory moves,
    done in one batch, so every lot has its stock move history ("Historical lot import") and its quants.
    """

    _name = "medical.lot.import"
    _description = "Historical Lot Import"

    @api.model
    def _run(self, data, filename, mode):
        """What the import wizard does: ``mode`` is dry_run, all_or_nothing or valid_only."""
        rows = self._validate_rows(self._read_rows(data, filename))
        if mode == "dry_run":
            return self._report_action(filename, rows)
        invalid = [row for row in rows if row["errors"]]
        if invalid and mode == "all_or_nothing":
            raise UserError(self._refusal_message(rows, invalid))
        lots = self._import_rows([row for row in rows if not row["errors"]], filename)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "warning" if invalid else "success",
                "message": self.env._(
                    "%(lots)s lots imported from %(rows)s rows; %(skipped)s rows with errors skipped.",
                    lots=len(lots),
                    rows=len(rows) - len(invalid),
                    skipped=len(invalid),
                ),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    # ------------------------------------------------------------------
    # Checking
    # ------------------------------------------------------------------
    @api.model
    def _validate_rows(self, rows):
        """Each row with what it resolves to (product, lot name, existing lot, location, dates, quantity)
        and its ``errors``: a list of messages, empty for a row that can be imported."""
        products = self._find_products(self._texts(rows, "product"))
        locations = self._find_locations(self._texts(rows, "location"))
        existing_lots = self._find_lots(products.values(), self._texts(rows, "lot"))
        company = self.env.company
        today = company._expiry_today()
        first_rows = {}  # (product id, lot name): its first row, whose expiration date the others must have
        checked = []
        for row in rows:
            values = row["values"]
            errors = []
            product = products.get(self._text(values["product"]), self.env["product.product"])
            lot_name = self._text(values["lot"])
            location = locations.get(self._text(values["location"]), self.env["stock.location"])
            production_date = self._date(values.get("production_date"), self.env._("production date"), errors)
            expiration_date = self._date(values["expiration_date"], self.env._("expiration date"), errors)
            if not product:
                errors.append(self._unknown(values["product"], self.env._("product")))
            elif product.tracking == "none":
                errors.append(self.env._("%s is not tracked by lots.", product.display_name))
            if not lot_name:
                errors.append(self.env._("The lot is missing."))
            if not self._text(values["expiration_date"]):
                errors.append(self.env._("The expiration date is missing."))
            if production_date and expiration_date and expiration_date < production_date:
                errors.append(
                    self.env._(
                        "Expires on %(expiry)s, before its production date %(production)s.",
                        expiry=expiration_date,
                        production=production_date,
                    )
                )
            if expiration_date and expiration_date < today:
                errors.append(self.env._("Already expired on %s.", expiration_date))
            lot = existing_lots.get((product.id, lot_name), self.env["stock.lot"])
            known_expiry = lot.company_id._expiry_calendar()._expiry_date_of(lot.expiration_date)
            if known_expiry and expiration_date and known_expiry != expiration_date:
                errors.append(
                    self.env._(
                        "Lot %(lot)s of %(product)s exists with expiration date %(known)s.",
                        lot=lot_name,
                        product=product.display_name,
                        known=known_expiry,
                    )
                )
            if product and lot_name and expiration_date:
                first = first_rows.setdefault((product.id, lot_name), (row["row"], expiration_date))
                if first[1] != expiration_date:
                    errors.append(
                        self.env._(
                            "Lot %(lot)s is in row %(row)s with expiration date %(known)s.",
                            lot=lot_name,
                            row=first[0],
                            known=first[1],
                        )
                    )
            quantity = self._quantity(values["quantity"], errors)
            if not location:
                errors.append(self._unknown(values["location"], self.env._("location")))
            checked.append(
                {
                    **row,
                    "errors": errors,
                    "product": product,
                    "lot_name": lot_name,
                    "lot": lot,
                    "location": location,
                    "production_date": production_date,
                    "expiration_date": expiration_date,
                    "sterilisation_lot": self._text(values.get("sterilisation_lot")) or False,
                    "quantity": quantity,
                }
            )
        return checked

    @api.model
    def _texts(self, rows, column):
        return {self._text(row["values"][column]) for row in rows} - {""}

    @api.model
    def _find_products(self, values):
        """{value: product} for the values naming a product by internal reference or UDI-DI."""
        Product = self.env["product.product"]
        by_code = {
            product.default_code: product
            for product in Product.search([("default_code", "in", list(values))])
        }
        found = Product._products_by_udi_di([value for value in values if value not in by_code])
        found.update(by_code)
        return found

    @api.model
    def _find_locations(self, values):
        """{value: internal location} for the values naming one by full name (WH/Stock) or barcode."""
        locations = self.env["stock.location"].search(
            [
                ("usage", "=", "internal"),
                "|",
                ("complete_name", "in", list(values)),
                ("barcode", "in", list(values)),
            ]
        )
        found = {location.barcode: location for location in locations if location.barcode}
        found.update({location.complete_name: location for location in locations})
        return found

    @api.model
    def _find_lots(self, products, names):
        """{(product id, lot name): lot} of the lots of these products that exist already."""
        lots = self.env["stock.lot"].search(
            [
                ("product_id", "in", [product.id for product in products]),
                ("name", "in", list(names)),
                ("company_id", "in", [self.env.company.id, False]),
            ]
        )
        return {(lot.product_id.id, lot.name): lot for lot in lots}

    @api.model
    def _text(self, value):
        """A cell as text: XLSX gives numbers for codes typed as numbers (GTINs, lots)."""
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return str(value).strip() if value is not None else ""

    @api.model
    def _date(self, value, what, errors):
        """A cell as a date; None when empty, or when it is no date (then an error is appended)."""
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        text = self._text(value)
        if not text:
            return None
        for date_format in DATE_FORMATS:
            try:
                return datetime.datetime.strptime(text, date_format).date()
            except ValueError:
                continue
        errors.append(self.env._("Bad %(what)s “%(value)s”: write it as YYYY-MM-DD.", what=what, value=text))
        return None

    @api.model
    def _quantity(self, value, errors):
        """A cell as a quantity (zero imports the lot without stock); None, with an error, when it is no
        number or a negative one."""
        text = self._text(value)
        if not text:
            errors.append(self.env._("The quantity is missing."))
            return None
        try:
            quantity = float(text)
        except ValueError:
            errors.append(self.env._("Bad quantity “%s”.", text))
            return None
        if quantity < 0:
            errors.append(self.env._("Negative quantity %s.", text))
            return None
        return quantity

    @api.model
    def _unknown(self, value, what):
        text = self._text(value)
        if not text:
            return self.env._("The %s is missing.", what)
        return self.env._("Unknown %(what)s “%(value)s”.", what=what, value=text)

    @api.model
    def _refusal_message(self, rows, invalid):
        errors = [
            self.env._("Row %(row)s: %(errors)s", row=row["row"], errors=" ".join(row["errors"]))
            for row in invalid[:ERRORS_SHOWN]
        ]
        if len(invalid) > ERRORS_SHOWN:
            errors.append("…")
        return self.env._(
            "%(invalid)s of %(rows)s rows have errors: nothing was imported. Fix them, or import the valid "
            "rows only; a dry run gives the report of every row.\n%(errors)s",
            invalid=len(invalid),
            rows=len(rows),
            errors="\n".join(errors),
        )

    # ------------------------------------------------------------------
    # Report
    # ------------------------------------------------------------------
    @api.model
    def _report_action(self, filename, rows):
        """The dry-run report, downloaded: every row of the file, its status and what is wrong with it.

        Rendered by the XLSX report action_report_lot_import_validation_xlsx from the checked rows, which
        exist only in this request: the file is kept as an attachment the browser downloads.
        """
        ok, error = self.env._("OK"), self.env._("Error")
        table = [
            [
                row["row"],
                *(row["values"].get(column) for column in IMPORT_HEADERS),
                error if row["errors"] else ok,
                "\n".join(row["errors"]),
            ]
            for row in rows
        ]
        content, _type = self.env["ir.actions.report"]._render_xlsx(
            "medical_expiry.action_report_lot_import_validation_xlsx", [], data={"rows": table}
        )
        # A wizard's default_res_model/default_res_id in the context must not attach the file elsewhere.
        attachment = self.env(context=clean_context(self.env.context))["ir.attachment"].create(
            {
                "name": self.env._("%s - validation.xlsx", (filename or "").rsplit(".", 1)[0]),
                "raw": content,
                "mimetype": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "res_model": self._name,
            }
        )
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{attachment.id}?download=true",
            "target": "self",
        }

    @api.model
    def _xlsx_table(self, data, records):
        """The sheet of the dry-run report (report.medical_expiry.report_lot_import_validation_xlsx)."""
        columns = [
            (self.env._("Row"), 6),
            (self.env._("Product"), 18),
            (self.env._("Lot"), 16),
            (self.env._("Production Date"), 14),
            (self.env._("Expiration Date"), 14),
            (self.env._("Quantity"), 10),
            (self.env._("Location"), 20),
            (self.env._("Sterilisation Lot"), 16),
            (self.env._("Status"), 8),
            (self.env._("Messages"), 60),
        ]
        return self.env._("Validation"), columns, data["rows"], []

    # ------------------------------------------------------------------
    # Import
    # ------------------------------------------------------------------
    @api.model
    def _import_rows(self, rows, filename):
        """Create the rows' new lots in one batch and bring their stock in; returns the lots imported,
        each audit-logged once."""
        lots = {(row["product"].id, row["lot_name"]): row["lot"] for row in rows if row["lot"]}
        new_lots = {}
        for row in rows:
            key = (row["product"].id, row["lot_name"])
            if key not in lots:
                new_lots.setdefault(key, row)
        company = self.env.company
        expiration_dates = {
            day: company._expiry_datetime_of(day)
            for day in {row["expiration_date"] for row in new_lots.values()}
        }
        # The audit log records the import: a "Lot created" message on each lot's chatter, or the importer
        # following thousands of lots, would not add to it.
        created = (
            self.env["stock.lot"]
            .with_context(tracking_disable=True)
            ._create_imported_lots_sql(
                [
                    {
                        "name": row["lot_name"],
                        "product_id": row["product"].id,
                        "company_id": company.id,
                        "expiration_date": expiration_dates[row["expiration_date"]],
                        "production_date": row["production_date"],
                        "sterilisation_lot": row["sterilisation_lot"],
                    }
                    for row in new_lots.values()
                ]
            )
        )
        lots.update(zip(new_lots, created, strict=True))
        self._import_stock(rows, lots, filename)
        imported = self.env["stock.lot"].browse(dict.fromkeys(lot.id for lot in lots.values()))
        self.env["medical.audit.log"]._log_batch(
            imported,
            "import",
            new_values=self._audit_values(rows, lots, filename),
            reason=self.with_context(lang=self.env.company._expiry_lang()).env._("import"),
        )
        return imported

    @api.model
    def _import_stock(self, rows, lots, filename):
        """Bring the rows' stock in as inventory adjustments, done in one batch: one move per product and
        location, one line per lot, from the product's inventory adjustment location.

        The moves Odoo itself makes when a counted quantity is applied (``is_inventory``), rather than quants
        written alone: every lot gets its stock move history and the stock its valuation. Their lines are
        inserted in one statement (``stock.move.line._create_import_lines_sql``) and they are done
        set-based (``stock.move._action_done_incoming_batch``): ``create`` and ``_action_done`` cost a few
        queries a line, most of the cost of a 10k-row file (bench/: "lot import 10k rows").
        """
        lines_by_move = defaultdict(list)
        for row in rows:
            if row["quantity"]:
                lines_by_move[row["product"], row["location"]].append(row)
        name = self.env._("Historical lot import: %s", filename)
        move_vals, line_vals = [], []
        for (product, location), move_rows in lines_by_move.items():
            company = location.company_id or self.env.company
            source = product.with_company(company).property_stock_inventory
            common = {
                "product_id": product.id,
                "location_id": source.id,
                "location_dest_id": location.id,
                "company_id": company.id,
            }
            move_vals.append(
                {
                    **common,
                    "name": name,
                    "product_uom": product.uom_id.id,
                    "product_uom_qty": sum(row["quantity"] for row in move_rows),
                    "state": "confirmed",
                    "is_inventory": True,
                    "picked": True,
                }
            )
            line_vals.append(
                [
                    {
                        **common,
                        "product_uom_id": product.uom_id.id,
                        "lot_id": lots[product.id, row["lot_name"]].id,
                        "quantity": row["quantity"],
                    }
                    for row in move_rows
                ]
            )
        moves = self.env["stock.move"].create(move_vals)
        self.env["stock.move.line"]._create_import_lines_sql(
            [
                {**vals, "move_id": move.id}
                for move, lines in zip(moves, line_vals, strict=True)
                for vals in lines
            ]
        )
        moves._action_done_incoming_batch()

    @api.model
    def _audit_values(self, rows, lots, filename):
        """{lot id: what the import said of it}, for its audit row."""
        values = {}
        for row in rows:
            lot = lots[row["product"].id, row["lot_name"]]
            entry = values.setdefault(
                lot.id,
                {
                    "file": filename,
                    "expiration_date": row["expiration_date"],
                    "production_date": row["production_date"],
                    "stock": [],
                },
            )
            entry["stock"].append(
                {"row": row["row"], "location": row["location"].complete_name, "quantity": row["quantity"]}
            )
        return values
