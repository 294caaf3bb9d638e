"""Engine, Connection, transactions, savepoints, results and error wrapping, on both databases.

These tests use ``exec_driver_sql`` so they depend only on the engine and the dialects;
``test_engine_statements.py`` covers ``execute()`` with statement objects.
"""

from __future__ import annotations

import logging
import pickle
from typing import Any

import pytest

from tether import exc
from tether.engine import Row


def sql(engine: Any, text: str) -> str:
    """Write placeholders as ``?``; PostgreSQL's driver wants ``%s``."""
    return text.replace("?", "%s") if engine.dialect.paramstyle == "format" else text


def make_tables(engine: Any) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE parent (id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL UNIQUE)"
        )
        conn.exec_driver_sql(
            "CREATE TABLE child (id INTEGER PRIMARY KEY, "
            "parent_id INTEGER NOT NULL REFERENCES parent(id), note VARCHAR(50))"
        )


def count(engine: Any, table: str = "parent") -> int:
    with engine.connect() as conn:
        return conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one()  # type: ignore[no-any-return]


# --- transactions ------------------------------------------------------------------------
def test_autobegin_commit_and_rollback_on_close(engine: Any) -> None:
    make_tables(engine)
    with engine.connect() as conn:
        assert not conn.in_transaction()
        conn.exec_driver_sql(sql(engine, "INSERT INTO parent (id, name) VALUES (?, ?)"), (1, "a"))
        assert conn.in_transaction()
        conn.commit()
        assert not conn.in_transaction()
        conn.exec_driver_sql(sql(engine, "INSERT INTO parent (id, name) VALUES (?, ?)"), (2, "b"))
        # closing without commit rolls back
    assert count(engine) == 1
    with engine.connect() as conn:
        conn.exec_driver_sql(sql(engine, "INSERT INTO parent (id, name) VALUES (?, ?)"), (3, "c"))
        conn.rollback()
        assert conn.exec_driver_sql("SELECT count(*) FROM parent").scalar() == 1


def test_engine_begin_commits_or_rolls_back(engine: Any) -> None:
    make_tables(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql(sql(engine, "INSERT INTO parent (id, name) VALUES (?, ?)"), (1, "a"))
    assert count(engine) == 1
    with pytest.raises(RuntimeError):
        with engine.begin() as conn:
            conn.exec_driver_sql(sql(engine, "INSERT INTO parent (id, name) VALUES (?, ?)"), (2, "b"))
            raise RuntimeError("boom")
    assert count(engine) == 1


def test_explicit_begin_context_manager_and_double_begin(engine: Any) -> None:
    make_tables(engine)
    with engine.connect() as conn:
        with conn.begin() as trans:
            conn.exec_driver_sql(sql(engine, "INSERT INTO parent (id, name) VALUES (?, ?)"), (1, "a"))
            assert trans.is_active
            with pytest.raises(exc.InvalidRequestError) as info:
                conn.begin()
            assert "commit() or rollback()" in str(info.value)
        assert not trans.is_active and not conn.in_transaction()
        with pytest.raises(ValueError):
            with conn.begin():
                conn.exec_driver_sql(sql(engine, "INSERT INTO parent (id, name) VALUES (?, ?)"), (2, "b"))
                raise ValueError
    assert count(engine) == 1


def test_savepoints(engine: Any) -> None:
    make_tables(engine)
    insert = sql(engine, "INSERT INTO parent (id, name) VALUES (?, ?)")
    with engine.connect() as conn:
        conn.exec_driver_sql(insert, (1, "kept"))
        sp = conn.begin_nested()
        assert conn.in_nested_transaction() and conn.get_nested_transaction() is sp
        conn.exec_driver_sql(insert, (2, "rolled back"))
        sp.rollback()
        assert not sp.is_active and not conn.in_nested_transaction()
        with conn.begin_nested():
            conn.exec_driver_sql(insert, (3, "released"))
        with pytest.raises(KeyError):
            with conn.begin_nested():
                conn.exec_driver_sql(insert, (4, "rolled back by exception"))
                raise KeyError
        # nested savepoints: rolling back the outer one ends the inner one too
        outer = conn.begin_nested()
        inner = conn.begin_nested()
        conn.exec_driver_sql(insert, (5, "gone"))
        outer.rollback()
        assert not inner.is_active
        with pytest.raises(exc.InvalidRequestError):
            inner.commit()
        conn.commit()
    with engine.connect() as conn:
        ids = conn.exec_driver_sql("SELECT id FROM parent ORDER BY id").scalars().all()
    assert ids == [1, 3]


def test_savepoint_recovers_from_an_error(engine: Any) -> None:
    """The usual "try a row, skip it if it breaks a constraint" pattern works on both."""
    make_tables(engine)
    insert = sql(engine, "INSERT INTO parent (id, name) VALUES (?, ?)")
    with engine.begin() as conn:
        conn.exec_driver_sql(insert, (1, "a"))
        for row in [(2, "a"), (3, "c")]:
            try:
                with conn.begin_nested():
                    conn.exec_driver_sql(insert, row)
            except exc.IntegrityError:
                pass
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT name FROM parent ORDER BY id").scalars().all() == ["a", "c"]


def test_begin_nested_autobegins(engine: Any) -> None:
    make_tables(engine)
    with engine.connect() as conn:
        sp = conn.begin_nested()
        assert conn.in_transaction()
        conn.exec_driver_sql(sql(engine, "INSERT INTO parent (id, name) VALUES (?, ?)"), (1, "a"))
        sp.commit()
        conn.commit()
    assert count(engine) == 1


def test_closed_connection_refuses_work(engine: Any) -> None:
    conn = engine.connect()
    conn.close()
    conn.close()  # harmless twice
    assert conn.closed
    with pytest.raises(exc.ResourceClosedError):
        conn.exec_driver_sql("SELECT 1")


# --- results -----------------------------------------------------------------------------
@pytest.fixture
def filled(engine: Any) -> Any:
    make_tables(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            sql(engine, "INSERT INTO parent (id, name) VALUES (?, ?)"),
            [(1, "ann"), (2, "bob"), (3, "cy")],
        )
    return engine


def test_rows_are_tuples_with_named_access(filled: Any) -> None:
    with filled.connect() as conn:
        result = conn.exec_driver_sql("SELECT id, name FROM parent ORDER BY id")
        assert result.keys() == ["id", "name"]
        rows = result.all()
    assert rows == [(1, "ann"), (2, "bob"), (3, "cy")]
    row = rows[0]
    assert isinstance(row, tuple) and isinstance(row, Row)
    assert row.id == 1 and row.name == "ann" and row[1] == "ann" and row[-1] == "ann"
    assert row._fields == ("id", "name")
    assert row._mapping["name"] == "ann" and dict(row._mapping) == {"id": 1, "name": "ann"}
    assert row._asdict() == {"id": 1, "name": "ann"}
    assert row._t == (1, "ann") and type(row._t) is tuple
    ident, name = row
    assert (ident, name) == (1, "ann")
    assert repr(row) == "(1, 'ann')"
    assert pickle.loads(pickle.dumps(row)) == row
    assert pickle.loads(pickle.dumps(row)).name == "ann"
    with pytest.raises(AttributeError) as info:
        row.nope  # noqa: B018
    assert "id, name" in str(info.value)
    with pytest.raises(exc.NoSuchColumnError):
        row._mapping["nope"]
    # Same shape -> same Row class, built once.
    assert type(rows[0]) is type(rows[1])


def test_duplicate_column_names_are_reported_as_ambiguous(filled: Any) -> None:
    with filled.connect() as conn:
        row = conn.exec_driver_sql("SELECT id, id FROM parent WHERE id = 1").one()
    assert row == (1, 1)
    with pytest.raises(exc.InvalidRequestError) as info:
        row.id  # noqa: B018
    assert "ambiguous" in str(info.value)


def test_one_first_scalar_family(filled: Any) -> None:
    with filled.connect() as conn:
        def q(where: str) -> Any:
            return conn.exec_driver_sql(f"SELECT id, name FROM parent WHERE {where} ORDER BY id")

        assert q("id = 2").one().name == "bob"
        assert q("id = 2").one_or_none().name == "bob"
        assert q("id = 9").one_or_none() is None
        assert q("id > 0").first().name == "ann"
        assert q("id = 9").first() is None
        assert q("id = 2").scalar() == 2
        assert q("id = 9").scalar() is None
        assert q("id = 3").scalar_one() == 3
        assert q("id = 9").scalar_one_or_none() is None
        with pytest.raises(exc.NoResultFound, match="No row was found"):
            q("id = 9").one()
        with pytest.raises(exc.MultipleResultsFound, match="exactly one"):
            q("id > 0").one()
        with pytest.raises(exc.MultipleResultsFound, match="one or none"):
            q("id > 0").one_or_none()
        with pytest.raises(exc.NoResultFound):
            q("id = 9").scalar_one()
        with pytest.raises(exc.MultipleResultsFound):
            q("id > 0").scalar_one_or_none()
        # first() closes the result
        result = q("id > 0")
        result.first()
        with pytest.raises(exc.ResourceClosedError):
            result.all()


def test_fetch_methods_iteration_and_partitions(filled: Any) -> None:
    with filled.connect() as conn:
        result = conn.exec_driver_sql("SELECT id FROM parent ORDER BY id")
        assert result.fetchone() == (1,)
        assert result.fetchmany(1) == [(2,)]
        assert result.fetchall() == [(3,)]
        assert result.fetchone() is None and result.all() == []
        assert [r.id for r in conn.exec_driver_sql("SELECT id FROM parent ORDER BY id")] == [1, 2, 3]
        result = conn.exec_driver_sql("SELECT id FROM parent ORDER BY id")
        assert next(result) == (1,)
        assert list(result.partitions(1)) == [[(2,)], [(3,)]]


def test_scalars_mappings_unique_columns(filled: Any) -> None:
    with filled.connect() as conn:
        q = "SELECT id, name FROM parent ORDER BY id"
        assert conn.exec_driver_sql(q).scalars().all() == [1, 2, 3]
        assert conn.exec_driver_sql(q).scalars(1).all() == ["ann", "bob", "cy"]
        assert conn.exec_driver_sql(q).scalars("name").first() == "ann"
        assert list(conn.exec_driver_sql(q).scalars()) == [1, 2, 3]
        assert conn.exec_driver_sql(q).scalars().fetchmany(2) == [1, 2]
        maps = conn.exec_driver_sql(q).mappings().all()
        assert maps[1] == {"id": 2, "name": "bob"} and maps[1]["name"] == "bob"
        assert conn.exec_driver_sql("SELECT name FROM parent WHERE id = 1").mappings().one() == {"name": "ann"}
        dup = "SELECT p.name FROM parent p, parent q ORDER BY p.id"
        assert conn.exec_driver_sql(dup).unique().all() == [("ann",), ("bob",), ("cy",)]
        assert conn.exec_driver_sql(dup).scalars().unique().all() == ["ann", "bob", "cy"]
        assert conn.exec_driver_sql(q).columns("name").all() == [("ann",), ("bob",), ("cy",)]
        assert conn.exec_driver_sql(q).columns(1, 0).first() == ("ann", 1)
        assert conn.exec_driver_sql(q).columns("name", "id").first().name == "ann"


def test_results_without_rows(filled: Any) -> None:
    with filled.connect() as conn:
        result = conn.exec_driver_sql("UPDATE parent SET name = name || '!' WHERE id > 1")
        assert result.rowcount == 2
        assert not result.returns_rows and result.keys() == []
        with pytest.raises(exc.ResourceClosedError, match="does not return rows"):
            result.all()
        many = conn.exec_driver_sql(
            sql(filled, "UPDATE parent SET name = ? WHERE id = ?"), [("x", 1), ("y", 2)]
        )
        assert many.rowcount == 2


def test_dict_parameters_with_driver_paramstyle(engine: Any) -> None:
    make_tables(engine)
    named = "INSERT INTO parent (id, name) VALUES (:id, :name)"
    if engine.dialect.paramstyle == "format":
        named = "INSERT INTO parent (id, name) VALUES (%(id)s, %(name)s)"
    with engine.begin() as conn:
        conn.exec_driver_sql(named, {"id": 1, "name": "a"})
        conn.exec_driver_sql(named, [{"id": 2, "name": "b"}, {"id": 3, "name": "c"}])
    assert count(engine) == 3


# --- errors ------------------------------------------------------------------------------
def test_plain_string_execute_says_to_use_text(engine: Any) -> None:
    with engine.connect() as conn:
        with pytest.raises(exc.ArgumentError) as info:
            conn.execute("SELECT 1")
    assert "text(" in str(info.value)


def test_foreign_key_violation_on_insert_names_table_and_key(engine: Any) -> None:
    make_tables(engine)
    stmt = sql(engine, "INSERT INTO child (id, parent_id, note) VALUES (?, ?, ?)")
    with engine.connect() as conn:
        with pytest.raises(exc.IntegrityError) as info:
            conn.exec_driver_sql(stmt, (1, 99, "orphan"))
    error = info.value
    message = str(error)
    assert "child" in message and "parent" in message
    assert "99" in message and "parent_id" in message
    assert error.statement == stmt and error.params == (1, 99, "orphan")
    assert error.orig is not None and type(error.orig).__name__ in ("IntegrityError", "ForeignKeyViolation")
    assert isinstance(error, exc.DBAPIError) and isinstance(error, exc.TetherError)
    assert "[SQL: " in message and "[parameters: " in message


def test_foreign_key_violation_on_delete_names_both_tables(engine: Any) -> None:
    make_tables(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql(sql(engine, "INSERT INTO parent (id, name) VALUES (?, ?)"), (1, "p"))
        conn.exec_driver_sql(sql(engine, "INSERT INTO child (id, parent_id) VALUES (?, ?)"), (1, 1))
    with engine.connect() as conn:
        with pytest.raises(exc.IntegrityError) as info:
            conn.exec_driver_sql("DELETE FROM parent WHERE id = 1")
    message = str(info.value)
    assert "parent" in message and "child" in message


def test_sqlite_foreign_keys_can_be_turned_off(tmp_path: Any) -> None:
    from tether.engine import create_engine

    eng = create_engine(f"sqlite:///{tmp_path / 'nofk.db'}", sqlite_enforce_foreign_keys=False)
    try:
        make_tables(eng)
        with eng.begin() as conn:
            conn.exec_driver_sql("INSERT INTO child (id, parent_id) VALUES (1, 99)")
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 0
        assert count(eng, "child") == 1
    finally:
        eng.dispose()


def test_other_errors_are_wrapped_by_kind(engine: Any) -> None:
    make_tables(engine)
    with engine.connect() as conn:
        with pytest.raises(exc.IntegrityError):
            conn.exec_driver_sql("INSERT INTO parent (id) VALUES (1)")  # NOT NULL
        conn.rollback()
        with pytest.raises((exc.OperationalError, exc.ProgrammingError)) as info:
            conn.exec_driver_sql("SELECT * FROM no_such_table")
        assert "no_such_table" in str(info.value)
        conn.rollback()
        with pytest.raises((exc.OperationalError, exc.ProgrammingError)):
            conn.exec_driver_sql("SELEKT 1")
        conn.rollback()
        # the connection is still usable after rollback
        assert conn.exec_driver_sql("SELECT 1").scalar() == 1


@pytest.mark.postgresql_only
def test_postgresql_data_error(engine: Any) -> None:
    with engine.connect() as conn:
        with pytest.raises(exc.DataError):
            conn.exec_driver_sql("SELECT CAST('abc' AS INTEGER)")


# --- introspection used by create_all ------------------------------------------------------
def test_has_table_and_has_index(engine: Any) -> None:
    make_tables(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE INDEX ix_child_note ON child (note)")
    dialect = engine.dialect
    with engine.connect() as conn:
        assert dialect.has_table(conn, "parent") and dialect.has_table(conn, "child")
        assert not dialect.has_table(conn, "nope")
        assert dialect.has_index(conn, "child", "ix_child_note")
        assert not dialect.has_index(conn, "child", "ix_nope")
        assert dialect.get_table_names(conn) == ["child", "parent"]


@pytest.mark.postgresql_only
def test_postgresql_schemas(engine: Any) -> None:
    dialect = engine.dialect
    with engine.begin() as conn:
        assert not dialect.has_schema(conn, "example")
        conn.exec_driver_sql("CREATE SCHEMA example")
        conn.exec_driver_sql("CREATE TABLE example.thing (id INTEGER PRIMARY KEY)")
    with engine.connect() as conn:
        assert dialect.has_schema(conn, "example") and dialect.has_schema(conn, "public")
        assert dialect.has_table(conn, "thing", schema="example")
        assert not dialect.has_table(conn, "thing")


@pytest.mark.sqlite_only
def test_sqlite_has_schema_knows_main(engine: Any) -> None:
    with engine.connect() as conn:
        assert engine.dialect.has_schema(conn, "main")
        assert not engine.dialect.has_schema(conn, "example")


def test_ddl_connection_from_engine_and_connection(engine: Any) -> None:
    with engine._ddl_connection() as conn:
        conn.exec_driver_sql("CREATE TABLE t1 (id INTEGER PRIMARY KEY)")
    with engine.connect() as conn:
        with conn._ddl_connection() as same:
            assert same is conn and conn.in_transaction()
            conn.exec_driver_sql("CREATE TABLE t2 (id INTEGER PRIMARY KEY)")
        conn.commit()
    with engine.connect() as conn:
        assert engine.dialect.has_table(conn, "t1") and engine.dialect.has_table(conn, "t2")


# --- echo ----------------------------------------------------------------------------------
def test_echo_logs_statements_and_parameters(db_url: str, capsys: Any) -> None:
    from tether.engine import create_engine

    logger = logging.getLogger("tether.engine")
    handlers_before = list(logger.handlers)
    eng = create_engine(db_url, echo=True)
    try:
        with eng.connect() as conn:
            conn.exec_driver_sql(sql(eng, "SELECT ? + 1"), (41,))
        out = capsys.readouterr().out
        assert "INFO tether.engine BEGIN (implicit)" in out
        assert "SELECT " in out and "(41,)" in out and "ROLLBACK" in out
        eng.echo = "debug"
        with eng.connect() as conn:
            conn.exec_driver_sql("SELECT 7 AS seven")
        out = capsys.readouterr().out
        assert "Row (7,)" in out
        eng.echo = False
        with eng.connect() as conn:
            conn.exec_driver_sql("SELECT 8")
        assert "SELECT 8" not in capsys.readouterr().out
    finally:
        eng.dispose()
        for handler in list(logger.handlers):
            if handler not in handlers_before:
                logger.removeHandler(handler)


# --- isolation levels ------------------------------------------------------------------------
def test_autocommit_engine_commits_each_statement(db_url: str) -> None:
    from tether.engine import create_engine

    eng = create_engine(db_url, isolation_level="AUTOCOMMIT")
    try:
        with eng.connect() as conn:
            conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
            conn.exec_driver_sql("INSERT INTO t VALUES (1)")
            # no commit: the block ends with a rollback that has nothing to undo
        with eng.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM t").scalar() == 1
    finally:
        eng.dispose()


def test_connection_isolation_level_is_reset_on_return(engine: Any) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
    with engine.connect() as conn:
        default = engine.dialect.default_isolation_level(conn.connection)
        conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.exec_driver_sql("INSERT INTO t VALUES (1)")
        conn.rollback()
        with pytest.raises(exc.InvalidRequestError):
            conn.exec_driver_sql("SELECT 1")
            conn.execution_options(isolation_level="SERIALIZABLE")
    assert count(engine, "t") == 1
    with engine.connect() as conn:
        assert engine.dialect.default_isolation_level(conn.connection) == default
        conn.exec_driver_sql("INSERT INTO t VALUES (2)")
    assert count(engine, "t") == 1  # back to transactional: the insert was rolled back


def test_unknown_isolation_level_is_an_argument_error(db_url: str) -> None:
    from tether.engine import create_engine

    with pytest.raises(exc.ArgumentError):
        create_engine(db_url, isolation_level="SOMETIMES")


def test_hide_parameters_keeps_values_out_of_logs_and_errors(db_url: str, capsys: Any) -> None:
    from tether.engine import create_engine

    logger = logging.getLogger("tether.engine")
    before = list(logger.handlers)
    eng = create_engine(db_url, echo=True, hide_parameters=True)
    try:
        make_tables(eng)
        with eng.connect() as conn:
            with pytest.raises(exc.IntegrityError) as info:
                conn.exec_driver_sql(
                    sql(eng, "INSERT INTO parent (id, name) VALUES (?, ?)"), (1, None)
                )
        assert "s3cr3t" not in str(info.value)
        with eng.connect() as conn:
            conn.exec_driver_sql(sql(eng, "SELECT ?"), ("s3cr3t",))
        out = capsys.readouterr().out
        assert "s3cr3t" not in out and "hidden" in out
    finally:
        eng.echo = False
        eng.dispose()
        for handler in list(logger.handlers):
            if handler not in before:
                logger.removeHandler(handler)


def test_engine_execution_options_make_an_engine_sharing_the_pool(engine: Any) -> None:
    autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
    assert autocommit.pool is engine.pool and autocommit is not engine
    with autocommit.connect() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
        conn.exec_driver_sql("INSERT INTO t VALUES (1)")
    assert count(engine, "t") == 1
    with engine.connect() as conn:
        conn.exec_driver_sql("INSERT INTO t VALUES (2)")
    assert count(engine, "t") == 1


def test_echo_is_per_engine(db_url: str, capsys: Any) -> None:
    from tether.engine import create_engine

    logger = logging.getLogger("tether.engine")
    before = list(logger.handlers)
    loud = create_engine(db_url, echo=True)
    quiet = create_engine(db_url)
    try:
        with quiet.connect() as conn:
            conn.exec_driver_sql("SELECT 'from quiet'")
        with loud.connect() as conn:
            conn.exec_driver_sql("SELECT 'from loud'")
        out = capsys.readouterr().out
        assert "from loud" in out and "from quiet" not in out
    finally:
        loud.dispose()
        quiet.dispose()
        for handler in list(logger.handlers):
            if handler not in before:
                logger.removeHandler(handler)


def test_echo_pool_logs_pool_events(db_url: str, capsys: Any) -> None:
    from tether.engine import create_engine

    logger = logging.getLogger("tether.pool")
    before = list(logger.handlers)
    eng = create_engine(db_url, echo_pool=True)
    try:
        with eng.connect():
            pass
        assert "created a new connection" in capsys.readouterr().out
    finally:
        eng.dispose()
        for handler in list(logger.handlers):
            if handler not in before:
                logger.removeHandler(handler)


def test_a_connection_that_only_read_does_not_block_a_writer(engine: Any) -> None:
    """Reading inside a transaction must not hold SQLite locks that make another
    connection's COMMIT wait (as with the sqlite3 driver under SQLAlchemy)."""
    make_tables(engine)
    insert = sql(engine, "INSERT INTO parent (id, name) VALUES (?, ?)")
    with engine.connect() as reader, engine.connect() as writer:
        assert reader.exec_driver_sql("SELECT count(*) FROM parent").scalar() == 0
        assert reader.in_transaction()
        writer.exec_driver_sql(insert, (1, "a"))
        writer.commit()
        reader.rollback()
        assert reader.exec_driver_sql("SELECT count(*) FROM parent").scalar() == 1


def test_savepoint_release_does_not_commit_the_outer_transaction(engine: Any) -> None:
    make_tables(engine)
    with engine.connect() as conn:
        with conn.begin_nested():
            conn.exec_driver_sql(sql(engine, "INSERT INTO parent (id, name) VALUES (?, ?)"), (1, "a"))
        conn.rollback()
    assert count(engine) == 0
