"""tether.engine: URLs, ``create_engine``, Engine/Connection/transactions, the pool and
results. Everything here talks to a database only through a Dialect."""

from tether.engine.base import Connection, Engine, NestedTransaction, RootTransaction, Transaction
from tether.engine.create import create_engine
from tether.engine.interfaces import Dialect
from tether.engine.result import MappingResult, Result, Row, RowMapping, ScalarResult
from tether.engine.url import URL, make_url

__all__ = [
    "URL",
    "Connection",
    "Dialect",
    "Engine",
    "MappingResult",
    "NestedTransaction",
    "Result",
    "RootTransaction",
    "Row",
    "RowMapping",
    "ScalarResult",
    "Transaction",
    "create_engine",
    "make_url",
]

# Registers inspect(engine) / inspect(connection) -> Inspector. Imported last: it needs
# Engine/Connection and tether.sql.schema (which imports nothing from the engine).
from tether.engine.reflection import Inspector  # noqa: E402

__all__ += ["Inspector"]
