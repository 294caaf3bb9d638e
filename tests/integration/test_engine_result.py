"""Result fetching as a property: any sequence of fetch calls on a real result returns what
the same calls return on a plain Python list of the rows (on both databases)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tether import exc

ROWS = [(i, f"n{i % 4}") for i in range(1, 13)]

ops = st.lists(
    st.one_of(
        st.just(("fetchone",)),
        st.tuples(st.just("fetchmany"), st.integers(min_value=0, max_value=5)),
        st.just(("fetchall",)),
        st.just(("next",)),
        st.tuples(st.just("partitions"), st.integers(min_value=1, max_value=5)),
    ),
    max_size=8,
)


class Model:
    """The expected behaviour: a cursor over a list."""

    def __init__(self, rows: list[Any]) -> None:
        self.rows = rows
        self.pos = 0

    def take(self, n: int | None) -> list[Any]:
        end = len(self.rows) if n is None else min(len(self.rows), self.pos + n)
        out = self.rows[self.pos : end]
        self.pos = end
        return out


def apply(op: tuple[Any, ...], target: Any) -> Any:
    name = op[0]
    if isinstance(target, Model):
        if name == "fetchone":
            got = target.take(1)
            return got[0] if got else None
        if name == "fetchmany":
            return target.take(op[1] if op[1] else 1)
        if name == "fetchall":
            return target.take(None)
        if name == "next":
            got = target.take(1)
            return got[0] if got else StopIteration
        chunks = []
        while chunk := target.take(op[1]):
            chunks.append(chunk)
        return chunks
    if name == "fetchone":
        return target.fetchone()
    if name == "fetchmany":
        return target.fetchmany(op[1] if op[1] else None)
    if name == "fetchall":
        return target.fetchall()
    if name == "next":
        try:
            return next(target)
        except StopIteration:
            return StopIteration
    return list(target.partitions(op[1]))


@pytest.fixture
def loaded(engine: Any) -> Any:
    insert = "INSERT INTO r (id, name) VALUES (?, ?)"
    if engine.dialect.paramstyle == "format":
        insert = insert.replace("?", "%s")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE r (id INTEGER PRIMARY KEY, name VARCHAR(10))")
        conn.exec_driver_sql(insert, ROWS)
    return engine


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=ops, scalars=st.booleans(), unique=st.booleans())
def test_fetch_sequences_match_a_list(loaded: Any, operations: list[Any], scalars: bool, unique: bool) -> None:
    expected_rows: list[Any] = list(ROWS)
    with loaded.connect() as conn:
        query = "SELECT name FROM r ORDER BY id" if scalars or unique else "SELECT id, name FROM r ORDER BY id"
        result = conn.exec_driver_sql(query)
        if scalars or unique:
            expected_rows = [(name,) for _, name in ROWS]
        if scalars:
            expected_rows = [r[0] for r in expected_rows]
            result = result.scalars()
        if unique:
            seen: set[Any] = set()
            deduped = []
            for item in expected_rows:
                if item not in seen:
                    seen.add(item)
                    deduped.append(item)
            expected_rows = deduped
            result = result.unique()
        model = Model(expected_rows)
        for op in operations:
            assert apply(op, result) == apply(op, model), op


def test_closed_result_raises(loaded: Any) -> None:
    with loaded.connect() as conn:
        result = conn.exec_driver_sql("SELECT id FROM r")
        result.close()
        assert result.closed
        with pytest.raises(exc.ResourceClosedError):
            result.fetchone()
        with conn.exec_driver_sql("SELECT id FROM r ORDER BY id") as result:
            assert result.fetchone() == (1,)
        assert result.closed


def test_unique_with_strategy_and_unhashable_values(loaded: Any) -> None:
    with loaded.connect() as conn:
        rows = conn.exec_driver_sql("SELECT id, name FROM r ORDER BY id").unique(lambda r: r.name).all()
        assert [r.name for r in rows] == ["n1", "n2", "n3", "n0"]
        mapped = conn.exec_driver_sql("SELECT name FROM r ORDER BY id").mappings().unique().all()
        assert [m["name"] for m in mapped] == ["n1", "n2", "n3", "n0"]
