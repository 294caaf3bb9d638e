"""``Session.execute`` beyond its hot path: the general ORM statement (eager loads,
``contains_eager``, options with result hooks, several entities), ORM DML, and Core
statements. The session itself handles the plain ``select(Class)`` (``_execute_plain``)."""

from __future__ import annotations

from typing import Any

from tether.orm import bulk, loading, nplusone
from tether.orm import options as loader_options

__all__ = ["execute_general"]


def execute_general(session: Any, conn: Any, statement: Any, params: Any) -> Any:
    """``Session.execute`` of any statement but a plain entity's (see
    ``Session._execute_plain``): ORM selects with eager loads, options or several
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
