from . import medical_expiry_workbench
