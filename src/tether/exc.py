"""The exception hierarchy.

Every exception tether raises derives from :class:`TetherError`. The class names are the
ones SQLAlchemy users already catch (``IntegrityError``, ``NoResultFound``, ...), so code
that says ``except sqlalchemy.exc.IntegrityError`` keeps working after the import swap.
``SQLAlchemyError`` is kept as an alias of the base class for the same reason.
"""

from __future__ import annotations

from typing import Any


class TetherError(Exception):
    """Base class of every tether exception."""


SQLAlchemyError = TetherError


class ArgumentError(TetherError):
    """A construct was given arguments that cannot work together."""


class NoSuchModuleError(ArgumentError):
    """A URL names a database or driver tether does not know."""


class NoForeignKeysError(ArgumentError):
    """Two tables were joined but no foreign key links them."""


class AmbiguousForeignKeysError(ArgumentError):
    """Two tables were joined and more than one foreign key could link them."""


class CompileError(TetherError):
    """A statement cannot be rendered as SQL for the chosen database."""


class UnsupportedCompilationError(CompileError):
    """A construct has no SQL form on the chosen database."""


class InvalidRequestError(TetherError):
    """An operation was asked for that cannot be done in the current state."""


class NoSuchColumnError(InvalidRequestError, KeyError):
    """A row was asked for a column it does not have."""


class NoSuchTableError(InvalidRequestError):
    """A table named in a request does not exist in the database."""


class NoReferenceError(InvalidRequestError):
    """A foreign key points at something that cannot be found."""


class NoReferencedTableError(NoReferenceError):
    """A foreign key names a table that is not in the MetaData."""

    def __init__(self, message: str, tname: str) -> None:
        super().__init__(message)
        self.table_name = tname


class NoReferencedColumnError(NoReferenceError):
    """A foreign key names a column that its table does not have."""

    def __init__(self, message: str, tname: str, cname: str) -> None:
        super().__init__(message)
        self.table_name = tname
        self.column_name = cname


class NoResultFound(InvalidRequestError):
    """``one()`` or ``scalar_one()`` found no row."""


class MultipleResultsFound(InvalidRequestError):
    """``one()``, ``one_or_none()`` or ``scalar_one()`` found more than one row."""


class ResourceClosedError(InvalidRequestError):
    """A result, connection or transaction was used after it was closed."""


class PendingRollbackError(InvalidRequestError):
    """A transaction failed and must be rolled back before the session is used again."""


class TimeoutError(TetherError):  # noqa: A001 - SQLAlchemy's name, caught by user code
    """No pooled connection became free within the pool's timeout."""


class CircularDependencyError(TetherError):
    """Rows or tables depend on each other in a cycle that cannot be ordered."""

    def __init__(self, message: str, cycles: Any = None, edges: Any = None) -> None:
        super().__init__(message)
        self.cycles = cycles
        self.edges = edges


class StatementError(TetherError):
    """An error raised while executing a statement; shows the SQL and its parameters."""

    def __init__(
        self,
        message: str,
        statement: str | None,
        params: Any,
        orig: BaseException | None,
    ) -> None:
        super().__init__(message)
        self.statement = statement
        self.params = params
        self.orig = orig

    def __str__(self) -> str:
        text = super().__str__()
        if self.statement:
            text += f"\n[SQL: {self.statement}]"
            if self.params:
                shown = repr(self.params)
                if len(shown) > 600:
                    shown = shown[:600] + " ...]"
                text += f"\n[parameters: {shown}]"
        return text


class DBAPIError(StatementError):
    """The database driver raised an error; the driver's exception is kept in ``.orig``."""

    def __init__(
        self,
        statement: str | None,
        params: Any,
        orig: BaseException | None,
        message: str | None = None,
    ) -> None:
        if message is None:
            message = f"({type(orig).__module__}.{type(orig).__name__}) {orig}" if orig else ""
        super().__init__(message, statement, params, orig)


class InterfaceError(DBAPIError):
    """The driver's interface, not the database, failed."""


class DatabaseError(DBAPIError):
    """The database reported an error."""


class DataError(DatabaseError):
    """A value was out of range or of the wrong kind for its column."""


class OperationalError(DatabaseError):
    """The database could not carry out the operation (lost connection, locked, ...)."""


class IntegrityError(DatabaseError):
    """A constraint failed: a foreign key, a unique key, NOT NULL or a CHECK."""


class InternalError(DatabaseError):
    """The database reported an internal error."""


class ProgrammingError(DatabaseError):
    """The SQL was wrong: a missing table, a syntax error, a wrong number of parameters."""


class NotSupportedError(DatabaseError):
    """The database does not support what was asked."""


class TetherWarning(Warning):
    """Base class of tether's warnings."""


SAWarning = TetherWarning


class RelationshipWarning(TetherWarning):
    """A relationship is configured in a way that probably does not do what was meant."""


class NPlusOneWarning(TetherWarning):
    """The same lazy loader fired for many objects that one query returned."""


__all__ = [
    "AmbiguousForeignKeysError",
    "ArgumentError",
    "CircularDependencyError",
    "CompileError",
    "DBAPIError",
    "DataError",
    "DatabaseError",
    "IntegrityError",
    "InterfaceError",
    "InternalError",
    "InvalidRequestError",
    "MultipleResultsFound",
    "NPlusOneWarning",
    "NoForeignKeysError",
    "NoReferenceError",
    "NoReferencedColumnError",
    "NoReferencedTableError",
    "NoResultFound",
    "NoSuchColumnError",
    "NoSuchModuleError",
    "NoSuchTableError",
    "NotSupportedError",
    "OperationalError",
    "PendingRollbackError",
    "ProgrammingError",
    "RelationshipWarning",
    "ResourceClosedError",
    "SAWarning",
    "SQLAlchemyError",
    "StatementError",
    "TetherError",
    "TetherWarning",
    "TimeoutError",
    "UnsupportedCompilationError",
]


class NoInspectionAvailable(InvalidRequestError):
    """``inspect()`` was given something it cannot describe."""
