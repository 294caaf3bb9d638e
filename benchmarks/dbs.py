"""Where a run's database lives and how each implementation reaches it.

`Target` describes one fresh database: a SQLite file in a private temporary directory, or
the PostgreSQL database named by ``TETHER_TEST_PG_URL`` (tables dropped and recreated for
every run).  It also does the untimed raw-driver chores: schema, seed rows, and the
verification queries.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from benchmarks import workloads

PG_ENV = "TETHER_TEST_PG_URL"


@dataclass
class PgParts:
    """A libpq URL taken apart, for the libraries that want keyword arguments."""

    dbname: str
    user: str | None
    password: str | None
    host: str | None
    port: int | None

    @classmethod
    def parse(cls, url: str) -> PgParts:
        parts = urlsplit(url)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        host = query.get("host") or (unquote(parts.hostname) if parts.hostname else None)
        port = query.get("port") or (str(parts.port) if parts.port else None)
        return cls(
            dbname=unquote(parts.path.lstrip("/")) or "postgres",
            user=query.get("user") or (unquote(parts.username) if parts.username else None),
            password=query.get("password") or (unquote(parts.password) if parts.password else None),
            host=host,
            port=int(port) if port else None,
        )

    def kwargs(self) -> dict[str, Any]:
        """Non-empty connection keywords (host, port, user, password)."""
        out: dict[str, Any] = {}
        for key in ("host", "port", "user", "password"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out


@dataclass
class Target:
    """One database for one worker run."""

    db: str  # "sqlite" or "postgresql"
    pg_url: str | None = None
    sqlite_path: str | None = None
    _tmpdir: str | None = field(default=None, repr=False)

    @classmethod
    def create(cls, db: str) -> Target:
        if db == "sqlite":
            tmpdir = tempfile.mkdtemp(prefix="tether-bench-")
            return cls(db="sqlite", sqlite_path=os.path.join(tmpdir, "bench.db"), _tmpdir=tmpdir)
        if db == "postgresql":
            url = os.environ.get(PG_ENV)
            if not url:
                raise RuntimeError(f"{PG_ENV} is not set; run through scripts/with_postgres.sh")
            return cls(db="postgresql", pg_url=url)
        raise ValueError(f"unknown database {db!r}")

    # -- URLs for the libraries -------------------------------------------------------

    def sqlalchemy_url(self) -> str:
        """The URL SQLAlchemy-style code passes to create_engine (tether reads the same)."""
        if self.db == "sqlite":
            return f"sqlite:///{self.sqlite_path}"
        assert self.pg_url is not None
        rest = self.pg_url.split("://", 1)[1]
        return f"postgresql+psycopg://{rest}"

    def pg_parts(self) -> PgParts:
        assert self.pg_url is not None
        return PgParts.parse(self.pg_url)

    # -- raw chores (never timed) -----------------------------------------------------

    def raw_connect(self) -> Any:
        if self.db == "sqlite":
            conn = sqlite3.connect(self.sqlite_path or "")
            conn.execute("PRAGMA foreign_keys = ON")
            return conn
        import psycopg

        return psycopg.connect(self.pg_url or "")

    def prepare(self, workload: str, params: workloads.Params) -> None:
        """Fresh schema plus ``workload``'s seed rows."""
        conn = self.raw_connect()
        try:
            if self.db == "sqlite":
                for stmt in workloads.ddl("sqlite"):
                    conn.execute(stmt)
                for table, cols, rows in workloads.seed_rows(workload, params):
                    marks = ", ".join("?" for _ in cols)
                    conn.executemany(
                        f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})", rows
                    )
                conn.commit()
                conn.execute("ANALYZE")
                conn.commit()
            else:
                with conn.cursor() as cur:
                    for stmt in workloads.drop_statements() + workloads.ddl("postgresql"):
                        cur.execute(stmt)
                    for table, cols, rows in workloads.seed_rows(workload, params):
                        with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                            for row in rows:
                                copy.write_row(row)
                conn.commit()
                conn.autocommit = True
                conn.execute("VACUUM ANALYZE")
        finally:
            conn.close()

    def fetch(self, sql: str) -> list[tuple[Any, ...]]:
        """Run one query on a fresh raw connection (used by verification)."""
        conn = self.raw_connect()
        try:
            return [tuple(r) for r in conn.execute(sql).fetchall()]
        finally:
            conn.close()

    def cleanup(self) -> None:
        if self._tmpdir:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
