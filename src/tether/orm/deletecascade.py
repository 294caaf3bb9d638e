"""The ``delete`` cascade of ``Session.delete()``, loading what it needs set-based.

``mark`` marks an object deleted and follows its ``delete``-cascading relationships through
everything already loaded, at once. A relationship that would have to be loaded with a
SELECT (lazy ``select``/``selectin``/... strategies) is not loaded there: the object waits in
``session._cascade_pending`` until the session does anything else -- flush, run any
statement, add, expunge, get, report ``deleted``/``dirty`` (``Session._resolve_cascades``
calls ``resolve``). ``resolve`` then loads, per mapper and relationship, the unloaded values
of every waiting object with one ``IN`` statement (the selectin loader's batches), stores
them exactly as a lazy load would (identity map, ``lazy="selectin"`` defaults of the loaded
class), and continues the cascade into them, level by level. Deleting N parents so costs one
SELECT per relationship and level instead of one per parent.

Objects the cascade reaches are marked as they are found, so a loop of ``delete()`` calls
sees (and a flush writes) the same set of objects as loading each collection in place would.
The flush uses ``load`` the same way for the children that let go of deleted parents.
"""

from __future__ import annotations

from typing import Any

from tether.orm.state import DETACHED_EXPUNGED, NO_PENDING, InstanceState, instance_state
from tether.orm.strategies import LazyLoader, SelectInLoader, override_strategy

__all__ = ["load", "mark", "resolve"]

# strategies whose load is one SELECT keyed by the parent's columns: the batch loader
# gives the same value (others -- noload, raise, user strategies -- load in place)
_BATCHABLE = (LazyLoader, SelectInLoader)


def _batchable(state: InstanceState, prop: Any) -> bool:
    strategy = prop.strategy
    overrides = state.load_overrides
    if overrides is not None and prop.key in overrides:
        strategy = override_strategy(prop, overrides[prop.key])
    return type(strategy) in _BATCHABLE


def _cascades(mapper: Any) -> tuple[Any, ...]:
    """``mapper``'s relationships that cascade ``delete`` (kept once it is configured)."""
    props = mapper.__dict__.get("_delete_cascades")
    if props is None:
        props = tuple(p for p in mapper.relationships.values() if "delete" in p.cascade)
        if mapper.configured:
            mapper._delete_cascades = props
    return props  # type: ignore[no-any-return]


def mark(session: Any, roots: list[Any], seen: set[int]) -> None:
    """Mark the objects ``roots`` deleted and, along loaded ``delete`` cascades, what they
    own; queue the objects with unloaded cascading relationships for ``resolve``."""
    pending = session._cascade_pending
    if not pending:  # maybe the class's shared empty list: the session gets its own
        pending = session._cascade_pending = []
    deleted = session._deleted
    if deleted is NO_PENDING:  # the sessions' shared empty dict: this one gets its own
        deleted = session._deleted = {}
    cascades_of: dict[Any, tuple[Any, ...]] = {}  # per mapper, for this walk
    # depth first, in relationship and collection order, as a recursive walk would go
    stack = roots[::-1]
    while stack:
        o = stack.pop()
        i = id(o)
        if i in seen:
            continue
        seen.add(i)
        d = o.__dict__
        st = instance_state(o)
        deleted.setdefault(st, o)
        st.marked_deleted = True
        mapper = st.mapper
        props = cascades_of.get(mapper)
        if props is None:
            props = cascades_of[mapper] = _cascades(mapper)
        if not props:
            continue
        children: list[Any] = []
        waiting: list[Any] = []
        for prop in props:
            key = prop.key
            if key in d:
                value = d[key]
            elif prop.passive_deletes:
                continue  # unloaded: the database's ON DELETE takes care of the rows
            elif _batchable(st, prop):
                waiting.append(prop)
                continue
            else:
                # loading the children to cascade to must not flush a half-marked graph
                with session.no_autoflush:
                    value = getattr(o, key)
            _extend(children, prop, value)
        if waiting:
            pending.append((st, o, waiting))
        if children:
            stack.extend(reversed(_admit(session, children)))


def _extend(children: list[Any], prop: Any, value: Any) -> None:
    if prop.uselist:
        children.extend(value)
    elif value is not None:
        children.append(value)


def _admit(session: Any, items: list[Any]) -> list[Any]:
    """The persistent objects among ``items`` (attached to ``session`` if detached); never
    flushed ones leave the session instead of being deleted."""
    out = []
    for item in items:
        ist = instance_state(item)
        if ist.ident is None:
            session._expunge_state(ist, DETACHED_EXPUNGED)
            continue
        if ist.session is None:
            session._save_or_update(ist, item)
        out.append(item)
    return out


def resolve(session: Any) -> None:
    """Load the relationships the queued objects cascade along, one statement per mapper,
    relationship and batch of keys, and continue the cascade into what they hold."""
    seen: set[int] = set()  # marked (walked) in this resolve
    done: set[int] = set()  # waiting relationships followed
    while session._cascade_pending:
        batch = session._cascade_pending
        session._cascade_pending = []
        # undone since (rollback, expunge, add() again): nothing to cascade
        live = [e for e in batch if e[0].session is session and e[0].marked_deleted]
        props: dict[Any, list[Any]] = {}
        for _, o, waiting in live:
            for prop in waiting:
                props.setdefault(prop, []).append(o)
        for prop, objs in props.items():
            load(session, prop, objs)
        children: list[Any] = []
        for _, o, waiting in live:
            if id(o) in done:
                continue
            done.add(id(o))
            for prop in waiting:
                # loaded above, or (changed while unloaded) merged by a plain lazy load
                _extend(children, prop, getattr(o, prop.key))
        mark(session, _admit(session, children), seen)


def load(session: Any, prop: Any, objs: list[Any]) -> None:
    """Load ``prop`` for those of ``objs`` that have it unloaded and would load it with a
    SELECT, with one ``IN`` statement per batch of keys, stored as lazy loads would."""
    from tether.orm import loading
    from tether.orm.options import apply_loading

    key = prop.key
    todo = [o for o in objs if key not in o.__dict__ and _batchable(instance_state(o), prop)]
    if not todo:
        return
    related = override_strategy(prop, "selectin").load_many(session, todo)
    if related and loading.has_eager(prop.mapper):
        apply_loading(session, prop.mapper, related, {}, 1)
