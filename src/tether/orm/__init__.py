"""tether.orm: declarative mapping, the Session and its unit of work, relationships.

Programs written for ``sqlalchemy.orm`` import the same names from here.
"""

from __future__ import annotations

# Modules the hot paths import lazily (inside functions, to dodge import cycles): loading
# them with the package moves their import (and, without bytecode caches, their
# compilation) out of a program's first query, flush or configure.
from tether.orm import (  # noqa: F401
    comparators,
    diagnostics,
    nplusone,
    strategies,
)
from tether.orm.aliased import AliasedClass, aliased
from tether.orm.attributes import get_history, set_attribute
from tether.orm.collections import InstrumentedList, InstrumentedSet
from tether.orm.decl_base import (
    DeclarativeBase,
    DeclarativeMeta,
    Mapped,
    column_property,
    declarative_base,
    declared_attr,
    deferred,
    mapped_column,
    registry,
    synonym,
)
from tether.orm.exc import (
    DetachedInstanceError,
    FlushError,
    MultipleResultsFound,
    NoResultFound,
    NPlusOneError,
    ObjectDeletedError,
    StaleDataError,
    UnmappedClassError,
    UnmappedInstanceError,
)
from tether.orm.mapper import Mapper, class_mapper, clear_mappers, configure_mappers, object_mapper
from tether.orm.options import (
    contains_eager,
    defaultload,
    defer,
    joinedload,
    lazyload,
    load_only,
    noload,
    raiseload,
    selectinload,
    subqueryload,
    undefer,
)
from tether.orm.relationships import (
    MANYTOMANY,
    MANYTOONE,
    ONETOMANY,
    RelationshipDirection,
    RelationshipProperty,
    backref,
    relationship,
)
from tether.orm.session import Session, SessionTransaction
from tether.orm.sessionmaker import (
    close_all_sessions,
    make_transient,
    make_transient_to_detached,
    object_session,
    sessionmaker,
)
from tether.orm.state import InstanceState, instance_state
from tether.orm.validators import validates
from tether.util.lazy import lazy_names

__all__ = [
    "NPlusOneError",
    "contains_eager",
    "AliasedClass",
    "aliased",
    "undefer",
    "subqueryload",
    "selectinload",
    "raiseload",
    "noload",
    "load_only",
    "lazyload",
    "joinedload",
    "defer",
    "defaultload",
    "MANYTOMANY",
    "MANYTOONE",
    "ONETOMANY",
    "DeclarativeBase",
    "MappedAsDataclass",
    "DeclarativeMeta",
    "DetachedInstanceError",
    "FlushError",
    "InstanceState",
    "InstrumentedList",
    "InstrumentedSet",
    "Mapped",
    "Mapper",
    "MultipleResultsFound",
    "NoResultFound",
    "ObjectDeletedError",
    "Query",
    "RelationshipDirection",
    "RelationshipProperty",
    "Session",
    "SessionTransaction",
    "StaleDataError",
    "UnmappedClassError",
    "UnmappedInstanceError",
    "backref",
    "class_mapper",
    "clear_mappers",
    "close_all_sessions",
    "column_property",
    "configure_mappers",
    "declarative_base",
    "declared_attr",
    "deferred",
    "get_history",
    "instance_state",
    "make_transient",
    "make_transient_to_detached",
    "mapped_column",
    "object_mapper",
    "object_session",
    "registry",
    "relationship",
    "scoped_session",
    "sessionmaker",
    "set_attribute",
    "synonym",
    "validates",
]

# Optional features, imported when a program first names them: the legacy Query API,
# scoped sessions and dataclass mapping.
__getattr__, __dir__ = lazy_names(globals(), {
    "MappedAsDataclass": "tether.orm.dataclass_mapping",
    "Query": "tether.orm.query",
    "scoped_session": "tether.orm.scoping",
})
