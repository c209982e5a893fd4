from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    """Registration numbers and expiries kept on products become registration certificates."""
    cr.execute(
        """
        SELECT 1 FROM information_schema.columns
         WHERE table_name = 'product_template' AND column_name = 'registration_expiry_date'
        """
    )
    if not cr.fetchone():
        return
    cr.execute(
        """
        INSERT INTO medical_qualification
               (qualification_type, holder, product_tmpl_id, number, date_end, active, revoked,
                create_uid, create_date, write_uid, write_date)
        SELECT 'registration_certificate', 'product', template.id, template.registration_number,
               template.registration_expiry_date, true, false, %s, now(), %s, now()
          FROM product_template template
         WHERE COALESCE(template.registration_number, '') != ''
        """,
        [SUPERUSER_ID, SUPERUSER_ID],
    )
    api.Environment(cr, SUPERUSER_ID, {})["medical.qualification"]._refresh_levels()
