"""``tether.engine.rows.execute_rows``: an executemany whose parameter sets are tuples in
the order of given keys (the ORM's INSERT rows), on both databases. The rows go to the
driver as they are when the placeholders take the keys in that order without processors;
otherwise they are reordered and processed, or, when a placeholder is not one of the keys
(a Python default), made into dicts for the general path. Each way writes what
``execute(stmt, [dict(zip(keys, row)) ...])`` writes."""

from __future__ import annotations

import datetime
import itertools
from typing import Any

import pytest

from tether import exc
from tether.engine.rows import execute_rows
from tether.sql import Column, MetaData, Table, insert, select, text
from tether.sql.compiler import compile_statement
from tether.sql.types import Date, Integer, String


@pytest.fixture
def table(engine: Any) -> Any:
    md = MetaData()
    t = Table(
        "rowed",
        md,
        Column("id", Integer, primary_key=True),
        Column("name", String(30), nullable=False, unique=True),
        Column("note", String(30), nullable=True),
        Column("day", Date, nullable=True),
        Column("status", String(10), server_default=text("'new'")),
    )
    md.create_all(engine)
    return t


def _all(engine: Any, table: Any) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            select(table.c.name, table.c.note, table.c.day, table.c.status).order_by(table.c.id))]


@pytest.mark.parametrize("keys", [("name", "note", "day"), ("day", "note", "name")])
def test_rows_in_any_key_order_match_dicts(engine: Any, table: Any, keys: tuple[str, ...]) -> None:
    day = datetime.date(2024, 2, 29)
    values = [{"name": f"n{i}", "note": None if i % 2 else f"x{i}", "day": day if i % 3 else None}
              for i in range(7)]
    rows = [tuple(v[k] for k in keys) for v in values]
    with engine.begin() as conn:
        result = execute_rows(conn, insert(table), keys, rows)
        assert result.rowcount == 7
    assert _all(engine, table) == [(v["name"], v["note"], v["day"], "new") for v in values]


def test_rows_as_they_are_where_the_placeholders_read_them_in_order(engine: Any,
                                                                    table: Any) -> None:
    keys = ("name", "note")
    compiled, _ = compile_statement(insert(table), engine.dialect, dict.fromkeys(keys),
                                    executemany=True)
    rows = [("a", None), ("b", "y")]
    assert compiled.construct_rows(keys, rows) is rows
    assert compiled.construct_rows(("note",), rows) is None  # "name" has no value


def test_returning_one_row_and_generated_keys(engine: Any, table: Any) -> None:
    if not engine.dialect.supports_returning:
        pytest.skip("no RETURNING")
    stmt = insert(table).returning(table.c.id)
    with engine.begin() as conn:
        one = execute_rows(conn, stmt, ("name",), [("solo",)])._raw_all()
        many = execute_rows(conn, stmt, ("name", "note"),
                            [(f"m{i}", None) for i in range(1203)])._raw_all()
    assert len(one) == 1 and len(many) == 1203
    ids = [r[0] for r in many]
    assert ids == sorted(ids) and ids[0] > one[0][0]


def test_a_python_default_takes_the_general_path(engine: Any) -> None:
    md = MetaData()
    counter = itertools.count(1)
    t = Table("rowed_d", md, Column("id", Integer, primary_key=True),
              Column("name", String(30)), Column("seq", Integer, default=lambda: next(counter)))
    md.create_all(engine)
    with engine.begin() as conn:
        execute_rows(conn, insert(t), ("name",), [("a",), ("b",), ("c",)])
    with engine.connect() as conn:
        got = [tuple(r) for r in conn.execute(select(t.c.name, t.c.seq).order_by(t.c.id))]
    assert got == [("a", 1), ("b", 2), ("c", 3)]


def test_a_failing_batch_writes_nothing_and_the_connection_goes_on(engine: Any,
                                                                    table: Any) -> None:
    with engine.connect() as conn:
        conn.begin()
        with pytest.raises(exc.IntegrityError):
            execute_rows(conn, insert(table), ("name", "note"),
                         [("dup", None), ("ok", None), ("dup", "again")])
        conn.rollback()
        with conn.begin():
            execute_rows(conn, insert(table), ("name", "note"), [("p", None), ("q", "z")])
    assert [r[0] for r in _all(engine, table)] == ["p", "q"]


def test_orm_flush_mixing_usual_and_general_rows(engine: Any) -> None:
    """A flush whose rows take the usual builder and the general path in turn (an unset
    attribute, an explicit key): runs split where the column set changes, keys come back
    in the order the objects were added."""
    from tether.orm import DeclarativeBase, Mapped, Session, mapped_column

    class Base(DeclarativeBase):
        pass

    class Item(Base):
        __tablename__ = "rowed_items"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(20))
        note: Mapped[str | None] = mapped_column(String(20), nullable=True)

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        items = [Item(name="a", note="x"), Item(name="b"), Item(name="c", note=None),
                 Item(id=100, name="d", note="y"), Item(name="e", note="z"), Item(name="f")]
        s.add_all(items)
        s.commit()
        assert [i.id for i in items][3] == 100
        got = [tuple(r) for r in s.execute(
            select(Item.name, Item.note).order_by(Item.name))]
    assert got == [("a", "x"), ("b", None), ("c", None), ("d", "y"), ("e", "z"), ("f", None)]
    ids = [i.id for i in items]
    assert ids[:3] == sorted(ids[:3]) and len(set(ids)) == 6
