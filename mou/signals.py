"""Signals the mou app sends; the cases app listens (connected in CasesConfig.ready).

mou knows nothing of cases: it only says "what this MOU shares may have changed".
"""

from django.dispatch import Signal

# sent with sender=MOU, mou_id=<int>, reason=<str> after commit of a status or term change
mou_access_changed = Signal()
