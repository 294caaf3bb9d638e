"""``Connection.execute`` with statement objects: compile once, bind, run, shape the result.

Covers the engine's side of the contract with ``tether.sql``: single and executemany
execution, RETURNING, ``inserted_primary_key``, result type processing into Rows, DDL through
``create_all`` on an Engine and on a Connection, and error wrapping for Core statements.
"""

from __future__ import annotations

import datetime
import decimal
import uuid
from typing import Any

import pytest

from tether import exc
from tether.sql import (
    Column,
    ForeignKey,
    MetaData,
    Table,
    delete,
    func,
    insert,
    literal,
    select,
    text,
    update,
)
from tether.sql.compiler import compile_statement
from tether.sql.types import DateTime, Integer, Numeric, String, Uuid


@pytest.fixture
def schema(engine: Any) -> Any:
    md = MetaData()
    users = Table(
        "users",
        md,
        Column("id", Integer, primary_key=True),
        Column("name", String(30), nullable=False),
        Column("joined", DateTime, default=datetime.datetime(2020, 1, 2, 3, 4, 5, 6)),
        Column("balance", Numeric(10, 2)),
    )
    addresses = Table(
        "addresses",
        md,
        Column("id", Integer, primary_key=True),
        Column("user_id", ForeignKey("users.id"), nullable=False),
        Column("email", String(50)),
    )
    tokens = Table(
        "tokens",
        md,
        Column("id", Uuid, primary_key=True, default=uuid.uuid4),
        Column("label", String(20)),
    )
    md.create_all(engine)
    return md, users, addresses, tokens


def test_create_all_twice_is_harmless_and_drop_all_removes(engine: Any, schema: Any) -> None:
    md = schema[0]
    md.create_all(engine)
    with engine.connect() as conn:
        assert engine.dialect.get_table_names(conn) == ["addresses", "tokens", "users"]
    md.drop_all(engine)
    with engine.connect() as conn:
        assert engine.dialect.get_table_names(conn) == []


def test_create_all_on_a_connection_joins_its_transaction(engine: Any) -> None:
    md = MetaData()
    Table("things", md, Column("id", Integer, primary_key=True))
    with engine.connect() as conn:
        md.create_all(conn)
        assert conn.in_transaction()
        conn.commit()
    with engine.connect() as conn:
        assert engine.dialect.has_table(conn, "things")


def test_insert_select_update_delete(engine: Any, schema: Any) -> None:
    _, users, _, _ = schema
    with engine.begin() as conn:
        result = conn.execute(insert(users), {"name": "ann", "balance": decimal.Decimal("1.50")})
        assert result.rowcount == 1
        assert result.inserted_primary_key == (1,)
        assert result.inserted_primary_key.id == 1  # type: ignore[attr-defined]
        many = conn.execute(insert(users), [{"name": "bob"}, {"name": "cy"}])
        assert many.rowcount == 3 - 1
        with pytest.raises(exc.InvalidRequestError):
            many.inserted_primary_key  # noqa: B018
    with engine.connect() as conn:
        rows = conn.execute(select(users).order_by(users.c.id)).all()
        assert [r.name for r in rows] == ["ann", "bob", "cy"]
        assert rows[0].joined == datetime.datetime(2020, 1, 2, 3, 4, 5, 6)
        assert rows[0].balance == decimal.Decimal("1.50")
        assert rows[1].balance is None
        assert rows[0]._mapping[users.c.name] == "ann"
        assert conn.execute(update(users).where(users.c.id > 1).values(name="x")).rowcount == 2
        assert conn.execute(delete(users).where(users.c.id == 3)).rowcount == 1
        names = conn.execute(select(users.c.name).order_by(users.c.id)).scalars().all()
        assert names == ["ann", "x"]
        assert conn.scalar(select(func.count()).select_from(users)) == 2
        assert conn.scalars(select(users.c.id).order_by(users.c.id)).all() == [1, 2]
        conn.commit()


def test_text_with_bound_parameters(engine: Any, schema: Any) -> None:
    _, users, _, _ = schema
    with engine.begin() as conn:
        conn.execute(insert(users), [{"name": "ann"}, {"name": "bob"}])
        row = conn.execute(text("SELECT id, name FROM users WHERE name = :n"), {"n": "bob"}).one()
        assert row.id == 2 and row.name == "bob"
        # literal percent signs survive on both paramstyles
        like = conn.execute(
            text("SELECT name FROM users WHERE name LIKE '%n%' AND id > :i"), {"i": 0}
        ).scalars().all()
        assert like == ["ann"]


def test_returning(engine: Any, schema: Any) -> None:
    if not engine.dialect.supports_returning:
        pytest.skip("database without RETURNING")
    _, users, _, _ = schema
    with engine.begin() as conn:
        one = conn.execute(insert(users).returning(users.c.id, users.c.joined), {"name": "a"})
        row = one.one()
        assert row.id == 1 and row.joined == datetime.datetime(2020, 1, 2, 3, 4, 5, 6)
        many = conn.execute(
            insert(users).returning(users.c.id, users.c.name), [{"name": "b"}, {"name": "c"}]
        )
        assert many.all() == [(2, "b"), (3, "c")]
        assert many.inserted_primary_key_rows == [(2,), (3,)]
        changed = conn.execute(
            update(users).where(users.c.id >= 2).values(name="z").returning(users.c.id)
        ).scalars().all()
        assert sorted(changed) == [2, 3]


def test_inserted_primary_key_from_python_default(engine: Any, schema: Any) -> None:
    _, _, _, tokens = schema
    with engine.begin() as conn:
        key = conn.execute(insert(tokens), {"label": "t"}).inserted_primary_key[0]
        assert isinstance(key, uuid.UUID)
        assert conn.execute(select(tokens.c.label).where(tokens.c.id == key)).scalar_one() == "t"
        given = uuid.uuid4()
        assert conn.execute(insert(tokens), {"id": given, "label": "u"}).inserted_primary_key == (given,)


def test_same_statement_shape_is_compiled_once(engine: Any, schema: Any) -> None:
    _, users, _, _ = schema
    with engine.connect() as conn:
        for i in range(3):
            conn.execute(select(users.c.name).where(users.c.id == i)).all()
        size = len(engine.dialect.compiled_cache)
        rows = [conn.execute(select(users.c.name).where(users.c.id == i)).all() for i in range(5)]
        assert rows == [[]] * 5
        assert len(engine.dialect.compiled_cache) == size


def test_statements_differing_in_structure_never_share_a_compiled_form(
        engine: Any, schema: Any) -> None:
    """Each variant below differs from the first in one structural part (an operator, the
    join target, DISTINCT, LIMIT, a bound value's type): each gets its own compiled SQL,
    and the values stay parameters (none is baked into the cached SQL); the same variant
    built again shares its compiled form, and a statement re-executed reuses its own."""
    _, users, addresses, _ = schema
    with engine.begin() as conn:
        conn.execute(insert(users), [{"name": "ann"}, {"name": "bob"}])
        conn.execute(insert(addresses), [{"user_id": 1, "email": "a@x"},
                                         {"user_id": 1, "email": "b@x"}])
    joined = users.join(addresses, users.c.id == addresses.c.user_id)
    variants = [
        lambda v: select(users.c.id).select_from(joined).where(addresses.c.email.like(v)),
        lambda v: select(users.c.id).select_from(joined).where(
            addresses.c.email.not_like(v)),
        lambda v: select(users.c.id).select_from(
            users.join(addresses, users.c.id == addresses.c.id)).where(
            addresses.c.email.like(v)),
        lambda v: select(users.c.id).select_from(joined).where(
            addresses.c.email.like(v)).distinct(),
        lambda v: select(users.c.id).select_from(joined).where(
            addresses.c.email.like(v)).limit(1),
    ]
    with engine.connect() as conn:
        compiled = []
        for make in variants:
            stmt = make("%@x")
            compiled.append(compile_statement(stmt, engine.dialect)[0])
            assert compile_statement(make("a%"), engine.dialect)[0] is compiled[-1]
            assert compile_statement(stmt, engine.dialect)[0] is compiled[-1]
            assert "%@x" not in compiled[-1].string
        assert len({id(c) for c in compiled}) == len(variants)
        results = [sorted(conn.execute(make("%@x")).scalars().all()) for make in variants]
        assert results == [[1, 1], [], [1, 2], [1], [1]]
        as_int = select(users.c.name).where(users.c.id == literal(1))
        as_str = select(users.c.name).where(users.c.id == literal("1", String(5)))
        assert (compile_statement(as_int, engine.dialect)[0]
                is not compile_statement(as_str, engine.dialect)[0])
        assert conn.execute(as_int).scalar() == "ann"


def test_foreign_key_violation_from_core_insert(engine: Any, schema: Any) -> None:
    _, users, addresses, _ = schema
    with engine.connect() as conn:
        conn.execute(insert(users), {"name": "ann"})
        with pytest.raises(exc.IntegrityError) as info:
            conn.execute(insert(addresses), {"user_id": 42, "email": "x@y"})
        message = str(info.value)
        assert "addresses" in message and "users" in message
        assert "user_id" in message and "42" in message
        assert info.value.orig is not None
        conn.rollback()


def test_foreign_key_violation_from_core_delete(engine: Any, schema: Any) -> None:
    _, users, addresses, _ = schema
    with engine.begin() as conn:
        conn.execute(insert(users), {"name": "ann"})
        conn.execute(insert(addresses), {"user_id": 1, "email": "x@y"})
    with engine.connect() as conn:
        with pytest.raises(exc.IntegrityError) as info:
            conn.execute(delete(users).where(users.c.id == 1))
    message = str(info.value)
    assert "users" in message and "addresses" in message


def test_unique_and_not_null_violations(engine: Any, schema: Any) -> None:
    _, users, _, tokens = schema
    with engine.connect() as conn:
        with pytest.raises(exc.IntegrityError):
            conn.execute(insert(users), {"name": None})
        conn.rollback()
        key = uuid.uuid4()
        conn.execute(insert(tokens), {"id": key})
        with pytest.raises(exc.IntegrityError):
            conn.execute(insert(tokens), {"id": key})
        conn.rollback()


def test_echo_shows_compiled_statement_and_parameters(db_url: str, capsys: Any) -> None:
    import logging

    from tether.engine import create_engine

    logger = logging.getLogger("tether.engine")
    before = list(logger.handlers)
    eng = create_engine(db_url, echo=True)
    try:
        md = MetaData()
        t = Table("echoed", md, Column("id", Integer, primary_key=True), Column("v", String(9)))
        md.create_all(eng)
        with eng.begin() as conn:
            conn.execute(insert(t), {"v": "hello"})
        out = capsys.readouterr().out
        assert "CREATE TABLE echoed" in out
        assert "INSERT INTO echoed" in out and "'hello'" in out and "COMMIT" in out
    finally:
        eng.echo = False
        eng.dispose()
        for handler in list(logger.handlers):
            if handler not in before:
                logger.removeHandler(handler)


def test_inserted_primary_key_generated_by_the_database(engine: Any, schema: Any) -> None:
    _, users, _, _ = schema
    with engine.begin() as conn:
        assert conn.execute(insert(users).values(id=7, name="given")).inserted_primary_key == (7,)
        for name, stmt in [("generated", insert(users)), ("again", insert(users).values(name="again"))]:
            params = {"name": name} if name == "generated" else None
            (key,) = conn.execute(stmt, params).inserted_primary_key
            assert isinstance(key, int) and key != 7
            assert conn.execute(select(users.c.name).where(users.c.id == key)).scalar_one() == name
        # the transaction is intact
        assert conn.scalar(select(func.count()).select_from(users)) == 3


@pytest.mark.parametrize("where", ["memory", "file"])
def test_sqlite_schemas_as_attached_databases(tmp_path: Any, where: str) -> None:
    from tether.engine import create_engine

    if where == "memory":
        eng = create_engine("sqlite://", sqlite_attach={"example": ":memory:"})
    else:
        eng = create_engine(
            f"sqlite:///{tmp_path / 'main.db'}",
            sqlite_attach={"example": str(tmp_path / "example.db")},
        )
    try:
        md = MetaData()
        things = Table(
            "things", md, Column("id", Integer, primary_key=True), Column("name", String(9)),
            schema="example",
        )
        md.create_all(eng)
        with eng.begin() as conn:
            assert eng.dialect.has_schema(conn, "example")
            conn.execute(insert(things), {"name": "a"})
        with eng.connect() as a, eng.connect() as b:
            assert a.execute(select(things.c.name)).scalars().all() == ["a"]
            assert b.execute(select(things.c.name)).scalars().all() == ["a"]
            assert eng.dialect.has_table(b, "things", schema="example")
            assert not eng.dialect.has_table(b, "things")
        if where == "file":
            assert (tmp_path / "example.db").exists()
    finally:
        eng.dispose()


def test_sqlite_schema_without_attach_says_how_to_fix(tmp_path: Any) -> None:
    from tether.engine import create_engine

    eng = create_engine(f"sqlite:///{tmp_path / 'main.db'}")
    try:
        md = MetaData()
        Table("things", md, Column("id", Integer, primary_key=True), schema="example")
        with pytest.raises(exc.OperationalError) as info:
            md.create_all(eng)
        assert "sqlite_attach" in str(info.value)
    finally:
        eng.dispose()


def test_raw_all_gives_processed_tuples_for_loaders(engine: Any, schema: Any) -> None:
    _, users, _, _ = schema
    with engine.begin() as conn:
        conn.execute(insert(users), [{"name": "ann"}, {"name": "bob"}])
        rows = conn.execute(select(users.c.id, users.c.joined).order_by(users.c.id))._raw_all()
        assert rows == [(1, datetime.datetime(2020, 1, 2, 3, 4, 5, 6)), (2, datetime.datetime(2020, 1, 2, 3, 4, 5, 6))]
        result = conn.execute(select(users.c.name).order_by(users.c.id))
        assert result.fetchone() == ("ann",)
        assert [tuple(r) for r in result._raw_all()] == [("bob",)]


def test_executemany_update_rowcount_is_the_total(engine: Any, schema: Any) -> None:
    from tether.sql import bindparam

    _, users, _, _ = schema
    with engine.begin() as conn:
        conn.execute(insert(users), [{"name": "a"}, {"name": "b"}, {"name": "c"}])
        stmt = update(users).where(users.c.id == bindparam("k")).values(name=bindparam("nv"))
        result = conn.execute(stmt, [{"k": 1, "nv": "x"}, {"k": 2, "nv": "y"}, {"k": 9, "nv": "z"}])
        assert result.rowcount == 2
        assert conn.execute(delete(users).where(users.c.id > 0)).rowcount == 3


@pytest.mark.parametrize("key_list", [False, True], ids=["user-list", "key-list"])
def test_expanding_in_lists(engine: Any, key_list: bool) -> None:
    """IN / NOT IN over an expanding parameter: a list per item on SQLite, and on
    PostgreSQL for a user's list; one array parameter there for the ORM's key lists; the
    same rows either way, NULL semantics included."""
    from tether.sql.elements import BindParameter

    def bindparam(name: str, expanding: bool) -> BindParameter:
        return BindParameter(name, expanding=expanding, key_list=key_list)

    md = MetaData()
    t = Table("exp_in", md, Column("id", Integer, primary_key=True), Column("name", String(20)))
    md.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(t), [{"id": i, "name": f"n{i}"} for i in range(1, 6)])
        conn.execute(insert(t), [{"id": 9, "name": None}])
    ids = select(t.c.id).where(t.c.id.in_(bindparam("ks", expanding=True))).order_by(t.c.id)
    names = select(t.c.id).where(t.c.name.in_(bindparam("ns", expanding=True))).order_by(t.c.id)
    not_names = select(t.c.id).where(
        t.c.name.not_in(bindparam("ns", expanding=True))).order_by(t.c.id)
    with engine.connect() as conn:
        assert [r[0] for r in conn.execute(ids, {"ks": [1, 3, 7]})] == [1, 3]
        assert [r[0] for r in conn.execute(ids, {"ks": (5,)})] == [5]
        assert [r[0] for r in conn.execute(ids, {"ks": []})] == []
        assert [r[0] for r in conn.execute(ids, {"ks": list(range(1000))})] == [1, 2, 3, 4, 5, 9]
        assert [r[0] for r in conn.execute(names, {"ns": ["n1", None, "n4"]})] == [1, 4]
        assert [r[0] for r in conn.execute(not_names, {"ns": ["n1", "n2"]})] == [3, 4, 5]
        assert [r[0] for r in conn.execute(not_names, {"ns": ["n1", None]})] == []
        assert [r[0] for r in conn.execute(not_names, {"ns": []})] == [1, 2, 3, 4, 5, 9]
        if not key_list:  # the database coerces each of a user's values on its own
            assert [r[0] for r in conn.execute(ids, {"ks": [1.5, 2]})] == [2]
            assert [r[0] for r in conn.execute(ids, {"ks": ["3"]})] == [3]
