"""Per-object bookkeeping: :class:`InstanceState`, the sentinel values, and the helpers that
find an object's state and describe its lifecycle (transient, pending, persistent, deleted,
detached).

Attribute *values* live in the object's own ``__dict__`` so that reads stay plain dict
reads; the state keeps only what the session needs next to them: the identity key, the
values a change replaced (history), which attributes were expired and why.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tether.orm.exc import UnmappedInstanceError

if TYPE_CHECKING:
    from tether.orm.mapper import Mapper

#: Key under which an object's state sits in its ``__dict__``.
STATE_KEY = "_tether_state"


class _Sentinel:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name

    def __bool__(self) -> bool:
        return False


#: "This attribute had no value" (never loaded, or the object is new).
NO_VALUE: Any = _Sentinel("NO_VALUE")

# Why a detached object cannot load an attribute; used to word DetachedInstanceError.
DETACHED_CLOSED = "closed"
DETACHED_EXPUNGED = "expunged"
DETACHED_COMMIT_EXPIRED = "commit-expired"


class InstanceState:
    """What the ORM knows about one mapped object besides its attribute values."""

    __slots__ = (
        "obj",
        "mapper",
        "key",
        "session",
        "committed",
        "collections",
        "modified",
        "expired",
        "expired_by_commit",
        "marked_deleted",
        "flushed_deleted",
        "was_deleted",
        "detached_reason",
        "insert_order",
        "load_overrides",
        "load_batch",
        "__weakref__",
    )

    def __init__(self, obj: Any, mapper: Mapper,
                 key: tuple[Any, tuple[Any, ...]] | None = None, session: Any = None) -> None:
        self.obj = obj
        self.mapper = mapper
        #: identity key ``(base class, pk tuple)`` once the row exists in the database.
        self.key = key
        self.session = session
        #: attribute key -> value before the first change since the last flush.
        self.committed: dict[str, Any] = {}
        #: relationship key -> CollectionHistory (added/removed since the last flush).
        self.collections: dict[str, Any] | None = None
        self.modified = False
        #: True when some loaded attributes were dropped and must come back from the DB.
        self.expired = False
        self.expired_by_commit = False
        #: session.delete() was called and the row is (or will be) deleted
        self.marked_deleted = False
        #: the DELETE ran in the session's current transaction
        self.flushed_deleted = False
        self.was_deleted = False
        self.detached_reason: str | None = None
        self.insert_order = 0
        #: relationship key -> strategy name chosen by a loader option of the query that
        #: loaded this object (``raiseload``, ``lazyload``)
        self.load_overrides: dict[str, str] | None = None
        #: the query result this object came from, when N+1 detection is on
        self.load_batch: Any = None

    # lifecycle predicates, named as SQLAlchemy's inspection API names them
    @property
    def transient(self) -> bool:
        return self.key is None and self.session is None

    @property
    def pending(self) -> bool:
        return self.key is None and self.session is not None

    @property
    def persistent(self) -> bool:
        return self.key is not None and self.session is not None and not self.flushed_deleted

    @property
    def deleted(self) -> bool:
        return self.flushed_deleted and self.session is not None

    @property
    def object(self) -> Any:
        return self.obj

    @property
    def class_(self) -> type:
        return type(self.obj)

    @property
    def expired_attributes(self) -> set[str]:
        return self.unloaded if self.expired else set()

    @property
    def attrs(self) -> Any:
        return _AttrsView(self)

    @property
    def detached(self) -> bool:
        return self.key is not None and self.session is None

    @property
    def has_identity(self) -> bool:
        return self.key is not None

    @property
    def identity(self) -> tuple[Any, ...] | None:
        return None if self.key is None else self.key[1]

    @property
    def identity_key(self) -> tuple[Any, tuple[Any, ...]] | None:
        return self.key

    @property
    def dict(self) -> dict[str, Any]:
        return self.obj.__dict__  # type: ignore[no-any-return]

    @property
    def unloaded(self) -> set[str]:
        d = self.obj.__dict__
        return {k for k in self.mapper.attrs if k not in d}

    def mark_modified(self) -> None:
        if not self.modified:
            self.modified = True
            session = self.session
            if session is not None:
                session._modified.add(self)

    def reset_history(self) -> None:
        self.committed = {}
        self.collections = None
        self.modified = False

    def __repr__(self) -> str:
        return f"<InstanceState of {type(self.obj).__name__} key={self.key!r}>"


class AttributeState:
    """``inspect(obj).attrs.name``: one attribute's value, loaded value and history."""

    def __init__(self, state: InstanceState, key: str) -> None:
        self.state = state
        self.key = key

    @property
    def value(self) -> Any:
        return getattr(self.state.obj, self.key)

    @property
    def loaded_value(self) -> Any:
        return self.state.obj.__dict__.get(self.key, NO_VALUE)

    @property
    def history(self) -> Any:
        from tether.orm.attributes import get_history

        return get_history(self.state.obj, self.key)


class _AttrsView:
    def __init__(self, state: InstanceState) -> None:
        self._state = state

    def __getattr__(self, key: str) -> AttributeState:
        if key.startswith("_") or key not in self._state.mapper.attrs:
            raise AttributeError(key)
        return AttributeState(self._state, key)

    def __getitem__(self, key: str) -> AttributeState:
        return AttributeState(self._state, key)

    def __iter__(self) -> Any:
        return (AttributeState(self._state, k) for k in self._state.mapper.attrs)

    def keys(self) -> list[str]:
        return list(self._state.mapper.attrs)


def instance_state(obj: Any) -> InstanceState:
    """Return the state of a mapped object, creating it for a brand-new object.

    Raises :class:`UnmappedInstanceError` when ``obj``'s class is not mapped.
    """
    try:
        return obj.__dict__[STATE_KEY]  # type: ignore[no-any-return]
    except (KeyError, AttributeError):
        pass
    mapper = getattr(type(obj), "__mapper__", None)
    if mapper is None or not hasattr(obj, "__dict__"):
        raise UnmappedInstanceError(
            f"{type(obj).__name__} object is not mapped: it is not a class declared on a "
            "declarative base, so the session cannot store it"
        )
    mapper.registry.configure_if_needed()
    state = InstanceState(obj, mapper)
    obj.__dict__[STATE_KEY] = state
    return state


def object_state(obj: Any) -> InstanceState:
    return instance_state(obj)
