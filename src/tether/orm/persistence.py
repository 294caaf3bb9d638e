"""Writing rows: INSERT, UPDATE and DELETE statements for one mapper's objects, in batches.

Rows are grouped by the set of columns they carry; each group is one ``executemany`` of
one statement: ``INSERT ... RETURNING`` when keys must come back from the database (the
engine sends those rows as multi-row VALUES pages where the dialect returns rows in VALUES
order), else a plain INSERT. UPDATE writes only the
changed columns; UPDATE and DELETE run as ``executemany``. Statement objects are cached on
the mapper per column set so the compiled-statement cache hits on the next flush.
"""

from __future__ import annotations

from operator import attrgetter
from typing import Any

from tether.engine.rows import execute_rows
from tether.orm.exc import StaleDataError
from tether.orm.state import NO_VALUE, InstanceState
from tether.util import codegen

__all__ = ["delete_rows", "insert_rows", "update_rows"]



def _python_default(col: Any) -> Any:
    default = _python_default_of(col)
    return NO_VALUE if default is None else default.value_for(None)


def _insert_plan(mapper: Any) -> tuple[Any, ...]:
    """Per mapper, made once: ``(attribute key, column key)`` of every column attribute;
    the keys of columns with a Python default (pk and others apart); primary keys without
    one; the usual row's column set and its parameter builder (:func:`_full_row_params`)."""
    def build() -> tuple[Any, ...]:
        cols: list[tuple[str, str]] = []
        defaulted: list[str] = []
        pk_defaulted: list[str] = []
        pk_plain: list[tuple[str, str]] = []
        for prop in mapper.column_attrs:
            col = prop.column
            cols.append((prop.key, col.key))
            has_default = _python_default_of(col) is not None
            if col.primary_key and has_default:
                pk_defaulted.append(prop.key)
            elif col.primary_key:
                pk_plain.append((prop.key, col.key))
            elif has_default:
                defaulted.append(prop.key)
        full_shape, full_params = _full_row_params(cols, pk_plain, pk_defaulted, mapper)
        return (tuple(cols), tuple(defaulted), tuple(pk_defaulted), tuple(pk_plain),
                full_shape, full_params)

    return _cached(mapper, ("insert_plan",), build)  # type: ignore[no-any-return]


def _full_row_params(cols: list[tuple[str, str]], pk_plain: list[tuple[str, str]],
                     pk_defaulted: list[str], mapper: Any) -> tuple[tuple[str, ...], Any]:
    """``(column set, builder)`` for the usual new row: every non-key column attribute set
    and the primary key left to the database (unset or None). ``builder(obj.__dict__)``
    returns that row's values in column-set order as one tuple display, or None for any
    other row, which takes the general path; where it returns a tuple, the general path
    makes the same one.
    (None for a key with a Python default: such a row computes its default.)"""
    if pk_defaulted:
        return (), None
    pk_keys = {k for k, _ in pk_plain}
    plain = [(k, ck) for k, ck in cols if k not in pk_keys]
    tests = [f"d.get({k!r}) is None" for k in pk_keys]
    # one value per column key (two attributes of one column: the last one's, as a dict)
    by_column = {ck: k for k, ck in plain}
    # (an unset attribute is a KeyError: no membership test per attribute on every row)
    source = "\n".join([
        "def full_row_params(d):",
        f"    if {' and '.join(tests) or 'True'}:",
        "        try:",
        f"            return ({''.join(f'd[{k!r}], ' for k in by_column.values())})",
        "        except KeyError:",
        "            pass",
        "    return None",
        "",
    ])
    builder = codegen.define(source, "full_row_params",
                             f"insert parameters for {mapper.class_.__qualname__}", {})
    return tuple(by_column), builder


def _python_default_of(col: Any) -> Any:
    default = col.default
    if default is None or getattr(default, "is_clause_element", False):
        return None
    return default


def _params_with_defaults(mapper: Any, state: InstanceState, assigned: list[Any]
                          ) -> dict[str, Any]:
    """One row's INSERT values, computing Python defaults for the columns left unset."""
    d = state.obj.__dict__
    params: dict[str, Any] = {}
    for prop in mapper.column_attrs:
        key = prop.key
        col = prop.column
        value = d.get(key, NO_VALUE)
        if value is NO_VALUE or (value is None and col.primary_key):
            value = _python_default(col)
            if value is NO_VALUE:
                continue
            d[key] = value
            assigned.append((state, key))
        params[col.key] = value
    return params


def insert_rows(conn: Any, mapper: Any, states: list[InstanceState], assigned: list[Any]) -> None:
    """INSERT ``states`` (all of ``mapper``) and fill in database-generated keys.

    ``assigned`` collects ``(state, key)`` for every value the insert put into an object
    (``(list of states, key)`` for a key given to a run of rows), so a failed flush can
    take them back.
    """
    table = mapper.local_table
    dialect = conn.dialect
    # Runs of consecutive rows with one column set, in the order the objects were added
    # (so generated keys follow that order, as in SQLAlchemy): (column set, states, their
    # values as tuples in column-set order), two parallel lists so the rows go to
    # executemany as they are (tether.engine.rows).
    runs: list[tuple[tuple[str, ...], list[InstanceState], list[tuple[Any, ...]]]] = []
    last: tuple[Any, ...] | None = None
    pk_cols = mapper.primary_key
    plan = _insert_plan(mapper)
    cols, defaulted, pk_defaulted, pk_plain, full_shape, full_params = plan
    built: list[Any] | None = None
    if full_params is not None:
        # the usual flush: every row the usual one, built in one C-level pass
        built = list(map(full_params, map(_dict_of, states)))
        if None not in built:
            runs.append((full_shape, states, built))
            states = []  # (nothing left for the general loop)
    for i, state in enumerate(states):
        d = state.obj.__dict__
        row = built[i] if built is not None else None
        if row is not None:
            shape = full_shape
        else:
            if (defaulted and any(k not in d for k in defaulted)) or (
                    pk_defaulted and any(d.get(k) is None for k in pk_defaulted)):
                params = _params_with_defaults(mapper, state, assigned)
            else:
                # no Python default to compute: the attributes the object has, minus NULL keys
                params = {ck: d[k] for k, ck in cols if k in d}
                for k, ck in pk_plain:
                    if k in d and d[k] is None:
                        del params[ck]
            shape = tuple(params)
            row = tuple(params.values())
        if last is None or last[0] != shape:
            last = (shape, [], [])
            runs.append(last)  # type: ignore[arg-type]
        last[1].append(state)
        last[2].append(row)
    for keys, group_states, rows in runs:
        missing_pk = [c for c in pk_cols if c.key not in keys]
        server_side = [
            p.key
            for p in mapper.column_attrs
            if p.column.key not in keys
            and not p.column.primary_key
            and (p.column.server_default is not None or p.column.computed is not None)
        ]
        if not missing_pk:
            stmt = _cached(mapper, ("insert", keys), lambda: _insert(table))
            execute_rows(conn, stmt, keys, rows)
        elif dialect.supports_returning:
            _insert_returning(conn, mapper, table, keys, group_states, rows, missing_pk,
                              assigned)
        else:
            stmt = _cached(mapper, ("insert", keys), lambda: _insert(table))
            for state, row in zip(group_states, rows):
                result = conn.execute(stmt, dict(zip(keys, row)))
                pk = result.inserted_primary_key
                d = state.obj.__dict__
                for col, value in zip(pk_cols, pk):
                    key = mapper.columntoproperty[col].key
                    if d.get(key) is None:
                        d[key] = value
                        assigned.append((state, key))
        if server_side:
            # values the database made up: load them on first access
            for state in group_states:
                d = state.obj.__dict__
                for key in server_side:
                    d.pop(key, None)
                state.expired = True


_dict_of = attrgetter("obj.__dict__")


def _insert(table: Any) -> Any:
    from tether.sql.dml import insert

    return insert(table)


def _insert_returning(
    conn: Any,
    mapper: Any,
    table: Any,
    keys: tuple[str, ...],
    states: list[InstanceState],
    rows: list[tuple[Any, ...]],
    missing_pk: list[Any],
    assigned: list[Any],
) -> None:
    from tether.sql.dml import insert

    prop_keys = [mapper.columntoproperty[c].key for c in missing_pk]
    stmt = _cached(mapper, ("insert_ret", keys), lambda: insert(table).returning(*missing_pk))
    rows = execute_rows(conn, stmt, keys, rows)._raw_all()
    if len(prop_keys) == 1:
        key = prop_keys[0]
        # (each object's dict read through one C-level getter, the value unpacked in place)
        for d, (value,) in zip(map(_dict_of, states), rows):
            d[key] = value
        # one entry for the run (a failed flush takes the keys back from each)
        assigned.append((states if len(rows) >= len(states) else states[:len(rows)], key))
        return
    for state, row in zip(states, rows):
        d = state.obj.__dict__
        for key, value in zip(prop_keys, row):
            d[key] = value
            assigned.append((state, key))


def _cached(mapper: Any, key: Any, build: Any) -> Any:
    cache = mapper.statement_cache
    stmt = cache.get(key)
    if stmt is None:
        stmt = cache[key] = build()
    return stmt


def _pk_binds(mapper: Any) -> list[str]:
    return [f"_tpk_{i}" for i in range(len(mapper.primary_key))]


def _where_pk(mapper: Any, stmt: Any) -> Any:
    from tether.sql.elements import bindparam

    return stmt.where(
        *(col == bindparam(name, type_=col.type)
          for col, name in zip(mapper.primary_key, _pk_binds(mapper)))
    )


def _old_pk(mapper: Any, state: InstanceState) -> tuple[Any, ...] | list[Any]:
    """The primary key the row has in the database now (before a key change is written):
    the identity key, which is re-keyed after every UPDATE that changes it."""
    if state.key is not None:
        return state.key[1]
    d = state.obj.__dict__
    return [d.get(key) for key in mapper.pk_keys]


def _update_binds(mapper: Any) -> dict[str, tuple[str, str]]:
    """Attribute key -> (column key, bind name of its new value) for an UPDATE's SET."""
    return _cached(mapper, ("update_binds",), lambda: {
        key: (col.key, f"_tv_{col.key}") for key, col in mapper.key_to_column.items()
    })


def update_rows(conn: Any, mapper: Any, states: list[InstanceState]) -> list[InstanceState]:
    """Write the changed columns of ``states``; returns the states that were written.

    A column is written when its value differs from the one recorded before the first
    change. Rows are grouped by the set of columns written, one executemany per group.
    Raises StaleDataError when a row to update is no longer in the database.
    """
    from tether.sql.dml import update
    from tether.sql.elements import bindparam

    table = mapper.local_table
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    written: list[InstanceState] = []
    binds = _pk_binds(mapper)
    one_bind = binds[0] if len(binds) == 1 else None
    to_bind = _update_binds(mapper)
    onupdate_cols = [c for c in table.c if c.onupdate is not None]
    for state in states:
        d = state.obj.__dict__
        params: dict[str, Any] = {}
        changed: list[str] = []
        for key, old in state.committed.items():
            target = to_bind.get(key)
            if target is None or key not in d:
                continue
            new = d[key]
            if old is NO_VALUE or old is not new and (type(old) is not type(new) or old != new):
                changed.append(target[0])
                params[target[1]] = new
        if not changed:
            continue
        for col in onupdate_cols:
            if col.key not in changed and not getattr(col.onupdate, "is_clause_element", False):
                value = col.onupdate.value_for(None)
                changed.append(col.key)
                params[f"_tv_{col.key}"] = value
                prop = mapper.columntoproperty.get(col)
                if prop is not None:
                    d[prop.key] = value
        identity = state.key
        old_pk = identity[1] if identity is not None else _old_pk(mapper, state)
        if one_bind is not None:
            params[one_bind] = old_pk[0]
        else:
            for name, value in zip(binds, old_pk):
                params[name] = value
        shape = tuple(changed)
        group = groups.get(shape)
        if group is None:
            group = groups[shape] = []
        group.append(params)
        written.append(state)
    for keys, rows in groups.items():
        stmt = _cached(
            mapper,
            ("update", keys),
            lambda keys=keys: _where_pk(mapper, update(table)).values(
                {table.c[k]: bindparam(f"_tv_{k}", type_=table.c[k].type) for k in keys}
            ),
        )
        result = conn.execute(stmt, rows)
        count = getattr(result, "rowcount", -1)
        if count is not None and count >= 0 and count != len(rows):
            raise StaleDataError(
                f"updating table {table.name} was expected to change {len(rows)} row(s) but "
                f"matched {count}: a row was deleted or its primary key changed by someone "
                "else since it was loaded"
            )
    refetch = _changed_by_update(mapper)
    if refetch and written:
        # values the database set in the UPDATE: load them on next access
        for state in written:
            d = state.obj.__dict__
            for key in refetch:
                d.pop(key, None)
            state.expired = True
    return written


def _changed_by_update(mapper: Any) -> tuple[str, ...]:
    """Attribute keys of the columns an UPDATE makes the database change: ``Computed``
    columns, ``server_onupdate``, and ``onupdate=`` SQL expressions (made once per mapper)."""
    keys = mapper.statement_cache.get("changed_by_update")
    if keys is None:
        keys = mapper.statement_cache["changed_by_update"] = tuple(
            p.key for p in mapper.column_attrs
            if p.column.computed is not None or p.column.server_onupdate is not None
            or (p.column.onupdate is not None
                and getattr(p.column.onupdate, "is_clause_element", False)))
    return keys  # type: ignore[no-any-return]


#: keys per ``DELETE ... WHERE pk IN (...)`` (as the selectin loader's batches)
_DELETE_BATCH = 500


def delete_rows(conn: Any, mapper: Any, states: list[InstanceState]) -> None:
    """DELETE the rows of ``states``: by a one-column primary key, one ``IN`` statement per
    batch of keys; else one executemany. No row of ``states`` refers to another (the unit
    of work deletes rows that do level by level), so one statement may take them all."""
    from tether.sql.dml import delete

    if not states:
        return
    table = mapper.local_table
    if len(mapper.primary_key) == 1:
        from tether.sql.elements import BindParameter

        pk = mapper.primary_key[0]
        stmt = _cached(mapper, ("delete-in",), lambda: delete(table).where(
            pk.in_(BindParameter("_tpks", expanding=True, key_list=True))))
        # a one-column key's identity is the key value itself (see _old_pk)
        keys = [s.ident if s.ident is not None else _old_pk(mapper, s)[0] for s in states]
        for start in range(0, len(keys), _DELETE_BATCH):
            conn.execute(stmt, {"_tpks": keys[start:start + _DELETE_BATCH]})
        return
    binds = _pk_binds(mapper)
    stmt = _cached(mapper, ("delete",), lambda: _where_pk(mapper, delete(table)))
    rows = [dict(zip(binds, _old_pk(mapper, s))) for s in states]
    conn.execute(stmt, rows)


def post_update_rows(conn: Any, mapper: Any, states: list[InstanceState]) -> None:
    """The second UPDATE for ``post_update=True`` relationships (rows pointing at each
    other): writes the foreign keys that could not be written with the rows."""
    update_rows(conn, mapper, states)
