"""Flush ordering without a database: mappers ordered parents first, cycles grouped for
row-level ordering, and the circular-dependency message."""

from __future__ import annotations

from tether import Column, ForeignKey, Integer
from tether.orm import configure_mappers, declarative_base, relationship
from tether.orm.unitofwork import _cycle_error, _Flush
from tether.util.topological import CycleError
from tether.util.topological import components as _components

Base = declarative_base()


class Country(Base):
    __tablename__ = "countries"
    id = Column(Integer, primary_key=True)


class City(Base):
    __tablename__ = "cities"
    id = Column(Integer, primary_key=True)
    country_id = Column(Integer, ForeignKey("countries.id"))
    country = relationship("Country", backref="cities")


class Street(Base):
    __tablename__ = "streets"
    id = Column(Integer, primary_key=True)
    city_id = Column(Integer, ForeignKey("cities.id"))
    city = relationship("City")


class Employee(Base):
    __tablename__ = "employees"
    id = Column(Integer, primary_key=True)
    boss_id = Column(Integer, ForeignKey("employees.id"))
    reports = relationship("Employee")


configure_mappers()


def test_parents_before_children_whatever_the_input_order() -> None:
    mappers = [Street.__mapper__, City.__mapper__, Country.__mapper__]
    edges = _Flush._mapper_edges(None, mappers, True)  # type: ignore[arg-type]
    comps, selfref = _components(mappers, edges)
    assert comps == [[Country.__mapper__], [City.__mapper__], [Street.__mapper__]]
    assert not selfref


def test_self_reference_marks_row_level_ordering() -> None:
    mappers = [Employee.__mapper__, Country.__mapper__]
    edges = _Flush._mapper_edges(None, mappers, True)  # type: ignore[arg-type]
    comps, selfref = _components(mappers, edges)
    assert selfref == {Employee.__mapper__}
    assert [Employee.__mapper__] in comps


def test_mutual_dependency_forms_one_component() -> None:
    a, b, c = "a", "b", "c"
    comps, selfref = _components([c, a, b], [(a, b), (b, a), (b, c)])
    assert comps == [[a, b], [c]]
    assert selfref == {a, b}


def test_cycle_error_names_relationships_and_suggests_post_update() -> None:
    class FakeState:
        def __init__(self, obj: object) -> None:
            self.obj = obj

    x, y = FakeState(City()), FakeState(Country())
    prop = City.country.prop
    err = _cycle_error(CycleError([[x, y]], [x, y]), [(x, y, prop), (y, x, prop)])
    message = str(err)
    assert "City.country" in message and "post_update=True" in message
    assert "City" in message and "Country" in message


def test_null_key_after_insert_fails_and_rollback_leaves_objects_transient() -> None:
    # SQLite stores NULL in a text primary key: the flush notices after the INSERT
    import pytest

    from tether import create_engine, select
    from tether.orm import DeclarativeBase, Mapped, Session, instance_state, mapped_column
    from tether.orm.exc import FlushError

    class NBase(DeclarativeBase):
        pass

    class Keyed(NBase):
        __tablename__ = "keyed_null"
        code: Mapped[str | None] = mapped_column(primary_key=True)
        name: Mapped[str]

    eng = create_engine("sqlite://")
    with eng.begin() as conn:  # (no NOT NULL: SQLite then takes a NULL key)
        conn.exec_driver_sql("CREATE TABLE keyed_null (code VARCHAR PRIMARY KEY, name VARCHAR)")
    with Session(eng) as s:
        ok, bad, after = Keyed(code="a", name="ok"), Keyed(name="bad"), Keyed(code="c", name="c")
        s.add_all([ok, bad, after])
        with pytest.raises(FlushError, match="NULL primary key"):
            s.flush()
        s.rollback()
        assert all(instance_state(o).key is None for o in (ok, bad, after))
        assert ok not in s and bad not in s and after not in s
        s.add(Keyed(code="b", name="later"))
        s.commit()
        assert s.scalars(select(Keyed.code)).all() == ["b"]


def test_topological_sort_is_the_stable_order_a_heap_gives() -> None:
    """``sort`` keeps a descending list instead of a heap: on random graphs its order is
    the one a priority queue of input positions gives (first free item first)."""
    import heapq
    import random

    from tether.util.topological import sort

    def by_heap(items: list[int], edges: list[tuple[int, int]]) -> list[int]:
        children: dict[int, list[int]] = {i: [] for i in items}
        indegree = dict.fromkeys(items, 0)
        for a, b in edges:
            if a != b:
                children[a].append(b)
                indegree[b] += 1
        ready = [i for i in items if indegree[i] == 0]
        heapq.heapify(ready)
        out = []
        while ready:
            item = heapq.heappop(ready)
            out.append(item)
            for c in children[item]:
                indegree[c] -= 1
                if indegree[c] == 0:
                    heapq.heappush(ready, c)
        return out

    rng = random.Random(7)
    for n in (0, 1, 2, 5, 12, 40):
        for _ in range(30):
            items = list(range(n))
            # edges only from an earlier to a later rank of a random permutation: acyclic
            rank = items[:]
            rng.shuffle(rank)
            edges = [(rank[a], rank[b]) for a in range(n) for b in range(a + 1, n)
                     if rng.random() < 0.2]
            assert sort(items, edges) == by_heap(items, edges)
