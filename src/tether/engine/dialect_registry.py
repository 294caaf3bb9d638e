"""Which Dialect serves a URL: ``backend+driver`` names mapped to the module and class that
implement them, imported on first use (so ``import tether`` imports no database driver).
"""

from __future__ import annotations

import importlib
from typing import Any

from tether import exc

__all__ = ["load_dialect_class", "registry"]

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
