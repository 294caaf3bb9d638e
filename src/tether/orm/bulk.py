"""ORM-enabled INSERT, UPDATE and DELETE statements (``session.execute(update(User)...)``)
and the bulk ``Query.update()``/``Query.delete()``: one statement for many rows, with the
identity map kept honest afterwards (matched objects are expired so they show the new
values; deleted ones leave the session), and ``returning(User)`` giving objects.

Also the bulk operations by primary key: ``session.execute(update(User), [{"id": 1,
"name": ...}, ...])`` updates each row its dict names, and the legacy
``Session.bulk_insert_mappings``/``bulk_update_mappings``/``bulk_save_objects`` write plain
dicts or objects without making them part of the session."""

from __future__ import annotations

from typing import Any

from tether.exc import InvalidRequestError
from tether.orm import loading
from tether.orm.state import instance_state

__all__ = [
    "bulk_insert_mappings",
    "bulk_save_objects",
    "execute_dml",
    "is_orm_dml",
    "matching_identities",
    "sync_after",
    "update_by_primary_key",
]


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
                session._expire_state(instance_state(obj), names)
    elif kind == "delete":
        session._own_tx_records()
        for key in keys:
            obj = session.identity_map.pop(key, None)
            if obj is not None:
                state = instance_state(obj)
                state.flushed_deleted = True
                session._modified.discard(state)
                session._tx_deleted[state] = obj


def execute_dml(session: Any, statement: Any, params: Any) -> Any:
    """Run an ORM-enabled DML statement; ``returning(Entity)`` rows come back as objects."""
    mapper = statement._entity.__mapper__
    kind = statement.__visit_name__
    if kind == "update" and isinstance(params, (list, tuple)):
        return update_by_primary_key(session, mapper, params, statement)
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
                sync_after(session, mapper, "delete", [instance_state(obj).key], None)
        out = loading.ORMResult(None, [mapper.class_.__name__], objects)
        return out
    return result


def _column_values(mapper: Any, mapping: Any) -> dict[str, Any]:
    """``mapping`` (keys are attribute keys, as the ORM names them, or column keys) with
    the column keys a statement's parameters use."""
    out = {}
    table_cols = mapper.local_table.c
    for key, value in mapping.items():
        col = mapper.key_to_column.get(key)
        if col is None:
            col = table_cols.get(key)
        if col is None:
            raise InvalidRequestError(
                f"{mapper.class_.__name__} has no column attribute {key!r}; its columns are "
                f"{', '.join(mapper.column_keys)}"
            )
        out[col.key] = value
    return out


def update_by_primary_key(session: Any, mapper: Any, mappings: Any,
                          statement: Any = None) -> Any:
    """One UPDATE per row, each dict naming its row by primary key and giving the new
    values (``session.execute(update(User), [...])``, ``bulk_update_mappings``). Rows with
    the same keys share one executemany; objects of those rows in the session are expired
    where changed, so they read the new values."""
    from tether.sql.dml import update
    from tether.sql.elements import bindparam

    pk_cols = list(mapper.primary_key)
    pk_names = {c.key for c in pk_cols}
    groups: list[tuple[tuple[str, ...], list[dict[str, Any]]]] = []
    for n, mapping in enumerate(mappings):
        values = _column_values(mapper, mapping)
        missing = [c.key for c in pk_cols if c.key not in values]
        if missing:
            raise InvalidRequestError(
                f"bulk UPDATE of {mapper.class_.__name__} by primary key: parameter set {n} "
                f"has no value for {', '.join(missing)}; each dict names the row it changes "
                "by its primary key"
            )
        shape = tuple(sorted(values))
        if groups and groups[-1][0] == shape:
            groups[-1][1].append(values)
        else:
            groups.append((shape, [values]))
    base = statement if statement is not None else update(mapper.class_)
    conn = session._connection()
    result = None
    for shape, rows in groups:
        changed = [k for k in shape if k not in pk_names]
        if not changed:
            continue
        stmt = base.where(*(c == bindparam(f"_tether_pk_{c.key}", type_=c.type)
                            for c in pk_cols)).values(
            {k: bindparam(k, type_=mapper.local_table.c[k].type) for k in changed})
        params = [{**{k: r[k] for k in changed},
                   **{f"_tether_pk_{c.key}": r[c.key] for c in pk_cols}} for r in rows]
        result = conn.execute(stmt, params)
        names = _attribute_keys(mapper, changed)
        for r in rows:
            key = (mapper.identity_class, tuple(r[c.key] for c in pk_cols))
            obj = session.identity_map.get(key)
            if obj is not None:
                session._expire_state(instance_state(obj), names)
    return result


def bulk_insert_mappings(session: Any, mapper: Any, mappings: Any,
                         return_defaults: bool = False) -> None:
    """INSERT a row per dict (attribute keys), column defaults applied; with
    ``return_defaults`` each dict gets its new primary key written back."""
    from tether.sql.dml import insert

    mappings = list(mappings)
    if not mappings:
        return
    conn = session._connection()
    stmt = insert(mapper.local_table)
    if not return_defaults:
        rows = [_column_values(mapper, m) for m in mappings]
        # one executemany per run of dicts with the same keys, in the order given
        start = 0
        for i in range(1, len(rows) + 1):
            if i == len(rows) or rows[i].keys() != rows[start].keys():
                conn.execute(stmt, rows[start:i])
                start = i
        return
    for mapping in mappings:
        result = conn.execute(stmt, _column_values(mapper, mapping))
        for prop_key, value in zip(mapper.pk_keys, result.inserted_primary_key):
            mapping[prop_key] = value


def bulk_save_objects(session: Any, objects: Any, return_defaults: bool = False,
                      update_changed_only: bool = True) -> None:
    """INSERT the new objects' rows and UPDATE the persistent ones' by primary key,
    without adding them to the session or changing their state (with
    ``return_defaults``, new objects get their generated primary key)."""
    for obj in objects:
        state = instance_state(obj)
        mapper = state.mapper
        d = obj.__dict__
        if state.key is None:
            values = {k: d[k] for k in mapper.column_keys if k in d}
            if return_defaults:
                one = [values]
                bulk_insert_mappings(session, mapper, one, return_defaults=True)
                for k in mapper.pk_keys:
                    d[k] = one[0][k]
            else:
                bulk_insert_mappings(session, mapper, [values])
            continue
        keys = [k for k in mapper.column_keys if k in d]
        if update_changed_only:
            keys = [k for k in keys if k in state.committed or k in mapper.pk_keys]
        values = {k: d[k] for k in keys}
        for k, pk_value in zip(mapper.pk_keys, state.key[1]):
            values[k] = pk_value  # the row as the database knows it
        update_by_primary_key(session, mapper, [values])
