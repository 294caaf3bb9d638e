"""PostgreSQL through psycopg 3: capability flags, type names, driver glue, and the
PostgreSQL-specific types (``JSONB``, ``UUID``, ``ARRAY``, ...) under SQLAlchemy's import path
``tether.dialects.postgresql``.

psycopg is imported when the first connection is opened, so importing this module (for the
types) works without the driver installed.

Connections run in psycopg's autocommit mode and tether sends BEGIN, COMMIT and ROLLBACK
itself through libpq (``pgconn.exec_``): psycopg's own implicit BEGIN and its ``commit()``
/ ``rollback()`` cost a trip through its generator machinery each, and its ``rollback()``
forgets every prepared statement, so one short transaction per request (a session per
lookup) would never run a prepared statement. tether keeps them across a ROLLBACK only
while the transaction ran nothing but statements tether compiled as SELECT/INSERT/UPDATE/
DELETE; after DDL, text() or driver SQL, or once the DB-API connection was handed to the
caller, it rolls back through psycopg, which forgets them (a rolled-back transaction may
have dropped or made the objects a prepared statement was planned on).
"""

from __future__ import annotations

import sys
from typing import Any, ClassVar

from tether import exc
from tether.dialects import dbapi_error_class
from tether.engine.interfaces import Dialect

# --- PostgreSQL-specific types, re-exported from tether.sql.types ------------------------
# ``from sqlalchemy.dialects.postgresql import JSONB`` becomes
# ``from tether.dialects.postgresql import JSONB``. Maintained with the types layer: when
# tether.sql.types gains a PostgreSQL type (INTERVAL, BYTEA, DOUBLE_PRECISION, ENUM, INET,
# ...), import it here and add it to __all__.
from tether.sql.types import (
    ARRAY,
    BIGINT,
    BOOLEAN,
    CHAR,
    DATE,
    FLOAT,
    INTEGER,
    JSON,
    JSONB,
    NUMERIC,
    REAL,
    SMALLINT,
    TEXT,
    TIME,
    TIMESTAMP,
    UUID,
    VARCHAR,
    Interval,
)

# --- end of the PostgreSQL type re-exports -----------------------------------------------

__all__ = [
    "ARRAY",
    "BIGINT",
    "BOOLEAN",
    "CHAR",
    "DATE",
    "FLOAT",
    "INTEGER",
    "JSON",
    "JSONB",
    "NUMERIC",
    "REAL",
    "SMALLINT",
    "TEXT",
    "TIME",
    "TIMESTAMP",
    "UUID",
    "VARCHAR",
    "Interval",
    "PGDialect",
    "dialect",
]


class _IntKeys(list):  # type: ignore[type-arg]
    """A list of plain ints bound as one key array (``col = ANY(CAST(%s AS INTEGER[]))``).
    tether's psycopg connections dump it as a text array literal made in one join, where
    psycopg's generic list dumper adapts each element in Python (``on_connect`` registers
    the dumper; psycopg elsewhere would dump it as the list it is)."""

    __slots__ = ()


_int_keys_dumper: Any = None


def _int_keys_dumper_class() -> Any:
    """The psycopg dumper of ``_IntKeys``, made once psycopg is imported: text format, oid
    0 (unknown), so the statement's CAST gives the array its type."""
    global _int_keys_dumper
    if _int_keys_dumper is None:
        from psycopg.adapt import Dumper
        from psycopg.pq import Format

        class IntKeysDumper(Dumper):
            format = Format.TEXT
            oid = 0

            def dump(self, obj: Any) -> bytes:
                return ("{" + ",".join(map(str, obj)) + "}").encode()

        _int_keys_dumper = IntKeysDumper
    return _int_keys_dumper


def _pack_int_keys(items: list[Any]) -> Any:
    # Only exact ints: a bool or an int subclass may print differently from its value.
    return _IntKeys(items) if set(map(type, items)) == {int} else items


_INT_ARRAY_TYPES = frozenset({"INTEGER", "SMALLINT", "BIGINT"})


_IDLE = 0  # psycopg.pq.TransactionStatus.IDLE
_COMMAND_OK = 1  # psycopg.pq.ExecStatus.COMMAND_OK
_CONNECTION_OK = 0  # psycopg.pq.ConnStatus.OK


def _run(dbapi_connection: Any, command: bytes) -> None:
    """Send a transaction command through libpq and raise the psycopg error psycopg's own
    call would raise when it fails: the class of the server's SQLSTATE, or
    OperationalError when the connection was lost (libpq then marks it bad, which
    ``is_disconnect`` sees)."""
    pgconn = dbapi_connection.pgconn
    result = pgconn.exec_(command)
    if result.status != _COMMAND_OK:
        from psycopg import OperationalError
        from psycopg.errors import error_from_result

        encoding = dbapi_connection.info.encoding
        if pgconn.status != _CONNECTION_OK:
            raise OperationalError(result.get_error_message(encoding))
        raise error_from_result(result, encoding=encoding)


def _restore(dbapi_connection: Any) -> None:
    """After a commit or rollback through psycopg: tether's own mode again (autocommit
    on, a lent connection taken back), with nothing untracked in the next transaction."""
    if not dbapi_connection.autocommit:
        dbapi_connection.autocommit = True
    dbapi_connection._tether_plain = True


class PGDialect(Dialect):
    """PostgreSQL via psycopg 3."""

    name: ClassVar[str] = "postgresql"
    driver: ClassVar[str] = "psycopg"
    paramstyle: ClassVar[str] = "format"
    max_identifier_length: ClassVar[int] = 63

    supports_returning: ClassVar[bool] = True
    supports_multirow_insert: ClassVar[bool] = True
    max_bind_params: ClassVar[int] = 65535
    supports_ilike: ClassVar[bool] = True
    supports_nulls_ordering: ClassVar[bool] = True
    supports_is_distinct_from: ClassVar[bool] = True
    supports_savepoints: ClassVar[bool] = True
    supports_for_update: ClassVar[bool] = True
    reflection_module: ClassVar[str | None] = "tether.dialects.postgresql_reflection"
    # Compiler capability flags (read by tether.sql.compiler).
    supports_distinct_on: ClassVar[bool] = True
    supports_delete_using: ClassVar[bool] = True
    #: An expanding IN (the selectin loaders' key lists) on a column of one of these types
    #: compiles to ``col = ANY(CAST(%s AS <type>[]))`` with the whole list as one array
    #: parameter: one parameter to bind and one SQL text whatever the list's length, where
    #: ``IN (%s, %s, ...)`` binds and plans a parameter per key. Only types whose values
    #: compare the same as an array element of the named type are listed (a native enum
    #: or a decorated type keeps the IN list).
    in_list_array_types: ClassVar[dict[str, str]] = {
        "integer": "INTEGER", "small_integer": "SMALLINT", "big_integer": "BIGINT",
        "string": "TEXT", "text": "TEXT",
    }

    supports_schemas: ClassVar[bool] = True
    supports_alter_add_constraint: ClassVar[bool] = True
    autoincrement_style: ClassVar[str] = "identity"
    computed_always_stored: ClassVar[bool] = True  # PostgreSQL has no virtual columns
    supports_if_not_exists: ClassVar[bool] = True

    supports_native_boolean: ClassVar[bool] = True
    supports_native_uuid: ClassVar[bool] = True
    supports_native_decimal: ClassVar[bool] = True
    supports_native_datetime: ClassVar[bool] = True
    supports_timezone: ClassVar[bool] = True
    supports_native_json: ClassVar[bool] = True
    supports_native_enum: ClassVar[bool] = True

    type_names: ClassVar[dict[str, str]] = {
        "integer": "INTEGER",
        "small_integer": "SMALLINT",
        "big_integer": "BIGINT",
        "float": "FLOAT",
        "double": "DOUBLE PRECISION",
        "numeric": "NUMERIC",
        "string": "VARCHAR",
        "text": "TEXT",
        "boolean": "BOOLEAN",
        "datetime": "TIMESTAMP WITHOUT TIME ZONE",
        "datetime_tz": "TIMESTAMP WITH TIME ZONE",
        "date": "DATE",
        "time": "TIME WITHOUT TIME ZONE",
        "interval": "INTERVAL",
        "large_binary": "BYTEA",
        "json": "JSON",
        "jsonb": "JSONB",
        "enum": "VARCHAR",
        "uuid": "UUID",
        "null": "NULL",
    }

    reserved_words: ClassVar[frozenset[str]] = frozenset(
        """
        all analyse analyze and any array as asc asymmetric authorization binary both case
        cast check collate collation column concurrently constraint create cross
        current_catalog current_date current_role current_schema current_time
        current_timestamp current_user default deferrable desc distinct do else end except
        false fetch for foreign freeze from full grant group having ilike in initially inner
        intersect into is isnull join lateral leading left like limit localtime
        localtimestamp natural not notnull null offset on only or order outer overlaps
        placing primary references returning right select session_user similar some
        symmetric system_user table tablesample then to trailing true union unique user
        using variadic verbose when where window with
        """.split()
    )

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._json_wrapper: Any = None

    # --- connecting ------------------------------------------------------------------
    def connect(self, url: Any, **connect_args: Any) -> Any:
        import psycopg

        args: dict[str, Any] = url.translate_connect_args()
        for key, value in url.query.items():
            # libpq takes one value per keyword; a repeated key keeps the last one.
            args[key] = value[-1] if isinstance(value, tuple) else value
        args.update(connect_args)
        args["autocommit"] = True  # transactions are begun by do_begin
        try:
            conn = psycopg.connect(**args)
        except psycopg.Error as error:
            raise self.wrap_dbapi_error(error, None, None) from error
        self.on_connect(conn)
        return conn

    def on_connect(self, dbapi_connection: Any) -> None:
        dbapi_connection.adapters.register_dumper(_IntKeys, _int_keys_dumper_class())
        # tether's transaction state, kept on the psycopg connection itself:
        # _tether_begin is the BEGIN command of the connection's isolation level (None at
        # AUTOCOMMIT); _tether_plain is True while nothing but tether's compiled
        # SELECT/INSERT/UPDATE/DELETE ran since the last full rollback or commit, so a
        # ROLLBACK may keep psycopg's prepared statements.
        dbapi_connection._tether_begin = b"BEGIN"
        dbapi_connection._tether_plain = True

    def in_list_array_packer(self, array_type: str) -> Any:
        return _pack_int_keys if array_type in _INT_ARRAY_TYPES else None

    def json_bind(self, value: Any) -> Any:
        wrapper = self._json_wrapper
        if wrapper is None:
            from psycopg.types.json import Json

            # ``Json`` is sent as type json; PostgreSQL casts it to jsonb on assignment,
            # so one wrapper serves both column types.
            wrapper = self._json_wrapper = Json
        return wrapper(value)

    isolation_levels: ClassVar[frozenset[str]] = frozenset(
        {"AUTOCOMMIT", "READ COMMITTED", "READ UNCOMMITTED", "REPEATABLE READ", "SERIALIZABLE"}
    )

    def set_isolation_level(self, dbapi_connection: Any, level: str) -> None:
        import psycopg

        level = level.upper().replace("_", " ")
        if level not in self.isolation_levels:
            raise exc.ArgumentError(
                f"PostgreSQL has no isolation level {level!r}; use one of "
                f"{', '.join(sorted(self.isolation_levels))}."
            )
        # Back to tether's own mode in case the connection was lent (see do_untracked).
        dbapi_connection.autocommit = True
        if level == "AUTOCOMMIT":
            dbapi_connection._tether_begin = None
        else:
            # psycopg's attribute too: it begins a lent connection's transactions.
            dbapi_connection.isolation_level = psycopg.IsolationLevel[level.replace(" ", "_")]
            dbapi_connection._tether_begin = b"BEGIN ISOLATION LEVEL " + level.encode()

    def default_isolation_level(self, dbapi_connection: Any) -> str:
        if dbapi_connection._tether_begin is None:
            return "AUTOCOMMIT"
        level = dbapi_connection.isolation_level
        if level is None:
            return "READ COMMITTED"  # the server default, which a plain BEGIN leaves alone
        return str(level.name).replace("_", " ")

    # --- transactions: BEGIN, COMMIT and ROLLBACK sent by tether ------------------------
    def do_begin(self, dbapi_connection: Any) -> None:
        begin = dbapi_connection._tether_begin
        # Not when a lent connection's caller already began one through psycopg.
        if begin is not None and dbapi_connection.pgconn.transaction_status == _IDLE:
            _run(dbapi_connection, begin)

    def do_commit(self, dbapi_connection: Any) -> None:
        if not dbapi_connection._tether_plain:
            dbapi_connection.commit()
            _restore(dbapi_connection)
        elif dbapi_connection.pgconn.transaction_status != _IDLE:
            _run(dbapi_connection, b"COMMIT")

    def do_rollback(self, dbapi_connection: Any) -> None:
        if not dbapi_connection._tether_plain:
            # psycopg's rollback forgets its prepared statements (see the module docstring).
            dbapi_connection.rollback()
            _restore(dbapi_connection)
        elif dbapi_connection.pgconn.transaction_status != _IDLE:
            _run(dbapi_connection, b"ROLLBACK")

    def do_untracked(self, dbapi_connection: Any) -> None:
        dbapi_connection._tether_plain = False
        if (dbapi_connection._tether_begin is not None
                and dbapi_connection.pgconn.transaction_status == _IDLE):
            # Lent outside a transaction: the caller's statements open one, as on a
            # plain psycopg connection, until the next commit or rollback.
            dbapi_connection.autocommit = False

    # SAVEPOINT names are tether's own (``tether_sp_<n>``), safe to send as they are.
    def do_savepoint(self, dbapi_connection: Any, name: str) -> None:
        _run(dbapi_connection, b"SAVEPOINT " + name.encode())

    def do_release_savepoint(self, dbapi_connection: Any, name: str) -> None:
        _run(dbapi_connection, b"RELEASE SAVEPOINT " + name.encode())

    def do_rollback_to_savepoint(self, dbapi_connection: Any, name: str) -> None:
        if dbapi_connection._tether_plain:
            _run(dbapi_connection, b"ROLLBACK TO SAVEPOINT " + name.encode())
        else:
            # Through psycopg, which forgets its prepared statements on a ROLLBACK: the
            # savepoint's work may have made or dropped what they were planned on.
            dbapi_connection.execute(f"ROLLBACK TO SAVEPOINT {name}")

    def do_ping(self, dbapi_connection: Any) -> bool:
        try:
            dbapi_connection.execute("SELECT 1").fetchall()
        except Exception:
            return False
        return True

    def is_dbapi_error(self, error: BaseException) -> bool:
        psycopg = sys.modules.get("psycopg")
        return psycopg is not None and isinstance(error, psycopg.Error)

    def is_disconnect(self, error: BaseException, dbapi_connection: Any) -> bool:
        if dbapi_connection is not None and (
            getattr(dbapi_connection, "closed", False) or getattr(dbapi_connection, "broken", False)
        ):
            return True
        text = str(error)
        return any(
            phrase in text
            for phrase in (
                "server closed the connection",
                "connection is closed",
                "terminating connection",
                "the connection is lost",
                "consuming input failed",
            )
        )

    def fetch_inserted_key(self, dbapi_connection: Any, table: Any, column_key: str) -> Any:
        # Identity and serial columns draw from a sequence; currval() is this session's
        # last value of it (a column without a sequence gives NULL). currval() fails when
        # the INSERT supplied the key itself and the sequence was never used, and a failed
        # statement would abort the caller's transaction: hence the savepoint, sent in one
        # round trip with the query (no parameters, so psycopg allows several statements).
        import psycopg

        column = table.c[column_key]
        name = '"' + table.name.replace('"', '""') + '"'
        if getattr(table, "schema", None):
            name = '"' + table.schema.replace('"', '""') + '".' + name

        def literal(text: str) -> str:
            return "'" + text.replace("'", "''") + "'"

        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(
                "SAVEPOINT tether_inserted_key; "
                f"SELECT currval(pg_get_serial_sequence({literal(name)}, {literal(column.name)})); "
                "RELEASE SAVEPOINT tether_inserted_key"
            )
            cursor.nextset()
            row = cursor.fetchone()
        except psycopg.Error:
            dbapi_connection.execute(
                "ROLLBACK TO SAVEPOINT tether_inserted_key; RELEASE SAVEPOINT tether_inserted_key"
            )
            return None
        finally:
            cursor.close()
        return row[0] if row else None

    # --- errors ----------------------------------------------------------------------
    def wrap_dbapi_error(
        self,
        error: BaseException,
        statement: str | None,
        params: Any,
        dbapi_connection: Any = None,
    ) -> BaseException:
        cls = dbapi_error_class(error)
        text = str(error).rstrip()
        message = f"({type(error).__module__}.{type(error).__name__}) {text}"
        return cls(statement, params, error, message)

    # --- introspection ---------------------------------------------------------------
    def has_table(self, connection: Any, table_name: str, schema: str | None = None) -> bool:
        sql = (
            "SELECT 1 FROM pg_catalog.pg_class c "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relname = %s AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND "
        )
        if schema is None:
            row = connection.exec_driver_sql(
                sql + "n.nspname = current_schema()", (table_name,)
            ).first()
        else:
            row = connection.exec_driver_sql(sql + "n.nspname = %s", (table_name, schema)).first()
        return row is not None

    def has_schema(self, connection: Any, schema: str) -> bool:
        row = connection.exec_driver_sql(
            "SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = %s", (schema,)
        ).first()
        return row is not None

    def has_index(
        self, connection: Any, table_name: str, index_name: str, schema: str | None = None
    ) -> bool:
        sql = (
            "SELECT 1 FROM pg_catalog.pg_index i "
            "JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid "
            "JOIN pg_catalog.pg_class tc ON tc.oid = i.indrelid "
            "JOIN pg_catalog.pg_namespace n ON n.oid = tc.relnamespace "
            "WHERE tc.relname = %s AND ic.relname = %s AND "
        )
        if schema is None:
            row = connection.exec_driver_sql(
                sql + "n.nspname = current_schema()", (table_name, index_name)
            ).first()
        else:
            row = connection.exec_driver_sql(
                sql + "n.nspname = %s", (table_name, index_name, schema)
            ).first()
        return row is not None

    def get_table_names(self, connection: Any, schema: str | None = None) -> list[str]:
        sql = (
            "SELECT c.relname FROM pg_catalog.pg_class c "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'p') AND "
        )
        if schema is None:
            rows = connection.exec_driver_sql(
                sql + "n.nspname = current_schema() ORDER BY c.relname", ()
            ).all()
        else:
            rows = connection.exec_driver_sql(sql + "n.nspname = %s ORDER BY c.relname", (schema,)).all()
        return [r[0] for r in rows]


dialect = PGDialect
