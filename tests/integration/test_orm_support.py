"""Helpers shared by the ORM integration tests (no tests here): counting the statements an
engine runs, through the ``tether.engine`` logger that every statement is logged to."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import AbstractContextManager as ContextManager
from contextlib import contextmanager
from typing import TypeVar

H = TypeVar("H", bound=logging.Handler)

_NOT_STATEMENTS = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "[")


class StatementLog(logging.Handler):
    """Collects the SQL of every statement executed while installed."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if not message.startswith(_NOT_STATEMENTS):
            self.statements.append(message)

    @property
    def count(self) -> int:
        return len(self.statements)

    def of_kind(self, verb: str) -> list[str]:
        return [s for s in self.statements if s.lstrip().upper().startswith(verb.upper())]


@contextmanager
def engine_log(handler: H) -> Iterator[H]:
    """``handler`` receives every INFO record of the ``tether.engine`` logger (each
    statement and its parameters) inside the ``with`` block."""
    logger = logging.getLogger("tether.engine")
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)


def count_statements() -> ContextManager[StatementLog]:
    """``with count_statements() as log: ...``; then ``log.count``/``log.statements``."""
    return engine_log(StatementLog())
