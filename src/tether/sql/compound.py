"""Statements made of other statements or of literal SQL: ``union()``, ``union_all()``,
``intersect()``, ``except_()`` (and the same methods of a select), and
``text(...).columns(...)`` (a TextualSelect)."""

from __future__ import annotations

from typing import Any

from tether.sql.elements import BindParameter, ColumnElement, TextClause
from tether.sql.selectable import ColumnCollection, SelectBase

__all__ = ["CompoundSelect", "TextualSelect", "except_", "intersect", "union", "union_all"]


class CompoundSelect(SelectBase):
    """``SELECT ... UNION [ALL] SELECT ...`` and friends."""

    __visit_name__ = "compound_select"

    def __init__(self, keyword: str, *selects: Any) -> None:
        self.keyword = keyword
        self.selects: tuple[SelectBase, ...] = tuple(selects)
        self._order_by = ()
        self._limit = None
        self._offset = None
        self._entities = selects[0]._entities if selects else ()

    @property
    def selected_columns(self) -> ColumnCollection:
        return self.selects[0].selected_columns

    def _shape(self, binds: list[BindParameter]) -> Any:
        return ("compound", self.keyword, tuple(s._shape(binds) for s in self.selects),
                tuple(o._shape(binds) for o in self._order_by),
                self._limit._shape(binds) if self._limit is not None else None,
                self._offset._shape(binds) if self._offset is not None else None)


def union(*selects: Any) -> CompoundSelect:
    return CompoundSelect("UNION", *selects)


def union_all(*selects: Any) -> CompoundSelect:
    return CompoundSelect("UNION ALL", *selects)


def intersect(*selects: Any) -> CompoundSelect:
    return CompoundSelect("INTERSECT", *selects)


def except_(*selects: Any) -> CompoundSelect:
    return CompoundSelect("EXCEPT", *selects)


class TextualSelect(SelectBase):
    """``text(...).columns(...)``: literal SQL that returns the named, typed columns."""

    __visit_name__ = "textual_select"

    def __init__(self, text: TextClause, columns: list[ColumnElement]) -> None:
        self.text = text
        self.column_args = columns
        self._entities = ()

    @property
    def selected_columns(self) -> ColumnCollection:
        return ColumnCollection((c._result_name(), c) for c in self.column_args)

    def _shape(self, binds: list[BindParameter]) -> Any:
        return ("textsel", self.text._shape(binds),
                tuple((c._result_name(), c.type._cache_key()) for c in self.column_args))
