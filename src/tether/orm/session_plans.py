"""Per-mapper plans a Session keeps with the mapper's cached statements: the SELECT by
primary key behind ``Session.get`` and the relationships ``Session.add`` cascades along.
Each is built on first use and cached in ``mapper.statement_cache``, which the mapper drops
when its properties change."""

from __future__ import annotations

from typing import Any

from tether.orm import loading
from tether.orm.mapper import Mapper

__all__ = ["get_plan", "get_statement", "save_update_keys"]


def get_plan(mapper: Mapper) -> tuple[Any, list[str], bool]:
    """What ``Session.get`` needs of ``mapper`` past the identity map: the statement, its
    bind names, and whether loading it loads relationships eagerly; kept with the mapper's
    statements once it is configured (one lookup per ``get``)."""
    plan = (get_statement(mapper), mapper._get_bind_names,  # type: ignore[attr-defined]
            loading.has_eager(mapper))
    if mapper.configured:
        mapper.statement_cache["get_plan"] = plan
    return plan


def get_statement(mapper: Mapper) -> Any:
    """``SELECT <table columns> FROM table WHERE pk = :pk`` for ``mapper``, built once."""
    stmt = mapper.statement_cache.get("get")
    if stmt is None:
        from tether.sql.elements import bindparam
        from tether.sql.selectable import Select

        names = [f"_pk_{i}" for i in range(len(mapper.primary_key))]
        stmt = Select(mapper.class_).where(
            *(col == bindparam(name, type_=col.type)
              for col, name in zip(mapper.primary_key, names))
        )
        mapper._get_bind_names = names  # type: ignore[attr-defined]
        mapper.statement_cache["get"] = stmt
    return stmt


def columns_statement(mapper: Mapper, keys: tuple[str, ...]) -> Any:
    """``SELECT <the columns of keys> FROM table WHERE pk = :pk`` for reloading some of
    an object's attributes (an expired object, a deferred column), built once per
    mapper and set of keys."""
    ck = ("columns", keys)
    stmt = mapper.statement_cache.get(ck)
    if stmt is None:
        from tether.sql.elements import bindparam
        from tether.sql.selectable import Select

        get_statement(mapper)  # names the primary key binds (mapper._get_bind_names)
        names = mapper._get_bind_names  # type: ignore[attr-defined]
        columns = mapper.key_to_column
        stmt = Select(*(columns[k] for k in keys)).where(
            *(col == bindparam(name, type_=col.type)
              for col, name in zip(mapper.primary_key, names))
        )
        mapper.statement_cache[ck] = stmt
    return stmt


def save_update_keys(mapper: Any) -> tuple[tuple[str, bool], ...]:
    """``(key, uselist)`` of ``mapper``'s relationships with the save-update cascade, made
    once per mapper (again when relationships were added since, as backrefs are)."""
    rels = mapper.relationships
    ck = ("save_update_keys", len(rels))
    keys = mapper.statement_cache.get(ck)
    if keys is None:
        keys = tuple((p.key, p.uselist) for p in rels.values() if p.cascade_save_update)
        if all(p.configured for p in rels.values()):  # uselist is known once configured
            mapper.statement_cache[ck] = keys
    return keys  # type: ignore[no-any-return]
