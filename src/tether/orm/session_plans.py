"""Per-mapper plans a Session keeps with the mapper's cached statements: the SELECT by
primary key behind ``Session.get`` and the relationships ``Session.add`` cascades along.
Each is built on first use and cached in ``mapper.statement_cache``, which the mapper drops
when its properties change (``Session.get`` runs the get plan itself, on its Connection
or its lease)."""

from __future__ import annotations

from typing import Any

from tether.orm import loading
from tether.orm.mapper import Mapper

__all__ = ["get_compiled", "get_plan", "get_statement", "save_update_keys"]


def get_plan(mapper: Mapper) -> tuple[Any, list[str], bool, dict[Any, Any], Any]:
    """What ``Session.get`` needs of ``mapper`` past the identity map: the statement, its
    bind names, whether loading it loads relationships eagerly, its compiled forms by
    dialect (see ``get_compiled``) and the mapper's ``loading.one_loader``; kept with the mapper's statements once it is
    configured (one lookup per ``get``)."""
    compiled: dict[Any, Any] = {}
    plan = (get_statement(mapper), mapper._get_bind_names,  # type: ignore[attr-defined]
            loading.has_eager(mapper), compiled, loading.one_loader(mapper))
    if mapper.configured:
        mapper.statement_cache["get_plan"] = plan
    return plan


def _by_primary_key(mapper: Mapper, *selected: Any) -> Any:
    """``SELECT <selected> FROM table WHERE pk = :_pk_0 ...``; the bind names are
    ``mapper._get_bind_names``."""
    from tether.sql.elements import bindparam
    from tether.sql.selectable import Select

    names = [f"_pk_{i}" for i in range(len(mapper.primary_key))]
    mapper._get_bind_names = names  # type: ignore[attr-defined]
    return Select(*selected).where(
        *(col == bindparam(name, type_=col.type) for col, name in zip(mapper.primary_key, names))
    )


def get_statement(mapper: Mapper) -> Any:
    """``SELECT <table columns> FROM table WHERE pk = :pk`` for ``mapper``, built once."""
    stmt = mapper.statement_cache.get("get")
    if stmt is None:
        stmt = mapper.statement_cache["get"] = _by_primary_key(mapper, mapper.class_)
    return stmt


def columns_statement(mapper: Mapper, keys: tuple[str, ...]) -> Any:
    """``SELECT <the columns of keys> FROM table WHERE pk = :pk`` for reloading some of
    an object's attributes (an expired object, a deferred column), built once per
    mapper and set of keys."""
    ck = ("columns", keys)
    stmt = mapper.statement_cache.get(ck)
    if stmt is None:
        columns = mapper.key_to_column
        stmt = mapper.statement_cache[ck] = _by_primary_key(
            mapper, *(columns[k] for k in keys))
    return stmt


def get_compiled(plan: tuple[Any, ...], dialect: Any) -> Any:
    """``(compiled, args)`` of a get plan's statement for ``dialect``: the Compiled, and a
    function from the primary-key tuple to the DB-API parameter tuple (None when the key
    tuple is that tuple already: one plain placeholder per key column, in key order).
    Compiled through ``compile_statement`` (so through the dialect's compiled cache) once
    per plan and dialect."""
    from tether.sql.compiler import BIND, compile_statement

    compiled, bound = compile_statement(plan[0], dialect)
    names = plan[1]
    slots = compiled.slots
    args: Any = None
    if (compiled._context_defaults or len(slots) != len(names)
            or any(s[0] != BIND or s[2] != n for s, n in zip(slots, names))):
        def args(ident: tuple[Any, ...]) -> tuple[Any, ...]:
            return compiled.construct_params(bound, dict(zip(names, ident)))  # type: ignore[no-any-return]
    elif any(s[3] is not None for s in slots):
        procs = [s[3] for s in slots]

        def args(ident: tuple[Any, ...]) -> tuple[Any, ...]:
            return tuple([v if p is None else p(v) for p, v in zip(procs, ident)])
    found = plan[3][dialect] = (compiled, args)
    return found


def save_update_keys(mapper: Any) -> tuple[tuple[str, bool], ...]:
    """``(key, uselist)`` of ``mapper``'s relationships with the save-update cascade, kept
    on the mapper (``_save_update_keys``) once every relationship is configured (uselist
    is known then); ``Mapper._forget_plans`` drops it when a relationship is added, as a
    backref is."""
    rels = mapper.relationships.values()
    keys = tuple((p.key, p.uselist) for p in rels if p.cascade_save_update)
    if all(p.configured for p in rels):
        mapper._save_update_keys = keys
    return keys
