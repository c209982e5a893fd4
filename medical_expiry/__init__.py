from . import models
from . import wizard
from . import report


def uninstall_hook(env):
    env["medical.expiry.workbench.summary"]._drop_totals()
