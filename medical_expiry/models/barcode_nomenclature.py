from odoo import models

from .context_keys import GS1_TRACE


class BarcodeNomenclature(models.Model):
    _inherit = "barcode.nomenclature"

    def parse_gs1_rule_pattern(self, match, rule):
        """Note each element Odoo reads or refuses, when a ``context_keys.GS1_TRACE`` list is in the context.

        Odoo's decomposer answers a refused code with None, or with the ValueError of a date no calendar
        has: the trace tells which element it stopped at, so the receipt can name the problem.
        """
        trace = self.env.context.get(GS1_TRACE)
        if trace is None:
            return super().parse_gs1_rule_pattern(match, rule)
        element = {
            "ai": match.group(1),
            "value": match.group(2),
            "content_type": rule.gs1_content_type,
            "rest": match.string[match.end() :],
            "read": False,
        }
        trace.append(element)
        result = super().parse_gs1_rule_pattern(match, rule)
        element["read"] = result is not None
        return result
