from odoo import api, models
from odoo.exceptions import AccessError

MANAGER_GROUP = "medical_expiry.group_expiry_manager"
COMPLIANCE_GROUP = "medical_expiry.group_expiry_compliance"


class ResUsers(models.Model):
    _inherit = "res.users"

    @api.model
    def _check_expiry_manager(self, action):
        """Refuse ``action`` (a translated label, e.g. “Block or Unblock Lots”) to all but expiry managers."""
        self._check_expiry_group(MANAGER_GROUP, action)

    @api.model
    def _check_expiry_compliance(self, action):
        """Refuse ``action`` (a translated label) to whoever is not a compliance officer."""
        self._check_expiry_group(COMPLIANCE_GROUP, action)

    @api.model
    def _check_expiry_group(self, group, action):
        """The one permission check of the module's controlled actions, for every caller.

        Called on the caller's environment (``self.env["res.users"]``, never ``self.env.user``, which is a
        superuser record): code running as superuser (data files, system jobs) passes.
        """
        if self.env.su or self.env.user.has_group(group):
            return
        raise AccessError(
            self.env._(
                "“%(action)s” is reserved to the members of the group “%(group)s”.",
                action=action,
                group=self.env.ref(group).sudo().full_name,
            )
        )
