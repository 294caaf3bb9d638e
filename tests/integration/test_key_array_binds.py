"""Key lists sent whole as one array parameter (PostgreSQL's ``col = ANY(CAST(%s AS
INTEGER[]))``): plain ints go as one text array literal, anything else through the driver's
generic list adaptation; the rows are the same on both databases."""

from __future__ import annotations

from typing import Any

from tether import BigInteger, Column, Integer, MetaData, String, Table, select
from tether.sql.elements import BindParameter


def _keys(name: str) -> Any:
    return BindParameter(name, expanding=True, key_list=True)


def _table() -> Table:
    return Table("kv", MetaData(), Column("id", Integer, primary_key=True),
                 Column("big", BigInteger), Column("name", String(20)))


def _fill(engine: Any, t: Table) -> None:
    t.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(t.insert(), [{"id": i, "big": i * 10**10, "name": f"n{i}"}
                                  for i in range(1, 8)])


def test_int_key_lists_match_the_same_rows_on_both_databases(engine: Any) -> None:
    t = _table()
    _fill(engine, t)
    by_id = select(t.c.id).where(t.c.id.in_(_keys("ks"))).order_by(t.c.id)
    by_big = select(t.c.id).where(t.c.big.in_(_keys("ks"))).order_by(t.c.id)
    not_in = select(t.c.id).where(t.c.id.not_in(_keys("ks"))).order_by(t.c.id)
    with engine.connect() as conn:
        assert conn.execute(by_id, {"ks": [3, 1, 99, 3]}).scalars().all() == [1, 3]
        assert conn.execute(by_id, {"ks": [-5]}).scalars().all() == []
        assert conn.execute(by_big, {"ks": [2 * 10**10, 7 * 10**10]}).scalars().all() == [2, 7]
        assert conn.execute(not_in, {"ks": [1, 2, 3, 4, 5]}).scalars().all() == [6, 7]
        # A tuple of keys is listed first.
        assert conn.execute(by_id, {"ks": tuple(range(5, 100))}).scalars().all() == [5, 6, 7]


def test_a_thousand_int_keys_in_one_statement(engine: Any) -> None:
    t = _table()
    _fill(engine, t)
    stmt = select(t.c.name).where(t.c.id.in_(_keys("ks"))).order_by(t.c.id)
    with engine.connect() as conn:
        assert conn.execute(stmt, {"ks": list(range(0, 2000, 2))}).scalars().all() == \
            ["n2", "n4", "n6"]


def test_postgresql_sends_plain_int_keys_as_one_array_literal(pg_engine: Any) -> None:
    from tether.dialects.postgresql import _IntKeys
    from tether.sql.compiler import compile_statement

    t = _table()
    dialect = pg_engine.dialect
    stmt = select(t.c.id).where(t.c.id.in_(_keys("ks")))
    compiled, bound = compile_statement(stmt, dialect, {"ks": [1, 2]})
    assert type(compiled.construct_params(bound, {"ks": [1, 2]})[0]) is _IntKeys
    assert type(compiled.construct_params(bound, {"ks": [True, 2]})[0]) is list
    texts = select(t.c.id).where(t.c.name.in_(_keys("ks")))
    compiled, bound = compile_statement(texts, dialect, {"ks": ["a"]})
    assert type(compiled.construct_params(bound, {"ks": ["a"]})[0]) is list
    with pg_engine.connect() as conn:
        cursor = conn._dbapi.cursor()
        cursor.execute("SELECT CAST(%s AS INTEGER[])", (_IntKeys([3, -1, 0]),))
        assert cursor.fetchone()[0] == [3, -1, 0]
        cursor.execute("SELECT CAST(%s AS BIGINT[])", (_IntKeys([2**62]),))
        assert cursor.fetchone()[0] == [2**62]
