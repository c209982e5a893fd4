"""Odoo environments and database chores for the bench scripts, which run as plain Python programs."""

import contextlib

import psycopg2
from psycopg2 import sql

from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry
from odoo.sql_db import connection_info_for
from odoo.tools import config


def parse_odoo_args(args):
    """Apply Odoo's own command-line options (--addons-path, -d, --log-level…); return the database name."""
    config.parse_config(args, setup_logging=True)
    if not config["db_name"]:
        raise SystemExit("no database given (-d)")
    return config["db_name"]


@contextlib.contextmanager
def committed_env(db):
    """A superuser environment whose work is committed on a clean exit."""
    with Registry(db).cursor() as cr:
        yield api.Environment(cr, SUPERUSER_ID, {})


@contextlib.contextmanager
def rolled_back_env(db):
    """A superuser environment whose work is thrown away at the end."""
    with Registry(db).cursor() as cr:
        try:
            yield api.Environment(cr, SUPERUSER_ID, {})
        finally:
            cr.rollback()


@contextlib.contextmanager
def _autocommit_cursor(db):
    """A cursor outside any transaction, for the statements that refuse one (VACUUM, CREATE DATABASE)."""
    _name, connection_info = connection_info_for(db)
    connection = psycopg2.connect(**connection_info)
    try:
        connection.autocommit = True
        with connection.cursor() as cr:
            yield cr
    finally:
        connection.close()


def vacuum(db, *tables):
    """VACUUM ANALYZE the tables (all of them when none is named).

    Rolled-back work leaves dead rows behind; without this, each run would scan more than the last.
    """
    with _autocommit_cursor(db) as cr:
        cr.execute(sql.SQL("VACUUM ANALYZE {}").format(sql.SQL(", ").join(map(sql.Identifier, tables))))


@contextlib.contextmanager
def scratch_copy(db):
    """The name of a copy of the database, dropped on exit: for work that must really commit."""
    scratch = f"{db}_scratch"
    with _autocommit_cursor("postgres") as cr:
        cr.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(scratch)))
        cr.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(scratch), sql.Identifier(db))
        )
    try:
        yield scratch
    finally:
        with _autocommit_cursor("postgres") as cr:
            cr.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(scratch)))
