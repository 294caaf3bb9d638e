"""Many-row ``INSERT ... RETURNING``: the engine sends an executemany as pages of one
multi-row VALUES statement (the compiled single-row VALUES group repeated), and the ORM's
flush relies on it for database-generated keys.

Checked on both databases: rows come back in parameter order across page boundaries,
Python defaults are computed per row, NULLs and server defaults, composite keys, the
compiler only offers the repetition when every placeholder is in the VALUES group, and a
failing statement leaves the database unchanged and the session usable after rollback().
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from tether import exc
from tether.orm import DeclarativeBase, Mapped, Session, mapped_column
from tether.sql import Column, MetaData, Table, func, insert, literal, select, text
from tether.sql.compiler import compile_statement
from tether.sql.types import Integer, String

N = 1203  # more than two pages of 500 rows, the last one partial


@pytest.fixture
def table(engine: Any) -> Any:
    md = MetaData()
    counter = itertools.count(1)
    t = Table(
        "things",
        md,
        Column("id", Integer, primary_key=True),
        Column("name", String(30), nullable=False, unique=True),
        Column("note", String(30), nullable=True),
        Column("seq", Integer, default=lambda: next(counter)),
        Column("status", String(10), server_default=text("'new'")),
    )
    md.create_all(engine)
    return t


def test_rows_come_back_in_parameter_order(engine: Any, table: Any) -> None:
    if not engine.dialect.supports_returning:
        pytest.skip("no RETURNING")
    params = [{"name": f"n{i:04d}", "note": None if i % 3 else f"x{i}"} for i in range(N)]
    with engine.begin() as conn:
        result = conn.execute(
            insert(table).returning(table.c.id, table.c.name, table.c.seq, table.c.status),
            params,
        )
        rows = result.all()
        assert result.rowcount == N
        pks = result.inserted_primary_key_rows
    assert [r.name for r in rows] == [p["name"] for p in params]
    assert [r.seq for r in rows] == list(range(1, N + 1))  # one default call per row
    assert {r.status for r in rows} == {"new"}
    assert [pk[0] for pk in pks] == [r.id for r in rows]
    with engine.connect() as conn:
        stored = conn.execute(
            select(table.c.id, table.c.name, table.c.note).order_by(table.c.id)).all()
    assert [(r.id, r.name) for r in rows] == [(s.id, s.name) for s in stored]
    assert [s.note for s in stored] == [p["note"] for p in params]


def test_composite_key_given_by_caller(engine: Any) -> None:
    if not engine.dialect.supports_returning:
        pytest.skip("no RETURNING")
    md = MetaData()
    t = Table(
        "pairs", md,
        Column("a", Integer, primary_key=True, autoincrement=False),
        Column("b", String(10), primary_key=True),
        Column("n", Integer, server_default=text("7")),
    )
    md.create_all(engine)
    params = [{"a": i // 2, "b": f"b{i % 2}"} for i in range(N)]
    with engine.begin() as conn:
        result = conn.execute(insert(t).returning(t.c.n), params)
        assert [r.n for r in result] == [7] * N
        assert [tuple(pk) for pk in result.inserted_primary_key_rows] == [
            (p["a"], p["b"]) for p in params]


def test_failure_in_a_later_page_inserts_nothing(engine: Any, table: Any) -> None:
    if not engine.dialect.supports_returning:
        pytest.skip("no RETURNING")
    params = [{"name": f"n{i}"} for i in range(N)]
    params[700]["name"] = "n3"  # duplicate of a row in the first page
    with engine.connect() as conn:
        with pytest.raises(exc.IntegrityError):
            conn.execute(insert(table).returning(table.c.id), params)
        conn.rollback()
        assert conn.execute(select(func.count()).select_from(table)).scalar() == 0
        conn.execute(insert(table).returning(table.c.id), params[:2])
        conn.commit()
        assert conn.execute(select(func.count()).select_from(table)).scalar() == 2


def test_compiler_offers_repetition_only_for_one_values_group(engine: Any, table: Any) -> None:
    dialect = engine.dialect
    plain, _ = compile_statement(insert(table).returning(table.c.id), dialect,
                                 {"name": "a"}, executemany=True)
    assert plain.many_values is not None
    prefix, group = plain.many_values
    assert plain.string.startswith(prefix + group)
    assert group.count("(") == 1 and group.endswith(")")
    # a bound value outside the VALUES group: the statement runs once per row instead
    extra, _ = compile_statement(insert(table).returning(table.c.id, literal(5)), dialect,
                                 {"name": "a"}, executemany=True)
    assert extra.many_values is None
    multi, _ = compile_statement(insert(table).values([{"name": "a"}, {"name": "b"}]),
                                 dialect, None)
    assert multi.many_values is None
    if dialect.supports_returning:
        with engine.begin() as conn:
            rows = conn.execute(insert(table).returning(table.c.id, literal(5)),
                                [{"name": "a"}, {"name": "b"}]).all()
        assert [r[1] for r in rows] == [5, 5]


class Base(DeclarativeBase):
    pass


class Thing(Base):
    __tablename__ = "orm_things"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(30), unique=True)
    note: Mapped[str | None] = mapped_column(String(30))
    status: Mapped[str | None] = mapped_column(String(10), server_default=text("'new'"))


def test_flush_assigns_generated_keys_in_order(engine: Any) -> None:
    Base.metadata.create_all(engine)
    things = [Thing(name=f"t{i:04d}", note=None if i % 2 else "x") for i in range(N)]
    with Session(engine) as session:
        session.add_all(things)
        session.flush()
        by_name = {t.name: t.id for t in things}
        assert len(set(by_name.values())) == N
        rows = session.execute(select(Thing.__table__.c.name, Thing.__table__.c.id)).all()
        assert {r.name: r.id for r in rows} == by_name
        assert things[5].status == "new"  # the server default, loaded on access
        session.commit()


def test_failed_flush_leaves_database_unchanged_and_session_usable(engine: Any) -> None:
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.add(Thing(name="taken"))
        session.commit()
    with Session(engine) as session:
        things = [Thing(name=f"t{i}") for i in range(N)]
        things[900].name = "taken"
        session.add_all(things)
        with pytest.raises(exc.IntegrityError):
            session.flush()
        session.rollback()
        assert all(t.id is None for t in things)
        assert session.scalar(select(func.count()).select_from(Thing)) == 1
        things[900].name = "free"
        session.add_all(things)
        session.commit()
        assert session.scalar(select(func.count()).select_from(Thing)) == N + 1


class Gadget(Base):
    """Attribute keys unlike column names, a Python default, a nullable column."""

    __tablename__ = "orm_gadgets"
    ident: Mapped[int] = mapped_column("id", primary_key=True)
    label: Mapped[str] = mapped_column("name", String(30))
    note: Mapped[str | None] = mapped_column(String(30))
    rank: Mapped[int] = mapped_column(default=5)


def test_full_rows_and_other_rows_share_groups_in_add_order(engine: Any) -> None:
    # Rows with every column set and no key take the generated parameter builder; the
    # others (a given key, an unset column, a default to compute) the general path. A row
    # whose default makes it full joins the full rows' statement in add order.
    Base.metadata.create_all(engine)
    gadgets = [
        Gadget(label="full1", note="n", rank=1),
        Gadget(label="nokey-default", note="n"),  # rank filled by its default: full shape
        Gadget(ident=1000, label="given", note="n", rank=2),
        Gadget(label="unset-note", rank=3),
        Gadget(label="null-note", note=None, rank=4),
        Gadget(ident=None, label="none-key", note="m", rank=6),
    ]
    with Session(engine) as session:
        session.add_all(gadgets)
        session.flush()
        ids = {g.label: g.ident for g in gadgets}
        assert ids["given"] == 1000
        assert None not in ids.values()
        # one statement per column set, rows in add order within it
        assert ids["full1"] < ids["nokey-default"] < ids["null-note"] < ids["none-key"]
        session.commit()
    with engine.connect() as conn:
        t = Gadget.__table__
        rows = {r.name: (r.id, r.note, r.rank) for r in conn.execute(select(t))}
    assert rows == {
        "full1": (ids["full1"], "n", 1),
        "nokey-default": (ids["nokey-default"], "n", 5),
        "given": (1000, "n", 2),
        "unset-note": (ids["unset-note"], None, 3),
        "null-note": (ids["null-note"], None, 4),
        "none-key": (ids["none-key"], "m", 6),
    }


def test_full_row_builder_matches_general_parameters() -> None:
    from tether.orm import persistence

    Base.registry.configure()
    mapper = Gadget.__mapper__
    cols, _, _, pk_plain, shape, build = persistence._insert_plan(mapper)
    assert shape == ("name", "note", "rank")
    cases = [
        {"label": "a", "note": None, "rank": 1},
        {"ident": None, "label": "a", "note": "x", "rank": 1},
        {"ident": 3, "label": "a", "note": "x", "rank": 1},
        {"label": "a", "rank": 1},
        {},
    ]
    for d in cases:
        general = {ck: d[k] for k, ck in cols if k in d}
        for k, ck in pk_plain:
            if d.get(k, 0) is None:
                del general[ck]
        built = build(d)
        if built is not None:
            assert built == tuple(general.values()) and shape == tuple(general)
    assert build(cases[0]) is not None and build(cases[1]) is not None
    assert build(cases[2]) is None and build(cases[3]) is None and build({}) is None


def test_orm_flush_with_a_sql_expression_default(engine: Any) -> None:
    """A mapped column whose default is a SQL expression with a literal: rows that leave
    it unset get the database's value (read back on access), a set value is kept."""

    class Base(DeclarativeBase):
        pass

    class Tagged(Base):
        __tablename__ = "tagged"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(20), default=func.lower("ABC"))
        n: Mapped[int] = mapped_column(Integer)

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all([Tagged(n=1), Tagged(n=2, name="x"), Tagged(n=3)])
        s.commit()
        rows = s.execute(select(Tagged.n, Tagged.name).order_by(Tagged.id)).all()
        assert [tuple(r) for r in rows] == [(1, "abc"), (2, "x"), (3, "abc")]
        t = Tagged(n=4)
        s.add(t)
        s.flush()
        assert t.name == "abc"
