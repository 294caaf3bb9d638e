"""The SQLAlchemy implementation plus the one thing only SQLAlchemy needs: SQLite foreign keys.

SQLAlchemy opens SQLite connections with foreign keys off; its users switch them on with a
``connect`` event listener, which is what this module adds to the shared implementation's
engines.  The workloads themselves live in ``sqlalchemy_impl`` (shared with tether).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from benchmarks.impls import sqlalchemy_impl


def _sqlite_foreign_keys_on(dbapi_connection: Any, connection_record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _hook(engine: Any, is_sqlite: bool) -> None:
    if is_sqlite:
        event.listen(engine, "connect", _sqlite_foreign_keys_on)


sqlalchemy_impl.ENGINE_HOOKS.append(_hook)
Impl = sqlalchemy_impl.Impl
