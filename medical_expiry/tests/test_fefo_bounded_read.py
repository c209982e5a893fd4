from datetime import timedelta
from unittest.mock import patch

from odoo.tests import tagged

from ..models.context_keys import REFUSED_LOTS
from ..models.stock_quant import FIRST_BATCH
from .common import MedicalExpiryCase


@tagged("post_install", "-at_install")
class TestFefoBoundedRead(MedicalExpiryCase):
    """A medical device is reserved from the first quants in removal order, exactly as from all of them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._create_rule(15, "block")
        cls._create_rule(45, "warn")
        cls.bin = cls.env["stock.location"].create({"name": "A-01", "location_id": cls.stock.id})
        cls.Quant = cls.env["stock.quant"]

    def _stock_the_shelves(self, product):
        """Every kind of quant a reservation meets, around the lots it may take; returns those lots."""
        expired = self._create_lot(product, -5, quantity=10)
        blocked = self._create_lot(product, 60, quantity=10)
        blocked._block("quality")
        self._create_lot(product, 10, quantity=10)  # level "block"
        self._create_lot(product, 20, quantity=10, location=self.quarantine)
        partly_reserved = self._create_lot(product, 50, quantity=10)
        self._create_lot(product, 70, quantity=4, location=self.bin)
        short_lived = self._create_lot(product, 100, quantity=6, location=self.bin)  # the picky one refuses
        split = self._create_lot(product, 200, quantity=5)
        self.Quant._update_available_quantity(product, self.bin, 5, lot_id=split)
        for days in (250, 300, 350, 400, 450):
            self._create_lot(product, days, quantity=3)
        # Stock before lots were tracked, and a bin short of it: Odoo sorts the untracked quants last.
        self.Quant._update_available_quantity(product, self.stock, 7)
        self.Quant._update_available_quantity(product, self.bin, -2)
        # Another delivery holds 6 of the lot; then a count finds 8 of it missing: reserved beyond stock.
        other = self._create_picking(product, 6)
        other.action_assign()
        self.assertEqual(other.move_line_ids.lot_id, partly_reserved)
        self.Quant._update_available_quantity(product, self.stock, -8, lot_id=partly_reserved)
        return expired | blocked | short_lived | split

    def _reserve(self, picking, quantity, bounded=True, **kwargs):
        """What Odoo's reservation takes for the picking's move: (location, lot, package, quantity)…"""
        move = picking.move_ids
        quants = self.Quant.with_context(
            **{REFUSED_LOTS: move._expiry_refused_lots_domain()}, with_expiration=move.date
        )
        args = (move.product_id, kwargs.pop("location", move.location_id), quantity)
        if bounded:
            taken = quants._get_reserve_quantity(*args, **kwargs)
        else:
            with patch.object(type(self.Quant), "_bounded_reservation_order", return_value=None):
                taken = quants._get_reserve_quantity(*args, **kwargs)
        return [(quant.location_id, quant.lot_id, quant.package_id, quantity) for quant, quantity in taken]

    def _assert_same_reservation(self, picking, quantity, **kwargs):
        bounded = self._reserve(picking, quantity, **kwargs)
        self.assertEqual(bounded, self._reserve(picking, quantity, bounded=False, **kwargs))
        return bounded

    def test_bounded_read_reserves_the_quants_the_full_read_reserves(self):
        self._stock_the_shelves(self.syringe)
        for partner in (self.customer, self.picky_customer):
            picking = self._create_picking(self.syringe, 1, partner=partner)
            for quantity in (1, 2, 4, 9, 13, 24, 30, 36, 41, 1000):
                with self.subTest(partner=partner.name, quantity=quantity):
                    self.assertTrue(self._assert_same_reservation(picking, quantity))

    def _lot(self, product, days):
        return self.env["stock.lot"].search(
            [("product_id", "=", product.id), ("name", "=", f"{product.name}-{days}")]
        )

    def test_multi_lot_move_takes_lots_in_fefo_order_past_refused_ones(self):
        self._stock_the_shelves(self.syringe)
        no_package = self.env["stock.quant.package"]
        # Confirmed, the picking holds 1 of the lot of 200 days in Stock: the rest of the lot comes first.
        picking = self._create_picking(self.syringe, 1, partner=self.picky_customer)
        # Nothing expired, blocked, in a blocking level, in quarantine or with less than 180 days left.
        self.assertEqual(
            self._assert_same_reservation(picking, 13),
            [
                (self.stock, self._lot(self.syringe, 200), no_package, 4),
                (self.bin, self._lot(self.syringe, 200), no_package, 5),
                (self.stock, self._lot(self.syringe, 250), no_package, 3),
                (self.stock, self._lot(self.syringe, 300), no_package, 1),
            ],
        )
        # For another customer the lot of 50 days comes first, but a count left it short of its
        # reservation; confirmed, the picking holds 1 of the lot of 70 days.
        picking = self._create_picking(self.syringe, 1)
        self.assertEqual(
            self._assert_same_reservation(picking, 5),
            [
                (self.bin, self._lot(self.syringe, 70), no_package, 3),
                (self.bin, self._lot(self.syringe, 100), no_package, 2),
            ],
        )

    def test_given_lot_reads_that_lot_and_untracked_stock(self):
        lots = self._stock_the_shelves(self.syringe)
        picking = self._create_picking(self.syringe, 1)
        for lot in lots:
            for quantity in (1, 6, 20):
                with self.subTest(lot=lot.name, quantity=quantity):
                    self._assert_same_reservation(picking, quantity, lot_id=lot)
        # Given all its characteristics (strict), Odoo's own read of the few quants they name stands.
        self.assertIsNone(self.Quant._bounded_reservation_order(self.syringe, self.stock, 1, strict=True))
        split = self._lot(self.syringe, 200)
        self.assertEqual(
            self._assert_same_reservation(picking, 20, location=self.bin, lot_id=split, strict=True),
            [(self.bin, split, self.env["stock.quant.package"], 5)],
        )

    def test_full_packaging_reservation_reads_up_to_whole_packagings(self):
        self.categ_device.packaging_reserve_method = "full"
        packaging = self.env["product.packaging"].create(
            {"name": "Box of 10", "product_id": self.syringe.id, "qty": 10}
        )
        self._stock_the_shelves(self.syringe)
        picking = self._create_picking(self.syringe, 1)
        for quantity in (5, 15, 25):
            with self.subTest(quantity=quantity):
                self._assert_same_reservation(picking, quantity, product_packaging_id=packaging)

    def _create_lots(self, product, count):
        """``count`` lots of two units each, expiring a day apart from 300 days on."""
        today = self.company._expiry_today()
        lots = self.env["stock.lot"].create(
            [
                {
                    "name": f"{product.name}-{n:03d}",
                    "product_id": product.id,
                    "expiration_date": self.company._expiry_datetime_of(today + timedelta(days=300 + n)),
                }
                for n in range(count)
            ]
        )
        for lot in lots:
            self.Quant._update_available_quantity(product, self.stock, 2, lot_id=lot)
        return lots

    def test_one_line_delivery_reads_a_bounded_number_of_quants(self):
        lots = self._create_lots(self.syringe, 4 * FIRST_BATCH)
        picking = self._create_picking(self.syringe, 3)
        picking.do_unreserve()
        self.env.invalidate_all()
        picking.action_assign()
        self.assertEqual(picking.move_line_ids.lot_id, lots[:2])
        read = self.env.cache.get_records(self.Quant, self.Quant._fields["quantity"])
        self.assertLessEqual(len(read), FIRST_BATCH)
        # A product outside the rule library is reserved as Odoo does: from all of its quants.
        gauze = self._create_product("Gauze", self.categ_device, medical_device_class=False)
        self._create_lots(gauze, len(lots))
        picking = self._create_picking(gauze, 3)
        picking.do_unreserve()
        self.env.invalidate_all()
        picking.action_assign()
        self.assertEqual(picking.move_ids.quantity, 3)
        read = self.env.cache.get_records(self.Quant, self.Quant._fields["quantity"])
        self.assertGreaterEqual(len(read.filtered(lambda quant: quant.product_id == gauze)), len(lots))

    def test_quant_of_a_refused_lot_is_updated_in_place_during_a_reservation(self):
        expired = self._create_lot(self.syringe, -5, quantity=10)
        reserving = self.Quant.with_context(
            **{REFUSED_LOTS: self.env["stock.lot"]._outbound_refused_domain()}
        )
        reserving._update_available_quantity(self.syringe, self.stock, 2, lot_id=expired)
        quants = self.Quant.search([("lot_id", "=", expired.id)])
        self.assertEqual(len(quants), 1)
        self.assertEqual(quants.quantity, 12)
