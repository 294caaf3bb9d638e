"""The legacy ``Query`` (``session.query(User).filter(...).all()``), as a thin generative
wrapper around a Core ``Select`` that the Session runs like any ORM statement.

Results follow SQLAlchemy's Query: one mapped entity gives objects, anything else gives
rows. Bulk ``update()``/``delete()`` run one statement and keep the identity map honest
(matching objects are expired, deleted ones leave the session).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tether.exc import InvalidRequestError, MultipleResultsFound, NoResultFound
from tether.orm.aliased import AliasedClass

__all__ = ["Query"]


def _is_entity(value: Any) -> bool:
    # a mapped class, or one seen through aliased()
    if isinstance(value, type):
        return hasattr(value, "__mapper__")
    return isinstance(value, AliasedClass)


class Query:
    """A query over mapped classes, attributes and expressions, bound to a session."""

    def __init__(self, entities: Any, session: Any = None) -> None:
        from tether.sql.selectable import Select

        if len(entities) == 1 and isinstance(entities[0], list | tuple):
            entities = tuple(entities[0])
        self.session = session
        self._entities = tuple(entities)
        self._stmt = Select(*entities)
        self._filter_target: Any = None

    # --- building ----------------------------------------------------------------------
    def _new(self, stmt: Any, filter_target: Any = None) -> Query:
        q = Query.__new__(Query)
        q.session = self.session
        q._entities = tuple(getattr(stmt, "_entities", self._entities))
        q._stmt = stmt
        q._filter_target = filter_target if filter_target is not None else self._filter_target
        return q

    @property
    def statement(self) -> Any:
        return self._stmt

    def __clause_element__(self) -> Any:
        return self._stmt

    def filter(self, *criteria: Any) -> Query:
        return self._new(self._stmt.where(*criteria))

    where = filter

    def filter_by(self, **kwargs: Any) -> Query:
        """``attr == value`` on the most recently joined entity (or the first one)."""
        target = self._filter_target
        if target is None:
            target = next((e for e in self._entities if _is_entity(e)), None)
            if target is None and self._entities:
                target = getattr(self._entities[0], "class_", None)
        if target is None:
            return self._new(self._stmt.filter_by(**kwargs))
        crit = []
        for key, value in kwargs.items():
            try:
                attr = getattr(target, key)
            except AttributeError:
                raise InvalidRequestError(
                    f"filter_by(): {getattr(target, '__name__', target)} has no attribute {key!r}"
                ) from None
            crit.append(attr == value)
        return self._new(self._stmt.where(*crit))

    def _join_target(self, target: Any, onclause: Any) -> Any:
        if _is_entity(target):
            return target
        prop = getattr(target, "prop", None)
        if prop is not None and getattr(prop, "mapper", None) is not None:
            return prop.mapper.class_
        return None

    def join(self, target: Any, onclause: Any = None, *, isouter: bool = False,
             full: bool = False, aliased: bool = False) -> Query:
        stmt = self._stmt.join(target, onclause, isouter=isouter, full=full)
        return self._new(stmt, self._join_target(target, onclause))

    def outerjoin(self, target: Any, onclause: Any = None, *, full: bool = False) -> Query:
        return self.join(target, onclause, isouter=True, full=full)

    def select_from(self, *froms: Any) -> Query:
        target = next((f for f in froms if _is_entity(f)), None)
        return self._new(self._stmt.select_from(*froms), target)

    def order_by(self, *clauses: Any) -> Query:
        return self._new(self._stmt.order_by(*clauses))

    def group_by(self, *clauses: Any) -> Query:
        return self._new(self._stmt.group_by(*clauses))

    def having(self, *criteria: Any) -> Query:
        return self._new(self._stmt.having(*criteria))

    def limit(self, limit: Any) -> Query:
        return self._new(self._stmt.limit(limit))

    def offset(self, offset: Any) -> Query:
        return self._new(self._stmt.offset(offset))

    def slice(self, start: int | None, stop: int | None) -> Query:
        return self._new(self._stmt.slice(start, stop))

    def distinct(self, *expr: Any) -> Query:
        return self._new(self._stmt.distinct(*expr))

    def options(self, *opts: Any) -> Query:
        return self._new(self._stmt.options(*opts))

    def execution_options(self, **kw: Any) -> Query:
        return self._new(self._stmt.execution_options(**kw))

    def with_entities(self, *entities: Any) -> Query:
        return self._new(self._stmt.with_only_columns(*entities))

    def add_columns(self, *columns: Any) -> Query:
        return self._new(self._stmt.add_columns(*columns))

    add_column = add_columns

    def add_entity(self, entity: Any) -> Query:
        return self._new(self._stmt.add_columns(entity))

    def correlate(self, *froms: Any) -> Query:
        return self._new(self._stmt.correlate(*froms))

    def with_for_update(self, **kw: Any) -> Query:
        return self._new(self._stmt.with_for_update(**kw))

    def populate_existing(self) -> Query:
        return self._new(self._stmt.execution_options(populate_existing=True))

    def enable_eagerloads(self, value: bool) -> Query:
        return self

    def params(self, *args: Any, **kw: Any) -> Query:
        values = dict(args[0]) if args else {}
        values.update(kw)
        return self._new(self._stmt.params(**values))

    # --- as SQL ---------------------------------------------------------------------------
    def subquery(self, name: str | None = None, **kw: Any) -> Any:
        return self._stmt.subquery(name)

    def scalar_subquery(self) -> Any:
        return self._stmt.scalar_subquery()

    as_scalar = scalar_subquery

    def label(self, name: str) -> Any:
        return self._stmt.label(name)

    def exists(self) -> Any:
        from tether.sql.selectable import exists

        return exists(self._stmt)

    def cte(self, name: str | None = None, **kw: Any) -> Any:
        return self._stmt.cte(name)

    def union(self, *others: Any) -> Query:
        return self._new(self._stmt.union(*(o._stmt for o in others)).subquery().select())

    def __str__(self) -> str:
        return str(self._stmt)

    # --- running --------------------------------------------------------------------------
    def _single_entity(self) -> bool:
        return len(self._entities) == 1 and _is_entity(self._entities[0])

    def _execute(self, stmt: Any = None) -> Any:
        if self.session is None:
            raise InvalidRequestError("this Query is not bound to a session")
        return self.session.execute(self._stmt if stmt is None else stmt)

    def all(self) -> list[Any]:
        result = self._execute()
        if getattr(result, "_joined_collections", False):
            result = result.unique()  # the legacy Query de-duplicates joined eager loads
        if self._single_entity():
            return result.scalars().all()  # type: ignore[no-any-return]
        return result.all()  # type: ignore[no-any-return]

    def __iter__(self) -> Iterator[Any]:
        return iter(self.all())

    def first(self) -> Any:
        result = self._execute(self._stmt.limit(1))
        if self._single_entity():
            return result.scalars().first()
        return result.first()

    def one_or_none(self) -> Any:
        items = self.all()
        if len(items) > 1:
            raise MultipleResultsFound("Multiple rows were found when one or none was required")
        return items[0] if items else None

    def one(self) -> Any:
        items = self.all()
        if not items:
            raise NoResultFound("No row was found when one was required")
        if len(items) > 1:
            raise MultipleResultsFound("Multiple rows were found when exactly one was required")
        return items[0]

    def scalar(self) -> Any:
        """The first column of the one row (None without rows)."""
        result = self._execute()
        if getattr(result, "_joined_collections", False):
            result = result.unique()
        rows = result.all()
        if not rows:
            return None
        if len(rows) > 1:
            raise MultipleResultsFound("Multiple rows were found when one was required")
        return rows[0][0]

    def get(self, ident: Any) -> Any:
        entity = next((e for e in self._entities if _is_entity(e)), None)
        return self.session.get(entity, ident)

    def __getitem__(self, item: Any) -> Any:
        if isinstance(item, slice):
            if item.step not in (None, 1):
                raise InvalidRequestError("Query slices take no step")
            return self.slice(item.start, item.stop).all()
        if item < 0:
            return self.all()[item]
        return self.slice(item, item + 1).one()

    def count(self) -> int:
        """The number of rows this query returns (``SELECT count(*) FROM (query)``)."""
        from tether.sql.functions import func
        from tether.sql.selectable import Select

        sub = self._stmt.order_by(None).subquery()
        return self.session.execute(Select(func.count()).select_from(sub)).scalar()  # type: ignore[no-any-return]

    # --- bulk DML -------------------------------------------------------------------------
    def _dml_target(self) -> Any:
        entity = next((e for e in self._entities if _is_entity(e)), None)
        if entity is None:
            entity = getattr(self._entities[0], "class_", None) if self._entities else None
        if entity is None:
            raise InvalidRequestError("update()/delete() need a query of a mapped class")
        return entity.__mapper__

    def update(self, values: dict[Any, Any], synchronize_session: Any = "auto",
               update_args: Any = None) -> int:
        """``UPDATE`` the rows this query matches; returns the number of rows.

        Objects of those rows in the session are expired so they show the new values."""
        from tether.orm import bulk
        from tether.sql.dml import update

        mapper = self._dml_target()
        where = self._stmt.whereclause
        self.session._autoflush()
        keys = bulk.matching_identities(self.session, mapper, where) if synchronize_session else []
        stmt = update(mapper.local_table).values(values)
        if where is not None:
            stmt = stmt.where(where)
        result = self.session._connection().execute(stmt)
        bulk.sync_after(self.session, mapper, "update", keys, values)
        return int(result.rowcount)

    def delete(self, synchronize_session: Any = "auto", delete_args: Any = None) -> int:
        """``DELETE`` the rows this query matches; their objects leave the session."""
        from tether.orm import bulk
        from tether.sql.dml import delete

        mapper = self._dml_target()
        where = self._stmt.whereclause
        self.session._autoflush()
        keys = bulk.matching_identities(self.session, mapper, where) if synchronize_session else []
        stmt = delete(mapper.local_table)
        if where is not None:
            stmt = stmt.where(where)
        result = self.session._connection().execute(stmt)
        bulk.sync_after(self.session, mapper, "delete", keys, None)
        return int(result.rowcount)
