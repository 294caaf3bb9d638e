"""``Session.execute`` beyond its hot path: the general ORM statement (eager loads,
``contains_eager``, options with result hooks, several entities), ORM DML, and Core
statements; and what every execution does first, with the most common ORM statement, the
plain ``select(Class)`` (:func:`execute_plain`)."""

from __future__ import annotations

from typing import Any

from tether.orm import bulk, loading, nplusone
from tether.orm import mapper as mapper_module
from tether.orm import options as loader_options

__all__ = ["execute_general", "execute_plain"]


def execute_plain(session: Any, statement: Any, params: Any) -> tuple[Any, Any, Any]:
    """What every ``Session.execute`` / ``scalars`` does first, and the most common ORM
    statement: one mapped class, no options, whose objects are all there is to do (what
    the general path would decide each time): ``(connection, its mapper, its objects)``,
    or ``(connection, None, None)`` for any other statement. ``scalars()`` hands the
    objects to its result as they are.

    Each step that usually has nothing to do is tested here before its call (a failed
    flush, mappers to configure, pending changes to autoflush, cascades to resolve or no
    connection yet): every query of a session pays for this path."""
    if session._failed is not None:
        session._check_failed()
    if mapper_module._new_mappers:  # (needs_configure())
        for entity in getattr(statement, "_entities", ()):
            mapper = getattr(entity, "__mapper__", None)
            if mapper is not None:
                mapper.registry.configure_if_needed()
    if session._new or session._deleted or session._modified:
        session._autoflush()
    conn = session._connection_
    if conn is None or session._cascade_pending:
        conn = session._connection()
    mapper = loader_options.plain_entity(statement)
    if mapper is None:
        return conn, None, None
    objects = loading.load_rows(loading.row_loader(session, mapper),
                                conn._rows(statement, params), True)
    if session._nplusone:
        nplusone.tag(objects)
    return conn, mapper, objects


def execute_general(session: Any, conn: Any, statement: Any, params: Any) -> Any:
    """``Session.execute`` of any statement but a plain entity's (see
    ``execute_plain``): ORM selects with eager loads, options or several
    entities, ORM DML, and Core statements."""
    if loading.is_orm_statement(statement):
        steps = loader_options.joined_steps(statement)
        if any(isinstance(o, loader_options.ContainsEager)
               for o in getattr(statement, "_options", ())):
            orm_result = loader_options.execute_with_contains_eager(
                session, conn, statement, params)
        elif steps:
            orm_result = loader_options.execute_with_joins(
                session, conn, statement, params, steps)
        else:
            orm_result = loading.build_result(session, statement,
                                              conn._rows(statement, params), consume=True)
        if session._nplusone:
            for _, objs in orm_result._groups:
                nplusone.tag(objs)
        if loading.needs_relationship_loading(statement, orm_result._groups):
            with session.no_autoflush:
                loader_options.process_statement(session, statement, orm_result._groups)
        for opt in getattr(statement, "_options", ()):
            hook = getattr(opt, "process_result", None)
            if hook is not None:
                hook(session, statement, orm_result)
        return orm_result
    if bulk.is_orm_dml(statement):
        return bulk.execute_dml(session, statement, params)
    return conn.execute(statement, params)
