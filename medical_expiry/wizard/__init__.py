from . import medical_lot_block_wizard
