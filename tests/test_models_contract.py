"""Guards of the workbench's side of a synced table (recipe:
docs/recipes/adding-a-synced-record-type.md, step 4): an ORM class maps onto the
cache's copy of every contract table and types every one of its columns."""

from __future__ import annotations

from rm_contract.tables import TABLES
from rm_workbench.models import Base


def _mapped_classes() -> dict[str, type]:
    return {m.class_.__table__.name: m.class_ for m in Base.registry.mappers}


def test_every_contract_table_has_an_orm_class_on_the_caches_copy() -> None:
    classes = _mapped_classes()
    missing = set(TABLES) - set(classes)
    assert not missing, f"contract tables without an ORM class: {sorted(missing)}"
    for name, table in TABLES.items():
        mapped = classes[name].__table__  # type: ignore[attr-defined]
        assert mapped is Base.metadata.tables[name], name
        assert mapped is not table, (
            f"{name}: map the cache's copy (synced_table), not the contract's"
        )
        assert [c.name for c in mapped.columns] == [c.name for c in table.columns], name
        for column in table.columns:
            copy = mapped.c[column.name]
            assert type(copy.type) is type(column.type), (name, column.name)
            assert copy.nullable == column.nullable, (name, column.name)


def test_every_column_of_a_synced_class_is_typed() -> None:
    """A column without its ``Mapped[...]`` attribute still works, untyped: mypy
    would not see a misspelt or mistyped use of it."""
    classes = _mapped_classes()
    for name, table in TABLES.items():
        cls = classes[name]
        hints = {
            attr: hint
            for klass in reversed(cls.__mro__)
            for attr, hint in vars(klass).get("__annotations__", {}).items()
        }
        untyped = [c.name for c in table.columns if c.name not in hints]
        assert not untyped, f"{cls.__name__}: columns without a Mapped[...] attribute: {untyped}"
        unknown = [
            attr
            for attr, hint in hints.items()
            if "Mapped" in str(hint) and attr not in table.c and not _is_relationship(cls, attr)
        ]
        assert not unknown, f"{cls.__name__}: attributes that are no column: {unknown}"


def _is_relationship(cls: type, attr: str) -> bool:
    return attr in cls.__mapper__.relationships  # type: ignore[attr-defined]
