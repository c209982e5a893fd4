"""pytest-odoo plumbing for this repository's test runs (`make test`)."""

import importlib

import odoo

# pytest-odoo imports Odoo's test framework right after it reads the configuration, with test_enable off
# (it switches it on only while tests run), and Odoo then logs an "Importing test framework" error with a
# stack trace. This file is read before that: import the framework here, in test mode, once.
odoo.tools.config["test_enable"] = True
importlib.import_module("odoo.tests")
odoo.tools.config["test_enable"] = False
