from odoo import api, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from .context_keys import APPEND_ONLY_MODEL


class MedicalAppendOnlyMixin(models.AbstractModel):
    """Records that, once written, are never changed nor deleted, by anyone (GSP, 21 CFR Part 11).

    Contract for a model inheriting it:

    - it creates its records only through ``_create_append_only(vals_list)``, from its own method that
      decides what is written (e.g. ``medical.audit.log._log``, ``medical.signature._sign``); a ``create``
      from anywhere else (RPC, import, another module, even as superuser) is refused;
    - its access rights grant no create, write or unlink to any group;
    - it declares no column default that would have to be written into existing rows: the database
      refuses every UPDATE, so a column is added empty to the rows that exist.

    What the mixin guarantees: ``write`` and ``unlink`` raise a UserError for every user including the
    superuser, and triggers in the database refuse UPDATE, DELETE and TRUNCATE of the table, whoever is
    connected (named ``<table>_append_only`` and ``<table>_no_truncate``).
    """

    _name = "medical.append.only.mixin"
    _description = "Append-Only Records"

    def init(self):
        """Refuse UPDATE, DELETE and TRUNCATE in the database itself, whoever connects."""
        if self._abstract:
            return
        self.env.cr.execute(
            """
            CREATE OR REPLACE FUNCTION medical_expiry_refuse_change() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
                    USING ERRCODE = 'insufficient_privilege';
            END;
            $$ LANGUAGE plpgsql
            """
        )
        table = SQL.identifier(self._table)
        for name, event, level in (
            ("append_only", "UPDATE OR DELETE", "ROW"),
            ("no_truncate", "TRUNCATE", "STATEMENT"),
        ):
            trigger = SQL.identifier(f"{self._table}_{name}")
            self.env.cr.execute(SQL("DROP TRIGGER IF EXISTS %s ON %s", trigger, table))
            self.env.cr.execute(
                SQL(
                    "CREATE TRIGGER %s BEFORE %s ON %s FOR EACH %s"
                    " EXECUTE FUNCTION medical_expiry_refuse_change()",
                    trigger,
                    SQL(event),
                    table,
                    SQL(level),
                )
            )

    @api.model
    def _append_only_label(self):
        """The model's name, in the user's language, for the refusals."""
        return self.env["ir.model"].sudo()._get(self._name).name

    @api.model
    def _create_append_only(self, vals_list):
        """Create the records: the one way in, for the model's own method (as superuser)."""
        return self.sudo().with_context(**{APPEND_ONLY_MODEL: self._name}).create(vals_list)

    @api.model_create_multi
    def create(self, vals_list):
        # The context key alone grants nothing: no group may create these records, only the superuser
        # environment of ``_create_append_only`` can, and a client cannot obtain that.
        self.check_access("create")
        if not (self.env.su and self.env.context.get(APPEND_ONLY_MODEL) == self._name):
            raise AccessError(
                self.env._(
                    "%(model)s records are written by the application only.",
                    model=self._append_only_label(),
                )
            )
        return super().create(vals_list)

    def write(self, vals):  # pylint: disable=method-required-super
        raise UserError(
            self.env._(
                "%(model)s records are append-only: they cannot be changed.",
                model=self._append_only_label(),
            )
        )

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(
            self.env._(
                "%(model)s records are append-only: they cannot be deleted.",
                model=self._append_only_label(),
            )
        )
