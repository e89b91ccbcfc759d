"""Customer 360: one customer on one tab, in rooms.

- ``view``: :class:`~.view.Customer360View`, the tab; it lays the panels out, reads the
  customer in the background, refreshes on a change to its ``TABLES``, and runs the
  actions (dialogs, reveal, printing, settling a proposal) with their shortcuts.
- ``profile``: the profile with its masked identifiers, and the data-quality warnings.
- ``members``: household and group members.
- ``holdings``: holdings by product type with totals and the portfolio donut.
- ``activities``: the tabs below the holdings: timeline, needs, opportunities, and the
  proposals page from ``proposals``.
- ``tables``: how the panels' tables look, and the "nothing recorded yet" line.

A panel shows what it is given and says what the RM asked for (a signal or a button);
the view decides what happens.
"""
