"""``scoped_session``: one Session per thread (or per any scope function), reached through
a proxy that forwards the Session API to the current scope's session."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from tether.exc import InvalidRequestError

__all__ = ["scoped_session"]

_PROXIED = (
    "add", "add_all", "begin", "begin_nested", "close", "commit", "connection", "delete",
    "execute", "expire", "expire_all", "expunge", "expunge_all", "flush", "get", "get_one",
    "is_modified", "merge", "query", "refresh", "rollback", "scalar", "scalars",
    "in_transaction", "get_bind", "reset",
)
_PROXIED_ATTRS = (
    "bind", "dirty", "deleted", "new", "identity_map", "is_active", "autoflush",
    "no_autoflush", "info",
)


class scoped_session:  # noqa: N801 - the name users import
    """``Session = scoped_session(sessionmaker(bind=engine))``; ``Session()`` returns this
    thread's session, ``Session.add(...)`` uses it, ``Session.remove()`` closes it."""

    def __init__(self, session_factory: Callable[..., Any],
                 scopefunc: Callable[[], Any] | None = None) -> None:
        self.session_factory = session_factory
        self._scopefunc = scopefunc
        self._local = threading.local()
        self._by_scope: dict[Any, Any] = {}

    def _get(self) -> Any:
        if self._scopefunc is not None:
            return self._by_scope.get(self._scopefunc())
        return getattr(self._local, "session", None)

    def _set(self, session: Any) -> None:
        if self._scopefunc is not None:
            if session is None:
                self._by_scope.pop(self._scopefunc(), None)
            else:
                self._by_scope[self._scopefunc()] = session
        else:
            self._local.session = session

    def __call__(self, **kw: Any) -> Any:
        session = self._get()
        if session is None:
            session = self.session_factory(**kw)
            self._set(session)
        elif kw:
            raise InvalidRequestError(
                "scoped session already has a session for this scope; call remove() before "
                "creating one with new arguments"
            )
        return session

    @property
    def registry(self) -> Callable[[], Any]:
        return self

    def has(self) -> bool:
        return self._get() is not None

    def remove(self) -> None:
        """Close this scope's session and forget it."""
        session = self._get()
        if session is not None:
            session.close()
        self._set(None)

    def configure(self, **kw: Any) -> None:
        configure = getattr(self.session_factory, "configure", None)
        if configure is None:
            raise InvalidRequestError("the session factory has no configure()")
        configure(**kw)

    def query_property(self, query_cls: Any = None) -> Any:
        """A class attribute giving ``Model.query`` -> a Query of that class in this scope."""
        owner_session = self

        class _QueryProperty:
            def __get__(self, obj: Any, cls: Any) -> Any:
                return owner_session().query(cls)

        return _QueryProperty()


def _proxy(name: str) -> Any:
    def method(self: scoped_session, *args: Any, **kw: Any) -> Any:
        return getattr(self(), name)(*args, **kw)

    method.__name__ = name
    return method


def _attr(name: str) -> Any:
    return property(lambda self: getattr(self(), name))


for _name in _PROXIED:
    setattr(scoped_session, _name, _proxy(_name))
for _name in _PROXIED_ATTRS:
    setattr(scoped_session, _name, _attr(_name))
