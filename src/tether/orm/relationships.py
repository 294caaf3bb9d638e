"""The ``relationship()`` construct: its options, how its target and join are worked out
from foreign keys, and how its two sides are linked.

Join inference (:func:`infer_join`) is a pure function of the two tables (and the
optional ``secondary`` table and ``foreign_keys``/``remote_side`` hints); it is kept apart
from the runtime so configure-time diagnostics can call it and report every problem at
once. The runtime half (attribute events, loading) lives in ``attributes`` and
``strategies``.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tether.exc import AmbiguousForeignKeysError, ArgumentError, NoForeignKeysError

if TYPE_CHECKING:
    from tether.orm.mapper import Mapper

__all__ = [
    "MANYTOMANY",
    "MANYTOONE",
    "ONETOMANY",
    "CascadeOptions",
    "JoinInfo",
    "RelationshipDirection",
    "RelationshipProperty",
    "backref",
    "extra_criteria",
    "infer_join",
    "relationship",
]


class RelationshipDirection(enum.Enum):
    ONETOMANY = 1
    MANYTOONE = 2
    MANYTOMANY = 3


ONETOMANY = RelationshipDirection.ONETOMANY
MANYTOONE = RelationshipDirection.MANYTOONE
MANYTOMANY = RelationshipDirection.MANYTOMANY

#: ``lazy=`` values whose attribute is a query or write-only collection (tether.orm.dynamic)
LAZY_KINDS = ("dynamic", "write_only")

_ALL_CASCADES = frozenset(
    {"save-update", "merge", "refresh-expire", "expunge", "delete", "delete-orphan"}
)
_ALL_MEANS = frozenset({"save-update", "merge", "refresh-expire", "expunge", "delete"})


class CascadeOptions(frozenset[str]):
    """The parsed ``cascade=`` string: which session operations follow the relationship."""

    def __new__(cls, spec: str | Iterable[str] | None) -> CascadeOptions:
        if spec is None or spec is False:
            spec = "save-update, merge"
        names = [s.strip() for s in spec.split(",")] if isinstance(spec, str) else list(spec)
        values: set[str] = set()
        for name in names:
            if not name:
                continue
            if name == "all":
                values |= _ALL_MEANS
            elif name == "none":
                continue
            elif name in _ALL_CASCADES:
                values.add(name)
            else:
                raise ArgumentError(
                    f"unknown cascade option {name!r}; the options are: all, "
                    + ", ".join(sorted(_ALL_CASCADES))
                )
        return super().__new__(cls, values)

    def __repr__(self) -> str:
        return f"CascadeOptions({','.join(sorted(self))!r})"


@dataclass
class JoinInfo:
    """How two mapped tables join, as worked out from their foreign keys.

    ``pairs`` are ``(referenced column, referencing column)``: the first is the key on the
    "one" side (usually a primary key), the second the foreign-key column that copies it.
    For MANYTOMANY, ``pairs`` join the parent to ``secondary`` and ``secondary_pairs`` the
    target to ``secondary``, both as ``(parent/target column, secondary column)``.
    """

    direction: RelationshipDirection
    pairs: list[tuple[Any, Any]]
    secondary_pairs: list[tuple[Any, Any]] = field(default_factory=list)
    #: Further conditions of a ``primaryjoin=`` beyond the key pairs (``Card.archived ==
    #: False``): every load and join along the relationship adds them.
    extra: list[Any] = field(default_factory=list)


# Here, beside JoinInfo, not in orm.joins (the explicit primaryjoin= parser): every join
# and load along a relationship asks for its extra conditions, and most have none.
def extra_criteria(prop: Any, adapt_column: Any = None) -> list[Any]:
    """The relationship's extra ``primaryjoin`` conditions, with each column passed through
    ``adapt_column`` (to read it from an alias) when given."""
    join = getattr(prop, "join", None)
    extra = list(getattr(join, "extra", None) or ())
    if not extra or adapt_column is None:
        return extra
    from tether.sql.visitors import replace

    def swap(element: Any) -> Any:
        if _is_table_column(element):
            adapted = adapt_column(element)
            return adapted if adapted is not element else None
        return None

    return [replace(e, swap) for e in extra]


def _is_table_column(value: Any) -> bool:
    return getattr(value, "table", None) is not None and hasattr(value, "foreign_keys")


def _fk_groups(fks: list[Any]) -> list[list[Any]]:
    """Group foreign keys by the constraint they belong to (composite keys stay together)."""
    groups: dict[int, list[Any]] = {}
    for fk in fks:
        constraint = getattr(fk, "constraint", None)
        groups.setdefault(id(constraint) if constraint is not None else id(fk), []).append(fk)
    return list(groups.values())


def _describe(fks: Iterable[Any]) -> str:
    return ", ".join(f"{_colname(fk.parent)} -> {_colname(fk.column)}" for fk in fks)


def _colname(col: Any) -> str:
    table = getattr(col, "table", None)
    return f"{table.name}.{col.name}" if table is not None else str(col.name)


def _fks_between(from_table: Any, to_table: Any, only: set[Any] | None) -> list[Any]:
    out = []
    for fk in from_table.foreign_keys:
        target = fk.column
        if target.table is to_table and (only is None or fk.parent in only):
            out.append(fk)
    return out


def _pick_group(fks: list[Any], where: str, what: str) -> list[Any]:
    groups = _fk_groups(fks)
    if len(groups) > 1:
        raise AmbiguousForeignKeysError(
            f"{what}: more than one foreign key could join {where} ({_describe(fks)}); "
            "say which one with foreign_keys=[...], for example "
            f"foreign_keys=[{_colname(groups[0][0].parent)}]"
        )
    return groups[0]


def infer_join(
    parent_table: Any,
    target_table: Any,
    *,
    secondary: Any = None,
    foreign_keys: Iterable[Any] | None = None,
    remote_side: Iterable[Any] | None = None,
    what: str = "relationship",
) -> JoinInfo:
    """Work out direction and key pairs of a relationship from foreign keys.

    Raises :class:`NoForeignKeysError` when no foreign key joins the tables and
    :class:`AmbiguousForeignKeysError` when several could and no hint picks one.
    """
    only = set(foreign_keys) if foreign_keys else None
    if secondary is not None:
        to_parent = _fks_between(secondary, parent_table, only)
        to_target = _fks_between(secondary, target_table, only)
        if parent_table is target_table:
            raise ArgumentError(
                f"{what}: a many-to-many relationship from a table to itself needs "
                "primaryjoin= and secondaryjoin= to say which column of "
                f"{secondary.name} points at the parent and which at the child"
            )
        if not to_parent or not to_target:
            missing = parent_table.name if not to_parent else target_table.name
            raise NoForeignKeysError(
                f"{what}: the secondary table {secondary.name} has no foreign key to "
                f"{missing}; add ForeignKey('{missing}.<key column>') to one of its columns"
            )
        pg = _pick_group(to_parent, f"{secondary.name} and {parent_table.name}", what)
        tg = _pick_group(to_target, f"{secondary.name} and {target_table.name}", what)
        return JoinInfo(
            MANYTOMANY,
            [(fk.column, fk.parent) for fk in pg],
            [(fk.column, fk.parent) for fk in tg],
        )

    onetomany = _fks_between(target_table, parent_table, only)
    manytoone = _fks_between(parent_table, target_table, only)
    if parent_table is target_table:
        if not onetomany:
            raise NoForeignKeysError(
                f"{what}: table {parent_table.name} has no foreign key to itself"
            )
        group = _pick_group(onetomany, f"{parent_table.name} to itself", what)
        remote = set(remote_side) if remote_side else set()
        if remote and any(fk.column in remote for fk in group):
            return JoinInfo(MANYTOONE, [(fk.column, fk.parent) for fk in group])
        return JoinInfo(ONETOMANY, [(fk.column, fk.parent) for fk in group])
    if onetomany and manytoone:
        raise AmbiguousForeignKeysError(
            f"{what}: {parent_table.name} and {target_table.name} have foreign keys to each "
            f"other ({_describe(onetomany + manytoone)}); say which one this relationship "
            f"uses with foreign_keys=[...]"
        )
    if not onetomany and not manytoone:
        raise NoForeignKeysError(
            f"{what}: no foreign key joins {parent_table.name} and {target_table.name}; add "
            f"ForeignKey('{target_table.name}.<key column>') to a column of "
            f"{parent_table.name} (many-to-one), or ForeignKey('{parent_table.name}.<key "
            f"column>') to a column of {target_table.name} (one-to-many)"
        )
    if onetomany:
        group = _pick_group(onetomany, f"{parent_table.name} and {target_table.name}", what)
        return JoinInfo(ONETOMANY, [(fk.column, fk.parent) for fk in group])
    group = _pick_group(manytoone, f"{parent_table.name} and {target_table.name}", what)
    return JoinInfo(MANYTOONE, [(fk.column, fk.parent) for fk in group])


class _Backref:
    """What ``backref("name", ...)`` returns: the name and options of the other side."""

    def __init__(self, name: str, **kwargs: Any) -> None:
        self.name = name
        self.kwargs = kwargs

    def __repr__(self) -> str:
        return f"backref({self.name!r})"


def backref(name: str, **kwargs: Any) -> Any:
    """Options for the relationship that ``relationship(..., backref=...)`` creates on the
    other class."""
    return _Backref(name, **kwargs)


_UNSET: Any = object()  # a dataclass option not given


class RelationshipProperty:
    """A configured relationship between two mapped classes."""

    def __init__(
        self,
        argument: Any = None,
        secondary: Any = None,
        *,
        uselist: bool | None = None,
        collection_class: Any = None,
        primaryjoin: Any = None,
        secondaryjoin: Any = None,
        back_populates: str | None = None,
        backref: Any = None,
        order_by: Any = False,
        lazy: str | bool | None = "select",
        cascade: Any = None,
        viewonly: bool = False,
        foreign_keys: Any = None,
        remote_side: Any = None,
        post_update: bool = False,
        passive_deletes: bool | str = False,
        passive_updates: bool = True,
        overlaps: str | None = None,
        single_parent: bool = False,
        innerjoin: bool = False,
        join_depth: int | None = None,
        info: dict[str, Any] | None = None,
        doc: str | None = None,
        sync_backref: bool | None = None,
        enable_typechecks: bool = True,
        cascade_backrefs: bool = False,
        omit_join: Any = None,
        distinct_target_key: Any = None,
        bake_queries: Any = None,
        query_class: Any = None,
        active_history: bool = False,
        raiseload: bool = False,
        init: Any = _UNSET,
        repr: Any = _UNSET,  # noqa: A002 - the dataclass option's name
        default: Any = _UNSET,
        default_factory: Any = _UNSET,
        compare: Any = _UNSET,
        kw_only: Any = _UNSET,
        hash: Any = _UNSET,  # noqa: A002 - the dataclass option's name
        _declared_at: tuple[str, int] | None = None,
    ) -> None:
        #: dataclass field options (init=, default=, ...) for MappedAsDataclass classes
        self.dataclass_options = {
            k: v for k, v in (("init", init), ("repr", repr), ("default", default),
                              ("default_factory", default_factory), ("compare", compare),
                              ("kw_only", kw_only), ("hash", hash)) if v is not _UNSET}
        self.argument = argument
        self.secondary = secondary
        self.uselist_arg = uselist
        self.collection_class = collection_class
        self.primaryjoin = primaryjoin
        self.secondaryjoin = secondaryjoin
        self.back_populates = back_populates
        self.backref = backref
        self.order_by = order_by
        self.lazy = "select" if lazy is True or lazy is None else ("noload" if lazy is False else lazy)
        self.cascade = CascadeOptions(cascade)
        self.cascade_save_update = "save-update" in self.cascade
        self.viewonly = viewonly
        self.foreign_keys_arg = foreign_keys
        self.remote_side_arg = remote_side
        self.post_update = post_update
        self.passive_deletes = passive_deletes
        self.passive_updates = passive_updates
        self.overlaps = overlaps
        self.single_parent = single_parent
        self.innerjoin = innerjoin
        self.join_depth = join_depth
        self.info = info or {}
        self.doc = doc
        self.sync_backref = sync_backref
        self.declared_at = _declared_at
        if viewonly:
            self.cascade = CascadeOptions(())
            self.cascade_save_update = False

        # filled in by the mapper and configure()
        self.key: str = ""
        self.parent: Mapper = None  # type: ignore[assignment]
        self.mapper: Mapper = None  # type: ignore[assignment]
        self.attr: Any = None
        self.target: Any = None
        self.direction: RelationshipDirection | None = None
        self.uselist = True
        self.join: JoinInfo | None = None
        #: (parent-side column, target-side column) for loading and joining.
        self.local_remote_pairs: list[tuple[Any, Any]] = []
        self.reverse_property: RelationshipProperty | None = None
        self.strategy: Any = None
        #: The unaliased ``[(from, onclause), ...]`` of ``select(Parent).join(Parent.rel)``,
        #: built on first use after configuration (see ``comparators.join_path``).
        self.join_steps: list[tuple[Any, Any]] | None = None
        self.configured = False
        self._is_backref = False
        # From a ``Mapped[...]`` annotation, filled by declarative scanning.
        self._annotation_target: Any = None
        self._annotation_collection: Any = None

    # --- configuration -------------------------------------------------------------------
    @property
    def class_attribute(self) -> Any:
        return self.attr

    def __repr__(self) -> str:
        owner = self.parent.class_.__name__ if self.parent is not None else "?"
        return f"<relationship {owner}.{self.key}>"

    @property
    def what(self) -> str:
        where = ""
        if self.declared_at:
            where = f" (declared at {self.declared_at[0]}:{self.declared_at[1]})"
        owner = self.parent.class_.__name__ if self.parent is not None else "?"
        return f"relationship {owner}.{self.key}{where}"

    def resolve_target(self) -> Mapper:
        """Find the target mapper from the string, class, lambda or annotation given."""
        arg = self.argument if self.argument is not None else self._annotation_target
        if arg is None:
            raise ArgumentError(f"{self.what}: no target class given")
        target = self.parent.registry.resolve(arg, self)
        mapper = getattr(target, "__mapper__", None)
        if mapper is None:
            raise ArgumentError(f"{self.what}: {target!r} is not a mapped class")
        return mapper  # type: ignore[no-any-return]

    def _resolve_columns(self, value: Any) -> list[Any] | None:
        if value is None:
            return None
        if isinstance(value, str) or callable(value) and not hasattr(value, "table"):
            value = self.parent.registry.evaluate(value, self)
        if not isinstance(value, list | tuple | set | frozenset):
            value = [value]
        out = []
        for v in value:
            ce = getattr(v, "__clause_element__", None)
            out.append(ce() if ce is not None else v)
        return out

    def configure(self) -> None:
        """Resolve the target, infer the join and pick the loader strategy."""
        from tether.orm.strategies import strategy_for

        self.mapper = self.resolve_target()
        self.target = self.mapper.local_table
        secondary = self.secondary
        if secondary is not None and not hasattr(secondary, "c"):
            secondary = self.parent.registry.resolve_table(secondary, self)
        self.secondary = secondary
        if self.primaryjoin is not None or self.secondaryjoin is not None:
            from tether.orm.joins import join_from_expressions

            self.join = join_from_expressions(self)
        else:
            self.join = infer_join(
                self.parent.local_table,
                self.target,
                secondary=secondary,
                foreign_keys=self._resolve_columns(self.foreign_keys_arg),
                remote_side=self._resolve_columns(self.remote_side_arg),
                what=self.what,
            )
        self.direction = self.join.direction
        if self.direction is ONETOMANY:
            self.local_remote_pairs = list(self.join.pairs)
        elif self.direction is MANYTOONE:
            self.local_remote_pairs = [(fk, ref) for ref, fk in self.join.pairs]
        else:
            self.local_remote_pairs = list(self.join.pairs)
        if self.uselist_arg is not None:
            self.uselist = self.uselist_arg
        else:
            self.uselist = self.direction is not MANYTOONE
            if self._annotation_collection is False:
                self.uselist = False
        if self.collection_class is None:
            self.collection_class = self._annotation_collection or list
        self.strategy = strategy_for(self)
        self.join_steps = None
        self.configured = True

    # --- class-level comparisons (User.posts.any(...), Post.author == u) ----------------
    def comparator(self, attr: Any) -> Any:
        from tether.orm.comparators import RelationshipComparator

        return RelationshipComparator(self, attr)

    def comparator_clause(self) -> Any:
        from tether.sql.elements import and_

        return and_(*(local == remote for local, remote in self.local_remote_pairs))


def relationship(argument: Any = None, secondary: Any = None, **kwargs: Any) -> Any:
    """Declare a relationship to another mapped class (a class, its name, or a lambda).

    Raises :class:`ArgumentError` for an unknown cascade option; everything that depends on
    the other class is checked when the mappers are configured.
    """
    import sys

    frame = sys._getframe(1)
    kwargs.setdefault("_declared_at", (frame.f_code.co_filename, frame.f_lineno))
    return RelationshipProperty(argument, secondary, **kwargs)

