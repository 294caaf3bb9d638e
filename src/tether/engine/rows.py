"""Executemany with parameter sets given as tuples, for the ORM's INSERTs.

The ORM builds each new row's values straight from the object's ``__dict__`` in the order
of the statement's column keys; where the compiled placeholders read them by position
(``Compiled.construct_rows``) they go to the driver without a dict made per row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tether.sql.compiler import compile_statement

__all__ = ["execute_rows"]


def execute_rows(conn: Any, statement: Any, keys: tuple[str, ...],
                 rows: list[tuple[Any, ...]]) -> Any:
    """``conn.execute(statement, [dict(zip(keys, row)) for row in rows])``, where each
    row holds the values of ``keys`` in that order."""
    if len(rows) > 1 and not (conn._closed or conn._invalidated):
        compiled, bound = compile_statement(statement, conn.dialect, dict.fromkeys(keys),
                                            executemany=True)
        arg_sets = compiled.construct_rows(keys, rows)
        if arg_sets is not None:
            return conn._execute_many(compiled, bound, _RowDicts(keys, rows), arg_sets)
    return conn.execute(statement, [dict(zip(keys, row)) for row in rows])


class _RowDicts(Sequence[Mapping[str, Any]]):
    """The rows as parameter mappings, made on request (the engine reads one only for a
    row whose generated key did not come back)."""

    __slots__ = ("keys", "rows")

    def __init__(self, keys: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        self.keys = keys
        self.rows = rows

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [dict(zip(self.keys, row)) for row in self.rows[index]]
        return dict(zip(self.keys, self.rows[index]))
