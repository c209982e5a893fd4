from contextlib import closing, contextmanager
from datetime import timedelta

import psycopg2.errors

from odoo import SUPERUSER_ID, Command, api, fields
from odoo.modules.registry import Registry
from odoo.tests import BaseCase, get_db_name, tagged
from odoo.tools import mute_logger


@tagged("post_install", "-at_install")
class TestReservationConcurrency(BaseCase):
    """Two clients reserving 8 of the same 10-unit lot at the same time, each in its own transaction.

    Transactions cannot be shown inside a TransactionCase (one cursor, never committed): as Odoo's own
    concurrency tests do, the data is committed from a cursor of its own and removed afterwards, and each
    client works in a real cursor of its own.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry = Registry(get_db_name())
        with cls._env() as env:
            warehouse = env["stock.warehouse"].search([("company_id", "=", env.company.id)], limit=1)
            cls.stock_id = warehouse.lot_stock_id.id
            product = env["product.product"].create(
                {
                    "name": "Concurrency catheter",
                    "is_storable": True,
                    "tracking": "lot",
                    "use_expiration_date": True,
                    "medical_device_class": "2",
                }
            )
            lot = env["stock.lot"].create(
                {
                    "name": "CATH-RACE",
                    "product_id": product.id,
                    "expiration_date": fields.Datetime.now() + timedelta(days=1000),
                }
            )
            env["stock.quant"]._update_available_quantity(product, warehouse.lot_stock_id, 10, lot_id=lot)
            customer = env["res.partner"].create({"name": "Concurrency hospital"})
            pickings = env["stock.picking"].create(
                [
                    {
                        "picking_type_id": warehouse.out_type_id.id,
                        "partner_id": customer.id,
                        "move_ids": [
                            Command.create(
                                {
                                    "name": product.name,
                                    "product_id": product.id,
                                    "product_uom_qty": 8,
                                    "product_uom": product.uom_id.id,
                                    "location_id": warehouse.lot_stock_id.id,
                                    "location_dest_id": warehouse.out_type_id.default_location_dest_id.id,
                                }
                            )
                        ],
                    }
                    for _client in range(2)
                ]
            )
            cls.product_id, cls.lot_id, cls.customer_id = product.id, lot.id, customer.id
            cls.picking_ids = pickings.ids
        cls.addClassCleanup(cls._remove_data)

    @classmethod
    def _remove_data(cls):
        with cls._env() as env:
            env["stock.picking"].browse(cls.picking_ids).action_cancel()
            env["stock.picking"].browse(cls.picking_ids).unlink()
            env["stock.quant"].search([("product_id", "=", cls.product_id)]).unlink()
            env["stock.lot"].browse(cls.lot_id).unlink()
            env["product.product"].browse(cls.product_id).product_tmpl_id.unlink()
            env["res.partner"].browse(cls.customer_id).unlink()

    @classmethod
    @contextmanager
    def _env(cls):
        """An environment on a cursor of its own, committed when the block ends without error."""
        with cls.registry.cursor() as cr:
            yield api.Environment(cr, SUPERUSER_ID, {})

    def _picking(self, cr, index):
        return api.Environment(cr, SUPERUSER_ID, {})["stock.picking"].browse(self.picking_ids[index])

    def _lot_stock(self, cr):
        """(quants, on hand, reserved) of the lot in stock, as this cursor's transaction sees them."""
        cr.execute(
            "SELECT count(*), sum(quantity), sum(reserved_quantity) FROM stock_quant"
            " WHERE lot_id = %s AND location_id = %s",
            [self.lot_id, self.stock_id],
        )
        return cr.fetchone()

    @mute_logger("odoo.sql_db")
    def test_second_reservation_waits_for_the_first_and_takes_only_the_rest(self):
        with closing(self.registry.cursor()) as cr_first, closing(self.registry.cursor()) as cr_second:
            first = self._picking(cr_first, 0)
            first.action_assign()
            self.assertEqual(first.move_ids.quantity, 8)

            # Meanwhile the second client reserves: it waits for the first's lock on the lot's quant
            # instead of reserving past it (Odoo alone writes a duplicate quant reserving 8 more).
            cr_second.execute("SET LOCAL lock_timeout = '200ms'")
            with self.assertRaises(psycopg2.errors.LockNotAvailable):
                self._picking(cr_second, 1).action_assign()
            cr_second.rollback()

            # A second client whose transaction began before the first committed sees 10 free units;
            # once the first commits, PostgreSQL refuses its reservation as a serialization failure,
            # which Odoo answers by replaying the request in a new transaction.
            self.assertEqual(self._lot_stock(cr_second), (1, 10, 0))
            # The first client's transaction ends: committing is what this test is about.
            cr_first.commit()  # pylint: disable=invalid-commit
            with self.assertRaises(psycopg2.errors.SerializationFailure):
                self._picking(cr_second, 1).action_assign()
            cr_second.rollback()

        # The replay sees the first's reservation and takes the 2 units left (committed as the block ends).
        with self.registry.cursor() as cr_replay:
            second = self._picking(cr_replay, 1)
            second.action_assign()
            self.assertEqual(second.move_ids.quantity, 2)

        with self.registry.cursor() as cr:
            self.assertEqual(self._lot_stock(cr), (1, 10, 10), "reserved never exceeds on hand")
            self._picking(cr, 0).action_cancel()
            self._picking(cr, 1).action_cancel()
        with closing(self.registry.cursor()) as cr:
            self.assertEqual(self._lot_stock(cr), (1, 10, 0), "cancelling leaves nothing reserved by nobody")
