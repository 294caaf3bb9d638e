"""The pool: sharing, limits, thread safety, dispose; and the shared in-memory SQLite."""

from __future__ import annotations

import collections
import threading
from typing import Any

import pytest

from tether import exc
from tether.engine import create_engine


def sql(engine: Any, text: str) -> str:
    return text.replace("?", "%s") if engine.dialect.paramstyle == "format" else text


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_memory_database_is_shared_by_the_engines_connections(url: str) -> None:
    eng = create_engine(url)
    try:
        with eng.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
            conn.exec_driver_sql("INSERT INTO t VALUES (1)")
        a = eng.connect()
        b = eng.connect()
        assert a.connection is not b.connection
        assert a.exec_driver_sql("SELECT x FROM t").scalar() == 1
        assert b.exec_driver_sql("SELECT x FROM t").scalar() == 1
        a.close()
        b.close()
        # from another thread too
        seen: list[int] = []

        def read() -> None:
            with eng.connect() as conn:
                seen.append(conn.exec_driver_sql("SELECT x FROM t").scalar())

        thread = threading.Thread(target=read)
        thread.start()
        thread.join()
        assert seen == [1]
        with eng.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        eng.dispose()


def test_each_memory_engine_has_its_own_database() -> None:
    one, two = create_engine("sqlite://"), create_engine("sqlite://")
    try:
        with one.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE only_in_one (x INTEGER)")
        with two.connect() as conn:
            assert not two.dialect.has_table(conn, "only_in_one")
    finally:
        one.dispose()
        two.dispose()


def test_dispose_of_memory_engine_starts_a_new_database() -> None:
    eng = create_engine("sqlite://")
    with eng.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
    eng.dispose()
    with eng.connect() as conn:
        assert not eng.dialect.has_table(conn, "t")
    eng.dispose()


def test_connections_are_reused(engine: Any) -> None:
    with engine.connect() as conn:
        first = conn.connection
    with engine.connect() as conn:
        assert conn.connection is first
    assert engine.pool.checkedout() == 0 and engine.pool.checkedin() == 1


def test_returned_connection_carries_no_transaction(engine: Any) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
    conn = engine.connect()
    conn.exec_driver_sql("INSERT INTO t VALUES (1)")
    conn.close()  # not committed
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM t").scalar() == 0


def test_pool_limit_and_timeout(db_url: str) -> None:
    eng = create_engine(db_url, pool_size=1, max_overflow=1, pool_timeout=0.2)
    try:
        a, b = eng.connect(), eng.connect()
        with pytest.raises(exc.TetherError) as info:
            eng.connect()
        assert "pool_size" in str(info.value)
        a.close()
        c = eng.connect()  # a slot is free again
        assert eng.pool.checkedout() == 2
        b.close()
        c.close()
        # overflow connections are closed on return; pool_size are kept
        assert eng.pool.checkedin() == 1 and eng.pool.checkedout() == 0
    finally:
        eng.dispose()


def test_waiting_checkout_gets_a_returned_connection(db_url: str) -> None:
    eng = create_engine(db_url, pool_size=1, max_overflow=0, pool_timeout=10)
    try:
        held = eng.connect()
        got: list[Any] = []
        thread = threading.Thread(target=lambda: got.append(eng.connect()))
        thread.start()
        thread.join(0.2)
        assert thread.is_alive() and not got
        held.close()
        thread.join(5)
        assert len(got) == 1
        got[0].close()
    finally:
        eng.dispose()


def test_pool_is_thread_safe(engine: Any) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE hits (thread INTEGER, n INTEGER)")
    errors: list[BaseException] = []
    insert = sql(engine, "INSERT INTO hits VALUES (?, ?)")

    def work(t: int) -> None:
        try:
            for n in range(15):
                with engine.begin() as conn:
                    conn.exec_driver_sql(insert, (t, n))
                with engine.connect() as conn:
                    conn.exec_driver_sql("SELECT count(*) FROM hits").scalar()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM hits").scalar() == 8 * 15
    assert engine.pool.checkedout() == 0
    assert engine.pool.checkedin() <= engine.pool.size


def test_pre_ping_replaces_a_dead_connection(db_url: str) -> None:
    eng = create_engine(db_url, pool_pre_ping=True)
    try:
        with eng.connect() as conn:
            dead = conn.connection
        dead.close()  # the pool still holds it, closed
        with eng.connect() as conn:
            assert conn.connection is not dead
            assert conn.exec_driver_sql("SELECT 1").scalar() == 1
    finally:
        eng.dispose()


def test_engine_properties(engine: Any, db_url: str) -> None:
    assert engine.name == engine.dialect.name in ("sqlite", "postgresql")
    assert str(engine.url) == str(engine.url)
    assert repr(engine).startswith("Engine(")
    assert engine.echo is False


def test_memory_database_second_connection_reads_uncommitted_rows() -> None:
    """As with SQLAlchemy's per-thread memory connection, a second connection sees rows
    another connection has not committed yet, instead of a "table is locked" error; a
    second *writer* gets an error that explains the situation."""
    eng = create_engine("sqlite://")
    try:
        with eng.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
        with eng.connect() as writer, eng.connect() as reader:
            writer.exec_driver_sql("INSERT INTO t VALUES (1)")
            assert reader.exec_driver_sql("SELECT count(*) FROM t").scalar() == 1
            with pytest.raises(exc.OperationalError) as info:
                reader.exec_driver_sql("INSERT INTO t VALUES (2)")
            assert "uncommitted" in str(info.value)
    finally:
        eng.dispose()


@pytest.mark.postgresql_only
def test_lost_server_connection_is_invalidated_and_replaced(engine: Any) -> None:
    with engine.connect() as victim:
        pid = victim.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        victim.commit()
        with engine.connect() as killer:
            killer.exec_driver_sql("SELECT pg_terminate_backend(%s)", (pid,))
            killer.commit()
        with pytest.raises(exc.OperationalError):
            victim.exec_driver_sql("SELECT 1")
        assert victim.invalidated
        with pytest.raises(exc.PendingRollbackError):
            victim.exec_driver_sql("SELECT 1")
        victim.rollback()  # reconnects
        assert victim.exec_driver_sql("SELECT 1").scalar() == 1
        assert victim.exec_driver_sql("SELECT pg_backend_pid()").scalar() != pid
    assert engine.pool.checkedout() == 0


@pytest.mark.postgresql_only
def test_pre_ping_replaces_a_connection_the_server_dropped(pg_url: str, _pg_admin: Any) -> None:
    eng = create_engine(pg_url, pool_pre_ping=True)
    try:
        with eng.connect() as conn:
            pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
            pooled = conn.connection
        _pg_admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        with eng.connect() as conn:  # the pooled connection is dead; pre-ping notices
            assert conn.connection is not pooled
            assert conn.exec_driver_sql("SELECT 1").scalar() == 1
    finally:
        eng.dispose()


def test_raw_connection_returns_to_the_pool_on_close(engine: Any) -> None:
    raw = engine.raw_connection()
    assert engine.pool.checkedout() == 1
    cursor = raw.cursor()
    cursor.execute("SELECT 1")
    assert cursor.fetchone()[0] == 1
    cursor.close()
    raw.close()
    assert engine.pool.checkedout() == 0 and engine.pool.checkedin() == 1


def test_connection_open_across_dispose_goes_back_to_its_own_pool(db_url: str) -> None:
    eng = create_engine(db_url)
    try:
        conn = eng.connect()
        old_pool = eng.pool
        eng.dispose()
        assert eng.pool is not old_pool
        assert conn.exec_driver_sql("SELECT 1").scalar() == 1
        conn.close()
        assert eng.pool.checkedout() == 0 and eng.pool.checkedin() == 0
        assert old_pool.checkedout() == 0 and old_pool.checkedin() == 0  # closed, not kept
    finally:
        eng.dispose()


def test_forgotten_connections_return_to_the_pool(db_url: str) -> None:
    import gc

    eng = create_engine(db_url, pool_size=1, max_overflow=0, pool_timeout=1)
    try:
        for _ in range(3):
            # never closed: each is collected and its connection returned, rolled back
            eng.connect().exec_driver_sql("SELECT 1").scalar()
            gc.collect()
        assert eng.pool.checkedout() == 0
        with eng.connect() as conn:
            assert conn.exec_driver_sql("SELECT 2").scalar() == 2
    finally:
        eng.dispose()


def test_pool_recycle_replaces_old_connections(db_url: str) -> None:
    import time

    eng = create_engine(db_url, pool_recycle=0.05)
    try:
        with eng.connect() as conn:
            first = conn.connection
        time.sleep(0.1)
        with eng.connect() as conn:
            assert conn.connection is not first
            assert conn.exec_driver_sql("SELECT 1").scalar() == 1
        assert eng.pool.checkedin() == 1
    finally:
        eng.dispose()


# The common checkout and return take no lock (see Pool's docstring). What another thread
# may do between a lock-free step's look and its act is staged below with an idle deque
# whose look or act runs that thread's step first.
class _StagedDeque(collections.deque):  # type: ignore[type-arg]
    before_append: Any = None
    empty_pop: Any = None

    def append(self, conn: Any) -> None:
        step, self.before_append = self.before_append, None
        if step is not None:
            step()
        super().append(conn)

    def pop(self) -> Any:
        if not self and self.empty_pop is not None:
            self.empty_pop()  # (it may return a connection: found by the next look)
            raise IndexError("pop from an empty deque")
        return super().pop()


def _staged_pool(db_url: str, **kw: Any) -> tuple[Any, Any, list[Any]]:
    eng = create_engine(db_url, **kw)
    pool = eng.pool
    pool._idle = _StagedDeque()
    closed: list[Any] = []
    real_close = pool._close

    def recording_close(conn: Any) -> None:
        closed.append(conn)
        real_close(conn)

    pool._close = recording_close
    return eng, pool, closed


def test_returns_racing_past_pool_size_close_the_least_recently_used(db_url: str) -> None:
    eng, pool, closed = _staged_pool(db_url, pool_size=1, max_overflow=1)
    try:
        a, b = pool.connect(), pool.connect()
        assert pool.checkedout() == 2
        # b's return saw room (the pool empty), then a's return went first
        pool._idle.before_append = lambda: pool._idle.append(a)
        assert pool.end(b, False)
        assert closed == [a] and list(pool._idle) == [b]
        assert pool.checkedout() == 0 and pool.checkedin() == 1
        assert pool.connect() is b
        pool.end(b, None)
    finally:
        eng.dispose()
    assert closed == [a, b] and pool.checkedout() == 0


def test_a_dispose_racing_a_return_closes_the_returned_connection(db_url: str) -> None:
    eng, pool, closed = _staged_pool(db_url, pool_size=2)
    a, b = pool.connect(), pool.connect()
    pool.end(a, False)
    pool._idle.before_append = pool.dispose  # b's return saw the pool not disposed yet
    assert pool.end(b, False)
    assert sorted(map(id, closed)) == sorted(map(id, (a, b)))
    assert pool.checkedin() == 0 and pool.checkedout() == 0
    with pytest.raises(exc.InvalidRequestError, match="disposed"):
        pool.connect()


def test_a_checkout_sees_a_return_that_came_before_it_waited(db_url: str) -> None:
    # The return lands after the waiting checkout found nothing idle and before it counted
    # itself as waiting, so the return notifies nobody: the checkout looks again.
    eng, pool, closed = _staged_pool(db_url, pool_size=1, max_overflow=0, pool_timeout=5)
    try:
        held = pool.connect()
        looks: list[str] = []

        def look_then_maybe_return() -> None:
            looks.append("empty")
            if len(looks) == 2:  # the locked look (the first is the lock-free one)
                pool._idle.empty_pop = None
                assert pool.end(held, False) and pool._waiting == 0  # nobody notified

        def no_wait(timeout: float) -> bool:
            raise AssertionError("waited though a connection was idle")

        pool._idle.empty_pop = look_then_maybe_return
        pool._available.wait = no_wait
        assert pool.connect() is held
        assert looks == ["empty", "empty"] and pool.checkedout() == 1 and not closed
        pool.end(held, False)
    finally:
        eng.dispose()
