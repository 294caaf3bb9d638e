"""Per-object bookkeeping: :class:`InstanceState`, the sentinel values, and the helpers that
find an object's state and describe its lifecycle (transient, pending, persistent, deleted,
detached).

Attribute *values* live in the object's own ``__dict__`` so that reads stay plain dict
reads; the state keeps only what the session needs next to them: the identity, the
values a change replaced (history), which attributes were expired and why. A loaded
object that nothing has needed a state for yet holds a shared :class:`LoadedMark`
instead; :func:`instance_state` (and :func:`existing_state`) turn it into the state.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from tether.orm.exc import UnmappedInstanceError
from tether.orm.identity import bare_identity

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


#: ``InstanceState.committed`` of an object with no change recorded: an empty mapping that
#: cannot be written to. Most loaded objects are never changed, so they share this one
#: instead of each holding an empty dict; the first change gives the state its own dict
#: (:meth:`InstanceState.remember`), and a stray write to the shared one fails loudly.
NO_CHANGES: Mapping[str, Any] = MappingProxyType({})

#: A session's set of modified states (``Session._modified``) until its first one: shared
#: and never written (a set cannot be made read-only), as most sessions modify nothing and
#: some programs make one per lookup. Whatever adds to a session's set first gives it its
#: own (:func:`add_modified`); reading, ``discard`` and ``clear`` work on this one as on
#: any empty set.
NO_MODIFIED: set[Any] = set()


class _SharedEmptyDict(dict):  # type: ignore[type-arg]
    """An empty dict shared by many owners that refuses to be written: a stray write would
    leak one session's objects into every other session, so it fails loudly instead.
    Reading, ``pop`` and ``clear`` work as on any empty dict."""

    __slots__ = ()

    def _refuse(self, *args: Any, **kw: Any) -> Any:
        raise TypeError("tether bug: a session wrote to the shared empty pending dict "
                        "instead of making its own first")

    __setitem__ = setdefault = update = __ior__ = _refuse  # type: ignore[assignment]


#: Likewise a session's pending dicts (``Session._new``, ``_deleted``) until the first object
#: is added / marked deleted; what writes first gives the session its own (``is`` tested:
#: an own dict that emptied keeps its aliases valid).
NO_PENDING: dict[Any, Any] = _SharedEmptyDict()


def add_modified(session: Any, state: Any) -> None:
    """Add ``state`` to ``session``'s modified states (its own set made first)."""
    modified = session._modified
    if modified is NO_MODIFIED:
        modified = session._modified = set()
    modified.add(state)


#: Shared read-only ``committed`` records in which every key maps to NO_VALUE ("had no
#: value before"), by (id of the record extended, key added). A new object's first records
#: are of this kind (a backref setting a new member's many-to-one, a flush copying a key
#: into a new row): they hold no value of their own, so new objects share them instead of
#: each making a dict. NO_CHANGES and these are the only records that are not dicts; a
#: writer with a real old value gives the state its own dict. Few: one per sequence of keys
#: recorded this way on new objects of a class.
_UNSET_RECORDS: dict[tuple[int, str], Mapping[str, Any]] = {}


def unset_record(committed: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """The shared record of ``committed`` (NO_CHANGES or a record made here) with ``key``
    also recorded as having had no value."""
    record = _UNSET_RECORDS.get((id(committed), key))
    if record is None:
        record = _UNSET_RECORDS[(id(committed), key)] = MappingProxyType(
            {**committed, key: NO_VALUE})
    return record

# Bits of InstanceState._flags. Each state is kept small because a query can load many
# thousands of objects: its booleans and the reason it was detached share one int slot.
_MARKED_DELETED = 1
_FLUSHED_DELETED = 2
_WAS_DELETED = 4
_EXPIRED_BY_COMMIT = 8
_MODIFIED = 16
_EXPIRED = 32
# detached_reason: its index in _DETACHED_REASONS, in the two bits from _REASON_SHIFT
_REASON_SHIFT = 6
_REASON_MASK = 3 << _REASON_SHIFT
_DETACHED_REASONS = (None, DETACHED_CLOSED, DETACHED_EXPUNGED, DETACHED_COMMIT_EXPIRED)
_REASON_BITS = {reason: i << _REASON_SHIFT for i, reason in enumerate(_DETACHED_REASONS)}


def _flag(bit: int, doc: str) -> property:
    def get(self: InstanceState) -> bool:
        return bool(self._flags & bit)

    def set_(self: InstanceState, value: bool) -> None:
        self._flags = self._flags | bit if value else self._flags & ~bit

    return property(get, set_, doc=doc)


def detach(states: Iterable[InstanceState], reason: str | None, deleted: bool = False) -> None:
    """Take each of ``states`` out of its session for ``reason`` (``DETACHED_*``); with
    ``deleted``, as objects whose DELETE a commit made final (deleted for good, no longer
    marked). One loop setting the bits directly: closing or committing a session of many
    objects runs it. ``states`` may hold :class:`LoadedMark` s (not with ``deleted``): a
    mark takes the session and reason for all the objects holding it."""
    keep = ~_REASON_MASK
    bits = _REASON_BITS[reason]
    if deleted:
        keep &= ~(_MARKED_DELETED | _FLUSHED_DELETED)
        bits |= _WAS_DELETED
    for st in states:
        st.session = None
        st._flags = (st._flags & keep) | bits


class _StateExtras:
    """The rarely used part of an :class:`InstanceState`, made on first use."""

    __slots__ = ("load_overrides", "load_batch")

    def __init__(self) -> None:
        self.load_overrides: dict[str, str] | None = None
        self.load_batch: Any = None


class InstanceState:
    """What the ORM knows about one mapped object besides its attribute values.

    A loaded object gets one only when something needs it (until then it holds its
    session's :class:`LoadedMark`); new, changed, expired or inspected objects have one,
    so its size is still a per-object cost (8 slots make a 96-byte object, 12 made 128,
    17 made 176): the booleans and the detach reason share ``_flags``, and what only
    loader options and N+1 detection need sits in a side object (``_extras``) made when
    first set.
    """

    __slots__ = (
        "obj",
        "mapper",
        "ident",
        "session",
        "committed",
        "collections",
        "_flags",
        "_extras",
    )

    def __init__(self, obj: Any, mapper: Mapper,
                 key: tuple[Any, tuple[Any, ...]] | None = None, session: Any = None) -> None:
        self.obj = obj
        self.mapper = mapper
        #: the bare identity (:func:`~tether.orm.identity.bare_identity`: the primary-key
        #: value, or the tuple of a composite key) once the row exists in the database;
        #: ``key`` is the identity key tuple built from it.
        self.ident: Any = None if key is None else bare_identity(key[1])
        self.session = session
        #: attribute key -> value before the first change since the last flush (recorded
        #: when the change happens, never copied on load); NO_CHANGES until then.
        self.committed: Mapping[str, Any] = NO_CHANGES
        #: relationship key -> CollectionHistory (added/removed since the last flush).
        self.collections: dict[str, Any] | None = None
        #: the flag bits (``_MODIFIED``...) behind ``modified``, ``expired``...
        self._flags = 0
        self._extras: _StateExtras | None = None

    @property
    def key(self) -> tuple[Any, tuple[Any, ...]] | None:
        """Identity key ``(class, primary-key tuple)`` once the row exists in the database
        (built on request: the state keeps the bare identity, ``ident``)."""
        ident = self.ident
        if ident is None:
            return None
        mapper = self.mapper
        return (mapper.identity_class, (ident,) if mapper.single_pk else ident)

    @key.setter
    def key(self, key: tuple[Any, tuple[Any, ...]] | None) -> None:
        self.ident = None if key is None else bare_identity(key[1])

    marked_deleted = _flag(_MARKED_DELETED,
                           "session.delete() was called: the row is (or will be) deleted")
    flushed_deleted = _flag(_FLUSHED_DELETED, "the DELETE ran in the current transaction")
    was_deleted = _flag(_WAS_DELETED, "the object was deleted and then left the session")
    expired_by_commit = _flag(_EXPIRED_BY_COMMIT, "a commit expired the attributes")
    modified = _flag(_MODIFIED, "an attribute or collection changed since the last flush")
    expired = _flag(_EXPIRED,
                    "some loaded attributes were dropped and must come back from the database")

    @property
    def detached_reason(self) -> str | None:
        """Why the object left its session (``DETACHED_*``), to word
        DetachedInstanceError."""
        return _DETACHED_REASONS[(self._flags & _REASON_MASK) >> _REASON_SHIFT]

    @detached_reason.setter
    def detached_reason(self, reason: str | None) -> None:
        self._flags = (self._flags & ~_REASON_MASK) | _REASON_BITS[reason]

    def _extra(self) -> _StateExtras:
        extras = self._extras
        if extras is None:
            extras = self._extras = _StateExtras()
        return extras

    @property
    def load_overrides(self) -> dict[str, str] | None:
        """Relationship key -> strategy name chosen by a loader option of the query that
        loaded this object (``raiseload``, ``lazyload``)."""
        return None if self._extras is None else self._extras.load_overrides

    @load_overrides.setter
    def load_overrides(self, value: dict[str, str] | None) -> None:
        self._extra().load_overrides = value

    @property
    def load_batch(self) -> Any:
        """The query result this object came from, when N+1 detection is on."""
        return None if self._extras is None else self._extras.load_batch

    @load_batch.setter
    def load_batch(self, value: Any) -> None:
        self._extra().load_batch = value

    def remember(self, key: str, old: Any) -> None:
        """Record ``old`` as attribute ``key``'s value before the first change since the
        last flush (a later change keeps the first one)."""
        committed = self.committed
        if key not in committed:
            if committed.__class__ is not dict:  # NO_CHANGES or a shared unset record
                committed = self.committed = dict(committed)
            committed[key] = old  # type: ignore[index]

    def forget(self, key: str) -> None:
        """Drop the recorded original value of ``key`` (the value was reloaded or
        expired)."""
        committed = self.committed
        if key in committed:
            if committed.__class__ is not dict:  # a shared unset record
                committed = self.committed = dict(committed)
            del committed[key]  # type: ignore[attr-defined]

    # lifecycle predicates, named as SQLAlchemy's inspection API names them
    @property
    def transient(self) -> bool:
        return self.ident is None and self.session is None

    @property
    def pending(self) -> bool:
        return self.ident is None and self.session is not None

    @property
    def persistent(self) -> bool:
        return (self.ident is not None and self.session is not None
                and not self.flushed_deleted)

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
        return self.ident is not None and self.session is None

    @property
    def has_identity(self) -> bool:
        return self.ident is not None

    @property
    def identity(self) -> tuple[Any, ...] | None:
        ident = self.ident
        return None if ident is None else (ident,) if self.mapper.single_pk else ident

    @property
    def identity_key(self) -> tuple[Any, tuple[Any, ...]] | None:
        return self.key

    @property
    def dict(self) -> dict[str, Any]:
        return self.obj.__dict__  # type: ignore[no-any-return]

    @property
    def unloaded(self) -> set[str]:
        d = self.obj.__dict__
        return {k for k in self.mapper.attrs.keys() if k not in d}

    def mark_modified(self) -> None:
        flags = self._flags
        if not flags & _MODIFIED:
            self._flags = flags | _MODIFIED
            session = self.session
            if session is not None:
                add_modified(session, self)

    def reset_history(self) -> None:
        self.committed = NO_CHANGES
        self.collections = None
        self._flags &= ~_MODIFIED

    def __repr__(self) -> str:
        return f"<InstanceState of {type(self.obj).__name__} key={self.key!r}>"


class LoadedMark:
    """What a freshly loaded object holds under ``STATE_KEY`` instead of an
    :class:`InstanceState`: one mark per session identity map and mapper, shared by every
    object of that mapper the map's loaders create.

    Most loaded objects are only read, and for them a state would hold nothing the object
    and its mark do not: the session and mapper are the mark's, the identity is the
    primary-key values in the object's ``__dict__`` (always loaded, and changed only
    through the attribute setter, which makes the state first), there is no history, and
    the detach reason is the mark's (closing a session detaches all its marked objects by
    flipping each mark once, see :func:`detach`). That saves a 96-byte state and an
    object <-> state reference cycle per loaded row. :func:`instance_state` turns a mark
    into the real state (:func:`state_from_mark`) the first time anything needs one.

    A mark is falsy, so the ``d.get(STATE_KEY) or instance_state(obj)`` lookups make the
    state; what reads only "no change recorded yet" (``committed``, ``collections``) reads
    it from the mark as from an unchanged state. Anything else must go through
    :func:`instance_state`.
    """

    # Made by :func:`tether.orm.loading.loaded_mark` (and inline, the same way, by the
    # one-row loader of ``Session.get``), slot by slot (no ``__init__``:
    # a class's Python ``__init__`` runs in an interpreter call of its own, and a session
    # made per lookup makes a mark per lookup). The slots: the session and mapper; the
    # attribute keys holding the primary-key values, in key order (``mapper.pk_keys``),
    # and the one key of a one-column key (else None); ``_flags``, only the detach reason
    # bits, as :func:`detach` sets them on a state.
    __slots__ = ("session", "mapper", "pk_keys", "pk_key", "_flags")
    session: Any
    mapper: Mapper
    pk_keys: list[str]
    pk_key: str | None
    _flags: int

    #: as an unchanged state reads: no recorded old values, no collection history
    committed: Mapping[str, Any] = NO_CHANGES
    collections: dict[str, Any] | None = None

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"<LoadedMark of {self.mapper.class_.__name__}>"


_new_state = InstanceState.__new__


def new_state(obj: Any, mapper: Mapper) -> InstanceState:
    """``InstanceState(obj, mapper)`` for a brand-new object (no identity, no session),
    filled slot by slot: a plain function call costs less than the class call running
    ``__init__``, and every object constructed makes one."""
    st = _new_state(InstanceState)
    st.obj = obj
    st.mapper = mapper
    st.ident = None
    st.session = None
    st.committed = NO_CHANGES
    st.collections = None
    st._flags = 0
    st._extras = None
    return st


def state_from_mark(obj: Any, mark: LoadedMark) -> InstanceState:
    """Give ``obj``, which holds ``mark``, its own :class:`InstanceState` (stored in its
    ``__dict__`` in place of the mark): exactly the state a load would have made, with
    the identity read from the primary-key values and the mark's session and detach
    reason.

    Filled slot by slot rather than through ``__init__``: every loaded object that gets
    changed comes through here (tests check the result matches ``__init__``'s)."""
    d = obj.__dict__
    st = _new_state(InstanceState)
    st.obj = obj
    st.mapper = mark.mapper
    key = mark.pk_key
    st.ident = d[key] if key is not None else tuple([d[k] for k in mark.pk_keys])
    st.session = mark.session
    st.committed = NO_CHANGES
    st.collections = None
    st._flags = mark._flags
    st._extras = None
    d[STATE_KEY] = st
    return st


def expire_all_by_commit(objs: Iterable[Any], modified: set[InstanceState]) -> None:
    """What a commit does to each of ``objs`` (its session's objects; ``modified``, the
    session's set of changed states, loses them): drop the mapped attributes' values,
    reset the history and mark the state expired by a commit. One loop with no call per
    object, each mapper's keys looked up once: a commit runs it for every object."""
    plans: dict[Any, tuple[tuple[str, ...], frozenset[str]]] = {}
    discard = modified.discard if modified else None  # (a commit's flush emptied it)
    last: Any = None  # the mapper of the object before (the map holds objects by class)
    keys: tuple[str, ...] = ()
    mapped: frozenset[str] = frozenset()
    keep, expired = ~_MODIFIED, _EXPIRED | _EXPIRED_BY_COMMIT
    for obj in objs:
        d = obj.__dict__
        state = d[STATE_KEY]
        if state.__class__ is LoadedMark:  # the identity must outlive the dropped values
            state = state_from_mark(obj, state)
        mapper = state.mapper
        if mapper is not last:
            last = mapper
            plan = plans.get(mapper)
            if plan is None:
                names = tuple(mapper.attrs.keys())
                plan = plans[mapper] = (names, frozenset(names).union((STATE_KEY,)))
            keys, mapped = plan
        if mapped.issuperset(d):  # (the usual object: nothing but mapped values and its state)
            d.clear()
            d[STATE_KEY] = state
        else:
            for key in keys:
                if key in d:
                    del d[key]
        if discard is not None:
            discard(state)
        state.committed = NO_CHANGES
        state.collections = None
        state._flags = (state._flags & keep) | expired


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
        return (AttributeState(self._state, k) for k in self._state.mapper.attrs.keys())

    def keys(self) -> list[str]:
        return list(self._state.mapper.attrs.keys())


def instance_state(obj: Any) -> InstanceState:
    """Return the state of a mapped object, creating it for a brand-new object.

    Raises :class:`UnmappedInstanceError` when ``obj``'s class is not mapped.
    """
    try:
        state = obj.__dict__[STATE_KEY]
    except (KeyError, AttributeError):
        pass
    else:
        if state.__class__ is LoadedMark:
            return state_from_mark(obj, state)
        return state  # type: ignore[no-any-return]
    mapper = getattr(type(obj), "__mapper__", None)
    if mapper is None or not hasattr(obj, "__dict__"):
        raise UnmappedInstanceError(
            f"{type(obj).__name__} object is not mapped: it is not a class declared on a "
            "declarative base, so the session cannot store it"
        )
    mapper.registry.configure_if_needed()
    state = new_state(obj, mapper)
    obj.__dict__[STATE_KEY] = state
    return state


def existing_state(obj: Any) -> InstanceState | None:
    """The state of ``obj`` if it has one (a mark becomes its state), else None: for
    readers that must not give a brand-new object a state."""
    state = obj.__dict__.get(STATE_KEY)
    if state.__class__ is LoadedMark:
        return state_from_mark(obj, state)
    return state  # type: ignore[no-any-return]


def object_state(obj: Any) -> InstanceState:
    return instance_state(obj)
