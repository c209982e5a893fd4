from collections import defaultdict

from odoo import api, models
from odoo.tools import SQL, float_compare


class MedicalRecallProgress(models.AbstractModel):
    """What came back of the recalled units since they were traced, matched to the recall's lines.

    Units come back when a customer returns them into stock, or when stock leaves a location for
    quarantine. What had come back already when the lots were traced is the recall's recovery baseline:
    only what came back since counts.
    """

    _name = "medical.recall.progress"
    _description = "Recall Progress"

    @api.model
    def _get_recovery_baseline(self, recall):
        """The value of ``recall.recovery_baseline``: what had come back of its lots until now."""
        return {
            _recovery_baseline_key(*key[1:]): quantity
            for key, quantity in self._get_recovered_quantities(recall).items()
        }

    @api.model
    def _match_recovered_quantities(self, recalls):
        """Set the recovered quantity of the lines of the open ``recalls`` from what came back since.

        Customers' returns of a lot are spread over that customer's delivery lines, oldest first; stock
        taken from a location to quarantine over the lines of that lot and location.
        """
        recalls = recalls.filtered(lambda recall: recall.state == "in_progress")
        if not recalls:
            return
        recovered = self._get_recovered_quantities(recalls)
        # Read in the database, not the cache: a recall may have tens of thousands of lines. Lines of
        # stock already in quarantine when traced stay recovered.
        self.env.cr.execute(
            SQL(
                """
                SELECT line.id, line.recall_id, line.lot_id, line.line_type = 'delivered',
                       CASE WHEN line.line_type = 'delivered' THEN line.partner_id ELSE line.location_id END,
                       line.quantity, line.qty_recovered
                  FROM medical_recall_line line
             LEFT JOIN stock_location location ON location.id = line.location_id
                 WHERE line.recall_id = ANY(%s) AND location.is_quarantine IS NOT TRUE
              ORDER BY line.date, line.id
                """,
                recalls.ids,
            )
        )
        groups = defaultdict(list)
        for line_id, recall_id, lot_id, delivered, origin, quantity, line_recovered in self.env.cr.fetchall():
            groups[recall_id, lot_id, delivered, origin].append(
                (line_id, float(quantity), float(line_recovered or 0))
            )
        baselines = {recall.id: recall.recovery_baseline or {} for recall in recalls}
        precision = self.env["decimal.precision"].precision_get("Product Unit of Measure")
        line_ids_by_quantity = defaultdict(list)
        for (recall_id, *key), lines in groups.items():
            to_spread = recovered.get((recall_id, *key), 0.0) - baselines[recall_id].get(
                _recovery_baseline_key(*key), 0.0
            )
            for line_id, quantity, line_recovered in lines:
                share = max(min(quantity, to_spread), 0.0)
                to_spread -= share
                if float_compare(line_recovered, share, precision_digits=precision):
                    line_ids_by_quantity[share].append(line_id)
        for quantity, line_ids in line_ids_by_quantity.items():
            self.env["medical.recall.line"].browse(line_ids).write({"qty_recovered": quantity})

    @api.model
    def _get_recovered_quantities(self, recalls):
        """{(recall id, lot id, from a customer, customer or location id): quantity} ever brought back.

        From a customer into stock (keyed by the customer: ``stock.move.line._customer_moves_query``, the
        one definition of who received and returned what), or from stock into quarantine (keyed by the
        location it left). Set-based over the done move lines of the recalls' lots.
        """
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT rel.recall_id, moved.lot_id, TRUE AS from_customer, moved.customer_id AS origin,
                       SUM(moved.quantity)
                  FROM (%(customer_moves)s) moved
                  JOIN medical_recall_stock_lot_rel rel ON rel.lot_id = moved.lot_id
                 WHERE rel.recall_id = ANY(%(recall_ids)s)
                   AND NOT moved.delivered AND moved.destination_usage IN ('internal', 'transit')
              GROUP BY 1, 2, 3, 4
             UNION ALL
                SELECT rel.recall_id, line.lot_id, FALSE AS from_customer, line.location_id AS origin,
                       SUM(line.quantity_product_uom)
                  FROM medical_recall_stock_lot_rel rel
                  JOIN stock_move_line line ON line.lot_id = rel.lot_id AND line.state = 'done'
                  JOIN stock_location source ON source.id = line.location_id
                  JOIN stock_location destination ON destination.id = line.location_dest_id
                 WHERE rel.recall_id = ANY(%(recall_ids)s)
                   AND source.usage IN ('internal', 'transit') AND source.is_quarantine IS NOT TRUE
                   AND destination.is_quarantine
              GROUP BY 1, 2, 3, 4
                """,
                customer_moves=self.env["stock.move.line"]._customer_moves_query(recalls.lot_ids.ids),
                recall_ids=recalls.ids,
            )
        )
        return {
            (recall_id, lot_id, from_customer, origin): quantity
            for recall_id, lot_id, from_customer, origin, quantity in self.env.cr.fetchall()
        }


def _recovery_baseline_key(lot_id, from_customer, origin):
    """The key of ``recovery_baseline`` (JSON keys are strings) for what came back of a lot from a
    customer or a location."""
    return f"{lot_id}|{int(from_customer)}|{origin or 0}"
