"""Collections that are never loaded whole: ``relationship(lazy="dynamic")`` and
``relationship(lazy="write_only")``.

``user.posts`` is then not a list but an object made on each access:

* ``lazy="dynamic"``: an :class:`AppenderQuery`, the legacy ``Query`` of the parent's
  members (``user.posts.filter(...).count()``, iteration, slicing), plus ``append``,
  ``extend`` and ``remove``;
* ``lazy="write_only"``: a :class:`WriteOnlyCollection` with ``add``, ``add_all``,
  ``remove``, and ``select()``/``insert()``/``update()``/``delete()`` statements aimed at the
  members; it refuses iteration, so no code loads a huge collection by accident.

Changes are kept in the parent's collection history, exactly as for a list collection that
was not loaded yet, so the flush, backrefs and the save-update cascade treat both alike.
Queries select the members by the parent's key as it is when they run (a pending parent is
flushed first, as the session's autoflush does for any query).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from tether.exc import InvalidRequestError
from tether.orm.attributes import RelationshipAttribute, _settle_deletes
from tether.orm.query import Query
from tether.orm.relationships import MANYTOMANY
from tether.orm.state import STATE_KEY, instance_state

__all__ = ["AppenderQuery", "DynamicAttribute", "WriteOnlyCollection"]

class DynamicAttribute(RelationshipAttribute):
    """The class attribute of a ``dynamic`` or ``write_only`` relationship."""

    def __get__(self, obj: Any, owner: Any) -> Any:
        if obj is None:
            return self
        prop = self._configured_prop()
        if not prop.uselist:
            raise InvalidRequestError(
                f"{self.class_.__name__}.{self.key} has lazy={prop.lazy!r}, which only suits "
                "a collection; a many-to-one or uselist=False relationship holds one object: "
                "use the default lazy=\"select\""
            )
        if prop.lazy == "write_only":
            return WriteOnlyCollection(obj, self)
        return AppenderQuery(obj, self)

    # --- members the parent gained or lost, without loading ------------------------------
    def pending(self, obj: Any) -> list[Any]:
        """Members added since the last flush (all members of a transient parent)."""
        colls = instance_state(obj).collections
        hist = colls.get(self.key) if colls else None
        return list(hist.added.values()) if hist is not None else []

    def append_no_backref(self, obj: Any, item: Any) -> None:
        state = obj.__dict__.get(STATE_KEY) or instance_state(obj)
        self._history(state).add(item)
        state.mark_modified()

    def remove_no_backref(self, obj: Any, item: Any) -> None:
        state = obj.__dict__.get(STATE_KEY) or instance_state(obj)
        self._history(state).remove(item)
        state.mark_modified()

    def set_loaded(self, obj: Any, items: Any) -> None:
        raise InvalidRequestError(
            f"{self.class_.__name__}.{self.key} is lazy={self.prop.lazy!r}: its members are "
            "queried, never loaded into the object, so no eager loader option applies to it"
        )

    def set_on_new(self, obj: Any, state: Any, value: Any) -> None:
        # (not a loaded collection: the constructor's write is an ordinary one)
        self.set(obj, value)

    def set(self, obj: Any, value: Any, initiator: Any = None) -> None:
        """``parent.rel = [...]``: the members become exactly ``value``."""
        _settle_deletes(obj)
        state = instance_state(obj)
        new = list(value) if value is not None else []
        if state.key is None:
            old = self.pending(obj)
        elif self.prop.lazy == "write_only":
            raise InvalidRequestError(
                f"{self.class_.__name__}.{self.key} is a write-only collection: it can be "
                "assigned only while its object is new; change a persistent one with "
                ".add(), .add_all() and .remove()"
            )
        else:
            session = state.session
            if session is None:
                old = self.pending(obj)
            else:
                with session.no_autoflush:
                    old = list(AppenderQuery(obj, self))
        new_ids = {id(i) for i in new}
        old_ids = {id(i) for i in old}
        for item in old:
            if id(item) not in new_ids:
                self.fire_remove(obj, item, None)
        for item in new:
            if id(item) not in old_ids:
                self.fire_append(obj, item, None)

    # --- the members as SQL --------------------------------------------------------------
    def statement_for(self, obj: Any) -> Any:
        """``SELECT`` of the members of ``obj`` (the lazy loader's statement, its parent
        key bound to ``obj``'s current values)."""
        strategy = self._configured_prop().strategy
        if strategy._statement is None:
            strategy._build()
        values = {name: getattr(obj, key) for name, key in strategy._bind_keys}
        return strategy._statement.params(**values)

    def parent_key_values(self, obj: Any) -> list[tuple[Any, Any]]:
        """``(remote column, value)`` pairs that make a row a member of ``obj``'s
        one-to-many collection."""
        prop = self._configured_prop()
        columns = prop.parent.columntoproperty
        return [(remote, getattr(obj, columns[local].key))
                for local, remote in prop.local_remote_pairs]


def _flush_pending_parent(obj: Any) -> Any:
    """The parent's session, after an autoflush when the parent itself is not in the
    database yet (its key is needed for the query)."""
    state = instance_state(obj)
    session = state.session
    if session is not None and state.key is None:
        session._autoflush()
    return session


class _MemberWrites:
    """Adding and removing members in memory: the collection's history, as a list
    collection's append and remove record it (flushed with the session)."""

    __slots__ = ()
    _attr: DynamicAttribute
    _parent: Any

    def add(self, item: Any) -> None:
        self._attr.fire_append(self._parent, item, None)

    def add_all(self, items: Iterable[Any]) -> None:
        for item in items:
            self._attr.fire_append(self._parent, item, None)

    def remove(self, item: Any) -> None:
        self._attr.fire_remove(self._parent, item, None)


class AppenderQuery(Query):
    """``parent.rel`` of a ``lazy="dynamic"`` relationship: a Query of the members."""

    def __init__(self, obj: Any, attr: DynamicAttribute) -> None:
        self._parent = obj
        self._attr = attr
        self.session = instance_state(obj).session
        self._entities = (attr.prop.mapper.class_,)
        self._filter_target = None

    @property
    def _stmt(self) -> Any:  # type: ignore[override]
        # built when used, so a parent flushed in between is queried by its new key
        _flush_pending_parent(self._parent)
        return self._attr.statement_for(self._parent)

    def _unqueried(self) -> bool:
        # no session to ask (a transient or detached parent): the members are the ones
        # added in memory, as SQLAlchemy answers too
        return self.session is None

    def __iter__(self) -> Iterator[Any]:
        if self._unqueried():
            return iter(self._attr.pending(self._parent))
        return super().__iter__()

    def all(self) -> list[Any]:
        if self._unqueried():
            return self._attr.pending(self._parent)
        return super().all()

    def count(self) -> int:
        if self._unqueried():
            return len(self._attr.pending(self._parent))
        return super().count()

    def __getitem__(self, item: Any) -> Any:
        if self._unqueried():
            return self._attr.pending(self._parent)[item]
        return super().__getitem__(item)

    append = _MemberWrites.add
    extend = _MemberWrites.add_all
    remove = _MemberWrites.remove

    def __repr__(self) -> str:
        return f"<AppenderQuery {self._attr.class_.__name__}.{self._attr.key}>"


class WriteOnlyCollection(_MemberWrites):
    """``parent.rel`` of a ``lazy="write_only"`` relationship: changes in memory, reads
    and bulk changes as statements the program runs itself."""

    __slots__ = ("_attr", "_parent")

    def __init__(self, obj: Any, attr: DynamicAttribute) -> None:
        self._parent = obj
        self._attr = attr

    def select(self) -> Any:
        """``SELECT`` of the members: ``session.scalars(user.tags.select())``."""
        _flush_pending_parent(self._parent)
        return self._attr.statement_for(self._parent)

    def _one_to_many(self, what: str) -> list[tuple[Any, Any]]:
        if self._attr.prop.direction is MANYTOMANY:
            raise InvalidRequestError(
                f"{what}() of a write-only collection names the members by their foreign key, "
                f"which {self._attr.class_.__name__}.{self._attr.key} (many-to-many) does not "
                "have; use add()/remove(), or a statement on the association table"
            )
        _flush_pending_parent(self._parent)
        return self._attr.parent_key_values(self._parent)

    def insert(self) -> Any:
        """``INSERT`` of new members, their foreign key already set to the parent's key."""
        from tether.sql.dml import insert

        pairs = self._one_to_many("insert")
        return insert(self._attr.prop.mapper.class_).values(
            {col.key: value for col, value in pairs})

    def update(self) -> Any:
        """``UPDATE`` of the members (add ``.values(...)``)."""
        from tether.sql.dml import update

        pairs = self._one_to_many("update")
        return update(self._attr.prop.mapper.class_).where(
            *(col == value for col, value in pairs))

    def delete(self) -> Any:
        """``DELETE`` of the members."""
        from tether.sql.dml import delete

        pairs = self._one_to_many("delete")
        return delete(self._attr.prop.mapper.class_).where(
            *(col == value for col, value in pairs))

    def __iter__(self) -> Iterator[Any]:
        raise TypeError(
            f"{self._attr.class_.__name__}.{self._attr.key} is a write-only collection and "
            "is never loaded; read its members with "
            f"session.scalars(obj.{self._attr.key}.select())"
        )

    def __repr__(self) -> str:
        return f"<WriteOnlyCollection {self._attr.class_.__name__}.{self._attr.key}>"
