from . import medical_expiry_workbench
from . import medical_report_table
from . import medical_stock_voucher
from . import medical_expiry_stock_report
from . import medical_lot_traceability
from . import medical_audit_extract
from . import medical_qualification_report
from . import medical_recall_report
