from contextlib import closing, contextmanager
from datetime import timedelta

import psycopg2.errors

from odoo import SUPERUSER_ID, Command, api, fields
from odoo.exceptions import UserError
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
            cls.product_id, cls.lot_id, cls.customer_id = product.id, lot.id, customer.id
            cls.out_type_id = warehouse.out_type_id.id
        cls.addClassCleanup(cls._remove_data)

    @classmethod
    def _remove_data(cls):
        with cls._env() as env:
            env["stock.quant"].search([("product_id", "=", cls.product_id)]).unlink()
            env["stock.lot"].browse(cls.lot_id).unlink()
            env["product.product"].browse(cls.product_id).product_tmpl_id.unlink()
            env["res.partner"].browse(cls.customer_id).unlink()

    def setUp(self):
        super().setUp()
        with self._env() as env:
            product = env["product.product"].browse(self.product_id)
            out_type = env["stock.picking.type"].browse(self.out_type_id)
            self.picking_ids = (
                env["stock.picking"]
                .create(
                    [
                        {
                            "picking_type_id": out_type.id,
                            "partner_id": self.customer_id,
                            "move_ids": [
                                Command.create(
                                    {
                                        "name": product.name,
                                        "product_id": product.id,
                                        "product_uom_qty": 8,
                                        "product_uom": product.uom_id.id,
                                        "location_id": self.stock_id,
                                        "location_dest_id": out_type.default_location_dest_id.id,
                                    }
                                )
                            ],
                        }
                        for _client in range(2)
                    ]
                )
                .ids
            )
        self.addCleanup(self._remove_pickings)

    def _remove_pickings(self):
        with self._env() as env:
            pickings = env["stock.picking"].browse(self.picking_ids)
            pickings.action_cancel()
            pickings.unlink()

    @classmethod
    @contextmanager
    def _env(cls):
        """An environment on a cursor of its own, committed when the block ends without error."""
        with cls.registry.cursor() as cr:
            yield api.Environment(cr, SUPERUSER_ID, {})

    @staticmethod
    def _clients(*cursors):
        """One environment per client, kept as long as its transaction: its writes are flushed at commit."""
        return [api.Environment(cr, SUPERUSER_ID, {}) for cr in cursors]

    def _picking(self, env, index):
        return env["stock.picking"].browse(self.picking_ids[index])

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
            env_first, env_second = self._clients(cr_first, cr_second)
            first = self._picking(env_first, 0)
            first.action_assign()
            self.assertEqual(first.move_ids.quantity, 8)

            # Meanwhile the second client reserves: it waits for the first's lock on the lot's quant
            # instead of reserving past it (Odoo alone writes a duplicate quant reserving 8 more).
            cr_second.execute("SET LOCAL lock_timeout = '200ms'")
            with self.assertRaises(psycopg2.errors.LockNotAvailable):
                self._picking(env_second, 1).action_assign()
            cr_second.rollback()

            # A second client whose transaction began before the first committed sees 10 free units;
            # once the first commits, PostgreSQL refuses its reservation as a serialization failure,
            # which Odoo answers by replaying the request in a new transaction.
            self.assertEqual(self._lot_stock(cr_second), (1, 10, 0))
            # The first client's transaction ends: committing is what this test is about.
            cr_first.commit()  # pylint: disable=invalid-commit
            with self.assertRaises(psycopg2.errors.SerializationFailure):
                self._picking(env_second, 1).action_assign()
            cr_second.rollback()

        # The replay sees the first's reservation and takes the 2 units left (committed as the block ends).
        with self._env() as env:
            second = self._picking(env, 1)
            second.action_assign()
            self.assertEqual(second.move_ids.quantity, 2)

        with self._env() as env:
            self.assertEqual(self._lot_stock(env.cr), (1, 10, 10), "reserved never exceeds on hand")
            self._picking(env, 0).action_cancel()
            self._picking(env, 1).action_cancel()
        with closing(self.registry.cursor()) as cr:
            self.assertEqual(self._lot_stock(cr), (1, 10, 0), "cancelling leaves nothing reserved by nobody")

    @mute_logger("odoo.sql_db")
    def test_unreserving_waits_too(self):
        with self._env() as env:
            self._picking(env, 0).action_assign()
            self._picking(env, 1).action_assign()
            self.assertEqual(self._picking(env, 1).move_ids.quantity, 2)

        with closing(self.registry.cursor()) as cr_first, closing(self.registry.cursor()) as cr_second:
            env_first, env_second = self._clients(cr_first, cr_second)
            self._picking(env_first, 0).do_unreserve()
            # The second client unreserves meanwhile: it waits instead of writing a duplicate quant
            # with a negative reservation (Odoo alone), which later leaves units reserved by nobody.
            cr_second.execute("SET LOCAL lock_timeout = '200ms'")
            with self.assertRaises(psycopg2.errors.LockNotAvailable):
                self._picking(env_second, 1).do_unreserve()
            cr_second.rollback()
            # The first client's transaction ends: committing is what this test is about.
            cr_first.commit()  # pylint: disable=invalid-commit

        with self._env() as env:
            self._picking(env, 1).do_unreserve()
        with closing(self.registry.cursor()) as cr:
            self.assertEqual(self._lot_stock(cr), (1, 10, 0))

    def _take(self, env, quantity):
        """Take ``quantity`` of the lot from stock, as validating a delivery does."""
        env["stock.quant"]._update_available_quantity(
            env["product.product"].browse(self.product_id),
            env["stock.location"].browse(self.stock_id),
            -quantity,
            lot_id=env["stock.lot"].browse(self.lot_id),
        )

    def _put_back(self, quantity):
        with self._env() as env:
            self._take(env, -quantity)

    @mute_logger("odoo.sql_db")
    def test_concurrent_deliveries_never_take_the_lot_below_zero(self):
        with closing(self.registry.cursor()) as cr_first, closing(self.registry.cursor()) as cr_second:
            env_first, env_second = self._clients(cr_first, cr_second)
            self._take(env_first, 8)
            # A second delivery takes 8 meanwhile: it waits for the first instead of writing a duplicate
            # quant of -8, which its own transaction would sum with the 10 it still sees (2, not below
            # zero): Odoo alone would leave the lot at -6 once both commit.
            cr_second.execute("SET LOCAL lock_timeout = '200ms'")
            with self.assertRaises(psycopg2.errors.LockNotAvailable):
                self._take(env_second, 8)
            cr_second.rollback()
            # The first client's transaction ends: committing is what this test is about.
            cr_first.commit()  # pylint: disable=invalid-commit
        self.addCleanup(self._put_back, 8)

        # Replayed after the first committed, the second delivery is refused: 2 units are left.
        with closing(self.registry.cursor()) as cr_replay:
            (env_replay,) = self._clients(cr_replay)
            with self.assertRaises(UserError) as error:
                self._take(env_replay, 8)
            self.assertIn("CATH-RACE", str(error.exception))
            cr_replay.rollback()
            self.assertEqual(self._lot_stock(cr_replay), (1, 2, 0))
