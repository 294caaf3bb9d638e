"""INSERT, UPDATE and DELETE statements.

Like SELECT they are generative. Values can be given on the statement (``.values(...)``) or
at execution (``conn.execute(insert(t), {"name": "x"})`` or a list of such dicts, which runs
as one executemany). Column defaults written in Python (``default=``/``onupdate=``) are
applied by the compiled statement for every row that does not give the column.
"""

from __future__ import annotations

from typing import Any

from tether import exc
from tether.sql.elements import (
    BindParameter,
    ClauseElement,
    ColumnElement,
    and_,
    coerce,
    coerce_expression,
    coerce_where,
)
from tether.sql.selectable import FromClause, SelectBase, _item_shape


def _dml_table(target: Any) -> Any:
    element = coerce(target)
    if not isinstance(element, FromClause):
        raise exc.ArgumentError(f"{target!r} is not a table")
    return element


class DMLBase(ClauseElement):
    """What INSERT, UPDATE and DELETE share: a table, RETURNING, and generative copies."""

    _returning: tuple[ClauseElement, ...] = ()
    _return_defaults = False

    def __init__(self, table: Any) -> None:
        self._entity = table
        self.table = _dml_table(table)
        self._returning = ()
        self._execution_options: dict[str, Any] = {}

    def _generate(self) -> Any:
        new = self.__class__.__new__(self.__class__)
        new.__dict__.update(self.__dict__)
        new.__dict__.pop("_tether_shape", None)  # the copy will differ: walk it afresh
        return new

    def returning(self, *cols: Any) -> Any:
        """Return the given columns (or whole tables) of every affected row."""
        from tether.sql.selectable import _select_item

        new = self._generate()
        new._returning = self._returning + tuple(_select_item(c) for c in cols)
        return new

    def return_defaults(self, *cols: Any) -> Any:
        new = self._generate()
        new._return_defaults = True
        return new

    def execution_options(self, **kw: Any) -> Any:
        new = self._generate()
        new._execution_options = {**self._execution_options, **kw}
        return new

    @property
    def returned_columns(self) -> list[ColumnElement]:
        out: list[ColumnElement] = []
        for item in self._returning:
            if isinstance(item, FromClause):
                out.extend(item.columns)
            else:
                out.append(item)  # type: ignore[arg-type]
        return out

    def _values_from(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[Any, Any]:
        values: dict[Any, Any] = {}
        if args:
            if len(args) > 1:
                raise exc.ArgumentError("values() takes one dict, or keyword arguments")
            values.update(self._keyed(args[0]))
        values.update(self._keyed(kwargs))
        return values

    def _keyed(self, mapping: dict[Any, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        cols = self.table.columns
        for key, value in mapping.items():
            if not isinstance(key, str):
                element = coerce(key)
                key = getattr(element, "key", None)
                if key is None or key not in cols:
                    raise exc.ArgumentError(
                        f"{element!r} is not a column of table {self.table.name!r}")
            elif key not in cols:
                raise exc.ArgumentError(
                    f"unconsumed column name {key!r}: table {self.table.name!r} has columns "
                    f"{', '.join(cols.keys())}"
                )
            # Values become elements now, so the shape walk and the compiler see the same
            # bind parameter objects.
            out[key] = _as_value(value, cols[key])
        return out

    def _value_shape(self, value: Any, col: Any, binds: list[BindParameter]) -> Any:
        return value._shape(binds)


def _as_value(value: Any, col: Any) -> ColumnElement:
    if isinstance(value, ColumnElement):
        return value
    if isinstance(value, ClauseElement) or hasattr(value, "__clause_element__"):
        return coerce_expression(value, col.type)
    return BindParameter(col.key, value, col.type, unique=True, required=False)


class Insert(DMLBase):
    """``INSERT INTO table (...) VALUES (...)``."""

    __visit_name__ = "insert"

    def __init__(self, table: Any) -> None:
        super().__init__(table)
        self._values: dict[str, Any] | None = None
        self._multi_values: list[dict[str, Any]] | None = None
        self._select: tuple[list[str], SelectBase] | None = None
        self._inline = False

    def values(self, *args: Any, **kwargs: Any) -> Insert:
        """Values for the row; a list of dicts inserts several rows in one statement."""
        new = self._generate()
        if args and isinstance(args[0], (list, tuple)) and not kwargs:
            rows = [self._keyed(r) if isinstance(r, dict) else self._positional(r)
                    for r in args[0]]
            new._multi_values = (self._multi_values or []) + rows
            return new
        new._values = {**(self._values or {}), **self._values_from(args, kwargs)}
        return new

    def _positional(self, row: Any) -> dict[str, Any]:
        keys = self.table.columns.keys()
        return dict(zip(keys, row, strict=False))

    def from_select(self, names: list[Any], select: SelectBase,
                    include_defaults: bool = True) -> Insert:
        new = self._generate()
        keys = [n if isinstance(n, str) else getattr(coerce(n), "key", None) for n in names]
        new._select = (keys, select)
        return new

    def inline(self) -> Insert:
        new = self._generate()
        new._inline = True
        return new

    def _shape(self, binds: list[BindParameter]) -> Any:
        cols = self.table.columns
        values = None
        if self._values is not None:
            values = tuple((k, self._value_shape(v, cols[k], binds))
                           for k, v in self._values.items())
        multi = None
        if self._multi_values is not None:
            multi = tuple(tuple((k, self._value_shape(v, cols[k], binds)) for k, v in row.items())
                          for row in self._multi_values)
        select = None
        if self._select is not None:
            select = (tuple(self._select[0]), self._select[1]._shape(binds))
        return ("insert", self.table, values, multi, select,
                tuple(_item_shape(r, binds) for r in self._returning))


class _WhereDML(DMLBase):
    _where: tuple[ColumnElement, ...] = ()

    def where(self, *criteria: Any) -> Any:
        new = self._generate()
        new._where = self._where + tuple(coerce_where(c) for c in criteria)
        return new

    filter = where

    def filter_by(self, **kwargs: Any) -> Any:
        cols = self.table.columns
        return self.where(*[cols[k] == v for k, v in kwargs.items()])

    @property
    def whereclause(self) -> ColumnElement | None:
        return and_(*self._where) if self._where else None


class Update(_WhereDML):
    """``UPDATE table SET ... WHERE ...``."""

    __visit_name__ = "update"

    def __init__(self, table: Any) -> None:
        super().__init__(table)
        self._values: dict[str, Any] | None = None
        self._where = ()

    def values(self, *args: Any, **kwargs: Any) -> Update:
        new = self._generate()
        new._values = {**(self._values or {}), **self._values_from(args, kwargs)}
        return new

    def ordered_values(self, *pairs: tuple[Any, Any]) -> Update:
        return self.values(dict(pairs))

    def _shape(self, binds: list[BindParameter]) -> Any:
        cols = self.table.columns
        values = None
        if self._values is not None:
            values = tuple((k, self._value_shape(v, cols[k], binds))
                           for k, v in self._values.items())
        return ("update", self.table, values, tuple(w._shape(binds) for w in self._where),
                tuple(_item_shape(r, binds) for r in self._returning))


class Delete(_WhereDML):
    """``DELETE FROM table WHERE ...``."""

    __visit_name__ = "delete"

    def __init__(self, table: Any) -> None:
        super().__init__(table)
        self._where = ()

    def _shape(self, binds: list[BindParameter]) -> Any:
        return ("delete", self.table, tuple(w._shape(binds) for w in self._where),
                tuple(_item_shape(r, binds) for r in self._returning))


def insert(table: Any) -> Insert:
    """Start an INSERT into ``table`` (a Table or mapped class)."""
    return Insert(table)


def update(table: Any) -> Update:
    """Start an UPDATE of ``table``."""
    return Update(table)


def delete(table: Any) -> Delete:
    """Start a DELETE from ``table``."""
    return Delete(table)
