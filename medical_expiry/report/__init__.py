from . import medical_expiry_workbench
from . import medical_xlsx_export
