"""Shared test fixtures: a clean SQLite and a clean PostgreSQL database for every test.

``make test`` starts a throwaway PostgreSQL 15 (``scripts/with_postgres.sh``) and passes its
URL in ``TETHER_TEST_PG_URL``. Without that variable the PostgreSQL half of the tests is
skipped, except in CI (``CI`` set), where it fails: a database that cannot start must never
pass silently.

Fixtures:

* ``db_url`` -- parametrized ``sqlite`` / ``postgresql``: the URL of an empty database
  (SQLite: a new file; PostgreSQL: every non-system schema dropped, ``public`` recreated).
* ``engine`` -- ``create_engine(db_url)``, disposed after the test.
* ``sqlite_engine`` / ``pg_engine`` -- one database only, also clean.

Marks ``@pytest.mark.sqlite_only`` and ``@pytest.mark.postgresql_only`` keep a test that
uses ``db_url``/``engine`` to one database.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

PG_URL = os.environ.get("TETHER_TEST_PG_URL")
IN_CI = bool(os.environ.get("CI"))
BACKENDS = ("sqlite", "postgresql")

_NO_PG = (
    "PostgreSQL tests need TETHER_TEST_PG_URL; run `make test`, which starts a throwaway "
    "PostgreSQL 15 (scripts/with_postgres.sh) and sets it."
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite_only: run this test on SQLite only")
    config.addinivalue_line("markers", "postgresql_only: run this test on PostgreSQL only")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    kept, dropped = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        backend = callspec.params.get("db_url") if callspec is not None else None
        if (backend == "postgresql" and item.get_closest_marker("sqlite_only")) or (
            backend == "sqlite" and item.get_closest_marker("postgresql_only")
        ):
            dropped.append(item)
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def pytest_report_header(config: pytest.Config) -> str:
    return f"tether PostgreSQL: {PG_URL or 'not configured (' + ('CI: will fail' if IN_CI else 'tests skipped') + ')'}"


def _require_pg() -> str:
    if not PG_URL:
        if IN_CI:
            pytest.fail(
                "TETHER_TEST_PG_URL is not set in CI: PostgreSQL did not start. " + _NO_PG,
                pytrace=False,
            )
        pytest.skip(_NO_PG)
    return PG_URL


@pytest.fixture(scope="session")
def _pg_admin() -> Iterator[Any]:
    """One autocommit psycopg connection used only to clean the PostgreSQL database."""
    url = _require_pg()
    import psycopg

    from tether.engine.url import make_url

    u = make_url(url)
    args: dict[str, Any] = u.translate_connect_args()
    args.update({k: (v[-1] if isinstance(v, tuple) else v) for k, v in u.query.items()})
    try:
        conn = psycopg.connect(autocommit=True, **args)
    except psycopg.Error as error:
        pytest.fail(f"Cannot connect to the test PostgreSQL at {url}: {error}", pytrace=False)
    yield conn
    conn.close()


_CLEAN_SQL = """
SELECT nspname FROM pg_catalog.pg_namespace
WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  AND nspname NOT LIKE 'pg\\_temp\\_%' AND nspname NOT LIKE 'pg\\_toast\\_temp\\_%'
"""


def _clean_postgresql(conn: Any) -> None:
    import psycopg
    from psycopg import sql

    for attempt in range(2):
        try:
            conn.execute("SET lock_timeout = '3s'")
            schemas = [r[0] for r in conn.execute(_CLEAN_SQL).fetchall()]
            for name in schemas:
                conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(name)))
            conn.execute("CREATE SCHEMA public")
            return
        except psycopg.errors.LockNotAvailable:
            if attempt:
                raise
            # A connection leaked by an earlier test holds locks: end it and retry.
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )


def _sqlite_url(tmp_path: Any) -> str:
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    """URL of an empty database, once for SQLite and once for PostgreSQL."""
    if request.param == "sqlite":
        return _sqlite_url(tmp_path)
    admin = request.getfixturevalue("_pg_admin")
    _clean_postgresql(admin)
    assert PG_URL is not None
    return PG_URL


@pytest.fixture
def engine(db_url: str) -> Iterator[Any]:
    from tether.engine import create_engine

    eng = create_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def sqlite_engine(tmp_path: Any) -> Iterator[Any]:
    from tether.engine import create_engine

    eng = create_engine(_sqlite_url(tmp_path))
    yield eng
    eng.dispose()


@pytest.fixture
def pg_url(_pg_admin: Any) -> str:
    """URL of the (cleaned) test PostgreSQL database."""
    _clean_postgresql(_pg_admin)
    assert PG_URL is not None
    return PG_URL


@pytest.fixture
def pg_engine(pg_url: str) -> Iterator[Any]:
    from tether.engine import create_engine

    eng = create_engine(pg_url)
    yield eng
    eng.dispose()
