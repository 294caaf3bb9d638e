"""Rendering of DDL: CREATE/DROP TABLE, INDEX, SCHEMA and constraints (a compiler mixin).

DDL carries no parameters (PostgreSQL does not accept them there), so values inside it,
such as a CHECK constraint's literals or a server default, are rendered inline as SQL
literals.
"""

from __future__ import annotations

import datetime
import sys
from typing import Any

from tether import exc
from tether.sql import types as sqltypes
from tether.sql.elements import BindParameter, ClauseElement, TextClause


def sql_literal(value: Any) -> str:
    """A Python value as a SQL literal (for DDL only; statements always bind values)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    # (a Decimal exists only once its module is imported, which tether leaves to programs)
    decimal = sys.modules.get("decimal")
    if isinstance(value, (int, float)) or (decimal and isinstance(value, decimal.Decimal)):
        return str(value)
    if isinstance(value, (datetime.date, datetime.time)):
        value = value.isoformat()
    if hasattr(value, "name") and hasattr(value, "value") and not isinstance(value, str):
        value = value.name  # an enum member is stored by name
    return "'" + str(value).replace("'", "''") + "'"


class DDLCompilerMixin:
    """DDL visitors; mixed into ``SQLCompiler``."""

    compiled: Any
    dialect: Any
    flags: Any
    _unqualified_table: Any

    def process(self, element: Any, **kw: Any) -> str: ...  # type: ignore[empty-body]  # pragma: no cover
    def quote(self, name: str) -> str: ...  # type: ignore[empty-body]  # pragma: no cover
    def table_name(self, table: Any) -> str: ...  # type: ignore[empty-body]  # pragma: no cover
    def type_ddl(self, type_: Any) -> str: ...  # type: ignore[empty-body]  # pragma: no cover
    def escape_text(self, text: str) -> str: ...  # type: ignore[empty-body]  # pragma: no cover

    def _ddl(self) -> None:
        self.compiled.is_ddl = True
        self.compiled.statement_kind = "ddl"

    def _inline_sql(self, element: Any, table: Any) -> str:
        """Render an expression with literal values and unqualified columns of ``table``."""
        if isinstance(element, BindParameter):
            return sql_literal(element.effective_value())
        literal_compiler = _LiteralRenderer(self, table)
        return literal_compiler.render(element)

    def visit_create_table(self, create: Any, **kw: Any) -> str:
        self._ddl()
        table = create.element
        lines = [self._column_ddl(col) for col in table.columns]
        pk = list(table.primary_key.columns)
        if pk:
            name = table.primary_key.name
            prefix = f"CONSTRAINT {self.quote(name)} " if name else ""
            lines.append(prefix + "PRIMARY KEY (" +
                         ", ".join(self.quote(c.name) for c in pk) + ")")
        include = create.include_foreign_key_constraints
        for con in table.constraints:
            kind = type(con).__name__
            if kind == "UniqueConstraint":
                prefix = f"CONSTRAINT {self.quote(con.name)} " if con.name else ""
                lines.append(prefix + "UNIQUE (" +
                             ", ".join(self.quote(c.name) for c in con.columns) + ")")
            elif kind == "CheckConstraint":
                prefix = f"CONSTRAINT {self.quote(con.name)} " if con.name else ""
                lines.append(prefix + "CHECK (" + self._inline_sql(con.sqltext, table) + ")")
            elif kind == "ForeignKeyConstraint":
                if include is not None and con not in include:
                    continue
                lines.append(self._foreign_key_ddl(con))
        for col in table.columns:
            enum_check = self._enum_check(col)
            if enum_check:
                lines.append(enum_check)
        exists = "IF NOT EXISTS " if create.if_not_exists else ""
        return (f"CREATE TABLE {exists}{self.table_name(table)} (\n\t"
                + ",\n\t".join(lines) + "\n)")

    def _enum_check(self, col: Any) -> str | None:
        type_ = col.type
        if isinstance(type_, sqltypes.Enum) and type_.create_constraint:
            values = ", ".join(sql_literal(v) for v in type_.values)
            return f"CHECK ({self.quote(col.name)} IN ({values}))"
        return None

    def _column_ddl(self, col: Any) -> str:
        identity = col._is_autoincrement
        style = self.flags.autoincrement_style
        if identity and style == "integer_primary_key":
            type_sql = "INTEGER"
        else:
            type_sql = self.type_ddl(col.type)
        if not type_sql:
            raise exc.CompileError(
                f"column {col.table.name}.{col.name} has no type; give it one, e.g. "
                f"Column({col.name!r}, Integer)"
            )
        sql = f"{self.quote(col.name)} {type_sql}"
        if col.server_default is not None:
            sql += " DEFAULT " + self._server_default_sql(col.server_default.arg, col.table)
        computed = col.computed
        if computed is not None:
            expr = self._server_default_sql(computed.sqltext, col.table)
            sql += f" GENERATED ALWAYS AS ({expr})"
            if computed.persisted or self.flags.computed_always_stored:
                sql += " STORED"
            elif computed.persisted is False:
                sql += " VIRTUAL"
        if identity and style == "identity":
            sql += self._identity_sql(col.identity)
        if not col.nullable:
            sql += " NOT NULL"
        return sql

    @staticmethod
    def _identity_sql(identity: Any) -> str:
        if identity is None:
            return " GENERATED BY DEFAULT AS IDENTITY"
        parts = []
        for word, value in (("START WITH", identity.start), ("INCREMENT BY", identity.increment),
                            ("MINVALUE", identity.minvalue), ("MAXVALUE", identity.maxvalue),
                            ("CACHE", identity.cache)):
            if value is not None:
                parts.append(f"{word} {int(value)}")
        if identity.nominvalue:
            parts.append("NO MINVALUE")
        if identity.nomaxvalue:
            parts.append("NO MAXVALUE")
        if identity.cycle is not None:
            parts.append("CYCLE" if identity.cycle else "NO CYCLE")
        kind = "ALWAYS" if identity.always else "BY DEFAULT"
        options = f" ({' '.join(parts)})" if parts else ""
        return f" GENERATED {kind} AS IDENTITY{options}"

    def _server_default_sql(self, arg: Any, table: Any) -> str:
        if isinstance(arg, str):
            return sql_literal(arg)
        if isinstance(arg, TextClause):
            return self.escape_text(arg.text)
        if isinstance(arg, ClauseElement):
            return self._inline_sql(arg, table)
        return sql_literal(arg)

    def _foreign_key_ddl(self, fkc: Any) -> str:
        elements = fkc.elements
        targets = [e.column for e in elements]
        ref_table = targets[0].table
        sql = f"CONSTRAINT {self.quote(fkc.name)} " if fkc.name else ""
        sql += ("FOREIGN KEY(" + ", ".join(self.quote(c.name) for c in fkc.columns) +
                f") REFERENCES {self.table_name(ref_table)} (" +
                ", ".join(self.quote(t.name) for t in targets) + ")")
        if fkc.ondelete:
            sql += f" ON DELETE {_action(fkc.ondelete)}"
        if fkc.onupdate:
            sql += f" ON UPDATE {_action(fkc.onupdate)}"
        if fkc.deferrable is not None:
            sql += " DEFERRABLE" if fkc.deferrable else " NOT DEFERRABLE"
        if fkc.initially:
            sql += f" INITIALLY {_action(fkc.initially)}"
        return sql

    def visit_drop_table(self, drop: Any, **kw: Any) -> str:
        self._ddl()
        exists = "IF EXISTS " if drop.if_exists else ""
        return f"DROP TABLE {exists}{self.table_name(drop.element)}"

    def visit_create_index(self, create: Any, **kw: Any) -> str:
        self._ddl()
        index = create.element
        table = index.table
        unique = "UNIQUE " if index.unique else ""
        exists = "IF NOT EXISTS " if create.if_not_exists else ""
        cols = ", ".join(self._inline_sql(c, table) for c in index.columns)
        # The index lands in the table's schema; PostgreSQL refuses a qualified name here.
        name = self.quote(index.name)
        return f"CREATE {unique}INDEX {exists}{name} ON {self.table_name(table)} ({cols})"

    def visit_drop_index(self, drop: Any, **kw: Any) -> str:
        self._ddl()
        index = drop.element
        schema = index.table.schema if index.table is not None else None
        name = self.quote(index.name)
        if schema:
            name = f"{self.quote(schema)}.{name}"
        exists = "IF EXISTS " if drop.if_exists else ""
        return f"DROP INDEX {exists}{name}"

    def visit_create_schema(self, create: Any, **kw: Any) -> str:
        self._ddl()
        exists = "IF NOT EXISTS " if create.if_not_exists else ""
        return f"CREATE SCHEMA {exists}{self.quote(create.element)}"

    def visit_drop_schema(self, drop: Any, **kw: Any) -> str:
        self._ddl()
        exists = "IF EXISTS " if drop.if_exists else ""
        cascade = " CASCADE" if drop.cascade else ""
        return f"DROP SCHEMA {exists}{self.quote(drop.element)}{cascade}"

    def visit_add_constraint(self, add: Any, **kw: Any) -> str:
        self._ddl()
        con = add.element
        return f"ALTER TABLE {self.table_name(con.table)} ADD {self._foreign_key_ddl(con)}"

    def visit_drop_constraint(self, drop: Any, **kw: Any) -> str:
        self._ddl()
        con = drop.element
        from tether.sql.ddl import _fk_name

        name = con.name or _fk_name(con)
        exists = "IF EXISTS " if drop.if_exists else ""
        return f"ALTER TABLE {self.table_name(con.table)} DROP CONSTRAINT {exists}" \
               f"{self.quote(name)}"


_ACTIONS = {"CASCADE", "SET NULL", "SET DEFAULT", "RESTRICT", "NO ACTION", "DEFERRED",
            "IMMEDIATE"}


def _action(value: str) -> str:
    upper = value.upper()
    if upper not in _ACTIONS:
        raise exc.CompileError(
            f"unknown referential action {value!r}; use one of "
            f"{', '.join(sorted(_ACTIONS - {'DEFERRED', 'IMMEDIATE'}))}"
        )
    return upper


class _LiteralRenderer:
    """Renders an expression through a fresh compiler in literal mode: binds become SQL
    literals and ``table``'s columns lose their table prefix."""

    def __init__(self, outer: Any, table: Any) -> None:
        self.outer = outer
        self.table = table

    def render(self, element: Any) -> str:
        from tether.sql.compiler import SQLCompiler

        class _Literal(SQLCompiler):
            def visit_bindparam(self, bind: BindParameter, **kw: Any) -> str:
                return sql_literal(bind.effective_value())

        compiler = _Literal.__new__(_Literal)
        compiler.__dict__.update(self.outer.__dict__)
        compiler._unqualified_table = self.table
        compiler.compiled = type(self.outer.compiled)()
        if isinstance(element, TextClause):
            return self.outer.escape_text(element.text)
        return str(compiler.process(element))
