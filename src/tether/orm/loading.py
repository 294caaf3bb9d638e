"""Rows to objects: the load hot path, and the result objects ``Session.execute`` returns
for ORM statements.

Per mapper and row shape a loader is generated once (attribute key per column,
primary-key positions, compiled into straight-line Python); per row it does one
identity-map lookup and, for a new object, creates it with ``__new__`` (no ``__init__``),
stores each column's value into ``__dict__``, marks it loaded (a shared
:class:`~tether.orm.state.LoadedMark`, not a state of its own) and maps it.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from tether.exc import InvalidRequestError, MultipleResultsFound, NoResultFound
from tether.orm.state import STATE_KEY, InstanceState, LoadedMark
from tether.util import codegen

__all__ = [
    "ORMResult", "ORMRow", "ScalarResult", "instances", "load_one", "one_loader", "row_loader",
]


def row_loader(session: Any, mapper: Any, offset: int = 0,
               skip: frozenset[str] | None = None, populate_existing: bool = False) -> Any:
    """A function ``row -> object`` for rows whose columns ``offset:offset+n`` are
    ``mapper``'s table columns in table order (more columns may follow). ``skip``: attribute keys left unloaded (deferred columns; by default the
    mapper's own deferred ones)."""
    identity_map = session.identity_map
    loaders = identity_map.loaders
    if loaders is None:
        loaders = identity_map.loaders = {}
    default = skip is None and not offset and not populate_existing
    if default:
        # The loader of every plain ``select(Class)``: found by mapper alone, valid while
        # the mapper keeps the plans it was made from (a reconfigure drops them).
        entry = loaders.get(mapper)
        if entry is not None and entry[0] is mapper.__dict__.get("_loader_plans", entry):
            return entry[1]
    if skip is None:
        skip = mapper.deferred_keys
    pairs, make_loader = _plan(mapper, offset, skip)
    # One loader per session and shape: a loader binds the session and its identity map's
    # dict of the class, so it is kept on that IdentityMap (a session that closes gets a
    # new one, and the cache with it); keyed by the generated factory, which a
    # reconfigured mapper replaces. Lazy loads ask for the same loader once per parent.
    cache_key = (make_loader, populate_existing)
    load = loaders.get(cache_key)
    if load is None:
        load = make_loader(session, _filler(pairs, populate_existing), populate_existing)
        if mapper.configured:
            loaders[cache_key] = load
    plans = mapper.__dict__.get("_loader_plans")
    if default and plans is not None:
        loaders[mapper] = (plans, load)
    return load


def _filler(pairs: list[tuple[str, int]], populate_existing: bool) -> Any:
    """The ``fill_expired(obj, row)`` of a loader reading ``pairs``."""

    def fill_expired(obj: Any, row: Sequence[Any]) -> None:
        """An object already in the identity map: a row fills only its unloaded
        attributes (expired ones, or a deferred column the query undefers; loaded values
        and local changes stay), or all of them with ``populate_existing``."""
        d = obj.__dict__
        state = d[STATE_KEY]
        if populate_existing:
            # execution_options(populate_existing=True): the row wins over local changes
            for k, i in pairs:
                d[k] = row[i]
            if state.__class__ is not LoadedMark:  # (a mark has no changes or expiry)
                for k, _ in pairs:
                    state.forget(k)
                state.expired = False
            return
        for k, i in pairs:
            if k not in d:
                d[k] = row[i]
        if state.__class__ is not LoadedMark and state.expired:
            state.expired = False
            state.expired_by_commit = False

    return fill_expired


def _plan(mapper: Any, offset: int, skip: frozenset[str]) -> tuple[Any, Any]:
    """For one mapper and row shape: the ``(attribute key, row position)`` pairs a loader
    reads, and the loader factory generated for them (see :func:`_generate`). Made once
    per mapper and shape (every lazy load and selectin batch asks for the same one)."""
    cache = mapper.__dict__.get("_loader_plans")
    if cache is None:
        cache = {}
        if mapper.configured:
            mapper._loader_plans = cache
    plan_key = (offset, skip)
    plan = cache.get(plan_key)
    if plan is None:
        pairs = [(k, i + offset) for i, k in enumerate(mapper.load_keys)
                 if k is not None and k not in skip]
        pk_pos = [p + offset for p in mapper.pk_positions]
        # a mark stands for the state only if the primary key is loaded into __dict__
        marked = skip.isdisjoint(mapper.pk_keys)
        plan = cache[plan_key] = (pairs, _generate(mapper, pk_pos, pairs, marked))
    return plan  # type: ignore[no-any-return]


def loaded_mark(session: Any, mapper: Any, shape: Any = None) -> LoadedMark:
    """The :class:`LoadedMark` of ``mapper``'s objects loaded into ``session``'s current
    identity map with the attribute keys ``shape`` stands for: ``mapper`` itself (also
    the default) for its default keys (every column not deferred, as ``select(Class)`` and
    ``Session.get`` load), else ``(mapper, frozenset of keys)``. One per map, mapper and
    key set: a map outlives no close, so a mark is never shared by two sessions or across
    a close, and an object still holding the mark a loader gives has every key that
    loader writes (a mark is replaced by a state before any value is dropped), which is
    the loader's whole test for a repeated row."""
    identity_map = session.identity_map
    marks = identity_map.marks
    if marks is None:
        marks = identity_map.marks = {}
    if shape is None:
        shape = mapper
    mark = marks.get(shape)
    if mark is None:
        # LoadedMark() runs no Python __init__ (it has none; see its slots) and, a type
        # call of C functions only, costs less than object.__new__(LoadedMark); the
        # one-row loader (one_loader) makes its marks as this does, inline
        mark = marks[shape] = LoadedMark()
        mark.session = session
        mark.mapper = mapper
        mark.pk_keys = pk_keys = mapper.pk_keys
        mark.pk_key = pk_keys[0] if mapper.single_pk else None
        mark._flags = 0
    return mark  # type: ignore[no-any-return]


def _generate(mapper: Any, pk_pos: list[int], pairs: list[tuple[str, int]],
              marked: bool) -> Any:
    """``make_loader(session, fill_expired, refill)``, returning the row -> object function
    of one query, compiled from Python source made for this mapper and row shape.

    Why generated: a new object's values are written as one ``d[key] = row[i]`` per
    column, about twice as fast per row as ``d.update(zip(keys, row))`` into an instance
    ``__dict__``, and instead of a state the object gets the session's shared
    :class:`~tether.orm.state.LoadedMark` of the mapper (``marked``; without it, when the
    row shape leaves a primary-key column unloaded, a state made by ``__init__``). The
    only names in the source are ours: attribute keys enter as string literals
    (``repr``), positions as integers; everything else is passed in the namespace.
    Compiling costs about a millisecond per mapper and shape (Python's parser, per token),
    so the source holds only the per-row function: what is found once per query (the
    identity map's dict, the mark) is found by the plain ``make_loader`` below and handed
    in."""
    if len(pk_pos) == 1:
        ident = [f"ident = row[{pk_pos[0]}]", "if ident is None:", "    return None"]
    else:
        ident = [f"ident = ({', '.join(f'row[{p}]' for p in pk_pos)},)",
                 "if None in ident:", "    return None"]
    create = [
        "obj = new(cls)",
        "d = obj.__dict__",
        *(f"d[{k!r}] = row[{i}]" for k, i in pairs),
        *([f"d[{STATE_KEY!r}] = mark"] if marked else [
            "st = State(obj, mapper, None, session)",
            "st.ident = ident",
            f"d[{STATE_KEY!r}] = st"]),
        "objs[ident] = obj",
        "return obj",
    ]
    source = "\n".join([
        "def bind(session, objs, objs_get, mark, fill_expired, refill):",
        "    def load(row):",
        *("        " + line for line in ident),
        "        obj = objs_get(ident)",
        "        if obj is None:",
        *("            " + line for line in create),
        # An object already mapped: fill_expired has nothing to do when every key is
        # loaded and the object is not expired (the usual repeat of a row), so the call
        # is made only when it may. An object still holding this loader's own mark was
        # loaded with these keys and is untouched since (see loaded_mark): no key test.
        "        d = obj.__dict__",
        f"        if refill or (st := d[{STATE_KEY!r}]) is not mark and (not d.keys() >= keys"
        " or st.__class__ is not LoadedMark and st.expired):",
        "            fill_expired(obj, row)",
        "        return obj",
        "    return load",
        "",
    ])
    namespace: dict[str, Any] = {
        "cls": mapper.class_,
        "new": mapper.class_.__new__,
        "mapper": mapper,
        "State": InstanceState,
        "keys": frozenset(k for k, _ in pairs),
        "LoadedMark": LoadedMark,
    }
    bind = codegen.define(source, "bind", f"loader for {mapper.class_.__qualname__}",
                          namespace)
    ident_cls, single = mapper.identity_class, len(pk_pos) == 1
    keys = namespace["keys"]
    default = frozenset(k for k in mapper.load_keys
                        if k is not None and k not in mapper.deferred_keys)
    shape = mapper if keys == default else (mapper, keys)

    def make_loader(session: Any, fill_expired: Any, refill: bool) -> Any:
        objs = session.identity_map.of(ident_cls, single)
        mark = loaded_mark(session, mapper, shape) if marked else None
        return bind(session, objs, objs.get, mark, fill_expired, refill)

    return make_loader


_GC_PAUSE_ROWS = 1000
"""Batches at least this big are loaded with the cyclic garbage collector paused."""


def load_rows(load: Callable[[Any], Any], rows: Sequence[Any], consume: bool = False) -> list[Any]:
    """``[load(row) for row in rows]``. ``consume``: ``rows`` is a list nobody else reads
    any more; it is turned into the list of objects in place, so each row is freed as soon
    as its object exists and a big result never holds all its rows and all its objects at
    once (a five-column row tuple is ~80 bytes on top of the values the object keeps).

    Every object a load creates stays reachable (the identity map and the result hold it),
    so for a big batch the cyclic collector's repeated scans of the growing heap find
    nothing and cost about a third of the load; it is paused for the batch (unless the
    program has switched it off itself). The pause is process-wide but bounded: loaders call
    no ``__init__`` and fire no events, and it ends with the batch, even on error."""
    pause = len(rows) >= _GC_PAUSE_ROWS and gc.isenabled()
    if pause:
        gc.disable()
    try:
        if consume and isinstance(rows, list):
            for i, row in enumerate(rows):
                rows[i] = load(row)
            return rows
        return [load(row) for row in rows]
    finally:
        if pause:
            gc.enable()


def load_one(session: Any, mapper: Any, row: Sequence[Any]) -> Any:
    """``instances(session, mapper, [row])[0]`` without making a loader function: the
    path of ``Session.get``, which loads one row per call (see :func:`one_loader`)."""
    return one_loader(mapper)(session, row)


def one_loader(mapper: Any) -> Callable[[Any, Sequence[Any]], Any]:
    """``load(session, row)``: :func:`load_one` for ``mapper``, generated once per mapper
    and kept with its statements (which it drops when its columns change).

    A row of the mapper's table columns in table order whose object is not in the
    session's identity map yet is loaded as a loader would (``__new__``, one
    ``d[key] = row[i]`` per column, the session's shared mark from :func:`loaded_mark`);
    any other row (an object already mapped, a NULL key) goes through :func:`instances`,
    as does every row of a mapper with a composite primary key or an unmapped or deferred
    column."""
    load = mapper.statement_cache.get("load_one")
    if load is not None:
        return load  # type: ignore[no-any-return]
    keys = mapper.load_keys
    general = ["    return instances(session, mapper, [row])[0]"]
    if len(mapper.pk_positions) != 1 or not mapper.all_keys_mapped or mapper.deferred_keys:
        body = general
    else:
        body = [
            f"    if len(row) == {len(keys)}:",
            f"        ident = row[{mapper.pk_positions[0]}]",
            "        if ident is not None:",
            # identity_map.of inlined: the map of a session made per lookup is empty
            "            identity_map = session.identity_map",
            "            maps = identity_map._maps",
            "            entry = maps.get(ident_cls)",
            "            if entry is None:",
            "                objs = {}",
            "                maps[ident_cls] = (objs, True)",
            "            else:",
            "                objs = entry[0]",
            "            if ident not in objs:",
            # loaded_mark inlined: a session made per lookup makes its
            # map's mark here, once per lookup
            "                marks = identity_map.marks",
            "                if marks is None:",
            "                    marks = identity_map.marks = {}",
            "                    mark = None",
            "                else:",
            "                    mark = marks.get(mapper)",
            "                if mark is None:",
            "                    mark = marks[mapper] = Mark()",
            "                    mark.session = session",
            "                    mark.mapper = mapper",
            "                    mark.pk_keys = pk_keys",
            "                    mark.pk_key = pk_key",
            "                    mark._flags = 0",
            "                obj = new(cls)",
            "                d = obj.__dict__",
            *(f"                d[{k!r}] = row[{i}]" for i, k in enumerate(keys)),
            f"                d[{STATE_KEY!r}] = mark",
            "                objs[ident] = obj",
            "                return obj",
            *general,
        ]
    source = "\n".join(["def load(session, row):", *body, ""])
    namespace: dict[str, Any] = {
        "cls": mapper.class_,
        "new": mapper.class_.__new__,
        "mapper": mapper,
        "ident_cls": mapper.identity_class,
        "Mark": LoadedMark,
        "pk_keys": mapper.pk_keys,
        "pk_key": mapper.pk_keys[0] if mapper.single_pk else None,
        "instances": instances,
    }
    load = codegen.define(source, "load", f"one-row loader for {mapper.class_.__qualname__}",
                          namespace)
    if mapper.configured:
        mapper.statement_cache["load_one"] = load
    return load  # type: ignore[no-any-return]


def instances(session: Any, mapper: Any, rows: Iterable[Sequence[Any]]) -> list[Any]:
    """Objects for ``rows`` of ``mapper``'s table (duplicates kept, identity-mapped)."""
    if not isinstance(rows, list):
        rows = list(rows)
    load = row_loader(session, mapper)
    return load_rows(load, rows)


class ORMRow(tuple[Any, ...]):
    """A result row of an ORM statement: a tuple whose items are also reachable by name
    (``row.User``, ``row.name``)."""

    _fields: tuple[str, ...] = ()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[self._fields.index(name)]
        except ValueError:
            raise AttributeError(
                f"row has no column {name!r}; it has {', '.join(self._fields)}"
            ) from None

    def _asdict(self) -> dict[str, Any]:
        return dict(zip(self._fields, self))

    @property
    def _mapping(self) -> dict[str, Any]:
        return self._asdict()

    def _tuple(self) -> tuple[Any, ...]:
        return tuple(self)

    @property
    def t(self) -> tuple[Any, ...]:
        return tuple(self)


_ROW_CLASSES: dict[tuple[str, ...], type[ORMRow]] = {}


def _row_class(fields: Sequence[str]) -> type[ORMRow]:
    """The row class for these field names, made once per set of names: making a class
    costs more than a small query's rows, and each one stays in memory."""
    key = tuple(fields)
    cls = _ROW_CLASSES.get(key)
    if cls is None:
        if len(_ROW_CLASSES) >= 1000:
            _ROW_CLASSES.clear()
        cls = _ROW_CLASSES[key] = type("Row", (ORMRow,), {"_fields": key, "__slots__": ()})
    return cls


def _one(items: list[Any], what: str, allow_none: bool) -> Any:
    if not items:
        if allow_none:
            return None
        raise NoResultFound(f"No row was found when one was required ({what})")
    if len(items) > 1:
        raise MultipleResultsFound(f"Multiple rows were found when one was required ({what})")
    return items[0]


_NEEDS_UNIQUE = (
    "this result holds objects whose collections were loaded with joinedload() (or "
    "lazy=\"joined\"), so each parent comes once per related row; call .unique() first: "
    "session.scalars(stmt).unique().all() or session.execute(stmt).unique()"
)


class _ResultBase:
    _items: list[Any]
    #: joined eager loading of a collection repeated the parents: reading every row
    #: without unique() would hand out duplicates, so it is refused (first() is fine)
    _needs_unique = False

    def _rows_checked(self) -> list[Any]:
        if self._needs_unique:
            raise InvalidRequestError(_NEEDS_UNIQUE)
        return self._items

    def __iter__(self) -> Iterator[Any]:
        # (_rows_checked inlined: every ``for obj in session.scalars(...)`` starts here)
        if self._needs_unique:
            raise InvalidRequestError(_NEEDS_UNIQUE)
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def all(self) -> list[Any]:
        return list(self._rows_checked())

    def fetchall(self) -> list[Any]:
        return self.all()

    def first(self) -> Any:
        return self._items[0] if self._items else None

    def one(self) -> Any:
        return _one(self._rows_checked(), "one()", False)

    def one_or_none(self) -> Any:
        return _one(self._rows_checked(), "one_or_none()", True)

    def fetchone(self) -> Any:
        if not self._items:
            return None
        return self._items.pop(0)

    def fetchmany(self, size: int = 1) -> list[Any]:
        out, self._items = self._rows_checked()[:size], self._items[size:]
        return out

    def partitions(self, size: int | None = None) -> Iterator[list[Any]]:
        size = size or 100
        self._rows_checked()
        for i in range(0, len(self._items), size):
            yield self._items[i : i + size]

    def close(self) -> None:
        self._items = []


def _unique(items: list[Any]) -> list[Any]:
    seen: set[Any] = set()
    out = []
    for item in items:
        key = tuple(id(x) if _is_mapped(x) else x for x in item) if isinstance(item, tuple) else (
            id(item) if _is_mapped(item) else item
        )
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _is_mapped(value: Any) -> bool:
    return hasattr(type(value), "__mapper__")


class ScalarResult(_ResultBase):
    """The first column of each row (``session.scalars(select(User))``)."""

    def __init__(self, items: list[Any], needs_unique: bool = False) -> None:
        self._items = items
        self._needs_unique = needs_unique

    def unique(self) -> ScalarResult:
        return ScalarResult(_unique(self._items))


class ORMResult(_ResultBase):
    """Rows of objects and values from an ORM statement.

    For a select of one entity the objects are kept as a plain list and rows are only
    built if asked for, so ``session.scalars(select(User))`` costs no row objects.
    """

    def __init__(self, rows: list[Any] | None, fields: Sequence[str],
                 objects: list[Any] | None = None) -> None:
        #: (mapper, objects) per selected entity, for relationship loading after the query
        self._groups: list[tuple[Any, list[Any]]] = []
        #: collections were loaded through a JOIN, so parents repeat (use unique())
        self._joined_collections = False
        self._needs_unique = False
        self._fields = list(fields)
        self._objects = objects
        self._rows = rows

    @property
    def _items(self) -> list[Any]:  # type: ignore[override]
        if self._rows is None:
            row_cls = _row_class(self._fields)
            self._rows = [row_cls((o,)) for o in self._objects or ()]
            self._objects = None
        return self._rows

    @_items.setter
    def _items(self, value: list[Any]) -> None:
        self._rows = value
        self._objects = None

    def keys(self) -> list[str]:
        return list(self._fields)

    def scalars(self, index: int = 0) -> ScalarResult:
        if self._objects is not None and index == 0:
            objects, self._objects = self._objects, []
            self._rows = []
            return ScalarResult(objects, self._needs_unique)
        return ScalarResult([row[index] for row in self._items], self._needs_unique)

    def scalar(self) -> Any:
        return self._items[0][0] if self._items else None

    def scalar_one(self) -> Any:
        return _one(self._rows_checked(), "scalar_one()", False)[0]

    def scalar_one_or_none(self) -> Any:
        row = _one(self._rows_checked(), "scalar_one_or_none()", True)
        return None if row is None else row[0]

    def unique(self) -> ORMResult:
        if self._objects is not None:
            out = ORMResult(None, self._fields, _unique(self._objects))
        else:
            out = ORMResult(_unique(self._items), self._fields)
        out._groups = self._groups
        return out

    def tuples(self) -> ORMResult:
        return self

    def mappings(self) -> ScalarResult:
        return ScalarResult([row._asdict() for row in self._items], self._needs_unique)

    @property
    def rowcount(self) -> int:
        return len(self._items)


def build_result(session: Any, statement: Any, raw_rows: list[Any],
                 entities: Any = None, consume: bool = False) -> ORMResult:
    """Turn the rows of a select over mapped classes/attributes into an ORMResult
    (``entities``: the selected entities, when the statement grew extra columns;
    ``consume``: the caller hands ``raw_rows`` over, see :func:`load_rows`)."""
    if entities is None:
        entities = statement._entities
    skips = column_skips(statement)
    populate = bool(_execution_option(statement, "populate_existing"))
    if len(entities) == 1 and _is_entity(entities[0]):
        # One entity: a plain list of objects, made by one loader fitted to the rows.
        mapper = entities[0].__mapper__
        load = row_loader(session, mapper, 0, skips.get(mapper), populate)
        objects = load_rows(load, raw_rows, consume)
        result = ORMResult(None, [mapper.class_.__name__], objects)
        result._groups = [(mapper, objects)]
        return result
    plan: list[tuple[str, Any, int]] = []  # (kind, loader or None, position)
    fields: list[str] = []
    pos = 0
    for ent in entities:
        mapper = getattr(ent, "__mapper__", None) if _is_entity(ent) else None
        if mapper is not None:
            plan.append(("entity", row_loader(session, mapper, pos, skips.get(mapper), populate),
                         pos))
            fields.append(mapper.class_.__name__)
            pos += len(mapper.load_keys)
            continue
        width = 1
        element = ent
        ce = getattr(ent, "__clause_element__", None)
        if ce is not None and not isinstance(ent, type):
            element = ce()
        cols = getattr(element, "c", None)
        if cols is not None and not hasattr(element, "type"):
            width = len(list(cols))
        name = getattr(ent, "key", None) or getattr(element, "name", None) or f"col{len(fields)}"
        fields.append(str(name))
        plan.append(("value" if width == 1 else "slice", width, pos))
        pos += width
    row_cls = _row_class(fields)
    out: list[ORMRow] = []
    for r in raw_rows:
        items = []
        for kind, extra, p in plan:
            if kind == "entity":
                items.append(extra(r))
            elif kind == "value":
                items.append(r[p])
            else:
                items.append(tuple(r[p : p + extra]))
        out.append(row_cls(items))
    result = ORMResult(out, fields)
    result._groups = [
        (entities[i].__mapper__, [row[i] for row in out])
        for i, (kind, _, _) in enumerate(plan)
        if kind == "entity"
    ]
    return result


def _is_entity(value: Any) -> bool:
    """A mapped class or an ``aliased()`` one."""
    if isinstance(value, type):
        return hasattr(value, "__mapper__")
    return "__mapper__" in getattr(value, "__dict__", ())


def is_orm_statement(statement: Any) -> bool:
    """Does ``statement`` select mapped classes (needing objects built from rows)?"""
    entities = getattr(statement, "_entities", None)
    if not entities or not getattr(statement, "_is_select", False):
        return False
    return any(_is_entity(e) for e in entities) or any(
        hasattr(e, "prop") and hasattr(e, "class_") for e in entities
    )


def needs_relationship_loading(statement: Any, groups: list[tuple[Any, list[Any]]]) -> bool:
    """Do loader options or eager relationship strategies have work for this result?"""
    if getattr(statement, "_options", ()):
        return True
    return any(has_eager(mapper) for mapper, _ in groups)


def has_eager(mapper: Any) -> bool:
    flag = mapper.__dict__.get("_has_eager")
    if flag is None:
        flag = any(getattr(p.strategy, "eager", False) for p in mapper.relationships.values())
        if mapper.configured:
            mapper._has_eager = flag
    return bool(flag)


def column_skips(statement: Any) -> dict[Any, frozenset[str]]:
    """Per mapper, the column keys that ``defer``/``undefer``/``load_only`` options of
    ``statement`` leave unloaded."""
    options = getattr(statement, "_options", ())
    if not options:
        return {}
    out: dict[Any, set[str]] = {}
    for opt in options:
        kind = getattr(opt, "column_kind", None)
        if kind is None:
            continue
        for attr in opt.attrs:
            mapper = getattr(attr.class_, "__mapper__", None)
            if mapper is None:
                continue
            skip = out.setdefault(mapper, set(mapper.deferred_keys))
            if kind == "defer":
                skip.add(attr.key)
            elif kind == "undefer":
                skip.discard(attr.key)
        if kind == "load_only":
            named = {a.key for a in opt.attrs}
            for mapper in {getattr(a.class_, "__mapper__", None) for a in opt.attrs}:
                if mapper is not None:
                    keep = named | set(mapper.pk_keys)
                    out[mapper] = {k for k in mapper.column_keys if k not in keep}
    return {m: frozenset(keys) for m, keys in out.items()}


def _execution_option(statement: Any, name: str) -> Any:
    getter = getattr(statement, "get_execution_options", None)
    options = getter() if getter is not None else getattr(statement, "_execution_options", {})
    return (options or {}).get(name)
