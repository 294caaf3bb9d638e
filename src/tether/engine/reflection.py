"""Reading a live database's schema: the :class:`Inspector` behind ``inspect(engine)``, and
:func:`reflect`, which turns what it reads into ``Table`` objects.

The catalogue queries differ per database and live in ``tether.dialects.*_reflection``
modules; this module finds the one for a dialect through the dialect's
``reflection_module`` attribute (a module path), falling back to a table keyed by the
dialect's class name, so that no code here tests a database's name.

Shapes returned (lists of plain dicts, as SQLAlchemy users know them):

* ``get_columns`` -> ``{"name", "type" (a tether type instance), "nullable", "default" (SQL
  text or None), "autoincrement"}``
* ``get_pk_constraint`` -> ``{"constrained_columns", "name"}``
* ``get_foreign_keys`` -> ``{"name", "constrained_columns", "referred_schema",
  "referred_table", "referred_columns", "ondelete", "onupdate", "options"}``
* ``get_indexes`` -> ``{"name", "column_names", "unique"}`` (indexes that back a primary key
  or unique constraint are left out: they are reported as constraints)
* ``get_unique_constraints`` -> ``{"name", "column_names"}``
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

from tether import exc
from tether.engine.base import Connection, Engine
from tether.sql import schema as sa_schema
from tether.sql.elements import TextClause

__all__ = ["Inspector", "reflect", "reflection_module_for"]

#: Until every dialect carries ``reflection_module``: dialect class name -> module path.
_FALLBACK_MODULES: dict[str, str] = {
    "SQLiteDialect": "tether.dialects.sqlite_reflection",
    "PGDialect": "tether.dialects.postgresql_reflection",
}


def reflection_module_for(dialect: Any) -> ModuleType:
    """The module holding ``dialect``'s catalogue queries; raises NotImplementedError."""
    spec = getattr(dialect, "reflection_module", None)
    if isinstance(spec, ModuleType):
        return spec
    if spec is None:
        for cls in type(dialect).__mro__:
            spec = _FALLBACK_MODULES.get(cls.__name__)
            if spec is not None:
                break
    if spec is None:
        raise NotImplementedError(
            f"tether cannot read the schema of a {getattr(dialect, 'name', dialect)!r} "
            f"database: its dialect names no reflection module"
        )
    return importlib.import_module(spec)


class Inspector:
    """Answers questions about the schema of the database behind an Engine or Connection.

    Each call reads the catalogue afresh (nothing is cached), so an Inspector stays correct
    after DDL. With an Engine, every call checks a connection out and returns it.
    """

    def __init__(self, bind: Engine | Connection) -> None:
        self.bind = bind
        self.engine = bind if isinstance(bind, Engine) else bind.engine
        self.dialect = self.engine.dialect
        self._module = reflection_module_for(self.dialect)

    @contextmanager
    def _connection(self) -> Iterator[Connection]:
        if isinstance(self.bind, Connection):
            yield self.bind
            return
        with self.bind.connect() as conn:
            yield conn

    def _call(self, name: str, *args: Any) -> Any:
        with self._connection() as conn:
            return getattr(self._module, name)(conn, *args)

    @property
    def default_schema_name(self) -> str:
        """``main`` on SQLite, ``current_schema()`` (usually ``public``) on PostgreSQL."""
        return str(self._call("default_schema_name"))

    def get_schema_names(self) -> list[str]:
        return list(self._call("get_schema_names"))

    def get_table_names(self, schema: str | None = None) -> list[str]:
        return list(self._call("get_table_names", schema))

    def has_table(self, table_name: str, schema: str | None = None) -> bool:
        return bool(self._call("has_table", table_name, schema))

    def has_schema(self, schema: str) -> bool:
        return schema in self.get_schema_names()

    def _existing(self, table_name: str, schema: str | None) -> None:
        if not self.has_table(table_name, schema):
            where = f" in schema {schema!r}" if schema else ""
            raise exc.NoSuchTableError(f"table {table_name!r} does not exist{where}")

    def get_columns(self, table_name: str, schema: str | None = None) -> list[dict[str, Any]]:
        """Columns in table order; raises NoSuchTableError for a missing table."""
        self._existing(table_name, schema)
        return list(self._call("get_columns", table_name, schema))

    def get_pk_constraint(self, table_name: str, schema: str | None = None) -> dict[str, Any]:
        self._existing(table_name, schema)
        return dict(self._call("get_pk_constraint", table_name, schema))

    def get_foreign_keys(self, table_name: str,
                         schema: str | None = None) -> list[dict[str, Any]]:
        self._existing(table_name, schema)
        return list(self._call("get_foreign_keys", table_name, schema))

    def get_indexes(self, table_name: str, schema: str | None = None) -> list[dict[str, Any]]:
        self._existing(table_name, schema)
        return list(self._call("get_indexes", table_name, schema))

    def get_unique_constraints(self, table_name: str,
                               schema: str | None = None) -> list[dict[str, Any]]:
        self._existing(table_name, schema)
        return list(self._call("get_unique_constraints", table_name, schema))

    def reflect_table(self, table: sa_schema.Table) -> None:
        """Fill ``Table`` with the columns and constraints the database has; a column the
        Table was given already keeps its own definition (as ``autoload_with`` promises).
        Raises NoSuchTableError when the database has no such table."""
        _fill_table(self, table)

    def reflect_into(self, metadata: sa_schema.MetaData, schema: str | None = None,
                     only: Iterable[str] | None = None,
                     resolve_references: bool = True) -> sa_schema.MetaData:
        """``MetaData.reflect``: see :func:`reflect`."""
        return reflect(self.bind, metadata, schema, only, resolve_references)

    def __repr__(self) -> str:
        return f"<Inspector {self.dialect.name}>"


def _server_default(text: str | None) -> Any:
    if text is None:
        return None
    return TextClause(text)


def _fill_table(insp: Inspector, table: sa_schema.Table) -> None:
    name, schema = str(table.name), table.schema
    pk = insp.get_pk_constraint(name, schema)
    pk_cols = set(pk["constrained_columns"])
    given = set(table.c.keys())
    reflected = insp.get_columns(name, schema)
    for col in reflected:
        if col["name"] in given:
            continue
        table.append_column(sa_schema.Column(
            col["name"], col["type"],
            primary_key=col["name"] in pk_cols,
            # as the database says: SQLite's INTEGER PRIMARY KEY reports NULL allowed
            nullable=col["nullable"],
            server_default=_server_default(col.get("default")),
            autoincrement=bool(col.get("autoincrement")) if col["name"] in pk_cols else "auto",
        ))
    if given:
        # the given columns take their place in the table's order; extra ones go last
        order = {col["name"]: i for i, col in enumerate(reflected)}
        table.c._list.sort(key=lambda c: order.get(c.name, len(order)))
    if pk.get("name"):
        table.primary_key.name = pk["name"]
    for fk in insp.get_foreign_keys(name, schema):
        if any(c in given for c in fk["constrained_columns"]):
            continue  # the given column says what it refers to (or that it refers to nothing)
        ref_schema = fk["referred_schema"]
        prefix = f"{ref_schema}." if ref_schema else ""
        table.append_constraint(sa_schema.ForeignKeyConstraint(
            list(fk["constrained_columns"]),
            [f"{prefix}{fk['referred_table']}.{c}" for c in fk["referred_columns"]],
            name=fk["name"], ondelete=fk.get("ondelete"), onupdate=fk.get("onupdate"),
        ))
    for uc in insp.get_unique_constraints(name, schema):
        table.append_constraint(sa_schema.UniqueConstraint(*uc["column_names"], name=uc["name"]))
    for ix in insp.get_indexes(name, schema):
        if any(c is None for c in ix["column_names"]):
            continue  # an expression index: not expressible as a list of columns
        sa_schema.Index(ix["name"], *ix["column_names"], unique=ix["unique"])._set_parent(table)


def reflect(bind: Engine | Connection, metadata: sa_schema.MetaData | None = None,
            schema: str | None = None, only: Iterable[str] | None = None,
            resolve_references: bool = True) -> sa_schema.MetaData:
    """Read the tables of ``schema`` (default: the default schema) into ``metadata``.

    Tables that foreign keys point at in other schemas are read too, so every ForeignKey
    resolves. Tables already in ``metadata`` are left as they are. Raises NoSuchTableError
    when a name in ``only`` does not exist.
    """
    metadata = metadata if metadata is not None else sa_schema.MetaData()
    insp = Inspector(bind)
    names = insp.get_table_names(schema)
    if only is not None:
        wanted = list(only)
        missing = [n for n in wanted if n not in names]
        if missing:
            raise exc.NoSuchTableError(
                f"table(s) {', '.join(missing)} not found; the database has: "
                f"{', '.join(names) or 'no tables'}"
            )
        names = wanted
    todo = [(n, schema) for n in names]
    done: set[tuple[str, str | None]] = set()
    while todo:
        name, sch = todo.pop(0)
        if (name, sch) in done:
            continue
        done.add((name, sch))
        key = f"{sch}.{name}" if sch else name
        if key in metadata.tables:
            continue
        table = sa_schema.Table(name, metadata, schema=sch)
        _fill_table(insp, table)
        if resolve_references:
            for fk in insp.get_foreign_keys(name, sch):
                target = (fk["referred_table"], fk["referred_schema"])
                if target not in done:
                    todo.append(target)
    return metadata


