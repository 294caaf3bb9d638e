"""``create_engine``: from a URL and options to an :class:`~tether.engine.base.Engine`.

Also owns the ``echo`` logging set-up: ``echo=True`` makes the ``tether.engine`` logger
show INFO (statements and parameters) and, if nobody configured a handler for it, prints to
stdout; ``echo="debug"`` shows result rows too.
"""

from __future__ import annotations

import sys
from typing import Any

from tether import exc
from tether.engine.base import Engine
from tether.engine.dialect_registry import load_dialect_class
from tether.engine.pool import Pool
from tether.engine.url import URL, make_url
from tether.util import events

__all__ = ["create_engine", "configure_echo"]

_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"

# SQLAlchemy create_engine() arguments that tether accepts and does not need: programs
# passing them keep working. (``poolclass=StaticPool`` for an in-memory SQLite database is
# the common one; tether's memory database is shared by all connections anyway.)
_ACCEPTED_AND_IGNORED = frozenset(
    {
        "poolclass",
        "pool_use_lifo",
        "pool_reset_on_return",
        "pool_logging_name",
        "logging_name",
        "query_cache_size",
        "implicit_returning",
        "executemany_mode",
        "insertmanyvalues_page_size",
        "use_insertmanyvalues",
        "label_length",
        "json_serializer",
        "json_deserializer",
        "plugins",
        "enable_from_linting",
        "module",
    }
)

def configure_echo(name: str, echo: bool | str | None) -> None:
    """Prepare the logger ``name`` for ``echo``: validate the value and, when echo is on,
    add a stdout handler if the logger has none (importing ``logging`` only then). Which records an engine emits is decided per
    engine (``Connection._logs``), so one echoing engine does not make others echo."""
    if echo in (None, False):
        return
    if echo not in (True, "debug"):
        raise exc.ArgumentError(f"echo must be True, False or 'debug', not {echo!r}")
    import logging

    logger = logging.getLogger(name)
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter(_FORMAT))
        logger.addHandler(handler)


def create_engine(
    url: str | URL,
    *,
    echo: bool | str = False,
    echo_pool: bool | str = False,
    connect_args: dict[str, Any] | None = None,
    pool_size: int = 5,
    max_overflow: int = 10,
    pool_timeout: float = 30.0,
    pool_pre_ping: bool = False,
    pool_recycle: float = -1,
    future: bool = True,
    sqlite_enforce_foreign_keys: bool = True,
    sqlite_attach: dict[str, str] | None = None,
    isolation_level: str | None = None,
    hide_parameters: bool = False,
    execution_options: dict[str, Any] | None = None,
    **kw: Any,
) -> Engine:
    """Make an Engine for ``url`` (``sqlite:///file.db``, ``sqlite://``,
    ``postgresql://user@host/db``, ``postgresql+psycopg://...``).

    SQLite options: ``sqlite_enforce_foreign_keys`` (default True: ``PRAGMA
    foreign_keys=ON`` on every connection) and ``sqlite_attach={"schema": "path.db" or
    ":memory:"}``, which attaches databases on every connection so that tables with
    ``schema="schema"`` work. ``isolation_level`` (e.g. ``"AUTOCOMMIT"``,
    ``"SERIALIZABLE"``) applies to every connection; ``hide_parameters`` keeps parameter
    values out of logs and errors.

    No connection is opened until the first ``connect()`` (except for an in-memory SQLite
    database, which is created at once). Raises ArgumentError for a malformed URL or an
    unknown option and NoSuchModuleError for a database tether does not support.
    """
    u = make_url(url)
    unknown = sorted(set(kw) - _ACCEPTED_AND_IGNORED)
    if unknown:
        raise exc.ArgumentError(
            f"create_engine() got unknown option(s) {', '.join(map(repr, unknown))} for "
            f"{u.get_backend_name()!r}."
        )
    if future is not True:
        raise exc.ArgumentError("tether only has the 2.x ('future') engine; leave future=True.")
    dialect_cls = load_dialect_class(u.drivername)
    dialect_kwargs: dict[str, Any] = {}
    if u.get_backend_name() == "sqlite":
        dialect_kwargs["sqlite_enforce_foreign_keys"] = sqlite_enforce_foreign_keys
        dialect_kwargs["sqlite_attach"] = sqlite_attach
    elif sqlite_enforce_foreign_keys is not True or sqlite_attach:
        raise exc.ArgumentError(
            "sqlite_enforce_foreign_keys and sqlite_attach apply only to sqlite:// URLs."
        )
    dialect = dialect_cls(**dialect_kwargs)
    args = dict(connect_args or {})

    if isolation_level is not None:
        level = isolation_level.upper().replace("_", " ")
        if level not in dialect.isolation_levels:
            raise exc.ArgumentError(
                f"{dialect.name} has no isolation level {isolation_level!r}; use one of "
                f"{', '.join(sorted(dialect.isolation_levels))}."
            )

    def creator() -> Any:
        conn = dialect.connect(u, **args)
        if isolation_level is not None:
            dialect.set_isolation_level(conn, isolation_level)
        return conn

    keep_alive = dialect.keeps_database_alive(u)
    configure_echo("tether.pool", echo_pool)

    def make_pool() -> Pool:
        return Pool(
            creator,
            dialect,
            pool_size=pool_size,
            max_overflow=max_overflow,
            timeout=pool_timeout,
            pre_ping=pool_pre_ping,
            recycle=pool_recycle,
            keep_alive=keep_alive,
            echo=bool(echo_pool),
        )

    owner: list[Any] = []

    def pool_factory() -> Pool:
        pool = make_pool()
        pool._owner = owner[0] if owner else None
        return pool

    engine = Engine(u, dialect, pool_factory, echo=echo, hide_parameters=hide_parameters)
    owner.append(engine)
    engine.pool._owner = engine
    if execution_options:
        engine._connection_options = dict(execution_options)
    return engine


events.declare((Engine, Pool), ("connect", "first_connect", "checkout", "checkin"),
               "engine and pool")
