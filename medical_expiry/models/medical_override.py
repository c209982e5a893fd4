"""Overrides of a refusal (a customer return above what was delivered, a lapsed qualification) granted
by a manager's method for the duration of the action it runs.

Kept in the cursor's cache, out of any caller's reach: no context key or value sent over RPC grants one.
Odoo's validation chain (``button_validate`` → ``_action_done``) has no argument to carry the reason, so
the method that checked the manager's right grants it here and the check deep in the chain reads it.
"""

from contextlib import contextmanager

OVERRIDES_KEY = "medical_expiry.granted_overrides"
# The refusals a manager may override, each granted on the records its check looks at.
RETURN_OVERRIDE = "customer_return"  # on the transfers validated (stock.picking)
QUALIFICATION_OVERRIDE = "qualification"  # on the documents the qualification guard stops


@contextmanager
def granting_override(records, kind, reason):
    """Let ``records`` past the ``kind`` check, for ``reason``, while the block runs."""
    cache = records.env.cr.cache
    granted = cache.setdefault(OVERRIDES_KEY, {})
    keys = [(kind, records._name, record_id) for record_id in records.ids]
    previous = {key: granted.get(key) for key in keys}
    granted.update(dict.fromkeys(keys, reason))
    try:
        yield
    finally:
        for key, value in previous.items():
            if value is None:
                granted.pop(key, None)
            else:
                granted[key] = value


def override_reason(records, kind):
    """The reason ``kind`` is overridden on every one of ``records`` (and not one of them), else None."""
    granted = records.env.cr.cache.get(OVERRIDES_KEY, {})
    reasons = {granted.get((kind, records._name, record_id)) for record_id in records.ids}
    return reasons.pop() if len(reasons) == 1 and None not in reasons else None
