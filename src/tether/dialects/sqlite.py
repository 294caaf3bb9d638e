"""SQLite through the standard library's ``sqlite3``: capability flags, type names, driver glue.

Connections are opened in sqlite3's autocommit mode (``isolation_level=None``) and tether
issues ``BEGIN`` itself, so transactions, DDL and SAVEPOINTs behave the same way as on
PostgreSQL instead of following sqlite3's implicit-transaction rules. Foreign keys are
switched on for every connection (``PRAGMA foreign_keys=ON``) unless the engine was made
with ``sqlite_enforce_foreign_keys=False``.

An in-memory URL (``sqlite://`` or ``sqlite:///:memory:``) becomes a named shared-cache
memory database private to the engine, so all of the engine's connections see one database.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
import sqlite3
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import quote

from tether import exc
from tether.dialects import dbapi_error_class
from tether.engine.interfaces import Dialect

__all__ = ["SQLiteDialect", "dialect"]

_VERSION = sqlite3.sqlite_version_info


def _register_adapters() -> None:
    # sqlite3's built-in date/datetime adapters are deprecated (Python 3.12) and their text
    # form differs from the types layer's; values normally arrive already converted, and
    # these keep raw ``exec_driver_sql`` use warning-free and consistent with it.
    sqlite3.register_adapter(_dt.datetime, lambda v: v.isoformat(" ", "microseconds"))
    sqlite3.register_adapter(_dt.date, lambda v: v.isoformat())
    sqlite3.register_adapter(_dt.time, lambda v: v.isoformat("microseconds"))


_register_adapters()


class SQLiteDialect(Dialect):
    """SQLite via sqlite3."""

    name: ClassVar[str] = "sqlite"
    driver: ClassVar[str] = "pysqlite"
    paramstyle: ClassVar[str] = "qmark"
    max_identifier_length: ClassVar[int] = 1024

    supports_returning: ClassVar[bool] = _VERSION >= (3, 35)
    supports_multirow_insert: ClassVar[bool] = True
    max_bind_params: ClassVar[int] = 32766 if _VERSION >= (3, 32) else 999
    supports_ilike: ClassVar[bool] = False
    begin_deferred: ClassVar[bool] = True  # see do_begin
    supports_nulls_ordering: ClassVar[bool] = _VERSION >= (3, 30)
    supports_is_distinct_from: ClassVar[bool] = _VERSION >= (3, 39)
    supports_savepoints: ClassVar[bool] = True
    supports_for_update: ClassVar[bool] = False
    # Compiler capability flags (read by tether.sql.compiler).
    requires_limit_with_offset: ClassVar[bool] = True
    tuple_in_values: ClassVar[bool] = True
    extract_via_strftime: ClassVar[bool] = True
    supports_delete_using: ClassVar[bool] = False
    function_overrides: ClassVar[dict[str, Any]] = {"now": "CURRENT_TIMESTAMP"}
    # SQLite accepts a foreign key to a table created later, so FK cycles need no ALTER.
    allows_forward_references: ClassVar[bool] = True
    lastrowid_is_primary_key: ClassVar[bool] = True
    reflection_module: ClassVar[str | None] = "tether.dialects.sqlite_reflection"

    supports_schemas: ClassVar[bool] = False
    supports_alter_add_constraint: ClassVar[bool] = False
    autoincrement_style: ClassVar[str] = "integer_primary_key"
    supports_if_not_exists: ClassVar[bool] = True

    supports_native_boolean: ClassVar[bool] = False
    supports_native_uuid: ClassVar[bool] = False
    supports_native_decimal: ClassVar[bool] = False
    supports_native_datetime: ClassVar[bool] = False
    supports_timezone: ClassVar[bool] = False
    supports_native_json: ClassVar[bool] = False
    supports_native_enum: ClassVar[bool] = False

    type_names: ClassVar[dict[str, str]] = {
        "integer": "INTEGER",
        "small_integer": "SMALLINT",
        "big_integer": "BIGINT",
        "float": "FLOAT",
        "double": "DOUBLE",
        "numeric": "NUMERIC",
        "string": "VARCHAR",
        "text": "TEXT",
        "boolean": "BOOLEAN",
        "datetime": "DATETIME",
        "date": "DATE",
        "time": "TIME",
        "interval": "DATETIME",
        "large_binary": "BLOB",
        "json": "JSON",
        "jsonb": "JSON",
        "enum": "VARCHAR",
        "uuid": "CHAR(32)",
        "null": "NULL",
    }

    reserved_words: ClassVar[frozenset[str]] = frozenset(
        """
        abort action add after all alter always analyze and as asc attach autoincrement
        before begin between by cascade case cast check collate column commit conflict
        constraint create cross current current_date current_time current_timestamp
        database default deferrable deferred delete desc detach distinct do drop each else
        end escape except exclude exclusive exists explain fail filter first following for
        foreign from full generated glob group groups having if ignore immediate in index
        indexed initially inner insert instead intersect into is isnull join key last left
        like limit match materialized natural no not nothing notnull null nulls of offset on
        or order others outer over partition plan pragma preceding primary query raise
        range recursive references regexp reindex release rename replace restrict returning
        right rollback row rows savepoint select set table temp temporary then ties to
        transaction trigger unbounded union unique update using vacuum values view virtual
        when where window with without
        """.split()
    )

    def __init__(
        self,
        sqlite_enforce_foreign_keys: bool = True,
        sqlite_attach: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.enforce_foreign_keys = sqlite_enforce_foreign_keys
        # One name per engine: every connection this dialect opens to "memory" reaches the
        # same shared-cache database, and no other engine's.
        token = os.urandom(16).hex()
        self._memory_uri = f"file:tether-memory-{token}?mode=memory&cache=shared"
        #: schema name -> what to ATTACH under it on every connection. SQLite's schemas
        #: are attached databases; ':memory:' becomes a shared in-memory database too.
        self.attached: dict[str, str] = {}
        for schema, target in (sqlite_attach or {}).items():
            if target in ("", ":memory:"):
                target = f"file:tether-memory-{token}-{schema}?mode=memory&cache=shared"
            self.attached[schema] = str(target)

    # --- connecting ------------------------------------------------------------------
    @staticmethod
    def is_memory_url(url: Any) -> bool:
        database = url.database
        if database in (None, "", ":memory:"):
            return True
        return "mode=memory" in database

    def keeps_database_alive(self, url: Any) -> bool:
        return self.is_memory_url(url) or any("mode=memory" in t for t in self.attached.values())

    def connect(self, url: Any, **connect_args: Any) -> sqlite3.Connection:
        args: dict[str, Any] = {"timeout": 5.0}  # sqlite3's own default: how long a writer waits
        for key, value in url.query.items():
            if key in ("timeout",):
                args[key] = float(value)  # type: ignore[arg-type]
        args.update(connect_args)
        # These three make tether's transaction handling and pooling work; they are not
        # options a caller can usefully change.
        args["isolation_level"] = None
        args["check_same_thread"] = False
        args.pop("detect_types", None)
        if url.database in (None, "", ":memory:"):
            database = self._memory_uri
            args["uri"] = True
        else:
            database = url.database
            if database.startswith("file:"):
                args["uri"] = True
            elif any(t.startswith("file:") for t in self.attached.values()):
                # Attaching a shared memory database needs URI filenames on this
                # connection, so the main file is named by URI as well.
                database = "file:" + quote(os.path.abspath(database), safe="/:")
                args["uri"] = True
        args.setdefault("factory", _Connection)
        conn = sqlite3.connect(database, **args)
        self.on_connect(conn)
        if args.get("uri") and "cache=shared" in database + "".join(self.attached.values()):
            # In a shared-cache database a reader is refused ("table is locked") while
            # another connection has uncommitted writes to the table. SQLAlchemy serves a
            # memory database through one connection per thread, so its users see their
            # own uncommitted rows from a second connection; reading uncommitted data
            # gives the same result here instead of an error.
            conn.execute("PRAGMA read_uncommitted=ON")
        return conn

    def on_connect(self, dbapi_connection: Any) -> None:
        dbapi_connection.execute(
            "PRAGMA foreign_keys=ON" if self.enforce_foreign_keys else "PRAGMA foreign_keys=OFF"
        )
        for schema, target in self.attached.items():
            dbapi_connection.execute(f"ATTACH DATABASE ? AS {_quote(schema)}", (target,))

    # --- transactions ----------------------------------------------------------------
    isolation_levels: ClassVar[frozenset[str]] = frozenset(
        {"SERIALIZABLE", "READ UNCOMMITTED", "AUTOCOMMIT"}
    )

    def set_isolation_level(self, dbapi_connection: Any, level: str) -> None:
        level = level.upper().replace("_", " ")
        if level not in self.isolation_levels:
            raise exc.ArgumentError(
                f"SQLite has no isolation level {level!r}; use one of "
                f"{', '.join(sorted(self.isolation_levels))}."
            )
        dbapi_connection.tether_autocommit = level == "AUTOCOMMIT"
        if level != "AUTOCOMMIT":
            on = "ON" if level == "READ UNCOMMITTED" else "OFF"
            dbapi_connection.execute(f"PRAGMA read_uncommitted={on}")

    def default_isolation_level(self, dbapi_connection: Any) -> str:
        if dbapi_connection.execute("PRAGMA read_uncommitted").fetchone()[0]:
            return "READ UNCOMMITTED"
        return "SERIALIZABLE"

    def do_begin(self, dbapi_connection: Any) -> None:
        # The real BEGIN waits for the first statement that writes (do_begin_write), as
        # with the sqlite3 driver under SQLAlchemy: a connection that has only read holds
        # no lock, so another connection's COMMIT is not blocked by an idle reader.
        return None

    def do_begin_write(self, dbapi_connection: Any) -> None:
        if not dbapi_connection.in_transaction and not dbapi_connection.tether_autocommit:
            dbapi_connection.execute("BEGIN")

    def do_commit(self, dbapi_connection: Any) -> None:
        if dbapi_connection.in_transaction:
            dbapi_connection.execute("COMMIT")

    def do_rollback(self, dbapi_connection: Any) -> None:
        if dbapi_connection.in_transaction:
            dbapi_connection.execute("ROLLBACK")

    def is_dbapi_error(self, error: BaseException) -> bool:
        return isinstance(error, sqlite3.Error)

    def is_disconnect(self, error: BaseException, dbapi_connection: Any) -> bool:
        return isinstance(error, sqlite3.ProgrammingError) and "closed" in str(error)

    # --- errors ----------------------------------------------------------------------
    def wrap_dbapi_error(
        self,
        error: BaseException,
        statement: str | None,
        params: Any,
        dbapi_connection: Any = None,
    ) -> BaseException:
        cls = dbapi_error_class(error)
        text = str(error)
        message = f"({type(error).__module__}.{type(error).__name__}) {text}"
        if cls is exc.IntegrityError and "FOREIGN KEY constraint failed" in text:
            message += "\n" + _explain_foreign_key_failure(statement, params, dbapi_connection)
        elif "database table is locked" in text:
            message += (
                "\nAnother connection of this engine has uncommitted changes to that table "
                "in the shared in-memory database; commit or roll back that connection (or "
                "session) first, or use a file database (sqlite:///file.db), where writers "
                "wait for each other."
            )
        return cls(statement, params, error, message)

    # --- introspection ---------------------------------------------------------------
    def has_table(self, connection: Any, table_name: str, schema: str | None = None) -> bool:
        master = f"{_quote(schema)}.sqlite_master" if schema else "sqlite_master"
        row = connection.exec_driver_sql(
            f"SELECT 1 FROM {master} WHERE type IN ('table', 'view') AND name = ?",
            (table_name,),
        ).first()
        if row is None and schema is None:
            row = connection.exec_driver_sql(
                "SELECT 1 FROM sqlite_temp_master WHERE type IN ('table', 'view') AND name = ?",
                (table_name,),
            ).first()
        return row is not None

    def has_schema(self, connection: Any, schema: str) -> bool:
        names = [r[1] for r in connection.exec_driver_sql("PRAGMA database_list").all()]
        return schema in names

    def has_index(
        self, connection: Any, table_name: str, index_name: str, schema: str | None = None
    ) -> bool:
        master = f"{_quote(schema)}.sqlite_master" if schema else "sqlite_master"
        row = connection.exec_driver_sql(
            f"SELECT 1 FROM {master} WHERE type = 'index' AND tbl_name = ? AND name = ?",
            (table_name, index_name),
        ).first()
        return row is not None

    def get_table_names(self, connection: Any, schema: str | None = None) -> list[str]:
        master = f"{_quote(schema)}.sqlite_master" if schema else "sqlite_master"
        rows = connection.exec_driver_sql(
            f"SELECT name FROM {master} WHERE type = 'table' AND name NOT LIKE 'sqlite~_%' "
            "ESCAPE '~' ORDER BY name"
        ).all()
        return [r[0] for r in rows]


class _Connection(sqlite3.Connection):
    """sqlite3's connection with room for tether's per-connection state."""

    tether_autocommit = False


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# --- explaining "FOREIGN KEY constraint failed" ---------------------------------------
# SQLite names neither the table nor the key. The statement tells which table was being
# written; the schema tells which foreign keys could have failed; for a single-row INSERT
# or UPDATE the parameters tell which referenced row is missing.

_IDENT = r'(?:"(?:[^"]|"")+"|`[^`]+`|\[[^\]]+\]|[\w$]+)'
_TABLE_RE = re.compile(
    rf"^\s*(?P<verb>INSERT(?:\s+OR\s+\w+)?\s+INTO|REPLACE\s+INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM)\s+"
    rf"(?P<table>{_IDENT}(?:\s*\.\s*{_IDENT})?)",
    re.IGNORECASE,
)
_INSERT_COLS_RE = re.compile(r"^[^(]*\((?P<cols>[^)]*)\)\s*VALUES\s*\(", re.IGNORECASE | re.DOTALL)


def _unquote_ident(name: str) -> str:
    name = name.strip()
    if name[:1] in ('"', "`", "["):
        return name[1:-1].replace('""', '"')
    return name


def _explain_foreign_key_failure(statement: str | None, params: Any, conn: Any) -> str:
    match = _TABLE_RE.match(statement or "")
    if match is None:
        return (
            "A foreign key check failed: a row refers to a key that does not exist in the "
            "table its foreign key points at (SQLite does not say which table or key)."
        )
    verb = match.group("verb").split()[0].upper()
    table = _unquote_ident(re.split(r"\s*\.\s*", match.group("table"))[-1])
    details: list[str] = []
    if conn is not None:
        try:
            details = _foreign_key_details(conn, verb, table, statement or "", params)
        except Exception:  # the explanation must never hide the real error
            details = []
    if verb == "DELETE":
        text = (
            f"Deleting from table '{table}' would leave rows in another table whose foreign "
            f"key points at the deleted key."
        )
    elif verb == "UPDATE":
        text = (
            f"Updating table '{table}' broke a foreign key: either a new foreign key value "
            f"in '{table}' has no matching row in the table it points at, or a changed key "
            f"of '{table}' is still referred to by rows in another table."
        )
    else:
        text = (
            f"Inserting into table '{table}' failed because a foreign key value has no "
            f"matching row in the table it points at."
        )
    if details:
        text += " " + " ".join(details)
    return text


def _foreign_keys_of(conn: Any, table: str) -> list[tuple[str, list[str], list[str]]]:
    """``[(referenced table, local columns, referenced columns), ...]`` for ``table``."""
    groups: dict[int, tuple[str, list[str], list[str]]] = {}
    for row in conn.execute(f"PRAGMA foreign_key_list({_quote(table)})").fetchall():
        fk_id, _seq, target, local, remote = row[0], row[1], row[2], row[3], row[4]
        entry = groups.setdefault(fk_id, (target, [], []))
        entry[1].append(local)
        entry[2].append(remote)
    return list(groups.values())


def _foreign_key_details(
    conn: Any, verb: str, table: str, statement: str, params: Any
) -> list[str]:
    details: list[str] = []
    if verb == "DELETE" or verb == "UPDATE":
        referrers = []
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
        ).fetchall():
            for target, local, remote in _foreign_keys_of(conn, name):
                if target.lower() == table.lower():
                    referrers.append(
                        f"{name}({', '.join(local)}) -> {table}({', '.join(remote)})"
                    )
        if referrers:
            details.append("Foreign keys pointing at it: " + "; ".join(referrers) + ".")
    if verb == "DELETE":
        return details

    fks = _foreign_keys_of(conn, table)
    if not fks:
        return details
    values: dict[str, Any] = {}
    cols_match = _INSERT_COLS_RE.match(statement) if verb != "UPDATE" else None
    if cols_match and isinstance(params, (tuple, list)) and params and not isinstance(
        params[0], (tuple, list, dict)
    ):
        names = [_unquote_ident(c) for c in cols_match.group("cols").split(",")]
        if len(names) == len(params):
            values = dict(zip(names, params))
    missing: list[str] = []
    for target, local, remote in fks:
        if values and all(col in values for col in local):
            key = [values[col] for col in local]
            if any(v is None for v in key):
                continue
            if not remote or remote[0] is None:
                continue  # refers to the target's primary key implicitly; skip the probe
            where = " AND ".join(f"{_quote(c)} = ?" for c in remote)
            found = conn.execute(
                f"SELECT 1 FROM {_quote(target)} WHERE {where} LIMIT 1", key
            ).fetchone()
            if found is None:
                shown = ", ".join(f"{c}={v!r}" for c, v in zip(local, key))
                missing.append(
                    f"Key ({shown}) of '{table}' is not present in table '{target}' "
                    f"({', '.join(remote)})."
                )
    if missing:
        details.extend(missing)
    else:
        listed = "; ".join(
            f"{table}({', '.join(local)}) -> {target}({', '.join(str(r) for r in remote)})"
            for target, local, remote in fks
        )
        details.append(f"Foreign keys of '{table}': {listed}.")
    return details


dialect = SQLiteDialect
