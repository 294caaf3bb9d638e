"""The transaction a :class:`~tether.orm.session.Session` is in, as the application sees it
(``session.begin()``, ``session.get_transaction()``, ``session.begin_nested()``).

The session keeps the database side (its Connection's transaction or a lease,
``tether.engine.lease``) and asks this object only to commit or roll back through it; a
session that began its transaction on a lease makes this object only when asked for it.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tether.orm.session import Session

__all__ = ["SessionTransaction"]


class SessionTransaction:
    """The transaction a session is in; a context manager for ``with session.begin():``.

    A nested one (``session.begin_nested()``) stands for a SAVEPOINT: committing it releases
    the savepoint, rolling it back undoes only what happened since it began.
    """

    # A savepoint sets these; the root transaction (one per session) keeps the defaults.
    _savepoint: Any = None
    _inserted_before: AbstractSet[Any] = frozenset()
    _deleted_before: AbstractSet[Any] = frozenset()
    _closed = False

    def __init__(self, session: Session, nested: bool = False) -> None:
        self.session = session
        self.nested = nested

    def __enter__(self) -> SessionTransaction:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if self._ended:
            return
        if exc_type is None:
            try:
                self.commit()
            except BaseException:
                self.rollback()
                raise
        else:
            self.rollback()

    @property
    def _ended(self) -> bool:
        # A savepoint ends once; the root transaction when it stops being the session's.
        return self._closed if self.nested else self.session._transaction is not self

    @property
    def is_active(self) -> bool:
        return not self._ended and self.session._failed is None

    def commit(self) -> None:
        if self.nested:
            self.session._release_savepoint(self)
        else:
            self.session.commit()

    def rollback(self) -> None:
        if self.nested:
            self.session._rollback_savepoint(self)
        else:
            self.session.rollback()
