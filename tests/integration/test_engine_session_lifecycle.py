"""The short-session path: rows for the ORM without a Result (``Connection._rows``), a
connection that the pool takes back without a second rollback once its own ROLLBACK or
COMMIT succeeded, and checkout errors; on both databases."""

from __future__ import annotations

import datetime
import logging
from typing import Any

import pytest

from tether import DateTime, String, exc, select, text
from tether.orm import DeclarativeBase, Mapped, Session, mapped_column


class Base(DeclarativeBase):
    pass


class Event(Base):
    __tablename__ = "lifecycle_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime.datetime | None] = mapped_column(DateTime, nullable=True)


WHEN = datetime.datetime(2024, 5, 6, 7, 8, 9)


@pytest.fixture
def events(engine: Any) -> Any:
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all([Event(id=1, name="a", at=WHEN), Event(id=2, name="b", at=None)])
        s.commit()
    yield engine
    Base.metadata.drop_all(engine)


def test_rows_match_the_result_path(events: Any) -> None:
    stmt = select(Event).order_by(Event.id)
    with events.connect() as conn:
        fast = conn._rows(stmt)
        general = conn.execute(stmt)._raw_all()
        assert fast == general
        # result processors applied (a DateTime read back as datetime), NULL kept
        assert fast[0][2] == WHEN and fast[1][2] is None
        # text() and parameters that are not one dict take the general path
        assert conn._rows(text("SELECT name FROM lifecycle_events ORDER BY id")) == [
            ("a",), ("b",)]
        assert conn._rows(select(Event.name).where(Event.id == 2), {}) == [("b",)]
        assert conn._rows(select(Event.name).where(Event.id == 5)) == []


def test_get_logs_begin_statement_and_rollback(events: Any,
                                               caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="tether.engine"):
        with Session(events) as s:
            assert s.get(Event, 1).at == WHEN
    messages = [r.getMessage() for r in caplog.records if r.name == "tether.engine"]
    assert messages[0] == "BEGIN"
    assert messages[1].startswith("SELECT ") and "lifecycle_events" in messages[1]
    assert messages[2] == "[compiled] (1,)"
    assert any(m.startswith("Row ") for m in messages)
    assert messages[-1] == "ROLLBACK"


def test_get_error_is_wrapped_and_session_recovers(events: Any) -> None:
    s = Session(events)
    with events.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE lifecycle_events RENAME TO lifecycle_gone")
    try:
        with pytest.raises(exc.DBAPIError) as info:
            s.get(Event, 1)
        assert "lifecycle_events" in str(info.value)
        assert info.value.orig is not None
        s.rollback()
        with events.begin() as conn:
            conn.exec_driver_sql("ALTER TABLE lifecycle_gone RENAME TO lifecycle_events")
        assert s.get(Event, 2).name == "b"
    finally:
        s.close()
    assert events.pool.checkedout() == 0


def test_many_short_sessions_reuse_one_clean_connection(events: Any) -> None:
    for i in range(20):
        with Session(events) as s:
            assert s.get(Event, 1 + i % 2) is not None
    assert events.pool.checkedout() == 0
    assert events.pool.checkedin() == 1
    # The connection the pool holds has no transaction open: another writer is not
    # blocked and sees the same rows.
    with events.begin() as conn:
        conn.execute(Event.__table__.update().values(name="c").where(Event.__table__.c.id == 1))
    with Session(events) as s:
        assert s.get(Event, 1).name == "c"


def test_raw_use_after_commit_is_still_rolled_back_on_return(events: Any) -> None:
    conn = events.connect()
    conn.execute(select(Event.id)).all()
    conn.commit()
    dbapi = conn.connection  # anything may happen on the driver's connection now
    if events.dialect.name == "sqlite":
        dbapi.execute("BEGIN")
    dbapi.execute("INSERT INTO lifecycle_events (id, name) VALUES (3, 'x')")
    conn.close()  # the pool rolls it back
    with events.connect() as check:
        assert check.execute(select(Event.id).where(Event.id == 3)).all() == []


def test_commit_then_close_keeps_the_commit(events: Any) -> None:
    with Session(events) as s:
        s.add(Event(id=4, name="d"))
        s.commit()
    with Session(events) as s:
        assert s.get(Event, 4).name == "d"
    assert events.pool.checkedout() == 0


def test_checkout_driver_error_is_wrapped(tmp_path: Any) -> None:
    from tether.engine import create_engine

    eng = create_engine(f"sqlite:///{tmp_path / 'missing-dir' / 'x.db'}")
    with pytest.raises(exc.OperationalError) as info:
        eng.connect()
    assert info.value.__cause__ is info.value.orig
    with pytest.raises(exc.OperationalError):
        Session(eng).get(Event, 1)
    assert eng.pool.checkedout() == 0


def test_with_block_closes_and_calls_a_subclass_close(events: Any) -> None:
    # Session's __exit__ is close()'s body; a subclass that overrides close() still has it
    # called at the end of a ``with`` block (and by its subclasses), once per block.
    with Session(events) as s:
        obj = s.get(Event, 1)
        assert obj in s
    assert obj not in s and s._lease_ is None and not s.identity_map._maps
    closed: list[str] = []

    class Tracked(Session):
        def close(self) -> None:
            closed.append(type(self).__name__)
            super().close()

    class Deeper(Tracked):
        pass

    for cls in (Tracked, Deeper):
        with cls(events) as s:
            obj = s.get(Event, 2)
        assert obj not in s and s._lease_ is None
    with pytest.raises(KeyError):
        with Tracked(events) as s:
            s.get(Event, 1)
            raise KeyError("the block failed")
    assert closed == ["Tracked", "Deeper", "Tracked"] and s._lease_ is None
    assert events.pool.checkedout() == 0
