import importlib.util
from pathlib import Path

MIGRATIONS = Path(__file__).parents[1] / "migrations"


def run_migration(cr, version, script, from_version):
    """Run ``migrations/<version>/<script>`` on ``cr`` as Odoo does when upgrading from ``from_version``."""
    spec = importlib.util.spec_from_file_location(
        f"medical_expiry_migration_{version}_{script}", MIGRATIONS / version / script
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.migrate(cr, from_version)
