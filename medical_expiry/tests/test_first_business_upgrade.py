from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from .migration_common import run_migration
from .qualification_common import QualificationCase


@tagged("post_install", "-at_install")
class TestFirstBusinessUpgrade(QualificationCase):
    """Upgrading to 18.0.1.2.0 makes first-business approval (首营审核) required: what the company bought
    before is not refused after, a new supplier or device is, and quality finds each approval in the log."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.qualification_policy = "block"
        cls.stent = cls._create_product("Stent", cls.categ_device, medical_device_class="3")
        cls.new_supplier = cls.env["res.partner"].create({"name": "New Supplier Co.", "is_company": True})
        cls._qualify(cls.new_supplier, "device_trade_licence", 900, covers_class_2=True, covers_class_3=True)

    def _purchase(self, product, supplier=None):
        return self.env["purchase.order"].create(
            {
                "partner_id": (supplier or self.supplier).id,
                "order_line": [Command.create({"product_id": product.id, "product_qty": 5, "price_unit": 2})],
            }
        )

    def _approval(self, holder):
        field = "partner_id" if holder._name == "res.partner" else "product_tmpl_id"
        holder = holder.product_tmpl_id if holder._name == "product.product" else holder
        return self.env["medical.first.business.approval"].search(
            [(field, "=", holder.id), ("company_id", "=", self.company.id)]
        )

    def test_suppliers_and_devices_bought_before_the_upgrade_are_approved_and_logged(self):
        # Yesterday: bought syringes without first-business approval; a stent order was cancelled.
        self._purchase(self.syringe).button_confirm()
        self._purchase(self.stent, self.new_supplier).button_cancel()
        self.company.first_business_approval_required = True
        run_migration(self.env.cr, "18.0.1.2.0", "post-migrate.py", "18.0.1.1.0")
        self.env.invalidate_all()

        approvals = self._approval(self.supplier) | self._approval(self.syringe)
        self.assertEqual(approvals.mapped("state"), ["approved", "approved"])
        self.assertFalse(self._approval(self.new_supplier) or self._approval(self.stent))
        rows = self._audit_rows(approvals, "first_business_approval")
        self.assertEqual(len(rows), 2)
        self.assertIn("recorded as approved at the upgrade", rows[0].reason)
        self.assertEqual(set(rows.mapped("old_values")), {'{"state":"draft"}'})

        # Today: the same order goes through; a new supplier or a new device still needs quality.
        order = self._purchase(self.syringe)
        order.button_confirm()
        self.assertEqual(order.state, "purchase")
        for refused in (self._purchase(self.syringe, self.new_supplier), self._purchase(self.stent)):
            with self.assertRaisesRegex(UserError, "has no first-business approval"):
                refused.button_confirm()
            self.assertEqual(refused.state, "draft")

    def test_the_migration_leaves_approvals_already_granted_alone(self):
        self._purchase(self.syringe).button_confirm()
        run_migration(self.env.cr, "18.0.1.2.0", "post-migrate.py", "18.0.1.1.0")
        rows = self.env["medical.audit.log"].search([("action", "=", "first_business_approval")])
        run_migration(self.env.cr, "18.0.1.2.0", "post-migrate.py", "18.0.1.1.0")
        self.assertEqual(
            self.env["medical.audit.log"].search([("action", "=", "first_business_approval")]), rows
        )
