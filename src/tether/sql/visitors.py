"""Rewriting expressions: copy an expression tree, replacing chosen elements.

Statements are immutable, so "changing" an expression means building a copy in which some
elements are swapped: a bind parameter given a value (``params()``), or a table's columns
seen through an alias (``adapt_to_alias``). Elements this module does not know how to
descend into are kept as they are.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from tether.sql.elements import (
    BinaryExpression,
    BindParameter,
    BooleanClauseList,
    ClauseElement,
    ClauseList,
    ColumnClause,
    Grouping,
    Label,
    UnaryExpression,
)
from tether.sql.expressions import Case, Cast, CollationClause, Extract, Over, TypeCoerce

Replacer = Callable[[Any], Any]

# The attributes holding child elements, per class; lists of children end in "[]".
_CHILDREN: dict[type, tuple[str, ...]] = {
    BinaryExpression: ("left", "right"),
    UnaryExpression: ("element",),
    Grouping: ("element",),
    Label: ("element",),
    Cast: ("element",),
    TypeCoerce: ("element",),
    CollationClause: ("element",),
    Extract: ("element",),
    Over: ("element", "partition_by[]", "order_by[]"),
    BooleanClauseList: ("clauses[]",),
    ClauseList: ("clauses[]",),
}


def replace(element: Any, fn: Replacer) -> Any:
    """A copy of ``element`` in which every sub-element ``e`` with ``fn(e) is not None`` is
    replaced by ``fn(e)``. Unchanged subtrees are shared, not copied."""
    found = fn(element)
    if found is not None:
        return found
    if isinstance(element, Case):
        return _replace_case(element, fn)
    from tether.sql.functions import Function
    from tether.sql.selectable import Select

    if isinstance(element, Select):
        return _replace_select(element, fn)
    if isinstance(element, Function):
        new_args = replace(element.clause_expr, fn)
        if new_args is element.clause_expr:
            return element
        clone = _copy(element)
        clone.clause_expr = new_args
        return clone
    attrs = None
    for cls in type(element).__mro__:
        attrs = _CHILDREN.get(cls)
        if attrs is not None:
            break
    if attrs is None:
        return element
    changes: dict[str, Any] = {}
    for attr in attrs:
        if attr.endswith("[]"):
            name = attr[:-2]
            items = getattr(element, name)
            new_items = [replace(i, fn) for i in items]
            if any(a is not b for a, b in zip(items, new_items, strict=True)):
                changes[name] = new_items
        else:
            child = getattr(element, attr)
            if child is None:
                continue
            new_child = replace(child, fn)
            if new_child is not child:
                changes[attr] = new_child
    if not changes:
        return element
    clone = _copy(element)
    clone.__dict__.update(changes)
    return clone


_SELECT_PARTS = ("_raw_columns", "_where", "_having", "_group_by", "_order_by")


def _replace_select(select: Any, fn: Replacer) -> Any:
    # The clauses a statement's bind parameters live in (``select(...).params(x=1)``);
    # a clause that did not change is shared with the original.
    changes: dict[str, Any] = {}
    for name in _SELECT_PARTS:
        items = getattr(select, name)
        new_items = tuple(replace(i, fn) for i in items)
        if any(a is not b for a, b in zip(items, new_items, strict=True)):
            changes[name] = new_items
    if not changes:
        return select
    clone = select._generate()
    clone.__dict__.update(changes)
    return clone


def _copy(element: Any) -> Any:
    """A shallow copy of ``element`` about to get other children, without the cache-key
    shapes memoised on the original (a statement's ``_tether_shape``, a join ON clause's
    ``_tether_on_shape``): the copy's must be walked afresh."""
    clone = copy.copy(element)
    attrs = clone.__dict__
    attrs.pop("_tether_shape", None)
    attrs.pop("_tether_on_shape", None)
    return clone


def _replace_case(case: Case, fn: Replacer) -> Case:
    clone = _copy(case)
    clone.value = replace(case.value, fn) if case.value is not None else None
    clone.whens = [(replace(c, fn), replace(r, fn)) for c, r in case.whens]
    clone.else_ = replace(case.else_, fn) if case.else_ is not None else None
    return clone


def replace_binds(element: ClauseElement, values: dict[str, Any]) -> Any:
    """``element`` with the named bind parameters given ``values``."""

    def swap(e: Any) -> Any:
        if isinstance(e, BindParameter) and e.key in values:
            return BindParameter(e.key, values[e.key], e.type, unique=e.unique,
                                 required=False, expanding=e.expanding)
        return None

    return replace(element, swap)


def adapt_to_alias(element: Any, table: Any, alias: Any) -> Any:
    """``element`` with the columns of ``table`` replaced by the same columns of ``alias``."""

    def swap(e: Any) -> Any:
        if isinstance(e, ColumnClause) and e.table is table:
            return alias.corresponding_column(e)
        return None

    return replace(element, swap)
