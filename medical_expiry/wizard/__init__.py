from . import medical_lot_block_wizard
from . import medical_signature_wizard
from . import medical_lot_expiry_wizard
from . import medical_lot_import_wizard
