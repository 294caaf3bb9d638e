"""A lease: the pooled DB-API connection of a Session's transaction while the session has
needed no :class:`~tether.engine.base.Connection` object yet.

A session whose transaction has so far run only the ORM's own primary-key reads
(``Session.get``) needs nothing a Connection adds: it checks the DB-API connection out of
the pool and begins the transaction exactly as ``engine.connect().begin()`` would, and runs
the compiled SELECT on it directly. The first use that needs more (a Core or text
statement, a flush, ``session.connection()``, a savepoint, a driver error to wrap) turns the
lease into a Connection in the same transaction on the same DB-API connection
(:func:`adopt`). Ending the transaction ends it as the Connection would: ROLLBACK or COMMIT,
then back to the pool with nothing left to reset, in one call of the pool
(``pool.end(dbapi_connection, commit)``, which returns False, the connection still
checked out, when the driver failed: the session then ends it through :func:`adopt`, so
the error is wrapped and a dead connection invalidated).

A lease is a tuple ``(engine, pool, dbapi_connection)``: the pool it came from gets it back
even if the engine is disposed meanwhile. It is taken only when nothing observes the
Connection: no engine logging (``echo`` or the ``tether.engine`` logger at INFO, which
shows BEGIN and ROLLBACK) and no connection options (``engine.execution_options``);
otherwise the session makes a Connection from the start, as before.
"""

from __future__ import annotations

from sys import modules as _modules
from typing import Any

from tether.engine.base import Connection, _compiled_meta, _release_forgotten, log
from tether.util.log import INFO

__all__ = ["adopt", "first_row", "release_forgotten", "take"]

_INFO = INFO


def take(engine: Any) -> tuple[Any, Any, Any] | None:
    """A lease on ``engine``'s pool in a begun transaction, or None where a Connection is
    needed (logging on, connection options, or a BEGIN that failed; the Connection then
    raises the error as usual). Raises what ``engine.connect()`` raises when the pool
    cannot give a connection."""
    # Until a program imports logging no logger can be enabled (tether.util.log): tested
    # here first, which spares the logger's call for each session of a program without it.
    if engine._echo_level or engine._connection_options or (
            "logging" in _modules and log.isEnabledFor(_INFO)):
        return None
    pool = engine.pool
    try:
        dbapi = pool.connect(True)  # checked out and begun (the dialect's do_begin)
    except Exception as error:
        wrapped = engine._checkout_error(error)
        if wrapped is error:
            raise
        raise wrapped from error
    return None if dbapi is None else (engine, pool, dbapi)


def first_row(leased: tuple[Any, Any, Any], compiled: Any, args: tuple[Any, ...]) -> Any:
    """The first row of the compiled SELECT ``compiled`` run with DB-API ``args``, result
    processors applied (as ``Connection._rows`` does to each row), or None when it returns
    none. ``Session.get`` reads at most one row by primary key; fetching one rather than
    all spares the driver stepping the statement to its end. A driver error propagates
    unwrapped: the caller adopts the lease and wraps it with the Connection (which may
    invalidate it)."""
    # The cursor is dropped, hence closed, on this line (no close() call of its own).
    row = leased[2].execute(compiled.string, args).fetchone()
    if row is None:
        return None
    meta = compiled._row_template or _compiled_meta(compiled)
    return meta.make_row(row) if meta.processes else row


def adopt(leased: tuple[Any, Any, Any]) -> Connection:
    """A Connection that takes over the lease and its begun transaction."""
    return Connection(leased[0], (leased[1], leased[2]))


def release_forgotten(leased: tuple[Any, Any, Any]) -> None:
    """Give back the connection of a session garbage-collected without ``close()``."""
    _release_forgotten(leased[1], leased[2])
