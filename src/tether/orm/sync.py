"""Copying key values between related rows: the referenced key of a parent row into the
foreign-key columns of a child row (or NULL when the link is cut).

Writes go through the column attributes so the child's history records them and the flush
includes them in its INSERT or UPDATE.
"""

from __future__ import annotations

from typing import Any

from tether.orm.exc import FlushError
from tether.orm.state import NO_VALUE, InstanceState

__all__ = ["clear", "copy", "plan", "source_values"]


def source_values(parent: Any, parent_mapper: Any, pairs: list[tuple[Any, Any]]) -> list[Any]:
    """Values of the referenced columns of ``parent`` (loading expired ones)."""
    out = []
    d = parent.__dict__
    for src_col, _ in pairs:
        key = parent_mapper.columntoproperty[src_col].key
        out.append(d[key] if key in d else getattr(parent, key))
    return out


def plan(parent_mapper: Any, child_mapper: Any, pairs: list[tuple[Any, Any]]) -> tuple[Any, ...]:
    """What ``copy`` needs for one relationship, looked up once: the parent's attribute
    keys, and the child's ``(attribute key, attribute)`` to write, in pair order."""
    sources = tuple(parent_mapper.columntoproperty[src].key for src, _ in pairs)
    dests = []
    for _, dest_col in pairs:
        prop = child_mapper.columntoproperty[dest_col]
        dests.append((prop.key, prop.attr))
    return sources, tuple(dests)


def copy(parent: Any, child: InstanceState, plan: tuple[Any, ...]) -> None:
    """Set the child's foreign-key columns to the parent's referenced key values (one per
    pair; unchanged ones are left alone)."""
    sources, dests = plan
    pd = parent.__dict__
    obj = child.obj
    d = obj.__dict__
    if len(sources) == 1:  # the usual single-column key, without the loops
        source = sources[0]
        value = pd[source] if source in pd else getattr(parent, source)
        key, attr = dests[0]
        if d.get(key, NO_VALUE) is not value and (key not in d or not d[key] == value):
            attr.set(obj, value)
        return
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
