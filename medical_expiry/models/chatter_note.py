from markupsafe import Markup


def listed_note(heading, items):
    """A chatter note: ``heading``, then one bullet per text of ``items`` (escaped, as ``message_post``
    needs Markup to keep the list)."""
    return Markup("%s<ul>%s</ul>") % (
        heading,
        Markup("").join(Markup("<li>%s</li>") % item for item in items),
    )
