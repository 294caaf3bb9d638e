"""The connection pool: a thread-safe store of open DB-API connections for one engine.

Up to ``pool_size`` idle connections are kept; ``max_overflow`` more may be open at once and
are closed when returned; past that, a checkout waits up to ``pool_timeout`` seconds and then
raises :class:`PoolTimeoutError`. Returned connections are rolled back first, so a
connection never carries a transaction into its next use. Connections are reused
last-in-first-out, which keeps a small set warm.

For a database that exists only while a connection to it is open (SQLite in memory) the pool
holds one extra connection for its whole life, so the database outlives any single checkout.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from tether import exc
from tether.util import events
from tether.util.log import INFO, Logger

__all__ = ["ConnectionRecord", "Pool", "PoolTimeoutError"]

log = Logger("tether.pool")


class PoolTimeoutError(exc.TetherError):
    """No connection became free within ``pool_timeout`` seconds."""


# SQLAlchemy programs catch ``exc.TimeoutError``; use the lead's class when exc.py has one.
_Timeout: type[Exception] = getattr(exc, "TimeoutError", PoolTimeoutError)


class ConnectionRecord:
    """What pool event listeners get as ``connection_record``: the DB-API connection and an
    ``info`` dict that stays with it for its whole life in the pool."""

    __slots__ = ("dbapi_connection", "info")

    def __init__(self, dbapi_connection: Any) -> None:
        self.dbapi_connection = dbapi_connection
        self.info: dict[Any, Any] = {}

    @property
    def driver_connection(self) -> Any:
        return self.dbapi_connection


class Pool:
    """A bounded LIFO pool of DB-API connections made by ``creator``.

    The common checkout (an idle connection, no age limit) and return (room among the
    idle) take no lock: each is one ``deque.pop`` / ``deque.append``, a single step that
    no other thread interleaves with. That holds because the count the limits read is
    ``_open``, connections open or reserved (checked out = ``_open`` minus the idle),
    which only opening and closing change, under the lock. What a lock-free step may
    leave behind is put right under the lock right after it (``_settle``): a return that
    raced another past ``pool_size`` idle, or a dispose; a waiting checkout counts itself
    in ``_waiting`` before its last look at the idle, so a return either sees the waiter
    (and notifies it under the lock) or is seen by it.
    """

    def __init__(
        self,
        creator: Callable[[], Any],
        dialect: Any,
        pool_size: int = 5,
        max_overflow: int = 10,
        timeout: float = 30.0,
        pre_ping: bool = False,
        recycle: float = -1,
        keep_alive: bool = False,
        echo: bool = False,
    ) -> None:
        if pool_size < 0 or (max_overflow < 0 and max_overflow != -1):
            raise exc.ArgumentError("pool_size and max_overflow must not be negative")
        self._creator = creator
        self._dialect = dialect
        self.size = pool_size
        #: -1 means no limit on connections past ``pool_size``.
        self.max_overflow = max_overflow
        self.timeout = timeout
        self.pre_ping = pre_ping
        self.recycle = recycle
        self.echo = echo
        self._lock = threading.Lock()
        self._available = threading.Condition(self._lock)
        # a deque: a list emptied and refilled by every checkout and return of one
        # connection reallocates its storage each time
        self._idle: deque[Any] = deque()
        #: id(connection) -> when it was opened, for pool_recycle.
        self._opened_at: dict[int, float] = {}
        #: connections open, or reserved to be opened, other than the keep-alive one
        self._open = 0
        #: Threads waiting in a checkout; returns notify only when there are some
        #: (Condition.notify costs a lock probe even with nobody waiting).
        self._waiting = 0
        self._disposed = False
        #: the engine this pool serves (set by create_engine): its listeners hear the
        #: pool's events (``event.listen(engine, "connect", ...)``)
        self._owner: Any = None
        #: id(connection) -> ConnectionRecord, made for event listeners only
        self._records: dict[int, ConnectionRecord] = {}
        self._first_connect_done = False
        self._keeper: Any = None
        if keep_alive:
            self._keeper = self._create()

    # --- public ----------------------------------------------------------------------
    def connect(self, begin: bool = False) -> Any:
        """Check out a DB-API connection; raises PoolTimeoutError when none frees in time.

        ``begin``: also begin a transaction on it through the dialect (``do_begin``, not
        called when the dialect declares it does nothing, ``begin_deferred``), for a
        session's lease, which checks out and begins once per session; None (the
        connection given back) when that fails."""
        conn = None
        if self.recycle < 0:
            # The common case, an idle connection and no age limit, without _checkout
            # and without the lock (see the class docstring); checkout and return run once
            # per session.
            if not self._disposed:
                try:
                    conn = self._idle.pop()
                except IndexError:
                    pass
            if conn is not None and self.pre_ping and not self._dialect.do_ping(conn):
                self._log("connection failed pre-ping; replacing it")
                self._discard(conn)
                conn = self._replace_after_discard()
        if conn is None:
            conn, fresh = self._checkout()
            if self.pre_ping and not fresh and not self._dialect.do_ping(conn):
                self._log("connection failed pre-ping; replacing it")
                self._discard(conn)
                conn = self._replace_after_discard()
        if events.active:
            self._fire("checkout", conn, None)
        if begin and not self._dialect.begin_deferred:
            try:
                self._dialect.do_begin(conn)
            except Exception:
                self.release(conn)
                return None
        return conn

    def release(self, conn: Any, reset: bool = True) -> None:
        """Give a connection back. It is rolled back first; a connection that cannot roll
        back is closed instead of being reused."""
        if not self.end(conn, False if reset else None):
            self._log("rollback on return failed; closing the connection")
            self.invalidate(conn)

    def end(self, conn: Any, commit: bool | None) -> bool:
        """End the transaction of checked-out ``conn`` through the dialect (``do_commit``
        when ``commit`` is true, ``do_rollback`` when false, neither when None) and give
        the connection back. False, with the connection still checked out, when the driver
        failed: the caller decides what the error means (``release`` closes it; a session's
        lease ends it through a Connection, which wraps the error)."""
        if commit is not None:
            try:
                if commit:
                    self._dialect.do_commit(conn)
                else:
                    self._dialect.do_rollback(conn)
            except Exception:
                return False
        if events.active:
            self._fire("checkin", conn)
        idle = self._idle
        if not self._disposed and len(idle) < self.size:
            idle.append(conn)  # without the lock (see the class docstring)
            if self._waiting or self._disposed or len(idle) > self.size:
                self._settle()
            return True
        with self._lock:
            self._forget((conn,))
            if self._waiting:
                self._available.notify()
        self._close(conn)
        return True

    def _settle(self) -> None:
        """After a return without the lock: wake a waiting checkout, and close the idle
        connections past ``pool_size`` (returns that raced each other) or all of them (a
        dispose that raced the return)."""
        idle = self._idle
        extra: list[Any] = []
        with self._lock:
            try:
                while self._disposed and idle or len(idle) > self.size:
                    extra.append(idle.popleft())  # the least recently used
            except IndexError:  # a checkout took the last one meanwhile
                pass
            self._forget(extra)
            if self._waiting:
                self._available.notify(len(extra) + 1)
        for conn in extra:
            self._close(conn)

    def _forget(self, conns: Sequence[Any]) -> None:
        """Count ``conns``, about to be closed, out of ``_open`` (with the lock held)."""
        self._open -= len(conns)
        for conn in conns:
            self._opened_at.pop(id(conn), None)

    def invalidate(self, conn: Any) -> None:
        """Close a checked-out connection that must not be reused (it lost its server)."""
        with self._lock:
            self._forget((conn,))
            self._available.notify()
        self._close(conn)

    def dispose(self) -> None:
        """Close every idle connection and the keep-alive connection. Connections checked
        out now are closed when they come back."""
        idle: list[Any] = []
        with self._lock:
            keeper, self._keeper = self._keeper, None
            self._disposed = True
            try:  # one pop at a time: a checkout may pop too (without the lock)
                while True:
                    idle.append(self._idle.pop())
            except IndexError:
                pass
            self._forget(idle)
        for conn in idle:
            self._close(conn)
        if keeper is not None:
            self._close(keeper)

    def status(self) -> str:
        with self._lock:
            return (
                f"Pool size: {self.size}  Connections in pool: {len(self._idle)} "
                f"Current checked out connections: {self._open - len(self._idle)}"
            )

    def checkedout(self) -> int:
        return self._open - len(self._idle)

    def checkedin(self) -> int:
        return len(self._idle)

    # --- internals -------------------------------------------------------------------
    def _limit(self) -> int | None:
        return None if self.max_overflow == -1 else self.size + self.max_overflow

    def _checkout(self) -> tuple[Any, bool]:
        """A connection and whether it was opened just now."""
        deadline = None
        with self._lock:
            if self._disposed:
                raise exc.InvalidRequestError("This engine's pool was disposed")
            while True:
                try:
                    conn = self._idle.pop()
                except IndexError:
                    conn = None
                if conn is not None:
                    opened = self._opened_at.get(id(conn))
                    break
                limit = self._limit()
                if limit is None or self._open < limit:
                    # Reserve the slot now and open the connection outside the lock, so a
                    # slow connect does not block other threads' returns.
                    self._open += 1
                    conn = None
                    break
                if deadline is None:
                    deadline = time.monotonic() + self.timeout
                remaining = deadline - time.monotonic()
                woken = False
                if remaining > 0:
                    self._waiting += 1
                    try:
                        # returns take no lock: one that did not see this waiter counted
                        # appended before this look (see the class docstring)
                        if self._idle:
                            continue
                        woken = self._available.wait(remaining)
                    finally:
                        self._waiting -= 1
                if not woken:
                    if self._idle or (limit is not None and self._open < limit):
                        continue
                    raise _Timeout(
                        f"All {limit} connections of the pool (pool_size={self.size}, "
                        f"max_overflow={self.max_overflow}) stayed checked out for "
                        f"{self.timeout} seconds. Close connections and sessions when done "
                        "with them, or raise pool_size / max_overflow."
                    )
        if conn is None:
            try:
                return self._create(), True
            except BaseException:
                with self._lock:
                    self._open -= 1
                    self._available.notify()
                raise
        if self.recycle >= 0 and opened is not None and time.monotonic() - opened > self.recycle:
            self._log("recycling a connection older than pool_recycle")
            self._discard(conn)
            return self._replace_after_discard(), True
        return conn, False

    def _discard(self, conn: Any) -> None:
        """Close a connection while keeping its checked-out slot for a replacement."""
        with self._lock:
            self._opened_at.pop(id(conn), None)
        self._close(conn)

    def _replace_after_discard(self) -> Any:
        try:
            return self._create()
        except BaseException:
            with self._lock:
                self._open -= 1
                self._available.notify()
            raise

    def _create(self) -> Any:
        conn = self._creator()
        with self._lock:
            self._opened_at[id(conn)] = time.monotonic()
        self._log("created a new connection")
        if events.active:
            if not self._first_connect_done:
                self._first_connect_done = True
                self._fire("first_connect", conn)
            self._fire("connect", conn)
        return conn

    def _fire(self, identifier: str, conn: Any, *extra: Any) -> None:
        """Run the listeners of the pool, its classes and its engine for one event."""
        targets = events.class_targets(self)
        if self._owner is not None:
            targets += events.class_targets(self._owner)
        fns = events.listeners(targets, identifier)
        if fns:
            record = self._records.get(id(conn))
            if record is None or record.dbapi_connection is not conn:
                record = self._records[id(conn)] = ConnectionRecord(conn)
            for fn in fns:
                fn(conn, record, *extra)

    def _close(self, conn: Any) -> None:
        self._records.pop(id(conn), None)
        try:
            self._dialect.do_close(conn)
        except Exception:  # closing a broken connection may fail; it is gone either way
            pass
        self._log("closed a connection")

    def _log(self, message: str) -> None:
        # echo_pool shows pool events whatever the logger's level (like echo for engines).
        if self.echo or log.isEnabledFor(INFO):
            log._log(INFO, "%s (%s)", (message, self.status()))
