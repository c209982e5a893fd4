def migrate(cr, version):
    """The receipt policy for expired registrations became the policy for every qualification."""
    cr.execute(
        """
        SELECT 1 FROM information_schema.columns
         WHERE table_name = 'res_company' AND column_name = 'registration_expiry_policy'
        """
    )
    if cr.fetchone():
        cr.execute("ALTER TABLE res_company RENAME COLUMN registration_expiry_policy TO qualification_policy")
