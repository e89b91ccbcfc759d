"""The sync protocol's server side: scope, hello, snapshot, pull, checksums, push,
conflicts.

Transaction rules (the guarantees of ARCHITECTURE.md, sync):

* Every write of a synced row sets ``version`` to a fresh number of the global
  counter, taken in the writing transaction (:func:`central_crm.db.take_seqs`), one
  number per row written: commit order equals sequence order and a pull page may be
  cut between any two items.
* A push runs in ONE write transaction that first takes the counter's lock
  (:func:`central_crm.db.counter_held`); each mutation runs in its own savepoint, so a
  mutation that breaks a database rule is rolled back alone and answered "rejected".
  The answer of every mutation is stored with it (``applied_mutation``) in the same
  transaction, so a replay returns the first answer and changes nothing.
* Reads (snapshot, pull, checksums) run in one snapshot (:func:`central_crm.db.read_begin`).

Scope: an RM sees the rows whose ``owner_rm_id`` is theirs, the global tables, and
the groups one of their customers belongs to; an admin sees everything.

One module per reason to change (the first paragraph above is the OpenAPI
description of the sync endpoints, see :mod:`central_crm.app`):

* :mod:`~central_crm.sync.scope` -- who sees and may write what: owner, groups,
  references, and the hand-over of a former owner's queued edits after a reassignment.
* :mod:`~central_crm.sync.read` -- hello, snapshot pages, pull pages, checksums.
* :mod:`~central_crm.sync.push` -- applying a push: mutations, field-by-field merge,
  idempotent answers.
* :mod:`~central_crm.sync.conflicts` -- storing, listing and resolving conflicts, and
  who wrote each field.
* :mod:`~central_crm.sync.common` -- the few helpers they all use.
"""
