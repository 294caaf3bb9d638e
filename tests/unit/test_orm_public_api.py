"""The public surface of tether.orm is explicit and pinned: adding or removing a name is a
deliberate change to this list."""

from __future__ import annotations

import tether.ext.declarative
import tether.orm
import tether.orm.exc

EXPECTED = {
    "MANYTOMANY", "MANYTOONE", "ONETOMANY", "DeclarativeBase", "DeclarativeMeta",
    "DetachedInstanceError", "FlushError", "InstanceState", "InstrumentedList",
    "InstrumentedSet", "Mapped", "Mapper", "MultipleResultsFound", "NoResultFound",
    "ObjectDeletedError", "RelationshipDirection", "RelationshipProperty", "Session",
    "SessionTransaction", "StaleDataError", "UnmappedClassError", "UnmappedInstanceError",
    "backref", "class_mapper", "clear_mappers", "close_all_sessions", "column_property",
    "configure_mappers", "declarative_base", "declared_attr", "deferred", "get_history",
    "instance_state", "make_transient", "make_transient_to_detached", "mapped_column",
    "object_mapper", "object_session", "registry", "relationship", "scoped_session",
    "sessionmaker", "set_attribute", "synonym", "validates",
    # the first part of issue 5
    "AliasedClass", "Query", "aliased", "contains_eager", "defaultload", "defer",
    "joinedload", "lazyload", "load_only", "noload", "raiseload", "selectinload",
    "subqueryload", "undefer",
}


def test_orm_all_is_pinned() -> None:
    assert set(tether.orm.__all__) >= EXPECTED
    for name in tether.orm.__all__:
        assert getattr(tether.orm, name) is not None


def test_orm_exc_names() -> None:
    for name in ("DetachedInstanceError", "ObjectDeletedError", "StaleDataError",
                 "UnmappedInstanceError", "UnmappedClassError", "FlushError",
                 "NoResultFound", "MultipleResultsFound"):
        assert hasattr(tether.orm.exc, name)
    from tether.exc import TetherError

    assert issubclass(tether.orm.exc.DetachedInstanceError, TetherError)


def test_legacy_declarative_path() -> None:
    assert tether.ext.declarative.declarative_base is tether.orm.declarative_base
