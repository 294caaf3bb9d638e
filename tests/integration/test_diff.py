"""``tether.tools.diff`` against real SQLite and PostgreSQL databases that were created from
older versions of the models and hold data; ``apply`` keeps that data."""

from __future__ import annotations

import enum
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tether import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    Time,
    UniqueConstraint,
)
from tether.sql import types as sqltypes
from tether.tools import diff, loader

MODELS = Path(__file__).resolve().parents[1] / "fixtures" / "models"


@pytest.fixture(autouse=True)
def _schema_per_backend(monkeypatch: pytest.MonkeyPatch, db_url: str) -> None:
    # players.py puts its tables in schema "example" on PostgreSQL only.
    if db_url.startswith("sqlite"):
        monkeypatch.setenv("TETHER_FIXTURE_NO_SCHEMA", "1")
    else:
        monkeypatch.delenv("TETHER_FIXTURE_NO_SCHEMA", raising=False)


@pytest.fixture(autouse=True)
def _forget_loaded_models() -> Iterator[None]:
    """Dispose of the model modules a test loaded in this process: a broken one left alive
    would fail every later ``configure_mappers()`` in the test run."""
    yield
    loaded = [n for n, m in list(sys.modules.items())
              if str(getattr(m, "__file__", None) or "").startswith(str(MODELS))]
    for name in loaded:
        module = sys.modules.pop(name)
        for value in list(vars(module).values()):
            registry = getattr(value, "registry", None)
            if hasattr(registry, "dispose") and hasattr(registry, "mappers"):
                registry.dispose()


def load(name: str) -> MetaData:
    return loader.load(str(MODELS / name)).metadata()


def run_sql(engine: Any, *statements: str) -> None:
    with engine.begin() as conn:
        for sql in statements:
            conn.exec_driver_sql(sql)


def rows(engine: Any, sql: str) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(sql).all()]


def kinds(result: diff.DiffResult) -> set[tuple[str, str, str]]:
    return {(c.sign, c.kind, c.target) for c in result.changes}


@pytest.mark.parametrize("fixture", ["game_store.py", "students.py", "players.py",
                                     "departments.py"])
def test_models_created_by_create_all_have_no_differences(engine: Any, fixture: str) -> None:
    md = load(fixture)
    md.create_all(engine)
    result = diff.compare(md, engine)
    assert result.changes == [], [c.line() for c in result.changes]


def test_game_store_older_database_gets_new_table_and_column(engine: Any) -> None:
    run_sql(engine,
            "CREATE TABLE users (id INTEGER PRIMARY KEY, username VARCHAR(50) NOT NULL, "
            "CONSTRAINT uq_users_username UNIQUE (username))",
            "CREATE TABLE games (id INTEGER PRIMARY KEY, title VARCHAR(100) NOT NULL, "
            "price INTEGER NOT NULL)",
            "INSERT INTO users (id, username) VALUES (1, 'alice'), (2, 'bob')",
            "INSERT INTO games (id, title, price) VALUES (1, 'Portal', 10)")
    md = load("game_store.py")
    result = diff.compare(md, engine)
    assert kinds(result) == {
        ("+", "table", "user_library"),
        ("+", "column", "games.genre"),
        ("+", "column", "users.wallet"),
    }
    by_target = {c.target: c for c in result.changes}
    assert by_target["user_library"].applicable
    assert by_target["games.genre"].applicable
    wallet = by_target["users.wallet"]
    # NOT NULL with only a Python-side default: adding it would fail on a table with rows.
    assert not wallet.applicable and "server default" in (wallet.reason or "")
    report = diff.format_report(result, "game_store.py", "db")
    assert "CREATE TABLE user_library" in report
    assert "ALTER TABLE games ADD COLUMN genre VARCHAR(50);" in report

    diff.apply(result, engine)
    assert rows(engine, "SELECT id, username FROM users ORDER BY id") == [(1, "alice"),
                                                                           (2, "bob")]
    assert rows(engine, "SELECT id, title, price, genre FROM games") == [(1, "Portal", 10, None)]
    run_sql(engine, "INSERT INTO user_library (user_id, game_id, hours_played) VALUES (1, 1, 3)")
    after = diff.compare(md, engine)
    assert kinds(after) == {("+", "column", "users.wallet")}


def test_students_association_table_added_and_then_in_sync(engine: Any) -> None:
    run_sql(engine,
            "CREATE TABLE student (id INTEGER PRIMARY KEY, name VARCHAR)",
            "CREATE TABLE course (id INTEGER PRIMARY KEY, name VARCHAR)",
            "INSERT INTO student (id, name) VALUES (1, 'Alice')",
            "INSERT INTO course (id, name) VALUES (1, 'Mathematics')")
    md = load("students.py")
    result = diff.compare(md, engine)
    assert kinds(result) == {("+", "table", "students_courses_association")}
    assert diff.apply(result, engine)
    assert diff.compare(md, engine).changes == []
    run_sql(engine, "INSERT INTO students_courses_association VALUES (1, 1)")
    assert rows(engine, "SELECT name FROM student") == [("Alice",)]


@pytest.mark.postgresql_only
def test_players_schema_is_created_on_postgresql(engine: Any) -> None:
    md = load("players.py")
    result = diff.compare(md, engine)
    assert kinds(result) == {
        ("+", "schema", "example"),
        ("+", "table", "example.sqlalchemy_tutorial_players"),
        ("+", "table", "example.sqlalchemy_tutorial_teams"),
    }
    statements = diff.apply(result, engine)
    assert statements[0] == "CREATE SCHEMA example"
    # Teams first: players refer to them.
    creates = [s.split("(")[0].strip() for s in statements if s.startswith("CREATE TABLE")]
    assert creates == ["CREATE TABLE example.sqlalchemy_tutorial_teams",
                       "CREATE TABLE example.sqlalchemy_tutorial_players"]
    assert diff.compare(md, engine).changes == []


@pytest.mark.sqlite_only
def test_schema_on_sqlite_is_reported_not_applied(engine: Any,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TETHER_FIXTURE_NO_SCHEMA")
    result = diff.compare(load("players.py"), engine)
    schema = [c for c in result.changes if c.kind == "schema"]
    assert len(schema) == 1 and not schema[0].applicable
    assert all(not c.applicable for c in result.changes)


def test_departments_link_added_with_data_kept(engine: Any) -> None:
    run_sql(engine,
            "CREATE TABLE department (id INTEGER PRIMARY KEY, name VARCHAR)",
            "CREATE TABLE employee (id INTEGER PRIMARY KEY, name VARCHAR)",
            'CREATE TABLE "user" (id INTEGER PRIMARY KEY, name VARCHAR)',
            "INSERT INTO department VALUES (1, 'IT')",
            "INSERT INTO employee VALUES (1, 'John')")
    md = load("departments.py")
    result = diff.compare(md, engine)
    assert kinds(result) == {("+", "table", "department_employee_link"),
                             ("+", "table", "address")}
    diff.apply(result, engine)
    run_sql(engine, "INSERT INTO department_employee_link VALUES (1, 1, 'part-time')")
    assert rows(engine, "SELECT name FROM department") == [("IT",)]
    assert diff.compare(md, engine).changes == []


def test_what_would_drop_or_narrow_is_printed_never_run(engine: Any) -> None:
    run_sql(engine,
            "CREATE TABLE student (id INTEGER PRIMARY KEY, name VARCHAR, nickname VARCHAR(20))",
            "CREATE TABLE course (id INTEGER PRIMARY KEY, name VARCHAR NOT NULL)",
            "CREATE TABLE students_courses_association (student_id INTEGER, "
            "course_id INTEGER)",
            "CREATE TABLE legacy (id INTEGER PRIMARY KEY)",
            "CREATE INDEX ix_student_nickname ON student (nickname)",
            "INSERT INTO student VALUES (1, 'Alice', 'Al')",
            "INSERT INTO legacy VALUES (7)")
    md = load("students.py")
    result = diff.compare(md, engine)
    found = kinds(result)
    assert ("-", "column", "student.nickname") in found
    assert ("-", "table", "legacy") in found
    assert ("-", "index", "student.ix_student_nickname") in found
    assert ("~", "nullable", "course.name") in found
    fks = [c for c in result.changes if c.kind == "foreign_key"]
    assert {c.sign for c in fks} == {"+"} and len(fks) == 2
    for c in result.changes:
        if c.sign == "-":
            assert not c.applicable
    report = diff.format_report(result, "students.py", "db")
    assert "DROP TABLE legacy;" in report
    assert "ALTER TABLE student DROP COLUMN nickname;" in report
    diff.apply(result, engine)
    assert rows(engine, "SELECT * FROM legacy") == [(7,)]
    assert rows(engine, "SELECT nickname FROM student") == [("Al",)]
    after = diff.compare(md, engine)
    nullable = [c for c in after.changes if c.kind == "nullable"]
    # Dropping NOT NULL widens the column: PostgreSQL does it; SQLite cannot alter columns.
    if engine.dialect.supports_alter_add_constraint:
        assert nullable == []
        assert not [c for c in after.changes if c.kind == "foreign_key"]
    else:
        assert len(nullable) == 1
        assert len([c for c in after.changes if c.kind == "foreign_key"]) == 2


class Mood(enum.Enum):
    happy = 1
    sad = 2


def typed_metadata() -> MetaData:
    md = MetaData()
    Table("kinds", md,
          Column("id", BigInteger, primary_key=True),
          Column("name", String(30), nullable=False, server_default="x"),
          Column("body", Text),
          Column("flag", Boolean, server_default="0"),
          Column("ratio", Float),
          Column("price", Numeric(10, 2)),
          Column("born", Date),
          Column("at", DateTime),
          Column("at_tz", DateTime(timezone=True)),
          Column("clock", Time),
          Column("blob", LargeBinary),
          Column("doc", JSON),
          Column("mood", sqltypes.Enum(Mood)),
          Column("uid", sqltypes.Uuid),
          Column("code", String(8)),
          UniqueConstraint("code", name="uq_kinds_code"),
          Index("ix_kinds_born_at", "born", "at"))
    return md


def test_type_synonyms_match_after_create_all(engine: Any) -> None:
    md = typed_metadata()
    md.create_all(engine)
    result = diff.compare(md, engine)
    assert result.changes == [], [c.line() for c in result.changes]


def test_reflected_metadata_matches_its_own_database(engine: Any) -> None:
    """Round trip: what reflection reads back, diff finds identical to the database."""
    from tether.engine.reflection import reflect

    typed_metadata().create_all(engine)
    load("departments.py").create_all(engine)
    reflected = reflect(engine)
    assert set(reflected.tables) >= {"kinds", "department", "department_employee_link"}
    result = diff.compare(reflected, engine)
    assert result.changes == [], [c.line() for c in result.changes]


def test_canonical_type_synonyms() -> None:
    c = diff.canonical_type
    assert c("character varying(50)") == c("VARCHAR(50)") == c("CHAR(50)")
    assert c("int4") == c("INTEGER") == c("int")
    assert c("timestamp without time zone") == c("DATETIME") == c("TIMESTAMP")
    assert c("double precision") == c("FLOAT")
    assert c("NUMERIC(10, 2)") == c("decimal(10,2)")
    assert c("timestamp with time zone") != c("timestamp")


def test_widening_and_defaults(engine: Any) -> None:
    run_sql(engine, "CREATE TABLE kinds (id BIGINT PRIMARY KEY, name VARCHAR(10) NOT NULL, "
                    "code VARCHAR(8))",
            "INSERT INTO kinds (id, name, code) VALUES (1, 'abc', 'k1')")
    md = MetaData()
    Table("kinds", md, Column("id", BigInteger, primary_key=True),
          Column("name", String(30), nullable=False, server_default="x"),
          Column("code", String(4)))
    result = diff.compare(md, engine)
    by = {(c.kind, c.target): c for c in result.changes}
    widen = by[("type", "kinds.name")]
    narrow = by[("type", "kinds.code")]
    default = by[("default", "kinds.name")]
    assert "(widening)" in widen.description
    assert not narrow.applicable  # VARCHAR(8) -> VARCHAR(4) could cut values
    can_alter = engine.dialect.supports_alter_add_constraint
    assert widen.applicable is can_alter and default.applicable is can_alter
    diff.apply(result, engine)
    assert rows(engine, "SELECT id, name, code FROM kinds") == [(1, "abc", "k1")]
    if can_alter:
        left = {(c.kind, c.target) for c in diff.compare(md, engine).changes}
        assert left == {("type", "kinds.code")}


def test_apply_is_one_transaction(engine: Any) -> None:
    # Two new tables, the second of which cannot be created (its unique index would hit
    # duplicate rows in an existing table): nothing at all may remain afterwards.
    run_sql(engine, "CREATE TABLE parent (id INTEGER PRIMARY KEY, code VARCHAR(5))",
            "INSERT INTO parent VALUES (1, 'a'), (2, 'a')")
    md = MetaData()
    Table("parent", md, Column("id", Integer, primary_key=True),
          Column("code", String(5), unique=True))
    Table("child", md, Column("id", Integer, primary_key=True),
          Column("parent_id", Integer, ForeignKey("parent.id")))
    result = diff.compare(md, engine)
    assert {c.kind for c in result.applicable} == {"table", "unique"}
    with pytest.raises(Exception):  # noqa: B017 - the database's own IntegrityError
        diff.apply(result, engine)
    from tether import inspect

    assert inspect(engine).get_table_names() == ["parent"]
