"""Property: a random filter expression, compiled by tether and run by the database, selects
exactly the rows that the same condition selects in plain Python (with SQL's three-valued
logic for NULL)."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tether import (
    Boolean,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    insert,
    not_,
    or_,
    select,
)

META = MetaData()
T = Table(
    "prop_rows", META,
    Column("id", Integer, primary_key=True),
    Column("a", Integer),
    Column("b", Integer, nullable=False),
    Column("s", String(10)),
    Column("f", Boolean),
)


def _rows() -> list[dict[str, Any]]:
    rng = random.Random(7)
    rows = []
    for i in range(1, 61):
        rows.append({
            "id": i,
            "a": None if i % 7 == 0 else rng.randint(-5, 5),
            "b": rng.randint(-5, 5),
            "s": None if i % 5 == 0 else "".join(rng.choice("abc") for _ in range(rng.randint(0, 4))),
            "f": None if i % 11 == 0 else bool(rng.getrandbits(1)),
        })
    return rows


ROWS = _rows()

# An expression is a pair: the tether element, and a Python function row -> True/False/None.
ints = st.integers(-6, 6)
words = st.text(alphabet="abc", max_size=3)


def _cmp(op: str, col: str, value: int):
    import operator

    py = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
          "==": operator.eq, "!=": operator.ne}[op]
    element = {"<": lambda c: c < value, "<=": lambda c: c <= value, ">": lambda c: c > value,
               ">=": lambda c: c >= value, "==": lambda c: c == value,
               "!=": lambda c: c != value}[op](T.c[col])

    def ev(row: dict[str, Any]) -> bool | None:
        v = row[col]
        return None if v is None else py(v, value)

    return element, ev


def _leaf_strategy():
    comparisons = st.builds(_cmp, st.sampled_from(["<", "<=", ">", ">=", "==", "!="]),
                            st.sampled_from(["a", "b"]), ints)

    def is_null(col: str, negate: bool):
        element = T.c[col].is_not(None) if negate else T.c[col].is_(None)
        return element, lambda r: (r[col] is not None) if negate else (r[col] is None)

    def in_list(col: str, values: list[int], negate: bool):
        element = T.c[col].not_in(values) if negate else T.c[col].in_(values)

        def ev(r: dict[str, Any]) -> bool | None:
            v = r[col]
            if not values:
                return negate
            if v is None:
                return None
            return (v not in values) if negate else (v in values)

        return element, ev

    def between(col: str, lo: int, hi: int):
        def ev(r: dict[str, Any]) -> bool | None:
            v = r[col]
            return None if v is None else lo <= v <= hi

        return T.c[col].between(lo, hi), ev

    def like(kind: str, word: str):
        element = {"startswith": T.c.s.startswith, "endswith": T.c.s.endswith,
                   "contains": T.c.s.contains}[kind](word)

        def ev(r: dict[str, Any]) -> bool | None:
            v = r["s"]
            if v is None:
                return None
            return {"startswith": v.startswith, "endswith": v.endswith,
                    "contains": v.__contains__}[kind](word)

        return element, ev

    def flag(value: bool):
        def ev(r: dict[str, Any]) -> bool | None:
            return None if r["f"] is None else r["f"] == value

        return T.c.f == value, ev

    def arith(k: int, value: int):
        def ev(r: dict[str, Any]) -> bool | None:
            return None if r["a"] is None else r["a"] + r["b"] * k > value

        return T.c.a + T.c.b * k > value, ev

    return st.one_of(
        comparisons,
        st.builds(is_null, st.sampled_from(["a", "s", "f"]), st.booleans()),
        st.builds(in_list, st.sampled_from(["a", "b"]), st.lists(ints, max_size=4),
                  st.booleans()),
        st.builds(between, st.sampled_from(["a", "b"]), ints, ints),
        st.builds(like, st.sampled_from(["startswith", "endswith", "contains"]), words),
        st.builds(flag, st.booleans()),
        st.builds(arith, st.integers(-2, 2), ints),
    )


def _and(parts):
    def ev(r: dict[str, Any]) -> bool | None:
        values = [p[1](r) for p in parts]
        if any(v is False for v in values):
            return False
        return None if any(v is None for v in values) else True

    return and_(*[p[0] for p in parts]), ev


def _or(parts):
    def ev(r: dict[str, Any]) -> bool | None:
        values = [p[1](r) for p in parts]
        if any(v is True for v in values):
            return True
        return None if any(v is None for v in values) else False

    return or_(*[p[0] for p in parts]), ev


def _not(part):
    def ev(r: dict[str, Any]) -> bool | None:
        v = part[1](r)
        return None if v is None else not v

    return not_(part[0]), ev


expressions = st.recursive(
    _leaf_strategy(),
    lambda children: st.one_of(
        st.builds(_and, st.lists(children, min_size=2, max_size=3)),
        st.builds(_or, st.lists(children, min_size=2, max_size=3)),
        st.builds(_not, children),
    ),
    max_leaves=8,
)


@pytest.fixture
def loaded(engine):
    META.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(T), ROWS)
    return engine


@settings(max_examples=120, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(expr=expressions)
def test_random_filters_select_the_same_rows_as_python(loaded, expr):
    element, evaluate = expr
    expected = sorted(r["id"] for r in ROWS if evaluate(r) is True)
    with loaded.connect() as conn:
        got = conn.execute(select(T.c.id).where(element).order_by(T.c.id)).scalars().all()
    assert got == expected, str(element)
