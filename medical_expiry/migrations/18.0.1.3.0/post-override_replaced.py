import logging

_logger = logging.getLogger(__name__)


def migrate(cr, version):
    """Before 18.0.1.3.0 an override granted again over a pending one marked that one spent, at the very
    time the new one was granted. Those overrides were never used by their document's action: show them
    replaced by the override granted in their place (same document, same refusal), as a grant does now.

    The audit log is left as it is: it recorded the two grants, and nothing else happened.
    """
    cr.execute(
        """
        UPDATE medical_override AS replaced
           SET replaced_by_id = successor.id, spent_at = NULL, state = 'replaced'
          FROM (
                SELECT DISTINCT ON (earlier.id) earlier.id AS replaced_id, later.id
                  FROM medical_override earlier
                  JOIN medical_override later
                    ON later.res_model = earlier.res_model
                   AND later.res_id = earlier.res_id
                   AND later.kind = earlier.kind
                   AND later.granted_at = earlier.spent_at
                   AND later.id > earlier.id
                 WHERE earlier.state = 'spent'
                   AND earlier.replaced_by_id IS NULL
                   AND earlier.withdrawn_at IS NULL
              ORDER BY earlier.id, later.id
               ) AS successor
         WHERE replaced.id = successor.replaced_id
        """
    )
    _logger.info("%s overrides granted again before 18.0.1.3.0 are now shown replaced.", cr.rowcount)
