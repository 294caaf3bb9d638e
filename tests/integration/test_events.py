"""``tether.event`` on SQLite and PostgreSQL: pool events on an engine and its pool, session
events on a session and a sessionmaker, listen() options, and what is refused."""

from __future__ import annotations

from typing import Any

import pytest

from tether import Column, Integer, String, event, select
from tether.exc import InvalidRequestError
from tether.orm import Session, declarative_base, sessionmaker

Base = declarative_base()


class Item(Base):
    __tablename__ = "ev_items"
    id = Column(Integer, primary_key=True)
    label = Column(String(20))


@pytest.fixture
def db(engine: Any) -> Any:
    Base.metadata.create_all(engine)
    yield engine
    Base.metadata.drop_all(engine)


def test_pool_events_on_engine_and_pool(db: Any) -> None:
    calls: list[str] = []

    def checkout(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        record.info.setdefault("n", 0)
        record.info["n"] += 1
        calls.append(f"out {record.dbapi_connection is dbapi_connection}")

    def checkin(dbapi_connection: Any, connection_record: Any) -> None:
        calls.append(f"in {connection_record.info['n']}")

    event.listen(db, "checkout", checkout)
    event.listen(db.pool, "checkin", checkin, named=False)
    try:
        with db.connect() as conn:
            conn.execute(select(Item.id)).all()
        with Session(db) as s:
            s.get(Item, 1)  # the session's first get checks out too
        assert calls[0] == "out True" and calls[1].startswith("in ")
        assert calls.count("out True") == 2 and len(calls) == 4
    finally:
        event.remove(db, "checkout", checkout)
        event.remove(db.pool, "checkin", checkin)
    with db.connect() as conn:
        conn.execute(select(Item.id)).all()
    assert len(calls) == 4  # removed listeners are quiet


def test_session_events_options_and_order(db: Any) -> None:
    calls: list[Any] = []
    maker = sessionmaker(db)

    def late(session: Any) -> None:
        calls.append("late")

    def early(session: Any) -> None:
        calls.append("early")

    def named(**kw: Any) -> None:
        calls.append(sorted(kw))

    event.listen(maker, "after_commit", late)
    event.listen(maker, "after_commit", early, insert=True)
    event.listen(maker, "before_flush", named, named=True)
    try:
        with maker() as s:
            s.add(Item(id=1, label="a"))
            s.commit()
            own = s
        assert calls == [["flush_context", "instances", "session"], "early", "late"]
        calls.clear()

        def only_this(session: Any) -> None:
            calls.append(session is own2)

        with Session(db) as own2:
            event.listen(own2, "after_commit", only_this)
            own2.add(Item(id=2, label="b"))
            own2.commit()
        assert calls == [True]  # the instance's listener; the maker's are not called
        assert own is not own2
    finally:
        for name, fn in (("after_commit", late), ("after_commit", early),
                         ("before_flush", named)):
            event.remove(maker, name, fn)


def test_unknown_events_and_targets_are_refused(db: Any) -> None:
    with pytest.raises(InvalidRequestError, match=r"no 'before_insert' event for .*session "
                                                  r"events are: after_commit, after_flush"):
        event.listen(Session, "before_insert", lambda *a: None)
    with pytest.raises(InvalidRequestError, match=r"no events for 42; it has these: "):
        event.listen(42, "connect", lambda *a: None)
    with pytest.raises(InvalidRequestError, match="does not listen"):
        event.remove(db, "connect", print)
