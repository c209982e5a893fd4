from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import PASSWORD, MedicalExpiryCase


@tagged("post_install", "-at_install")
class TestAuditMultiCompany(MedicalExpiryCase):
    """Audit rows and signatures belong to a company: other companies' officers neither find nor read them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Log = cls.env["medical.audit.log"]
        cls.company_b = cls.env["res.company"].create({"name": "Beijing Medical"})
        cls.compliance_b = cls.env["res.users"].create(
            {
                "name": "Compliance Officer B",
                "login": "expiry_compliance_b",
                "email": "expiry_compliance_b@example.com",
                "password": PASSWORD,
                "company_id": cls.company_b.id,
                "company_ids": [Command.set(cls.company_b.ids)],
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
        cls.lot_a = cls._create_lot(cls.syringe, 200, name="SYR-A")
        cls.lot_b = cls.env["stock.lot"].create(
            {"name": "SYR-B", "product_id": cls.syringe.id, "company_id": cls.company_b.id}
        )
        cls.lot_a._block("quality", "Company A check")
        cls.lot_b._block("quality", "Company B check")
        cls.row_a = cls.Log.search([("model", "=", "stock.lot"), ("res_id", "=", cls.lot_a.id)])
        cls.row_b = cls.Log.search([("model", "=", "stock.lot"), ("res_id", "=", cls.lot_b.id)])

    def test_rows_belong_to_their_records_company(self):
        self.assertEqual(self.row_a.company_id, self.company)
        self.assertEqual(self.row_b.company_id, self.company_b)

    def test_rows_of_records_without_a_company_belong_to_the_users_current_company(self):
        partner = self.env["res.partner"].create({"name": "Shared partner"})
        row = self.Log.with_user(self.compliance_b)._log(partner, "import", reason="B imports")
        self.assertEqual(row.sudo().company_id, self.company_b)

    def test_other_companys_officer_neither_finds_nor_reads_the_rows(self):
        as_b = self.Log.with_user(self.compliance_b)
        self.assertFalse(as_b.search([("id", "=", self.row_a.id)]))
        self.assertEqual(
            as_b.search([("model", "=", "stock.lot"), ("res_id", "in", (self.lot_a | self.lot_b).ids)]),
            self.row_b,
        )
        with self.assertRaises(AccessError):
            self.row_a.with_user(self.compliance_b).read(["reason"])
        self.assertEqual(self.row_a.reason, "Company A check", "the row is unchanged")

    def test_own_companys_officer_sees_its_rows_only(self):
        as_a = self.Log.with_user(self.compliance_officer)
        self.assertEqual(
            as_a.search([("model", "=", "stock.lot"), ("res_id", "in", (self.lot_a | self.lot_b).ids)]),
            self.row_a,
        )
        self.assertEqual(
            self.row_a.with_user(self.compliance_officer).read(["reason"])[0]["reason"], "Company A check"
        )

    def test_company_is_covered_by_the_hash(self):
        self.env.flush_all()
        self.env.cr.execute("ALTER TABLE medical_audit_log DISABLE TRIGGER medical_audit_log_append_only")
        self.env.cr.execute("UPDATE medical_audit_log SET company_id = NULL WHERE id = %s", [self.row_a.id])
        self.env.cr.execute("ALTER TABLE medical_audit_log ENABLE TRIGGER medical_audit_log_append_only")
        self.env.invalidate_all()
        _checked, broken, _missing = self.Log._verify_chain()
        self.assertEqual(broken, self.row_a)

    def test_rows_written_before_companies_still_verify(self):
        """A row from before the company existed has none, and its hash never covered one."""
        self.assertFalse(self.Log._verify_chain()[1])
        number = (
            self.env["ir.sequence"]
            .sudo()
            .browse(self.env.ref("medical_expiry.seq_medical_audit_log").id)
            ._next_do()
        )
        previous = self.Log.search([], limit=1)
        vals = {
            "sequence": int(number),
            "timestamp": previous.timestamp,
            "user_id": self.env.uid,
            "model": "stock.lot",
            "res_id": self.lot_a.id,
            "record_name": "SYR-A",
            "action": "lot_block",
            "old_values": False,
            "new_values": False,
            "reason": "Before companies",
            "signature_id": False,
            "company_id": False,
            "prev_hash": previous.hash,
        }
        vals["hash"] = self.Log._row_hash(vals)
        legacy = self.Log._create_append_only([vals])
        self.assertFalse(legacy.company_id)
        checked, broken, missing = self.Log._verify_chain()
        self.assertFalse(broken)
        self.assertIsNone(missing)
        self.assertEqual(checked, self.Log.search_count([]))
        # Rows without a company are everybody's, as in Odoo's own multi-company rules.
        self.assertEqual(self.Log.with_user(self.compliance_b).search([("id", "=", legacy.id)]), legacy)

    def test_signatures_belong_to_their_records_company_and_stay_there(self):
        signature = (
            self.env["medical.signature"]
            .with_user(self.manager)
            ._sign(self.lot_a, "lot_unblock", PASSWORD, "approval", reason="Re-inspected")
        )
        self.assertEqual(signature.company_id, self.company)
        self.assertEqual(self._audit_rows(self.lot_a, "signature").company_id, self.company)
        as_b = self.env["medical.signature"].with_user(self.compliance_b)
        self.assertFalse(as_b.search([("id", "=", signature.id)]))
        with self.assertRaises(AccessError):
            signature.with_user(self.compliance_b).read(["reason"])
        self.assertEqual(
            self.env["medical.signature"]
            .with_user(self.compliance_officer)
            .search([("id", "=", signature.id)]),
            signature,
        )
        self.assertEqual(signature.reason, "Re-inspected", "the signature is unchanged")
