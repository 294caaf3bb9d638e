"""The dialects, and the driver-error translation that both share: DB-API exception
classes carry the standard names (``IntegrityError``, ...), so a driver error becomes the
``tether.exc`` class of the same name. Which dialect serves a URL is decided by the engine's
registry (``tether.engine.dialect_registry``), which imports a dialect module only when a URL
asks for it, so ``import tether`` never imports a database driver.
"""

from __future__ import annotations

from tether import exc
from tether.engine.dialect_registry import load_dialect_class, registry

__all__ = ["registry", "load_dialect_class", "dbapi_error_class"]


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
