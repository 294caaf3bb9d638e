"""ORM-enabled INSERT, UPDATE and DELETE statements (``session.execute(update(User)...)``)
and the bulk ``Query.update()``/``Query.delete()``: one statement for many rows, with the
identity map kept honest afterwards (matched objects are expired so they show the new
values; deleted ones leave the session), and ``returning(User)`` giving objects."""

from __future__ import annotations

from typing import Any

from tether.orm import loading
from tether.orm.state import STATE_KEY

__all__ = ["execute_dml", "is_orm_dml", "matching_identities", "sync_after"]


def is_orm_dml(statement: Any) -> bool:
    """An insert/update/delete whose target is a mapped class."""
    entity = getattr(statement, "_entity", None)
    return (
        isinstance(entity, type)
        and hasattr(entity, "__mapper__")
        and getattr(statement, "__visit_name__", None) in ("insert", "update", "delete")
    )


def matching_identities(session: Any, mapper: Any, where: Any) -> list[Any]:
    """Identity keys of the rows ``where`` matches (only worth asking when the session
    holds objects of ``mapper``)."""
    from tether.sql.selectable import Select

    if not any(k[0] is mapper.identity_class for k in session.identity_map):
        return []
    stmt = Select(*mapper.primary_key)
    if where is not None:
        stmt = stmt.where(where)
    rows = session._connection().execute(stmt).fetchall()
    return [(mapper.identity_class, tuple(r)) for r in rows]


def _attribute_keys(mapper: Any, values: Any) -> list[str]:
    names = []
    for k in values or ():
        name = k if isinstance(k, str) else getattr(k, "key", None)
        col = mapper.local_table.c.get(name) if name else None
        prop = mapper.columntoproperty.get(col) if col is not None else mapper.attrs.get(name)
        if prop is not None:
            names.append(prop.key)
    return names


def sync_after(session: Any, mapper: Any, kind: str, keys: list[Any], values: Any) -> None:
    """Bring identity-mapped objects in line with an UPDATE or DELETE that matched ``keys``."""
    if kind == "update":
        names = _attribute_keys(mapper, values) or None
        for key in keys:
            obj = session.identity_map.get(key)
            if obj is not None:
                session._expire_state(obj.__dict__[STATE_KEY], names)
    elif kind == "delete":
        for key in keys:
            obj = session.identity_map.pop(key, None)
            if obj is not None:
                state = obj.__dict__[STATE_KEY]
                state.flushed_deleted = True
                session._modified.discard(state)
                session._tx_deleted[state] = obj


def execute_dml(session: Any, statement: Any, params: Any) -> Any:
    """Run an ORM-enabled DML statement; ``returning(Entity)`` rows come back as objects."""
    mapper = statement._entity.__mapper__
    kind = statement.__visit_name__
    keys: list[Any] = []
    if kind in ("update", "delete"):
        keys = matching_identities(session, mapper, statement.whereclause)
    conn = session._connection()
    result = conn.execute(statement, params) if params is not None else conn.execute(statement)
    if kind in ("update", "delete"):
        sync_after(session, mapper, kind, keys, getattr(statement, "_values", None))
    returning: Any = getattr(statement, "_returning", ())
    if len(returning) == 1 and returning[0] is mapper.local_table:
        rows = result.fetchall()
        load = loading.row_loader(session, mapper)
        objects = [load(r) for r in rows]
        if kind == "delete":
            for obj in objects:
                sync_after(session, mapper, "delete", [obj.__dict__[STATE_KEY].key], None)
        out = loading.ORMResult(None, [mapper.class_.__name__], objects)
        return out
    return result
