import ast
from pathlib import Path

from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestTestModules(TransactionCase):
    def test_every_test_file_is_imported(self):
        """Odoo's runner only runs what tests/__init__.py imports: a test file left out would never run there.

        The check reads __init__.py rather than sys.modules, since pytest imports every file it collects.
        """
        tests_dir = Path(__file__).parent
        on_disk = {path.stem for path in tests_dir.glob("test_*.py")}
        tree = ast.parse((tests_dir / "__init__.py").read_text())
        imported = {
            alias.name
            for node in tree.body
            if isinstance(node, ast.ImportFrom) and node.level == 1 and not node.module
            for alias in node.names
        }
        self.assertEqual(sorted(on_disk - imported), [], "tests/__init__.py must import these test modules")
