"""Contacts, needs and opportunities together: the one service the workbench and the
activity dialogs hold for recording what happens with a customer.

The rules live with each kind of record: :mod:`~rm_workbench.services.contacts`,
:mod:`~rm_workbench.services.needs`, :mod:`~rm_workbench.services.opportunities`;
what they share is in :mod:`~rm_workbench.services.records`.
"""

from __future__ import annotations

from rm_workbench.services.contacts import ContactService
from rm_workbench.services.needs import NeedService
from rm_workbench.services.opportunities import OpportunityService


class ActivityService(ContactService, NeedService, OpportunityService):
    """Contact log, needs and opportunities of the customers in the RM's book.

    ``rm_id`` limits the service to one RM's book (None: every customer in the cache,
    which holds one RM's book anyway). New contacts are stamped with the login last
    used to sync, else ``user_name``. Writes run in one transaction each and return
    a :class:`~rm_workbench.services.changes.Change`.
    """
