"""Instrumented collections: ``list`` and ``set`` subclasses that report every member added
or removed to their relationship attribute, which records history, keeps the other side of
a bidirectional relationship in step and cascades new members into the session.

Loading fills a collection with the base-class methods, so loading fires no events.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from types import MappingProxyType
from typing import Any, SupportsIndex

__all__ = [
    "CollectionHistory",
    "InstrumentedList",
    "InstrumentedSet",
    "collection_maker",
    "make_collection",
]


#: ``CollectionHistory.removed`` until a member is removed: most collections only gain
#: members between flushes, so their history needs no second dict. Shared and read-only
#: (typed as the dict it stands for: writers test membership first, or replace it)
_NONE_REMOVED: dict[int, Any] = MappingProxyType({})  # type: ignore[assignment]


class CollectionHistory:
    """Members added to and removed from one collection since the last flush, keyed by id."""

    __slots__ = ("added", "removed")

    def __init__(self, added: dict[int, Any] | None = None) -> None:
        self.added: dict[int, Any] = {} if added is None else added
        self.removed: dict[int, Any] = _NONE_REMOVED

    def add(self, item: Any) -> None:
        i = id(item)
        if i in self.removed:
            del self.removed[i]
        else:
            self.added[i] = item

    def remove(self, item: Any) -> None:
        i = id(item)
        if i in self.added:
            del self.added[i]
        else:
            removed = self.removed
            if removed is _NONE_REMOVED:
                removed = self.removed = {}
            removed[i] = item


class InstrumentedList(list[Any]):
    """A list whose membership changes are reported to its relationship."""

    __slots__ = ("_tether_owner", "_tether_attr")

    _tether_owner: Any
    _tether_attr: Any

    def _added(self, item: Any) -> None:
        self._tether_attr.fire_append(self._tether_owner, item, None)

    def _removed(self, item: Any) -> None:
        self._tether_attr.fire_remove(self._tether_owner, item, None)

    def append(self, item: Any) -> None:
        list.append(self, item)
        self._tether_attr.fire_append(self._tether_owner, item, None)

    def extend(self, items: Iterable[Any]) -> None:
        for item in list(items):
            self.append(item)

    def __iadd__(self, items: Iterable[Any]) -> InstrumentedList:  # type: ignore[override,misc]
        self.extend(items)
        return self

    def insert(self, index: SupportsIndex, item: Any) -> None:
        list.insert(self, index, item)
        self._added(item)

    def remove(self, item: Any) -> None:
        list.remove(self, item)
        self._removed(item)

    def pop(self, index: SupportsIndex = -1) -> Any:
        item = list.pop(self, index)
        self._removed(item)
        return item

    def clear(self) -> None:
        items = list(self)
        list.clear(self)
        for item in items:
            self._removed(item)

    def __setitem__(self, index: Any, value: Any) -> None:
        if isinstance(index, slice):
            old = list.__getitem__(self, index)
            new = list(value)
            list.__setitem__(self, index, new)
            for item in old:
                self._removed(item)
            for item in new:
                self._added(item)
        else:
            old_item = list.__getitem__(self, index)
            if old_item is value:
                return
            list.__setitem__(self, index, value)
            self._removed(old_item)
            self._added(value)

    def __delitem__(self, index: Any) -> None:
        if isinstance(index, slice):
            old = list.__getitem__(self, index)
            list.__delitem__(self, index)
            for item in old:
                self._removed(item)
        else:
            item = list.__getitem__(self, index)
            list.__delitem__(self, index)
            self._removed(item)

    def __reduce__(self) -> Any:
        return (list, (list(self),))


class InstrumentedSet(set[Any]):
    """A set whose membership changes are reported to its relationship."""

    __slots__ = ("_tether_owner", "_tether_attr")

    _tether_owner: Any
    _tether_attr: Any

    def add(self, item: Any) -> None:
        if item not in self:
            set.add(self, item)
            self._tether_attr.fire_append(self._tether_owner, item, None)

    def discard(self, item: Any) -> None:
        if item in self:
            set.discard(self, item)
            self._tether_attr.fire_remove(self._tether_owner, item, None)

    def remove(self, item: Any) -> None:
        set.remove(self, item)
        self._tether_attr.fire_remove(self._tether_owner, item, None)

    def pop(self) -> Any:
        item = set.pop(self)
        self._tether_attr.fire_remove(self._tether_owner, item, None)
        return item

    def clear(self) -> None:
        for item in list(self):
            self.discard(item)

    def update(self, *others: Iterable[Any]) -> None:
        for other in others:
            for item in list(other):
                self.add(item)

    def __ior__(self, other: Any) -> InstrumentedSet:  # type: ignore[override,misc]
        self.update(other)
        return self

    def difference_update(self, *others: Iterable[Any]) -> None:
        for other in others:
            for item in list(other):
                self.discard(item)

    def __isub__(self, other: Any) -> InstrumentedSet:  # type: ignore[override,misc]
        self.difference_update(other)
        return self

    def intersection_update(self, *others: Iterable[Any]) -> None:
        keep = set(self).intersection(*others)
        for item in list(self):
            if item not in keep:
                self.discard(item)

    def __iand__(self, other: Any) -> InstrumentedSet:  # type: ignore[override,misc]
        self.intersection_update(other)
        return self

    def symmetric_difference_update(self, other: Iterable[Any]) -> None:
        for item in list(other):
            if item in self:
                self.discard(item)
            else:
                self.add(item)

    def __ixor__(self, other: Any) -> InstrumentedSet:  # type: ignore[override,misc]
        self.symmetric_difference_update(other)
        return self

    def __reduce__(self) -> Any:
        return (set, (set(self),))


def make_collection(collection_class: Any, owner: Any, attr: Any, items: Iterable[Any] = ()) -> Any:
    """A new instrumented collection of ``collection_class`` filled (without events) with
    ``items``."""
    return collection_maker(collection_class)(owner, attr, items)


def collection_maker(collection_class: Any) -> Callable[[Any, Any, Iterable[Any]], Any]:
    """``make_collection`` for one ``collection_class``, its kind decided once: loaders
    that fill a collection per parent call it per parent."""
    if collection_class is set or (
        isinstance(collection_class, type) and issubclass(collection_class, set)
    ):
        return _make_set
    return _make_list


def _make_set(owner: Any, attr: Any, items: Iterable[Any]) -> Any:
    coll = InstrumentedSet()
    coll._tether_owner = owner
    coll._tether_attr = attr
    set.update(coll, items)
    return coll


def _make_list(owner: Any, attr: Any, items: Iterable[Any]) -> Any:
    coll = InstrumentedList()
    coll._tether_owner = owner
    coll._tether_attr = attr
    list.extend(coll, items)
    return coll
