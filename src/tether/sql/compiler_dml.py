"""Rendering of INSERT, UPDATE and DELETE (a mixin of the SQL compiler).

The column list of an INSERT, and the SET list of an UPDATE, come from the statement's
``values()`` and from the keys of the first execution parameter set; columns with a Python
default (``default=`` / ``onupdate=``) are added so that their value is computed per row.
"""

from __future__ import annotations

from typing import Any

from tether import exc
from tether.sql.selectable import FromClause

COLUMN = 2
#: Paramstyles whose placeholders carry no name, so a VALUES group can be repeated as is.
_POSITIONAL = ("qmark", "format", "pyformat")


class DMLCompilerMixin:
    """INSERT/UPDATE/DELETE visitors; mixed into ``SQLCompiler``."""

    # provided by SQLCompiler
    compiled: Any
    executemany: bool
    bind_keys: set[str]
    params: Any
    dialect: Any
    flags: Any
    _unqualified_table: Any

    def process(self, element: Any, **kw: Any) -> str: ...  # type: ignore[empty-body]  # pragma: no cover
    def quote(self, name: str) -> str: ...  # type: ignore[empty-body]  # pragma: no cover
    def table_name(self, table: Any) -> str: ...  # type: ignore[empty-body]  # pragma: no cover
    def _add_slot(self, slot: tuple[Any, ...], name: str | None) -> str: ...  # type: ignore[empty-body]  # pragma: no cover
    def _describe_result(self, columns: list[Any]) -> None: ...  # type: ignore[empty-body]  # pragma: no cover

    def _column_value(self, col: Any, value: Any) -> str:
        from tether.sql.dml import _as_value

        return self.process(_as_value(value, col))

    def _default_sql(self, col: Any, default: Any, required: bool) -> str:
        if default is not None and default.is_clause_element:
            return self.process(default.arg)
        proc = col.type.bind_processor(self.dialect)
        return self._add_slot((COLUMN, col.key, proc, default, required), col.key)

    def _returning(self, stmt: Any) -> str:
        if not stmt._returning:
            return ""
        if not self.flags.supports_returning:
            raise exc.CompileError(
                f"{self.flags.name} does not support RETURNING; run a SELECT after the "
                f"statement instead"
            )
        cols = stmt.returned_columns
        previous = self._unqualified_table
        self._unqualified_table = stmt.table
        try:
            sql = " RETURNING " + ", ".join(self.process(c, within_columns=True) for c in cols)
        finally:
            self._unqualified_table = previous
        self._describe_result(cols)
        return sql

    def visit_insert(self, stmt: Any, top: bool = False, **kw: Any) -> str:
        table = stmt.table
        c = self.compiled
        c.is_insert = True
        c.table = table
        c.statement_kind = "insert"
        c.inserted_pk_columns = tuple(col.key for col in table.primary_key)
        cols = table.columns
        sql = f"INSERT INTO {self.table_name(table)}"
        many_values: tuple[str, str] | None = None
        group_slots = 0
        previous = self._unqualified_table
        self._unqualified_table = table
        try:
            if stmt._select is not None:
                names, select = stmt._select
                sql += " (" + ", ".join(self.quote(cols[n].name) for n in names) + ") "
                sql += self.process(select)
            elif stmt._multi_values is not None:
                rows = stmt._multi_values
                keys = [k for k in cols.keys() if any(k in r for r in rows)
                        or cols[k].default is not None]
                sql += " (" + ", ".join(self.quote(cols[k].name) for k in keys) + ") VALUES "
                rendered = []
                for row in rows:
                    vals = []
                    for k in keys:
                        if k in row:
                            vals.append(self._column_value(cols[k], row[k]))
                        else:
                            vals.append(self._default_sql(cols[k], cols[k].default, False))
                    rendered.append("(" + ", ".join(vals) + ")")
                sql += ", ".join(rendered)
            else:
                explicit = stmt._values or {}
                params = self.params or {}
                names_in_params = [k for k in params if k in cols]
                unknown = [k for k in params if k not in cols and k not in self.bind_keys]
                if unknown and not explicit:
                    raise exc.ArgumentError(
                        f"unconsumed column name(s) {', '.join(map(repr, unknown))}: table "
                        f"{table.name!r} has columns {', '.join(cols.keys())}"
                    )
                keys = [k for k in cols.keys()
                        if k in explicit or k in names_in_params or cols[k].default is not None]
                if not keys:
                    sql += " DEFAULT VALUES"
                    c.inserted_pk_positions = (None,) * len(c.inserted_pk_columns)
                else:
                    vals = []
                    pk_keys = set(c.inserted_pk_columns)
                    positions: dict[str, int] = {}
                    for k in keys:
                        col = cols[k]
                        before = len(c.slots)
                        if k in pk_keys:
                            positions[k] = before
                        if k in params:
                            # the given value; a Python default still fills a later row of
                            # an executemany that leaves it out (a SQL one cannot: required)
                            default = col.default
                            if default is not None and default.is_clause_element:
                                default = None
                            vals.append(self._default_sql(col, default, True))
                        elif k in explicit:
                            vals.append(self._column_value(col, explicit[k]))
                        else:
                            vals.append(self._default_sql(col, col.default, False))
                        if k in positions and len(c.slots) != before + 1:
                            del positions[k]  # an expression, not one plain value
                    # Where each primary key value sits in the parameter tuple, so the
                    # engine can report inserted_primary_key without asking the database.
                    c.inserted_pk_positions = tuple(positions.get(k)
                                                    for k in c.inserted_pk_columns)
                    sql += (" (" + ", ".join(self.quote(cols[k].name) for k in keys)
                            + ") VALUES ")
                    group = "(" + ", ".join(vals) + ")"
                    if top and self.flags.paramstyle in _POSITIONAL:
                        many_values = (sql, group)
                        group_slots = len(c.slots)
                    sql += group
            c._context_defaults = any(col.default is not None and col.default._takes_context
                                      for col in cols)
        finally:
            self._unqualified_table = previous
        sql += self._returning(stmt) if stmt._returning else self._implicit_returning(stmt)
        # Every placeholder lies in the one VALUES group (positional, so in slot order):
        # the engine may repeat that group to insert many rows with one statement.
        if (many_values is not None and not c.implicit_returning
                and len(c.slots) == group_slots):
            c.many_values = many_values
        return sql

    def _implicit_returning(self, stmt: Any) -> str:
        """``RETURNING <pk>`` for a single-row INSERT whose key the database generates,
        where the driver cannot report it otherwise (no usable lastrowid)."""
        c = self.compiled
        positions = c.inserted_pk_positions
        if (self.executemany or stmt._select is not None or stmt._multi_values is not None
                or not self.flags.supports_returning or positions is None
                or getattr(self.dialect, "lastrowid_is_primary_key", False)
                or all(p is not None for p in positions)):
            return ""
        pk = list(stmt.table.primary_key)
        c.implicit_returning = True
        c.result_keys = tuple(col.key for col in pk)
        procs = tuple(col.type.result_processor(self.dialect) for col in pk)
        c.result_processors = procs if any(p is not None for p in procs) else None
        return " RETURNING " + ", ".join(self.quote(col.name) for col in pk)

    def visit_update(self, stmt: Any, top: bool = False, **kw: Any) -> str:
        table = stmt.table
        c = self.compiled
        c.is_update = True
        c.table = table
        c.statement_kind = "update"
        cols = table.columns
        explicit = stmt._values or {}
        params = self.params or {}
        bind_keys = self.bind_keys
        sets = []
        previous = self._unqualified_table
        for k in cols.keys():
            col = cols[k]
            if k in params and k not in bind_keys:
                self._unqualified_table = table
                try:
                    value_sql = self._default_sql(col, None, True)
                finally:
                    self._unqualified_table = previous
            elif k in explicit:
                value_sql = self._column_value(col, explicit[k])
            elif col.onupdate is not None:
                value_sql = self._default_sql(col, col.onupdate, False)
            else:
                continue
            sets.append(f"{self.quote(col.name)}={value_sql}")
        if not sets:
            raise exc.CompileError(
                f"UPDATE of {table.name!r} has nothing to set: give values() or execution "
                f"parameters named after columns"
            )
        sql = f"UPDATE {self.table_name(table)} SET " + ", ".join(sets)
        extra = _extra_froms(stmt)
        if extra:
            sql += " FROM " + ", ".join(self.process(f, asfrom=True) for f in extra)
        if stmt._where:
            sql += " WHERE " + " AND ".join(self.process(w.self_group("and"))
                                            for w in stmt._where)
        c._context_defaults = any(col.onupdate is not None and col.onupdate._takes_context
                                  for col in cols)
        return sql + self._returning(stmt)

    def visit_delete(self, stmt: Any, top: bool = False, **kw: Any) -> str:
        table = stmt.table
        c = self.compiled
        c.is_delete = True
        c.table = table
        c.statement_kind = "delete"
        sql = f"DELETE FROM {self.table_name(table)}"
        extra = _extra_froms(stmt)
        if extra:
            if not getattr(self.dialect, "supports_delete_using", False):
                raise exc.CompileError(
                    f"DELETE from {table.name!r} refers to other tables "
                    f"({', '.join(getattr(f, 'name', '?') or '?' for f in extra)}), which "
                    f"{self.flags.name} cannot do; filter with "
                    f"{table.name}.c.id.in_(select(...)) instead"
                )
            sql += " USING " + ", ".join(self.process(f, asfrom=True) for f in extra)
        if stmt._where:
            sql += " WHERE " + " AND ".join(self.process(w.self_group("and"))
                                            for w in stmt._where)
        return sql + self._returning(stmt)


def _extra_froms(stmt: Any) -> list[FromClause]:
    target = stmt.table
    out: list[FromClause] = []
    for w in getattr(stmt, "_where", ()):
        for f in w._from_objects:
            if f is not target and not any(f is o for o in out):
                out.append(f)
    return out
