"""Engine, Connection and transactions: running statements on a pooled DB-API connection.

A :class:`Connection` follows SQLAlchemy 2.x "autobegin" rules: the first statement begins
a transaction, ``commit()``/``rollback()`` end it, and closing the connection rolls back
whatever was not committed. ``begin()`` starts a transaction explicitly (and is a context
manager that commits or rolls back); ``begin_nested()`` makes a SAVEPOINT.

Statements are compiled once per shape through ``tether.sql.compiler.compile_statement``;
for each compiled shape the engine also keeps, on the compiled object, how to turn its
driver rows into :class:`~tether.engine.result.Row` objects. An executemany of a single-row
``INSERT ... RETURNING`` is sent as pages of one multi-row VALUES statement (the compiled
VALUES group repeated) where the dialect returns rows in VALUES order. Driver errors become
``tether.exc`` exceptions carrying the SQL, its parameters and the driver's error as
``.orig``.

With ``echo=True`` every statement and its parameters go to the ``tether.engine`` logger at
INFO; ``echo="debug"`` adds result rows at DEBUG.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from itertools import chain
from typing import Any

from tether import exc
from tether.engine.result import Result, ResultMetaData, ScalarResult, row_class
from tether.sql.compiler import compile_statement
from tether.util.log import DEBUG, INFO, Logger

__all__ = ["Connection", "Engine", "NestedTransaction", "RootTransaction", "Transaction"]

log = Logger("tether.engine")
_INFO = INFO
_DEBUG = DEBUG

#: Most rows per statement when many INSERT rows are sent as one multi-row VALUES (fewer,
#: reusable statement texts for the driver's statement cache).
_MANY_VALUES_ROWS = 500

# Metadata for exec_driver_sql results, by their column names.
_DRIVER_META: dict[tuple[str, ...], ResultMetaData] = {}

def _compiled_meta(compiled: Any) -> ResultMetaData:
    """The result shape of a compiled statement, made on first use and kept in the
    compiled object's ``_row_template`` slot (so once per statement shape)."""
    meta = getattr(compiled, "_row_template", None)
    if meta is not None:
        return meta  # type: ignore[no-any-return]
    meta = ResultMetaData(compiled.result_keys or (), compiled.result_processors)
    compiled._row_template = meta
    return meta


def _driver_meta(description: Sequence[Any]) -> ResultMetaData:
    keys = tuple(d[0] for d in description)
    meta = _DRIVER_META.get(keys)
    if meta is None:
        meta = _DRIVER_META.setdefault(keys, ResultMetaData(keys))
    return meta


def _driver_to_python(compiled: Any, key: str, value: Any, dialect: Any) -> Any:
    table = getattr(compiled, "table", None)
    try:
        column = table.c[key]  # type: ignore[union-attr]
        proc = column.type.result_processor(dialect)
    except Exception:
        return value
    return value if proc is None else proc(value)


_READ_ONLY_STARTS = ("SELECT", "PRAGMA", "EXPLAIN", "VALUES", "SHOW")
_MAY_WRITE: dict[str, bool] = {}


def _may_write(sql: str) -> bool:
    """False for SQL text that certainly only reads (by its first word), True otherwise.
    Cached by text: text() statements and driver SQL repeat."""
    answer = _MAY_WRITE.get(sql)
    if answer is None:
        head = sql.lstrip(" \t\r\n(").split(None, 1)
        answer = not head or head[0].upper() not in _READ_ONLY_STARTS
        if len(_MAY_WRITE) > 2000:
            _MAY_WRITE.clear()
        _MAY_WRITE[sql] = answer
    return answer


def _release_forgotten(pool: Any, dbapi_connection: Any) -> None:
    """Give back the DB-API connection of a Connection that was garbage-collected without
    ``close()`` (rolled back, like any return), so forgotten connections do not drain
    the pool."""
    try:
        pool.release(dbapi_connection)
    except Exception:  # at interpreter exit the pool or driver may be half torn down
        pass


def _show_params(params: Any, many: bool) -> str:
    if not many or len(params := list(params)) <= 10:
        return repr(params)
    shown = ", ".join(repr(p) for p in params[:9])
    return (f"[{shown}  ... displaying 10 of {len(params)} total bound parameter sets ...  "
            f"{params[-1]!r}]")


class Connection:
    """One checked-out database connection and its current transaction.

    Not thread-safe: use one Connection per thread (the engine's pool is thread-safe).
    """

    # Scalar state starts as these class attributes; an instance stores its own value once
    # it changes (a session makes one Connection per transaction).
    _closed = False
    _invalidated = False
    _transaction: RootTransaction | None = None
    _savepoint_seq = 0
    #: The isolation level to restore before the pool gets the connection back.
    _reset_isolation: str | None = None
    #: True while the DB-API connection is known to hold no transaction: right after this
    #: connection's ROLLBACK or COMMIT succeeded, until anything may use it again. The pool
    #: then gets it back without a second rollback.
    _clean = False
    _dbapi: Any = None  # __del__ runs even when the checkout fails

    def __init__(self, engine: Engine, _leased: tuple[Any, Any] | None = None) -> None:
        self.engine = engine
        self.dialect = engine.dialect
        if _leased is not None:
            # (pool, DB-API connection) already checked out, in a begun transaction
            # (tether.engine.lease); this Connection takes them over.
            self._pool, self._dbapi = _leased
            self._transaction = RootTransaction(self)
        else:
            # The pool this connection came from gets it back, even if the engine has
            # been disposed (and has a new pool) meanwhile.
            self._pool = engine.pool
            try:
                self._dbapi = self._pool.connect()
            except Exception as error:
                wrapped = engine._checkout_error(error)
                if wrapped is error:
                    raise
                raise wrapped from error
        self._nested: list[NestedTransaction] = []
        self._execution_options: dict[str, Any] = {}
        self.info: dict[str, Any] = {}

    # --- state -----------------------------------------------------------------------
    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def invalidated(self) -> bool:
        return self._invalidated

    @property
    def connection(self) -> Any:
        """The underlying DB-API connection."""
        self._check_open()
        self._clean = False  # the caller may do anything with it
        self.dialect.do_untracked(self._dbapi)
        return self._dbapi

    def in_transaction(self) -> bool:
        return self._transaction is not None

    def in_nested_transaction(self) -> bool:
        return bool(self._nested)

    def get_transaction(self) -> RootTransaction | None:
        return self._transaction

    def get_nested_transaction(self) -> NestedTransaction | None:
        return self._nested[-1] if self._nested else None

    def execution_options(self, **options: Any) -> Connection:
        """Set options on this connection. ``isolation_level`` (``"AUTOCOMMIT"``,
        ``"SERIALIZABLE"``, ...) applies until the connection is closed and must be set
        outside a transaction; other options are recorded."""
        level = options.get("isolation_level")
        if level is not None:
            self._check_open()
            if self._transaction is not None:
                raise exc.InvalidRequestError(
                    "isolation_level cannot change inside a transaction; call commit() or "
                    "rollback() first, or set it right after connect()."
                )
            self._clean = False
            if self._reset_isolation is None:
                self._reset_isolation = self.dialect.default_isolation_level(self._dbapi)
            self.dialect.set_isolation_level(self._dbapi, level)
        self._execution_options.update(options)
        return self

    def get_execution_options(self) -> dict[str, Any]:
        return dict(self._execution_options)

    def _check_open(self) -> None:
        if self._closed:
            raise exc.ResourceClosedError("This Connection is closed.")
        if self._invalidated:
            raise exc.PendingRollbackError(
                "This Connection lost its database connection and was invalidated; "
                "roll back (or close it and open a new one) before using it again."
            )

    # --- transactions ----------------------------------------------------------------
    def _logs(self, level: int) -> bool:
        """Whether to log at ``level``: the engine's ``echo`` decides when set (as in
        SQLAlchemy, echo is per engine), otherwise the logger's configuration."""
        echo = self.engine._echo_level
        if echo:
            return level >= echo
        return log.isEnabledFor(level)

    def _log_info(self, message: str, *args: Any) -> None:
        # _logs(_INFO) inlined: BEGIN and ROLLBACK of every session pass here.
        echo = self.engine._echo_level
        if (_INFO >= echo) if echo else log.isEnabledFor(_INFO):
            log._log(_INFO, message, args)

    def _log_statement(self, string: str, args: Any) -> None:
        """Log a statement and its parameters at INFO; its callers test ``_logs(_INFO)``
        inline first (each statement asks; a call saved when INFO is off)."""
        log._log(_INFO, string, ())
        log._log(_INFO, "[compiled] %s", (self._shown(args, False),))

    def _autobegin(self) -> RootTransaction:
        self._clean = False
        self._log_info("BEGIN (implicit)")
        self._do(self.dialect.do_begin, "BEGIN")
        self._transaction = RootTransaction(self)
        return self._transaction

    def begin(self) -> RootTransaction:
        """Begin a transaction; raises InvalidRequestError if one is already in progress."""
        if self._closed or self._invalidated:
            self._check_open()
        if self._transaction is not None:
            raise exc.InvalidRequestError(
                "This connection already has a transaction in progress (begun by begin(), "
                "or automatically by the first execute()); call commit() or rollback() "
                "before begin(), or use begin_nested() for a SAVEPOINT inside it."
            )
        # _log_info and _do inlined: every session begins here.
        self._clean = False
        echo = self.engine._echo_level
        if (_INFO >= echo) if echo else log.isEnabledFor(_INFO):
            log._log(_INFO, "BEGIN", ())
        try:
            self.dialect.do_begin(self._dbapi)
        except Exception as error:
            raise self._wrap(error, "BEGIN", None) from error
        transaction = self._transaction = RootTransaction(self)
        return transaction

    def begin_nested(self) -> NestedTransaction:
        """Make a SAVEPOINT (beginning the outer transaction first if needed)."""
        self._check_open()
        if self._transaction is None:
            self._autobegin()
        self._savepoint_seq += 1
        name = f"tether_sp_{self._savepoint_seq}"
        self._log_info("SAVEPOINT %s", name)
        # A SAVEPOINT outside a real transaction would start one that its RELEASE commits.
        self._do(self.dialect.do_begin_write, "BEGIN")
        self._do(lambda c: self.dialect.do_savepoint(c, name), f"SAVEPOINT {name}")
        nested = NestedTransaction(self, name)
        self._nested.append(nested)
        return nested

    def commit(self) -> None:
        """Commit the current transaction, if there is one."""
        if self._transaction is not None:
            self._transaction.commit()

    def rollback(self) -> None:
        """Roll back the current transaction, if there is one."""
        if self._transaction is not None:
            self._transaction.rollback()
        elif self._invalidated:
            self._invalidated = False
            self._reset_isolation = None
            self._pool = self.engine.pool
            self._dbapi = self.engine._checkout(self._pool)

    def _do(self, func: Any, statement: str) -> None:
        try:
            func(self._dbapi)
        except Exception as error:
            raise self._wrap(error, statement, None) from error

    def _end_root(self, commit: bool) -> None:
        for nested in self._nested:
            nested._active = False
        self._nested.clear()
        self._transaction = None
        if commit:
            self._log_info("COMMIT")
            try:
                self._do(self.dialect.do_commit, "COMMIT")
                self._clean = True
            except Exception:
                # A failed COMMIT (SQLite: a deferred foreign key) can leave the driver's
                # transaction open; end it so the next statement can begin a new one.
                if not self._invalidated:
                    try:
                        self.dialect.do_rollback(self._dbapi)
                    except Exception:
                        pass
                raise
        else:
            # _log_info and _do inlined: every session ends here.
            echo = self.engine._echo_level
            if (_INFO >= echo) if echo else log.isEnabledFor(_INFO):
                log._log(_INFO, "ROLLBACK", ())
            if not self._invalidated:
                try:
                    self.dialect.do_rollback(self._dbapi)
                except Exception as error:
                    raise self._wrap(error, "ROLLBACK", None) from error
                self._clean = True

    def _end_nested(self, nested: NestedTransaction, commit: bool) -> None:
        if nested not in self._nested:
            raise exc.InvalidRequestError(
                f"SAVEPOINT {nested.name} is no longer active (an enclosing transaction or "
                "savepoint already ended)."
            )
        # Ending a savepoint ends every savepoint made after it.
        while self._nested:
            top = self._nested.pop()
            top._active = False
            if top is nested:
                break
        name = nested.name
        if commit:
            self._log_info("RELEASE SAVEPOINT %s", name)
            self._do(lambda c: self.dialect.do_release_savepoint(c, name), f"RELEASE SAVEPOINT {name}")
        else:
            self._log_info("ROLLBACK TO SAVEPOINT %s", name)
            self._do(
                lambda c: self.dialect.do_rollback_to_savepoint(c, name),
                f"ROLLBACK TO SAVEPOINT {name}",
            )

    # --- executing -------------------------------------------------------------------
    def execute(
        self,
        statement: Any,
        parameters: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
        *,
        execution_options: Mapping[str, Any] | None = None,
    ) -> Result:
        """Run a statement (``select()``, ``insert()``, ``text()``, DDL ...).

        ``parameters`` is a dict for one execution or a list of dicts for executemany.
        Raises ArgumentError for a plain string, and the ``tether.exc`` DBAPIError
        subclass matching a driver error.
        """
        if isinstance(statement, str):
            shown = statement if len(statement) < 60 else statement[:57] + "..."
            raise exc.ArgumentError(
                f"A plain SQL string cannot be executed directly; wrap it in text(): "
                f"conn.execute(text({shown!r})). For driver-level SQL use "
                f"conn.exec_driver_sql()."
            )
        if self._closed or self._invalidated:
            self._check_open()
        if parameters is None or type(parameters) is dict or isinstance(parameters, Mapping):
            compiled, bound = compile_statement(statement, self.dialect, parameters)
            return self._execute_one(compiled, bound, parameters)
        if isinstance(parameters, (list, tuple)):
            first = parameters[0] if parameters else None
            # The first parameter set decides an INSERT/UPDATE's column list.
            compiled, bound = compile_statement(statement, self.dialect, first,
                                                executemany=len(parameters) > 1)
            if len(parameters) <= 1:
                return self._execute_one(compiled, bound, first)
            return self._execute_many(compiled, bound, parameters)
        raise exc.ArgumentError(
            "execute() parameters must be a dict (one execution) or a list of dicts "
            f"(executemany), not {type(parameters).__name__}."
        )

    def _rows(self, statement: Any, parameters: Mapping[str, Any] | None = None) -> list[Any]:
        """``execute(statement, parameters)._raw_all()`` for tether's own loaders (the
        ORM): a SELECT's rows as plain tuples, result processors applied, made without a
        Result (one lookup by primary key pays for little more than the driver's call).
        Other statements take the general path."""
        if self._closed or self._invalidated:
            self._check_open()
        if (parameters is not None and type(parameters) is not dict
                and not isinstance(parameters, Mapping)):
            return self.execute(statement, parameters)._raw_all()
        compiled, bound = compile_statement(statement, self.dialect, parameters)
        if not compiled.is_select or compiled.result_keys is None or compiled.is_text:
            return self._execute_one(compiled, bound, parameters)._raw_all()
        return self._compiled_rows(compiled, compiled.construct_params(bound, parameters))

    def _compiled_rows(self, compiled: Any, args: Any) -> list[Any]:
        """``_rows`` of a SELECT already compiled for this dialect, with its DB-API
        parameters (``Session.get``'s plan keeps both)."""
        if self._closed or self._invalidated:
            self._check_open()
        if self._transaction is None:
            self._autobegin()
        string = compiled.string
        echo = self.engine._echo_level
        if logs := (_INFO >= echo) if echo else log.isEnabledFor(_INFO):  # _logs(_INFO)
            self._log_statement(string, args)
        try:
            # (no close(): the cursor, read to its end, is freed on return; psycopg's close
            # is three Python calls resetting fields of an object about to go)
            rows = self._dbapi.execute(string, args).fetchall()
        except Exception as error:
            raise self._wrap(error, string, args) from error
        meta = compiled._row_template or _compiled_meta(compiled)
        if logs and self._logs(_DEBUG):
            self._log_rows(meta, rows)
        return list(map(meta.make_row, rows)) if meta.processes else rows

    def scalar(self, statement: Any, parameters: Mapping[str, Any] | None = None) -> Any:
        """The first column of the first row, or None."""
        return self.execute(statement, parameters).scalar()

    def scalars(self, statement: Any, parameters: Mapping[str, Any] | None = None) -> ScalarResult:
        """A ScalarResult over the first column."""
        return self.execute(statement, parameters).scalars()

    def _execute_one(self, compiled: Any, bound: Any, params: Mapping[str, Any] | None) -> Result:
        if self._transaction is None:
            self._autobegin()
        args = compiled.construct_params(bound, params)
        string = compiled.string
        key_row = None
        echo = self.engine._echo_level
        if logs := (_INFO >= echo) if echo else log.isEnabledFor(_INFO):  # _logs(_INFO)
            self._log_statement(string, args)
        try:
            if not compiled.is_select and (not compiled.is_text or _may_write(string)):
                self.dialect.do_begin_write(self._dbapi)
            if compiled.is_text or compiled.is_ddl:
                self.dialect.do_untracked(self._dbapi)
            # Both drivers offer connection.execute(), which makes and runs a cursor in one
            # call (in C for sqlite3): the hottest line of every query.
            cursor = self._dbapi.execute(string, args)
            if compiled.returns_rows:
                # text() knows no columns: the driver's description names them.
                if compiled.result_keys is None:
                    meta = _driver_meta(cursor.description) if cursor.description else None
                else:
                    meta = _compiled_meta(compiled)
                rows = cursor.fetchall() if meta is not None else None
            elif compiled.implicit_returning:
                # The compiler asked for the generated key; the caller sees no rows.
                key_row = cursor.fetchone()
                meta = None
                rows = None
            else:
                meta = None
                rows = None
            rowcount = cursor.rowcount
            lastrowid = getattr(cursor, "lastrowid", None) if compiled.is_insert else None
            cursor.close()
        except Exception as error:
            raise self._wrap(error, string, args) from error
        # DEBUG shows only where INFO does (levels are ordered), so one check per statement
        # suffices when nothing is logged.
        if logs and rows is not None and self._logs(_DEBUG):
            self._log_rows(meta, rows)  # type: ignore[arg-type]
        if not compiled.is_insert:
            return Result(meta, rows, rowcount, lastrowid)
        if compiled.implicit_returning and key_row is not None:
            procs = compiled.result_processors or (None,) * len(key_row)
            values = [v if (p is None or v is None) else p(v) for p, v in zip(procs, key_row)]
            pk_row = tuple.__new__(row_class(compiled.result_keys), values)
            return Result(None, None, rowcount, lastrowid, inserted_primary_key=pk_row,
                          is_insert=True)
        pk = self._inserted_pk(compiled, meta, rows, params, args, lastrowid)
        return Result(meta, rows, rowcount, lastrowid, inserted_primary_key=pk, is_insert=True)

    def _execute_many(self, compiled: Any, bound: Any, param_sets: Sequence[Mapping[str, Any]],
                      arg_sets: list[Any] | None = None) -> Result:
        if self._transaction is None:
            self._autobegin()
        if arg_sets is None:  # (tether.engine.rows passes them made)
            arg_sets = compiled.construct_many(bound, param_sets)
        string = compiled.string
        if self._logs(_INFO):
            log._log(_INFO, string, ())
            log._log(_INFO, "[compiled] %s", (self._shown(arg_sets, True),))
        cursor = self._dbapi.cursor()
        args: Any = arg_sets
        try:
            self.dialect.do_begin_write(self._dbapi)
            if compiled.is_text:
                self.dialect.do_untracked(self._dbapi)
            if compiled.returns_rows and compiled.result_keys is not None:
                meta = _compiled_meta(compiled)
                rows: list[Any] | None = []
                rowcount = 0
                execute = cursor.execute
                fetchall = cursor.fetchall
                if compiled.many_values is not None and self.dialect.supports_multirow_insert:
                    # INSERT ... RETURNING of many rows: pages of rows, each one statement
                    # that repeats the compiled VALUES group, its rows back in VALUES order.
                    prefix, group = compiled.many_values
                    tail = string[len(prefix) + len(group):]
                    per = max(1, min(_MANY_VALUES_ROWS,
                                     self.dialect.max_bind_params // max(1, len(arg_sets[0]))))
                    for start in range(0, len(arg_sets), per):
                        page = arg_sets[start:start + per]
                        string = prefix + ", ".join([group] * len(page)) + tail
                        args = tuple(chain.from_iterable(page))
                        execute(string, args)
                        rows.extend(fetchall())  # type: ignore[union-attr]
                        rowcount += max(cursor.rowcount, 0)
                else:
                    # RETURNING with many parameter sets: run each, gather the rows in order.
                    for args in arg_sets:
                        execute(string, args)
                        rows.extend(fetchall())  # type: ignore[union-attr]
                        rowcount += max(cursor.rowcount, 0)
                args = arg_sets
            else:
                meta = None
                rows = None
                self.dialect.do_executemany(cursor, string, arg_sets)
                rowcount = cursor.rowcount
        except Exception as error:
            raise self._wrap(error, string, args) from error
        finally:
            cursor.close()
        if compiled.is_insert:
            pk_rows = None
            if rows is not None and meta is not None:
                pk_rows = self._inserted_pk_rows(compiled, meta, rows, param_sets)
            return Result(
                meta, rows, rowcount, is_insert=True, inserted_primary_key_rows=pk_rows
            )
        return Result(meta, rows, rowcount)

    def _inserted_pk_rows(
        self, compiled: Any, meta: ResultMetaData, rows: list[Any],
        param_sets: Sequence[Mapping[str, Any]],
    ) -> list[tuple[Any, ...]] | Callable[[], list[tuple[Any, ...]]]:
        """``inserted_primary_key_rows`` of an executemany with RETURNING: read from the
        returned rows when they carry every key (``_inserted_pk`` per row for the rest,
        which has the fallbacks); then a function that makes them on first use."""
        names = tuple(compiled.inserted_pk_columns or ())
        key_index = meta.row_cls._key_index
        indexes = [key_index.get(n, -1) for n in names]
        if not names or any(i is None or i < 0 for i in indexes):
            return [self._inserted_pk(compiled, meta, [row], p, None, None) or ()
                    for row, p in zip(rows, param_sets)]
        getters = [meta.value_getter(i) for i in indexes]  # type: ignore[arg-type]
        if len(getters) == 1:
            get = getters[0]
            values = list(map(get, rows))  # (C-level: one scan when no key is missing)
            missing = [i for i, v in enumerate(values) if v is None] if None in values else []
        else:
            missing = [i for i, row in enumerate(rows)
                       if any(get(row) is None for get in getters)]
        # rows without a returned key take the fallbacks now, while the parameters are
        # as executed; the Rows themselves are made only if someone asks for them
        fallback = {i: self._inserted_pk(compiled, meta, [rows[i]], param_sets[i], None,
                                         None) or () for i in missing}

        def build() -> list[tuple[Any, ...]]:
            cls = row_class(names)
            new = tuple.__new__
            out: list[tuple[Any, ...]]
            if len(getters) == 1:
                out = [new(cls, (get(row),)) for row in rows]
            else:
                out = [new(cls, [get(row) for get in getters]) for row in rows]
            for i, pk in fallback.items():
                out[i] = pk
            return out

        return build

    def _inserted_pk(
        self,
        compiled: Any,
        meta: ResultMetaData | None,
        rows: list[Any] | None,
        params: Mapping[str, Any] | None,
        args: Any,
        lastrowid: Any,
    ) -> tuple[Any, ...] | None:
        names = tuple(getattr(compiled, "inserted_pk_columns", None) or ())
        if not names:
            return None
        values: list[Any] = []
        # Where the compiler put each key's value in the parameter tuple (None for a
        # multi-row or INSERT ... SELECT, whose keys come from RETURNING).
        positions = compiled.inserted_pk_positions
        used_lastrowid = False
        for i, name in enumerate(names):
            value = None
            if meta is not None and rows and name in meta.row_cls._key_index:
                index = meta.row_cls._key_index[name]
                if index >= 0:
                    value = meta.value_getter(index)(rows[0])
            if value is None and params is not None and name in params:
                value = params[name]
            if value is None and positions is not None and args is not None:
                pos = positions[i]
                if pos is not None and args[pos] is not None:
                    # A Python-side default filled it; the tuple holds the driver form,
                    # so read it back the way a result row would be.
                    value = _driver_to_python(compiled, name, args[pos], self.dialect)
            if (
                value is None
                and not used_lastrowid
                and lastrowid not in (None, 0)
                and getattr(self.dialect, "lastrowid_is_primary_key", False)
            ):
                value = lastrowid
                used_lastrowid = True
            if value is None and meta is None and getattr(compiled, "table", None) is not None:
                try:
                    value = self.dialect.fetch_inserted_key(self._dbapi, compiled.table, name)
                except Exception as error:
                    raise self._wrap(error, "(fetching the inserted primary key)", None) from error
            values.append(value)
        return tuple.__new__(row_class(names), values)  # type: ignore[no-any-return]

    def exec_driver_sql(self, statement: str, parameters: Any = None) -> Result:
        """Run SQL text as the driver takes it (``?`` placeholders on SQLite, ``%s`` on
        PostgreSQL). ``parameters``: a tuple/dict for one execution, or a list of them for
        executemany."""
        self._check_open()
        if self._transaction is None:
            self._autobegin()
        many = (
            isinstance(parameters, list)
            and bool(parameters)
            and isinstance(parameters[0], (tuple, list, Mapping))
        )
        if self._logs(_INFO):
            log._log(_INFO, statement, ())
            shown = self._shown(parameters if parameters is not None else (), many)
            log._log(_INFO, "[raw sql] %s", (shown,))
        cursor = self._dbapi.cursor()
        try:
            self.dialect.do_untracked(self._dbapi)
            if many or _may_write(statement):
                self.dialect.do_begin_write(self._dbapi)
            if many:
                self.dialect.do_executemany(cursor, statement, parameters)
            elif parameters is None:
                cursor.execute(statement)
            else:
                cursor.execute(statement, parameters)
            description = cursor.description
            if description is not None:
                meta: ResultMetaData | None = _driver_meta(description)
                rows = cursor.fetchall()
            else:
                meta = None
                rows = None
            rowcount = cursor.rowcount
            lastrowid = getattr(cursor, "lastrowid", None)
        except Exception as error:
            raise self._wrap(error, statement, parameters) from error
        finally:
            cursor.close()
        if rows is not None and self._logs(_DEBUG):
            self._log_rows(meta, rows)  # type: ignore[arg-type]
        return Result(meta, rows, rowcount, lastrowid)

    def _log_rows(self, meta: ResultMetaData, rows: list[Any]) -> None:
        log._log(_DEBUG, "Col %r", (meta.keys,))
        for row in rows:
            log._log(_DEBUG, "Row %r", (tuple(row),))

    def _shown(self, params: Any, many: bool) -> str:
        if self.engine.hide_parameters:
            return "[SQL parameters hidden: hide_parameters=True]"
        return _show_params(params, many)

    def _wrap(self, error: Exception, statement: str | None, params: Any) -> Exception:
        """Turn a driver error into its tether.exc class; invalidate a dead connection."""
        dialect = self.dialect
        if isinstance(error, exc.TetherError) or not dialect.is_dbapi_error(error):
            return error
        if self.engine.hide_parameters:
            params = None
        if dialect.is_disconnect(error, self._dbapi):
            self._invalidate()
            wrapped = dialect.wrap_dbapi_error(error, statement, params)
        else:
            wrapped = dialect.wrap_dbapi_error(error, statement, params, self._dbapi)
        return wrapped  # type: ignore[no-any-return]

    def _invalidate(self) -> None:
        if self._invalidated:
            return
        self._invalidated = True
        self._clean = False  # a later rollback() checks out another connection
        for nested in self._nested:
            nested._active = False
        self._nested.clear()
        if self._transaction is not None:
            self._transaction._active = False
            self._transaction = None
        self._pool.invalidate(self._dbapi)

    def invalidate(self) -> None:
        """Discard the DB-API connection (it is closed, not returned to the pool)."""
        if not self._closed:
            self._invalidate()

    # --- DDL ---------------------------------------------------------------------------
    @contextmanager
    def _ddl_connection(self) -> Iterator[Connection]:
        """This connection, inside a transaction (begun if needed; the caller commits)."""
        self._check_open()
        if self._transaction is None:
            self._autobegin()
        yield self

    # --- closing -----------------------------------------------------------------------
    def close(self) -> None:
        """Roll back what was not committed and return the connection to the pool."""
        if self._closed:
            return
        if self._transaction is not None:
            self._log_info("ROLLBACK")
            self._transaction._active = False
            self._transaction = None
            for nested in self._nested:
                nested._active = False
            self._nested.clear()
        self._closed = True
        if not self._invalidated:
            if self._reset_isolation is not None:
                try:
                    self.dialect.do_rollback(self._dbapi)
                    self.dialect.set_isolation_level(self._dbapi, self._reset_isolation)
                except Exception:
                    # A connection whose settings cannot be restored must not be reused.
                    self._pool.invalidate(self._dbapi)
                    self._dbapi = None
                    return
            # A connection whose own ROLLBACK/COMMIT just succeeded holds nothing to reset.
            self._pool.release(self._dbapi, not self._clean)
        self._dbapi = None

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def __del__(self) -> None:
        # A Connection garbage-collected without close() gives its DB-API connection back
        # (rolled back, like any return), so forgotten connections do not drain the pool.
        # A __del__ rather than weakref.finalize: registering and detaching a finalizer
        # cost more than the rest of connect() and close() for a one-query session.
        if not self._closed and not self._invalidated and self._dbapi is not None:
            _release_forgotten(self._pool, self._dbapi)

    def __repr__(self) -> str:
        state = "closed" if self._closed else ("in transaction" if self._transaction else "idle")
        return f"<Connection {self.engine.url} {state}>"


class _PooledDBAPIConnection:
    """A checked-out DB-API connection whose ``close()`` returns it to its pool."""

    def __init__(self, pool: Any, dbapi_connection: Any, dialect: Any) -> None:
        dialect.do_untracked(dbapi_connection)
        self._pool = pool
        self.dbapi_connection = self.driver_connection = dbapi_connection

    def close(self) -> None:
        if self.dbapi_connection is not None:
            conn, self.dbapi_connection = self.dbapi_connection, None
            self.driver_connection = None
            self._pool.release(conn)

    def __getattr__(self, name: str) -> Any:
        if self.dbapi_connection is None:
            raise exc.ResourceClosedError("This raw connection was closed (returned to the pool).")
        return getattr(self.dbapi_connection, name)

    def __enter__(self) -> _PooledDBAPIConnection:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()


class Transaction:
    """A transaction or savepoint of a Connection; a context manager that commits on
    success and rolls back on an exception."""

    connection: Connection
    _active: bool

    @property
    def is_active(self) -> bool:
        return self._active

    def commit(self) -> None:
        raise NotImplementedError  # pragma: no cover

    def rollback(self) -> None:
        raise NotImplementedError  # pragma: no cover

    def close(self) -> None:
        """Roll back if still active."""
        if self._active:
            self.rollback()

    def __enter__(self) -> Transaction:
        return self

    def __exit__(self, exc_type: Any, exc_value: Any, tb: Any) -> None:
        if not self._active:
            return
        if exc_type is None:
            self.commit()
        else:
            self.rollback()


class RootTransaction(Transaction):
    """The outer transaction of a Connection."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._active = True

    def commit(self) -> None:
        """Commit; raises InvalidRequestError when the transaction already ended."""
        if not self._active:
            raise exc.InvalidRequestError("This transaction is inactive (already ended).")
        self._active = False
        self.connection._end_root(commit=True)

    def rollback(self) -> None:
        """Roll back; does nothing when the transaction already ended."""
        if not self._active:
            return
        self._active = False
        self.connection._end_root(commit=False)


class NestedTransaction(Transaction):
    """A SAVEPOINT: ``commit`` releases it, ``rollback`` rolls back to it."""

    def __init__(self, connection: Connection, name: str) -> None:
        self.connection = connection
        self.name = name
        self._active = True

    def commit(self) -> None:
        if not self._active:
            raise exc.InvalidRequestError(f"SAVEPOINT {self.name} is inactive (already ended).")
        self.connection._end_nested(self, commit=True)

    def rollback(self) -> None:
        if not self._active:
            return
        self.connection._end_nested(self, commit=False)


class Engine:
    """A database (URL + dialect) and its connection pool. Thread-safe; usually one per
    database per process."""

    def __init__(
        self,
        url: Any,
        dialect: Any,
        pool_factory: Any,
        echo: bool | str = False,
        hide_parameters: bool = False,
    ) -> None:
        self.url = url
        self.dialect = dialect
        #: Keep parameter values out of logs and error messages.
        self.hide_parameters = hide_parameters
        #: Options every new connection gets (see ``execution_options``).
        self._connection_options: dict[str, Any] = {}
        self._pool_factory = pool_factory
        self.pool = pool_factory()
        self._echo: bool | str = False
        #: 0 when echo is off, else the lowest level this engine's echo shows.
        self._echo_level = 0
        self.echo = echo

    # --- properties --------------------------------------------------------------------
    @property
    def name(self) -> str:
        return str(self.dialect.name)

    @property
    def driver(self) -> str:
        return str(self.dialect.driver)

    @property
    def echo(self) -> bool | str:
        return self._echo

    @echo.setter
    def echo(self, value: bool | str) -> None:
        from tether.engine.create import configure_echo

        configure_echo(log.name, value)
        self._echo = value
        self._echo_level = {True: _INFO, "debug": _DEBUG}.get(value, 0)  # type: ignore[call-overload]

    # --- connections -------------------------------------------------------------------
    def _checkout(self, pool: Any = None) -> Any:
        try:
            return (pool or self.pool).connect()
        except Exception as error:
            wrapped = self._checkout_error(error)
            if wrapped is error:
                raise
            raise wrapped from error

    def _checkout_error(self, error: Exception) -> Exception:
        """What a failed checkout raises: a driver error as its tether.exc class, anything
        else as it was."""
        if isinstance(error, exc.TetherError) or not self.dialect.is_dbapi_error(error):
            return error
        return self.dialect.wrap_dbapi_error(error, None, None)  # type: ignore[no-any-return]

    def connect(self) -> Connection:
        """A new Connection (check it back in with ``close()`` or a ``with`` block)."""
        conn = Connection(self)
        if self._connection_options:
            conn.execution_options(**self._connection_options)
        return conn

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """``with engine.begin() as conn:`` a Connection in a transaction that commits at
        the end of the block, or rolls back if the block raises."""
        conn = self.connect()
        try:
            transaction = conn.begin()
            try:
                yield conn
            except BaseException:
                transaction.rollback()
                raise
            if transaction.is_active:
                transaction.commit()
        finally:
            conn.close()

    @contextmanager
    def _ddl_connection(self) -> Iterator[Connection]:
        """A new Connection in a transaction, committed when the block succeeds."""
        with self.begin() as conn:
            yield conn

    def raw_connection(self) -> Any:
        """A DB-API connection from the pool, wrapped so that ``close()`` gives it back
        to the pool; the driver's own object is ``.dbapi_connection``."""
        pool = self.pool
        return _PooledDBAPIConnection(pool, self._checkout(pool), self.dialect)

    def dispose(self, close: bool = True) -> None:
        """Close the pool's idle connections and start a fresh pool. For an in-memory
        SQLite database this discards the database."""
        old = self.pool
        if close:
            # Close first: a new pool's keep-alive connection would otherwise keep an
            # in-memory database alive across the dispose.
            old.dispose()
        self.pool = self._pool_factory()

    def execution_options(self, **options: Any) -> Engine:
        """A copy of this engine, sharing its pool, whose connections start with these
        options (for example ``isolation_level="AUTOCOMMIT"``)."""
        clone = copy.copy(self)
        clone._connection_options = {**self._connection_options, **options}
        return clone

    def get_execution_options(self) -> dict[str, Any]:
        return dict(self._connection_options)

    def __repr__(self) -> str:
        return f"Engine({self.url})"
