"""Working with sessions from outside: the ``sessionmaker`` factory, and the functions
that move one object between sessions' states (``object_session``, ``make_transient``,
``make_transient_to_detached``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tether.exc import InvalidRequestError
from tether.orm.session import Session
from tether.orm.state import DETACHED_EXPUNGED, STATE_KEY, instance_state
from tether.util import events


class sessionmaker:  # noqa: N801 - the name users import
    """A factory of sessions with fixed options: ``Session = sessionmaker(bind=engine)``."""

    def __init__(self, bind: Any = None, *, class_: type[Session] = Session, autoflush: bool = True,
                 expire_on_commit: bool = True, info: dict[str, Any] | None = None,
                 **kw: Any) -> None:
        self.class_ = class_
        self.kw: dict[str, Any] = dict(
            bind=bind, autoflush=autoflush, expire_on_commit=expire_on_commit, **kw
        )
        if info:
            self.kw["info"] = info

    def __call__(self, **local_kw: Any) -> Session:
        kw = dict(self.kw)
        kw.update(local_kw)
        session = self.class_(**kw)
        session._tether_maker = self  # its session events reach listeners on this factory
        return session

    @contextmanager
    def begin(self) -> Iterator[Session]:
        """``with Session.begin() as s:`` — commit at the end (rollback on error), then close."""
        with self() as session, session.begin():
            yield session

    def configure(self, **kw: Any) -> None:
        self.kw.update(kw)

    def __repr__(self) -> str:
        return f"sessionmaker(class_={self.class_.__name__}, {self.kw!r})"


def object_session(instance: Any) -> Session | None:
    """The session ``instance`` belongs to, or None."""
    state = instance.__dict__.get(STATE_KEY)
    return None if state is None else state.session  # type: ignore[no-any-return]


def make_transient(instance: Any) -> None:
    """Detach ``instance`` from its session and forget its identity (it becomes transient)."""
    state = instance_state(instance)
    if state.session is not None:
        state.session._resolve_cascades()  # a delete() cascade through it happens first
        state.session._expunge_state(state, DETACHED_EXPUNGED)
    state.key = None
    state.marked_deleted = False
    state.was_deleted = False
    state.expired = False
    state.reset_history()


def make_transient_to_detached(instance: Any) -> None:
    """Give a transient ``instance`` the identity of its primary key (it becomes detached)."""
    state = instance_state(instance)
    if state.session is not None or state.ident is not None:
        raise InvalidRequestError("make_transient_to_detached() needs a transient object")
    pk = state.mapper.primary_key_from_instance(instance)
    if None in pk:
        raise InvalidRequestError("the object's primary key is not set")
    state.key = (state.mapper.identity_class, pk)
    state.reset_history()
    state.detached_reason = DETACHED_EXPUNGED


def close_all_sessions() -> None:
    """Provided for compatibility; tether does not track sessions globally."""


events.declare((Session, sessionmaker), (
    "before_flush", "after_flush", "after_flush_postexec", "before_commit", "after_commit",
    "after_rollback"), "session")
