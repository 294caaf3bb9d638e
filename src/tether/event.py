"""``from tether import event``: functions called when something happens to an engine, its
pool, or a session, as SQLAlchemy's ``event`` module offers them.

    @event.listens_for(Engine, "connect")
    def sqlite_pragmas(dbapi_connection, connection_record):
        dbapi_connection.execute("PRAGMA journal_mode=WAL")

Targets and their events:

* an Engine (or the ``Engine`` class for every engine, or its ``pool``): ``connect`` and
  ``first_connect`` (a new DB-API connection), ``checkout`` and ``checkin``;
* a Session, the ``Session`` class, or a ``sessionmaker``: ``before_flush``,
  ``after_flush``, ``after_flush_postexec``, ``before_commit``, ``after_commit``,
  ``after_rollback``;
* a mapped class, its mapper, or the ``Mapper`` class for every class: ``before_insert``,
  ``after_insert``, ``before_update``, ``after_update``, ``before_delete``,
  ``after_delete`` (``fn(mapper, connection, target)``, once per object during the
  flush; values a ``before_*`` listener sets are written).

Any other event is refused with an error listing these. ``listen(..., once=True)``,
``insert=True`` and ``named=True`` work as in SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tether.util import events as _registry

__all__ = ["contains", "listen", "listens_for", "remove"]


def listen(target: Any, identifier: str, fn: Callable[..., Any], *args: Any, **kw: Any) -> None:
    """Call ``fn`` on each ``identifier`` event of ``target``."""
    _registry.listen(target, identifier, fn, *args, **kw)


def listens_for(target: Any, identifier: str, *args: Any,
                **kw: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator form of :func:`listen`."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        _registry.listen(target, identifier, fn, *args, **kw)
        return fn

    return decorate


def remove(target: Any, identifier: str, fn: Callable[..., Any]) -> None:
    """Stop calling ``fn``."""
    _registry.remove(target, identifier, fn)


def contains(target: Any, identifier: str, fn: Callable[..., Any]) -> bool:
    """Whether ``fn`` listens to ``identifier`` events of ``target``."""
    return _registry.contains(target, identifier, fn)
