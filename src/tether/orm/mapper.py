"""The mapper: how one class maps onto one table.

A :class:`Mapper` lists the class's column and relationship properties, installs the
instrumented attributes on the class, and precomputes what the hot paths need (the
attribute key of each table column in order, where the primary key sits in a row, cached
statements). :func:`configure_mappers` resolves every relationship once all classes exist.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from tether.exc import ArgumentError, InvalidRequestError
from tether.orm.attributes import ColumnAttribute, RelationshipAttribute
from tether.orm.exc import UnmappedClassError
from tether.orm.relationships import (
    LAZY_KINDS,
    MANYTOMANY,
    MANYTOONE,
    ONETOMANY,
    JoinInfo,
    RelationshipProperty,
)
from tether.util import events

if TYPE_CHECKING:
    from tether.orm.decl_base import registry as Registry

__all__ = [
    "ColumnProperty",
    "Mapper",
    "class_mapper",
    "clear_mappers",
    "configure_mappers",
    "object_mapper",
]

_configure_lock = threading.RLock()
_registries: weakref.WeakSet[Any] = weakref.WeakSet()
#: True while some mapper has not been configured; checked on first use of mapped classes.
_new_mappers = False


class ColumnProperty:
    """A mapped column: attribute ``key`` holds the value of ``column``."""

    is_relationship = False

    def __init__(self, key: str, column: Any, *, deferred: bool = False) -> None:
        self.key = key
        self.column = column
        self.columns = [column]
        self.deferred = deferred
        self.parent: Mapper | None = None
        self.attr: ColumnAttribute | None = None

    @property
    def class_attribute(self) -> Any:
        return self.attr

    def __repr__(self) -> str:
        return f"<ColumnProperty {self.key}>"


def _pk_columns(table: Any) -> list[Any]:
    pk = table.primary_key
    cols = getattr(pk, "columns", pk)
    return list(cols)



class Properties(dict[str, Any]):
    """``mapper.attrs`` (``inspect(User).attrs``): the mapped properties by key. As in
    SQLAlchemy, iterating gives the properties themselves and ``attrs.name`` is the one
    named; ``keys()``/``items()``/``[key]`` work as on a dict (tether's own code uses them)."""

    __slots__ = ()

    def __iter__(self) -> Iterator[Any]:  # type: ignore[override]
        return iter(self.values())

    def __getattr__(self, key: str) -> Any:
        try:
            return self[key]
        except KeyError:
            raise AttributeError(
                f"no mapped attribute {key!r}; the mapper has {', '.join(self.keys())}"
            ) from None


class Mapper:
    """Maps ``class_`` to ``local_table``."""

    def __init__(
        self,
        class_: type,
        local_table: Any,
        registry: Registry,
        properties: dict[str, Any],
    ) -> None:
        global _new_mappers
        self.class_ = class_
        self.local_table = local_table
        self.persist_selectable = local_table
        self.registry = registry
        self.identity_class = class_
        self.attrs: dict[str, Any] = Properties()
        self.column_attrs: list[ColumnProperty] = []
        self.relationships: dict[str, RelationshipProperty] = {}
        self.columntoproperty: dict[Any, ColumnProperty] = {}
        self.configured = False
        self.primary_key = _pk_columns(local_table)
        if not self.primary_key:
            raise ArgumentError(
                f"class {class_.__name__} cannot be mapped: table {local_table.name} has no "
                "primary key; mark a column with primary_key=True"
            )
        #: one-column primary key: its identity is the bare value (``tether.orm.identity``)
        self.single_pk = len(self.primary_key) == 1
        class_._tether_attrs = {}  # type: ignore[attr-defined]
        class_._tether_setters = {}  # type: ignore[attr-defined]
        for key, prop in properties.items():
            self._add(key, prop)
        # Table columns not named in the class are still mapped, under their own key.
        for col in local_table.c:
            if col not in self.columntoproperty:
                key = col.key
                if key in self.attrs:
                    continue
                self._add(key, ColumnProperty(key, col))
        self._setup_load_plan()
        from tether.orm.validators import install

        install(self)
        for key, attr in class_._tether_attrs.items():  # type: ignore[attr-defined]
            if attr.validator is not None:
                class_._tether_setters[key] = attr.make_setter()  # type: ignore[attr-defined]
        class_.__mapper__ = self  # type: ignore[attr-defined]
        registry.mappers.append(self)
        registry._dirty = True
        _new_mappers = True

    # --- properties ----------------------------------------------------------------------
    def _add(self, key: str, prop: Any) -> None:
        prop.key = key
        prop.parent = self
        self.attrs[key] = prop
        if isinstance(prop, ColumnProperty):
            self.column_attrs.append(prop)
            self.columntoproperty[prop.column] = prop
            attr: Any = ColumnAttribute(self.class_, key, prop, prop.column)
        else:
            self.relationships[key] = prop
            if prop.lazy in LAZY_KINDS:
                # Few programs have dynamic relationships: their module loads with the first.
                from tether.orm.dynamic import DynamicAttribute

                attr = DynamicAttribute(self.class_, key, prop)
            else:
                attr = RelationshipAttribute(self.class_, key, prop)
        prop.attr = attr
        setattr(self.class_, key, attr)
        self.class_._tether_attrs[key] = attr  # type: ignore[attr-defined]
        self.class_._tether_setters[key] = attr.make_setter()  # type: ignore[attr-defined]

    def add_property(self, key: str, prop: Any) -> None:
        """Add a property after mapping (backrefs use this)."""
        global _new_mappers
        self._add(key, prop)
        if isinstance(prop, ColumnProperty):
            self._setup_load_plan()
        else:
            self._forget_plans()
            self.configured = False
            self.registry._dirty = True
            _new_mappers = True

    def get_property(self, key: str) -> Any:
        try:
            return self.attrs[key]
        except KeyError:
            raise InvalidRequestError(
                f"{self.class_.__name__} has no mapped attribute {key!r}; it has: "
                + ", ".join(self.attrs.keys())
            ) from None

    def get_property_by_column(self, column: Any) -> ColumnProperty:
        return self.columntoproperty[column]

    @property
    def columns(self) -> list[Any]:
        return [p.column for p in self.column_attrs]

    @property
    def tables(self) -> list[Any]:
        return [self.local_table]

    @property
    def entity(self) -> type:
        return self.class_

    @property
    def mapper(self) -> Mapper:
        return self

    @property
    def base_mapper(self) -> Mapper:
        return self

    def __repr__(self) -> str:
        return f"<Mapper {self.class_.__name__} -> {self.local_table.name}>"

    # --- precomputed plans -----------------------------------------------------------------
    def _forget_plans(self) -> None:
        """Drop every plan derived from this mapper's properties (loaders, the delete
        cascade's relationships, the save-update cascade's keys, cached statements); each
        is rebuilt on its next use."""
        self.__dict__.pop("_loader_plans", None)
        self.__dict__.pop("_delete_cascades", None)
        self.__dict__.pop("_save_update_keys", None)
        self.statement_cache: dict[Any, Any] = {}

    def _setup_load_plan(self) -> None:
        # row positions cached by tether.orm.loading depend on the columns planned here
        self._forget_plans()
        table_cols = list(self.local_table.c)
        self.table_columns = table_cols
        #: attribute key for each table column in table order (None: not mapped).
        self.load_keys: tuple[str | None, ...] = tuple(
            self.columntoproperty[c].key if c in self.columntoproperty else None
            for c in table_cols
        )
        self.all_keys_mapped = all(k is not None for k in self.load_keys)
        self.pk_keys: list[str] = [self.columntoproperty[c].key for c in self.primary_key]
        pos = [table_cols.index(c) for c in self.primary_key]
        self.pk_positions = pos
        if len(pos) == 1:
            p = pos[0]
            self.pk_from_row: Any = lambda row: (row[p],)
        else:
            getter = itemgetter(*pos)
            self.pk_from_row = lambda row: tuple(getter(row))
        self.column_keys: list[str] = [p.key for p in self.column_attrs]
        #: columns left out of loaded objects until first accessed (``deferred()``)
        self.deferred_keys: frozenset[str] = frozenset(
            p.key for p in self.column_attrs if p.deferred
        )
        #: attribute key -> Column, for building statements from an object's dict.
        self.key_to_column: dict[str, Any] = {p.key: p.column for p in self.column_attrs}

    def identity_key_from_primary_key(self, pk: Any) -> tuple[Any, tuple[Any, ...]]:
        if not isinstance(pk, tuple):
            pk = tuple(pk) if isinstance(pk, list) else (pk,)
        return (self.identity_class, pk)

    def primary_key_from_instance(self, obj: Any) -> tuple[Any, ...]:
        d = obj.__dict__
        return tuple(d.get(k) for k in self.pk_keys)

    # --- configuration -----------------------------------------------------------------
    def _configure_relationships(self, problems: list[Exception]) -> None:
        for prop in list(self.relationships.values()):
            if prop.configured:
                continue
            try:
                if getattr(prop, "_forced_join", None) is not None:
                    _configure_from_join(prop)
                else:
                    prop.configure()
            except ArgumentError as err:
                problems.append(err)

    def _link_relationships(self, problems: list[Exception]) -> None:
        for prop in list(self.relationships.values()):
            if not prop.configured or prop.reverse_property is not None and prop._is_backref:
                continue
            try:
                _link(prop)
            except ArgumentError as err:
                problems.append(err)


def _back_populates_problem(prop: RelationshipProperty) -> Exception | None:
    """The error for a ``back_populates`` naming nothing on the other class, if any."""
    if not prop.back_populates or prop._is_backref:
        return None
    try:
        target = prop.resolve_target()
    except Exception:  # an unresolvable target is reported on its own
        return None
    other = target.attrs.get(prop.back_populates)
    if isinstance(other, RelationshipProperty):
        return None
    have = [k for k, p in target.attrs.items() if isinstance(p, RelationshipProperty)]
    return RelationshipConfigError(
        f"{prop.what}: back_populates={prop.back_populates!r} but "
        f"{target.class_.__name__} has no relationship of that name (its "
        f"relationships: {', '.join(have) or 'none'})"
    )


def _link(prop: RelationshipProperty) -> None:
    target = prop.mapper
    if prop.back_populates:
        other = target.attrs.get(prop.back_populates)
        if other is None or not isinstance(other, RelationshipProperty):
            have = [k for k, p in target.attrs.items() if isinstance(p, RelationshipProperty)]
            raise RelationshipConfigError(
                f"{prop.what}: back_populates={prop.back_populates!r} but "
                f"{target.class_.__name__} has no relationship of that name (its "
                f"relationships: {', '.join(have) or 'none'})"
            )
        prop.reverse_property = other
        if other.configured and other.back_populates == prop.key:
            other.reverse_property = prop
    if prop.backref and not prop._is_backref:
        spec = prop.backref
        name, kwargs = (spec, {}) if isinstance(spec, str) else (spec.name, dict(spec.kwargs))
        if name in target.attrs:
            existing = target.attrs[name]
            if getattr(existing, "reverse_property", None) is prop:
                return
            raise ArgumentError(
                f"{prop.what}: backref {name!r} would create {target.class_.__name__}.{name}, "
                "but that attribute already exists; rename the backref or use "
                "back_populates on both sides"
            )
        kwargs.setdefault("_declared_at", prop.declared_at)
        if prop.direction is MANYTOMANY:
            kwargs.setdefault("secondary", prop.secondary)
        secondary = kwargs.pop("secondary", None)
        other = RelationshipProperty(prop.parent.class_, secondary, **kwargs)
        other._is_backref = True
        other.back_populates = prop.key
        other.argument = prop.parent.class_
        other._forced_join = _reverse_join(prop.join)  # type: ignore[attr-defined]
        if "passive_updates" not in kwargs:
            other.passive_updates = prop.passive_updates
        target.add_property(name, other)
        _configure_from_join(other)
        prop.reverse_property = other
        other.reverse_property = prop


class RelationshipConfigError(ArgumentError, InvalidRequestError):
    """A relationship names something on the other class that is not there."""


def _reverse_join(join: JoinInfo | None) -> JoinInfo:
    assert join is not None
    if join.direction is MANYTOMANY:
        return JoinInfo(MANYTOMANY, list(join.secondary_pairs), list(join.pairs),
                        extra=list(join.extra))
    direction = MANYTOONE if join.direction is ONETOMANY else ONETOMANY
    return JoinInfo(direction, list(join.pairs), extra=list(join.extra))


def _configure_from_join(prop: RelationshipProperty) -> None:
    from tether.orm.strategies import strategy_for

    prop.mapper = prop.resolve_target()
    prop.target = prop.mapper.local_table
    join = prop._forced_join  # type: ignore[attr-defined]
    prop.join = join
    prop.direction = join.direction
    if join.direction is MANYTOONE:
        prop.local_remote_pairs = [(fk, ref) for ref, fk in join.pairs]
    else:
        prop.local_remote_pairs = list(join.pairs)
    if prop.uselist_arg is not None:
        prop.uselist = prop.uselist_arg
    else:
        prop.uselist = join.direction is not MANYTOONE
    if prop.collection_class is None:
        prop.collection_class = list
    prop.strategy = strategy_for(prop)
    prop.join_steps = None
    prop.configured = True


def configure_mappers() -> None:
    """Resolve every relationship of every mapped class.

    Runs automatically on first use of the mapped classes. Raises an ``ArgumentError``
    subclass describing every relationship that cannot be set up.
    """
    global _new_mappers
    if not _new_mappers:
        return
    with _configure_lock:
        if not _new_mappers:
            return
        failures: list[Exception] = []
        for reg in list(_registries):
            if reg._dirty:
                try:
                    configure_registry(reg)
                except Exception as err:  # report the first; the rest stay dirty
                    failures.append(err)
        if failures:
            raise failures[0]
        _new_mappers = False


def configure_registry(reg: Any) -> None:
    """Configure the mappers of one registry (``registry.configure()``)."""
    with _configure_lock:
        if not reg._dirty:
            return
        problems: list[Exception] = []
        mappers = [m for m in reg.mappers if not m.configured]
        # every mistake at once, from the declared arguments (orm/diagnostics.py)
        from tether.orm.diagnostics import raise_for_problems

        raise_for_problems(mappers)
        for mapper in mappers:
            mapper._configure_relationships(problems)
        if not problems:
            for mapper in mappers:
                mapper._link_relationships(problems)
        else:
            # report naming mistakes too, so one exception lists everything
            for mapper in mappers:
                for prop in mapper.relationships.values():
                    problem = _back_populates_problem(prop)
                    if problem is not None:
                        problems.append(problem)
        if problems:
            _raise_problems(problems)
        for mapper in mappers:
            mapper.configured = True
        # backrefs may have added properties to mappers of this registry
        if any(not m.configured for m in reg.mappers):
            reg._dirty = True
            configure_registry(reg)
            return
        reg._dirty = False
        # The process-wide flag is what every query checks first; once no registry is
        # left to configure it must read False again, or each query keeps asking every
        # entity's registry (the per-registry route does not pass configure_mappers).
        global _new_mappers
        if not any(r._dirty for r in list(_registries)):
            _new_mappers = False


def _raise_problems(problems: list[Exception]) -> None:
    if len(problems) == 1:
        raise problems[0]
    first = problems[0]
    text = f"{len(problems)} relationship problems:\n" + "\n".join(
        f"  - {p}" for p in problems
    )
    err = type(first)(text)
    err.problems = problems  # type: ignore[attr-defined]
    raise err


def clear_mappers() -> None:
    """Forget every mapping made so far (mostly for tests)."""
    global _new_mappers
    with _configure_lock:
        for reg in list(_registries):
            reg.dispose()
        _new_mappers = False


def register_registry(reg: Any) -> None:
    _registries.add(reg)


def needs_configure() -> bool:
    return _new_mappers


def class_mapper(class_: type) -> Mapper:
    """The mapper of ``class_``; raises :class:`UnmappedClassError` if it has none."""
    mapper = getattr(class_, "__mapper__", None)
    if mapper is None:
        raise UnmappedClassError(f"class {getattr(class_, '__name__', class_)!r} is not mapped")
    mapper.registry.configure_if_needed()
    return mapper  # type: ignore[no-any-return]


def object_mapper(obj: Any) -> Mapper:
    return class_mapper(type(obj))


def mapper_targets(mapper: Mapper) -> tuple[Any, ...]:
    """Who hears ``mapper``'s events: its class, the mapper, and the Mapper class."""
    return (mapper.class_, mapper, Mapper)


events.declare(
    (Mapper,),
    ("before_insert", "after_insert", "before_update", "after_update", "before_delete",
     "after_delete"),
    "mapper",
    match=lambda target: isinstance(target, type) and "__mapper__" in target.__dict__,
)
