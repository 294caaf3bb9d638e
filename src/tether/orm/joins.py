"""Relationships declared with explicit ``primaryjoin=``/``secondaryjoin=`` expressions:
the key pairs are read off the ``a == b`` comparisons in the expression.

Foreign-key columns are recognised by their ``ForeignKey`` (or the ``foreign_keys=``
argument); the other column of each comparison is the referenced one.
"""

from __future__ import annotations

from typing import Any

from tether.exc import ArgumentError
from tether.orm.relationships import (
    MANYTOMANY,
    MANYTOONE,
    ONETOMANY,
    JoinInfo,
    _is_table_column,
)

__all__ = ["join_from_expressions"]


def _comparisons(expr: Any, extra: list[Any] | None = None) -> list[tuple[Any, Any]]:
    """``(left column, right column)`` of every column ``=`` column comparison in an AND
    expression; any other condition (``Card.archived == False``) goes to ``extra``."""
    ce = getattr(expr, "__clause_element__", None)
    if ce is not None:
        expr = ce()
    out: list[tuple[Any, Any]] = []
    op = getattr(expr, "operator", None)
    if op == "and":
        for clause in expr.clauses:
            out.extend(_comparisons(clause, extra))
    elif op == "=" and _is_table_column(expr.left) and _is_table_column(expr.right):
        out.append((expr.left, expr.right))
    elif type(expr).__name__ == "Grouping":
        out.extend(_comparisons(expr.element, extra))
    elif extra is not None:
        extra.append(expr)
    return out


def join_from_expressions(prop: Any) -> JoinInfo:
    """The JoinInfo of a relationship with ``primaryjoin``/``secondaryjoin`` given."""
    reg = prop.parent.registry
    primary = prop.primaryjoin
    if isinstance(primary, str) or callable(primary) and not hasattr(primary, "__clause_element__") \
            and not hasattr(primary, "operator"):
        primary = reg.evaluate(primary, prop)
    foreign = set(prop._resolve_columns(prop.foreign_keys_arg) or [])
    remote = set(prop._resolve_columns(prop.remote_side_arg) or [])
    parent_table = prop.parent.local_table
    target_table = prop.target

    def is_fk(col: Any, other: Any) -> bool:
        if foreign:
            return col in foreign
        return any(fk.column is other for fk in getattr(col, "foreign_keys", ()))

    if prop.secondary is not None:
        secondary = prop.secondary
        sj = prop.secondaryjoin
        if isinstance(sj, str) or callable(sj) and not hasattr(sj, "operator"):
            sj = reg.evaluate(sj, prop)
        pairs = []
        extra_m2m: list[Any] = []
        for a, b in _comparisons(primary, extra_m2m):
            if getattr(a, "table", None) is secondary:
                a, b = b, a
            pairs.append((a, b))
        spairs = []
        for a, b in _comparisons(sj, extra_m2m):
            if getattr(a, "table", None) is secondary:
                a, b = b, a
            spairs.append((a, b))
        if not pairs or not spairs:
            raise ArgumentError(f"{prop.what}: primaryjoin/secondaryjoin have no '==' comparisons")
        return JoinInfo(MANYTOMANY, pairs, spairs, extra=extra_m2m)

    extra: list[Any] = []
    comps = _comparisons(primary, extra)
    if not comps:
        raise ArgumentError(f"{prop.what}: primaryjoin has no '==' comparison between columns")
    pairs = []
    direction = None
    for a, b in comps:
        if is_fk(a, b) and not is_fk(b, a):
            fk, ref = a, b
        elif is_fk(b, a) and not is_fk(a, b):
            fk, ref = b, a
        else:
            raise ArgumentError(
                f"{prop.what}: cannot tell which column of {a!r} == {b!r} is the foreign key; "
                "pass foreign_keys=[the column]"
            )
        pairs.append((ref, fk))
        if parent_table is target_table:
            d = MANYTOONE if (ref in remote) else ONETOMANY
        else:
            d = MANYTOONE if getattr(fk, "table", None) is parent_table else ONETOMANY
        direction = direction or d
    assert direction is not None
    return JoinInfo(direction, pairs, extra=extra)
