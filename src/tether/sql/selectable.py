"""Things rows come from: FROM clauses (tables, joins, aliases, subqueries) and SELECT.

``Select`` is generative: every method returns a new statement and leaves the original as
it was, so statements can be built once and reused. A join with no ON clause takes it from
the single foreign key between the two sides; none or several is an error naming the tables
and the candidate columns.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from tether import exc
from tether.sql import types as sqltypes
from tether.sql.elements import (
    BindParameter,
    ClauseElement,
    ColumnClause,
    ColumnElement,
    Label,
    ShapeContext,
    TextClause,
    and_,
    coerce,
    coerce_expression,
    coerce_where,
    literal_column,
)
from tether.sql.onclause import (
    _describe,
    _on_shape,
    _onclause_shape,
    _relationship_path,
    join_condition,
)

if TYPE_CHECKING:
    from tether.sql.compound import CompoundSelect


class ColumnCollection:
    """An ordered collection of columns, reachable by key as attributes or items."""

    __slots__ = ("_by_key", "_list")

    def __init__(self, columns: Iterable[tuple[str, ColumnElement]] = ()) -> None:
        self._list: list[ColumnElement] = []
        self._by_key: dict[str, ColumnElement] = {}
        for key, col in columns:
            self._add(key, col)

    def _add(self, key: str, col: ColumnElement) -> None:
        self._list.append(col)
        self._by_key.setdefault(key, col)

    def __getattr__(self, key: str) -> ColumnElement:
        try:
            return self._by_key[key]
        except KeyError:
            raise AttributeError(
                f"no column {key!r}; columns are: {', '.join(self._by_key) or '(none)'}"
            ) from None

    def __getitem__(self, key: str | int) -> ColumnElement:
        if isinstance(key, int):
            return self._list[key]
        try:
            return self._by_key[key]
        except KeyError:
            raise KeyError(
                f"no column {key!r}; columns are: {', '.join(self._by_key) or '(none)'}"
            ) from None

    def get(self, key: str, default: Any = None) -> Any:
        return self._by_key.get(key, default)

    def __contains__(self, item: Any) -> bool:
        if isinstance(item, str):
            return item in self._by_key
        return any(c is item for c in self._list)

    def __iter__(self) -> Iterator[ColumnElement]:
        return iter(self._list)

    def __len__(self) -> int:
        return len(self._list)

    def keys(self) -> list[str]:
        return list(self._by_key)

    def values(self) -> list[ColumnElement]:
        return list(self._list)

    def items(self) -> list[tuple[str, ColumnElement]]:
        return list(self._by_key.items())

    def __repr__(self) -> str:
        return f"ColumnCollection({', '.join(self._by_key)})"


class FromClause(ClauseElement):
    """Anything that can appear in a FROM clause."""

    __visit_name__ = "fromclause"
    _is_from = True
    name: str | None = None
    schema: str | None = None

    @property
    def c(self) -> ColumnCollection:
        return self.columns

    @property
    def columns(self) -> ColumnCollection:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def primary_key(self) -> list[ColumnElement]:
        return []

    @property
    def foreign_keys(self) -> list[Any]:
        return []

    @property
    def _from_objects(self) -> list[FromClause]:
        return [self]

    def _from_key(self, ctx: ShapeContext | None = None) -> Any:
        return self

    def _base_tables(self) -> list[FromClause]:
        return [self]

    def corresponding_column(self, column: ColumnElement) -> ColumnElement | None:
        """The column of this FROM that stands for ``column`` (itself, or its proxy)."""
        for c in self.columns:
            if c is column or _proxy_chain_contains(c, column):
                return c
        return None

    def join(self, right: Any, onclause: Any = None, isouter: bool = False,
             full: bool = False) -> Join:
        return Join(self, _as_from(right), onclause, isouter, full)

    def outerjoin(self, right: Any, onclause: Any = None, full: bool = False) -> Join:
        return Join(self, _as_from(right), onclause, True, full)

    def alias(self, name: str | None = None, flat: bool = False) -> Alias:
        return Alias(self, name)

    def select(self) -> Select:
        return Select(self)

    def is_derived_from(self, other: FromClause) -> bool:
        return other is self


def _proxy_chain_contains(col: Any, target: Any) -> bool:
    while True:
        col = getattr(col, "_proxied", None)
        if col is None:
            return False
        if col is target:
            return True


class Join(FromClause):
    """``left [LEFT OUTER | FULL OUTER] JOIN right ON onclause``."""

    __visit_name__ = "join"

    def __init__(self, left: FromClause, right: FromClause, onclause: Any = None,
                 isouter: bool = False, full: bool = False) -> None:
        self.left = left
        self.right = right
        if onclause is None:
            onclause = join_condition(left, right)
        else:
            onclause = coerce_where(onclause)
        self.onclause: ColumnElement = onclause
        self.isouter = isouter
        self.full = full

    @property
    def columns(self) -> ColumnCollection:
        cols = ColumnCollection()
        for side in (self.left, self.right):
            for c in side.columns:
                table_name = getattr(side, "name", None) if not isinstance(side, Join) else None
                key = f"{table_name}_{c.key}" if table_name else (c.key or "")
                cols._add(key, c)
        return cols

    def _shape(self, binds: list[BindParameter]) -> Any:
        return ("join", self.isouter, self.full, _from_shape(self.left, binds),
                _from_shape(self.right, binds), self.onclause._shape(binds))

    def _from_key(self, ctx: ShapeContext | None = None) -> Any:
        return ("joinkey", self.left._from_key(ctx), self.right._from_key(ctx))

    def _base_tables(self) -> list[FromClause]:
        return self.left._base_tables() + self.right._base_tables()

    @property
    def foreign_keys(self) -> list[Any]:
        return self.left.foreign_keys + self.right.foreign_keys

    def corresponding_column(self, column: ColumnElement) -> ColumnElement | None:
        return (self.left.corresponding_column(column)
                or self.right.corresponding_column(column))

    def is_derived_from(self, other: FromClause) -> bool:
        return (other is self or self.left.is_derived_from(other)
                or self.right.is_derived_from(other))


def _from_shape(from_: FromClause, binds: list[BindParameter]) -> Any:
    if from_._keyed_by_identity:  # a table, the most common FROM
        return from_
    if isinstance(from_, (Join, Alias)):
        return from_._shape(binds)
    return from_._from_key(binds if isinstance(binds, ShapeContext) else None)


class Alias(FromClause):
    """A FROM element under another name: ``users AS u`` or ``(SELECT ...) AS sub``."""

    __visit_name__ = "alias"

    def __init__(self, element: FromClause | SelectBase, name: str | None = None) -> None:
        self.element = element
        self.name = name
        self._columns: ColumnCollection | None = None

    @property
    def original(self) -> Any:
        return self.element

    @property
    def columns(self) -> ColumnCollection:
        if self._columns is None:
            cols = ColumnCollection()
            if isinstance(self.element, SelectBase):
                source = list(self.element.selected_columns)
                labels = subquery_labels(source)
                names = [lab or c.name or c._result_name() for c, lab in zip(source, labels,
                                                                             strict=True)]
                keys = [lab or c._result_name() for c, lab in zip(source, labels, strict=True)]
            else:
                source = list(self.element.columns)
                names = [c.name or "" for c in source]
                keys = [c.key or "" for c in source]
            for c, name, key in zip(source, names, keys, strict=True):
                proxy = ColumnClause(name, c.type, _selectable=self)
                proxy.key = key
                proxy._proxied = c  # type: ignore[attr-defined]
                for attr in ("primary_key", "foreign_keys", "nullable"):
                    if hasattr(c, attr):
                        setattr(proxy, attr, getattr(c, attr))
                cols._add(key, proxy)
            self._columns = cols
        return self._columns

    @property
    def primary_key(self) -> list[ColumnElement]:
        pk = getattr(self.element, "primary_key", [])
        return [c for c in (self.corresponding_column(col) for col in pk) if c is not None]

    @property
    def foreign_keys(self) -> list[Any]:
        if isinstance(self.element, SelectBase):
            return []
        return [_AliasedForeignKey(fk, self) for fk in self.element.foreign_keys]

    def _shape(self, binds: list[BindParameter]) -> Any:
        inner = (self.element._shape(binds) if isinstance(self.element, SelectBase)
                 else _from_shape(self.element, binds))
        return ("alias", self._name_key(binds), inner)

    def _name_key(self, binds: Any) -> Any:
        # Every shape walk reaching an alias comes here (its _shape, or a column's
        # _from_key): the walk records it met one (see Select._shape's WHERE).
        if isinstance(binds, ShapeContext):
            binds.met_alias = True
            return self.name if self.name is not None else ("anon", binds.anon_index(self))
        return self.name if self.name is not None else ("anon", id(self))

    def _from_key(self, ctx: ShapeContext | None = None) -> Any:
        if ctx is None:
            return ("aliaskey", self.name, id(self) if self.name is None else None)
        return ("aliaskey", self._name_key(ctx))

    def _base_tables(self) -> list[FromClause]:
        return [self]

    def is_derived_from(self, other: FromClause) -> bool:
        return other is self or (isinstance(self.element, FromClause)
                                 and self.element.is_derived_from(other))


Subquery = Alias


class _AliasedForeignKey:
    """A foreign key of an aliased table, with its parent column seen through the alias."""

    def __init__(self, fk: Any, alias: Alias) -> None:
        self._fk = fk
        self.parent = alias.corresponding_column(fk.parent)
        self.constraint = fk.constraint

    @property
    def column(self) -> Any:
        return self._fk.column

    def references(self, table: Any) -> bool:
        return bool(self._fk.references(table))


class SelectBase(ClauseElement):
    """Base of SELECT and compound SELECT (UNION ...)."""

    _is_select = True
    _order_by: tuple[ColumnElement, ...] = ()
    _limit: Any = None
    _offset: Any = None

    @property
    def selected_columns(self) -> ColumnCollection:  # pragma: no cover - abstract
        raise NotImplementedError

    def _generate(self) -> Any:
        # (object.__new__ and a dict copy handed over whole: each building step runs this)
        new = object.__new__(self.__class__)
        attrs = self.__dict__.copy()
        if "_tether_shape" in attrs:  # the copy will differ: walk it afresh
            del attrs["_tether_shape"]
        new.__dict__ = attrs
        return new

    def subquery(self, name: str | None = None) -> Alias:
        return Alias(self, name)

    def alias(self, name: str | None = None, flat: bool = False) -> Alias:
        return Alias(self, name)

    def scalar_subquery(self) -> ScalarSelect:
        return ScalarSelect(self)

    def as_scalar(self) -> ScalarSelect:
        return ScalarSelect(self)

    def label(self, name: str) -> Label:
        return self.scalar_subquery().label(name)

    def exists(self) -> Exists:
        return Exists(self)

    def cte(self, name: str | None = None) -> Alias:
        return Alias(self, name)

    def order_by(self, *clauses: Any) -> Any:
        new = self._generate()
        if len(clauses) == 1 and clauses[0] is None:
            new._order_by = ()
        else:
            new._order_by = self._order_by + tuple(_order_element(c) for c in clauses)
        return new

    def limit(self, limit: Any) -> Any:
        new = self._generate()
        new._limit = None if limit is None else _int_bind(limit)
        return new

    def offset(self, offset: Any) -> Any:
        new = self._generate()
        new._offset = None if offset is None else _int_bind(offset)
        return new

    def slice(self, start: int | None, stop: int | None) -> Any:
        start = start or 0
        new = self.offset(start if start else None)
        if stop is not None:
            new = new.limit(max(stop - start, 0))
        return new

    def union(self, *others: Any) -> CompoundSelect:
        from tether.sql.compound import CompoundSelect  # (a subclass of this class)

        return CompoundSelect("UNION", self, *others)

    def union_all(self, *others: Any) -> CompoundSelect:
        from tether.sql.compound import CompoundSelect  # (a subclass of this class)

        return CompoundSelect("UNION ALL", self, *others)

    def intersect(self, *others: Any) -> CompoundSelect:
        from tether.sql.compound import CompoundSelect  # (a subclass of this class)

        return CompoundSelect("INTERSECT", self, *others)

    def except_(self, *others: Any) -> CompoundSelect:
        from tether.sql.compound import CompoundSelect  # (a subclass of this class)

        return CompoundSelect("EXCEPT", self, *others)


def _int_bind(value: Any) -> ColumnElement:
    if isinstance(value, ColumnElement):
        return value
    return BindParameter(None, int(value), sqltypes.INTEGERTYPE)


def _order_element(clause: Any) -> ColumnElement:
    if isinstance(clause, str):
        return literal_column(clause)
    return coerce_expression(clause)


class Select(SelectBase):
    """``SELECT columns FROM ... WHERE ... GROUP BY ... HAVING ... ORDER BY ... LIMIT``."""

    __visit_name__ = "select"

    # The parts a new select leaves empty are class attributes (all immutable), so a
    # select and each generative copy of it carry only the parts set on it.
    _where: tuple[ColumnElement, ...] = ()
    _having: tuple[ColumnElement, ...] = ()
    _group_by: tuple[ColumnElement, ...] = ()
    _distinct: bool | tuple[ColumnElement, ...] = False
    _from_explicit: tuple[FromClause, ...] = ()
    _joins: tuple[tuple[Any, Any, bool, bool, Any, Any], ...] = ()
    _for_update: Any = None
    _correlate: tuple[FromClause, ...] | None = None
    _correlate_except: tuple[FromClause, ...] | None = None
    _options: tuple[Any, ...] = ()
    _raw_columns: tuple[ClauseElement, ...]

    def __init__(self, *entities: Any) -> None:
        if len(entities) == 1:
            # select(User), the most common statement, without the generator below
            if isinstance(entities[0], (list, tuple)):
                entities = tuple(entities[0])
                self._raw_columns = tuple(_select_item(e) for e in entities)
            else:
                self._raw_columns = (_select_item(entities[0]),)
        else:
            self._raw_columns = tuple(_select_item(e) for e in entities)
        #: What the caller passed, untouched (mapped classes, ORM attributes): the ORM reads it.
        self._entities: tuple[Any, ...] = entities
        self._execution_options: dict[str, Any] = {}

    # --- building ----------------------------------------------------------------------
    def where(self, *criteria: Any) -> Select:
        new = self._generate()
        if len(criteria) == 1:  # where(one criterion): no generator
            if criteria[0] is not None:
                new._where = self._where + (coerce_where(criteria[0]),)
        else:
            new._where = self._where + tuple(coerce_where(c) for c in criteria if c is not None)
        return new

    filter = where

    def filter_by(self, **kwargs: Any) -> Select:
        """``column_key == value`` on the last joined FROM (or the first selected)."""
        target = self._filter_by_target()
        crit = []
        for key, value in kwargs.items():
            col = _lookup_attribute(target, key)
            crit.append(col == value)
        return self.where(*crit)

    def _filter_by_target(self) -> Any:
        if self._joins:
            return self._joins[-1][5] if len(self._joins[-1]) > 5 else self._joins[-1][0]
        if self._entities:
            return self._entities[0]
        if self._from_explicit:
            return self._from_explicit[0]
        raise exc.InvalidRequestError("filter_by() needs an entity or table to filter on")

    def having(self, *criteria: Any) -> Select:
        new = self._generate()
        new._having = self._having + tuple(coerce_where(c) for c in criteria)
        return new

    def group_by(self, *clauses: Any) -> Select:
        new = self._generate()
        if len(clauses) == 1 and clauses[0] is None:
            new._group_by = ()
        else:
            new._group_by = self._group_by + tuple(_order_element(c) for c in clauses)
        return new

    def distinct(self, *expr: Any) -> Select:
        new = self._generate()
        new._distinct = tuple(coerce_expression(e) for e in expr) if expr else True
        return new

    def select_from(self, *froms: Any) -> Select:
        new = self._generate()
        new._from_explicit = self._from_explicit + tuple(_as_from(f) for f in froms)
        return new

    def join(self, target: Any, onclause: Any = None, *, isouter: bool = False,
             full: bool = False) -> Select:
        """Join ``target`` to the FROM clause; without ``onclause`` the foreign key decides."""
        path = _relationship_path(target, onclause)
        if path is not None:
            return self._join_path(path, isouter, full, None, target)
        new = self._generate()
        new._joins = self._joins + ((_as_from(target), onclause, isouter, full, None, target),)
        return new

    def _join_path(self, path: list[tuple[Any, Any]], isouter: bool, full: bool,
                   left: Any, entity: Any) -> Select:
        new = self._generate()
        if len(path) == 1 and left is None:  # join(A.rel) through a foreign key: one step
            step_target, step_on = path[0]
            new._joins = self._joins + ((_as_from(step_target), step_on, isouter, full, None,
                                         entity),)
            return new
        steps = []
        for i, (step_target, step_on) in enumerate(path):
            steps.append((_as_from(step_target), step_on, isouter, full,
                          _as_from(left) if (left is not None and i == 0) else None,
                          entity if i == len(path) - 1 else step_target))
        new._joins = self._joins + tuple(steps)
        return new

    def outerjoin(self, target: Any, onclause: Any = None, *, full: bool = False) -> Select:
        return self.join(target, onclause, isouter=True, full=full)

    def join_from(self, from_: Any, target: Any, onclause: Any = None, *,
                  isouter: bool = False, full: bool = False) -> Select:
        path = _relationship_path(target, onclause)
        if path is not None:
            return self._join_path(path, isouter, full, from_, target)
        new = self._generate()
        new._joins = self._joins + ((_as_from(target), onclause, isouter, full,
                                     _as_from(from_), target),)
        return new

    def outerjoin_from(self, from_: Any, target: Any, onclause: Any = None, *,
                       full: bool = False) -> Select:
        return self.join_from(from_, target, onclause, isouter=True, full=full)

    def add_columns(self, *entities: Any) -> Select:
        new = self._generate()
        new._raw_columns = self._raw_columns + tuple(_select_item(e) for e in entities)
        new._entities = self._entities + tuple(entities)
        return new

    def with_only_columns(self, *entities: Any, maintain_column_froms: bool = False) -> Select:
        if len(entities) == 1 and isinstance(entities[0], (list, tuple)):
            entities = tuple(entities[0])
        new = self._generate()
        if maintain_column_froms:
            new._from_explicit = self._from_explicit + tuple(
                f for f in self._column_froms() if f not in self._from_explicit)
        new._raw_columns = tuple(_select_item(e) for e in entities)
        new._entities = tuple(entities)
        return new

    def with_for_update(self, nowait: bool = False, read: bool = False,
                        skip_locked: bool = False, of: Any = None) -> Select:
        new = self._generate()
        new._for_update = (nowait, read, skip_locked)
        return new

    def correlate(self, *froms: Any) -> Select:
        new = self._generate()
        new._correlate = tuple(_as_from(f) for f in froms if f is not None)
        return new

    def correlate_except(self, *froms: Any) -> Select:
        new = self._generate()
        new._correlate_except = tuple(_as_from(f) for f in froms if f is not None)
        return new

    def options(self, *opts: Any) -> Select:
        new = self._generate()
        new._options = self._options + opts
        return new

    def execution_options(self, **kw: Any) -> Select:
        new = self._generate()
        new._execution_options = {**self._execution_options, **kw}
        return new

    def get_execution_options(self) -> dict[str, Any]:
        return dict(self._execution_options)

    def set_label_style(self, style: Any) -> Select:
        return self

    def reduce_columns(self, only_synonyms: bool = True) -> Select:
        return self

    # --- introspection ---------------------------------------------------------------
    @property
    def selected_columns(self) -> ColumnCollection:
        cols = ColumnCollection()
        for c in self._expanded_columns():
            cols._add(c._result_name(), c)
        return cols

    @property
    def columns_clause_froms(self) -> list[FromClause]:
        return self._column_froms()

    @property
    def whereclause(self) -> ColumnElement | None:
        return and_(*self._where) if self._where else None

    def _expanded_columns(self) -> list[ColumnElement]:
        out: list[ColumnElement] = []
        for item in self._raw_columns:
            if isinstance(item, FromClause):
                out.extend(item.columns)
            else:
                out.append(item)  # type: ignore[arg-type]
        return out

    def _column_froms(self) -> list[FromClause]:
        seen: list[FromClause] = []
        for item in self._raw_columns:
            for f in item._from_objects:
                if not any(f is s for s in seen):
                    seen.append(f)
        return seen

    def get_final_froms(self) -> list[FromClause]:
        return self._resolved_froms()

    def _resolved_froms(self, outer_froms: Iterable[FromClause] = ()) -> list[FromClause]:
        """The FROM list: explicit froms, then those the columns and WHERE need, with the
        joins applied and anything correlated to an enclosing query taken out."""
        froms: list[FromClause] = list(self._from_explicit)

        def add(f: FromClause) -> None:
            for existing in froms:
                if existing is f or existing.is_derived_from(f):
                    return
            froms.append(f)

        for f in self._column_froms():
            add(f)
        for crit in self._where:
            for f in crit._from_objects:
                add(f)
        for target, onclause, isouter, full, left, _entity in self._joins:
            froms = _apply_join(froms, target, onclause, isouter, full, left,
                                self._from_explicit)
        outer = list(outer_froms)
        if outer and self._correlate != ():
            if self._correlate is not None:
                candidates = list(self._correlate)
            else:
                candidates = outer
            if self._correlate_except is not None:
                candidates = [c for c in candidates
                              if not any(c is e for e in self._correlate_except)]
            remaining = [f for f in froms if not any(f is c for c in candidates)]
            if remaining:
                froms = remaining
        return froms

    def _shape(self, binds: list[BindParameter]) -> Any:
        # Hot path (every execution walks it): only non-empty parts are added, each after
        # a marker, so two selects share a key exactly when they render the same SQL.
        key: list[Any] = ["select"]
        append = key.append
        # Subqueries reached only through their columns still carry bind values: found
        # in the same pass over the columns (the scan collects no binds), keyed after them.
        implicit: list[Any] = []
        for c in self._raw_columns:
            if c._keyed_by_identity:  # select(table): no alias reached through it
                append(("from", c))
                continue
            append(("from", _from_shape(c, binds))  # type: ignore[arg-type]
                   if c._is_from else c._shape(binds))
            for f in c._from_objects:
                if isinstance(f, Alias) and not any(f is s for s in implicit):
                    implicit.append(f)
        if implicit:
            append("A")
            key.extend(_from_shape(f, binds) for f in implicit)
        if self._from_explicit:
            key.append("F")
            key.extend(_from_shape(f, binds) for f in self._from_explicit)
        if self._joins:
            key.append("J")
            for t, o, i, fu, left, _e in self._joins:
                key.append((_from_shape(t, binds),
                            _on_shape(o, binds) if isinstance(o, ClauseElement)
                            else _onclause_shape(o, binds),
                            i, fu, _from_shape(left, binds) if left is not None else None))
        if self._where:
            key.append("W")
            for w in self._where:
                key.append(w._shape(binds))
            # Aliases reached through the WHERE's columns are keyed whole after it: the
            # walk above meets each (Alias._name_key), so they are looked for only when it
            # met one (or, walking into a plain list, may have).
            if not isinstance(binds, ShapeContext) or binds.met_alias:
                implicit = [f for crit in self._where for f in crit._from_objects
                            if isinstance(f, Alias)]
                if implicit:
                    append("WA")
                    key.extend(_from_shape(f, binds) for f in implicit)
        if self._distinct is not False:
            key.append(("D", self._distinct if self._distinct is True
                        else tuple(d._shape(binds) for d in self._distinct)))
        # The parts below are set by few statements: each one unset reads its class default
        # (a slow attribute lookup, missing from the instance dict), so they are read only
        # when the statement has any of them (a Select subclass may have other defaults).
        if type(self) is Select and _RARE_PARTS.isdisjoint(self.__dict__):
            return tuple(key)
        if self._group_by:
            key.append("G")
            key.extend(g._shape(binds) for g in self._group_by)
        if self._having:
            key.append("H")
            key.extend(h._shape(binds) for h in self._having)
        if self._order_by:
            key.append("O")
            key.extend(o._shape(binds) for o in self._order_by)
        if self._limit is not None:
            key.append(("L", self._limit._shape(binds)))
        if self._offset is not None:
            key.append(("S", self._offset._shape(binds)))
        if self._for_update is not None:
            key.append(("U", self._for_update))
        if self._correlate is not None:
            key.append(("C", tuple(_from_shape(f, binds) for f in self._correlate)))
        if self._correlate_except is not None:
            key.append(("X", tuple(_from_shape(f, binds) for f in self._correlate_except)))
        return tuple(key)

    @property
    def _from_objects(self) -> list[FromClause]:
        return []

    def __repr__(self) -> str:
        return f"<Select {str(self)!r}>"


#: The parts of a Select that ``_shape`` reads only when the instance has one of them.
_RARE_PARTS = frozenset({"_group_by", "_having", "_order_by", "_limit", "_offset",
                         "_for_update", "_correlate", "_correlate_except"})


def _item_shape(item: ClauseElement, binds: list[BindParameter]) -> Any:
    if isinstance(item, FromClause):
        return ("from", _from_shape(item, binds))
    return item._shape(binds)


def _select_item(entity: Any) -> ClauseElement:
    if isinstance(entity, str):
        return literal_column(entity)
    element = coerce(entity)
    if isinstance(element, TextClause):
        from tether.sql.elements import TextExpression

        return TextExpression(element)
    if isinstance(element, SelectBase):
        return element.scalar_subquery()
    return element


def _as_from(value: Any) -> FromClause:
    if isinstance(value, FromClause):  # (what the lines below make of it, checked first)
        return value
    element = coerce(value)
    if isinstance(element, SelectBase):
        return element.subquery()
    if not isinstance(element, FromClause):
        table = getattr(element, "table", None)
        if isinstance(table, FromClause):
            return table
        raise exc.ArgumentError(f"{value!r} is not a table, join or subquery")
    return element


def _lookup_attribute(target: Any, key: str) -> Any:
    if hasattr(target, "__clause_element__") and hasattr(target, key) and not isinstance(
            target, ClauseElement):
        return getattr(target, key)
    from_ = _as_from(target)
    try:
        return from_.columns[key]
    except KeyError:
        raise exc.InvalidRequestError(
            f"filter_by(): {_describe(from_)} has no column {key!r}; it has "
            f"{', '.join(from_.columns.keys())}"
        ) from None


def _apply_join(froms: list[FromClause], target: FromClause, onclause: Any, isouter: bool,
                full: bool, left: FromClause | None,
                explicit: tuple[FromClause, ...] = ()) -> list[FromClause]:
    """Replace the FROM the join starts from with the Join, and drop ``target`` if listed."""
    froms = [f for f in froms if f is not target]
    if onclause is not None and not isinstance(onclause, ClauseElement):
        ce = getattr(onclause, "__clause_element__", None)
        onclause = ce() if ce is not None else onclause
    index = None
    if left is not None:
        for i, f in enumerate(froms):
            if f is left or f.is_derived_from(left):
                index = i
                break
        if index is None:
            froms.append(left)
            index = len(froms) - 1
    elif onclause is not None:
        referenced = onclause._from_objects
        for i, f in enumerate(froms):
            if any(f is r or f.is_derived_from(r) for r in referenced):
                index = i
                break
    else:
        candidates = []
        for i, f in enumerate(froms):
            try:
                join_condition(f, target)
            except exc.NoForeignKeysError:
                continue
            except exc.AmbiguousForeignKeysError:
                pass
            candidates.append(i)
        if len(candidates) > 1:
            # Prefer what the statement already joins or selects from explicitly.
            preferred = [i for i in candidates if isinstance(froms[i], Join)
                         or any(froms[i] is e for e in explicit)]
            if len(preferred) == 1:
                candidates = preferred
        if len(candidates) > 1:
            names = ", ".join(_describe(froms[i]) for i in candidates)
            raise exc.InvalidRequestError(
                f"join({_describe(target)}): several FROM elements could join to it "
                f"({names}); say which one with select_from(...) or join_from(left, "
                f"{_describe(target)}), and give the ON clause if needed"
            )
        if candidates:
            index = candidates[0]
    if index is None and left is None and onclause is not None:
        # The ON clause names the table the join starts from, though nothing selected
        # comes from it (select(Post.title).join(User.posts)): that table leads the join.
        starts = [r for r in onclause._from_objects
                  if r is not target and not target.is_derived_from(r)]
        if starts:
            froms.append(starts[0])
            index = len(froms) - 1
    if index is None:
        if not froms:
            raise exc.InvalidRequestError(
                f"join(): nothing to join {_describe(target)} from; select something first "
                f"or use select_from()/join_from()"
            )
        index = 0
    base = froms[index]
    joined = Join(base, target, onclause, isouter, full)
    froms[index] = joined
    # Tables now inside the join must not also be listed on their own.
    inside = joined._base_tables()
    return [f for i, f in enumerate(froms)
            if i == index or not any(f is t for t in inside)]


class ScalarSelect(ColumnElement):
    """A SELECT of one column used as a value: ``(SELECT max(x) FROM t)``."""

    __visit_name__ = "scalar_select"

    def __init__(self, element: SelectBase) -> None:
        self.element = element
        cols = list(element.selected_columns)
        self.type = cols[0].type if len(cols) == 1 else sqltypes.NULLTYPE

    def _shape(self, binds: list[BindParameter]) -> Any:
        return ("scalar", self.element._shape(binds))

    def where(self, *criteria: Any) -> ScalarSelect:
        return ScalarSelect(self.element.where(*criteria))  # type: ignore[attr-defined]

    def correlate(self, *froms: Any) -> ScalarSelect:
        return ScalarSelect(self.element.correlate(*froms))  # type: ignore[attr-defined]

    def self_group(self, against: str | None = None) -> ClauseElement:
        return self


class Exists(ColumnElement):
    """``EXISTS (SELECT ...)``."""

    __visit_name__ = "exists"
    type = sqltypes.BOOLEANTYPE

    def __init__(self, element: Any = None) -> None:
        if element is None:
            element = Select(literal_column("*"))
        elif not isinstance(element, SelectBase):
            element = Select(element)
        self.element: SelectBase = element

    def _shape(self, binds: list[BindParameter]) -> Any:
        return ("exists", self.element._shape(binds))

    def where(self, *criteria: Any) -> Exists:
        return Exists(self.element.where(*criteria))  # type: ignore[attr-defined]

    def select_from(self, *froms: Any) -> Exists:
        return Exists(self.element.select_from(*froms))  # type: ignore[attr-defined]

    def correlate(self, *froms: Any) -> Exists:
        return Exists(self.element.correlate(*froms))  # type: ignore[attr-defined]

    def correlate_except(self, *froms: Any) -> Exists:
        return Exists(self.element.correlate_except(*froms))  # type: ignore[attr-defined]

    def select(self) -> Select:
        return Select(self)


def exists(*args: Any) -> Exists:
    """``EXISTS (subquery)``; ``exists()`` alone builds ``EXISTS (SELECT * ...)``."""
    if not args:
        return Exists()
    if len(args) == 1 and isinstance(args[0], SelectBase):
        return Exists(args[0])
    return Exists(Select(*args))


def select(*entities: Any) -> Select:
    """Start a SELECT of the given columns, tables or mapped entities."""
    return Select(*entities)


def alias(selectable: Any, name: str | None = None) -> Alias:
    return Alias(_as_from(selectable), name)


def join(left: Any, right: Any, onclause: Any = None, isouter: bool = False,
         full: bool = False) -> Join:
    return Join(_as_from(left), _as_from(right), onclause, isouter, full)


def outerjoin(left: Any, right: Any, onclause: Any = None, full: bool = False) -> Join:
    return Join(_as_from(left), _as_from(right), onclause, True, full)


def subquery_labels(columns: list[ColumnElement]) -> list[str | None]:
    """Names under which a subquery exposes its columns: each column's key, made unique.

    ``Alias.columns`` uses the same names, so ``subquery.c.x`` finds what the SQL calls x.
    """
    seen: dict[str, int] = {}
    out: list[str | None] = []
    for col in columns:
        base = col._result_name()
        if base in seen:
            seen[base] += 1
            table = getattr(getattr(col, "table", None), "name", None)
            name = f"{table}_{base}" if table and f"{table}_{base}" not in seen \
                else f"{base}_{seen[base]}"
            seen.setdefault(name, 1)
        else:
            seen[base] = 1
            name = base
        rendered = getattr(col, "name", None)
        if isinstance(col, Label) or col.__visit_name__ != "column" or rendered != name:
            out.append(name)
        else:
            out.append(None)
    return out
