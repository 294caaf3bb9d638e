"""ORM exceptions: the errors the mapper, the session and the unit of work raise.

They derive from the classes in :mod:`tether.exc` so that ``except InvalidRequestError``
style handlers written for SQLAlchemy keep catching them.
"""

from __future__ import annotations

from tether.exc import (
    ArgumentError,
    CircularDependencyError,
    InvalidRequestError,
    MultipleResultsFound,
    NoResultFound,
    TetherError,
)

__all__ = [
    "ArgumentError",
    "CircularDependencyError",
    "DetachedInstanceError",
    "FlushError",
    "NPlusOneError",
    "MultipleResultsFound",
    "NoResultFound",
    "ObjectDeletedError",
    "StaleDataError",
    "UnmappedClassError",
    "UnmappedError",
    "UnmappedInstanceError",
]


class DetachedInstanceError(TetherError):
    """An attribute of an object that belongs to no session had to be loaded."""


class ObjectDeletedError(InvalidRequestError):
    """An expired object was refreshed but its row is gone from the database."""


class StaleDataError(TetherError):
    """An UPDATE or DELETE matched a different number of rows than the flush expected."""


class FlushError(TetherError):
    """The unit of work found the object graph in a state it cannot write."""


class UnmappedError(InvalidRequestError):
    """Something that is not mapped was used where a mapped class or object is needed."""


class UnmappedInstanceError(UnmappedError):
    """An object whose class is not mapped was given to the session."""


class UnmappedClassError(UnmappedError):
    """A class that is not mapped was used where a mapped class is needed."""


class NPlusOneError(InvalidRequestError):
    """N+1 detection in ``raise`` mode: a lazy loader fired once per object of a result."""
