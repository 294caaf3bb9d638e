"""``tether diff``: compare the models with a live database, and apply the additive part.

:func:`compare` reads the database through :mod:`tether.engine.reflection` and lists each
difference as a :class:`Change`: schemas, tables, columns, types, nullability, server
defaults, primary keys, foreign keys, unique constraints and indexes. Every change carries
the SQL that would reconcile it and whether ``--apply`` may run it:

* applied: new schemas, tables, columns (nullable or with a server default), indexes,
  unique constraints, foreign keys where the database can add them to an existing table,
  and on databases that alter columns in place, widening a type, dropping NOT NULL and
  setting a server default;
* printed only: anything that drops (tables, columns, constraints, indexes, defaults) or
  narrows (a shorter or different type, SET NOT NULL, a changed primary key), and what the
  database cannot do in place (SQLite cannot alter a column or add a foreign key).

:func:`apply` runs the applicable statements in one transaction: all of them or none.
Types are compared by meaning, not spelling: ``VARCHAR``/``character varying``/``String``,
``INTEGER``/``int4``, ``TIMESTAMP``/``DATETIME``/``timestamp without time zone`` are equal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tether.engine.reflection import Inspector
from tether.sql import ddl as sqlddl
from tether.sql import schema as sa_schema
from tether.sql import types as sqltypes
from tether.sql.compiler import SQLCompiler, render_type
from tether.sql.elements import TextClause

__all__ = ["Change", "DiffResult", "apply", "compare", "format_report"]


@dataclass
class Change:
    """One difference. ``sign`` is ``+`` (models have more), ``-`` (database has more) or
    ``~`` (both have it, differently). ``applicable`` changes run with ``--apply``;
    ``reason`` says why another one does not."""

    kind: str
    sign: str
    target: str
    description: str
    sql: list[str] = field(default_factory=list)
    applicable: bool = False
    reason: str | None = None

    def line(self) -> str:
        text = f"{self.sign} {self.kind.replace('_', ' ')} {self.target}: {self.description}"
        if not self.applicable and self.reason:
            text += f" [not applied: {self.reason}]"
        return text


@dataclass
class DiffResult:
    changes: list[Change]
    dialect_name: str

    @property
    def applicable(self) -> list[Change]:
        return [c for c in self.changes if c.applicable]

    @property
    def manual(self) -> list[Change]:
        return [c for c in self.changes if not c.applicable]

    @property
    def statements(self) -> list[str]:
        return [s for c in self.applicable for s in c.sql]


# --- type comparison --------------------------------------------------------------------
_SYNONYMS = [
    (r"^CHARACTER VARYING", "VARCHAR"), (r"^NVARCHAR", "VARCHAR"), (r"^CHARACTER\b", "VARCHAR"),
    (r"^N?CHAR\b", "VARCHAR"), (r"^(INT|INT4)$", "INTEGER"), (r"^INT8$", "BIGINT"),
    (r"^INT2$", "SMALLINT"), (r"^(TIMESTAMP WITHOUT TIME ZONE|DATETIME)$", "TIMESTAMP"),
    (r"^TIMESTAMP WITH TIME ZONE$", "TIMESTAMPTZ"), (r"^TIME WITHOUT TIME ZONE$", "TIME"),
    (r"^TIME WITH TIME ZONE$", "TIMETZ"),
    (r"^(FLOAT|FLOAT8|DOUBLE|DOUBLE PRECISION)$", "DOUBLE"), (r"^(REAL|FLOAT4)$", "REAL"),
    (r"^BOOL$", "BOOLEAN"), (r"^DECIMAL", "NUMERIC"), (r"^(BYTEA|BINARY|VARBINARY)$", "BLOB"),
]


def canonical_type(sql_type: str) -> str:
    """A type's SQL spelling reduced to one name per meaning (``int4`` -> ``INTEGER``)."""
    text = " ".join(sql_type.upper().replace(", ", ",").split())
    text = re.sub(r'\s+COLLATE\s+"[^"]*"', "", text)
    for pattern, repl in _SYNONYMS:
        text = re.sub(pattern, repl, text)
    return text


_INT_WIDTH = {"SMALLINT": 2, "INTEGER": 4, "BIGINT": 8}
_LEN_RE = re.compile(r"^VARCHAR(?:\((\d+)\))?$")


def _widening(old: str, new: str) -> bool:
    """True when a column of type ``old`` can become ``new`` keeping every value as it is."""
    if old in _INT_WIDTH and new in _INT_WIDTH:
        return _INT_WIDTH[new] >= _INT_WIDTH[old]
    o, n = _LEN_RE.match(old), _LEN_RE.match(new)
    if o and (n or new == "TEXT"):
        if new == "TEXT" or n.group(1) is None:  # type: ignore[union-attr]
            return True
        return o.group(1) is not None and int(n.group(1)) >= int(o.group(1))  # type: ignore[union-attr]
    return old == "VARCHAR" and new == "TEXT"


_BOOL_WORDS = {"0": "false", "f": "false", "false": "false", "1": "true", "t": "true",
               "true": "true"}


def _normalize_default(text: Any, type_: Any = None) -> str | None:
    """A default's SQL reduced for comparison: no casts, quotes or outer parentheses;
    boolean spellings (``'0'``, ``false``, ``f``) made one."""
    if text is None:
        return None
    if isinstance(text, TextClause):
        text = text.text
    value = str(text).strip()
    while value.startswith("(") and value.endswith(")"):
        value = value[1:-1].strip()
    value = re.sub(r"::[\w\s\".\[\]]+$", "", value)  # PostgreSQL's casts: 'x'::character varying
    if len(value) >= 2 and value[0] == value[-1] == "'":
        value = value[1:-1].replace("''", "'")
    if isinstance(type_, sqltypes.Boolean):
        value = _BOOL_WORDS.get(value.lower(), value)
    return value.lower() if value.upper() in ("TRUE", "FALSE", "NULL", "CURRENT_TIMESTAMP",
                                              "NOW()") else value


# --- SQL rendering ------------------------------------------------------------------------
class _Renderer:
    """The dialect's DDL compiler, used piecewise, with ``?``-style quoting (no ``%%``)."""

    def __init__(self, dialect: Any) -> None:
        class _Plain(dialect.__class__):  # type: ignore[misc, name-defined]
            paramstyle = "qmark"

        plain = _Plain.__new__(_Plain)
        plain.__dict__.update(dialect.__dict__)
        plain.compiled_cache = {}
        self.dialect = dialect
        self.compiler = SQLCompiler(plain, sqlddl.CreateSchema("_"), [], None)

    def statement(self, element: Any) -> str:
        return str(self.compiler.process(element))

    def table(self, table: Any) -> str:
        return str(self.compiler.table_name(table))

    def quote(self, name: str) -> str:
        return str(self.compiler.quote(name))

    def column(self, col: Any) -> str:
        return str(self.compiler._column_ddl(col))

    def type(self, type_: Any) -> str:
        return render_type(type_, getattr(self.dialect, "type_names", {}))

    def default(self, col: Any) -> str:
        return str(self.compiler._server_default_sql(col.server_default.arg, col.table))

    def foreign_key(self, fkc: Any) -> str:
        return str(self.compiler._foreign_key_ddl(fkc))


def _fk_name(fkc: Any) -> str:
    if fkc.name:
        return str(fkc.name)
    cols = "_".join(c.name for c in fkc.columns)
    return f"fk_{fkc.table.name}_{cols}_{fkc.referred_table.name}"[:63]


# --- comparison -----------------------------------------------------------------------------
def compare(metadata: sa_schema.MetaData, bind: Any) -> DiffResult:
    """Every difference between ``metadata``'s tables and the database behind ``bind``."""
    insp = Inspector(bind)
    dialect = insp.dialect
    r = _Renderer(dialect)
    changes: list[Change] = []
    default_schema = insp.default_schema_name
    can_alter = bool(getattr(dialect, "supports_alter_add_constraint", False))

    tables = list(metadata.tables.values())
    schemas = sorted({t.schema for t in tables if t.schema})
    db_schemas = set(insp.get_schema_names())
    for schema in schemas:
        if schema in db_schemas:
            continue
        if not getattr(dialect, "supports_schemas", False):
            changes.append(Change(
                "schema", "+", schema, "the models put tables in this schema, but this "
                "database has no schemas (SQLite: attach a database under that name, or "
                "leave the schema out)", reason="the database has no schemas"))
        else:
            changes.append(Change("schema", "+", schema, "missing in the database",
                                  [r.statement(sqlddl.CreateSchema(schema))], True))

    existing: dict[str | None, set[str]] = {}
    for maybe in {t.schema for t in tables} | {None}:
        if maybe is None or maybe in db_schemas:
            existing[maybe] = set(insp.get_table_names(maybe))
        else:
            existing[maybe] = set()

    new_tables = [t for t in tables if t.name not in existing.get(t.schema, set())]
    unavailable = {s for s in schemas if s not in db_schemas
                   and not getattr(dialect, "supports_schemas", False)}
    changes.extend(_new_tables(new_tables, r, dialect, unavailable))
    for table in sorted(tables, key=lambda t: t.key):
        if table in new_tables:
            continue
        changes.extend(_table_changes(table, insp, r, default_schema, can_alter))

    model_names = {(t.schema, t.name) for t in tables}
    for in_schema, names in sorted(existing.items(), key=lambda kv: kv[0] or ""):
        for name in sorted(names):
            if (in_schema, name) not in model_names:
                key = f"{in_schema}.{name}" if in_schema else name
                quoted = (r.quote(name) if not in_schema
                          else f"{r.quote(in_schema)}.{r.quote(name)}")
                changes.append(Change("table", "-", key, "in the database only",
                                      [f"DROP TABLE {quoted}"],
                                      reason="dropping a table deletes its rows"))
    return DiffResult(changes, dialect.name)


def _new_tables(tables: list[Any], r: _Renderer, dialect: Any,
                unavailable: set[str]) -> list[Change]:
    if not tables:
        return []
    ordered = sqlddl.sort_tables(tables, ignore_cycles=True)
    try:
        sqlddl.sort_tables(tables)
        deferred: list[Any] = []
    except Exception:
        deferred = sqlddl._cycle_constraints(tables) if dialect.supports_alter_add_constraint \
            else []
    out = []
    for table in ordered:
        skip = [c for c in deferred if c.table is table]
        stmts = [r.statement(sqlddl.CreateTable(table, include_foreign_key_constraints=[
            c for c in table.foreign_key_constraints if c not in skip]))]
        stmts += [r.statement(sqlddl.CreateIndex(ix)) for ix in table.indexes]
        ncols = len(table.columns)
        ok = table.schema not in unavailable
        out.append(Change("table", "+", table.key,
                          f"missing in the database ({ncols} column{'s' if ncols != 1 else ''})",
                          stmts, ok, None if ok else f"schema {table.schema!r} does not exist"))
    for fkc in deferred:
        out.append(Change("foreign_key", "+", f"{fkc.table.key}.{_fk_name(fkc)}",
                          "closes a cycle of new tables",
                          [f"ALTER TABLE {r.table(fkc.table)} ADD {r.foreign_key(fkc)}"], True))
    return out


def _table_changes(table: Any, insp: Inspector, r: _Renderer, default_schema: str,
                   can_alter: bool) -> list[Change]:
    out: list[Change] = []
    name, schema, key = table.name, table.schema, table.key
    qt = r.table(table)
    db_cols = {c["name"]: c for c in insp.get_columns(name, schema)}
    style = getattr(insp.dialect, "autoincrement_style", "")
    for col in table.columns:
        target = f"{key}.{col.name}"
        db = db_cols.get(col.name)
        if db is None:
            ok = col.nullable or col.server_default is not None
            out.append(Change(
                "column", "+", target, f"missing in the database ({r.column(col)})",
                [f"ALTER TABLE {qt} ADD COLUMN {r.column(col)}"], ok,
                None if ok else "a NOT NULL column without a server default cannot be added "
                "to a table that has rows; give it server_default=... or make it nullable "
                "first, fill it, then set NOT NULL"))
            continue
        out.extend(_column_changes(col, db, target, qt, r, can_alter, style))
    for db_name in db_cols:
        if table.columns.get(db_name) is None and all(c.name != db_name for c in table.columns):
            out.append(Change("column", "-", f"{key}.{db_name}", "in the database only",
                              [f"ALTER TABLE {qt} DROP COLUMN {r.quote(db_name)}"],
                              reason="dropping a column deletes its data"))

    pk = insp.get_pk_constraint(name, schema)
    model_pk = [c.name for c in table.primary_key.columns]
    if list(pk["constrained_columns"]) != model_pk:
        out.append(Change("primary_key", "~", key,
                          f"database ({', '.join(pk['constrained_columns']) or 'none'}), models "
                          f"({', '.join(model_pk) or 'none'})",
                          reason="changing a primary key rewrites the table's identity; do it "
                                 "by hand"))

    out.extend(_fk_changes(table, insp, r, default_schema, can_alter))
    out.extend(_unique_and_index_changes(table, insp, r, can_alter))
    return out


def _column_changes(col: Any, db: dict[str, Any], target: str, qt: str, r: _Renderer,
                    can_alter: bool, style: str) -> list[Change]:
    out = []
    qc = r.quote(col.name)
    model_t = canonical_type(r.type(col.type))
    db_t = canonical_type(r.type(db["type"]))
    same = model_t == db_t or not db_t or db_t == "NULL" or not model_t
    if not same and col._is_autoincrement and style == "integer_primary_key":
        same = db_t in _INT_WIDTH  # SQLite's rowid key is INTEGER whatever the model says
    if not same and (model_t in _INT_WIDTH) and (db_t in _INT_WIDTH) and not can_alter:
        same = True  # SQLite: every integer width is the same storage
    if not same:
        widen = _widening(db_t, model_t)
        sql = f"ALTER TABLE {qt} ALTER COLUMN {qc} TYPE {r.type(col.type)}"
        reason = None
        if not can_alter:
            reason = "this database cannot change a column's type in place; rebuild the table"
        elif not widen:
            reason = "the new type is narrower or different; existing values may not fit"
        out.append(Change("type", "~", target, f"database {db_t}, models {model_t}"
                          + (" (widening)" if widen else ""), [sql], reason is None, reason))
    if not col.primary_key and bool(col.nullable) != bool(db["nullable"]):
        if col.nullable:
            out.append(Change("nullable", "~", target, "NOT NULL in the database, nullable in "
                              "the models", [f"ALTER TABLE {qt} ALTER COLUMN {qc} DROP NOT NULL"],
                              can_alter, None if can_alter else
                              "this database cannot alter a column in place; rebuild the table"))
        else:
            out.append(Change("nullable", "~", target, "nullable in the database, NOT NULL in "
                              "the models", [f"ALTER TABLE {qt} ALTER COLUMN {qc} SET NOT NULL"],
                              reason="SET NOT NULL narrows the column: fill its NULLs first"))
    model_default = _normalize_default(col.server_default.arg if col.server_default else None,
                                       col.type)
    db_default = _normalize_default(db.get("default"), col.type)
    if model_default != db_default and not (db.get("autoincrement") and model_default is None):
        if model_default is None:
            out.append(Change("default", "~", target, f"database has DEFAULT {db['default']}, "
                              "models have none",
                              [f"ALTER TABLE {qt} ALTER COLUMN {qc} DROP DEFAULT"],
                              reason="dropping a default changes what new rows get"))
        else:
            sql = f"ALTER TABLE {qt} ALTER COLUMN {qc} SET DEFAULT {r.default(col)}"
            out.append(Change("default", "~", target,
                              f"database {db.get('default') or 'no default'}, models "
                              f"DEFAULT {r.default(col)}", [sql], can_alter,
                              None if can_alter else "this database cannot alter a column in "
                              "place; rebuild the table"))
    return out


def _fk_key(cols: list[str], ref_schema: str | None, ref_table: str,
            ref_cols: list[str]) -> tuple[Any, ...]:
    return (tuple(cols), ref_schema, ref_table, tuple(ref_cols))


def _fk_changes(table: Any, insp: Inspector, r: _Renderer, default_schema: str,
                can_alter: bool) -> list[Change]:
    out: list[Change] = []
    qt = r.table(table)
    db_fks = insp.get_foreign_keys(table.name, table.schema)

    def norm(s: str | None) -> str | None:
        return None if s in (None, default_schema) else s

    db_by_key = {_fk_key(f["constrained_columns"], norm(f["referred_schema"]),
                         f["referred_table"], f["referred_columns"]): f for f in db_fks}
    seen = set()
    for fkc in table.foreign_key_constraints:
        try:
            ref = fkc.referred_table
            ref_cols = [e.column.name for e in fkc.elements]
        except Exception:
            continue
        k = _fk_key([c.name for c in fkc.columns], norm(ref.schema), ref.name, ref_cols)
        seen.add(k)
        target = f"{table.key}({', '.join(k[0])}) -> {ref.key}({', '.join(ref_cols)})"
        db = db_by_key.get(k)
        if db is None:
            named = sa_schema.ForeignKeyConstraint.__new__(sa_schema.ForeignKeyConstraint)
            named.__dict__.update(fkc.__dict__)
            named.name = _fk_name(fkc)
            sql = f"ALTER TABLE {qt} ADD {r.foreign_key(named)}"
            out.append(Change("foreign_key", "+", target, "missing in the database", [sql],
                              can_alter, None if can_alter else
                              "this database cannot add a foreign key to an existing table; "
                              "rebuild the table"))
            continue
        for action in ("ondelete", "onupdate"):
            want = (getattr(fkc, action) or "NO ACTION").upper()
            have = (db.get(action) or "NO ACTION").upper()
            if want != have:
                out.append(Change("foreign_key", "~", target,
                                  f"{action.upper().replace('ON', 'ON ')}: database {have}, "
                                  f"models {want}",
                                  [f"ALTER TABLE {qt} DROP CONSTRAINT {r.quote(db['name'] or '?')}",
                                   f"ALTER TABLE {qt} ADD {r.foreign_key(fkc)}"],
                                  reason="the constraint must be dropped and added again"))
    for k, db in db_by_key.items():
        if k in seen:
            continue
        target = f"{table.key}({', '.join(k[0])}) -> {db['referred_table']}"
        drop = [f"ALTER TABLE {qt} DROP CONSTRAINT {r.quote(db['name'])}"] if db["name"] else []
        out.append(Change("foreign_key", "-", target, "in the database only", drop,
                          reason="dropping a constraint is never automatic"))
    return out


def _unique_and_index_changes(table: Any, insp: Inspector, r: _Renderer,
                              can_alter: bool) -> list[Change]:
    out: list[Change] = []
    qt = r.table(table)
    db_uniques = {tuple(u["column_names"]): u for u in insp.get_unique_constraints(
        table.name, table.schema)}
    db_indexes = {tuple(i["column_names"]): i for i in insp.get_indexes(table.name, table.schema)}
    unique_sets = set(db_uniques) | {k for k, i in db_indexes.items() if i["unique"]}
    pk = tuple(c.name for c in table.primary_key.columns)
    model_unique: set[tuple[str, ...]] = set()
    for con in table.constraints:
        if type(con).__name__ != "UniqueConstraint":
            continue
        cols = tuple(c.name for c in con.columns)
        model_unique.add(cols)
        if cols in unique_sets or cols == pk:
            continue
        name = con.name or f"uq_{table.name}_{'_'.join(cols)}"
        collist = ", ".join(r.quote(c) for c in cols)
        if can_alter:
            sql = f"ALTER TABLE {qt} ADD CONSTRAINT {r.quote(name)} UNIQUE ({collist})"
            note = "missing in the database"
        else:
            sql = f"CREATE UNIQUE INDEX {r.quote(name)} ON {qt} ({collist})"
            note = "missing in the database (added as a unique index, which SQLite enforces alike)"
        out.append(Change("unique", "+", f"{table.key}({', '.join(cols)})", note, [sql], True))
    model_index: set[tuple[str, ...]] = set()
    for ix in table.indexes:
        cols = tuple(getattr(c, "name", "?") for c in ix.columns)
        model_index.add(cols)
        have = db_indexes.get(cols)
        if have is not None and (bool(have["unique"]) == bool(ix.unique) or not ix.unique):
            continue
        if have is None and (cols in db_uniques or (ix.unique and cols in unique_sets)):
            continue  # a unique constraint's own index serves it
        if have is None and not ix.unique and cols in unique_sets:
            continue
        out.append(Change("index", "+", f"{table.key}.{ix.name}",
                          f"missing in the database ({'unique ' if ix.unique else ''}on "
                          f"{', '.join(cols)})", [r.statement(sqlddl.CreateIndex(ix))], True))
    for cols, u in db_uniques.items():
        if cols not in model_unique and not any(
                ix.unique and tuple(c.name for c in ix.columns) == cols for ix in table.indexes):
            drop = ([f"ALTER TABLE {qt} DROP CONSTRAINT {r.quote(u['name'])}"]
                    if u["name"] else [])
            out.append(Change("unique", "-", f"{table.key}({', '.join(cols)})",
                              "in the database only", drop,
                              reason="dropping a constraint is never automatic"))
    for cols, i in db_indexes.items():
        if cols in model_index or (i["unique"] and cols in model_unique):
            continue
        schema_prefix = f"{r.quote(table.schema)}." if table.schema else ""
        out.append(Change("index", "-", f"{table.key}.{i['name']}",
                          f"in the database only (on {', '.join(str(c) for c in cols)})",
                          [f"DROP INDEX {schema_prefix}{r.quote(i['name'])}"],
                          reason="dropping an index is never automatic"))
    return out


# --- applying and reporting ------------------------------------------------------------------
def apply(result: DiffResult, engine: Any) -> list[str]:
    """Run every applicable statement in one transaction; returns the statements run.

    Raises the database's error (and changes nothing) when one of them fails.
    """
    statements = result.statements
    if not statements:
        return []
    with engine.begin() as conn:
        for sql in statements:
            conn.exec_driver_sql(sql)
    return statements


def format_report(result: DiffResult, source: str, url: str, applied: bool = False) -> str:
    """The readable list, then the SQL: what ``--apply`` runs (or ran), and what it never runs."""
    lines: list[str] = []
    if not result.changes:
        return f"The database at {url} matches the models in {source}.\n"
    n = len(result.changes)
    lines.append(f"{n} difference{'s' if n != 1 else ''} between the models in {source} and "
                 f"the database at {url}:")
    lines += [f"  {c.line()}" for c in result.changes]
    auto = result.applicable
    manual = result.manual
    if auto:
        lines.append("")
        lines.append("-- SQL " + ("run by --apply (in one transaction):" if applied else
                                 "that --apply would run (additive, in one transaction):"))
        lines += [f"{s};" for c in auto for s in c.sql]
    if manual:
        lines.append("")
        lines.append("-- SQL that --apply never runs (it drops or narrows data, or the "
                     "database cannot do it in place); review and run it by hand:")
        for c in manual:
            lines.append(f"-- {c.sign} {c.kind.replace('_', ' ')} {c.target}: {c.reason}")
            lines += [f"{s};" for s in c.sql] or ["-- (no SQL: see the note above)"]
    return "\n".join(lines) + "\n"
