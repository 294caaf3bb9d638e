"""SQL functions: ``func.count()``, ``func.lower(x)``, ``func.anything(...)``.

Any attribute of ``func`` names a SQL function. A few well-known ones carry a return type
so that results come back as the right Python type (``count`` an int, ``max`` the type of
its argument, ``now`` a datetime).
"""

from __future__ import annotations

from typing import Any

from tether.sql import types as sqltypes
from tether.sql.elements import (
    BindParameter,
    ClauseList,
    ColumnElement,
    coerce_expression,
    literal_column,
)
from tether.sql.expressions import Over

_SAME_AS_FIRST_ARG = {"max", "min", "sum", "coalesce", "abs", "round", "nullif", "greatest",
                      "least"}
_FIXED_TYPES: dict[str, sqltypes.TypeEngine] = {
    "count": sqltypes.INTEGERTYPE,
    "char_length": sqltypes.INTEGERTYPE,
    "length": sqltypes.INTEGERTYPE,
    "lower": sqltypes.STRINGTYPE,
    "upper": sqltypes.STRINGTYPE,
    "trim": sqltypes.STRINGTYPE,
    "concat": sqltypes.STRINGTYPE,
    "now": sqltypes.DateTime(),
    "current_timestamp": sqltypes.DateTime(),
    "localtimestamp": sqltypes.DateTime(),
    "current_date": sqltypes.Date(),
    "current_time": sqltypes.Time(),
    "row_number": sqltypes.INTEGERTYPE,
    "rank": sqltypes.INTEGERTYPE,
    "dense_rank": sqltypes.INTEGERTYPE,
}
#: Functions written without parentheses in SQL.
NO_PARENS = {"current_timestamp", "current_date", "current_time", "localtimestamp",
             "localtime", "current_user", "session_user"}


class Function(ColumnElement):
    """A call of a SQL function."""

    __visit_name__ = "function"

    def __init__(self, name: str, *args: Any, type_: Any = None,
                 packagenames: tuple[str, ...] = ()) -> None:
        self.name = name
        self.packagenames = packagenames
        self.clause_expr = ClauseList(*[coerce_expression(a) for a in args])
        lname = name.lower()
        if type_ is not None:
            self.type = sqltypes.to_instance(type_)
        elif lname in _FIXED_TYPES:
            self.type = _FIXED_TYPES[lname]
        elif lname in _SAME_AS_FIRST_ARG and self.clause_expr.clauses:
            self.type = self.clause_expr.clauses[0].type
        else:
            self.type = sqltypes.NULLTYPE
        self.key = name

    @property
    def clauses(self) -> ClauseList:
        return self.clause_expr

    def _shape(self, binds: list[BindParameter]) -> Any:
        return ("func", self.packagenames, self.name, self.type._cache_key(),
                self.clause_expr._shape(binds))

    @property
    def _from_objects(self) -> list[Any]:
        return self.clause_expr._from_objects

    def _result_name(self) -> str:
        return self.name or "?"

    def over(self, partition_by: Any = None, order_by: Any = None) -> Over:
        return Over(self, partition_by, order_by)

    def select(self) -> Any:
        from tether.sql.selectable import Select

        return Select(self)

    def scalar_table_valued(self, name: str) -> ColumnElement:
        return literal_column(name)


class _FunctionGenerator:
    """``func.name(...)`` builds ``Function("name", ...)``; dotted names build
    schema-qualified calls (``func.myschema.myfunc()``)."""

    def __init__(self, names: tuple[str, ...] = ()) -> None:
        self._names = names

    def __getattr__(self, name: str) -> _FunctionGenerator:
        if name.startswith("__"):
            raise AttributeError(name)
        if name.endswith("_") and not name.startswith("_"):
            name = name[:-1]
        return _FunctionGenerator(self._names + (name,))

    def __call__(self, *args: Any, **kwargs: Any) -> Function:
        if not self._names:
            raise TypeError("call a named function: func.count(), func.lower(x), ...")
        *packages, name = self._names
        if name == "count" and not args:
            args = (literal_column("*"),)
        return Function(name, *args, type_=kwargs.get("type_"), packagenames=tuple(packages))


func = _FunctionGenerator()
