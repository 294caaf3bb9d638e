"""The test command really provides a live PostgreSQL 15."""

from __future__ import annotations

from typing import Any


def test_postgresql_15_is_running(pg_engine: Any) -> None:
    with pg_engine.connect() as conn:
        version = conn.exec_driver_sql("SHOW server_version").scalar_one()
        assert version.split(".")[0] == "15", version
        assert conn.exec_driver_sql("SELECT current_database()").scalar_one() == "tether_test"


def test_each_test_starts_with_an_empty_database(engine: Any) -> None:
    # Runs on both databases; a table made here must not exist in the next test.
    with engine.connect() as conn:
        assert engine.dialect.get_table_names(conn) == []
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE leftover (id INTEGER PRIMARY KEY)")


def test_each_test_starts_with_an_empty_database_again(engine: Any) -> None:
    with engine.connect() as conn:
        assert engine.dialect.get_table_names(conn) == []
