"""A session's lease (``tether.engine.lease``): ``Session.get`` as the first statement of a
transaction runs on the pooled DB-API connection, and the session makes its Connection only
when something needs one, in the same transaction on the same connection; on both
databases."""

from __future__ import annotations

import datetime
import gc
import logging
from typing import Any

import pytest

from tether import Date, ForeignKey, String, create_engine, delete, exc, select, text
from tether.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "lease_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(String(40), nullable=True)


class Slot(Base):
    """A composite key whose Date column has a bind processor on SQLite."""

    __tablename__ = "lease_slots"
    day: Mapped[datetime.date] = mapped_column(Date, primary_key=True)
    room: Mapped[str] = mapped_column(String(10), primary_key=True)
    label: Mapped[str] = mapped_column(String(40), server_default="free")


class PendingBase(DeclarativeBase):
    pass


class Box(PendingBase):
    __tablename__ = "lease_boxes"
    id: Mapped[int] = mapped_column(primary_key=True)
    parts: Mapped[list[Part]] = relationship(back_populates="box",
                                             cascade="all, delete-orphan")


class Part(PendingBase):
    __tablename__ = "lease_parts"
    id: Mapped[int] = mapped_column(primary_key=True)
    box_id: Mapped[int] = mapped_column(ForeignKey("lease_boxes.id"))
    box: Mapped[Box] = relationship(back_populates="parts")


DAY = datetime.date(2024, 5, 6)


@pytest.fixture
def items(engine: Any) -> Any:
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all([Item(id=1, name="a", note=None), Item(id=2, name="b", note="x")])
        s.add(Slot(day=DAY, room="r1"))
        s.commit()
    yield engine
    Base.metadata.drop_all(engine)


def _dbapi(session: Session) -> Any:
    """The DB-API connection of the session's transaction (lease or Connection)."""
    if session._lease_ is not None:
        return session._lease_[2]
    return session._connection_.connection


def test_get_only_session_uses_a_lease_and_returns_it(items: Any) -> None:
    pool = items.pool
    with Session(items) as s:
        one = s.get(Item, 1)
        assert (one.name, one.note) == ("a", None)
        assert s._lease_ is not None and s._connection_ is None
        assert s.in_transaction()
        assert pool.checkedout() == 1
        assert s.get(Item, 2).note == "x"
        assert s.get(Item, 99) is None
        assert s._connection_ is None  # still the lease
    assert pool.checkedout() == 0


def test_composite_key_with_bind_processor_and_server_default(items: Any) -> None:
    with Session(items) as s:
        slot = s.get(Slot, (DAY, "r1"))
        assert slot is not None and slot.label == "free" and slot.day == DAY
        assert s.get(Slot, {"day": DAY, "room": "r2"}) is None
        assert s._lease_ is not None


def test_get_then_flush_uses_the_same_connection_and_transaction(items: Any) -> None:
    with Session(items) as s:
        s.get(Item, 1)
        leased = _dbapi(s)
        s.add(Item(id=3, name="c"))
        s.flush()
        assert s._lease_ is None and _dbapi(s) is leased
        s.get(Item, 1).name = "a2"
        s.commit()
    assert items.pool.checkedout() == 0
    with Session(items) as s:
        assert [i.name for i in s.scalars(select(Item).order_by(Item.id))] == ["a2", "b", "c"]


def test_get_then_connection_is_the_same_transaction(items: Any) -> None:
    with Session(items) as s:
        s.get(Item, 1)
        leased = _dbapi(s)
        conn = s.connection()
        assert conn.connection is leased
        assert conn.in_transaction() and s._db_transaction is conn.get_transaction()
        conn.execute(text("UPDATE lease_items SET name = 'z' WHERE id = 2"))
        assert s.connection() is conn
        s.rollback()  # the update goes with the transaction
    with Session(items) as s:
        assert s.get(Item, 2).name == "b"


def test_get_inside_and_around_begin_nested(items: Any) -> None:
    with Session(items) as s:
        s.get(Item, 1)
        with s.begin_nested():
            s.add(Item(id=4, name="d"))
        sp = s.begin_nested()
        assert s.get(Item, 2).name == "b"
        s.add(Item(id=5, name="e"))
        s.flush()
        sp.rollback()
        assert s.get(Item, 5) is None and s.get(Item, 4).name == "d"
        s.commit()
    with Session(items) as s:
        assert sorted(s.scalars(select(Item.id))) == [1, 2, 4]


def test_get_after_rollback_and_commit(items: Any) -> None:
    pool = items.pool
    s = Session(items)
    s.get(Item, 1)
    s.rollback()
    assert pool.checkedout() == 0 and not s.in_transaction()
    assert s.get(Item, 1).name == "a"  # a new lease
    s.commit()  # a transaction that only read commits and gives the connection back
    assert pool.checkedout() == 0
    assert s.get(Item, 2).name == "b"
    s.close()
    assert pool.checkedout() == 0


def test_failing_checkout_then_usable_after_rollback(items: Any) -> None:
    s = Session(items)
    items.pool.dispose()  # a disposed pool refuses checkouts
    with pytest.raises(exc.InvalidRequestError):
        s.get(Item, 1)
    assert s._lease_ is None and s._connection_ is None
    items.dispose(close=False)  # a fresh pool
    s.rollback()
    assert s.get(Item, 1).name == "a"
    s.close()
    assert items.pool.checkedout() == 0


def test_driver_error_on_a_lease_is_wrapped_and_session_recovers(items: Any) -> None:
    with Session(items) as s:
        s.get(Item, 1)
        with items.begin() as conn:  # the session has not read this table: no lock
            conn.exec_driver_sql("DROP TABLE lease_slots")
        with pytest.raises(exc.DBAPIError) as info:
            s.get(Slot, (DAY, "r1"))
        assert "lease_slots" in str(info.value) and info.value.orig is not None
        assert s._lease_ is None and s._connection_ is not None
        s.rollback()
        assert s.get(Item, 2).name == "b"
    assert items.pool.checkedout() == 0


def test_pool_of_one_serves_a_thousand_get_sessions(db_url: str) -> None:
    engine = create_engine(db_url, pool_size=1, max_overflow=0, pool_timeout=0.5)
    try:
        Base.metadata.create_all(engine)
        with Session(engine) as s:
            s.add(Item(id=1, name="a"))
            s.commit()
        for _ in range(1000):
            with Session(engine) as s:
                assert s.get(Item, 1).name == "a"
        assert engine.pool.checkedout() == 0
        # a session dropped without close() gives its lease back when collected
        s = Session(engine)
        s.get(Item, 1)
        del s
        gc.collect()
        assert engine.pool.checkedout() == 0
        with Session(engine) as s:
            assert s.get(Item, 1) is not None
    finally:
        Base.metadata.drop_all(engine)
        engine.dispose()


def test_echo_and_options_take_a_connection(db_url: str,
                                            caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("tether.engine")
    before = list(logger.handlers)
    engine = create_engine(db_url, echo=True)
    try:
        Base.metadata.create_all(engine)
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="tether.engine"):
            with Session(engine) as s:
                assert s.get(Item, 1) is None
                assert s._lease_ is None and s._connection_ is not None
        messages = [r.getMessage() for r in caplog.records if r.name == "tether.engine"]
        assert messages[0] == "BEGIN" and messages[1].startswith("SELECT ")
        assert messages[-1] == "ROLLBACK"
        engine.echo = False
        quiet = engine.execution_options(isolation_level="SERIALIZABLE")
        with Session(quiet) as s:
            assert s.get(Item, 1) is None and s._lease_ is None
        with engine.connect() as conn, Session(conn) as s:
            assert s.get(Item, 1) is None and s._lease_ is None
    finally:
        engine.echo = False
        Base.metadata.drop_all(engine)
        engine.dispose()
        for handler in list(logger.handlers):  # the stdout handler echo added
            if handler not in before:
                logger.removeHandler(handler)


def test_failing_rollback_at_close_raises_as_a_connection_would(
        items: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(dbapi_connection: Any) -> None:
        raise RuntimeError("rollback failed")

    s = Session(items)
    s.get(Item, 1)
    monkeypatch.setattr(items.dialect, "do_rollback", broken)
    with pytest.raises(RuntimeError, match="rollback failed"):
        s.close()
    monkeypatch.undo()
    # the connection that could not be reset was closed, not returned for reuse
    assert items.pool.checkedout() == 0 and s._lease_ is None
    assert s.get(Item, 1).name == "a"
    s.close()


def test_get_runs_the_plan_compiled_once_per_dialect(
        items: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from tether.engine import base
    from tether.orm import session_plans

    with Session(items) as s:
        s.get(Item, 1)  # the plan and its compiled form exist from here on
    calls: list[Any] = []
    real = base.compile_statement
    monkeypatch.setattr(base, "compile_statement",
                        lambda *a, **k: calls.append(a) or real(*a, **k))
    monkeypatch.setattr(session_plans, "get_compiled", lambda *a: calls.append(a))
    with Session(items) as s:
        assert s.get(Item, 1).name == "a"  # on the lease
        s.connection()
        assert s.get(Item, 2).name == "b"  # on the Connection
        assert s.get(Item, 7) is None
    with items.connect() as conn, Session(conn) as s:
        assert s.get(Item, 2).name == "b"  # bound to a Connection
    assert calls == []


def test_close_empties_the_identity_map_and_the_session_loads_afresh(items: Any) -> None:
    s = Session(items)
    first = s.get(Item, 1)
    s.close()
    assert len(s.identity_map) == 0 and first not in s
    assert first.name == "a"  # a detached object keeps its loaded values
    again = s.get(Item, 1)  # on a new lease, into the emptied map
    assert again is not first and again in s and again.name == "a"
    # a query after close loads through a loader bound to the map's new class dict
    loaded = s.scalars(select(Item).order_by(Item.id)).all()
    assert loaded[0] is again and [i.name for i in loaded] == ["a", "b"]
    s.close()
    assert again not in s and items.pool.checkedout() == 0


def test_session_info_is_made_on_first_use_and_hash_key_is_per_session(items: Any) -> None:
    plain, given = Session(items), Session(items, info={"k": 1})
    assert plain.info == {} and plain.info is plain.info
    plain.info["x"] = 2
    assert plain.info == {"x": 2} and given.info == {"k": 1}
    plain.info = {"y": 3}
    assert plain.info == {"y": 3}
    assert plain.hash_key == plain.hash_key != given.hash_key
    plain.close()
    given.close()


def test_transaction_records_start_shared_and_empty_and_stay_per_session(items: Any) -> None:
    # _tx_inserted / _tx_deleted / _cascade_pending start as the class's shared empty
    # containers; a flush, a bulk delete or a delete() gives the session its own, so one
    # session's records never reach another, and rollback() still undoes them
    with Session(items) as a, Session(items) as b:
        a.add(Item(id=10, name="new"))
        a.delete(a.get(Item, 1))
        a.flush()
        assert a._tx_inserted and a._tx_deleted
        assert not b._tx_inserted and not b._tx_deleted and not b._cascade_pending
        assert not Session._tx_inserted and not Session._tx_deleted
        assert not Session._cascade_pending
        a.rollback()
        assert a.get(Item, 10) is None and a.get(Item, 1).name == "a"
    with Session(items) as c:
        assert c.get(Item, 2) is not None
        c.execute(delete(Item).where(Item.id == 2))  # an ORM bulk delete records it
        assert c._tx_deleted
        c.rollback()
        assert c.get(Item, 2) is not None
    assert not Session._tx_inserted and not Session._tx_deleted


def test_transaction_of_a_lease_is_made_when_asked_for(items: Any) -> None:
    with Session(items) as s:
        assert not s.in_transaction() and s.get_transaction() is None
        s.get(Item, 1)
        assert s._lease_ is not None and s.in_transaction()
        tx = s.get_transaction()
        assert tx is not None and tx.is_active and not tx.nested
        assert s.get_transaction() is tx  # made once
        with pytest.raises(exc.InvalidRequestError, match="already begun"):
            s.begin()
        s.commit()
        assert not s.in_transaction() and s.get_transaction() is None and not tx.is_active
        s.get(Item, 1)
        conn = s.connection()  # adopting the lease keeps the session in its transaction
        assert s.in_transaction() and s._db_transaction is conn.get_transaction()
        assert s.get_transaction() is not None and s.get_transaction() is not tx
    assert not s.in_transaction() and items.pool.checkedout() == 0
    # a transaction made on adoption, never asked for before
    with Session(items) as s:
        s.get(Item, 2)
        s.add(Item(id=9, name="i"))
        s.flush()
        assert s._lease_ is None and s.get_transaction() is not None
        s.rollback()
        assert s.get_transaction() is None and s.get(Item, 9) is None


def test_transaction_context_and_autobegin_off_with_a_lease(items: Any) -> None:
    with Session(items) as s:
        s.get(Item, 1)
        with s.get_transaction():  # commits at the end of the block
            s.get(Item, 2).name = "b2"
        assert not s.in_transaction() and s._lease_ is None
        s.expunge_all()
        with s.begin():  # an explicit transaction, then a lease inside it
            assert s.get(Item, 1).name == "a" and s._lease_ is not None
        assert not s.in_transaction() and items.pool.checkedout() == 0
    s = Session(items, autobegin=False)
    with pytest.raises(exc.InvalidRequestError, match="autobegin"):
        s.get(Item, 1)
    assert s._lease_ is None and not s.in_transaction() and items.pool.checkedout() == 0
    with s.begin():
        assert s.get(Item, 2).name == "b2" and s._lease_ is not None
    assert items.pool.checkedout() == 0
    with pytest.raises(exc.InvalidRequestError, match="not bound"):
        Session().get(Item, 1)


def test_pool_checkout_with_begin_and_end(items: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    pool = items.pool
    conn = pool.connect(True)
    assert conn is not None and pool.checkedout() == 1
    assert pool.end(conn, True) and pool.checkedout() == 0
    conn = pool.connect(True)
    assert pool.end(conn, False) and pool.checkedout() == 0

    def broken(dbapi_connection: Any) -> None:
        raise RuntimeError("driver failed")

    monkeypatch.setattr(items.dialect, "do_begin", broken)
    monkeypatch.setattr(items.dialect, "begin_deferred", False)  # a do_begin that runs
    assert pool.connect(True) is None and pool.checkedout() == 0  # given back
    with Session(items) as s:  # the session's Connection begins and raises instead
        with pytest.raises(RuntimeError, match="driver failed"):
            s.get(Item, 1)
    monkeypatch.undo()
    gc.collect()  # the Connection that failed to begin is given back when collected
    assert pool.checkedout() == 0
    conn = pool.connect(True)
    monkeypatch.setattr(items.dialect, "do_commit", broken)
    assert not pool.end(conn, True) and pool.checkedout() == 1  # still checked out
    monkeypatch.undo()
    assert pool.end(conn, False) and pool.checkedout() == 0
    conn = pool.connect()
    pool.release(conn, False)  # nothing to end
    assert pool.checkedout() == 0


def test_pool_begin_skips_only_a_deferred_begin(items: Any,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    # SQLite's do_begin does nothing (its BEGIN waits for a write): the pool does not call
    # it; PostgreSQL's sends BEGIN and is called for every lease.
    calls: list[Any] = []
    real = items.dialect.do_begin

    def recording(dbapi_connection: Any) -> None:
        calls.append(dbapi_connection)
        real(dbapi_connection)

    monkeypatch.setattr(items.dialect, "do_begin", recording)
    assert items.dialect.begin_deferred is (items.dialect.name == "sqlite")
    with Session(items) as s:
        assert s.get(Item, 1).name == "a" and s._lease_ is not None
        assert len(calls) == (0 if items.dialect.begin_deferred else 1)
    assert items.pool.checkedout() == 0
    with Session(items) as s:  # a Connection calls it either way
        s.connection()
        assert len(calls) == (1 if items.dialect.begin_deferred else 2)


def test_engine_logger_at_info_takes_a_connection(items: Any,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="tether.engine"):
        with Session(items) as s:
            assert s.get(Item, 1).name == "a"
            assert s._lease_ is None and s._connection_ is not None
    assert any(r.getMessage() == "BEGIN" for r in caplog.records)
    with Session(items) as s:  # the logger back at its level: a lease again
        assert s.get(Item, 2).name == "b" and s._lease_ is not None


def test_sessions_start_with_shared_empty_records_and_never_write_them(items: Any) -> None:
    from tether.orm import session as session_module

    with Session(items) as s:
        s.get(Item, 1)
        s.add(Item(id=7, name="g"))
        s.delete(s.get(Item, 2))
        s.flush()  # the session's own records now
        assert s._tx_inserted is not session_module._NO_TX_RECORDS
        assert len(s._tx_inserted) == 1 and len(s._tx_deleted) == 1
        s.rollback()
        s.execute(delete(Item).where(Item.id == 1))  # an ORM bulk delete records too
    fresh = Session(items)
    assert fresh._tx_inserted is session_module._NO_TX_RECORDS is fresh._tx_deleted
    assert fresh._cascade_pending is session_module._NO_CASCADES
    assert session_module._NO_TX_RECORDS == {} and session_module._NO_CASCADES == []
    fresh.close()


def test_sessions_share_an_empty_modified_set_until_a_change(items: Any) -> None:
    from tether.orm.state import NO_MODIFIED

    with Session(items) as s:
        assert s._modified is NO_MODIFIED and not s.dirty
        item = s.get(Item, 1)
        item.name = "changed"  # the session's own set from the first change
        assert s._modified is not NO_MODIFIED and s.dirty == [item]
        s.expunge(item)
        s.commit()
        assert s.get(Item, 1).name == "a"
        s.get(Item, 2).note = "y"
        s.commit()
    with Session(items) as s:
        assert s._modified is NO_MODIFIED
        assert s.get(Item, 2).note == "y"
        merged = s.merge(Item(id=1, name="merged"))  # a merge that changes a loaded object
        assert merged in s.dirty
        s.rollback()
    assert NO_MODIFIED == set()


def test_get_reads_a_key_from_a_dict_or_a_sequence(items: Any) -> None:
    with Session(items) as s:
        assert s.get(Item, {"id": 1}).name == "a"
        assert s.get(Item, [2]).name == "b"
        assert s.get(Item, (2,)).name == "b"
        with pytest.raises(KeyError):
            s.get(Item, {"other": 1})
        with pytest.raises(exc.InvalidRequestError):
            s.get(Item, (1, 2))


@pytest.mark.parametrize("ending", ["close", "expunge_all"])
def test_close_and_expunge_all_detach_every_kind_of_object(items: Any, ending: str) -> None:
    from tether import inspect

    s = Session(items)
    loaded, changed, deleted = s.get(Item, 1), s.get(Item, 2), None
    changed.name = "changed"
    new = Item(id=8, name="h")
    s.add(new)
    s.flush()
    deleted = s.get(Item, 8)
    s.delete(deleted)
    pending = Item(id=9, name="i")
    s.add(pending)
    getattr(s, ending)()
    for obj in (loaded, changed, deleted, pending):
        assert obj not in s and inspect(obj).session is None
    assert not s.new and not s.dirty and not s.deleted and len(s.identity_map) == 0
    assert (s.get(Item, 8) is None) is (ending == "close")  # the flush rolled back or not
    s.rollback()
    assert s.get(Item, 2).name == "b"
    s.close()


def test_sessions_share_empty_pending_dicts_until_written(engine: Any) -> None:
    # Session._new / _deleted start as state.NO_PENDING; the first add (directly or by
    # cascade only) or delete gives the session its own, which no other session sees.
    from tether.orm.state import NO_PENDING

    PendingBase.metadata.create_all(engine)
    try:
        s1, s2 = Session(engine), Session(engine)
        assert s1._new is NO_PENDING is s1._deleted and s2._new is NO_PENDING
        box = Box(id=1, parts=[Part(id=1), Part(id=2)])
        s1.add(box)
        assert s1._new is not NO_PENDING and len(s1.new) == 3
        assert s2._new is NO_PENDING and not s2.new and NO_PENDING == {}
        s1.commit()
        assert not s1.new and s1._deleted is NO_PENDING
        assert len(box.parts) == 2  # loaded again before the session closes
        s1.close()
        box.parts.append(Part(id=3))  # detached: only the cascade from box reaches it
        with Session(engine) as s3:
            s3.add(box)  # box is persistent: its new part is the first write to _new
            assert s3._new is not NO_PENDING and [p.id for p in s3.new] == [3]
            assert s2._new is NO_PENDING and NO_PENDING == {}
            s3.commit()
        with Session(engine) as s4:
            doomed = s4.get(Box, 1)
            s4.delete(doomed)
            assert s4._deleted is not NO_PENDING and doomed in s4.deleted  # parts cascade
            assert s2._deleted is NO_PENDING and NO_PENDING == {}
            s4.commit()
            assert s4.scalars(select(Part)).all() == [] and s4.get(Box, 1) is None
        s2.add(Box(id=2))
        s2.rollback()  # a pending object leaves with the rollback; the session stays usable
        assert not s2.new and s2.get(Box, 2) is None
        s2.close()
        assert NO_PENDING == {}
        with pytest.raises(TypeError, match="shared empty pending dict"):
            NO_PENDING[object()] = None  # a stray write fails loudly, never leaks
        assert NO_PENDING.pop(object(), None) is None and NO_PENDING == {}
    finally:
        PendingBase.metadata.drop_all(engine)
