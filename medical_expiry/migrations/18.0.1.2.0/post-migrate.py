from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    """First-business approval (首营审核) became required: the suppliers and devices already bought from
    are recorded as approved, logged for quality, so no order placed yesterday is refused today."""
    api.Environment(cr, SUPERUSER_ID, {})["medical.first.business.approval"]._approve_holders_already_bought()
