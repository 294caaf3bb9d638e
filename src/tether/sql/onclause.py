"""Inferring the ON clause of a join from the foreign keys between its two sides.

Exactly one foreign-key constraint between the sides gives the ON clause; none, or more than
one, is an error that names both sides and the candidate columns, with the fix. Also the
ON clause's part of a statement's cache key, and an ORM relationship's join steps.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tether import exc
from tether.sql.elements import BindParameter, ClauseElement, ColumnElement, ShapeContext, and_

if TYPE_CHECKING:
    from tether.sql.selectable import FromClause


def join_condition(left: FromClause, right: FromClause) -> ColumnElement:
    """The ON clause from the one foreign-key constraint between ``left`` and ``right``."""
    by_constraint: dict[int, list[tuple[ColumnElement, ColumnElement]]] = {}
    order: list[int] = []

    def collect(refers: FromClause, target: FromClause) -> None:
        for fk in refers.foreign_keys:
            try:
                target_col = fk.column
            except exc.NoReferenceError:
                continue
            mine = target.corresponding_column(target_col)
            if mine is None:
                continue
            key = id(fk.constraint) if fk.constraint is not None else id(fk)
            key = hash((key, id(refers)))
            if key not in by_constraint:
                by_constraint[key] = []
                order.append(key)
            by_constraint[key].append((mine, fk.parent))

    from tether.sql.selectable import Join

    right_tables = [right] if not isinstance(right, Join) else right._base_tables()
    for r in right_tables:
        collect(r, left)
    if not order:
        for r in right_tables:
            collect(left, r)
    left_name, right_name = _describe(left), _describe(right)
    if not order:
        raise exc.NoForeignKeysError(
            f"can't join {left_name} to {right_name}: no foreign key links them. "
            f"Give the ON clause yourself, e.g. .join({right_name}, "
            f"{left_name}.c.id == {right_name}.c.<column>), or declare a ForeignKey on the "
            f"column that refers to the other table."
        )
    if len(order) > 1:
        candidates = "; ".join(
            " AND ".join(f"{_colname(p)} -> {_colname(t)}" for t, p in by_constraint[k])
            for k in order
        )
        raise exc.AmbiguousForeignKeysError(
            f"can't join {left_name} to {right_name}: more than one foreign key could link "
            f"them ({candidates}). Give the ON clause to pick one, e.g. "
            f".join({right_name}, {_onclause_hint(by_constraint[order[0]])})."
        )
    pairs = by_constraint[order[0]]
    return and_(*[t == p for t, p in pairs])


def _describe(from_: FromClause) -> str:
    from tether.sql.selectable import Join

    if isinstance(from_, Join):
        return " JOIN ".join(_describe(t) for t in from_._base_tables())
    return repr(getattr(from_, "fullname", None) or from_.name or "subquery")


def _colname(col: Any) -> str:
    table = getattr(col, "table", None)
    tname = getattr(table, "name", None)
    return f"{tname}.{col.name}" if tname else str(col.name)


def _onclause_hint(pairs: list[tuple[Any, Any]]) -> str:
    return " & ".join(f"{_colname(t)} == {_colname(p)}" for t, p in pairs)


def _relationship_path(target: Any, onclause: Any) -> list[tuple[Any, Any]] | None:
    """An ORM relationship's join steps (``[(from, on), ...]``, two through a secondary
    table), the relationship given as the target or the ON clause; else None. (Every
    ``select().join()`` asks: one attribute lookup per object asked.)"""
    if onclause is None:  # join(A.rel), or a table / class the foreign key decides for
        steps_of = getattr(target, "_tether_join_path", None)
        return steps_of(None) if steps_of is not None else None
    steps_of = getattr(onclause, "_tether_join_path", None)
    if steps_of is None:
        return None
    return steps_of(None if hasattr(target, "_tether_join_path") else target)  # type: ignore[no-any-return]


def _on_shape(onclause: ClauseElement, binds: list[BindParameter]) -> Any:
    """The shape of a join's ON clause, kept on the clause when nothing in it depends on
    the statement (no bind parameter, no anonymous alias numbered by this walk): the ORM
    joins every ``select(A).join(A.rel)`` through the same ON clause object, built once
    per relationship, so those statements skip its walk and their cache keys share it
    (an identical part of two keys compares by identity)."""
    attrs = getattr(onclause, "__dict__", None)
    if attrs is None or not isinstance(binds, ShapeContext):
        return onclause._shape(binds)
    shape = attrs.get("_tether_on_shape")
    if shape is None:
        n = len(binds)
        shape = onclause._shape(binds)
        if len(binds) == n and binds.anon is None:  # elements never change once built
            attrs["_tether_on_shape"] = shape
    return shape


def _onclause_shape(onclause: Any, binds: list[BindParameter]) -> Any:
    if onclause is None:
        return None
    ce = getattr(onclause, "__clause_element__", None)
    if ce is not None:
        element = ce()
        if isinstance(element, ClauseElement):
            return element._shape(binds)
    # A relationship attribute used as the ON clause: the ORM resolves it; key by identity.
    return ("onclause", id(onclause))
