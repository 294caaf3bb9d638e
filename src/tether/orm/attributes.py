"""Instrumented attributes: the class-level objects behind ``User.name`` and
``User.posts``, how writes record history, and how missing values are loaded.

Design (chosen for the load hot path): every mapped attribute is a *non-data* descriptor,
so once a value sits in the instance ``__dict__`` a read is a plain dict read and never
calls into tether. The descriptor's ``__get__`` runs only when the value is absent: for a
new object it gives the default (``None`` or an empty collection), for a persistent one it
loads (expired columns, lazy relationships), for a detached one it raises
:class:`DetachedInstanceError` explaining why. Writes go through ``__setattr__`` on the
declarative base, which hands mapped keys to :meth:`set` so history is recorded.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from types import MethodType
from typing import TYPE_CHECKING, Any, NamedTuple

from tether.exc import InvalidRequestError
from tether.orm.collections import CollectionHistory, collection_maker, make_collection
from tether.orm.comparators import join_path
from tether.orm.exc import DetachedInstanceError
from tether.orm.relationships import MANYTOONE
from tether.orm.state import (
    _MODIFIED,
    DETACHED_CLOSED,
    DETACHED_EXPUNGED,
    NO_CHANGES,
    NO_MODIFIED,
    NO_VALUE,
    STATE_KEY,
    InstanceState,
    LoadedMark,
    existing_state,
    instance_state,
    state_from_mark,
    unset_record,
)

if TYPE_CHECKING:
    from tether.orm.relationships import RelationshipProperty

__all__ = [
    "ColumnAttribute",
    "QueryableAttribute",
    "RelationshipAttribute",
    "History",
    "detached_error",
    "flag_modified",
    "get_history",
    "set_attribute",
]


def detached_error(state: InstanceState, key: str) -> DetachedInstanceError:
    """The error for touching unloaded attribute ``key`` of a detached object, in words."""
    cls = type(state.obj).__name__
    prop = state.mapper.attrs.get(key)
    if getattr(prop, "is_relationship", False) or hasattr(prop, "direction"):
        eager = (
            f"a loader option such as select({cls}).options(selectinload({cls}.{key})), "
            "or read the attribute before the session closes"
        )
    else:
        eager = "read the attribute, or session.refresh() the object, before it is detached"
    if state.expired_by_commit:
        why = (
            "the session committed with expire_on_commit=True, which expired every loaded "
            "attribute so it would be re-read from the database on next use, and then the "
            "object left the session"
            + (" when the session was closed" if state.detached_reason == DETACHED_CLOSED else "")
        )
    elif state.detached_reason == DETACHED_EXPUNGED:
        why = "it was removed from its session (expunge) before this attribute was loaded"
    else:
        why = "the session it was loaded in was closed before this attribute was loaded"
    return DetachedInstanceError(
        f"Cannot load attribute '{key}' of {cls} object at {id(state.obj):#x}: the object is "
        f"not attached to a session, so there is no connection to load it with; {why}. "
        "Ways out: (1) keep the session open while you use the object (do the work inside "
        "the `with Session(...)` block); (2) create the session with "
        "expire_on_commit=False so values loaded before commit stay readable; (3) load it "
        f"eagerly while the session is open ({eager})."
    )


class QueryableAttribute:
    """Base of the class-level attribute objects. ``Class.attr`` returns this object."""

    is_relationship = False
    validator: Any = None
    validator_removes = False

    def __init__(self, class_: type, key: str, prop: Any) -> None:
        self.class_ = class_
        self.key = key
        self.prop = prop

    def __get__(self, obj: Any, owner: Any) -> Any:
        if obj is None:
            return self
        # Only reached when the value is absent from obj.__dict__ (non-data descriptor).
        return self.load_missing(obj)

    def load_missing(self, obj: Any) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    def set(self, obj: Any, value: Any, initiator: Any = None) -> None:  # pragma: no cover
        raise NotImplementedError

    def make_setter(self) -> Any:
        """The function ``(obj, value)`` that ``obj.key = value`` calls."""
        set_ = self.set

        def setter(obj: Any, value: Any) -> None:
            set_(obj, value)

        return setter

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.class_.__name__}.{self.key}>"

    @property
    def parent(self) -> Any:
        return self.class_.__mapper__  # type: ignore[attr-defined]

    def _mapped_property(self) -> Any:
        return self.prop

    # ``User.posts.property.mapper``: the mapped property behind the attribute, as
    # SQLAlchemy names it. Defined last, since the name shadows the builtin in this body.
    property = property(lambda self: self._mapped_property())  # noqa: A003


def _column_op(op: Any) -> Any:
    def method(self: ColumnAttribute, other: Any) -> Any:
        return op(self.column, other)

    return method


def _column_rop(op: Any) -> Any:
    def method(self: ColumnAttribute, other: Any) -> Any:
        return op(other, self.column)

    return method


class ColumnAttribute(QueryableAttribute):
    """``User.name``: behaves as the mapped Column in expressions."""

    def __init__(self, class_: type, key: str, prop: Any, column: Any) -> None:
        super().__init__(class_, key, prop)
        self.column = column

    def __clause_element__(self) -> Any:
        return self.column

    def __getattr__(self, name: str) -> Any:
        # Everything a Column offers (like, in_, desc, label, ...) works on the attribute.
        if name.startswith("__") or name == "_tether_join_path":
            raise AttributeError(name)
        value = getattr(self.column, name)
        # A method of the column (like, in_, desc, ...) never changes: kept on the
        # attribute, the next ``Class.attr.like`` finds it without this hop. Other values
        # (the column's type may still come from its foreign key) are asked for each time.
        if type(value) is MethodType and value.__self__ is self.column:
            self.__dict__[name] = value
        return value

    __eq__ = _column_op(operator.eq)  # type: ignore[assignment]
    __ne__ = _column_op(operator.ne)  # type: ignore[assignment]
    __lt__ = _column_op(operator.lt)
    __le__ = _column_op(operator.le)
    __gt__ = _column_op(operator.gt)
    __ge__ = _column_op(operator.ge)
    __add__ = _column_op(operator.add)
    __sub__ = _column_op(operator.sub)
    __mul__ = _column_op(operator.mul)
    __truediv__ = _column_op(operator.truediv)
    __floordiv__ = _column_op(operator.floordiv)
    __mod__ = _column_op(operator.mod)
    __radd__ = _column_rop(operator.add)
    __rsub__ = _column_rop(operator.sub)
    __rmul__ = _column_rop(operator.mul)
    __rtruediv__ = _column_rop(operator.truediv)
    __and__ = _column_op(operator.and_)
    __or__ = _column_op(operator.or_)

    def __neg__(self) -> Any:
        return -self.column

    def __invert__(self) -> Any:
        return ~self.column

    def __hash__(self) -> int:
        return id(self)

    def load_missing(self, obj: Any) -> Any:
        state = existing_state(obj)
        if state is None or state.ident is None:
            return None  # a new object: unset columns read as None
        session = state.session
        if session is None:
            raise detached_error(state, self.key)
        session._load_unloaded(state, key=self.key)
        return obj.__dict__.get(self.key)

    def make_setter(self) -> Any:
        if self.validator is not None:
            return super().make_setter()
        key = self.key
        get_state = instance_state
        from_mark = state_from_mark

        # The write hot path: record the old value once, store, flag the object modified.
        def setter(obj: Any, value: Any) -> None:
            d = obj.__dict__
            state = d.get(STATE_KEY)
            if state.__class__ is not InstanceState:  # a loaded object's mark, or none yet
                state = from_mark(obj, state) if state.__class__ is LoadedMark else get_state(obj)
            committed = state.committed
            if key not in committed:
                if committed.__class__ is not dict:  # the first change: the state's own dict
                    committed = state.committed = {} if committed is NO_CHANGES else dict(
                        committed)  # (a new object's shared unset record, copied)
                committed[key] = d.get(key, NO_VALUE)  # type: ignore[index]
            d[key] = value
            if not state._flags & _MODIFIED:
                state.mark_modified()

        return setter

    def set(self, obj: Any, value: Any, initiator: Any = None) -> None:
        if self.validator is not None:
            value = self.validator(obj, self.key, value)
        d = obj.__dict__
        state = d.get(STATE_KEY)
        if state.__class__ is not InstanceState:  # none yet, or a loaded object's mark
            state = instance_state(obj)
        key = self.key
        state.remember(key, d.get(key, NO_VALUE))
        d[key] = value
        if not state.modified:
            state.mark_modified()


class RelationshipAttribute(QueryableAttribute):
    """``User.posts`` / ``Post.author``: a scalar or a collection of related objects."""

    is_relationship = True
    prop: RelationshipProperty

    def __init__(self, class_: type, key: str, prop: RelationshipProperty) -> None:
        super().__init__(class_, key, prop)

    def __clause_element__(self) -> Any:
        return self._configured_prop().comparator_clause()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        comparator = self._configured_prop().comparator(self)
        return getattr(comparator, name)

    def _mapped_property(self) -> Any:
        return self._configured_prop()  # its target mapper is known once configured

    def _configured_prop(self) -> RelationshipProperty:
        # statements can be built before any object exists: configure on first use here too
        prop = self.prop
        if not prop.configured:
            prop.parent.registry.configure_if_needed()
        return prop

    def _tether_join_path(self, explicit: Any = None) -> list[tuple[Any, Any]]:
        """Join steps for ``select(A).join(A.rel)`` (asked for by the SQL layer)."""
        return join_path(self._configured_prop(), explicit)

    def __eq__(self, other: Any) -> Any:  # type: ignore[override]
        return self._configured_prop().comparator(self) == other

    def __ne__(self, other: Any) -> Any:  # type: ignore[override]
        return self._configured_prop().comparator(self) != other

    def __hash__(self) -> int:
        return id(self)

    def of_type(self, cls: Any) -> Any:
        """This relationship, aimed at ``cls`` (an ``aliased()`` class) in joins and
        loader options."""
        return _OfType(self, cls)

    # --- reading -----------------------------------------------------------------------
    def load_missing(self, obj: Any) -> Any:
        d = obj.__dict__
        state = existing_state(obj)
        if state is None or state.ident is None:
            prop = self.prop
            if prop.uselist:
                if state is None:
                    state = instance_state(obj)
                # the collection maker of the append plan: a new object's first read of
                # its collection (then appended to) is per object
                plan = self._append_plan
                if plan is None or plan[0] is not prop.reverse_property:
                    plan = self._make_append_plan()
                coll = d[self.key] = plan[5](obj, self, ())
                return coll
            return None
        strategy = self.prop.strategy
        overrides = state.load_overrides
        if overrides is not None and self.key in overrides:
            from tether.orm.strategies import override_strategy

            strategy = override_strategy(self.prop, overrides[self.key])
        session = state.session
        if session is None:
            if not getattr(strategy, "works_detached", False):
                raise detached_error(state, self.key)
        elif session._cascade_pending:
            # A queued delete() cascade loads this attribute set-based (as SQLAlchemy's
            # delete() would have loaded it already): run it first, before any autoflush.
            session._resolve_cascades()
            if self.key in d:
                return d[self.key]
        if session is not None and session._nplusone and state.load_batch is not None:
            from tether.orm.nplusone import note_lazy_load

            # a many-to-one found in the identity map costs no SELECT: not an N+1
            if self.prop.uselist or strategy.load(state, session, passive=True) is NO_VALUE:
                note_lazy_load(session, state, self.prop)
        value = strategy.load(state, session)
        if value is NO_VALUE:  # strategies like noload give the empty default
            value = () if self.prop.uselist else None
        if self.prop.uselist:
            hist = state.collections.get(self.key) if state.collections else None
            if hist is not None and (hist.added or hist.removed):
                # changes made through the other side while this was unloaded
                value = [v for v in value if id(v) not in hist.removed]
                ids = {id(v) for v in value}
                value.extend(v for v in hist.added.values() if id(v) not in ids)
            value = make_collection(self.prop.collection_class, obj, self, value)
        # A load triggered by a flush of a backref may have stored a value already.
        return d.setdefault(self.key, value)

    def set_loaded(self, obj: Any, items: Any) -> None:
        """Store a loaded value (list of objects, or one object/None) without events."""
        if self.prop.uselist:
            obj.__dict__[self.key] = make_collection(self.prop.collection_class, obj, self, items)
        else:
            obj.__dict__[self.key] = items

    def collection_of(self, obj: Any) -> Any:
        d = obj.__dict__
        coll = d.get(self.key)
        if coll is None:
            coll = self.__get__(obj, type(obj))
        return coll

    # --- history -----------------------------------------------------------------------
    def _history(self, state: InstanceState) -> CollectionHistory:
        return collection_history(state, self.key)

    # --- writing -----------------------------------------------------------------------
    def set(self, obj: Any, value: Any, initiator: Any = None) -> None:
        _settle_deletes(obj)
        if self.prop.uselist:
            self._set_collection(obj, value)
        else:
            self._set_scalar(obj, value, initiator)

    def _set_scalar(self, obj: Any, value: Any, initiator: Any) -> None:
        if self.validator is not None and initiator is None:
            value = self.validator(obj, self.key, value)
        d = obj.__dict__
        state = d.get(STATE_KEY) or instance_state(obj)
        key = self.key
        old = d.get(key, NO_VALUE)
        if old is NO_VALUE and state.ident is not None and state.session is not None and (
            self.prop.reverse_property is not None or "delete-orphan" in self.prop.cascade
        ):
            # The old value is needed to take obj out of its previous owner's collection;
            # found without SQL when it is in the identity map (else its collection is not
            # loaded either, or the flush sorts it out from the foreign key).
            # As SQLAlchemy: a many-to-one by primary key looks only in the identity map;
            # anything else (one-to-one from the parent side) loads, without autoflush.
            strategy = self.prop.strategy
            if self.prop.direction is MANYTOONE and getattr(strategy, "_use_get", False):
                old = strategy.load(state, state.session, passive=True)
            else:
                with state.session.no_autoflush:
                    old = strategy.load(state, state.session)
            if old is not NO_VALUE:
                d.setdefault(key, old)
        if old is value and key in d:
            return
        state.remember(key, old)
        d[key] = value
        state.mark_modified()
        reverse = self.prop.reverse_property
        if reverse is not None:
            if old is not None and old is not NO_VALUE and old is not value:
                reverse.attr.remove_no_backref(old, obj)
            if value is not None and initiator is not reverse:
                reverse.attr.append_no_backref(value, obj)
        if value is not None:
            self._cascade(state, value)

    def _set_collection(self, obj: Any, value: Any) -> None:
        if value is None:
            value = ()
        state = instance_state(obj)
        d = obj.__dict__
        old = d.get(self.key)
        if old is None:
            # a pending or transient object's unset collection is empty: nothing to load
            old = () if state.ident is None else self.__get__(obj, type(obj))
        new_items = list(value)
        coll = make_collection(self.prop.collection_class, obj, self, new_items)
        d[self.key] = coll
        state.mark_modified()
        if not old:
            self._appended(obj, state, new_items)
            return
        new_ids = {id(i) for i in new_items}
        old_ids = {id(i) for i in old}
        for item in list(old):
            if id(item) not in new_ids:
                self.fire_remove(obj, item, None)
        for item in new_items:
            if id(item) not in old_ids:
                self.fire_append(obj, item, None)

    def set_on_new(self, obj: Any, state: InstanceState, value: Any) -> None:
        """``set()`` from the constructor of ``obj``, whose ``state`` it has just made: no
        session (no queued delete cascade to run first) and no old value to replace."""
        prop = self.prop
        if not prop.uselist:
            self._set_scalar(obj, value, None)
            return
        new_items = [] if value is None else list(value)
        plan = self._append_plan
        if plan is None or plan[0] is not prop.reverse_property:
            plan = self._make_append_plan()
        obj.__dict__[plan[7]] = plan[5](obj, self, new_items)
        state.mark_modified()
        self._appended(obj, state, new_items, plan)

    #: what ``_appended`` and ``set_on_new`` look up per call, made once (see below)
    _append_plan: tuple[Any, ...] | None = None

    def _make_append_plan(self) -> tuple[Any, ...]:
        """``(reverse property, its attribute, key of a reverse many-to-one written inline
        or None, reverse cascades save-update, prop cascades save-update, collection
        maker, the shared record of that key unset: ``state.unset_record``, this
        attribute's key)``; kept with the reverse property it was made for (configuring a
        later class can add a backref)."""
        prop = self.prop
        reverse = prop.reverse_property
        rattr = reverse.attr if reverse is not None else None
        # A many-to-one on the other side, written for a new member as its _set_scalar
        # would (nothing to load: a new object has no old value in the database).
        rkey = None
        if reverse is not None and not reverse.uselist and reverse.reverse_property is prop:
            rkey = reverse.attr.key
        plan = self._append_plan = (
            reverse, rattr, rkey, reverse is not None and reverse.cascade_save_update,
            prop.cascade_save_update, collection_maker(prop.collection_class),
            None if rkey is None else unset_record(NO_CHANGES, rkey), self.key)
        return plan

    def _appended(self, obj: Any, state: InstanceState, items: list[Any],
                  plan: tuple[Any, ...] | None = None) -> None:
        """``fire_append`` for each of ``items`` (an initial collection), with the lookups
        it repeats per member done once (``state`` is already marked modified; ``plan``:
        ``_append_plan`` when the caller has it)."""
        validator = self.validator
        prop = self.prop
        if plan is None:
            plan = self._append_plan
            if plan is None or plan[0] is not prop.reverse_property:
                plan = self._make_append_plan()
        _, rattr, rkey, rcascade, cascade, _, first, key = plan
        colls = state.collections
        hist = None if colls is None else colls.get(key)
        # a collection's first members (a constructor's list, the usual call): no history
        # yet and no validator to run first, so the history is the members themselves,
        # made in one pass (a duplicate keeps its first place, as below)
        per_item = validator is not None or hist is not None
        if per_item:
            if hist is None:
                hist = start_history(state, key, {})
            added, removed = hist.added, hist.removed
        else:
            start_history(state, key, dict(zip(map(id, items), items)))
        for item in items:
            if per_item:
                if validator is not None:
                    validator(obj, key, item)
                i = id(item)
                if i in removed:
                    del removed[i]
                else:
                    added[i] = item
            if rkey is not None:
                idict = item.__dict__
                ist = idict.get(STATE_KEY)
                if ist is None or ist.__class__ is LoadedMark or ist.ident is not None:
                    rattr.set_from_reverse(item, obj, prop)  # type: ignore[union-attr]
                else:
                    old = idict.get(rkey, NO_VALUE)
                    if old is not obj:
                        committed = ist.committed
                        if rkey not in committed:
                            if committed.__class__ is dict:
                                committed[rkey] = old  # type: ignore[index]
                            elif old is NO_VALUE:  # the usual new member: a shared record
                                ist.committed = (first if committed is NO_CHANGES
                                                 else unset_record(committed, rkey))
                            else:
                                ist.committed = {**committed, rkey: old}
                        idict[rkey] = obj
                        flags = ist._flags
                        if not flags & _MODIFIED:  # mark_modified(), inline: once per member
                            ist._flags = flags | _MODIFIED
                            isession = ist.session
                            if isession is not None:
                                # add_modified(), inline
                                modified = isession._modified
                                if modified is NO_MODIFIED:
                                    modified = isession._modified = set()
                                modified.add(ist)
                        if old is not None and old is not NO_VALUE:
                            self.remove_no_backref(old, item)
                        if rcascade:
                            isession = ist.session
                            if isession is not None:
                                isession._cascade_add(obj)
            elif rattr is not None:
                rattr.set_from_reverse(item, obj, prop)
            session = state.session
            if session is not None and cascade:
                session._cascade_add(item)

    def fire_append(self, obj: Any, item: Any, initiator: Any) -> None:
        """A member was added to ``obj``'s collection."""
        if self.validator is not None:
            self.validator(obj, self.key, item)
        state = obj.__dict__.get(STATE_KEY) or instance_state(obj)
        session = state.session
        if session is not None and session._cascade_pending:
            session._resolve_cascades()  # see _settle_deletes
        _record_added(state, self.key, item)
        prop = self.prop
        reverse = prop.reverse_property
        if reverse is not None and initiator is not reverse:
            if reverse.uselist:
                reverse.attr.append_no_backref(item, obj)
            else:
                reverse.attr._set_scalar(item, obj, prop)
        session = state.session
        if session is not None and prop.cascade_save_update:
            session._cascade_add(item)

    def fire_remove(self, obj: Any, item: Any, initiator: Any) -> None:
        """A member was removed from ``obj``'s collection."""
        state = obj.__dict__.get(STATE_KEY) or instance_state(obj)
        session = state.session
        if session is not None and session._cascade_pending:
            session._resolve_cascades()  # see _settle_deletes
        self._history(state).remove(item)
        state.mark_modified()
        reverse = self.prop.reverse_property
        if reverse is not None and initiator is not reverse:
            reverse.attr.remove_no_backref(item, obj)

    def _cascade(self, state: InstanceState, item: Any) -> None:
        session = state.session
        if session is not None and self.prop.cascade_save_update:
            session._cascade_add(item)

    # --- the other side of a bidirectional relationship ---------------------------------
    def set_from_reverse(self, obj: Any, value: Any, initiator: Any) -> None:
        """The reverse side added ``obj`` to ``value``'s collection: mirror it here."""
        if self.prop.uselist:
            self.append_no_backref(obj, value)
        else:
            self._set_scalar(obj, value, initiator)

    def append_no_backref(self, obj: Any, item: Any) -> None:
        """Put ``item`` into this attribute of ``obj`` without notifying the other side."""
        d = obj.__dict__
        state = d.get(STATE_KEY) or instance_state(obj)
        if self.prop.uselist:
            key = self.key
            coll = d.get(key)
            if coll is None and state.ident is None:
                coll = self.__get__(obj, type(obj))
            # (None left: persistent and unloaded, the change is remembered without
            # loading; a later load merges it in, and the flush sees it in the history)
            if coll is not None:
                if item in coll:
                    return
                if isinstance(coll, set):
                    set.add(coll, item)
                else:
                    list.append(coll, item)
            _record_added(state, key, item)
        else:
            old = d.get(self.key, NO_VALUE)
            if old is item:
                return
            state.remember(self.key, old)
            d[self.key] = item
            state.mark_modified()
            reverse = self.prop.reverse_property
            if reverse is not None and old is not None and old is not NO_VALUE:
                reverse.attr.remove_no_backref(old, obj)

    def remove_no_backref(self, obj: Any, item: Any) -> None:
        """Take ``item`` out of this attribute of ``obj`` without notifying the other side."""
        d = obj.__dict__
        state = d.get(STATE_KEY) or instance_state(obj)
        if self.prop.uselist:
            coll = d.get(self.key)
            if coll is None and state.ident is not None:
                self._history(state).remove(item)
                state.mark_modified()
                return
            if coll is None or item not in coll:
                return
            if isinstance(coll, set):
                set.discard(coll, item)
            else:
                list.remove(coll, item)
            self._history(state).remove(item)
            state.mark_modified()
        else:
            current = d.get(self.key, NO_VALUE)
            # Unloaded counts as pointing at item: item sat in item's collection.
            if current is item or current is NO_VALUE:
                state.remember(self.key, item)
                d[self.key] = None
                state.mark_modified()


def collection_history(state: InstanceState, key: str) -> CollectionHistory:
    """The history of ``state``'s collection ``key`` since the last flush (made when first
    needed)."""
    colls = state.collections
    if colls is not None:
        hist = colls.get(key)
        if hist is not None:
            return hist
    return start_history(state, key, {})


def start_history(state: InstanceState, key: str, added: dict[int, Any]) -> CollectionHistory:
    """A history for ``state``'s collection ``key``, which has none yet, whose members
    added so far are ``added`` (id -> member)."""
    hist = CollectionHistory(added)
    colls = state.collections
    if colls is None:
        state.collections = {key: hist}
    else:
        colls[key] = hist
    return hist


def _record_added(state: InstanceState, key: str, item: Any) -> None:
    """``item`` joined collection ``key`` of ``state``'s object: its history records it
    and the state is marked modified (``_history(state).add(item)`` and ``mark_modified()``
    in one call: every append, and every back-reference of one, runs it; so it looks the
    history up itself rather than calling ``collection_history``, which measured +1.4% of
    m2m_link's instructions)."""
    colls = state.collections
    hist = None if colls is None else colls.get(key)
    if hist is None:
        hist = start_history(state, key, {})
    i = id(item)
    removed = hist.removed
    if i in removed:
        del removed[i]
    else:
        hist.added[i] = item
    if not state._flags & _MODIFIED:  # the bit test inline: most appends find it set
        state.mark_modified()


def set_attribute(obj: Any, key: str, value: Any) -> None:
    """Set mapped attribute ``key`` of ``obj`` recording history (``setattr`` does this too)."""
    getattr(type(obj), key).set(obj, value)


def flag_modified(obj: Any, key: str) -> None:
    """Mark column attribute ``key`` of ``obj`` changed, so the next flush writes it even
    if it compares equal (a dict or list changed in place)."""
    d = obj.__dict__
    state = d.get(STATE_KEY) or instance_state(obj)
    if key not in d:
        raise InvalidRequestError(
            f"can't flag {type(obj).__name__}.{key} modified: it is not loaded on this "
            "object (read or set it first)"
        )
    committed = state.committed
    old = committed.get(key, NO_VALUE) if committed is not NO_CHANGES else NO_VALUE
    if old is NO_VALUE or old is d[key]:
        # no distinct old value to compare with: the flush writes a NO_VALUE old value
        if committed.__class__ is not dict:  # NO_CHANGES or a shared unset record
            if key not in committed:
                state.committed = unset_record(committed, key)
        else:
            committed[key] = NO_VALUE  # type: ignore[index]
    state.mark_modified()


def _settle_deletes(obj: Any) -> None:
    """Run the ``delete()`` cascade the object's session has queued before a relationship
    of ``obj`` changes: the cascade must see relationships as they were at ``delete()``
    (as when ``delete()`` loads them in place), not moved by a later write."""
    state = obj.__dict__.get(STATE_KEY)
    if state is not None:
        session = state.session
        if session is not None and session._cascade_pending:
            session._resolve_cascades()


class History(NamedTuple):
    """``(added, unchanged, deleted)`` of one attribute since the last flush; an empty
    part is ``()``, as SQLAlchemy prints it."""

    added: Sequence[Any]
    unchanged: Sequence[Any]
    deleted: Sequence[Any]

    def has_changes(self) -> bool:
        return bool(self.added or self.deleted)

    def empty(self) -> bool:
        return not (self.added or self.unchanged or self.deleted)

    def sum(self) -> list[Any]:
        return [*self.added, *self.unchanged, *self.deleted]


def get_history(obj: Any, key: str) -> History:
    """The history of attribute ``key`` of ``obj`` since the last flush."""
    state = instance_state(obj)
    d = obj.__dict__
    attr = getattr(type(obj), key)
    if attr.is_relationship and attr.prop.uselist:
        current = list(d.get(key, ()))
        hist = (state.collections or {}).get(key)
        if hist is None:
            return History((), current or (), ())
        return History(
            list(hist.added.values()) or (),
            [i for i in current if id(i) not in hist.added] or (),
            list(hist.removed.values()) or (),
        )
    if key not in d:
        return History((), (), ())
    value = d[key]
    if key not in state.committed:
        return History((), [value], ())
    old = state.committed[key]
    if old is NO_VALUE:
        return History([value], (), ())
    if old is value or (not attr.is_relationship and type(old) is type(value) and old == value):
        return History((), [value], ())
    return History([value], (), [old])


class _OfType:
    """``User.posts.of_type(alias)``: the relationship with an aliased target."""

    def __init__(self, attr: RelationshipAttribute, target: Any) -> None:
        self.attr = attr
        self.prop = attr.prop
        self._of_type = target
        self.class_ = attr.class_
        self.key = attr.key

    def _tether_join_path(self, explicit: Any = None) -> list[tuple[Any, Any]]:
        from tether.orm.comparators import join_path

        prop = self.attr._configured_prop()
        return join_path(prop, explicit if explicit is not None else self._of_type)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.attr, name)
