"""The dialect registry: which :class:`~tether.engine.interfaces.Dialect` serves a URL.

Dialect modules are imported only when a URL asks for them, so ``import tether`` never
imports a database driver. Also holds the driver-error translation that both dialects share:
DB-API exception classes carry the standard names (``IntegrityError``, ...), so a driver
error becomes the ``tether.exc`` class of the same name.
"""

from __future__ import annotations

import importlib
from typing import Any

from tether import exc

__all__ = ["registry", "load_dialect_class", "dbapi_error_class"]

#: ``backend+driver`` -> ``(module, class name)``. A bare backend name means its default
#: driver. ``postgresql+psycopg2`` is accepted so programs written for SQLAlchemy's default
#: PostgreSQL URL run unchanged; tether always talks to PostgreSQL through psycopg 3.
registry: dict[str, tuple[str, str]] = {
    "sqlite": ("tether.dialects.sqlite", "SQLiteDialect"),
    "sqlite+pysqlite": ("tether.dialects.sqlite", "SQLiteDialect"),
    "postgresql": ("tether.dialects.postgresql", "PGDialect"),
    "postgresql+psycopg": ("tether.dialects.postgresql", "PGDialect"),
    "postgresql+psycopg2": ("tether.dialects.postgresql", "PGDialect"),
}

_HINTS = {
    "postgres": "write 'postgresql://' instead of 'postgres://'",
    "sqlite3": "write 'sqlite:///path.db' (or 'sqlite://' for an in-memory database)",
}


def load_dialect_class(drivername: str) -> type[Any]:
    """The Dialect class for a URL's ``drivername``; raises NoSuchModuleError if unknown."""
    entry = registry.get(drivername)
    if entry is None:
        backend = drivername.split("+", 1)[0]
        hint = _HINTS.get(backend)
        known = ", ".join(sorted(registry))
        message = f"tether has no dialect for {drivername + '://'!r}; it knows: {known}."
        if hint:
            message += f" Did you mean: {hint}?"
        raise exc.NoSuchModuleError(message)
    module_name, class_name = entry
    module = importlib.import_module(module_name)
    return getattr(module, class_name)  # type: ignore[no-any-return]


# Most specific first: a driver class may inherit from several DB-API classes.
_DBAPI_NAMES = (
    "IntegrityError",
    "DataError",
    "ProgrammingError",
    "OperationalError",
    "NotSupportedError",
    "InternalError",
    "DatabaseError",
    "InterfaceError",
)


def dbapi_error_class(error: BaseException) -> type[exc.DBAPIError]:
    """The ``tether.exc`` class standing for a DB-API ``error``, found by class name."""
    names = {cls.__name__ for cls in type(error).__mro__}
    for name in _DBAPI_NAMES:
        if name in names:
            return getattr(exc, name)  # type: ignore[no-any-return]
    return exc.DBAPIError
