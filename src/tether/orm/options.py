"""Loader options: ``select(User).options(selectinload(User.posts))`` and friends.

An option is a path of ``(relationship attribute, strategy name)`` steps, built by chaining
(``selectinload(A.b).selectinload(B.c)``). After the session turned a statement's rows into
objects it calls :meth:`LoaderOption.process_result`, and :func:`apply_loading` walks the
relationships of each entity: eager strategies load for all objects at once, ``noload``
fills empty values, ``raiseload`` marks the objects so a later access raises.

``joinedload`` (and ``lazy="joined"``) instead extends the statement itself: see
:func:`joined_steps` and :func:`execute_with_joins`.

Column options (``defer``, ``undefer``, ``load_only``) choose which columns loaded objects
get; the others load on first access.
"""

from __future__ import annotations

from typing import Any

from tether.exc import ArgumentError, InvalidRequestError
from tether.orm.state import existing_state
from tether.sql.selectable import Select

__all__ = [
    "ContainsEager",
    "JoinedStep",
    "LoaderOption",
    "contains_eager",
    "apply_loading",
    "defaultload",
    "defer",
    "execute_with_joins",
    "extend_with_joins",
    "fill_joined",
    "joined_below",
    "joined_steps",
    "joinedload",
    "lazyload",
    "load_only",
    "noload",
    "raiseload",
    "selectinload",
    "subqueryload",
    "undefer",
]

_EAGER = {"selectin", "joined", "subquery", "immediate"}


def _prop_of(attr: Any) -> Any:
    prop = getattr(attr, "prop", None)
    if prop is not None and not getattr(prop, "configured", True):
        prop.parent.registry.configure_if_needed()
    if prop is None or not hasattr(prop, "direction"):
        raise ArgumentError(
            f"{attr!r} is not a relationship attribute; loader options take one, e.g. "
            "selectinload(User.posts)"
        )
    return prop


# relationships that never hold their members (tether.orm.dynamic): no _EAGER option
_NEVER_LOADED = ("dynamic", "write_only")


class LoaderOption:
    """A chain of relationship loading choices, starting at one mapped class."""

    def __init__(self, path: tuple[tuple[Any, str | None], ...]) -> None:
        prop, strategy = path[-1]
        if strategy in _EAGER and getattr(prop, "lazy", None) in _NEVER_LOADED:
            raise InvalidRequestError(
                f"{prop.parent.class_.__name__}.{prop.key} is lazy={prop.lazy!r}: its members "
                "are queried, never loaded into the object, so no eager loader option "
                f"applies to it (this one is {strategy}load)"
            )
        self.path = path

    def _chain(self, attr: Any, strategy: str | None) -> LoaderOption:
        return LoaderOption((*self.path, (_prop_of(attr), strategy)))

    def selectinload(self, attr: Any, **kw: Any) -> LoaderOption:
        return self._chain(attr, "selectin")

    def joinedload(self, attr: Any, **kw: Any) -> LoaderOption:
        return self._chain(attr, "joined")

    def subqueryload(self, attr: Any, **kw: Any) -> LoaderOption:
        return self._chain(attr, "subquery")

    def lazyload(self, attr: Any) -> LoaderOption:
        return self._chain(attr, "select")

    def noload(self, attr: Any) -> LoaderOption:
        return self._chain(attr, "noload")

    def raiseload(self, attr: Any, sql_only: bool = False) -> LoaderOption:
        return self._chain(attr, "raise_on_sql" if sql_only else "raise")

    def defaultload(self, attr: Any) -> LoaderOption:
        return self._chain(attr, None)

    def options(self, *opts: Any) -> LoaderOption:
        return self

    def load_only(self, *attrs: Any, **kw: Any) -> LoaderOption:
        return self

    def defer(self, *attrs: Any, **kw: Any) -> LoaderOption:
        return self

    def undefer(self, *attrs: Any) -> LoaderOption:
        return self

    def process_result(self, session: Any, statement: Any, result: Any) -> None:
        """Loading happens once for all options in :func:`process_statement`."""

    def __repr__(self) -> str:
        return "Load(" + ".".join(f"{p.key}:{s}" for p, s in self.path) + ")"


class _ColumnOption:
    """``defer``/``undefer``/``load_only``: which columns loaded objects get (the row still
    carries every column; skipped ones load on first access)."""

    def __init__(self, kind: str, *attrs: Any, **kw: Any) -> None:
        self.column_kind = kind
        self.attrs = attrs

    def process_result(self, session: Any, statement: Any, result: Any) -> None:
        pass


def selectinload(attr: Any, **kw: Any) -> LoaderOption:
    """Load ``attr`` for all objects of the result with one ``IN`` query per level."""
    return LoaderOption(((_prop_of(attr), "selectin"),))


def joinedload(attr: Any, **kw: Any) -> LoaderOption:
    """Load ``attr`` in the same statement, through a LEFT OUTER JOIN to an alias of its
    table (chains, self-reference and LIMIT/OFFSET included; see :func:`execute_with_joins`)."""
    return LoaderOption(((_prop_of(attr), "joined"),))


def subqueryload(attr: Any, **kw: Any) -> LoaderOption:
    """Load ``attr`` for all objects of the result with one more statement per level (done
    the selectin way: the same count, and no need to repeat the parent query)."""
    return LoaderOption(((_prop_of(attr), "subquery"),))


def lazyload(attr: Any) -> LoaderOption:
    """Load ``attr`` on first access, even if the relationship says otherwise."""
    return LoaderOption(((_prop_of(attr), "select"),))


def noload(attr: Any) -> LoaderOption:
    """Never load ``attr`` for these objects: it reads as empty."""
    return LoaderOption(((_prop_of(attr), "noload"),))


def raiseload(attr: Any, sql_only: bool = False) -> LoaderOption:
    """Make a later access of ``attr`` on these objects raise instead of loading."""
    return LoaderOption(((_prop_of(attr), "raise_on_sql" if sql_only else "raise"),))


def defaultload(attr: Any) -> LoaderOption:
    """Keep ``attr``'s own strategy; used to reach deeper options."""
    return LoaderOption(((_prop_of(attr), None),))


class ContainsEager:
    """``contains_eager(Shop.items)``: the statement already joins the related rows; take
    the relationship's value from them instead of loading it."""

    def __init__(self, attr: Any, alias: Any = None) -> None:
        self.prop = _prop_of(attr)
        self.alias = alias if alias is not None else getattr(attr, "_of_type", None)

    @property
    def target(self) -> Any:
        return self.alias if self.alias is not None else self.prop.mapper.class_

    def process_result(self, session: Any, statement: Any, result: Any) -> None:
        pass


def contains_eager(attr: Any, alias: Any = None, **kw: Any) -> Any:
    """Fill ``attr`` from the rows the statement's own JOIN brings (only those rows)."""
    return ContainsEager(attr, alias)


def execute_with_contains_eager(session: Any, conn: Any, statement: Any, params: Any) -> Any:
    """Run an ORM select whose options include ``contains_eager``: the joined entity's
    columns are added to the SELECT and each parent's relationship is set from them."""
    extras = [(o.prop, o.target) for o in statement._options if isinstance(o, ContainsEager)]
    stmt = statement
    for _, target in extras:
        stmt = stmt.add_columns(target)
    return _execute_with_extras(session, conn, statement, stmt, params, extras)


class JoinedStep:
    """One relationship loaded through a LEFT OUTER JOIN: ``parent`` is the step whose
    alias holds the parent objects (``None``: a selected entity), ``alias`` the aliased
    target that the joined rows fill."""

    __slots__ = ("prop", "parent", "alias")

    def __init__(self, prop: Any, parent: JoinedStep | None) -> None:
        from tether.orm.aliased import AliasedClass

        self.prop = prop
        self.parent = parent
        # Always an alias: the same table may appear as parent and child (self-reference)
        # or twice in one chain.
        self.alias = AliasedClass(prop.mapper.class_)


_MAX_JOIN_DEPTH = 8


def joined_steps(statement: Any) -> list[JoinedStep]:
    """Relationships of the selected entities to load with LEFT OUTER JOINs in the same
    statement, parents before children: ``joinedload()`` options (chained ones too) and
    ``lazy="joined"`` defaults. A default that would loop back (``A.b`` and ``B.a`` both
    joined) stops at the first repeat; a self-referential one goes ``join_depth`` levels
    (one by default)."""
    from tether.orm import loading

    roots: dict[Any, Any] = {}
    for ent in getattr(statement, "_entities", ()):
        if loading._is_entity(ent) and isinstance(ent, type):
            roots.setdefault(ent.__mapper__, ent)  # type: ignore[attr-defined]
    if not roots:
        return []
    options = getattr(statement, "_options", ())
    if not options and not any(_has_joined_default(m) for m in roots):
        return []
    tree = _tree(options)
    steps: list[JoinedStep] = []
    for mapper in roots:
        _collect_joined(mapper, None, tree, steps, (mapper,), ())
    return steps


def plain_entity(statement: Any) -> Any:
    """The mapper of a select of one mapped class that has no options, no execution
    options and no eager relationship (joined or selectin by default), else None: its
    result is the class's objects and nothing more. Decided once per mapper."""
    if (type(statement) is not Select or statement._options
            or statement._execution_options or len(statement._entities) != 1):
        return None
    entity = statement._entities[0]
    if not isinstance(entity, type):
        return None
    mapper = getattr(entity, "__mapper__", None)
    if mapper is None:
        return None
    plain = mapper.statement_cache.get("plain")
    if plain is None:
        from tether.orm import loading

        plain = not _has_joined_default(mapper) and not loading.has_eager(mapper)
        if mapper.configured:
            mapper.statement_cache["plain"] = plain
    return mapper if plain else None


def _has_joined_default(mapper: Any) -> bool:
    flag = mapper.__dict__.get("_has_joined_default")
    if flag is None:
        flag = any(p.lazy == "joined" for p in mapper.relationships.values())
        if mapper.configured:
            mapper._has_joined_default = flag
    return bool(flag)


def _collect_joined(mapper: Any, parent: JoinedStep | None, tree: Tree,
                    steps: list[JoinedStep], mappers: tuple[Any, ...],
                    props: tuple[Any, ...]) -> None:
    if len(props) >= _MAX_JOIN_DEPTH:
        return
    for prop in mapper.relationships.values():
        chosen, sub = tree.get(prop, (None, {}))
        if chosen is None:
            if prop.lazy != "joined":
                continue
            if prop.mapper is mapper:
                if props.count(prop) >= (prop.join_depth or 1):
                    continue
            elif prop.mapper in mappers:
                continue
        elif chosen != "joined":
            continue
        step = JoinedStep(prop, parent)
        steps.append(step)
        _collect_joined(prop.mapper, step, sub, steps, (*mappers, prop.mapper), (*props, prop))


def _eager_join_path(prop: Any, alias: Any, parent_alias: Any) -> list[tuple[Any, Any]]:
    """``[(from, onclause), ...]`` joining the parent (or its alias) to ``alias``; the
    association table of a many-to-many gets its own alias as well, so one statement can
    pass through it twice."""
    from tether.orm.relationships import extra_criteria
    from tether.sql.elements import and_

    def local(col: Any) -> Any:
        return parent_alias.adapt(col) if parent_alias is not None else col

    if prop.secondary is not None and prop.join is not None and prop.join.secondary_pairs:
        secondary = prop.secondary.alias()

        def adapt_m2m(col: Any) -> Any:
            if col.table is prop.secondary:
                return secondary.c[col.key]
            return alias.adapt(col) if col.table is prop.target else local(col)

        first = and_(*(local(p) == secondary.c[s.key] for p, s in prop.join.pairs))
        second = and_(*(alias.adapt(t) == secondary.c[s.key]
                        for t, s in prop.join.secondary_pairs),
                      *extra_criteria(prop, adapt_m2m))
        return [(secondary, first), (alias, second)]

    def adapt(col: Any) -> Any:
        return alias.adapt(col) if col.table is prop.target else local(col)

    return [(alias, and_(*(local(lc) == alias.adapt(rc)
                           for lc, rc in prop.local_remote_pairs),
                         *extra_criteria(prop, adapt)))]


class _SubqueryEntity:
    """A mapped class read from a subquery of ``select(cls)`` (the limited parents of a
    joined eager load): its columns stand for the table's, by position."""

    def __init__(self, cls: Any, subquery: Any) -> None:
        from tether.orm.aliased import AliasedRelationship
        from tether.orm.attributes import ColumnAttribute

        mapper = cls.__mapper__
        self.__mapper__ = mapper
        self.class_ = cls
        self._sub = subquery
        self._by_col = {id(t): c for t, c in zip(mapper.local_table.columns, subquery.c)}
        self._attrs: dict[str, Any] = {}
        for prop in mapper.column_attrs:
            column = self._by_col.get(id(prop.column))
            if column is not None:
                self._attrs[prop.key] = ColumnAttribute(cls, prop.key, prop, column)
        for key, prop in mapper.relationships.items():
            self._attrs[key] = AliasedRelationship(self, prop)  # type: ignore[arg-type]

    def __clause_element__(self) -> Any:
        return self._sub

    def __getattr__(self, key: str) -> Any:
        try:
            return self.__dict__["_attrs"][key]
        except KeyError:
            raise AttributeError(key) from None

    def adapt(self, column: Any) -> Any:
        return self._by_col.get(id(column), column)


def _limited_wrap(statement: Any, steps: list[JoinedStep]) -> Any:
    """For a LIMIT/OFFSET select of one entity that joins collections: the limited select
    as a subquery, selected from and re-ordered outside, so the limit counts parents,
    not joined rows. ``None`` when an ORDER BY term cannot be restated outside."""
    entities = statement._entities
    if len(entities) != 1 or not isinstance(entities[0], type):
        return None
    if statement._limit is None and statement._offset is None:
        return None
    if not any(s.prop.uselist for s in steps):
        return None
    root = _SubqueryEntity(entities[0], statement.subquery())
    order = []
    for clause in statement._order_by:
        adapted = _adapt_to(root, clause)
        if adapted is None:
            return None
        order.append(adapted)
    from tether.sql.selectable import Select

    outer = Select(root)
    if order:
        outer = outer.order_by(*order)
    return root, outer


def _adapt_to(entity: Any, clause: Any) -> Any:
    """``clause`` (a column, or one with ``.desc()``/``.asc()``) restated on ``entity``."""
    ce = getattr(clause, "__clause_element__", None)
    element = ce() if ce is not None else clause
    if getattr(element, "table", None) is not None:
        adapted = entity.adapt(element)
        return None if adapted is element else adapted
    inner = getattr(element, "element", None)
    if inner is not None and getattr(inner, "table", None) is not None:
        adapted = entity.adapt(inner)
        if adapted is inner:
            return None
        modifier = str(getattr(element, "modifier", None) or getattr(element, "operator", ""))
        return adapted.desc() if modifier.lower() == "desc" else adapted
    return None


def execute_with_joins(session: Any, conn: Any, statement: Any, params: Any,
                       steps: list[JoinedStep]) -> Any:
    """``joinedload``: one statement. Each relationship's rows come through a LEFT OUTER
    JOIN to an alias of its table (chained and self-referential ones too); under
    LIMIT/OFFSET the limited parents are a subquery the joins hang from. Parents are
    de-duplicated while their values fill, in the same pass over the rows."""
    from tether.orm import loading

    wrapped = _limited_wrap(statement, steps) if any(s.prop.uselist for s in steps) else None
    root_alias = None
    if wrapped is not None:
        root_alias, stmt = wrapped
    elif statement._limit is not None or statement._offset is not None:
        # Several entities (or an ORDER BY that cannot be restated) under a limit: the
        # collections load by selectin after the query instead of cutting the rows.
        steps = [s for s in steps if not _under_collection(s)]
        stmt = statement
    else:
        stmt = statement
    entity_pos: dict[Any, int] = {}
    width = 0
    for ent in statement._entities:
        mapper = getattr(ent, "__mapper__", None) if loading._is_entity(ent) else None
        if mapper is not None:
            entity_pos.setdefault(mapper, width)
            width += len(mapper.load_keys)
        else:
            width += 1
    stmt, plan = extend_with_joins(stmt, steps, entity_pos, width, root_alias)
    rows = (conn.execute(stmt, params) if params is not None else conn.execute(stmt)).fetchall()
    result = loading.build_result(session, statement, rows, statement._entities)
    fill_joined(session, rows, plan,
                bool(loading._execution_option(statement, "populate_existing")))
    result._joined_collections = any(s.prop.uselist for s, _, _ in plan)
    result._needs_unique = result._joined_collections
    return result


Plan = list[tuple[JoinedStep, int, int]]


def extend_with_joins(stmt: Any, steps: list[JoinedStep], entity_pos: dict[Any, int],
                      width: int, root_alias: Any = None) -> tuple[Any, Plan]:
    """``stmt`` with a LEFT OUTER JOIN and the columns of every step added after its
    ``width`` columns; ``entity_pos`` says where each top-level parent's columns start.
    Returns the statement and ``(step, parent position, child position)`` per step."""
    plan: Plan = []
    step_pos: dict[int, int] = {}
    for step in steps:
        if step.parent is None:
            parent_pos = entity_pos.get(step.prop.parent)
            if parent_pos is None:
                continue
            parent_alias = root_alias
        else:
            if id(step.parent) not in step_pos:
                continue
            parent_pos = step_pos[id(step.parent)]
            parent_alias = step.parent.alias
        for target, onclause in _eager_join_path(step.prop, step.alias, parent_alias):
            stmt = stmt.join(target, onclause, isouter=True)
        stmt = stmt.add_columns(step.alias)
        order = [_adapt_order(step.alias, c) for c in _order_of(step.prop)]
        if order:
            stmt = stmt.order_by(*order)
        step_pos[id(step)] = width
        plan.append((step, parent_pos, width))
        width += len(step.prop.mapper.load_keys)
    return stmt, plan


def fill_joined(session: Any, rows: list[Any], plan: Plan, populate: bool = False) -> None:
    """Set every planned relationship from the joined columns of ``rows``."""
    for step, parent_pos, child_pos in plan:
        _fill(session, step.prop, rows, parent_pos, child_pos, populate)


def joined_below(mapper: Any, tree: Tree) -> list[JoinedStep]:
    """The joined steps that a statement loading ``mapper`` objects (a selectin batch)
    should carry: ``joinedload()`` options in ``tree`` and ``lazy="joined"`` defaults."""
    if not tree and not _has_joined_default(mapper):
        return []
    steps: list[JoinedStep] = []
    _collect_joined(mapper, None, tree, steps, (mapper,), ())
    return steps


def _under_collection(step: JoinedStep | None) -> bool:
    while step is not None:
        if step.prop.uselist:
            return True
        step = step.parent
    return False


def _fill(session: Any, prop: Any, rows: list[Any], parent_pos: int, child_pos: int,
          populate: bool) -> None:
    """Set ``prop`` on every parent found at ``parent_pos`` from the objects at
    ``child_pos`` (rows repeat parents; children are kept once each, in row order)."""
    from tether.orm import loading

    load_parent = loading.row_loader(session, prop.parent, parent_pos)
    load_child = loading.row_loader(session, prop.mapper, child_pos)
    key = prop.key
    values: dict[int, tuple[Any, list[Any], set[int]]] = {}
    for row in rows:
        parent = load_parent(row)
        if parent is None:
            continue
        entry = values.get(id(parent))
        if entry is None:
            entry = values[id(parent)] = (parent, [], set())
        child = load_child(row)
        if child is not None and id(child) not in entry[2]:
            entry[2].add(id(child))
            entry[1].append(child)
    set_loaded = prop.attr.set_loaded
    uselist = prop.uselist
    for parent, children, _ in values.values():
        if key in parent.__dict__ and not populate:
            continue  # already loaded (maybe changed locally): the session's copy wins
        if uselist:
            set_loaded(parent, children)
        else:
            set_loaded(parent, children[0] if children else None)


def _order_of(prop: Any) -> list[Any]:
    from tether.orm.strategies import _order_by_clauses

    return _order_by_clauses(prop)


def _adapt_order(alias: Any, clause: Any) -> Any:
    ce = getattr(clause, "__clause_element__", None)
    element = ce() if ce is not None else clause
    if getattr(element, "table", None) is not None:
        return alias.adapt(element)
    inner = getattr(element, "element", None)
    if inner is not None and getattr(inner, "table", None) is not None:
        modifier = getattr(element, "modifier", None) or getattr(element, "operator", None)
        adapted = alias.adapt(inner)
        if modifier in ("desc", "DESC"):
            return adapted.desc()
        return adapted
    return element


def _execute_with_extras(session: Any, conn: Any, statement: Any, stmt: Any, params: Any,
                         extras: list[tuple[Any, Any]]) -> Any:
    from tether.orm import loading

    entities = statement._entities
    result = conn.execute(stmt, params) if params is not None else conn.execute(stmt)
    rows = result.fetchall()
    orm_result = loading.build_result(session, statement, rows, entities)
    width = 0
    positions: dict[Any, int] = {}
    for ent in entities:
        mapper = getattr(ent, "__mapper__", None) if loading._is_entity(ent) else None
        if mapper is not None:
            positions.setdefault(mapper, width)
            width += len(mapper.load_keys)
        else:
            width += 1
    for prop, _ in extras:
        parent_pos = positions.get(prop.parent)
        if parent_pos is None:
            width += len(prop.mapper.load_keys)
            continue
        load_parent = loading.row_loader(session, prop.parent, parent_pos)
        load_child = loading.row_loader(session, prop.mapper, width)
        values: dict[int, tuple[Any, list[Any], set[int]]] = {}
        for row in rows:
            parent = load_parent(row)
            if parent is None:
                continue
            entry = values.get(id(parent))
            if entry is None:
                entry = values[id(parent)] = (parent, [], set())
            child = load_child(row)
            if child is not None and id(child) not in entry[2]:
                entry[2].add(id(child))
                entry[1].append(child)
        for parent, children, _ in values.values():
            if prop.uselist:
                prop.attr.set_loaded(parent, children)
            else:
                prop.attr.set_loaded(parent, children[0] if children else None)
        width += len(prop.mapper.load_keys)
    return orm_result


def defer(*attrs: Any, **kw: Any) -> Any:
    """Leave these columns unloaded until first accessed."""
    return _ColumnOption("defer", *attrs, **kw)


def undefer(*attrs: Any, **kw: Any) -> Any:
    """Load these ``deferred()`` columns with the row."""
    return _ColumnOption("undefer", *attrs, **kw)


def load_only(*attrs: Any, **kw: Any) -> Any:
    """Load only these columns (and the primary key); the rest on first access."""
    return _ColumnOption("load_only", *attrs, **kw)


Tree = dict[Any, tuple[str | None, "Tree"]]


def _tree(options: tuple[Any, ...]) -> Tree:
    tree: Tree = {}
    for opt in options:
        if not isinstance(opt, LoaderOption):
            continue
        node = tree
        for prop, strategy in opt.path:
            current, sub = node.get(prop, (None, {}))
            node[prop] = (strategy if strategy is not None else current, sub)
            node = sub
    return tree


def process_statement(session: Any, statement: Any, groups: list[tuple[Any, list[Any]]]) -> None:
    """Run relationship loading for the objects of one statement's result:
    ``groups`` is ``[(mapper, objects), ...]`` per selected entity."""
    tree = _tree(getattr(statement, "_options", ()))
    for mapper, objs in groups:
        objs = [o for o in objs if o is not None]
        if objs:
            apply_loading(session, mapper, objs, tree, 0)


def apply_loading(session: Any, mapper: Any, objs: list[Any], tree: Tree, depth: int) -> None:
    """Apply default eager strategies and options to ``objs`` of ``mapper``."""
    if depth > 8:
        return
    for prop in mapper.relationships.values():
        chosen, sub = tree.get(prop, (None, {}))
        strategy = prop.strategy
        if chosen is None:
            if not getattr(strategy, "eager", False):
                if sub:
                    # defaultload(A.b).selectinload(B.c): deeper options for loaded values
                    loaded = _loaded_values(prop, objs)
                    if loaded:
                        apply_loading(session, prop.mapper, loaded, sub, depth + 1)
                continue
            if prop.mapper is mapper and depth >= (prop.join_depth or 1) and not sub:
                continue
            related = _load_many(strategy, session, objs, prop, sub)
        elif chosen in _EAGER:
            loader = strategy if getattr(strategy, "eager", False) else _selectin_for(prop)
            related = _load_many(loader, session, objs, prop, sub)
            related = related or _loaded_values(prop, objs)
        elif chosen == "noload":
            for o in objs:
                if prop.key not in o.__dict__:
                    prop.attr.set_loaded(o, [] if prop.uselist else None)
            continue
        elif chosen in ("raise", "raise_on_sql", "select"):
            for o in objs:
                st = existing_state(o)
                if st is not None:
                    overrides = st.load_overrides
                    if overrides is None:
                        overrides = st.load_overrides = {}
                    overrides[prop.key] = chosen
            continue
        else:
            continue
        if related:
            apply_loading(session, prop.mapper, related, sub, depth + 1)


def _load_many(loader: Any, session: Any, objs: list[Any], prop: Any, sub: Tree) -> list[Any]:
    """``loader.load_many``, with the joined loads of the next level riding along in the
    same batch statement (``selectinload(A.b).joinedload(B.c)``: two statements)."""
    # A self-referential default stays level by level (join_depth); options go as asked.
    joined = joined_below(prop.mapper, sub) if sub or prop.mapper is not prop.parent else []
    if joined:
        return loader.load_many(session, objs, joined)  # type: ignore[no-any-return]
    return loader.load_many(session, objs)  # type: ignore[no-any-return]


def _selectin_for(prop: Any) -> Any:
    from tether.orm.strategies import SelectInLoader

    loader = getattr(prop, "_selectin_loader", None)
    if loader is None:
        loader = prop._selectin_loader = SelectInLoader(prop)
    return loader


def _loaded_values(prop: Any, objs: list[Any]) -> list[Any]:
    out: list[Any] = []
    key = prop.key
    for o in objs:
        value = o.__dict__.get(key)
        if value is None:
            continue
        if prop.uselist:
            out.extend(value)
        else:
            out.append(value)
    return out
