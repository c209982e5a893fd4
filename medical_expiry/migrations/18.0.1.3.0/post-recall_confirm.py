def migrate(cr, version):
    """Recalls confirmed before their confirmation was recorded name no one: who confirmed them is who
    moved them to in progress (the audit log's first ``recall_state`` row to that state), and the returns
    to the supplier they approved in the non-conforming register are approved in that name. Only the
    recall and register columns change: the audit log is read, never written."""
    cr.execute(
        """
        UPDATE medical_recall recall
           SET confirm_user_id = opened.user_id
          FROM (
                SELECT DISTINCT ON (res_id) res_id, user_id
                  FROM medical_audit_log
                 WHERE model = 'medical.recall'
                   AND action = 'recall_state'
                   AND new_values::jsonb ->> 'state' = 'in_progress'
              ORDER BY res_id, sequence
               ) opened
         WHERE opened.res_id = recall.id
           AND recall.confirm_user_id IS NULL
        """
    )
    cr.execute(
        """
        UPDATE medical_nonconforming entry
           SET approver_id = recall.confirm_user_id
          FROM stock_picking picking
          JOIN medical_recall recall ON recall.id = picking.recall_id
         WHERE entry.picking_id = picking.id
           AND entry.disposition = 'return'
           AND entry.approver_id IS NULL
           AND recall.confirm_user_id IS NOT NULL
        """
    )
