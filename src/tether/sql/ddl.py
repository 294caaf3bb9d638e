"""DDL statements and the plan behind ``create_all``/``drop_all``.

Tables are created parents first and dropped children first. When foreign keys form a
cycle, the database decides what is possible: where it can add a constraint to an existing
table (``supports_alter_add_constraint``) the cycle's foreign keys are added afterwards with
``ALTER TABLE ... ADD CONSTRAINT``; where it accepts a reference to a table that does not
exist yet (``allows_forward_references``) the tables are simply created; otherwise a
``CircularDependencyError`` names the tables in the cycle.

The *bind* handed to ``run_create_all`` is an Engine or Connection; this module only calls
``bind._ddl_connection()`` and the dialect's ``has_table``/``has_schema``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tether import exc
from tether.sql.elements import BindParameter, ClauseElement
from tether.util import topological

if TYPE_CHECKING:
    from tether.sql.schema import ForeignKeyConstraint, Index, MetaData, Table


class DDLElement(ClauseElement):
    """Base of DDL statements; they have no parameters and are cached by identity."""

    def _shape(self, binds: list[BindParameter]) -> Any:
        return None  # never cached: DDL is rare and depends on live schema objects


class CreateTable(DDLElement):
    __visit_name__ = "create_table"

    def __init__(self, element: Table, include_foreign_key_constraints: Any = None,
                 if_not_exists: bool = False) -> None:
        self.element = element
        self.include_foreign_key_constraints = include_foreign_key_constraints
        self.if_not_exists = if_not_exists


class DropTable(DDLElement):
    __visit_name__ = "drop_table"

    def __init__(self, element: Table, if_exists: bool = False) -> None:
        self.element = element
        self.if_exists = if_exists


class CreateIndex(DDLElement):
    __visit_name__ = "create_index"

    def __init__(self, element: Index, if_not_exists: bool = False) -> None:
        self.element = element
        self.if_not_exists = if_not_exists


class DropIndex(DDLElement):
    __visit_name__ = "drop_index"

    def __init__(self, element: Index, if_exists: bool = False) -> None:
        self.element = element
        self.if_exists = if_exists


class CreateSchema(DDLElement):
    __visit_name__ = "create_schema"

    def __init__(self, name: str, if_not_exists: bool = False) -> None:
        self.element = name
        self.if_not_exists = if_not_exists


class DropSchema(DDLElement):
    __visit_name__ = "drop_schema"

    def __init__(self, name: str, cascade: bool = False, if_exists: bool = False) -> None:
        self.element = name
        self.cascade = cascade
        self.if_exists = if_exists


class AddConstraint(DDLElement):
    __visit_name__ = "add_constraint"

    def __init__(self, element: Any) -> None:
        self.element = element


class DropConstraint(DDLElement):
    __visit_name__ = "drop_constraint"

    def __init__(self, element: Any, if_exists: bool = False) -> None:
        self.element = element
        self.if_exists = if_exists


def _dependencies(tables: list[Table]) -> list[tuple[Any, Table, ForeignKeyConstraint]]:
    """(referred, referring, constraint) for every foreign key between two of ``tables``."""
    known = {id(t) for t in tables}
    out: list[tuple[Any, Table, ForeignKeyConstraint]] = []
    for t in tables:
        for fkc in t.foreign_key_constraints:
            for el in fkc.elements:
                try:
                    target = el.column.table
                except exc.NoReferenceError:
                    continue
                if target is not t and id(target) in known:
                    out.append((target, t, fkc))  # type: ignore[arg-type]
                    break
    return out


def sort_tables(tables: list[Table], ignore_cycles: bool = False) -> list[Table]:
    """Tables ordered parents first, ties by name (as SQLAlchemy orders them). With
    ``ignore_cycles`` a cycle's edges are dropped."""
    tables = sorted(tables, key=lambda t: t.key)
    edges = [(a, b) for a, b, _ in _dependencies(tables)]
    try:
        return topological.sort(tables, edges)
    except topological.CycleError as err:
        if not ignore_cycles:
            raise _cycle_error(err) from None
        cyclic = _cycle_constraints(tables)
        keep = [(a, b) for a, b, c in _dependencies(tables) if c not in cyclic]
        return topological.sort(tables, keep)


def _cycle_constraints(tables: list[Table]) -> list[ForeignKeyConstraint]:
    """Foreign keys to leave out of CREATE TABLE so that the rest has an order: those
    marked ``use_alter``, then, per cycle, the constraints that close it."""
    deps = _dependencies(tables)
    chosen = [c for _, _, c in deps if c.use_alter]
    while True:
        remaining = [(a, b) for a, b, c in deps if c not in chosen]
        try:
            topological.sort(tables, remaining)
            return chosen
        except topological.CycleError as err:
            for cycle in err.cycles:
                # Break the cycle at the edge whose referring table comes last in it.
                members = list(cycle)
                for i, table in enumerate(members):
                    nxt = members[(i + 1) % len(members)]
                    for a, b, c in deps:
                        if a is table and b is nxt and c not in chosen:
                            chosen.append(c)
                            break
                    else:
                        continue
                    break


def _cycle_error(err: topological.CycleError) -> exc.CircularDependencyError:
    cycles = " ; ".join(" -> ".join(str(getattr(t, "key", t)) for t in cyc)
                        for cyc in err.cycles)
    return exc.CircularDependencyError(
        f"the foreign keys of these tables form a cycle: {cycles}. This database cannot "
        f"add a foreign key to an existing table, so no creation order works. Make one of "
        f"the foreign keys nullable and drop it from the schema, or use a database that "
        f"supports ALTER TABLE ... ADD CONSTRAINT (PostgreSQL).",
        cycles=err.cycles,
    )


def _fk_name(fkc: ForeignKeyConstraint) -> str:
    if fkc.name:
        return fkc.name
    table = fkc.table
    cols = "_".join(str(c.name) for c in fkc.columns)
    name = f"fk_{table.name}_{cols}_{fkc.referred_table.name}"  # type: ignore[union-attr]
    fkc.name = name[:63]
    return fkc.name


def creation_plan(tables: list[Table], dialect: Any
                  ) -> tuple[list[Table], list[ForeignKeyConstraint]]:
    """The order to create ``tables`` in, and the foreign keys to add afterwards with
    ALTER TABLE (those marked ``use_alter``, and those that close a cycle). Deterministic:
    tables are considered by name, and the constraints left out are chosen once."""
    tables = sorted(tables, key=lambda t: t.key)
    deps = _dependencies(tables)
    alter = dialect.supports_alter_add_constraint
    deferred = [c for _, _, c in deps if c.use_alter] if alter else []
    try:
        order = topological.sort(tables, [(a, b) for a, b, c in deps if c not in deferred])
    except topological.CycleError as err:
        if alter:
            deferred = _cycle_constraints(tables)
        elif not getattr(dialect, "allows_forward_references", False):
            raise _cycle_error(err) from None
        else:
            deferred = _cycle_constraints(tables)
            order = topological.sort(tables, [(a, b) for a, b, c in deps if c not in deferred])
            return order, []
        order = topological.sort(tables, [(a, b) for a, b, c in deps if c not in deferred])
    return order, deferred


def run_create_all(bind: Any, metadata: MetaData, tables: list[Table] | None,
                   checkfirst: bool) -> None:
    """Create the schemas, tables and indexes of ``metadata`` that are missing."""
    all_tables = list(metadata.tables.values()) if tables is None else tables
    with bind._ddl_connection() as conn:
        dialect = conn.dialect
        _ensure_schemas(conn, dialect, all_tables)
        if checkfirst:
            todo = [t for t in all_tables if not dialect.has_table(conn, t.name, t.schema)]
        else:
            todo = list(all_tables)
        ordered, deferred = creation_plan(todo, dialect)
        for table in ordered:
            skip = [c for c in deferred if c.table is table]
            conn.execute(CreateTable(table, include_foreign_key_constraints=[
                c for c in table.foreign_key_constraints if c not in skip]))
            for index in table.indexes:
                conn.execute(CreateIndex(index))
        for fkc in deferred:
            _fk_name(fkc)
            conn.execute(AddConstraint(fkc))


def _ensure_schemas(conn: Any, dialect: Any, tables: list[Table]) -> None:
    schemas = []
    for t in tables:
        if t.schema and t.schema not in schemas:
            schemas.append(t.schema)
    for schema in schemas:
        if dialect.has_schema(conn, schema):
            continue
        if not dialect.supports_schemas:
            names = ", ".join(sorted(t.name for t in tables if t.schema == schema))
            # OperationalError, the class SQLAlchemy programs already catch for this case
            # ("unknown database"), but with a message that says what to do.
            raise exc.OperationalError(
                None, None, None,
                message=(
                    f"table(s) {names} live in schema {schema!r}, but this SQLite database "
                    f"has no database attached under that name. SQLite's schemas are "
                    f"attached databases: create the engine with "
                    f"create_engine(url, sqlite_attach={{{schema!r}: 'path/to/{schema}.db'}}) "
                    f"(':memory:' works too), or drop the schema from __table_args__ when "
                    f"running on SQLite."
                ),
            )
        conn.execute(CreateSchema(schema, if_not_exists=True))


def run_drop_all(bind: Any, metadata: MetaData, tables: list[Table] | None,
                 checkfirst: bool) -> None:
    """Drop the tables of ``metadata`` that exist, children before parents."""
    all_tables = list(metadata.tables.values()) if tables is None else tables
    with bind._ddl_connection() as conn:
        dialect = conn.dialect
        if checkfirst:
            todo = [t for t in all_tables if dialect.has_table(conn, t.name, t.schema)]
        else:
            todo = list(all_tables)
        ordered, deferred = creation_plan(todo, dialect)
        for fkc in deferred:
            # Constraints added by ALTER (a cycle) go first, so the tables can be dropped.
            conn.execute(DropConstraint(fkc, if_exists=True))
        for table in reversed(ordered):
            conn.execute(DropTable(table))
