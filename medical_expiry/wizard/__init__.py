from . import medical_lot_block_wizard
from . import medical_signature_wizard
from . import medical_lot_expiry_wizard
from . import medical_expiry_report_wizard
from . import medical_audit_extract_wizard
from . import medical_recall_wizard
from . import medical_recall_resolve_wizard
from . import medical_return_override_wizard
