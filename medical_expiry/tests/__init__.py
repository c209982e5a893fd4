from . import test_alerts
from . import test_expiry_rule
from . import test_kpi_dashboard
from . import test_lot_expiry
from . import test_outbound_guard
from . import test_receipt_guard
from . import test_workbench
from . import test_vouchers
