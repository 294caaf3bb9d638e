"""The unit of work: decides *what* a flush writes and in *which order*.

1. Gather the session's new, changed and deleted objects, and from relationship history
   the "sync tasks": which child rows must take which parent's key (or NULL).
2. Order the mappers by their dependencies (parent tables before child tables). Mappers
   that depend on each other, or on themselves, are ordered row by row, in levels: every
   row of a level depends only on rows of earlier levels, so each level is still written
   in batches.
3. Per mapper (or level): copy keys into children (``sync``), then INSERT and UPDATE
   (``persistence``); then association rows; then ``post_update`` keys; then DELETEs in
   reverse order.

Two exceptions to that order keep immediately checked foreign keys (SQLite with foreign
keys on, PostgreSQL) satisfied: a ``passive_updates=False`` key change first lets go of the
old key (children's nullable foreign keys set to NULL, association rows read and deleted)
and puts the new key back after the parent's UPDATE; and a ``delete-orphan`` row of a table
nothing refers to is deleted just before its table's INSERTs, so a replaced one-to-one
child frees a unique foreign key for its replacement.

A cycle that no row order can satisfy raises CircularDependencyError naming the classes
and relationships, and suggesting ``post_update=True``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from operator import attrgetter, itemgetter
from typing import Any

from tether.engine.rows import execute_rows
from tether.exc import CircularDependencyError
from tether.orm import deletecascade, persistence, sync
from tether.orm.exc import FlushError
from tether.orm.mapper import mapper_targets
from tether.orm.relationships import MANYTOMANY, MANYTOONE, ONETOMANY, RelationshipProperty
from tether.orm.state import (
    _MARKED_DELETED,
    _MODIFIED,
    NO_CHANGES,
    NO_PENDING,
    NO_VALUE,
    STATE_KEY,
    InstanceState,
    LoadedMark,
    instance_state,
)
from tether.util import codegen, events
from tether.util.topological import CycleError, components
from tether.util.topological import sort as topo_sort

__all__ = ["flush"]


#: A key copy: ``(child state, parent object, relationship)`` -- copy the parent's key into
#: the child's foreign key along the relationship (parent None: set it to NULL). Plain
#: tuples, as a flush makes one per link (``sync.apply`` runs them).
_Task = tuple[InstanceState, Any, RelationshipProperty]


class _Flush:
    def __init__(self, session: Any) -> None:
        self.session = session
        self.conn = session._connection()
        self.tasks: list[_Task] = []
        #: copies left out of ``tasks`` because the child's own many-to-one makes the same
        #: copy later in ``tasks`` (see ``_mirror_key``), one entry per run of them (the
        #: parent, the relationship, the children's states), and where each run would have
        #: been: its index among the other tasks, less the tasks put in front before it
        self.mirrored: list[tuple[Any, RelationshipProperty, list[InstanceState]]] = []
        self.mirrored_at: list[int] = []
        #: tasks put in front of ``tasks`` so far (``tasks.insert(0, ...)``)
        self.n_front = 0
        #: state -> position in the session's pending objects (see ``_collect_added``)
        self.new_positions: dict[InstanceState, int] | None = None
        self.sync_plans: dict[Any, Any] = {}
        #: per mapper: ``(prop, key, direction, its task list, mirror key)`` of relationships
        #: to collect
        self.rels_of: dict[Any, list[tuple[Any, str, Any, list[_Task], str | None]]] = {}
        self.m2m_first: dict[Any, bool] = {}
        self.post_tasks: list[_Task] = []
        self.orphans: list[tuple[InstanceState, Any, RelationshipProperty]] = []
        self.m2m_insert: dict[Any, tuple[RelationshipProperty, Any, Any]] = {}
        self.m2m_delete: dict[Any, tuple[RelationshipProperty, Any, Any]] = {}
        self.m2m_delete_parent: list[tuple[RelationshipProperty, Any]] = []
        #: ``(state, key)`` or ``(list of states, key)``: values the flush put into objects
        self.assigned: list[tuple[InstanceState | list[InstanceState], str]] = []
        self.inserted: list[InstanceState] = []
        self.deleted_now: list[InstanceState] = []
        self.written: set[InstanceState] = set()
        # passive_updates=False with enforced foreign keys: children whose nullable foreign
        # key lets go of a parent key that is about to change, and association rows that
        # move to the new key (deleted before the parent's UPDATE, inserted after it).
        self.key_nulls: list[tuple[InstanceState, RelationshipProperty]] = []
        # delete-orphan rows of a table no foreign key points at: deleted before the same
        # table's INSERTs, so a replaced one-to-one child (unique foreign key) frees its key
        # before the replacement takes it.
        self.early_orphans: dict[Any, list[InstanceState]] = {}
        self.deleted_early: set[InstanceState] = set()
        self.leaf_tables: dict[Any, bool] = {}
        self.m2m_moves: list[tuple[InstanceState, list[tuple[RelationshipProperty, dict[str, Any]]]]] = []

    # --- 1. gather ------------------------------------------------------------------------
    def collect(self, states: Iterable[InstanceState]) -> None:
        """The tasks of ``states`` (new or changed objects): one loop for all of them, the
        relationships of each mapper listed once per flush."""
        session = self.session
        rels_of = self.rels_of
        for state in states:
            obj = state.obj
            d = obj.__dict__
            is_new = state.ident is None
            rels = rels_of.get(state.mapper)
            if rels is None:
                rels = rels_of[state.mapper] = [
                    (p, p.key, p.direction, self.post_tasks if p.post_update else self.tasks,
                     self._mirror_key(p))
                    for p in state.mapper.relationships.values() if not p.viewonly]
            for prop, key, direction, tasks, mirror in rels:
                if direction is MANYTOONE:
                    if is_new:
                        value = d.get(key)
                        if value is not None:
                            tasks.append((state, value, prop))
                    elif key in state.committed:
                        value = d.get(key)
                        tasks.append((state, value, prop))
                elif direction is ONETOMANY:
                    if not prop.passive_updates and not is_new:
                        self._cascade_key_change(state, prop, tasks)
                    if prop.uselist:
                        hist = state.collections.get(key) if state.collections else None
                        if hist is None:
                            continue
                        for child in hist.removed.values():
                            self._child_removed(child, prop, tasks)
                        if mirror is not None and is_new:
                            self._collect_added(state, prop, hist.added.values(), mirror)
                            continue
                        for child in hist.added.values():
                            cst = instance_state(child)
                            if cst.session is session and not cst.marked_deleted:
                                tasks.append((cst, obj, prop))
                    elif key in state.committed or (is_new and d.get(key) is not None):
                        old = state.committed.get(key, NO_VALUE)
                        new = d.get(key)
                        if old is not None and old is not NO_VALUE and old is not new:
                            self._child_removed(old, prop, tasks)
                        if new is not None:
                            cst = instance_state(new)
                            if cst.session is session and not cst.marked_deleted:
                                tasks.append((cst, obj, prop))
                elif direction is MANYTOMANY:
                    if not prop.passive_updates and not is_new:
                        self._move_m2m_key(state, prop)
                    self._collect_m2m(state, prop)

    def _mirror_key(self, prop: RelationshipProperty) -> str | None:
        """For a one-to-many collection whose reverse many-to-one copies the same one-column
        key into the same child attribute (no validator, no ``post_update``): that
        many-to-one's key. A new child pointing back at a new parent added before it gets
        its key copied by its own many-to-one task, later in the same task list; the
        collection's copy before it would write the same value once more."""
        reverse = prop.reverse_property
        if (prop.direction is not ONETOMANY or not prop.uselist or prop.post_update
                or reverse is None or reverse.direction is not MANYTOONE or reverse.viewonly
                or reverse.post_update or reverse.reverse_property is not prop):
            return None
        plans = self.sync_plans
        mine = plans.get(prop)
        if mine is None:
            mine = plans[prop] = sync.plan(prop)
        theirs = plans.get(reverse)
        if theirs is None:
            theirs = plans[reverse] = sync.plan(reverse)
        if mine[2] is None or mine[2] != theirs[2] or mine[4] is not theirs[4]:
            return None
        return reverse.key

    def _collect_added(self, state: InstanceState, prop: RelationshipProperty,
                       added: Iterable[Any], mirror: str) -> None:
        """The copy tasks of the members added to new ``state``'s collection ``prop``
        (whose reverse many-to-one is ``mirror``): a new member added after the parent
        and pointing back at it is left to its own many-to-one task (kept aside, see
        ``restore_mirrored``); the others are tasks as usual."""
        session = self.session
        obj = state.obj
        tasks = self.tasks
        # "added after": positions in the session's pending dict (insertion order), made
        # once per flush; an object missing from it keeps its task
        pos = self.new_positions
        if pos is None:
            new = session._new
            pos = self.new_positions = dict(zip(new, range(len(new))))
        order = pos.get(state, len(pos))
        front = self.n_front
        run: list[InstanceState] | None = None  # the children kept aside at position ``at``
        at = -1
        for child in added:
            cd = child.__dict__
            cst = cd.get(STATE_KEY)
            if cst is None or cst.__class__ is LoadedMark:
                cst = instance_state(child)
            if cst.session is not session:
                continue
            # (a new member cannot be marked for deletion: delete() refuses it)
            if cst.ident is None and pos.get(cst, -1) > order and cd.get(mirror) is obj:
                if run is None:
                    run = []
                    at = len(tasks) - front
                    self.mirrored.append((obj, prop, run))
                    self.mirrored_at.append(at)
                run.append(cst)
            elif not cst._flags & _MARKED_DELETED:
                tasks.append((cst, obj, prop))
                run = None  # (a later child kept aside starts a run at the new position)

    def restore_mirrored(self) -> None:
        """Put the copies ``_collect_added`` left out back where they were (for row-level
        ordering, whose dependency edges and cycle errors name every task's
        relationship)."""
        at = [i + self.n_front for i in self.mirrored_at]
        merged: list[_Task] = []
        j, n = 0, len(at)
        mirrored = self.mirrored
        for i, task in enumerate(self.tasks):
            while j < n and at[j] <= i:
                parent, prop, run = mirrored[j]
                merged.extend([(cst, parent, prop) for cst in run])
                j += 1
            merged.append(task)
        for parent, prop, run in mirrored[j:]:
            merged.extend([(cst, parent, prop) for cst in run])
        self.tasks[:] = merged
        self.mirrored.clear()
        self.mirrored_at.clear()

    @staticmethod
    def _old_key(state: InstanceState, cols: Iterable[Any]) -> dict[str, Any] | None:
        """The values ``cols`` (the parent's referenced columns) had before this flush, by
        attribute key, or None when none of them changed."""
        mapper = state.mapper
        d = state.obj.__dict__
        old_values: dict[str, Any] = {}
        changed = False
        for local in cols:
            key = mapper.columntoproperty[local].key
            old = state.committed.get(key, NO_VALUE)
            if old is NO_VALUE and local.primary_key and state.key is not None:
                old = state.key[1][mapper.primary_key.index(local)]
            if old is NO_VALUE:
                old = d.get(key)
            elif key in d and d[key] != old:
                changed = True
            old_values[key] = old
        return old_values if changed else None

    def _cascade_key_change(self, state: InstanceState, prop: RelationshipProperty,
                            tasks: list[_Task]) -> None:
        """``passive_updates=False``: the parent's referenced key changed, so every child
        row (loaded or not) takes the new value."""
        old_values = self._old_key(state, [local for local, _ in prop.local_remote_pairs])
        if old_values is None:
            return
        d = state.obj.__dict__
        children = d.get(prop.key)
        if children is None:
            children = prop.strategy.load_for_values(self.session, old_values)
        items = list(children) if prop.uselist else ([children] if children is not None else [])
        assert prop.join is not None
        # A foreign key checked at once (SQLite with foreign keys on, PostgreSQL) refuses
        # the parent's new key while children still hold the old one, and the children
        # cannot take the new key before the parent has it: children whose foreign key
        # can be NULL let go first (one batched UPDATE), then take the new key after the
        # parent's UPDATE like any other child.
        nullable = all(dest.nullable and not dest.primary_key for _, dest in prop.join.pairs)
        for child in items:
            cst = instance_state(child)
            if cst.session is self.session and not cst.marked_deleted:
                tasks.append((cst, state.obj, prop))
                if nullable and cst.ident is not None:
                    self.key_nulls.append((cst, prop))

    def _move_m2m_key(self, state: InstanceState, prop: RelationshipProperty) -> None:
        """``passive_updates=False`` on a many-to-many: the parent's referenced key changed,
        so its association rows (loaded or not, extra columns included) are read, deleted
        before the parent's UPDATE and inserted again with the new key after it."""
        from tether.sql.dml import delete
        from tether.sql.selectable import select

        assert prop.join is not None and prop.secondary is not None
        old_values = self._old_key(state, [p for p, _ in prop.join.pairs])
        if old_values is None:
            return
        mapper = state.mapper
        table = prop.secondary
        where = [sec == old_values[mapper.columntoproperty[par].key]
                 for par, sec in prop.join.pairs]
        rows = [dict(r._mapping) for r in self.conn.execute(select(table).where(*where))]
        if not rows:
            return
        self.conn.execute(delete(table).where(*where))
        self.m2m_moves.append((state, [(prop, row) for row in rows]))

    def null_moving_keys(self) -> None:
        """First step of a ``passive_updates=False`` key change: loaded children let go
        of the old key (batched per child table)."""
        from tether.sql.dml import update
        from tether.sql.elements import bindparam

        groups: dict[Any, list[dict[str, Any]]] = {}
        for cst, prop in self.key_nulls:
            assert prop.join is not None
            mapper = cst.mapper
            table = mapper.local_table
            fks = tuple(dest for _, dest in prop.join.pairs)
            pk = cst.key[1]  # type: ignore[index]
            groups.setdefault((table, fks, tuple(mapper.primary_key)), []).append(
                {f"_k{i}": v for i, v in enumerate(pk)})
        for (table, fks, pks), params in groups.items():
            stmt = update(table).where(
                *(c == bindparam(f"_k{i}", type_=c.type) for i, c in enumerate(pks))
            ).values({c: None for c in fks})
            self.conn.execute(stmt, params)

    def insert_moved_m2m(self) -> None:
        """Last step of a many-to-many key change: the association rows come back with the
        parent's new key."""
        from tether.sql.dml import insert

        for state, entries in self.m2m_moves:
            by_table: dict[Any, list[dict[str, Any]]] = {}
            for prop, row in entries:
                assert prop.join is not None
                values = sync.source_values(state.obj, state.mapper, prop.join.pairs)
                for (_, sec), v in zip(prop.join.pairs, values):
                    row[sec.key] = v
                by_table.setdefault(prop.secondary, []).append(row)
            for table, rows in by_table.items():
                self.conn.execute(insert(table), rows)

    def _child_removed(self, child: Any, prop: RelationshipProperty, tasks: list[_Task]) -> None:
        session = self.session
        cst = instance_state(child)
        if cst.session is not session or cst.marked_deleted:
            return
        if "delete-orphan" in prop.cascade:
            # decided once everything is collected: the child may have moved elsewhere
            self.orphans.append((cst, child, prop))
            return
        tasks.insert(0, (cst, None, prop))
        if tasks is self.tasks:
            self.n_front += 1

    def settle_orphans(self) -> None:
        """``delete-orphan``: children removed from a parent and given no new one are
        deleted (or, never flushed, dropped from the session)."""
        if not self.orphans:
            return
        session = self.session
        adopted = {id(t[0].obj) for t in self.tasks if t[1] is not None}
        for cst, child, prop in self.orphans:
            if id(child) in adopted or cst.marked_deleted:
                continue
            reverse = prop.reverse_property
            if reverse is not None and child.__dict__.get(reverse.key) is not None:
                continue
            if cst.ident is None:
                session._expunge_state(cst, "expunged")
            else:
                deletecascade.mark(session, [child], set())
                table = cst.mapper.local_table
                leaf = self.leaf_tables.get(table)
                if leaf is None:
                    leaf = self.leaf_tables[table] = _nothing_refers_to(table)
                if leaf:
                    self.early_orphans.setdefault(cst.mapper, []).append(cst)
        session._resolve_cascades()  # the orphans' own cascades, loaded set-based

    def _collect_m2m(self, state: InstanceState, prop: RelationshipProperty) -> None:
        if state.collections is None and prop.uselist:
            return
        if prop.uselist:
            hist = state.collections.get(prop.key) if state.collections else None
            if hist is None:
                return
            added, removed = hist.added.values(), hist.removed.values()
        else:
            if prop.key not in state.committed:
                return
            old = state.committed[prop.key]
            new = state.obj.__dict__.get(prop.key)
            added = [new] if new is not None else []
            removed = [old] if old is not None and old is not NO_VALUE else []
        # both sides of a bidirectional many-to-many report the same row: it is keyed
        # from the side that sorts first (_m2m_first), worked out once per call
        obj = state.obj
        sec, pid = id(prop.secondary), id(obj)
        first = self._m2m_first(prop)
        m2m_insert, m2m_delete = self.m2m_insert, self.m2m_delete
        for child in removed:
            k = (sec, pid, id(child)) if first else (sec, id(child), pid)
            if k in m2m_insert:
                del m2m_insert[k]
            else:
                m2m_delete[k] = (prop, obj, child)
        session = self.session
        for child in added:
            try:
                cst = child.__dict__[STATE_KEY]
            except (KeyError, AttributeError):
                cst = instance_state(child)
            if cst.session is not session:
                continue
            k = (sec, pid, id(child)) if first else (sec, id(child), pid)
            if k in m2m_delete:
                del m2m_delete[k]
            else:
                m2m_insert[k] = (prop, obj, child)

    def _m2m_first(self, prop: RelationshipProperty) -> bool:
        """Whether ``prop`` is the side of its many-to-many that keys association rows
        ``(secondary, parent, child)`` (the other side keys them reversed)."""
        first = self.m2m_first.get(prop)
        if first is None:
            reverse = prop.reverse_property
            first = self.m2m_first[prop] = (reverse is None
                                            or _side_key(prop) <= _side_key(reverse))
        return first

    def collect_deleted(self, state: InstanceState, props: list[RelationshipProperty]) -> None:
        """What deleting ``state``'s row asks of other rows, along ``props`` (those of
        ``_deleting_props``)."""
        obj = state.obj
        for prop in props:
            if prop.direction is ONETOMANY:
                if prop.passive_deletes and prop.key not in obj.__dict__:
                    continue
                value = getattr(obj, prop.key)
                children = list(value) if prop.uselist else ([value] if value is not None else [])
                for child in children:
                    cst = instance_state(child)
                    if cst.marked_deleted or cst.session is not self.session:
                        continue
                    # only if the child still points here (it may have moved)
                    self.tasks.insert(0, (cst, None, prop))
                    self.n_front += 1
            elif prop.direction is MANYTOMANY:
                self.m2m_delete_parent.append((prop, obj))
            elif prop.direction is MANYTOONE and prop.post_update:
                fk_keys = [prop.parent.columntoproperty[fk].key for _, fk in prop.join.pairs]  # type: ignore[union-attr]
                d = obj.__dict__
                # An expired row may still point at another row being deleted: read it.
                if any((d[k] if k in d else getattr(obj, k)) is not None for k in fk_keys):
                    self.post_tasks_pre_delete.append((state, None, prop))

    @staticmethod
    def _deleting_props(mapper: Any) -> list[RelationshipProperty]:
        """The relationships along which deleting a row of ``mapper`` can touch other rows:
        children that let go of it (no ``delete`` cascade), association rows, and
        ``post_update`` keys pointing at other rows."""
        out = []
        for prop in mapper.relationships.values():
            if prop.viewonly:
                continue
            if prop.direction is ONETOMANY:
                if "delete" in prop.cascade or prop.passive_deletes == "all":
                    continue
            elif prop.direction is MANYTOONE and not prop.post_update:
                continue
            out.append(prop)
        return out

    # --- 2. order ---------------------------------------------------------------------------
    def mapper_components(self, mappers: list[Any]) -> tuple[list[list[Any]], set[Any]]:
        """Mappers grouped into strongly connected components, in dependency order, and the
        set of mappers that need row-level ordering."""
        edges = self._mapper_edges(mappers, with_tables=True)
        comps, selfref = components(mappers, edges)
        return comps, selfref

    def _mapper_edges(self, mappers: list[Any], with_tables: bool) -> list[tuple[Any, Any]]:
        present = set(mappers)
        edges: list[tuple[Any, Any]] = []
        post_cols: set[Any] = set()
        by_table: dict[Any, list[Any]] = {}
        for m in mappers:
            by_table.setdefault(m.local_table, []).append(m)
        for m in mappers:
            for prop in m.relationships.values():
                if prop.viewonly or prop.mapper not in present:
                    continue
                if prop.post_update:
                    post_cols.update(fk for _, fk in prop.join.pairs)  # type: ignore[union-attr]
                    continue
                if prop.direction is ONETOMANY:
                    edges.append((m, prop.mapper))
                elif prop.direction is MANYTOONE:
                    edges.append((prop.mapper, m))
        if with_tables:
            for m in mappers:
                for fk in m.local_table.foreign_keys:
                    if fk.parent in post_cols:
                        continue
                    try:
                        ref_table = fk.column.table
                    except Exception:  # unresolvable foreign key: DDL reports it
                        continue
                    for ref in by_table.get(ref_table, ()):
                        if ref is not m:
                            edges.append((ref, m))
        return edges

    # --- 3. write ---------------------------------------------------------------------------
    def run(self) -> None:
        session = self.session
        self.post_tasks_pre_delete: list[_Task] = []
        new = list(session._new)
        dirty = [s for s in session._modified if s.ident is not None and not s.marked_deleted
                 and s.session is session]
        self.collect(new)
        self.collect(dirty)
        self.settle_orphans()
        deleted = list(session._deleted)
        deleted_by_mapper: dict[Any, list[InstanceState]] = {}
        for state in deleted:
            group = deleted_by_mapper.get(state.mapper)
            if group is None:
                group = deleted_by_mapper[state.mapper] = []
            group.append(state)
        props_of = {m: self._deleting_props(m) for m in deleted_by_mapper}
        # children that let go of deleted parents: their collections load set-based
        for mapper, group in deleted_by_mapper.items():
            for prop in props_of[mapper]:
                if prop.direction is ONETOMANY and not prop.passive_deletes:
                    deletecascade.load(session, prop, [s.obj for s in group])
        for state in deleted:
            props = props_of[state.mapper]
            if props:
                self.collect_deleted(state, props)

        # every mapper involved, in order of first appearance
        tasks = self.tasks
        involved = dict.fromkeys([st.mapper for st in new])
        involved.update(dict.fromkeys([st.mapper for st in dirty]))
        involved.update(dict.fromkeys(deleted_by_mapper))
        # (tasks can be many per row: read through C-level getters, no comprehension)
        involved.update(dict.fromkeys(map(_mapper_of, map(_child_of, tasks))))
        # the sides of each relationship, in order of first appearance
        sides = {prop: sync.sides(prop) for prop in dict.fromkeys(map(_prop_of, tasks))}
        involved.update(dict.fromkeys([s[0] for s in sides.values()]))
        comps, selfref = self.mapper_components(list(involved))
        if self.mirrored and any(len(c) > 1 or c[0] in selfref for c in comps):
            self.restore_mirrored()
            for prop in dict.fromkeys(map(_prop_of, tasks)):
                if prop not in sides:
                    sides[prop] = sync.sides(prop)
        if self.key_nulls:
            self.null_moving_keys()

        tasks_by_mapper: dict[Any, list[_Task]] = {}
        child_mappers = {s[1] for s in sides.values()}
        if len(child_mappers) == 1:  # one child mapper (say both sides of one link): as is
            tasks_by_mapper[child_mappers.pop()] = tasks
        else:
            for t in tasks:
                child_mapper = sides[t[2]][1]
                mtasks = tasks_by_mapper.get(child_mapper)
                if mtasks is None:
                    mtasks = tasks_by_mapper[child_mapper] = []
                mtasks.append(t)

        for comp in comps:
            if len(comp) == 1 and comp[0] not in selfref:
                m = comp[0]
                sync.apply(tasks_by_mapper.get(m, ()), self.sync_plans)
                self.save(m, [s for s in session._new if s.mapper is m],
                          [s for s in session._modified if s.mapper is m])
            else:
                self.save_rows(comp, tasks_by_mapper)

        sync.apply(self.post_tasks, self.sync_plans)
        if self.post_tasks:
            self.update_again({t[0] for t in self.post_tasks if not t[0].marked_deleted})

        if self.m2m_moves:
            self.insert_moved_m2m()
        self.write_m2m()

        sync.apply(self.post_tasks_pre_delete, self.sync_plans, skip_deleted=False)
        if self.post_tasks_pre_delete:
            self.update_again({t[0] for t in self.post_tasks_pre_delete})
        early = self.deleted_early
        for comp in reversed(comps):
            states = [s for m in comp for s in deleted_by_mapper.get(m, ())]
            if len(comp) > 1:  # rows of several mappers: in the session's order, as deleted
                order = {s: i for i, s in enumerate(deleted)}
                states.sort(key=order.__getitem__)
            self.delete_component(comp, [s for s in states if s not in early] if early else states)

    def save(self, mapper: Any, new: list[InstanceState], modified: Iterable[InstanceState]) -> None:
        # UPDATEs before INSERTs (as SQLAlchemy does): a row giving up a unique key (a
        # replaced one-to-one child) must let go of it before the new row takes it.
        session = self.session
        upd = [s for s in modified if s.ident is not None and not s.marked_deleted
               and s not in self.written and s.session is session]
        if upd:
            pk_keys = mapper.pk_keys
            if events.active:
                self._fire(mapper, "before_update", upd)
            for st in persistence.update_rows(self.conn, mapper, upd):
                committed = st.committed
                for k in pk_keys:
                    if k in committed:  # a key change: re-key the identity map
                        self._updated(st)
                        break
            self.written.update(upd)
            for st in upd:
                st.committed = NO_CHANGES
            if events.active:
                self._fire(mapper, "after_update", upd)
        if new and mapper in self.early_orphans:
            early = self.early_orphans.pop(mapper)
            self.delete_rows(mapper, early)
            self.deleted_early.update(early)
        if new:
            if events.active:
                self._fire(mapper, "before_insert", new)
            persistence.insert_rows(self.conn, mapper, new, self.assigned)
            self._inserted(mapper, new)
            if events.active:
                self._fire(mapper, "after_insert", new)

    def delete_rows(self, mapper: Any, states: list[InstanceState]) -> None:
        """DELETE the rows of ``states`` (of ``mapper``), with the mapper's events."""
        if events.active:
            self._fire(mapper, "before_delete", states)
        persistence.delete_rows(self.conn, mapper, states)
        self.deleted_now.extend(states)
        if events.active:
            self._fire(mapper, "after_delete", states)

    def _fire(self, mapper: Any, identifier: str, states: list[InstanceState]) -> None:
        """A mapper event for each of ``states``: ``fn(mapper, connection, obj)``."""
        fns = events.listeners(mapper_targets(mapper), identifier)
        for st in states:
            for fn in fns:
                fn(mapper, self.conn, st.obj)

    def update_again(self, states: set[InstanceState]) -> None:
        by_mapper: dict[Any, list[InstanceState]] = {}
        for st in states:
            by_mapper.setdefault(st.mapper, []).append(st)
        for mapper, group in by_mapper.items():
            for st in persistence.update_rows(self.conn, mapper, group):
                self._updated(st)
            for st in group:
                st.committed = NO_CHANGES

    def _inserted(self, mapper: Any, states: list[InstanceState]) -> None:
        """``states`` (of ``mapper``) were inserted: they become persistent under their
        identity key."""
        session = self.session
        pending = session._new
        tx_inserted = session._tx_inserted
        inserted = self.inserted
        written = self.written
        pk_keys = mapper.pk_keys
        one_key = pk_keys[0] if len(pk_keys) == 1 else None
        objs = session.identity_map.of(mapper.identity_class, one_key is not None)
        # listed first (a failed flush's undo() also takes back states it had not reached)
        inserted.extend(states)
        for state in states:
            obj = state.obj
            d = obj.__dict__
            # the bare identity (tether.orm.identity): the value of a one-column key
            ident = d.get(one_key) if one_key is not None else tuple([d.get(k) for k in pk_keys])
            if ident is None or (one_key is None and None in ident):
                raise FlushError(
                    f"Instance {type(obj).__name__} has a NULL primary key after its "
                    "INSERT; give the primary key a value, or make it an autoincrementing "
                    "integer"
                )
            state.ident = ident
            objs[ident] = obj
            pending.pop(state, None)
            tx_inserted[state] = obj
            state.committed = NO_CHANGES
        written.update(states)

    def _updated(self, state: InstanceState) -> None:
        mapper = state.mapper
        d = state.obj.__dict__
        pk = tuple(d.get(k, v) for k, v in zip(mapper.pk_keys, state.key[1]))  # type: ignore[index]
        if state.key is not None and pk != state.key[1]:
            session = self.session
            if session.identity_map.get(state.key) is state.obj:
                del session.identity_map[state.key]
            state.key = (mapper.identity_class, pk)
            session.identity_map[state.key] = state.obj

    def save_rows(self, comp: list[Any], tasks_by_mapper: dict[Any, list[_Task]]) -> None:
        """Row-level ordering for mappers that refer to themselves or to each other."""
        session = self.session
        members = set(comp)
        nodes: list[InstanceState] = [s for s in session._new if s.mapper in members]
        node_set = set(nodes)
        for s in session._modified:
            if s.mapper in members and s.ident is not None and not s.marked_deleted and s not in node_set:
                nodes.append(s)
                node_set.add(s)
        tasks = [t for m in comp for t in tasks_by_mapper.get(m, ()) if not t[0].marked_deleted]
        for t in tasks:
            if t[0] not in node_set:
                nodes.append(t[0])
                node_set.add(t[0])
        edges = []
        for child, parent, prop in tasks:
            if parent is None:
                continue
            pst = instance_state(parent)
            if pst in node_set and pst.ident is None and pst is not child:
                edges.append((pst, child, prop))
        try:
            ordered = topo_sort(nodes, [(a, b) for a, b, _ in edges])
        except CycleError as err:
            raise _cycle_error(err, edges) from None
        level: dict[InstanceState, int] = {}
        parents: dict[InstanceState, list[InstanceState]] = {}
        for a, b, _ in edges:
            parents.setdefault(b, []).append(a)
        for st in ordered:
            level[st] = 1 + max((level[p] for p in parents.get(st, ())), default=-1)
        by_level: dict[int, list[InstanceState]] = {}
        for st in ordered:
            by_level.setdefault(level[st], []).append(st)
        tasks_by_child: dict[InstanceState, list[_Task]] = {}
        for t in tasks:
            tasks_by_child.setdefault(t[0], []).append(t)
        for lvl in sorted(by_level):
            states = by_level[lvl]
            for st in states:
                sync.apply(tasks_by_child.get(st, ()), self.sync_plans)
            for m in comp:
                self.save(
                    m,
                    [s for s in states if s.mapper is m and s.ident is None],
                    [s for s in states if s.mapper is m and s.ident is not None],
                )

    def write_m2m(self) -> None:
        from tether.sql.dml import delete, insert

        conn = self.conn
        deletes: dict[Any, list[dict[str, Any]]] = {}
        for prop, parent in self.m2m_delete_parent:
            assert prop.join is not None
            cols = [s for _, s in prop.join.pairs]
            values = sync.source_values(parent, prop.parent, prop.join.pairs)
            key = (prop.secondary, tuple(cols))
            deletes.setdefault(key, []).append({f"_m{i}": v for i, v in enumerate(values)})
        for prop, parent, child in self.m2m_delete.values():
            assert prop.join is not None
            cols = [s for _, s in prop.join.pairs] + [s for _, s in prop.join.secondary_pairs]
            values = sync.source_values(parent, prop.parent, prop.join.pairs) + sync.source_values(
                child, prop.mapper, prop.join.secondary_pairs
            )
            deletes.setdefault((prop.secondary, tuple(cols)), []).append(
                {f"_m{i}": v for i, v in enumerate(values)}
            )
        from tether.sql.elements import bindparam

        for (table, cols), rows in deletes.items():
            stmt = delete(table).where(
                *(c == bindparam(f"_m{i}", type_=c.type) for i, c in enumerate(cols))
            )
            unique = list({tuple(sorted(r.items())): r for r in rows}.values())
            conn.execute(stmt, unique)
        inserts: dict[Any, list[tuple[Any, ...]]] = {}
        last: Any = None
        for prop, parent, child in self.m2m_insert.values():
            if prop is not last:  # links come in runs of one relationship
                last = prop
                group_key, build = _m2m_row_plan(prop)
                group = inserts.get(group_key)
                if group is None:
                    group = inserts[group_key] = []
                add = group.append
            add(build(parent, child))
        for (table, columns), links in inserts.items():
            execute_rows(conn, insert(table), columns, links)

    def delete_component(self, comp: list[Any], states: list[InstanceState]) -> None:
        if not states:
            return
        if len(comp) == 1 and len(states) == 1 or not self._has_internal_refs(comp):
            for m in comp:
                self.delete_rows(m, [s for s in states if s.mapper is m])
            return
        # rows of the component referring to each other: children first
        edges = []
        index: dict[Any, dict[tuple[Any, ...], InstanceState]] = {}
        for m in comp:
            for prop in m.relationships.values():
                if prop.viewonly or prop.post_update or prop.direction is MANYTOMANY:
                    continue
                if prop.mapper not in comp:
                    continue
                parent_m = prop.parent if prop.direction is ONETOMANY else prop.mapper
                child_m = prop.mapper if prop.direction is ONETOMANY else prop.parent
                assert prop.join is not None
                pairs = prop.join.pairs
                idx_key = (id(prop), "p")
                if idx_key not in index:
                    index[idx_key] = {}
                    for s in states:
                        if s.mapper is parent_m:
                            vals = tuple(_old(s, parent_m.columntoproperty[c].key) for c, _ in pairs)
                            index[idx_key][vals] = s
                for s in states:
                    if s.mapper is not child_m:
                        continue
                    vals = tuple(_old(s, child_m.columntoproperty[c].key) for _, c in pairs)
                    p = index[idx_key].get(vals)
                    if p is not None and p is not s:
                        edges.append((s, p, prop))
        try:
            ordered = topo_sort(states, [(a, b) for a, b, _ in edges])
        except CycleError as err:
            raise _cycle_error(err, edges) from None
        level: dict[InstanceState, int] = {}
        before: dict[InstanceState, list[InstanceState]] = {}
        for a, b, _ in edges:
            before.setdefault(b, []).append(a)
        for st in ordered:
            level[st] = 1 + max((level[p] for p in before.get(st, ())), default=-1)
        for lvl in sorted(set(level.values())):
            for m in comp:
                group = [s for s in ordered if level[s] == lvl and s.mapper is m]
                if group:
                    self.delete_rows(m, group)

    @staticmethod
    def _has_internal_refs(comp: list[Any]) -> bool:
        members = set(comp)
        return any(
            p.mapper in members and not p.viewonly
            for m in comp
            for p in m.relationships.values()
        )

    # --- 4. finish -------------------------------------------------------------------------
    def finish(self) -> None:
        session = self.session
        identity_map = session.identity_map
        deleted_pop = session._deleted.pop
        tx_deleted = session._tx_deleted
        for state in self.deleted_now:
            ident = state.ident
            if ident is not None:
                # the class's dict, looked up by the bare identity: no key tuples per row
                mapper = state.mapper
                objs = identity_map.of(mapper.identity_class, mapper.single_pk)
                if objs.get(ident) is state.obj:
                    del objs[ident]
            deleted_pop(state, None)
            tx_deleted[state] = state.obj
            state.flushed_deleted = True
        for state in list(session._modified):
            state.reset_history()
        for state in self.inserted:  # reset_history(), inline: one per row inserted
            state.committed = NO_CHANGES
            state.collections = None
            state._flags &= ~_MODIFIED
        session._modified.clear()

    def undo(self) -> None:
        """A statement failed: put objects back as they were before the flush."""
        session = self.session
        for states, key in self.assigned:
            for state in states if isinstance(states, list) else (states,):
                state.obj.__dict__.pop(key, None)
        if self.inserted and session._new is NO_PENDING:
            session._new = {}
        for state in self.inserted:
            if state.ident is not None and session.identity_map.get(state.key) is state.obj:
                del session.identity_map[state.key]
            session._tx_inserted.pop(state, None)
            state.key = None
            session._new[state] = state.obj


_child_of, _prop_of, _mapper_of = itemgetter(0), itemgetter(2), attrgetter("mapper")


def _nothing_refers_to(table: Any) -> bool:
    """Whether no foreign key of ``table``'s MetaData points at ``table`` (deleting one of
    its rows early cannot break another row)."""
    metadata = getattr(table, "metadata", None)
    if metadata is None:
        return False
    for other in metadata.tables.values():
        for fk in other.foreign_keys:
            try:
                if fk.column.table is table:
                    return False
            except Exception:  # an unresolved foreign key: assume the worst
                return False
    return True


def _m2m_row_plan(prop: RelationshipProperty) -> tuple[Any, Any]:
    """For an association row of ``prop``: its group key ``(table, column keys)`` and a
    function ``(parent, child)`` returning the row's values as one tuple in the order of
    those column keys (an expired key attribute is read through ``getattr``, which loads
    it), handed to the driver without a dict per row (``engine.rows.execute_rows``). Made
    once per relationship and kept in its mapper's statement cache."""
    cache = prop.parent.statement_cache
    plan = cache.get(("m2m_row", prop.key))
    if plan is not None and plan[0] is prop:
        return plan[1]  # type: ignore[no-any-return]
    assert prop.join is not None
    parent_plan = [(prop.parent.columntoproperty[src].key, sec.key)
                   for src, sec in prop.join.pairs]
    child_plan = [(prop.mapper.columntoproperty[src].key, sec.key)
                  for src, sec in prop.join.secondary_pairs]
    # one value per association column (a column named twice takes the last, as a dict
    # display would), in the order of ``columns``
    exprs = {ck: f"pd[{k!r}] if {k!r} in pd else getattr(parent, {k!r})"
             for k, ck in parent_plan}
    for k, ck in child_plan:
        exprs[ck] = f"cd[{k!r}] if {k!r} in cd else getattr(child, {k!r})"
    columns = tuple(exprs)
    source = "\n".join([
        "def m2m_row(parent, child):",
        "    pd = parent.__dict__",
        "    cd = child.__dict__",
        f"    return ({', '.join(exprs.values())},)",
        "",
    ])
    build = codegen.define(source, "m2m_row", f"association rows of {prop.parent.class_.__qualname__}.{prop.key}", {})
    result = ((prop.secondary, columns), build)
    cache[("m2m_row", prop.key)] = (prop, result)
    return result


def _side_key(prop: RelationshipProperty) -> tuple[str, str]:
    return (prop.parent.class_.__name__, prop.key)


def _old(state: InstanceState, key: str) -> Any:
    old = state.committed.get(key, NO_VALUE)
    if old is not NO_VALUE:
        return old
    d = state.obj.__dict__
    return d[key] if key in d else getattr(state.obj, key)


def _cycle_error(err: CycleError, edges: list[tuple[Any, Any, Any]]) -> CircularDependencyError:
    in_cycle = {id(x) for cyc in err.cycles for x in cyc} or {id(x) for x in err.remaining}
    props = []
    for a, b, prop in edges:
        if id(a) in in_cycle and id(b) in in_cycle and prop not in props:
            props.append(prop)
    classes = sorted({type(x.obj).__name__ for x in err.remaining})  # type: ignore[attr-defined]
    rels = ", ".join(f"{p.parent.class_.__name__}.{p.key}" for p in props) or "unknown"
    return CircularDependencyError(
        f"Cannot order the flush: rows of {', '.join(classes)} depend on each other in a "
        f"cycle through the relationships {rels}; each row needs the other's primary key "
        "before it can be inserted (or deleted). Set post_update=True on one of those "
        "relationships so tether writes that foreign key with a second UPDATE after both "
        "rows exist.",
        cycles=err.cycles,
        edges=[(a.obj, b.obj) for a, b, _ in edges],
    )


def flush(session: Any, after_run: Callable[[Any], None] | None = None) -> Any:
    """Write the session's pending changes (called by ``Session.flush``); ``after_run`` is
    called with the flush once every statement ran, before the objects' states change (the
    session's ``after_flush`` event). Returns the flush (the events' ``flush_context``)."""
    work = _Flush(session)
    try:
        work.run()
        if after_run is not None:
            after_run(work)
    except BaseException:
        work.undo()
        raise
    work.finish()
    return work
