"""Loader strategies for relationships, registered by the name users give in
``relationship(lazy=...)`` (and, later, in loader options).

A strategy's ``load(state, session)`` returns the value of the relationship for one
object: a list of related objects for a collection, one object or ``None`` for a scalar, or
:data:`NO_VALUE` for "leave it empty". New strategies register with :func:`register`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tether.exc import ArgumentError, InvalidRequestError
from tether.orm.relationships import MANYTOMANY, MANYTOONE, RelationshipProperty
from tether.orm.state import NO_VALUE, InstanceState

__all__ = ["LazyLoader", "NoLoader", "RaiseLoader", "register", "strategy_for", "STRATEGIES"]

#: user-facing name -> strategy class (constructed once per relationship)
STRATEGIES: dict[str, Callable[[RelationshipProperty], Any]] = {}


def register(*names: str) -> Callable[[Any], Any]:
    """Class decorator: make a strategy available under ``names``."""

    def deco(cls: Any) -> Any:
        for name in names:
            STRATEGIES[name] = cls
        return cls

    return deco


def strategy_for(prop: RelationshipProperty) -> Any:
    """The strategy object ``prop.lazy`` names. Raises ArgumentError for unknown names."""
    factory = STRATEGIES.get(str(prop.lazy))
    if factory is None:
        raise ArgumentError(
            f"{prop.what}: lazy={prop.lazy!r} is not a loader strategy; choose one of "
            + ", ".join(sorted(STRATEGIES))
        )
    return factory(prop)


def _order_by_clauses(prop: RelationshipProperty) -> list[Any]:
    order = prop.order_by
    if order is False or order is None:
        return []
    if isinstance(order, str) or callable(order) and not hasattr(order, "__clause_element__"):
        order = prop.parent.registry.evaluate(order, prop)
    if not isinstance(order, list | tuple):
        order = [order]
    return list(order)


@register("select", "immediate", "selectin", "joined", "subquery", "dynamic", "write_only")
class LazyLoader:
    """Load on first access with one SELECT (``lazy="select"``).

    The eager names (``selectin``, ``joined``, ...) map here until their own strategies
    exist: they give the same objects, with more statements.
    """

    def __init__(self, prop: RelationshipProperty) -> None:
        self.prop = prop
        self._statement: Any = None
        self._bind_keys: list[tuple[str, str]] = []
        self._use_get = False

    def _build(self) -> None:
        from tether.sql.elements import and_, bindparam
        from tether.sql.selectable import Select

        prop = self.prop
        target = prop.mapper
        criteria = []
        bind_keys: list[tuple[str, str]] = []  # (bind name, parent attribute key)
        if prop.direction is MANYTOMANY:
            assert prop.join is not None
            secondary = prop.secondary
            on = and_(*(tcol == scol for tcol, scol in prop.join.secondary_pairs))
            stmt = Select(target.class_).join(secondary, on)
            for i, (pcol, scol) in enumerate(prop.join.pairs):
                name = f"_lazy_{i}"
                criteria.append(scol == bindparam(name, type_=scol.type))
                bind_keys.append((name, prop.parent.columntoproperty[pcol].key))
        else:
            stmt = Select(target.class_)
            for i, (local, remote) in enumerate(prop.local_remote_pairs):
                name = f"_lazy_{i}"
                criteria.append(remote == bindparam(name, type_=remote.type))
                bind_keys.append((name, prop.parent.columntoproperty[local].key))
            if prop.direction is MANYTOONE:
                remotes = [r for _, r in prop.local_remote_pairs]
                self._use_get = len(remotes) == len(target.primary_key) and all(
                    any(r is pk for r in remotes) for pk in target.primary_key
                )
                if self._use_get:
                    order = [next(i for i, r in enumerate(remotes) if r is pk) for pk in target.primary_key]
                    self._get_order = order
        stmt = stmt.where(*criteria)
        order_by = _order_by_clauses(prop)
        if order_by:
            stmt = stmt.order_by(*order_by)
        self._statement = stmt
        self._bind_keys = bind_keys

    def load(self, state: InstanceState, session: Any, passive: bool = False) -> Any:
        """The related object(s). ``passive``: never run SQL; NO_VALUE when it would."""
        if self._statement is None:
            self._build()
        prop = self.prop
        obj = state.obj
        d = obj.__dict__
        params = {}
        for name, key in self._bind_keys:
            if key not in d and passive:
                return NO_VALUE
            value = d[key] if key in d else getattr(obj, key)
            if value is None and prop.direction is MANYTOONE:
                return None
            params[name] = value
        if self._use_get:
            values = list(params.values())
            ident = tuple(values[i] for i in self._get_order)
            found = session.identity_map.get((prop.mapper.identity_class, ident))
            if found is not None:
                return found
        if passive:
            return NO_VALUE
        objs = session._load_related(self._statement, params, prop.mapper)
        if prop.uselist:
            return objs
        return objs[0] if objs else None


@register("noload")
class NoLoader:
    """Never load: the attribute starts empty (``lazy="noload"``)."""

    def __init__(self, prop: RelationshipProperty) -> None:
        self.prop = prop

    def load(self, state: InstanceState, session: Any, passive: bool = False) -> Any:
        return NO_VALUE


@register("raise", "raise_on_sql")
class RaiseLoader(LazyLoader):
    """Refuse to load lazily (``lazy="raise"``): the code must load it eagerly."""

    def load(self, state: InstanceState, session: Any, passive: bool = False) -> Any:
        prop = self.prop
        if passive:
            return NO_VALUE
        if prop.lazy == "raise_on_sql":
            if self._statement is None:
                self._build()
            if self._use_get:
                d = state.obj.__dict__
                values = [d.get(key) for _, key in self._bind_keys]
                if any(v is None for v in values):
                    return None
                ident = tuple(values[i] for i in self._get_order)
                found = session.identity_map.get((prop.mapper.identity_class, ident))
                if found is not None:
                    return found
        cls = prop.parent.class_.__name__
        raise InvalidRequestError(
            f"'{cls}.{prop.key}' is not available due to lazy={prop.lazy!r}: it is never "
            f"loaded on access; load it with the query, e.g. "
            f"select({cls}).options(selectinload({cls}.{prop.key}))"
        )
