"""Copying key values between related rows: the referenced key of a parent row into the
foreign-key columns of a child row (or NULL when the link is cut).

Writes record history as the column attributes would, so the flush includes them in the
child's INSERT or UPDATE. A flush hands over its copy tasks as plain tuples ``(child
state, parent object or None, relationship)`` and :func:`apply` runs them in a loop, with
what each relationship needs looked up once per flush (:func:`plan`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tether.orm.exc import FlushError
from tether.orm.relationships import ONETOMANY
from tether.orm.state import _MARKED_DELETED, _MODIFIED, NO_VALUE, InstanceState, unset_record

__all__ = ["apply", "clear", "copy", "plan", "sides", "source_values"]


def source_values(parent: Any, parent_mapper: Any, pairs: list[tuple[Any, Any]]) -> list[Any]:
    """Values of the referenced columns of ``parent`` (loading expired ones)."""
    out = []
    d = parent.__dict__
    for src_col, _ in pairs:
        key = parent_mapper.columntoproperty[src_col].key
        out.append(d[key] if key in d else getattr(parent, key))
    return out


def sides(prop: Any) -> tuple[Any, Any]:
    """``(parent mapper, child mapper)`` of ``prop``: the side whose key is copied, and the
    side holding the foreign key."""
    if prop.direction is ONETOMANY:
        return prop.parent, prop.mapper
    return prop.mapper, prop.parent


def plan(prop: Any) -> tuple[Any, ...]:
    """What copying along ``prop`` needs, looked up once: the parent's attribute keys, the
    child's ``(attribute key, attribute)`` to write (in pair order), and, for a one-column
    key written without a validator, ``(source key, child key)`` for the inline write."""
    parent_mapper, child_mapper = sides(prop)
    pairs = prop.join.pairs
    sources = tuple(parent_mapper.columntoproperty[src].key for src, _ in pairs)
    dests = []
    for _, dest_col in pairs:
        cprop = child_mapper.columntoproperty[dest_col]
        dests.append((cprop.key, cprop.attr))
    single = None
    if len(sources) == 1 and dests[0][1].validator is None:
        single = (sources[0], dests[0][0])
    return sources, tuple(dests), single, pairs, child_mapper


def apply(tasks: Iterable[tuple[InstanceState, Any, Any]], plans: dict[Any, Any],
          skip_deleted: bool = True) -> None:
    """Run copy tasks in order (skipping, unless told otherwise, children marked for
    deletion). ``plans``: the flush's :func:`plan` per relationship, filled on first use."""
    last: Any = None
    p: Any = None
    single: Any = None
    source: Any = None
    key: Any = None
    unset_from: Any = None
    unset_to: Any = None
    last_parent: Any = None  # the parent whose key ``value`` holds (read once per run)
    value: Any = None
    # (the flag bits read directly: a property call per task was a cost of every flush)
    for child, parent, prop in tasks:
        if skip_deleted and child._flags & _MARKED_DELETED:
            continue
        if prop is not last:  # tasks come in runs of one relationship
            last = prop
            unset_from = last_parent = None
            p = plans.get(prop)
            if p is None:
                p = plans[prop] = plan(prop)
            single = p[2]
            if single is not None:
                source, key = single
        if parent is None:
            clear(child, p[3], p[4], prop.what)
            continue
        if single is None:
            copy(parent, child, p)
            continue
        # the usual one-column key, written as the column attribute's setter would; the
        # children of one parent come in runs (its collection's members, or consecutive
        # children pointing at it), which read its key once: these writes go to children
        if parent is not last_parent:
            last_parent = parent
            pd = parent.__dict__
            value = pd[source] if source in pd else getattr(parent, source)
        d = child.obj.__dict__
        old = d.get(key, NO_VALUE)
        if old is value or (key in d and old == value):
            continue
        committed = child.committed
        if key not in committed:
            if committed.__class__ is dict:
                committed[key] = old  # type: ignore[index]
            elif old is NO_VALUE:  # a new row's key: a shared record (state.unset_record)
                if committed is not unset_from:  # (the children of a run share one)
                    unset_from, unset_to = committed, unset_record(committed, key)
                child.committed = unset_to
            else:
                child.committed = {**committed, key: old}
        d[key] = value
        if not child._flags & _MODIFIED:
            child.mark_modified()


def copy(parent: Any, child: InstanceState, plan: tuple[Any, ...]) -> None:
    """Set the child's foreign-key columns to the parent's referenced key values (one per
    pair; unchanged ones are left alone)."""
    sources, dests = plan[0], plan[1]
    pd = parent.__dict__
    obj = child.obj
    d = obj.__dict__
    values = [pd[k] if k in pd else getattr(parent, k) for k in sources]
    for (key, attr), value in zip(dests, values):
        if d.get(key, NO_VALUE) is value or (key in d and d[key] == value):
            continue
        attr.set(obj, value)


def clear(child: InstanceState, pairs: list[tuple[Any, Any]], child_mapper: Any, what: str) -> None:
    """Set the child's foreign-key columns to NULL (the child left its parent)."""
    obj = child.obj
    d = obj.__dict__
    for _, dest_col in pairs:
        prop = child_mapper.columntoproperty[dest_col]
        if dest_col.primary_key and d.get(prop.key) is not None:
            raise FlushError(
                f"{what}: the child {type(obj).__name__} left its parent, and its foreign key "
                f"{prop.key} is part of its primary key, so it cannot be set to NULL. "
                "Delete the child instead: use cascade='all, delete-orphan' on the relationship"
            )
        if prop.key in d and d[prop.key] is None:
            continue
        prop.attr.set(obj, None)
