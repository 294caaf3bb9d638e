"""One module per implementation, each exposing ``Impl(target, params)``.

An ``Impl`` does its setup in ``__init__`` (engine, mapping, first connection; untimed), has
one method per workload name (timed; read workloads return the checksum that
`benchmarks.workloads.verify` expects, write workloads return None after their one
commit), and ``close()``.

``tether`` has no module of its own: it is the SQLAlchemy module's source with the import
lines rewritten from ``sqlalchemy`` to ``tether`` and executed, which is exactly the
compatibility promise tether makes.
"""

from __future__ import annotations

import importlib
import re
import sys
import types
from pathlib import Path
from typing import Any

IMPLS: tuple[str, ...] = ("raw_sqlite", "raw_psycopg", "tether", "sqlalchemy", "peewee", "pony")
"""Implementation names, in table order; each raw driver exists for its own database only."""

ALIASES: dict[str, tuple[str, ...]] = {
    "raw": ("raw_sqlite", "raw_psycopg"),
    "sqlite3": ("raw_sqlite",),
    "psycopg": ("raw_psycopg",),
}

PEERS: tuple[str, ...] = ("sqlalchemy", "peewee", "pony")

_MODULES = {
    "raw_sqlite": "benchmarks.impls.raw_sqlite",
    "raw_psycopg": "benchmarks.impls.raw_psycopg",
    "sqlalchemy": "benchmarks.impls.sqlalchemy_runner",
    "peewee": "benchmarks.impls.peewee_impl",
    "pony": "benchmarks.impls.pony_impl",
}


def runs_on(impl: str, db: str) -> bool:
    """Whether ``impl`` is measured on ``db``."""
    if impl == "raw_sqlite":
        return db == "sqlite"
    if impl == "raw_psycopg":
        return db == "postgresql"
    return True


def raw_for(db: str) -> str:
    """The raw-driver implementation every ratio on ``db`` is relative to."""
    return "raw_sqlite" if db == "sqlite" else "raw_psycopg"


_IMPORT_LINE = re.compile(r"^(\s*(?:from|import)\s+)sqlalchemy(?=[\s.,]|$)", re.MULTILINE)


def rewrite_imports(source: str) -> str:
    """``sqlalchemy`` -> ``tether`` in import lines only, as a user porting code would do."""
    return _IMPORT_LINE.sub(r"\1tether", source)


def load_tether_module() -> types.ModuleType:
    """Execute the SQLAlchemy implementation's source against tether."""
    path = Path(__file__).with_name("sqlalchemy_impl.py")
    source = rewrite_imports(path.read_text())
    if re.search(r"^\s*(from|import)\s+sqlalchemy", source, re.MULTILINE):
        raise RuntimeError("import rewrite left a sqlalchemy import behind")
    name = "benchmarks.impls.tether_impl"
    module = types.ModuleType(name)
    module.__file__ = str(path)
    module.__package__ = "benchmarks.impls"
    # Registered before exec so that declarative mapping can resolve string annotations.
    sys.modules[name] = module
    exec(compile(source, f"{path} (as tether)", "exec"), module.__dict__)
    return module


def load(impl: str, db: str) -> Any:
    """The ``Impl`` class for ``impl`` on ``db``."""
    if not runs_on(impl, db):
        raise ValueError(f"{impl} does not run on {db}")
    if impl == "tether":
        return load_tether_module().Impl
    try:
        module_name = _MODULES[impl]
    except KeyError:
        raise ValueError(f"no implementation {impl!r}") from None
    return importlib.import_module(module_name).Impl


def display_name(impl: str) -> str:
    return {
        "raw_sqlite": "raw sqlite3",
        "raw_psycopg": "raw psycopg",
        "tether": "tether",
        "sqlalchemy": "SQLAlchemy",
        "peewee": "peewee",
        "pony": "Pony",
    }[impl]
