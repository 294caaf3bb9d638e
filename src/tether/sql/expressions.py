"""Expressions with their own SQL syntax: CASE, CAST, type coercion, COLLATE, EXTRACT,
window functions (``OVER``) and row values (``tuple_``); and the function forms of
``distinct``/``asc``/``desc``/``nulls_first``/``nulls_last``/``between``. The plain operators and columns live in
``elements``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tether.sql import types as sqltypes
from tether.sql.elements import (
    BinaryExpression,
    BindParameter,
    ClauseElement,
    ClauseList,
    ColumnElement,
    EmptyIn,
    Grouping,
    UnaryExpression,
    coerce_expression,
    coerce_where,
)

if TYPE_CHECKING:
    from tether.sql.selectable import FromClause


class CollationClause(ColumnElement):
    __visit_name__ = "collation"

    def __init__(self, element: ColumnElement, collation: str) -> None:
        self.element = element
        self.collation = collation
        self.type = element.type

    def _shape(self, binds: list[BindParameter]) -> Any:
        return ("collate", self.collation, self.element._shape(binds))


class Cast(ColumnElement):
    """``CAST(element AS type)``."""

    __visit_name__ = "cast"

    def __init__(self, expression: Any, type_: Any) -> None:
        self.type = sqltypes.to_instance(type_)
        self.element = coerce_expression(expression, self.type)

    def _shape(self, binds: list[BindParameter]) -> Any:
        return ("cast", self.type._cache_key(), self.element._shape(binds))

    @property
    def _from_objects(self) -> list[FromClause]:
        return self.element._from_objects

    def _result_name(self) -> str:
        return self.element._result_name()


def cast(expression: Any, type_: Any) -> Cast:
    return Cast(expression, type_)


class TypeCoerce(ColumnElement):
    """An expression treated as another type in Python, with no CAST in the SQL."""

    __visit_name__ = "type_coerce"

    def __init__(self, expression: Any, type_: Any) -> None:
        self.type = sqltypes.to_instance(type_)
        self.element = coerce_expression(expression, self.type)

    def _shape(self, binds: list[BindParameter]) -> Any:
        return ("coerce", self.type._cache_key(), self.element._shape(binds))

    @property
    def _from_objects(self) -> list[FromClause]:
        return self.element._from_objects


def type_coerce(expression: Any, type_: Any) -> TypeCoerce:
    return TypeCoerce(expression, type_)


class Case(ColumnElement):
    """``CASE WHEN ... THEN ... ELSE ... END``."""

    __visit_name__ = "case"

    def __init__(self, *whens: Any, value: Any = None, else_: Any = None) -> None:
        if len(whens) == 1 and isinstance(whens[0], dict):
            pairs = list(whens[0].items())
        elif len(whens) == 1 and isinstance(whens[0], list):
            pairs = list(whens[0])
        else:
            pairs = list(whens)
        self.value = coerce_expression(value) if value is not None else None
        self.whens = []
        for cond, result in pairs:
            cond_el = (coerce_expression(cond, self.value.type) if self.value is not None
                       else coerce_where(cond))
            self.whens.append((cond_el, coerce_expression(result)))
        self.else_ = coerce_expression(else_) if else_ is not None else None
        types = [r.type for _, r in self.whens] + ([self.else_.type] if self.else_ is not None else [])
        self.type = next((t for t in types if not isinstance(t, sqltypes.NullType)),
                         sqltypes.NULLTYPE)

    def _shape(self, binds: list[BindParameter]) -> Any:
        return ("case",
                self.value._shape(binds) if self.value is not None else None,
                tuple((c._shape(binds), r._shape(binds)) for c, r in self.whens),
                self.else_._shape(binds) if self.else_ is not None else None)

    @property
    def _from_objects(self) -> list[FromClause]:
        out: list[FromClause] = []
        for c, r in self.whens:
            out += c._from_objects + r._from_objects
        return out


def case(*whens: Any, value: Any = None, else_: Any = None) -> Case:
    return Case(*whens, value=value, else_=else_)


def collate(expr: Any, collation: str) -> ColumnElement:
    return coerce_expression(expr).collate(collation)


def extract(field: str, expr: Any) -> ColumnElement:
    return Extract(field, coerce_expression(expr))


class Extract(ColumnElement):
    """``EXTRACT(field FROM expr)``."""

    __visit_name__ = "extract"
    type = sqltypes.INTEGERTYPE

    def __init__(self, field: str, expr: ColumnElement) -> None:
        self.field = field
        self.element = expr

    def _shape(self, binds: list[BindParameter]) -> Any:
        return ("extract", self.field, self.element._shape(binds))

    @property
    def _from_objects(self) -> list[FromClause]:
        return self.element._from_objects


class Over(ColumnElement):
    """``function OVER (PARTITION BY ... ORDER BY ...)``."""

    __visit_name__ = "over"

    def __init__(self, element: ColumnElement, partition_by: Any = None,
                 order_by: Any = None) -> None:
        self.element = element
        self.type = element.type
        self.partition_by = _as_list(partition_by)
        self.order_by = _as_list(order_by)
        self.key = getattr(element, "key", None)

    def _shape(self, binds: list[BindParameter]) -> Any:
        return ("over", self.element._shape(binds),
                tuple(p._shape(binds) for p in self.partition_by),
                tuple(o._shape(binds) for o in self.order_by))

    @property
    def _from_objects(self) -> list[FromClause]:
        return self.element._from_objects

    def _result_name(self) -> str:
        return self.element._result_name()


def _as_list(value: Any) -> list[ColumnElement]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [coerce_expression(v) for v in value]
    return [coerce_expression(value)]


# --- ordering and range helpers of a column expression, as functions ---------------------

def distinct(expr: Any) -> UnaryExpression:
    return coerce_expression(expr).distinct()


def asc(expr: Any) -> UnaryExpression:
    return coerce_expression(expr).asc()


def desc(expr: Any) -> UnaryExpression:
    return coerce_expression(expr).desc()


def nulls_first(expr: Any) -> UnaryExpression:
    return coerce_expression(expr).nulls_first()


def nulls_last(expr: Any) -> UnaryExpression:
    return coerce_expression(expr).nulls_last()


def between(expr: Any, lower: Any, upper: Any) -> ColumnElement:
    return coerce_expression(expr).between(lower, upper)


class Tuple(ClauseList):
    """``(a, b, ...)``, for row-value comparisons like ``tuple_(a, b).in_([...])``."""

    __visit_name__ = "tuple"

    def operate(self, op: str, other: Any = None, **kw: Any) -> ColumnElement:
        if op in ("in", "not_in") and not isinstance(other, ClauseElement):
            items = list(other)
            if not items:
                return EmptyIn(op == "in")
            rows = [
                Tuple(*[coerce_expression(v, c.type) for v, c in zip(row, self.clauses,
                                                                    strict=True)])
                for row in items
            ]
            return BinaryExpression(self, Grouping(ClauseList(*rows)), op, sqltypes.BOOLEANTYPE)
        if op in ("=", "!=") and isinstance(other, (tuple, list)):
            other = Tuple(*[coerce_expression(v, c.type)
                            for v, c in zip(other, self.clauses, strict=True)])
        return super().operate(op, other, **kw)


def tuple_(*clauses: Any) -> Tuple:
    return Tuple(*clauses)
