"""The dialects' type names and flags against the real databases: every generic type's DDL
name is accepted by the database, and what the flags promise is true."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from tether.sql import Column, MetaData, Table
from tether.sql import types as T


def generic_types() -> list[type[T.TypeEngine]]:
    found = []
    for value in vars(T).values():
        if (
            inspect.isclass(value)
            and issubclass(value, T.TypeEngine)
            and isinstance(value.__dict__.get("__visit_name__"), str)
            and value.__visit_name__ != "null"
        ):
            found.append(value)
    return found


def instance(cls: type[T.TypeEngine]) -> Any:
    if cls.__visit_name__ == "array":
        return cls(T.Integer)  # type: ignore[call-arg]
    if cls.__visit_name__ == "enum":
        return cls("a", "b", name="ab")  # type: ignore[call-arg]
    return cls()


def test_every_generic_type_has_a_name_in_both_dialects() -> None:
    from tether.dialects.postgresql import PGDialect
    from tether.dialects.sqlite import SQLiteDialect

    # ARRAY is rendered from its item type by the compiler ("INTEGER[]").
    visits = {cls.__visit_name__ for cls in generic_types()} - {"array"}
    assert visits - set(PGDialect.type_names) == set()
    assert visits - set(SQLiteDialect.type_names) == set()


def test_every_generic_type_creates_a_column(engine: Any) -> None:
    md = MetaData()
    columns = [Column("id", T.Integer, primary_key=True)]
    for i, cls in enumerate(generic_types()):
        if cls.__visit_name__ == "array" and not engine.dialect.supports_native_json:
            continue  # no arrays on SQLite
        columns.append(Column(f"c{i}_{cls.__name__.lower()}", instance(cls)))
    Table("all_types", md, *columns)
    md.create_all(engine)
    with engine.connect() as conn:
        assert engine.dialect.has_table(conn, "all_types")


def test_flags_match_the_database(engine: Any) -> None:
    d = engine.dialect
    with engine.connect() as conn:
        if d.supports_returning:
            conn.exec_driver_sql("CREATE TABLE r (id INTEGER PRIMARY KEY, v INTEGER)")
            got = conn.exec_driver_sql("INSERT INTO r (id, v) VALUES (1, 2) RETURNING id, v").all()
            assert got == [(1, 2)]
        if d.supports_nulls_ordering:
            conn.exec_driver_sql("SELECT 1 ORDER BY 1 NULLS LAST").all()
        if d.supports_is_distinct_from:
            assert conn.exec_driver_sql("SELECT 1 IS DISTINCT FROM NULL").scalar() in (1, True)
        if d.supports_ilike:
            assert conn.exec_driver_sql("SELECT 'A' ILIKE 'a'").scalar() is True
        if d.supports_native_boolean:
            assert conn.exec_driver_sql("SELECT true").scalar() is True
        conn.rollback()


@pytest.mark.postgresql_only
def test_json_bind_serves_json_and_jsonb(engine: Any) -> None:
    d = engine.dialect
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE docs (id INTEGER PRIMARY KEY, j JSON, b JSONB)")
        conn.exec_driver_sql(
            "INSERT INTO docs VALUES (%s, %s, %s)", (1, d.json_bind({"a": [1, 2]}), d.json_bind(None))
        )
        assert conn.exec_driver_sql("SELECT j, b FROM docs").one() == ({"a": [1, 2]}, None)
