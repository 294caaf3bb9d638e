"""Loader strategies for relationships, registered by the name users give in
``relationship(lazy=...)`` and in loader options (``tether.orm.options``).

A strategy's ``load(state, session)`` returns the value of the relationship for one
object: a list of related objects for a collection, one object or ``None`` for a scalar, or
:data:`NO_VALUE` for "leave it empty". New strategies register with :func:`register`.
"""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Callable, Iterator
from operator import itemgetter
from typing import Any

from tether.exc import ArgumentError, InvalidRequestError
from tether.orm import loading
from tether.orm.collections import collection_maker
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


def override_strategy(prop: RelationshipProperty, name: str) -> Any:
    """The strategy object for ``name`` on ``prop`` (for per-query loader options)."""
    cache = prop.__dict__.setdefault("_strategy_overrides", {})
    strategy = cache.get(name)
    if strategy is None:
        factory = STRATEGIES[name]
        strategy = cache[name] = factory(prop)
        if name in ("raise", "raise_on_sql"):
            strategy.lazy_name = name
    return strategy


def _order_by_clauses(prop: RelationshipProperty) -> list[Any]:
    order = prop.order_by
    if order is False or order is None:
        return []
    if isinstance(order, str) or callable(order) and not hasattr(order, "__clause_element__"):
        order = prop.parent.registry.evaluate(order, prop)
    if not isinstance(order, list | tuple):
        order = [order]
    return list(order)


@register("select", "dynamic", "write_only")
class LazyLoader:
    """Load on first access with one SELECT (``lazy="select"``)."""

    #: loads for every object of a query result at once, right after the query
    eager = False

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
            criteria.extend(prop.join.extra)
        else:
            stmt = Select(target.class_)
            for i, (local, remote) in enumerate(prop.local_remote_pairs):
                name = f"_lazy_{i}"
                criteria.append(remote == bindparam(name, type_=remote.type))
                bind_keys.append((name, prop.parent.columntoproperty[local].key))
            if prop.join is not None and prop.join.extra:
                criteria.extend(prop.join.extra)
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

    def load_for_values(self, session: Any, values: dict[str, Any]) -> list[Any]:
        """Related objects for the parent key ``values`` (attribute key -> value), e.g. the
        key a row had before it changed. Runs SQL whatever the strategy."""
        if self._statement is None:
            self._build()
        params = {name: values[key] for name, key in self._bind_keys}
        with session.no_autoflush:
            return session._load_related(  # type: ignore[no-any-return]
                self._statement, params, self.prop.mapper
            )

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

    works_detached = True

    def __init__(self, prop: RelationshipProperty) -> None:
        self.prop = prop

    def load(self, state: InstanceState, session: Any, passive: bool = False) -> Any:
        return NO_VALUE

    def load_for_values(self, session: Any, values: dict[str, Any]) -> list[Any]:
        return LazyLoader(self.prop).load_for_values(session, values)


@register("raise", "raise_on_sql")
class RaiseLoader(LazyLoader):
    """Refuse to load lazily (``lazy="raise"``): the code must load it eagerly."""

    #: raises its own error (also on a detached object), never needs the session
    works_detached = True

    def load(self, state: InstanceState, session: Any, passive: bool = False) -> Any:
        prop = self.prop
        if passive:
            return NO_VALUE
        lazy = getattr(self, "lazy_name", prop.lazy)
        if lazy == "raise_on_sql" and session is not None:
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
            f"'{cls}.{prop.key}' is not available due to lazy={lazy!r}: it is never "
            f"loaded on access; load it with the query, e.g. "
            f"select({cls}).options(selectinload({cls}.{prop.key}))"
        )


_BATCH = 500
"""Keys per batch statement, where each key is a placeholder of its own; a key list the
dialect binds as one array parameter goes in one statement whatever its length."""


@register("selectin", "subquery", "immediate", "joined")
class SelectInLoader(LazyLoader):
    """``lazy="selectin"``: after a query, one ``IN`` query per relationship loads it for
    every object the query returned (in batches of 500 keys, or all keys at once where the
    dialect binds the key list as one array).

    ``subquery``/``immediate`` load this way (the same statement count). ``joined`` is
    loaded through a JOIN in the selecting statement itself (``options.execute_with_joins``);
    this loader only serves it where there is no such statement to extend: objects from
    ``Session.get()``, from a lazy load, or below a selectin level.
    """

    eager = True

    def __init__(self, prop: RelationshipProperty) -> None:
        super().__init__(prop)
        self._batch_statement: Any = None

    def _build_batch(self) -> None:
        from tether.sql.elements import BindParameter
        from tether.sql.selectable import Select

        prop = self.prop
        target = prop.mapper
        assert prop.join is not None
        if prop.direction is MANYTOMANY:
            from tether.sql.elements import and_

            on = and_(*(tcol == scol for tcol, scol in prop.join.secondary_pairs))
            key_cols = [scol for _, scol in prop.join.pairs]
            stmt = Select(target.class_, *key_cols).join(prop.secondary, on)
            self._parent_keys = [prop.parent.columntoproperty[p].key for p, _ in prop.join.pairs]
        elif prop.direction is MANYTOONE:
            key_cols = [remote for _, remote in prop.local_remote_pairs]
            stmt = Select(target.class_)
            self._parent_keys = [prop.parent.columntoproperty[lc].key for lc, _ in prop.local_remote_pairs]
            self._child_keys = [target.columntoproperty[rc].key for rc in key_cols]
        else:
            key_cols = [remote for _, remote in prop.local_remote_pairs]
            stmt = Select(target.class_)
            self._parent_keys = [prop.parent.columntoproperty[lc].key for lc, _ in prop.local_remote_pairs]
            self._child_keys = [target.columntoproperty[rc].key for rc in key_cols]
            # where each key column is in the rows of ``target``'s table columns
            self._child_positions = [
                next(i for i, c in enumerate(target.table_columns) if c is rc)
                for rc in key_cols
            ]
        if prop.join.extra:
            stmt = stmt.where(*prop.join.extra)
        if len(key_cols) == 1:
            crit = key_cols[0].in_(BindParameter("_keys", expanding=True, key_list=True))
            self._composite = False
            self._key_col = key_cols[0]
        else:
            self._composite = True
            self._key_cols = key_cols
            crit = None
        self._base = stmt
        if crit is not None:
            stmt = stmt.where(crit)
        order_by = _order_by_clauses(prop)
        if order_by:
            stmt = stmt.order_by(*order_by)
        self._order_by = order_by
        self._batch_statement = stmt

    def load_many(self, session: Any, objs: list[Any], joined: Any = None) -> list[Any]:
        """Load this relationship for every object in ``objs`` that has not got it loaded;
        returns the related objects (for loading the next level). ``joined``: steps from
        ``options.joined_below`` loaded through JOINs in the same batch statements.

        For a big batch of parents the cyclic GC is paused for the whole load, as
        ``loading.load_rows`` pauses it for a big batch of rows: the children, their
        groups and every parent's new collection stay reachable, so collections between
        the children's load and the last collection made would scan the batch's young
        objects again and again and find nothing. The pause ends with the load, even on
        error (and is left alone when the program has switched the collector off)."""
        pause = len(objs) >= loading._GC_PAUSE_ROWS and gc.isenabled()
        if pause:
            gc.disable()
        try:
            return self._load_many(session, objs, joined)
        finally:
            if pause:
                gc.enable()

    def _load_many(self, session: Any, objs: list[Any], joined: Any) -> list[Any]:
        from tether.orm.state import STATE_KEY

        if self._batch_statement is None:
            self._build_batch()
        prop = self.prop
        key = prop.key
        attr = prop.attr
        todo = [o for o in objs if key not in o.__dict__]
        if not todo:
            return []
        related: list[Any] = []
        # Key values: the value itself for a one-column key (no tuple per object or child),
        # a tuple for a composite one.
        by_key: dict[Any, list[Any]] = {}
        parent_keys = self._parent_keys
        single = not self._composite
        if single:
            pkey = parent_keys[0]
            for o in todo:
                d = o.__dict__
                value = d[pkey] if pkey in d else getattr(o, pkey)
                owners = by_key.get(value)
                if owners is None:
                    by_key[value] = [o]
                else:
                    owners.append(o)
        else:
            for o in todo:
                d = o.__dict__
                values = tuple(d[k] if k in d else getattr(o, k) for k in parent_keys)
                by_key.setdefault(values, []).append(o)
        if prop.direction is MANYTOONE:
            found: dict[Any, Any] = {}
            missing = []
            use_get = self._use_get_many()
            # the target's identity-map dict: keyed by the bare identity, as ``value`` is
            targets = session.identity_map.of(prop.mapper.identity_class,
                                              prop.mapper.single_pk)
            for value in by_key:
                if (value is None) if single else (None in value):
                    found[value] = None
                    continue
                if use_get:
                    hit = targets.get(value)
                    if hit is not None:
                        found[value] = hit
                        continue
                missing.append(value)
            child_keys = self._child_keys
            for target in self._run(session, missing, joined):
                td = target.__dict__
                found[td.get(child_keys[0]) if single
                      else tuple(td.get(k) for k in child_keys)] = target
            for value, owners in by_key.items():
                target = found.get(value)
                for o in owners:
                    attr.set_loaded(o, target)
                if target is not None:
                    related.append(target)
            return related
        keys = [v for v in by_key if v is not None] if single else \
            [v for v in by_key if None not in v]
        groups: dict[Any, list[Any]] = {}
        if prop.direction is MANYTOMANY:
            for row in self._run_rows(session, keys, joined):
                group = row[1] if single else tuple(row[1:])
                found_group = groups.get(group)
                if found_group is None:
                    groups[group] = [row[0]]
                else:
                    found_group.append(row[0])
        else:
            # Grouped by the key as the database has it, read from each child's row (a
            # child already in the session whose key was changed and not flushed yet
            # still belongs to its old parent): no per-child state lookups.
            grouped: defaultdict[Any, list[Any]] = defaultdict(list)
            if single:
                pos = self._child_positions[0]
                for rows, children in self._batches(session, keys, joined):
                    for row, child in zip(rows, children):
                        if child is not None:  # (a row with a NULL primary key)
                            grouped[row[pos]].append(child)
            else:
                key_of = itemgetter(*self._child_positions)
                for rows, children in self._batches(session, keys, joined):
                    for row, child in zip(rows, children):
                        if child is not None:
                            grouped[key_of(row)].append(child)
            groups = grouped
        make = collection_maker(prop.collection_class) if prop.uselist else None
        empty: list[Any] = []
        for value, owners in by_key.items():
            items = groups.get(value, empty)
            for o in owners:
                d = o.__dict__
                st = d.get(STATE_KEY)
                if st is not None and st.collections and key in st.collections:
                    continue  # changed while unloaded: a plain lazy load merges it later
                if make is not None:
                    d[key] = make(o, attr, items)
                else:
                    d[key] = items[0] if items else None
            if items:
                related.extend(items)
        return related

    def _use_get_many(self) -> bool:
        if self._statement is None:
            self._build()
        return self._use_get and self._get_order == list(range(len(self._get_order)))

    def _statements(self, session: Any, keys: list[Any]) -> Any:
        """(statement, parameters) per batch of ``keys`` (values of a one-column key,
        tuples of a composite one)."""
        from tether.sql.compiler import in_list_binds_as_array
        from tether.sql.expressions import tuple_

        batch = _BATCH
        if not self._composite and keys and in_list_binds_as_array(
                session._connection().dialect, self._key_col):
            batch = len(keys)
        for start in range(0, len(keys), batch):
            chunk = keys[start : start + batch]
            if not self._composite:
                yield self._batch_statement, {"_keys": chunk}
            else:
                stmt = self._base.where(tuple_(*self._key_cols).in_(chunk))
                if self._order_by:
                    stmt = stmt.order_by(*self._order_by)
                yield stmt, None

    def _fetch(self, session: Any, stmt: Any, params: Any, width: int,
               joined: Any) -> list[Any]:
        """Run one batch statement; with joined steps, extend it first and fill their
        relationships from the rows (which then repeat the batch's objects)."""
        plan = None
        if joined:
            from tether.orm.options import extend_with_joins

            stmt, plan = extend_with_joins(stmt, joined, {self.prop.mapper: 0}, width)
        conn = session._connection()
        rows = conn._rows(stmt, params)
        if plan:
            from tether.orm.options import fill_joined

            fill_joined(session, rows, plan)
        return rows  # type: ignore[no-any-return]

    def _run(self, session: Any, keys: list[Any], joined: Any = None) -> list[Any]:
        out: list[Any] = []
        for _, objs in self._batches(session, keys, joined):
            out.extend(objs)
        return out

    def _batches(self, session: Any, keys: list[Any],
                 joined: Any = None) -> Iterator[tuple[list[Any], list[Any]]]:
        """``(rows, objects)`` per batch statement for ``keys``: one object per row, in
        row order (with joined steps, a row repeating an earlier row's object is left
        out, rows and object alike)."""
        mapper = self.prop.mapper
        width = len(mapper.load_keys)
        for stmt, params in self._statements(session, keys):
            rows = self._fetch(session, stmt, params, width, joined)
            if not joined:
                yield rows, loading.instances(session, mapper, rows)
                continue
            load = loading.row_loader(session, mapper, 0)
            seen: set[int] = set()
            kept: list[Any] = []
            objs: list[Any] = []
            for row in rows:
                obj = load(row)
                if id(obj) not in seen:
                    seen.add(id(obj))
                    kept.append(row)
                    objs.append(obj)
            yield kept, objs

    def _run_rows(self, session: Any, keys: list[Any],
                  joined: Any = None) -> list[tuple[Any, ...]]:
        out: list[tuple[Any, ...]] = []
        mapper = self.prop.mapper
        width = len(mapper.load_keys)
        n_keys = len(self.prop.join.pairs) if self.prop.join is not None else 0
        for stmt, params in self._statements(session, keys):
            rows = self._fetch(session, stmt, params, width + n_keys, joined)
            load = loading.row_loader(session, mapper)
            pairs = [(load(r), *tuple(r[width : width + n_keys])) for r in rows]
            out.extend(_distinct(pairs) if joined else pairs)
        return out


def _distinct(pairs: Any) -> list[Any]:
    """``(object, *key)`` pairs in first-seen order without repeats (joined rows repeat
    their parent)."""
    seen: set[Any] = set()
    out = []
    for item in pairs:
        key = (id(item[0]), *item[1:])
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def load_eagerly(session: Any, mapper: Any, objs: list[Any], depth: int = 0) -> None:
    """Run the eager (``selectin``-style) strategies of ``mapper``'s relationships for
    ``objs``, then for the objects those load, level by level."""
    if not objs or depth > 8:
        return
    for prop in mapper.relationships.values():
        strategy = prop.strategy
        if not getattr(strategy, "eager", False):
            continue
        if prop.mapper is mapper and depth >= (prop.join_depth or 1):
            continue  # self-referential: stop unless join_depth asks for more levels
        related = strategy.load_many(session, objs)
        if related:
            load_eagerly(session, prop.mapper, related, depth + 1)
