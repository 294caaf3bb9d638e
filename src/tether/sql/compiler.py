"""The SQL compiler: statement objects -> SQL text plus a recipe for its parameters.

``compile_statement`` is the one entry point the engine uses. It computes the statement's
*shape* (see ``elements``), looks the shape up in the dialect's cache, and compiles only on
a miss; the shape walk also collects this statement's bound values, so a cached
``Compiled`` serves every statement of the same shape. A ``Compiled`` holds:

* ``string``: the SQL in the dialect's paramstyle (``?`` or ``%s``);
* a list of *slots*, one per placeholder, that ``construct_params`` turns into the
  positional parameter tuple (statement values, execution parameters, column defaults,
  each through its type's bind processor);
* ``result_keys`` and ``result_processors`` for the rows it returns.

Database differences are read from the dialect's capability flags; the expression, SELECT,
DML and DDL visitors live in this module and its two mixins.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from operator import attrgetter, itemgetter
from typing import Any

from tether import exc
from tether.sql import types as sqltypes
from tether.sql.compiler_ddl import DDLCompilerMixin
from tether.sql.compiler_dml import DMLCompilerMixin
from tether.sql.ddl import DDLElement
from tether.sql.dml import Insert, Update
from tether.sql.elements import (
    BindParameter,
    BooleanClauseList,
    ClauseElement,
    ClauseList,
    ColumnElement,
    Grouping,
    Label,
    ShapeContext,
    TextClause,
)
from tether.sql.functions import NO_PARENS
from tether.sql.selectable import Alias, FromClause, Join, Select, SelectBase, subquery_labels

_CACHE_LIMIT = 3000
_EXPANDING = attrgetter("expanding")

# Flags the compiler reads, with the value assumed when a dialect does not say.
_FLAG_DEFAULTS: dict[str, Any] = {
    "paramstyle": "named",
    "supports_ilike": False,
    "supports_nulls_ordering": True,
    "supports_is_distinct_from": False,
    "supports_for_update": False,
    "supports_native_boolean": False,
    "supports_returning": True,
    "supports_multirow_insert": True,
    "supports_distinct_on": False,
    "requires_limit_with_offset": False,
    "tuple_in_values": False,
    "extract_via_strftime": False,
    "function_overrides": {},
    "autoincrement_style": "integer_primary_key",
    "computed_always_stored": False,
    "supports_if_not_exists": True,
    "reserved_words": frozenset(),
    "type_names": {},
    "in_list_array_types": {},
    "name": "default",
}

_RESERVED = frozenset("""
all analyse analyze and any array as asc asymmetric authorization between binary both case cast
check collate column constraint create cross current_date current_role current_time
current_timestamp current_user default deferrable desc distinct do else end except false for
foreign freeze from full grant group having ilike in initially inner intersect into is isnull
join lateral leading left like limit localtime localtimestamp natural not notnull null offset
on only or order outer overlaps placing primary references returning right select session_user
similar some symmetric table then to trailing true union unique user using verbose when where
window with index key values abort action add after attach autoincrement before begin by
cascade commit conflict database deferred delete detach drop each escape exclusive exists
explain fail glob if ignore immediate indexed insert instead match no of plan pragma query
raise recursive regexp reindex release rename replace restrict rollback row savepoint set
temp temporary transaction trigger update vacuum view virtual
""".split())
_PLAIN_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")
_TEXT_BIND = re.compile(r"(?<![:\w\\]):(\w+)(?!:)")

_BINARY_OPS = {
    "=": " = ", "!=": " != ", "<": " < ", "<=": " <= ", ">": " > ", ">=": " >= ",
    "+": " + ", "-": " - ", "*": " * ", "/": " / ", "%": " % ", "||": " || ",
    "like": " LIKE ", "not_like": " NOT LIKE ", "ilike": " ILIKE ", "not_ilike": " NOT ILIKE ",
    "in": " IN ", "not_in": " NOT IN ", "is": " IS ", "is_not": " IS NOT ",
    "between": " BETWEEN ", "not_between": " NOT BETWEEN ",
    "is_distinct_from": " IS DISTINCT FROM ", "is_not_distinct_from": " IS NOT DISTINCT FROM ",
}


class Flags:
    """Reads capability flags off a dialect, falling back to neutral defaults."""

    def __init__(self, dialect: Any) -> None:
        for name, default in _FLAG_DEFAULTS.items():
            setattr(self, name, getattr(dialect, name, default))
        self.dialect = dialect


# --- slots: how one placeholder gets its value ------------------------------------------
# (BIND, index, key, processor): a bound parameter; ``key`` is set when execution
#     parameters may override it.
# (EXPAND, index, key, count, processor): an expanding IN list's ``count`` items, one
#     placeholder each (one slot for the list: a 500-key batch is one slot, not 500).
# (COLUMN, key, processor, default, required): an INSERT/UPDATE column value taken from the
#     execution parameters, falling back to the column's Python default.
# (ARRAY, index, key, processor, pack): an expanding IN list passed whole, as one array
#     parameter (dialects with ``in_list_array_types``); the processor applies to each
#     item, then ``pack`` (the dialect's ``in_list_array_packer``, or None) to the list.
# (OWN, bind, processor): a bound value that is not part of the statement's own tree (a
#     literal inside a column's SQL-expression default, ``default=func.lower("X")``): it
#     always takes the bind's own value.
BIND, EXPAND, COLUMN, ARRAY, OWN = 0, 1, 2, 3, 4


class _DefaultContext:
    """Handed to column default functions that take an argument."""

    __slots__ = ("current_parameters",)

    def __init__(self, params: dict[str, Any]) -> None:
        self.current_parameters = params

    def get_current_parameters(self, isolate_multiinsert_groups: bool = True) -> dict[str, Any]:
        return self.current_parameters


class Compiled:
    """A compiled statement: SQL text, parameter recipe and result description."""

    __slots__ = (
        "string", "slots", "returns_rows", "result_keys", "result_processors", "result_types",
        "is_insert", "is_update", "is_delete", "is_ddl", "is_select", "is_text", "table",
        "inserted_pk_columns", "_all_binds_plain", "_context_defaults", "statement_kind",
        "positional_names", "_row_template", "inserted_pk_positions", "implicit_returning",
        "many_values", "_getter", "_rows_plan",
    )

    def __init__(self) -> None:
        self.string = ""
        self.slots: list[tuple[Any, ...]] = []
        self.returns_rows = False
        self.result_keys: tuple[str, ...] | None = ()
        self.result_processors: tuple[Any, ...] | None = None
        self.result_types: tuple[Any, ...] = ()
        self.is_insert = self.is_update = self.is_delete = self.is_ddl = False
        self.is_select = self.is_text = False
        self.table: Any = None
        self.inserted_pk_columns: tuple[str, ...] = ()
        self.inserted_pk_positions: tuple[int | None, ...] | None = None
        #: An INSERT to which the compiler added ``RETURNING <primary key>`` so that the
        #: engine learns generated keys without another round trip; its rows are the
        #: engine's, not the caller's.
        self.implicit_returning = False
        self._context_defaults = False
        self.statement_kind = ""
        self.positional_names: list[str] = []
        self._row_template: Any = None
        #: For a single-row ``INSERT ... VALUES (...)`` whose placeholders are all in its
        #: VALUES group: ``(text before the group, the group)``, so the engine can repeat
        #: the group to insert many rows in one statement; else None.
        self.many_values: tuple[str, str] | None = None
        self._getter: Any = None
        self._rows_plan: tuple[tuple[str, ...], Any] | None = None

    def construct_many(self, bound: list[BindParameter] | None,
                       param_sets: Sequence[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
        """The DB-API parameter tuples of an executemany: ``construct_params`` per set,
        with the common case (every placeholder named by a key the set carries) read by
        one ``itemgetter`` call per row."""
        getter = self._getter
        if getter is None:
            getter = self._getter = self._make_getter()
        construct = self.construct_params
        if getter is False:
            return [construct(bound, p) for p in param_sets]
        read, procs = getter
        out = []
        for p in param_sets:
            try:
                values = read(p)
            except (KeyError, TypeError):  # a default to fill or an error to report
                out.append(construct(bound, p))
                continue
            if procs:
                values = list(values)
                for i, proc in procs:
                    value = values[i]
                    values[i] = proc(value)
            out.append(tuple(values))
        return out

    def construct_rows(self, keys: tuple[str, ...], rows: list[tuple[Any, ...]]
                       ) -> list[tuple[Any, ...]] | None:
        """``construct_many`` for parameter sets given as tuples in the order of ``keys``
        (the ORM's INSERT rows): the rows themselves when the placeholders take exactly
        ``keys`` in that order without processors, else reordered and processed; None when
        a placeholder is not one of ``keys`` (the caller makes dicts)."""
        plan = self._rows_plan
        if plan is None or plan[0] != keys:
            plan = self._rows_plan = (keys, self._make_rows_reader(keys))
        read = plan[1]
        if read is None:
            return None
        return rows if read is True else [read(row) for row in rows]

    def _make_rows_reader(self, keys: tuple[str, ...]) -> Any:
        """For ``construct_rows``: True (rows as they are), a function of one row, or None."""
        slot_keys = self._slot_keys()
        if slot_keys is None or not set(slot_keys[0]) <= set(keys):
            return None
        names, procs = slot_keys
        if names == keys and not procs:
            return True
        positions = [keys.index(k) for k in names]
        pick = itemgetter(*positions) if len(positions) > 1 else None
        first = positions[0]
        if not procs:
            return pick if pick is not None else (lambda row: (row[first],))

        def read(row: tuple[Any, ...]) -> tuple[Any, ...]:
            values = list(pick(row)) if pick is not None else [row[first]]
            for i, proc in procs:
                values[i] = proc(values[i])
            return tuple(values)

        return read

    def _slot_keys(self) -> tuple[tuple[str, ...], tuple[Any, ...]] | None:
        """The parameter key of each placeholder and ``(position, processor)`` of those
        with one, or None when a placeholder takes something else (a default made per
        row, an expanding list)."""
        if self._context_defaults or not self.slots:
            return None
        keys = []
        procs = []
        for i, slot in enumerate(self.slots):
            kind = slot[0]
            if kind == COLUMN:
                key, proc = slot[1], slot[2]
            elif kind == BIND and slot[2] is not None:
                key, proc = slot[2], slot[3]
            else:
                return None
            keys.append(key)
            if proc is not None:
                procs.append((i, proc))
        return tuple(keys), tuple(procs)

    def _make_getter(self) -> Any:
        """``(read, procs)`` for ``construct_many``'s fast path, or False without one."""
        slot_keys = self._slot_keys()
        if slot_keys is None:
            return False
        keys, procs = slot_keys
        if len(keys) == 1:
            one = itemgetter(keys[0])
            return (lambda p: (one(p),)), procs
        return itemgetter(*keys), procs

    def construct_params(self, bound: list[BindParameter] | None,
                         params: Mapping[str, Any] | None) -> tuple[Any, ...]:
        """The DB-API parameter tuple for one execution with ``params``."""
        out = []
        context_row: dict[str, Any] | None = None
        if self._context_defaults:
            context_row = dict(params) if params else {}
        for slot in self.slots:
            kind = slot[0]
            if kind == COLUMN:
                _, key, proc, default, required = slot
                if params is not None and key in params:
                    value = params[key]
                elif default is not None:
                    value = default.value_for(_DefaultContext(context_row or {})) \
                        if default._takes_context else default.value_for(None)
                    if context_row is not None:
                        context_row[key] = value
                elif required:
                    raise exc.InvalidRequestError(
                        f"a value is required for column {key!r}: this executemany's first "
                        f"parameter set gave it but this one does not; give every row the "
                        f"same keys"
                    )
                else:
                    value = None
            elif kind == BIND:
                _, index, key, proc = slot
                if key is not None and params is not None and key in params:
                    value = params[key]
                elif index < 0 or bound is None:
                    raise exc.InvalidRequestError(
                        f"a value is required for bind parameter {key!r}; pass it in the "
                        f"execution parameters, e.g. conn.execute(stmt, {{{key!r}: ...}})"
                    )
                else:
                    bp = bound[index]
                    if bp.required and bp.value is None and bp.callable is None:
                        raise exc.InvalidRequestError(
                            f"a value is required for bind parameter {bp.key!r}; pass it in "
                            f"the execution parameters, e.g. conn.execute(stmt, "
                            f"{{{bp.key!r}: ...}})"
                        )
                    # (BindParameter.effective_value, inlined: every execution's values)
                    value = bp.value if bp.callable is None else bp.callable()
            elif kind == OWN:
                _, bp, proc = slot
                value = bp.value if bp.callable is None else bp.callable()
            elif kind == EXPAND:
                _, index, key, count, proc = slot
                if key is not None and params is not None and key in params:
                    seq = params[key]
                else:
                    seq = bound[index].value if bound is not None else ()
                items = list(seq)
                if len(items) != count:  # the compiled form's shape includes the length
                    raise exc.InvalidRequestError(
                        f"expanding parameter {key!r} has {len(items)} values; this "
                        f"statement was compiled for {count}")
                out.extend(items if proc is None else [proc(v) for v in items])
                continue
            else:
                _, index, key, proc, pack = slot
                if key is not None and params is not None and key in params:
                    seq = params[key]
                else:
                    seq = bound[index].value if bound is not None else ()
                items = list(seq) if proc is None else [proc(v) for v in seq]
                out.append(items if pack is None else pack(items))
                continue
            out.append(value if proc is None else proc(value))
        return tuple(out)

    def __str__(self) -> str:
        return self.string


class DisplayCompiled:
    """What ``str(statement)`` and ``statement.compile()`` give: SQL with ``:name``
    placeholders and the parameter values by name."""

    def __init__(self, compiled: Compiled, bound: list[BindParameter]) -> None:
        self.string = compiled.string
        self.params: dict[str, Any] = {}
        try:
            values = compiled.construct_params(bound, None)
        except exc.TetherError:
            values = tuple(None for _ in compiled.positional_names)
        for name, value in zip(compiled.positional_names, values, strict=False):
            self.params[name] = value

    def __str__(self) -> str:
        return self.string


def _in_list_array_type(array_types: Mapping[str, str], left: Any) -> str | None:
    visit_name: Any = getattr(getattr(left, "type", None), "__visit_name__", None)
    return array_types.get(visit_name)


def in_list_binds_as_array(dialect: Any, left: Any) -> bool:
    """Whether an expanding ``left IN (...)`` over a list of ``left``'s own keys
    (``BindParameter(..., key_list=True)``) goes to ``dialect`` as one array parameter
    (``left = ANY(...)``), so that one statement carries any number of values with one
    placeholder; callers that split long key lists into batches need not split these."""
    return _in_list_array_type(getattr(dialect, "in_list_array_types", {}), left) is not None


def compile_statement(statement: ClauseElement, dialect: Any,
                      params: Mapping[str, Any] | None = None, executemany: bool = False
                      ) -> tuple[Compiled, list[BindParameter]]:
    """Compile ``statement`` for ``dialect``, reusing the compiled form of its shape.

    ``params`` (the first parameter set of an execution) matters for INSERT/UPDATE, whose
    column list comes from it. Returns the Compiled and this statement's bound parameters,
    to be passed to ``Compiled.construct_params``. ``executemany`` says the statement will
    run once per parameter set (no implicit RETURNING then, so the driver can batch).
    """
    # Statements never change once built, so a statement executed again (the ORM keeps
    # its statements) reuses its own shape walk.
    attrs = getattr(statement, "__dict__", None)
    memo = attrs.get("_tether_shape") if attrs is not None else None
    if memo is not None:
        shape, ctx, by_dialect = memo
        # A statement whose SQL its parameters cannot change keeps its compiled form per
        # dialect, which skips hashing its (deep) shape on every execution.
        if by_dialect is not None:
            compiled = by_dialect.get(dialect)
            if compiled is not None:
                return compiled, ctx
    else:
        ctx = ShapeContext()
        shape = statement._shape(ctx)
        if shape is None:
            return SQLCompiler(dialect, statement, ctx, params).compiled, ctx
        # Only INSERT/UPDATE column lists and expanding IN lists depend on the parameters.
        by_dialect = None if (isinstance(statement, (Insert, Update))
                              or any(map(_EXPANDING, ctx))) else {}
        if attrs is not None:
            attrs["_tether_shape"] = (shape, ctx, by_dialect)
    if by_dialect is None:  # the parameters may change the SQL (see above)
        if isinstance(statement, (Insert, Update)):
            if params:
                shape = (shape, tuple(params))
            if executemany:
                shape = (shape, "many")
        if params:
            lens = tuple((b.key, len(params[b.key])) for b in ctx
                         if b.expanding and b.key in params)
            if lens:
                shape = (shape, lens)
    cache = dialect.compiled_cache
    try:
        compiled = cache.get(shape)
    except TypeError:  # an unhashable value slipped into the shape: compile uncached
        return SQLCompiler(dialect, statement, ctx, params, executemany).compiled, ctx
    if compiled is None:
        compiled = SQLCompiler(dialect, statement, ctx, params, executemany).compiled
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        cache[shape] = compiled
    if by_dialect is not None:
        by_dialect[dialect] = compiled
    return compiled, ctx


class _DisplayDialect:
    name = "default"
    paramstyle = "named"
    supports_ilike = True
    # str(statement) shows values as Python holds them: no driver to convert them for.
    supports_native_boolean = supports_native_datetime = supports_native_decimal = True
    supports_native_uuid = supports_timezone = True
    supports_native_json = False

    def __init__(self) -> None:
        self.compiled_cache: dict[Any, Any] = {}


def compile_for_display(statement: ClauseElement, dialect: Any = None,
                        **kw: Any) -> DisplayCompiled:
    if dialect is None:
        dialect = _DisplayDialect()
    else:
        # Render the dialect's SQL, but with readable :name placeholders.
        class _Named(dialect.__class__):  # type: ignore[name-defined, misc]
            paramstyle = "named"

        named = _Named.__new__(_Named)
        named.__dict__.update(dialect.__dict__)
        dialect = named
    ctx = ShapeContext()
    statement._shape(ctx)
    compiled = SQLCompiler(dialect, statement, ctx, None).compiled
    return DisplayCompiled(compiled, ctx)


class SQLCompiler(DMLCompilerMixin, DDLCompilerMixin):
    """Renders one statement; produces a :class:`Compiled` in ``.compiled``."""

    def __init__(self, dialect: Any, statement: ClauseElement, bound: list[BindParameter],
                 params: Mapping[str, Any] | None, executemany: bool = False) -> None:
        self.dialect = dialect
        self.executemany = executemany
        self.flags = Flags(dialect)
        self.params = params
        self.bound_index = {id(b): i for i, b in enumerate(bound)}
        #: Names of the statement's own keyed parameters (``bindparam("x")``): execution
        #: parameters with these names fill them rather than naming columns.
        self.bind_keys = {b.key for b in bound if not b.unique and b.key}
        self.compiled = c = Compiled()
        self._anon_names: dict[int, str] = {}
        self._anon_counts: dict[str, int] = {}
        self._froms_stack: list[list[FromClause]] = []
        self._select_columns_stack: list[list[ColumnElement]] = []
        self._unqualified_table: Any = None
        self._quote_cache: dict[str, str] = {}
        self._reserved = _RESERVED | set(self.flags.reserved_words)
        self._format = self.flags.paramstyle in ("format", "pyformat")
        self._bind_names: dict[str, int] = {}
        c.string = self.process(statement, top=True)

    # --- dispatch --------------------------------------------------------------------
    def process(self, element: Any, **kw: Any) -> str:
        visit = getattr(self, "visit_" + element.__visit_name__, None)
        if visit is None:
            raise exc.UnsupportedCompilationError(
                f"{type(element).__name__} cannot be rendered as SQL for "
                f"{self.flags.name}"
            )
        return visit(element, **kw)  # type: ignore[no-any-return]

    # --- identifiers and placeholders -------------------------------------------------
    def quote(self, name: str) -> str:
        q = self._quote_cache.get(name)
        if q is None:
            if _PLAIN_IDENT.match(name) and name not in self._reserved:
                q = name
            else:
                q = '"' + name.replace('"', '""') + '"'
            if self._format:
                q = q.replace("%", "%%")
            self._quote_cache[name] = q
        return q

    def escape_text(self, text: str) -> str:
        return text.replace("%", "%%") if self._format else text

    def table_name(self, table: Any) -> str:
        if table.schema:
            return f"{self.quote(table.schema)}.{self.quote(table.name)}"
        return self.quote(table.name)

    def placeholder(self, name: str | None) -> str:
        style = self.flags.paramstyle
        if style == "qmark":
            return "?"
        if self._format:
            return "%s"
        base = name or "param"
        n = self._bind_names.get(base, 0) + 1
        self._bind_names[base] = n
        label = base if (name and n == 1) else f"{base}_{n}"
        self.compiled.positional_names.append(label)
        return ":" + label

    def _add_slot(self, slot: tuple[Any, ...], name: str | None) -> str:
        self.compiled.slots.append(slot)
        return self.placeholder(name)

    def _add_expanding(self, index: int, key: str | None, proc: Any, count: int,
                       name: str | None) -> str:
        """``(p1, p2, ...)`` for an expanding IN list of ``count`` items: one EXPAND slot."""
        if count:
            self.compiled.slots.append((EXPAND, index, key, count, proc))
        return "(" + ", ".join(self._placeholders(name, count)) + ")"

    def _placeholders(self, name: str | None, count: int) -> list[str]:
        """``count`` calls of :meth:`placeholder` in one step, same text and names (a
        statement's first compile per list length renders each item: 500 keys were 500
        calls)."""
        style = self.flags.paramstyle
        if style == "qmark":
            return ["?"] * count
        if self._format:
            return ["%s"] * count
        if not count:
            return []
        base = name or "param"
        first = self._bind_names.get(base, 0) + 1
        self._bind_names[base] = first + count - 1
        labels = [f"{base}_{n}" for n in range(first, first + count)]
        if name and first == 1:
            labels[0] = base
        self.compiled.positional_names.extend(labels)
        return [":" + label for label in labels]

    def alias_name(self, alias: Alias) -> str:
        if alias.name is not None:
            return self.quote(alias.name)
        name = self._anon_names.get(id(alias))
        if name is None:
            element = alias.element
            base = element.name if isinstance(element, FromClause) and element.name else "anon"
            n = self._anon_counts.get(base, 0) + 1
            self._anon_counts[base] = n
            name = self._anon_names[id(alias)] = self.quote(f"{base}_{n}")
        return name

    def from_name(self, from_: Any) -> str:
        if isinstance(from_, Alias):
            return self.alias_name(from_)
        return self.table_name(from_)

    # --- simple elements --------------------------------------------------------------
    def visit_column(self, col: Any, **kw: Any) -> str:
        if col.is_literal:
            return self.escape_text(col.name)
        table = col.table
        name = self.quote(col.name)
        if table is None or table is self._unqualified_table:
            return name
        if isinstance(table, Alias):
            return f"{self.alias_name(table)}.{name}"
        if getattr(table, "name", None) is None:
            return name
        return f"{self.table_name(table)}.{name}"

    def visit_bindparam(self, bind: BindParameter, **kw: Any) -> str:
        index = self.bound_index.get(id(bind), -1)
        key = None if bind.unique else bind.key
        proc = bind.type.bind_processor(self.dialect)
        if bind.expanding:
            values = (self.params[bind.key] if self.params and bind.key in self.params
                      else bind.value) or ()
            return self._add_expanding(index, key, proc, len(values), bind.key)
        if index < 0 and key is None:  # not in the statement's tree: see OWN
            return self._add_slot((OWN, bind, proc), bind.key)
        return self._add_slot((BIND, index, key, proc), bind.key)

    def visit_null(self, element: Any, **kw: Any) -> str:
        return "NULL"

    def visit_true(self, element: Any, **kw: Any) -> str:
        return "true" if self.flags.supports_native_boolean else "1"

    def visit_false(self, element: Any, **kw: Any) -> str:
        return "false" if self.flags.supports_native_boolean else "0"

    def visit_empty_in(self, element: Any, **kw: Any) -> str:
        return "1 != 1" if element.positive else "1 = 1"

    def visit_grouping(self, element: Grouping, **kw: Any) -> str:
        return "(" + self.process(element.element, **_inner(kw)) + ")"

    def visit_binary(self, element: Any, **kw: Any) -> str:
        kw = _inner(kw)
        op = element.operator
        right = element.right
        if isinstance(right, BindParameter) and right.expanding:
            values = (self.params[right.key] if self.params and right.key in self.params
                      else right.value)
            if not values:
                return "1 != 1" if op == "in" else "1 = 1"
            array_type = _in_list_array_type(self.flags.in_list_array_types, element.left)
            if array_type is not None and right.key_list and op in ("in", "not_in"):
                # x IN (a, b) is x = ANY(ARRAY[a, b]); x NOT IN (a, b) is x <> ALL(...),
                # NULLs included.
                index = self.bound_index.get(id(right), -1)
                key = None if right.unique else right.key
                proc = right.type.bind_processor(self.dialect)
                packer = getattr(self.dialect, "in_list_array_packer", None)
                pack = packer(array_type) if packer is not None else None
                mark = self._add_slot((ARRAY, index, key, proc, pack), right.key)
                test = " = ANY" if op == "in" else " <> ALL"
                return (f"{self.process(element.left, **kw)}{test}"
                        f"(CAST({mark} AS {array_type}[]))")
        if op in ("ilike", "not_ilike") and not self.flags.supports_ilike:
            sql = (f"lower({self.process(element.left, **kw)})"
                   f"{' LIKE ' if op == 'ilike' else ' NOT LIKE '}"
                   f"lower({self.process(right, **kw)})")
        elif op == "custom":
            sql = (f"{self.process(element.left, **kw)} {self.escape_text(element.opstring)} "
                   f"{self.process(right, **kw)}")
        else:
            if op in ("is_distinct_from", "is_not_distinct_from") and \
                    not self.flags.supports_is_distinct_from:
                text_op = " IS NOT " if op == "is_distinct_from" else " IS "
            else:
                text_op = _BINARY_OPS[op]
            if op == "%" and self._format:
                text_op = " %% "
            if op in ("in", "not_in") and self.flags.tuple_in_values and \
                    element.left.__visit_name__ == "tuple" and isinstance(right, Grouping) \
                    and isinstance(right.element, ClauseList):
                rows = ", ".join(self.process(r, **kw) for r in right.element.clauses)
                return f"{self.process(element.left, **kw)}{text_op}(VALUES {rows})"
            sql = f"{self.process(element.left, **kw)}{text_op}{self.process(right, **kw)}"
        if element.escape:
            sql += " ESCAPE '" + element.escape.replace("'", "''") + "'"
        return sql

    def visit_unary(self, element: Any, **kw: Any) -> str:
        order_by = kw.get("order_by", False)
        kw = _inner(kw)
        op, mod = element.operator, element.modifier
        # ``x DESC`` keeps ORDER BY context so a selected label renders as its name.
        inner = self.process(element.element, order_by=order_by and not op, **kw)
        if op in ("ANY", "ALL"):
            return f"{op} ({inner})"
        if op == "-":
            sql = "-" + inner
        elif op:
            sql = f"{op} {inner}"
        else:
            sql = inner
        if mod:
            sql = f"{sql} {mod}"
        return sql

    def visit_collation(self, element: Any, **kw: Any) -> str:
        return f"{self.process(element.element, **_inner(kw))} COLLATE {element.collation}"

    def visit_clauselist(self, element: ClauseList, **kw: Any) -> str:
        kw = _inner(kw)
        sep = " AND " if element.operator == "and" else ", "
        return sep.join(self.process(c, **kw) for c in element.clauses)

    def visit_tuple(self, element: Any, **kw: Any) -> str:
        kw = _inner(kw)
        return "(" + ", ".join(self.process(c, **kw) for c in element.clauses) + ")"

    def visit_boolean_clauselist(self, element: BooleanClauseList, **kw: Any) -> str:
        kw = _inner(kw)
        if not element.clauses:
            return "1 = 1" if element.operator == "and" else "1 != 1"
        sep = " AND " if element.operator == "and" else " OR "
        return sep.join(self.process(c, **kw) for c in element.clauses)

    def visit_label(self, label: Label, within_columns: bool = False,
                    order_by: bool = False, **kw: Any) -> str:
        if within_columns:
            inner = self.process(label.element, **kw)
            return f"{inner} AS {self.quote(label.name)}" if label.name else inner
        if order_by and label.name and self._select_columns_stack and any(
                c is label for c in self._select_columns_stack[-1]):
            return self.quote(label.name)
        return self.process(label.element, **kw)

    def visit_cast(self, element: Any, **kw: Any) -> str:
        return (f"CAST({self.process(element.element, **_inner(kw))} AS "
                f"{self.type_ddl(element.type)})")

    def visit_type_coerce(self, element: Any, **kw: Any) -> str:
        return self.process(element.element, **kw)

    def visit_case(self, element: Any, **kw: Any) -> str:
        kw = _inner(kw)
        parts = ["CASE"]
        if element.value is not None:
            parts.append(self.process(element.value, **kw))
        for cond, result in element.whens:
            parts.append(f"WHEN {self.process(cond, **kw)} THEN {self.process(result, **kw)}")
        if element.else_ is not None:
            parts.append(f"ELSE {self.process(element.else_, **kw)}")
        parts.append("END")
        return " ".join(parts)

    def visit_function(self, fn: Any, **kw: Any) -> str:
        kw = _inner(kw)
        lname = fn.name.lower()
        override = self.flags.function_overrides.get(lname)
        if override is not None:
            if callable(override):
                return str(override(self, fn, **kw))
            name = override
        else:
            name = fn.name
        prefix = "".join(self.quote(p) + "." for p in fn.packagenames)
        if name.lower() in NO_PARENS and not fn.clause_expr.clauses:
            return prefix + name.upper()
        if override is not None and "(" in name:
            return name
        return f"{prefix}{name}({self.process(fn.clause_expr, **kw)})"

    def visit_over(self, element: Any, **kw: Any) -> str:
        kw = _inner(kw)
        parts = []
        if element.partition_by:
            parts.append("PARTITION BY " + ", ".join(self.process(p, **kw)
                                                      for p in element.partition_by))
        if element.order_by:
            parts.append("ORDER BY " + ", ".join(self.process(o, **kw)
                                                  for o in element.order_by))
        return f"{self.process(element.element, **kw)} OVER ({' '.join(parts)})"

    def visit_extract(self, element: Any, **kw: Any) -> str:
        inner = self.process(element.element, **_inner(kw))
        if self.flags.extract_via_strftime:
            fmt = {"year": "%Y", "month": "%m", "day": "%d", "hour": "%H", "minute": "%M",
                   "second": "%S", "dow": "%w", "doy": "%j", "epoch": "%s"}[element.field]
            return f"CAST(STRFTIME('{self.escape_text(fmt)}', {inner}) AS INTEGER)"
        return f"EXTRACT({element.field} FROM {inner})"

    def visit_textclause(self, clause: TextClause, **kw: Any) -> str:
        def repl(match: re.Match[str]) -> str:
            name = match.group(1)
            bind = clause._bindparams.get(name)
            if bind is None:
                return self._add_slot((BIND, -1, name, None), name)
            index = self.bound_index.get(id(bind), -1)
            proc = bind.type.bind_processor(self.dialect)
            if bind.expanding:
                values = (self.params[name] if self.params and name in self.params
                          else bind.value) or ()
                return self._add_expanding(index, name, proc, len(values), name)
            return self._add_slot((BIND, index, name, proc), name)

        text = clause.text
        pieces = []
        last = 0
        for match in _TEXT_BIND.finditer(text):
            pieces.append(self.escape_text(text[last:match.start()].replace("\\:", ":")))
            pieces.append(repl(match))
            last = match.end()
        pieces.append(self.escape_text(text[last:].replace("\\:", ":")))
        if kw.get("top"):
            self.compiled.is_text = True
            self.compiled.returns_rows = True
            self.compiled.result_keys = None
        return "".join(pieces)

    def visit_text_expression(self, element: Any, **kw: Any) -> str:
        return self.visit_textclause(element.clause)

    # --- SELECT -------------------------------------------------------------------
    def visit_scalar_select(self, element: Any, **kw: Any) -> str:
        return "(" + self.process(element.element, nested=True) + ")"

    def visit_exists(self, element: Any, **kw: Any) -> str:
        return "EXISTS (" + self.process(element.element, nested=True) + ")"

    def _column_sql(self, col: ColumnElement, label: str | None) -> str:
        sql = self.process(col, within_columns=True)
        if label is not None and not isinstance(col, Label):
            return f"{sql} AS {self.quote(label)}"
        if label is not None and isinstance(col, Label) and col.name != label:
            return f"{self.process(col.element)} AS {self.quote(label)}"
        return sql

    def visit_select(self, select: Select, top: bool = False, nested: bool = False,
                     asfrom: bool = False, **kw: Any) -> str:
        outer = self._froms_stack[-1] if (nested and self._froms_stack) else []
        froms = select._resolved_froms(outer)
        columns = select._expanded_columns()
        scope = list(outer)
        for f in froms:
            scope.extend(f._base_tables() if isinstance(f, Join) else [f])
        self._froms_stack.append(scope)
        self._select_columns_stack.append(columns)
        try:
            labels = subquery_labels(columns) if asfrom else [None] * len(columns)
            sql = "SELECT "
            distinct = select._distinct
            if distinct is True:
                sql += "DISTINCT "
            elif distinct:
                if self.flags.supports_distinct_on:
                    sql += "DISTINCT ON (" + ", ".join(self.process(d) for d in distinct) + ") "
                else:
                    sql += "DISTINCT "
            sql += ", ".join(self._column_sql(c, lab) for c, lab in zip(columns, labels,
                                                                          strict=True))
            if froms:
                sql += " FROM " + ", ".join(self.process(f, asfrom=True) for f in froms)
            where = [w for w in select._where
                     if not (isinstance(w, BooleanClauseList) and not w.clauses)]
            if where:
                sql += " WHERE " + " AND ".join(
                    self.process(w.self_group("and") if len(where) > 1 else w) for w in where)
            if select._group_by:
                sql += " GROUP BY " + ", ".join(self.process(g, order_by=True)
                                                for g in select._group_by)
            if select._having:
                sql += " HAVING " + " AND ".join(self.process(h.self_group("and"))
                                                 for h in select._having)
            sql += self._order_limit(select)
            if select._for_update is not None and self.flags.supports_for_update:
                nowait, read, skip_locked = select._for_update
                sql += " FOR SHARE" if read else " FOR UPDATE"
                if nowait:
                    sql += " NOWAIT"
                if skip_locked:
                    sql += " SKIP LOCKED"
        finally:
            self._froms_stack.pop()
            self._select_columns_stack.pop()
        if top:
            self._describe_result(columns)
            self.compiled.is_select = True
        return sql

    def _order_limit(self, select: SelectBase) -> str:
        sql = ""
        if select._order_by:
            sql += " ORDER BY " + ", ".join(self.process(o, order_by=True)
                                            for o in select._order_by)
        if select._limit is not None:
            sql += " LIMIT " + self.process(select._limit)
        elif select._offset is not None and self.flags.requires_limit_with_offset:
            sql += " LIMIT -1"
        if select._offset is not None:
            sql += " OFFSET " + self.process(select._offset)
        return sql

    def _describe_result(self, columns: list[ColumnElement]) -> None:
        c = self.compiled
        c.returns_rows = True
        c.result_keys = tuple(col._result_name() for col in columns)
        procs = tuple(col.type.result_processor(self.dialect) for col in columns)
        c.result_processors = procs if any(p is not None for p in procs) else None
        c.result_types = tuple(col.type for col in columns)

    def visit_compound_select(self, compound: Any, top: bool = False, nested: bool = False,
                              asfrom: bool = False, **kw: Any) -> str:
        parts = []
        for s in compound.selects:
            inner = self.process(s, nested=nested, asfrom=asfrom)
            if s._order_by or s._limit is not None or s._offset is not None:
                inner = f"SELECT * FROM ({inner})"
            parts.append(inner)
        sql = f" {compound.keyword} ".join(parts) + self._order_limit(compound)
        if top:
            self._describe_result(list(compound.selected_columns))
            self.compiled.is_select = True
        return sql

    def visit_textual_select(self, element: Any, top: bool = False, **kw: Any) -> str:
        sql = self.visit_textclause(element.text)
        if top:
            self._describe_result(list(element.column_args))
            self.compiled.is_text = True
        return sql

    # --- FROM ----------------------------------------------------------------------
    def visit_table(self, table: Any, asfrom: bool = False, **kw: Any) -> str:
        return self.table_name(table)

    def visit_alias(self, alias: Alias, asfrom: bool = False, **kw: Any) -> str:
        name = self.alias_name(alias)
        if not asfrom:
            return name
        element = alias.element
        if isinstance(element, SelectBase):
            # A subquery in FROM does not correlate to the enclosing query.
            self._froms_stack.append([])
            try:
                inner = self.process(element, asfrom=True, nested=False)
            finally:
                self._froms_stack.pop()
            return f"({inner}) AS {name}"
        return f"{self.process(element, asfrom=True)} AS {name}"

    def visit_join(self, join: Join, asfrom: bool = False, **kw: Any) -> str:
        left = self.process(join.left, asfrom=True)
        right = self.process(join.right, asfrom=True)
        if isinstance(join.right, Join):
            right = f"({right})"
        kind = " FULL OUTER JOIN " if join.full else (
            " LEFT OUTER JOIN " if join.isouter else " JOIN ")
        return f"{left}{kind}{right} ON {self.process(join.onclause)}"

    # --- types --------------------------------------------------------------------------
    def type_ddl(self, type_: sqltypes.TypeEngine) -> str:
        return render_type(type_, self.flags.type_names)


GENERIC_TYPE_NAMES = {
    "integer": "INTEGER", "small_integer": "SMALLINT", "big_integer": "BIGINT",
    "float": "FLOAT", "double": "DOUBLE PRECISION", "numeric": "NUMERIC",
    "string": "VARCHAR", "text": "TEXT", "boolean": "BOOLEAN", "datetime": "TIMESTAMP",
    "datetime_tz": "TIMESTAMP WITH TIME ZONE", "date": "DATE", "time": "TIME",
    "large_binary": "BLOB", "json": "JSON", "jsonb": "JSONB", "enum": "VARCHAR",
    "uuid": "CHAR(32)", "interval": "INTERVAL", "null": "",
}


def render_type(type_: sqltypes.TypeEngine, overrides: Mapping[str, str]) -> str:
    """The SQL name of ``type_`` with its arguments (``VARCHAR(50)``, ``NUMERIC(10, 2)``)."""
    visit = type_.__visit_name__
    if visit == "datetime" and getattr(type_, "timezone", False):
        visit = "datetime_tz"
    if visit == "array":
        return render_type(type_.item_type, overrides) + "[]"  # type: ignore[attr-defined]
    if isinstance(type_, sqltypes.Uuid) and not type_.native_uuid:
        return "CHAR(32)"
    name = overrides.get(visit) or GENERIC_TYPE_NAMES.get(visit) or visit.upper()
    if visit in ("string", "enum"):
        length = getattr(type_, "length", None)
        if length:
            name = f"{name}({length})"
        collation = getattr(type_, "collation", None)
        if collation:
            name += f' COLLATE "{collation}"'
    elif visit == "numeric":
        p, s = getattr(type_, "precision", None), getattr(type_, "scale", None)
        if p is not None and s is not None:
            name = f"{name}({p}, {s})"
        elif p is not None:
            name = f"{name}({p})"
    elif visit == "float":
        p = getattr(type_, "precision", None)
        if p is not None:
            name = f"{name}({p})"
    return name


def _inner(kw: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments minus the ones that only apply at the outer level."""
    if not kw:
        return kw
    return {k: v for k, v in kw.items() if k not in ("top", "within_columns", "asfrom",
                                                     "order_by", "nested")}


__all__ = ["Compiled", "DDLElement", "SQLCompiler", "compile_for_display", "compile_statement",
           "render_type"]
