"""What the workbench and the central CRM must agree on, and nothing else.

* :mod:`rm_contract.vocabulary`: the closed vocabularies (enums) of the bank's data;
  :mod:`rm_contract.labels`: how tables and fields are named to a person.
* :mod:`rm_contract.types`: the column types that keep money, rates and times exact.
* :mod:`rm_contract.tables`: the synced tables, as SQLAlchemy Core definitions.
* :mod:`rm_contract.policy`: the sync policy (server-owned fields, read-only and
  append-only tables, customer child tables).
* :mod:`rm_contract.wire`: the protocol's models and the row encoding;
  :mod:`rm_contract.rows`: a typed model of every synced table's row, for the OpenAPI
  document; :mod:`rm_contract.audit_chain`: how a device chains its audit entries.

Neither program is imported here: ``rm_workbench`` and ``central_crm`` import the
contract, never each other (checked by import-linter, see pyproject.toml).
"""
