"""The context keys this module reads, each declared once with what it carries.

A context key only ever carries text or data for the audit trail or a query; it never decides a control
(who may do what, whether a guard holds): any client can set a context key over RPC. Permissions are
``res.users._check_expiry_manager``/``_check_expiry_compliance``, signatures are spent from the cursor's
cache by ``medical.signature._check_signed``, and overrides are granted on the document by
``medical.override._grant``.
"""

# Text logged as the reason of an expiration date changed through a plain ``write()`` (a script, an
# import); a signed change logs its signature's reason instead.
AUDIT_REASON = "medical_audit_reason"

# Domain of the lots a move may not reserve, set by ``stock.move`` around Odoo's reservation and read by
# ``stock.quant._get_gather_domain``: Odoo's reservation chain has no argument to carry it. It can only
# narrow what is reserved, and the move always sets it itself, over any caller's value.
REFUSED_LOTS = "expiry_refused_lots"

# Odoo's own key, set by base_import while it imports a file: only names the reason of a logged change.
IMPORT_FILE = "import_file"

# The list ``medical.udi.parser`` hands to Odoo's GS1 nomenclature to note each element it reads or
# refuses (``barcode.nomenclature.parse_gs1_rule_pattern``), so a refusal can name the element.
GS1_TRACE = "gs1_trace"

# The record an audit trail window is about, [model, id], so its extract button opens on that record.
AUDIT_RECORD = "medical_audit_record"

# The append-only model ``_create_append_only`` creates rows of; it grants nothing on its own, only
# together with the superuser environment that method alone gives (``medical.append.only.mixin``).
APPEND_ONLY_MODEL = "medical_append_only_model"
