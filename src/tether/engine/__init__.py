"""tether.engine: URLs, ``create_engine``, Engine/Connection/transactions, the pool and
results. Everything here talks to a database only through a Dialect."""

from typing import Any

from tether import inspection
from tether.engine.base import Connection, Engine, NestedTransaction, RootTransaction, Transaction
from tether.engine.create import create_engine
from tether.engine.interfaces import Dialect
from tether.engine.result import MappingResult, Result, Row, RowMapping, ScalarResult
from tether.engine.url import URL, make_url
from tether.util.lazy import lazy_names

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

# Reflection (the Inspector) is imported when a program first inspects an engine or asks
# for the class: most programs never read a schema back.
__all__ += ["Inspector"]
__getattr__, __dir__ = lazy_names(globals(), {"Inspector": "tether.engine.reflection"})


def _inspector(bind: Engine | Connection) -> Any:
    from tether.engine.reflection import Inspector

    return Inspector(bind)


inspection.register(Engine, _inspector)
inspection.register(Connection, _inspector)
