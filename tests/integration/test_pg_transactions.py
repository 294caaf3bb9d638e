"""PostgreSQL transactions begun and ended by tether (psycopg runs in autocommit mode and
the dialect sends BEGIN, COMMIT and ROLLBACK through libpq): isolation levels in effect,
AUTOCOMMIT, failed statements and COMMITs, lost connections, and psycopg's prepared
statements kept across ROLLBACKs only where no schema can have changed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tether import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    exc,
    insert,
    select,
    text,
)
from tether.orm import DeclarativeBase, Mapped, Session, mapped_column

pytestmark = pytest.mark.postgresql_only


class Base(DeclarativeBase):
    pass


class Parent(Base):
    __tablename__ = "tx_parents"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))


@pytest.fixture
def pg_engine(pg_url: str) -> Iterator[Any]:
    eng = create_engine(pg_url)
    Base.metadata.create_all(eng)
    yield eng
    eng.dispose()


def _isolation(conn: Any) -> str:
    return str(conn.exec_driver_sql("SHOW transaction_isolation").scalar())


LEVELS = ["READ COMMITTED", "READ UNCOMMITTED", "REPEATABLE READ", "SERIALIZABLE"]


@pytest.mark.parametrize("level", LEVELS)
def test_each_isolation_level_is_in_effect(pg_url: str, level: str) -> None:
    eng = create_engine(pg_url, isolation_level=level)
    try:
        with eng.connect() as conn:
            assert eng.dialect.default_isolation_level(conn.connection) == level
            assert _isolation(conn) == level.lower()
            conn.rollback()
            assert _isolation(conn) == level.lower()  # the next transaction too
        with eng.execution_options(isolation_level="SERIALIZABLE").connect() as conn:
            assert _isolation(conn) == "serializable"
        with eng.connect() as conn:  # the pooled connection got its level back
            assert _isolation(conn) == level.lower()
    finally:
        eng.dispose()


def test_connection_isolation_level_option_and_default(pg_engine: Any) -> None:
    with pg_engine.connect() as conn:
        assert pg_engine.dialect.default_isolation_level(conn.connection) == "READ COMMITTED"
        assert _isolation(conn) == "read committed"
        conn.commit()
        conn.execution_options(isolation_level="REPEATABLE READ")
        assert _isolation(conn) == "repeatable read"
    with pg_engine.connect() as conn:
        assert _isolation(conn) == "read committed"


def test_autocommit_level_runs_without_a_transaction(pg_engine: Any) -> None:
    with pg_engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT")
        assert pg_engine.dialect.default_isolation_level(conn.connection) == "AUTOCOMMIT"
        conn.execute(insert(Parent.__table__).values(id=1, name="kept"))
        assert conn.exec_driver_sql("SELECT pg_current_xact_id_if_assigned()").scalar() is None
        conn.rollback()  # nothing to roll back: the INSERT committed by itself
    with pg_engine.connect() as conn:
        assert conn.execute(select(Parent.__table__.c.name)).scalar() == "kept"


def test_a_failed_statement_fails_the_transaction_until_rollback(pg_engine: Any) -> None:
    with pg_engine.connect() as conn:
        conn.execute(insert(Parent.__table__).values(id=1, name="undone"))
        with pytest.raises(exc.ProgrammingError):
            conn.execute(text("SELECT * FROM no_such_table"))
        with pytest.raises(exc.InternalError, match="current transaction is aborted"):
            conn.execute(select(Parent.__table__.c.id))
        conn.rollback()
        assert conn.execute(select(Parent.__table__.c.id)).all() == []


def test_a_commit_that_fails_raises_and_leaves_the_session_usable(pg_engine: Any) -> None:
    md = MetaData()
    with pg_engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE tx_children (id INTEGER PRIMARY KEY, parent_id INTEGER "
            "REFERENCES tx_parents (id) DEFERRABLE INITIALLY DEFERRED)"
        )
    children = Table("tx_children", md, Column("id", Integer, primary_key=True),
                     Column("parent_id", Integer))
    session = Session(pg_engine)
    session.add(Parent(id=1, name="p"))
    session.flush()
    session.execute(insert(children).values(id=1, parent_id=99))  # checked at COMMIT
    with pytest.raises(exc.IntegrityError, match="tx_children"):
        session.commit()
    session.rollback()
    with pg_engine.connect() as conn:
        assert conn.execute(select(children.c.id)).all() == []
        assert conn.execute(select(Parent.__table__.c.id)).all() == []
    session.add(Parent(id=2, name="q"))
    session.commit()
    assert session.get(Parent, 2) is not None
    session.close()


def test_a_connection_lost_between_transactions_is_invalidated(
    pg_engine: Any, _pg_admin: Any
) -> None:
    with pg_engine.connect() as conn:
        pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        conn.commit()
        _pg_admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        with pytest.raises(exc.OperationalError):
            conn.begin()
        assert conn.invalidated
        conn.rollback()  # reconnects
        assert conn.exec_driver_sql("SELECT pg_backend_pid()").scalar() != pid
    # at ROLLBACK, and on a session's lease (Session.get first)
    with Session(pg_engine) as session:
        assert session.get(Parent, 1) is None
        pid = session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar()
        _pg_admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        with pytest.raises(exc.OperationalError):
            session.connection().rollback()
        assert session.connection().invalidated
        session.rollback()
        assert session.get(Parent, 1) is None
    assert pg_engine.pool.checkedout() == 0


def _prepared(conn: Any, like: str) -> list[str]:
    rows = conn.exec_driver_sql(
        "SELECT statement FROM pg_prepared_statements WHERE statement LIKE %s", (like,)
    ).all()
    return [r[0] for r in rows]


def test_prepared_statements_survive_session_per_request(pg_engine: Any) -> None:
    with Session(pg_engine) as session:
        session.add(Parent(id=1, name="p"))
        session.commit()
    for _ in range(10):
        with Session(pg_engine) as session:  # one short transaction each, rolled back
            assert session.get(Parent, 1).name == "p"
        with pg_engine.connect() as conn:  # a Connection's compiled SELECTs too
            conn.execute(select(Parent.__table__.c.name).where(Parent.__table__.c.id == 1))
    assert pg_engine.pool.checkedout() == 0
    with pg_engine.connect() as conn:  # the one pooled connection
        statements = _prepared(conn, "%tx_parents%")
    assert any("WHERE" in s for s in statements), statements
    assert len(statements) >= 2


@pytest.mark.parametrize("how", ["text", "driver_sql", "raw_connection"])
def test_rolled_back_ddl_leaves_no_stale_prepared_statement(pg_engine: Any, how: str) -> None:
    stale = Table("tx_stale", MetaData(), Column("id", Integer, primary_key=True),
                  Column("a", Integer))
    query = select(stale.c.a).where(stale.c.id == 1)
    create = "CREATE TABLE tx_stale (id INTEGER PRIMARY KEY, a {})"
    with pg_engine.connect() as conn:
        if how == "text":
            conn.execute(text(create.format("INTEGER")))
        elif how == "driver_sql":
            conn.exec_driver_sql(create.format("INTEGER"))
        else:
            conn.begin()
            conn.connection.execute(create.format("INTEGER"))
        conn.execute(insert(stale).values(id=1, a=5))
        for _ in range(8):  # psycopg prepares a statement from its sixth run
            assert conn.execute(query).scalar() == 5
        assert _prepared(conn, "%tx_stale%")
        conn.rollback()
        # The same name, another column type: a prepared statement planned on the old
        # table would fail ("cached plan must not change result type").
        conn.exec_driver_sql(create.format("TEXT"))
        conn.exec_driver_sql("INSERT INTO tx_stale VALUES (1, 'text now')")
        conn.commit()
        for _ in range(8):
            assert conn.execute(query).scalar() == "text now"
        conn.commit()


def test_ddl_through_create_all_then_rollback(pg_engine: Any) -> None:
    md = MetaData()
    t = Table("tx_made", md, Column("id", Integer, primary_key=True), Column("a", Integer))
    query = select(t.c.a).where(t.c.id == 1)
    with pg_engine.connect() as conn:
        md.create_all(conn)
        conn.execute(insert(t).values(id=1, a=1))
        for _ in range(8):
            assert conn.execute(query).scalar() == 1
        conn.rollback()
        conn.exec_driver_sql("CREATE TABLE tx_made (id INTEGER PRIMARY KEY, a TEXT)")
        conn.exec_driver_sql("INSERT INTO tx_made VALUES (1, 'b')")
        assert conn.execute(query).scalar() == "b"


def test_raw_connection_keeps_driver_transactions(pg_engine: Any) -> None:
    raw = pg_engine.raw_connection()
    cursor = raw.cursor()
    cursor.execute("INSERT INTO tx_parents VALUES (1, 'gone')")
    raw.rollback()
    cursor.execute("INSERT INTO tx_parents VALUES (2, 'kept')")
    raw.commit()
    cursor.close()
    raw.close()
    with pg_engine.connect() as conn:
        assert conn.execute(select(Parent.__table__.c.id)).scalars().all() == [2]
        # the pooled connection is back in tether's hands: a transaction per Connection
        conn.execute(insert(Parent.__table__).values(id=3, name="undone"))
        conn.rollback()
        assert conn.execute(select(Parent.__table__.c.id)).scalars().all() == [2]


def test_connection_lent_outside_a_transaction_keeps_driver_transactions(
    pg_engine: Any,
) -> None:
    with pg_engine.connect() as conn:
        conn.connection.execute("INSERT INTO tx_parents VALUES (1, 'undone at close')")
    with pg_engine.connect() as conn:
        lent = conn.connection
        lent.execute("INSERT INTO tx_parents VALUES (2, 'kept')")
        conn.execute(insert(Parent.__table__).values(id=3, name="kept"))  # same transaction
        conn.commit()
        assert conn.execute(select(Parent.__table__.c.id)).scalars().all() == [2, 3]


def test_ddl_rolled_back_to_a_savepoint_leaves_no_stale_prepared_statement(
    pg_engine: Any,
) -> None:
    stale = Table("tx_sp", MetaData(), Column("id", Integer, primary_key=True),
                  Column("a", Integer))
    query = select(stale.c.a).where(stale.c.id == 1)
    with pg_engine.connect() as conn:
        conn.execute(insert(Parent.__table__).values(id=1, name="kept"))
        savepoint = conn.begin_nested()
        conn.exec_driver_sql("CREATE TABLE tx_sp (id INTEGER PRIMARY KEY, a INTEGER)")
        conn.execute(insert(stale).values(id=1, a=5))
        for _ in range(8):
            assert conn.execute(query).scalar() == 5
        savepoint.rollback()
        conn.exec_driver_sql("CREATE TABLE tx_sp (id INTEGER PRIMARY KEY, a TEXT)")
        conn.exec_driver_sql("INSERT INTO tx_sp VALUES (1, 'text now')")
        assert conn.execute(query).scalar() == "text now"
        savepoint = conn.begin_nested()
        conn.execute(insert(Parent.__table__).values(id=2, name="undone"))
        savepoint.rollback()
        savepoint = conn.begin_nested()
        conn.execute(insert(Parent.__table__).values(id=3, name="released"))
        savepoint.commit()
        conn.commit()
        assert conn.execute(select(Parent.__table__.c.id)).scalars().all() == [1, 3]


def test_a_failed_savepoint_statement_raises_the_driver_error_class(pg_engine: Any) -> None:
    with pg_engine.connect() as conn:
        with pytest.raises(exc.ProgrammingError):
            conn.exec_driver_sql("SELECT * FROM no_such_table")
        with pytest.raises(exc.InternalError, match="current transaction is aborted"):
            conn.begin_nested()
        conn.rollback()
        savepoint = conn.begin_nested()
        savepoint.commit()
