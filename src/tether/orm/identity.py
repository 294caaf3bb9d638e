"""The identity map: one object per database row inside a session.

Seen from outside it maps identity keys ``(class, primary-key tuple)`` to objects, as
SQLAlchemy's does. Inside it keeps one plain ``dict`` per mapped class, keyed by the bare
identity (:func:`bare_identity`: the primary-key value itself for a one-column key, the
tuple for a composite one). A query can load tens of thousands of objects, and keying by
the bare value means a loaded object needs no key tuples at all (two tuples, about 100
bytes an object): the loaders and :class:`~tether.orm.state.InstanceState` keep the bare
identity and build the key tuple only when asked for it. The hot paths (row loaders,
``Session.get``) fetch the class's dict once with :meth:`IdentityMap.of` and then cost
what a dict lookup costs.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import chain
from typing import Any

IdentityKey = tuple[Any, tuple[Any, ...]]

_MISSING: Any = object()


def identity_key(mapper: Any, pk: tuple[Any, ...]) -> IdentityKey:
    """The identity-map key of the row of ``mapper``'s table whose primary key is ``pk``."""
    return (mapper.identity_class, pk)


def bare_identity(pk: tuple[Any, ...]) -> Any:
    """What the per-class maps and ``InstanceState.ident`` hold for primary key ``pk``: the
    value of a one-column key, the tuple of a composite one."""
    return pk[0] if len(pk) == 1 else pk


def full_identity(ident: Any, single: bool) -> tuple[Any, ...]:
    """The primary-key tuple of a bare identity (``single``: one-column key)."""
    return (ident,) if single else ident  # type: ignore[no-any-return]


class _Values:
    """``IdentityMap.values()``: a live view, as a dict's is (a session of many objects
    walks it without a list of them all)."""

    __slots__ = ("_maps",)

    def __init__(self, maps: dict[Any, tuple[dict[Any, Any], bool]]) -> None:
        self._maps = maps

    def __iter__(self) -> Iterator[Any]:
        return chain.from_iterable([objs.values() for objs, _ in self._maps.values()])

    def __len__(self) -> int:
        return sum(len(objs) for objs, _ in self._maps.values())


class IdentityMap:
    """Identity key -> object, stored per class (see the module docstring). Objects are
    held strongly for the session's lifetime.

    Supports what code reads a ``dict`` of identity keys with: ``key in m``, ``m[key]``,
    ``m.get(key)``, ``m[key] = obj``, ``del m[key]``, ``pop``, ``len``, iteration over
    keys, ``keys``/``values``/``items`` and ``clear``."""

    # Made only by the Session that owns it, which sets the three slots (Session.__init__;
    # without a Python ``__init__`` the class call runs only C functions, where an
    # ``__init__`` runs in an interpreter call of its own, and a session made per lookup
    # makes a map per lookup). Emptying one is :meth:`reset`: the class dicts, loaders and
    # marks are dropped, not cleared, as a loader still running over a result keeps its
    # own dict, and a mark the detached objects hold keeps saying they left (new loads get
    # new marks). Session.__init__ and Session.close, once each per session, set the
    # slots as reset does, inline.
    __slots__ = ("_maps", "loaders", "marks")
    #: class -> (bare identity -> object), and whether that class's key has one column
    _maps: dict[Any, tuple[dict[Any, Any], bool]]
    #: row loaders bound to this map's dicts (kept by :func:`tether.orm.loading.row_loader`;
    #: made on first use, as the marks are)
    loaders: dict[Any, Any] | None
    #: mapper (or mapper and key set) -> the LoadedMark its objects loaded into this map
    #: with that key set share (kept by
    #: :func:`tether.orm.loading.loaded_mark`; made on first use, as a session that loads
    #: nothing is common)
    marks: dict[Any, Any] | None

    def reset(self) -> None:
        """Empty the map by setting its slots anew (see the class comment)."""
        self._maps = {}
        self.loaders = self.marks = None

    def of(self, cls: Any, single: bool) -> dict[Any, Any]:
        """The bare identity -> object dict of ``cls`` (made when first asked for);
        ``single``: its primary key has one column."""
        entry = self._maps.get(cls)
        if entry is None:
            entry = self._maps[cls] = ({}, single)
        return entry[0]

    def _split(self, key: IdentityKey) -> tuple[dict[Any, Any] | None, Any]:
        entry = self._maps.get(key[0])
        if entry is None:
            return None, None
        pk = key[1]
        return entry[0], pk[0] if entry[1] else pk

    def get(self, key: IdentityKey, default: Any = None) -> Any:
        entry = self._maps.get(key[0])
        if entry is None:
            return default
        pk = key[1]
        try:
            return entry[0].get(pk[0] if entry[1] else pk, default)
        except TypeError:  # an unhashable or malformed key is in no map
            return default

    def __getitem__(self, key: IdentityKey) -> Any:
        obj = self.get(key, _MISSING)
        if obj is _MISSING:
            raise KeyError(key)
        return obj

    def __contains__(self, key: Any) -> bool:
        if not isinstance(key, tuple) or len(key) != 2 or not isinstance(key[1], tuple):
            return False
        return self.get(key, _MISSING) is not _MISSING

    def __setitem__(self, key: IdentityKey, obj: Any) -> None:
        pk = key[1]
        self.of(key[0], len(pk) == 1)[bare_identity(pk)] = obj

    def __delitem__(self, key: IdentityKey) -> None:
        if self.pop(key, _MISSING) is _MISSING:
            raise KeyError(key)

    def pop(self, key: IdentityKey, default: Any = _MISSING) -> Any:
        objs, ident = self._split(key)
        obj = _MISSING if objs is None else objs.pop(ident, _MISSING)
        if obj is _MISSING:
            if default is _MISSING:
                raise KeyError(key)
            return default
        return obj

    def __len__(self) -> int:
        return sum(len(objs) for objs, _ in self._maps.values())

    def __bool__(self) -> bool:
        for objs, _ in self._maps.values():
            if objs:
                return True
        return False

    def __iter__(self) -> Iterator[IdentityKey]:
        for cls, (objs, single) in list(self._maps.items()):
            for ident in objs:
                yield (cls, (ident,) if single else ident)

    def keys(self) -> list[IdentityKey]:
        return list(self)

    def values(self) -> _Values:
        return _Values(self._maps)

    def items(self) -> list[tuple[IdentityKey, Any]]:
        return [((cls, (ident,) if single else ident), obj)
                for cls, (objs, single) in self._maps.items() for ident, obj in objs.items()]

    def clear(self) -> None:
        # emptied in place: a loader running meanwhile holds its class's dict (``of``)
        for objs, _ in self._maps.values():
            objs.clear()

    def all_states(self) -> list[Any]:
        from tether.orm.state import instance_state

        return [instance_state(obj) for obj in self.values()]

    def __repr__(self) -> str:
        return f"IdentityMap({dict(self.items())!r})"
