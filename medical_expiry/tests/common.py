import io
from datetime import datetime, time, timedelta

import openpyxl
from PyPDF2 import PdfReader

from odoo import Command
from odoo.tests import TransactionCase
from odoo.tools.barcode import get_barcode_check_digit

# The login password of the test users, re-entered when they sign.
PASSWORD = "Expiry-Test-2026"


def as_cell(value):
    """A date as openpyxl reads it back from a cell."""
    return datetime.combine(value, time())


def gtin(digits):
    """``digits`` followed by their GS1 check digit: a valid GTIN-8, -12, -13 or -14 for one digit less."""
    return digits + str(get_barcode_check_digit(digits + "0"))


class MedicalExpiryCase(TransactionCase):
    """Products, warehouses, partners and a clean rule library, built once per test class."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Every test states its own rules: the shipped defaults are archived here.
        cls.env["medical.expiry.rule"].search([]).active = False
        cls.company = cls.env.company
        # First-business approval has its own tests (test_first_business_approval): the shared fixtures
        # buy from a supplier and of devices nobody approved.
        cls.company.first_business_approval_required = False
        cls.warehouse = cls.env["stock.warehouse"].search([("company_id", "=", cls.company.id)], limit=1)
        cls.stock = cls.warehouse.lot_stock_id
        cls.warehouse_2 = cls.env["stock.warehouse"].create({"name": "Shanghai", "code": "SHT"})
        cls.stock_2 = cls.warehouse_2.lot_stock_id
        cls.transit = cls.env["stock.location"].create(
            {
                "name": "Transit",
                "usage": "transit",
                "location_id": cls.env.ref("stock.stock_location_locations").id,
            }
        )
        cls.quarantine = cls.env["stock.location"].create(
            {
                "name": "Quarantine",
                "usage": "internal",
                "is_quarantine": True,
                "location_id": cls.stock.location_id.id,
            }
        )
        cls.customers = cls.env.ref("stock.stock_location_customers")
        cls.suppliers = cls.env.ref("stock.stock_location_suppliers")
        cls.categ_device = cls.env["product.category"].create({"name": "Devices"})
        cls.categ_ivd = cls.env["product.category"].create({"name": "IVD", "parent_id": cls.categ_device.id})
        cls.categ_strips = cls.env["product.category"].create(
            {"name": "Strips", "parent_id": cls.categ_ivd.id}
        )
        cls.syringe = cls._create_product("Syringe", cls.categ_device)
        cls.strips = cls._create_product("Glucose strips", cls.categ_strips)
        cls.customer = cls.env["res.partner"].create(
            {"name": "Hospital", "medical_customer_type": "institution"}
        )
        cls.picky_customer = cls.env["res.partner"].create(
            {"name": "Picky Hospital", "min_shelf_life_days": 180, "medical_customer_type": "institution"}
        )
        # A hospital is sold medical devices on its practice licence (GSP: the distributor checks its buyers).
        cls.customer_licences = cls.env["medical.qualification"].create(
            [
                {
                    "qualification_type": "practice_licence",
                    "partner_id": hospital.id,
                    "number": f"PDY{hospital.id:08d}",
                }
                for hospital in (cls.customer, cls.picky_customer)
            ]
        )
        cls.supplier = cls.env["res.partner"].create({"name": "Supplier", "is_company": True})
        # A supplier of class II and III devices holds a licence covering them (GSP 首营).
        cls.supplier_licence = cls.env["medical.qualification"].create(
            {
                "qualification_type": "device_trade_licence",
                "partner_id": cls.supplier.id,
                "number": "沪药监械经营许20190001号",
                "covers_class_2": True,
                "covers_class_3": True,
            }
        )
        cls.manager = cls.env["res.users"].create(
            {
                "name": "Expiry Manager",
                "login": "expiry_manager",
                "email": "expiry_manager@example.com",
                "password": PASSWORD,
                "groups_id": [
                    Command.set(
                        [
                            cls.env.ref("medical_expiry.group_expiry_manager").id,
                            cls.env.ref("stock.group_stock_user").id,
                        ]
                    )
                ],
            }
        )
        cls.stock_user = cls.env["res.users"].create(
            {
                "name": "Stock User",
                "login": "expiry_stock_user",
                "email": "expiry_stock_user@example.com",
                "password": PASSWORD,
                "groups_id": [Command.set([cls.env.ref("stock.group_stock_user").id])],
            }
        )

        cls.compliance_officer = cls.env["res.users"].create(
            {
                "name": "Compliance Officer",
                "login": "expiry_compliance",
                "email": "expiry_compliance@example.com",
                "password": PASSWORD,
                "groups_id": [
                    Command.set(
                        [
                            cls.env.ref("medical_expiry.group_expiry_compliance").id,
                            cls.env.ref("stock.group_stock_user").id,
                        ]
                    )
                ],
            }
        )

    @classmethod
    def _create_product(cls, name, categ, **vals):
        return cls.env["product.product"].create(
            {
                "name": name,
                "categ_id": categ.id,
                "is_storable": True,
                "tracking": "lot",
                "use_expiration_date": True,
                "medical_device_class": "2",
                **vals,
            }
        )

    @classmethod
    def _create_rule(cls, days, policy="allow", **scope):
        return cls.env["medical.expiry.rule"].create(
            {"name": f"{days} days", "days_before_expiry": days, "outbound_policy": policy, **scope}
        )

    @classmethod
    def _create_lot(cls, product, days, name=None, quantity=0, location=None):
        """A lot expiring in `days` days (None: no expiration date), with `quantity` on hand."""
        lot = cls.env["stock.lot"].create(
            {
                "name": name or f"{product.name}-{days}",
                "product_id": product.id,
                "expiration_date": days is not None
                and cls.company._expiry_datetime_of(cls.company._expiry_today() + timedelta(days=days)),
            }
        )
        if quantity:
            cls.env["stock.quant"]._update_available_quantity(
                product, location or cls.stock, quantity, lot_id=lot
            )
        return lot

    def _age_lots(self, lots, days):
        """Move lots' dates `days` earlier in the database, as the passing of time would: the expiration
        date, and the date their level changes next."""
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE stock_lot SET expiration_date = expiration_date - %s * interval '1 day',"
            " expiry_date_local = expiry_date_local - %s,"
            " expiry_level_until = expiry_level_until - %s WHERE id = ANY(%s)",
            [days, days, days, lots.ids],
        )
        self.env.cr.execute(
            "UPDATE stock_quant SET expiry_date_local = expiry_date_local - %s WHERE lot_id = ANY(%s)",
            [days, lots.ids],
        )
        lots.invalidate_recordset(["expiration_date", "expiry_date_local", "expiry_level_until"])
        lots.quant_ids.invalidate_recordset(["expiry_date_local"])

    def _signed(self, user, records, signed_action, reason="Checked"):
        """``records`` as ``user`` sees them, after ``user`` signed ``signed_action`` on them in this
        transaction (the signature is spent by the first action it authorises, which logs its reason)."""
        records = records.with_user(user)
        self.env["medical.signature"].with_user(user)._sign(
            records, signed_action, PASSWORD, "approval", reason=reason
        )
        return records

    def _confirm_recall(self, recall, user=None, reason="Manufacturer notice checked"):
        """Confirm ``recall`` as ``user`` (the compliance officer) does: sign the confirmation the
        recall's button asks for."""
        user = user or self.compliance_officer
        self._sign_in_wizard(user, recall.with_user(user).action_confirm(), reason=reason).action_sign()
        return recall

    def _sign_in_wizard(self, user, action, password=PASSWORD, **vals):
        """The signature window ``action`` opens, filled in by ``user`` (sign it with ``action_sign``)."""
        defaults = {
            key[len("default_") :]: value
            for key, value in action["context"].items()
            if key.startswith("default_")
        }
        return (
            self.env[action["res_model"]]
            .with_user(user)
            .create({**defaults, "password": password, "meaning": "approval", "reason": "Checked", **vals})
        )

    def _audit_rows(self, records, action):
        return self.env["medical.audit.log"].search(
            [("model", "=", records._name), ("res_id", "in", records.ids), ("action", "=", action)]
        )

    def _render_pdf(self, report_ref, records, data=None):
        """(PDF bytes, extracted text) of a QWeb report, really rendered by wkhtmltopdf.

        Words in the text are separated by single spaces, whatever the layout put between them.

        ``data``: the options of a report printed from a wizard (the ``data`` of its report action).
        """
        # wkhtmltopdf fetches the report's stylesheets over HTTP from report.url (else web.base.url). Under
        # Odoo's runner the test server holds the registry lock while tests run, so wkhtmltopdf would wait for
        # it forever; and with the stylesheets the text is in web fonts PDF readers cannot extract. An address
        # that refuses at once: the HTML is laid out with wkhtmltopdf's own fonts, under any runner.
        self.env["ir.config_parameter"].set_param("report.url", "http://127.0.0.1:9")
        pdf, _type = (
            self.env["ir.actions.report"]
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf(report_ref, records.ids, data=data)
        )
        self.assertTrue(pdf.startswith(b"%PDF"), "wkhtmltopdf rendered a PDF")
        text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
        return pdf, " ".join(text.split())

    def _read_xlsx(self, action, user=None):
        """The rows of the XLSX file an action downloads, rendered as ``user`` (default: the test's).

        ``action``: an XLSX report action (OCA report_xlsx), as a button or ``report_action`` returns it,
        or the download of a file the server wrote (the lot import's dry run).
        """
        if action["type"] == "ir.actions.act_url":
            attachment_id = int(action["url"].split("/web/content/")[1].split("?")[0])
            data = self.env["ir.attachment"].browse(attachment_id).raw
        else:
            self.assertEqual(action["report_type"], "xlsx")
            data, _type = (
                self.env["ir.actions.report"]
                .with_user(user or self.env.user)
                ._render_xlsx(action["report_name"], action["context"].get("active_ids", []), action["data"])
            )
        sheet = openpyxl.load_workbook(io.BytesIO(data)).active
        return [list(row) for row in sheet.iter_rows(values_only=True)]

    def _flush_tracking(self):
        """Chatter tracking is written when the transaction commits: run that step now."""
        self.env.flush_all()
        self.env.cr.flush()
        self.env.invalidate_all()

    def _create_picking(
        self, product, quantity, source=None, destination=None, partner=None, picking_type=None
    ):
        picking_type = picking_type or self.warehouse.out_type_id
        picking = self.env["stock.picking"].create(
            {
                "picking_type_id": picking_type.id,
                "partner_id": (partner or self.customer).id,
                "location_id": (source or picking_type.default_location_src_id).id,
                "location_dest_id": (destination or picking_type.default_location_dest_id).id,
                "move_ids": [
                    Command.create(
                        {
                            "name": product.name,
                            "product_id": product.id,
                            "product_uom_qty": quantity,
                            "product_uom": product.uom_id.id,
                            "location_id": (source or picking_type.default_location_src_id).id,
                            "location_dest_id": (destination or picking_type.default_location_dest_id).id,
                        }
                    )
                ],
            }
        )
        picking.action_confirm()
        return picking

    def _set_lines(self, picking, *lot_quantities):
        """Replace the picking's move lines by hand-picked lots, as a user or an import would."""
        move = picking.move_ids
        picking.move_line_ids.unlink()
        self.env["stock.move.line"].create(
            [
                {
                    "move_id": move.id,
                    "picking_id": picking.id,
                    "product_id": move.product_id.id,
                    "product_uom_id": move.product_uom.id,
                    "location_id": move.location_id.id,
                    "location_dest_id": move.location_dest_id.id,
                    "lot_id": lot.id,
                    "quantity": quantity,
                }
                for lot, quantity in lot_quantities
            ]
        )
        move.picked = True
