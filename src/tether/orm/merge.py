"""``Session.merge``: copying an object's loaded values (and, through relationships with
the ``merge`` cascade, its related objects') onto the session's persistent object of the
same identity, loaded or created."""

from __future__ import annotations

from typing import Any

from tether.orm.state import instance_state


def merge_into(session: Any, obj: Any, load: bool, memo: dict[int, Any]) -> Any:
    """The object of ``session`` that ``obj`` was merged into; ``load``: look for the row
    in the database when the identity map has no such object; ``memo``: ``id(obj)`` ->
    its merged object, so a graph with cycles is merged once per object."""
    if id(obj) in memo:
        return memo[id(obj)]
    state = instance_state(obj)
    if state.session is session:
        memo[id(obj)] = obj
        return obj
    mapper = state.mapper
    d = obj.__dict__
    pk = tuple(d.get(k) for k in mapper.pk_keys)
    target = None
    if None not in pk:
        target = session.identity_map.get((mapper.identity_class, pk))
        if target is None and load:
            target = session.get(mapper.class_, pk)
    if target is None:
        cls: Any = mapper.class_
        target = cls.__new__(cls)
        instance_state(target)
        session.add(target)
    memo[id(obj)] = target
    for prop in mapper.column_attrs:
        if prop.key in d:
            setattr(target, prop.key, d[prop.key])
    for rel in mapper.relationships.values():
        if "merge" not in rel.cascade or rel.key not in d:
            continue
        value = d[rel.key]
        if rel.uselist:
            setattr(target, rel.key, [merge_into(session, v, load, memo) for v in value])
        else:
            merged = None if value is None else merge_into(session, value, load, memo)
            setattr(target, rel.key, merged)
    return target
