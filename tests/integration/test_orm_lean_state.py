"""The lean per-object state, on SQLite and PostgreSQL: loaded objects share one empty,
read-only ``committed`` mapping until their first change (copy on write), the rarely set
flags live in one int, and a big ORM select turns its rows into objects in place. Every
behaviour that reads the recorded original values must stay as it was: dirty detection,
history, rollback, expire/refresh, flush diffs, savepoints."""

from __future__ import annotations

from typing import Any

import pytest

from tether import Column, Float, Integer, String, inspect, select
from tether.exc import IntegrityError
from tether.orm import Session, declarative_base
from tether.orm.attributes import get_history
from tether.orm.loading import load_rows
from tether.orm.state import DETACHED_CLOSED, DETACHED_EXPUNGED, NO_CHANGES, InstanceState

Base = declarative_base()


class Thing(Base):
    __tablename__ = "lean_things"
    id = Column(Integer, primary_key=True)
    name = Column(String(30), nullable=True)
    qty = Column(Integer, default=7)
    price = Column(Float, nullable=True)


class Pair(Base):
    __tablename__ = "lean_pairs"
    a = Column(Integer, primary_key=True)
    b = Column(Integer, primary_key=True)
    label = Column(String(30))


@pytest.fixture
def db(engine: Any) -> Any:
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all([Thing(id=i, name=None if i % 3 == 0 else f"t{i}", price=None if i % 2 else i / 2)
                   for i in range(1, 1201)])
        s.add_all([Pair(a=i // 10, b=i % 10, label=f"p{i}") for i in range(30)])
        s.commit()
    return engine


def _state(obj: Any) -> InstanceState:
    return inspect(obj)  # type: ignore[no-any-return]


def test_loaded_objects_share_no_changes_until_first_change(db: Any) -> None:
    with Session(db) as s:
        things = s.scalars(select(Thing).order_by(Thing.id)).all()
        assert len(things) == 1200  # past the in-place / GC-pause threshold
        assert [t.id for t in things] == list(range(1, 1201))
        assert things[2].name is None and things[1].price == 1.0
        assert all(_state(t).committed is NO_CHANGES for t in things)
        assert not s.dirty
        t = things[0]
        t.name = "changed"
        st = _state(t)
        assert st.committed is not NO_CHANGES and st.committed == {"name": "t1"}
        assert _state(things[1]).committed is NO_CHANGES  # the shared one was not written
        t.name = "again"  # a second change keeps the first original
        assert st.committed == {"name": "t1"}
        assert get_history(t, "name") == (["again"], (), ["t1"])
        assert s.is_modified(t) and s.dirty == [t]
        t.name = "t1"  # back to the original: not modified any more
        assert not s.is_modified(t)
        with pytest.raises(TypeError):
            NO_CHANGES["x"] = 1  # type: ignore[index]


def test_flush_diff_rollback_and_expire_read_originals(db: Any) -> None:
    with Session(db) as s:
        a, b = s.scalars(select(Thing).where(Thing.id.in_([1, 2])).order_by(Thing.id)).all()
        a.qty = 100
        b.price = None  # a change to NULL
        s.flush()
        assert _state(a).committed is NO_CHANGES and _state(b).committed is NO_CHANGES
        s.rollback()
        assert a.qty == 7 and b.price == 1.0  # rollback expired and reloaded them
        a.name = "x"
        s.expire(a, ["name"])
        assert not _state(a).committed and a.name == "t1"
        a.name = "y"
        s.refresh(a)
        assert a.name == "t1" and not s.is_modified(a)
        b.name = "kept"
        s.commit()
    with Session(db) as s:
        assert s.get(Thing, 2).name == "kept"
        assert s.get(Thing, 1).qty == 7


def test_savepoint_rollback_restores_and_populate_existing(db: Any) -> None:
    with Session(db) as s:
        t = s.get(Thing, 5)
        t.name = "outer"
        sp = s.begin_nested()
        t.name = "inner"
        sp.rollback()
        assert t.name == "outer"
        s.commit()
        t.name = "local"
        with s.no_autoflush:
            again = s.scalars(select(Thing).where(Thing.id == 5)
                              .execution_options(populate_existing=True)).one()
        assert again is t and t.name == "outer" and not s.is_modified(t)


def test_state_flags_and_detach_reasons(db: Any) -> None:
    with Session(db) as s:
        t = s.get(Thing, 7)
        st = _state(t)
        assert not (st.marked_deleted or st.flushed_deleted or st.was_deleted)
        s.delete(t)
        assert st.marked_deleted and not st.flushed_deleted
        s.flush()
        assert st.flushed_deleted and st.deleted
        assert (Thing, (7,)) not in s.identity_map and t not in s
        s.commit()
        assert st.was_deleted and not st.marked_deleted and st.detached
        assert not st.flushed_deleted and st.session is None and not st.deleted
        assert st.detached_reason == DETACHED_EXPUNGED
        u = s.get(Thing, 8)
        s.commit()
        assert _state(u).expired_by_commit
        v = s.get(Thing, 10)
        assert v.name == "t10"
    assert _state(v).detached_reason == DETACHED_CLOSED
    assert _state(v).load_overrides is None and _state(v).load_batch is None


def test_composite_keys_and_failed_flush_leave_session_usable(db: Any) -> None:
    with Session(db) as s:
        pairs = s.scalars(select(Pair).order_by(Pair.a, Pair.b)).all()
        assert [(p.a, p.b) for p in pairs][:3] == [(0, 0), (0, 1), (0, 2)]
        assert s.get(Pair, (1, 3)) is pairs[13]
        pairs[0].label = "changed"
        s.add(Pair(a=0, b=1, label="duplicate key"))
        with pytest.raises(IntegrityError):
            s.flush()
        s.rollback()
        assert pairs[0].label == "p0" and not _state(pairs[0]).committed
        assert s.scalars(select(Pair).where(Pair.a == 0)).all()[0].label == "p0"


def test_empty_result_and_in_place_load_rows() -> None:
    seen: list[Any] = []

    def load(row: Any) -> Any:
        seen.append(row)
        return None if row[0] is None else ("obj", row[0])

    rows: list[Any] = [(1,), (None,), (1,)]
    out = load_rows(load, rows, consume=True)
    assert out is rows and out == [("obj", 1), None, ("obj", 1)]
    kept: list[Any] = [(2,)]
    assert load_rows(load, kept) == [("obj", 2)] and kept == [(2,)]
    assert load_rows(load, [], consume=True) == []


def test_empty_select(db: Any) -> None:
    with Session(db) as s:
        assert s.scalars(select(Thing).where(Thing.id < 0)).all() == []
        assert s.execute(select(Thing).where(Thing.id < 0)).all() == []
