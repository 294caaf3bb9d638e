"""Schema objects: MetaData, Table, Column, ForeignKey, constraints and indexes.

These describe the database; they hold no connection. ``MetaData.create_all`` and
``drop_all`` take a *bind* (an Engine or Connection) and hand it the DDL statements that
``tether.sql.ddl`` plans, in foreign-key order.

A ForeignKey names its target as ``"table.column"``, ``"schema.table.column"`` or a Column;
a string target is resolved on first use, so tables can be declared in any order.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import Any

from tether import exc
from tether.sql import types as sqltypes
from tether.sql.elements import (
    BindParameter,
    ClauseElement,
    ColumnClause,
    ColumnElement,
    ShapeContext,
    TextClause,
    coerce_expression,
)
from tether.sql.selectable import ColumnCollection, FromClause


class SchemaItem:
    """Base for schema constructs that attach to a Table."""

    def _set_parent(self, table: Table) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


class MetaData:
    """A collection of Tables, and the place ``create_all``/``drop_all`` start from."""

    def __init__(self, schema: str | None = None,
                 naming_convention: dict[str, str] | None = None, info: Any = None) -> None:
        self.schema = schema
        self.naming_convention = naming_convention or {}
        self.tables: dict[str, Table] = {}
        self.info = info or {}

    def _add_table(self, table: Table) -> None:
        self.tables[table.key] = table

    def remove(self, table: Table) -> None:
        self.tables.pop(table.key, None)

    def clear(self) -> None:
        self.tables.clear()

    @property
    def sorted_tables(self) -> list[Table]:
        """Tables in creation order: every table after the tables it refers to."""
        from tether.sql.ddl import sort_tables

        return sort_tables(list(self.tables.values()), ignore_cycles=True)

    def reflect(self, bind: Any, schema: str | None = None, views: bool = False,
                only: Iterable[str] | None = None, extend_existing: bool = False,
                resolve_fks: bool = True) -> None:
        """Add a Table for each table the database behind ``bind`` (an Engine or
        Connection) has in ``schema``, columns and constraints read from it; tables already
        here stay as they are. ``only``: just these (NoSuchTableError names any missing)."""
        from tether.inspection import inspect as inspect_bind

        inspect_bind(bind).reflect_into(self, schema=schema, only=only,
                                        resolve_references=resolve_fks)

    def create_all(self, bind: Any, tables: Iterable[Table] | None = None,
                   checkfirst: bool = True) -> None:
        """Create the tables (and their schemas and indexes) that do not exist yet."""
        from tether.sql.ddl import run_create_all

        run_create_all(bind, self, list(tables) if tables is not None else None, checkfirst)

    def drop_all(self, bind: Any, tables: Iterable[Table] | None = None,
                 checkfirst: bool = True) -> None:
        """Drop the tables that exist, children before parents."""
        from tether.sql.ddl import run_drop_all

        run_drop_all(bind, self, list(tables) if tables is not None else None, checkfirst)

    def __contains__(self, key: Any) -> bool:
        if isinstance(key, Table):
            key = key.key
        return key in self.tables

    def __repr__(self) -> str:
        return "MetaData()"


def _table_key(name: str, schema: str | None) -> str:
    return f"{schema}.{name}" if schema else name


class Table(FromClause):
    """A database table: ``Table("users", metadata, Column("id", Integer, primary_key=True))``."""

    __visit_name__ = "table"
    primary_key: PrimaryKeyConstraint = None  # type: ignore[assignment]

    def __new__(cls, *args: Any, **kw: Any) -> Table:
        if len(args) >= 2 and isinstance(args[1], MetaData):
            name, metadata = args[0], args[1]
            schema = kw.get("schema", metadata.schema)
            existing = metadata.tables.get(_table_key(name, schema))
            if existing is not None:
                if kw.get("extend_existing") or kw.get("keep_existing"):
                    if kw.get("extend_existing"):
                        existing._extend(args[2:], kw)
                    existing._reused = True  # type: ignore[attr-defined]
                    return existing
                if len(args) > 2:
                    raise exc.InvalidRequestError(
                        f"table {_table_key(name, schema)!r} is already defined for this "
                        f"MetaData; pass extend_existing=True to add to it, or use another "
                        f"MetaData"
                    )
                existing._reused = True  # type: ignore[attr-defined]
                return existing
        return super().__new__(cls)

    def __init__(self, name: str, metadata: MetaData, *args: Any, schema: str | None = None,
                 extend_existing: bool = False, keep_existing: bool = False,
                 comment: str | None = None, info: Any = None, quote: Any = None,
                 **kw: Any) -> None:
        if getattr(self, "_reused", False):
            del self._reused  # type: ignore[attr-defined]
            return
        if not isinstance(metadata, MetaData):
            raise exc.ArgumentError(
                f"Table({name!r}, ...) needs a MetaData as its second argument, got {metadata!r}"
            )
        self.name = name
        self.metadata = metadata
        self.schema = schema if schema is not None else metadata.schema
        self.comment = comment
        self.info = info or {}
        autoload_with = kw.pop("autoload_with", None)
        if kw.pop("autoload", None) and autoload_with is None:
            raise exc.ArgumentError(
                f"Table({name!r}, ..., autoload=True) needs the database to read: pass "
                f"autoload_with=engine (or a connection) instead"
            )
        self.dialect_kwargs = {k: v for k, v in kw.items() if "_" in k}
        self._columns = ColumnCollection()
        self.constraints: list[Constraint] = []
        self.indexes: list[Index] = []
        self.foreign_keys_list: list[ForeignKey] = []
        self.primary_key = PrimaryKeyConstraint()
        self.primary_key._set_parent(self)
        metadata._add_table(self)
        self._extend(args, {})
        if autoload_with is not None:
            try:
                _reflect_into(autoload_with, self)
            except exc.NoSuchTableError:
                metadata.remove(self)  # a table the database lacks is not left half-made
                raise

    def _extend(self, args: Iterable[Any], kw: dict[str, Any]) -> None:
        for item in args:
            if item is None:
                continue
            if isinstance(item, Column):
                self.append_column(item)
            elif isinstance(item, SchemaItem):
                item._set_parent(self)
            else:
                raise exc.ArgumentError(
                    f"Table {self.name!r}: don't know what to do with {item!r}; expected "
                    f"Column, constraint or Index objects"
                )

    name: str

    @property
    def key(self) -> str:
        return _table_key(self.name, self.schema)

    @property
    def fullname(self) -> str:
        return self.key

    @property
    def columns(self) -> ColumnCollection:
        return self._columns

    @property
    def foreign_keys(self) -> list[ForeignKey]:  # type: ignore[override]
        return list(self.foreign_keys_list)

    @property
    def foreign_key_constraints(self) -> list[ForeignKeyConstraint]:
        return [c for c in self.constraints if isinstance(c, ForeignKeyConstraint)]

    def append_column(self, column: Column, replace_existing: bool = False) -> None:
        column._set_parent(self)

    def append_constraint(self, constraint: Constraint) -> None:
        constraint._set_parent(self)

    _keyed_by_identity = True  # (the _from_key just below, and FromClause._from_objects)

    def _from_key(self, ctx: ShapeContext | None = None) -> Any:
        return self

    def _shape(self, binds: list[BindParameter]) -> Any:
        return ("table", self)

    def insert(self) -> Any:
        from tether.sql.dml import Insert

        return Insert(self)

    def update(self) -> Any:
        from tether.sql.dml import Update

        return Update(self)

    def delete(self) -> Any:
        from tether.sql.dml import Delete

        return Delete(self)

    def create(self, bind: Any, checkfirst: bool = False) -> None:
        self.metadata.create_all(bind, [self], checkfirst=checkfirst)

    def drop(self, bind: Any, checkfirst: bool = False) -> None:
        self.metadata.drop_all(bind, [self], checkfirst=checkfirst)

    def exists(self, bind: Any) -> bool:
        with bind._ddl_connection() as conn:
            return bool(conn.dialect.has_table(conn, self.name, self.schema))

    def tometadata(self, metadata: MetaData, schema: Any = None) -> Table:
        return self.to_metadata(metadata, schema)

    def to_metadata(self, metadata: MetaData, schema: Any = None) -> Table:
        args: list[Any] = [c._copy() for c in self.columns]  # type: ignore[attr-defined]
        for con in self.constraints:
            if isinstance(con, (UniqueConstraint, CheckConstraint)) or (
                    isinstance(con, ForeignKeyConstraint) and not con._from_column):
                args.append(con._copy())
        args += [Index(i.name, *[c.name for c in i.columns], unique=i.unique)
                 for i in self.indexes]
        return Table(self.name, metadata, *args, schema=schema or self.schema)

    def __repr__(self) -> str:
        cols = ", ".join(repr(c) for c in self.columns)
        schema = f", schema={self.schema!r}" if self.schema else ""
        return f"Table({self.name!r}, MetaData(), {cols}{schema})"

    def __str__(self) -> str:
        return self.key


class Column(ColumnClause, SchemaItem):
    """A column of a Table: ``Column("name", String(50), nullable=False)``."""

    __visit_name__ = "column"

    def __init__(self, *args: Any, **kw: Any) -> None:
        name: str | None = None
        type_: Any = None
        items: list[Any] = []
        computed: Computed | None = None
        identity: Identity | None = None
        for arg in args:
            if isinstance(arg, str) and name is None and type_ is None and not items:
                name = arg
            elif isinstance(arg, sqltypes.TypeEngine) or (
                    isinstance(arg, type) and issubclass(arg, sqltypes.TypeEngine)):
                type_ = arg
            elif isinstance(arg, Computed):
                computed = arg
            elif isinstance(arg, Identity):
                identity = arg
            elif isinstance(arg, (SchemaItem, Sequence)):
                items.append(arg)
            else:
                raise exc.ArgumentError(f"Column(): unexpected argument {arg!r}")
        name = kw.pop("name", name)
        type_ = kw.pop("type_", type_)
        super().__init__(name or "", type_)
        self.name = name  # type: ignore[assignment]
        self.key = kw.pop("key", name)  # type: ignore[assignment]
        self.primary_key: bool = kw.pop("primary_key", False)
        nullable = kw.pop("nullable", None)
        self._user_nullable = nullable
        self.nullable: bool = (not self.primary_key) if nullable is None else bool(nullable)
        self.unique: bool | None = kw.pop("unique", None)
        self.index: bool | None = kw.pop("index", None)
        default = kw.pop("default", None)
        if "insert_default" in kw:
            default = kw.pop("insert_default")
        self.default = ColumnDefault(default) if default is not None else None
        sd = kw.pop("server_default", None)
        self.server_default = DefaultClause(sd) if sd is not None and not isinstance(
            sd, DefaultClause) else sd
        onupdate = kw.pop("onupdate", None)
        self.onupdate = ColumnDefault(onupdate) if onupdate is not None else None
        self.server_onupdate = kw.pop("server_onupdate", None)
        self.autoincrement: bool | str = kw.pop("autoincrement", "auto")
        self.doc = kw.pop("doc", None)
        self.comment = kw.pop("comment", None)
        self.info = kw.pop("info", {}) or {}
        self.system = kw.pop("system", False)
        kw.pop("quote", None)
        kw.pop("sort_order", None)
        self.dialect_kwargs = {k: v for k, v in list(kw.items()) if "_" in k}
        for k in self.dialect_kwargs:
            kw.pop(k)
        if kw:
            raise exc.ArgumentError(
                f"Column(): unknown keyword argument(s) {', '.join(sorted(kw))}; Column takes "
                f"primary_key, nullable, unique, index, default, server_default, onupdate, "
                f"autoincrement, key, name, doc, comment"
            )
        self.foreign_keys: list[ForeignKey] = []  # type: ignore[assignment]
        self.constraints: list[Any] = []
        #: ``Computed(...)``: the database computes the value (GENERATED ALWAYS AS)
        self.computed = computed
        #: ``Identity(...)``: the identity options of a generated integer key
        self.identity = identity
        self._pending_items = items
        self.table: Table | None = None  # type: ignore[assignment]
        self._type_from_fk = isinstance(self.type, sqltypes.NullType)
        for item in items:
            if isinstance(item, ForeignKey):
                item._attach_column(self)

    @property
    def type(self) -> sqltypes.TypeEngine:  # type: ignore[override]
        t = self.__dict__.get("_type", sqltypes.NULLTYPE)
        if isinstance(t, sqltypes.NullType) and self.__dict__.get("_type_from_fk"):
            for fk in self.foreign_keys:
                try:
                    target = fk.column
                except exc.TetherError:
                    continue
                t = target.type
                self.__dict__["_type"] = t
                break
        return t

    @type.setter
    def type(self, value: sqltypes.TypeEngine) -> None:
        self.__dict__["_type"] = value

    def _set_parent(self, table: Table) -> None:
        if not self.name:
            raise exc.ArgumentError(
                f"a Column added to table {table.name!r} has no name; give it one: "
                f"Column('name', ...)"
            )
        if self.table is not None and self.table is not table:
            raise exc.ArgumentError(
                f"Column {self.name!r} already belongs to table {self.table.name!r}; "
                f"a Column can be in one table only (copy it with column._copy())"
            )
        if self.key is None:
            self.key = self.name
        existing = table._columns.get(self.key)
        if existing is not None and existing is not self:
            table._columns._list.remove(existing)
            del table._columns._by_key[self.key]
        self.table = table
        table._columns._add(self.key, self)
        if self.primary_key:
            table.primary_key._add_column(self)
        for fk in self.foreign_keys:
            fk._set_table(table)
        if self.unique:
            table.constraints.append(UniqueConstraint(self, _column_flag=True))
            table.constraints[-1].table = table
        if self.index:
            Index(None, self, unique=bool(self.unique), _column_flag=True)._set_parent(table)
        for item in self._pending_items:
            if not isinstance(item, ForeignKey) and isinstance(item, SchemaItem):
                item._set_parent(table)

    def _copy(self) -> Column:
        """A new, unattached Column with the same definition (for declarative mixins)."""
        c = Column(
            self.name, self.__dict__.get("_type", sqltypes.NULLTYPE),
            *[fk._copy() for fk in self.foreign_keys],
            key=self.key, primary_key=self.primary_key, nullable=self._user_nullable,
            unique=self.unique, index=self.index,
            default=self.default.arg if self.default else None,
            server_default=self.server_default,
            onupdate=self.onupdate.arg if self.onupdate else None,
            autoincrement=self.autoincrement, doc=self.doc, comment=self.comment,
            info=dict(self.info),
        )
        c.computed, c.identity = self.computed, self.identity
        c.server_onupdate = self.server_onupdate
        return c

    copy = _copy

    def references(self, column: Column) -> bool:
        return any(fk.column is column for fk in self.foreign_keys)

    def _shape(self, binds: list[BindParameter]) -> Any:
        table = self.table
        if table is None:
            return ("col", self.name, False, None)
        if table._keyed_by_identity:  # (what _from_key returns, without the call)
            return ("tcol", table, self.name)
        return ("tcol", table._from_key(binds if isinstance(binds, ShapeContext) else None),
                self.name)

    @property
    def _is_autoincrement(self) -> bool:
        """Whether the database generates this column's value (an integer surrogate key)."""
        table = self.table
        if table is None or not self.primary_key:
            return False
        if self.autoincrement is True or self.identity is not None:
            return True
        if self.autoincrement != "auto":
            return False
        pk = list(table.primary_key.columns)
        return (len(pk) == 1 and pk[0] is self
                and isinstance(self.type, sqltypes.Integer)
                and not self.foreign_keys and self.default is None
                and self.server_default is None)

    def __repr__(self) -> str:
        table = self.table
        prefix = f"{table.name}." if table is not None else ""
        return f"Column({prefix}{self.name}, {self.type!r})"


class ColumnDefault:
    """A Python-side default: a constant, or a callable taking no argument or a context."""

    arg: Any

    def __init__(self, arg: Any) -> None:
        if isinstance(arg, ColumnDefault):
            arg = arg.arg
        self.arg = arg
        self.is_callable = callable(arg) and not isinstance(arg, ClauseElement)
        self.is_clause_element = isinstance(arg, ClauseElement)
        self.is_scalar = not self.is_callable and not self.is_clause_element
        self._takes_context = False
        if self.is_callable:
            try:
                params = [p for p in inspect.signature(arg).parameters.values()
                          if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY,
                                                                 p.POSITIONAL_OR_KEYWORD)]
                self._takes_context = len(params) >= 1
            except (TypeError, ValueError):
                self._takes_context = False

    def value_for(self, context: Any) -> Any:
        """The value for one row; ``context.current_parameters`` holds the row's values."""
        if self.is_callable:
            return self.arg(context) if self._takes_context else self.arg()
        return self.arg

    def __repr__(self) -> str:
        return f"ColumnDefault({self.arg!r})"


class DefaultClause:
    """A server-side default rendered into the DDL: ``server_default="0"`` or ``text(...)``."""

    def __init__(self, arg: Any, for_update: bool = False) -> None:
        self.arg = arg
        self.for_update = for_update

    def __repr__(self) -> str:
        return f"DefaultClause({self.arg!r})"


class FetchedValue:
    """Marks a value the database sets by itself (a trigger, a generated column)."""


class Sequence(SchemaItem):
    """A named sequence; accepted for compatibility, integer keys use identity columns."""

    def __init__(self, name: str, start: int | None = None, increment: int | None = None,
                 **kw: Any) -> None:
        self.name = name
        self.start = start
        self.increment = increment

    def _set_parent(self, table: Table) -> None:
        pass


class Identity(SchemaItem):
    """``Column("id", Integer, Identity(start=100), primary_key=True)``: the options of the
    column's ``GENERATED ... AS IDENTITY`` on PostgreSQL (``always=True`` refuses values
    given by INSERT). SQLite numbers an INTEGER PRIMARY KEY itself and has no options."""

    def __init__(self, always: bool = False, on_null: bool | None = None,
                 start: int | None = None, increment: int | None = None,
                 minvalue: int | None = None, maxvalue: int | None = None,
                 nominvalue: bool | None = None, nomaxvalue: bool | None = None,
                 cycle: bool | None = None, cache: int | None = None,
                 order: bool | None = None) -> None:
        self.always = always
        self.start = start
        self.increment = increment
        self.minvalue = minvalue
        self.maxvalue = maxvalue
        self.nominvalue = nominvalue
        self.nomaxvalue = nomaxvalue
        self.cycle = cycle
        self.cache = cache

    def _set_parent(self, table: Table) -> None:
        pass


class ForeignKey(SchemaItem):
    """A column's reference to another table's column, enforced by the database."""

    def __init__(self, column: str | Column | Any, ondelete: str | None = None,
                 onupdate: str | None = None, name: str | None = None,
                 use_alter: bool = False, deferrable: bool | None = None,
                 initially: str | None = None, link_to_name: bool = False,
                 match: str | None = None, _constraint: ForeignKeyConstraint | None = None,
                 **kw: Any) -> None:
        ce = getattr(column, "__clause_element__", None)
        if ce is not None and not isinstance(column, ClauseElement):
            column = ce()
        self._colspec = column
        self.ondelete = ondelete
        self.onupdate = onupdate
        self.name = name
        self.use_alter = use_alter
        self.deferrable = deferrable
        self.initially = initially
        self.match = match
        self.parent: Column = None  # type: ignore[assignment]
        self.constraint: ForeignKeyConstraint | None = _constraint
        self._resolved: Column | None = column if isinstance(column, Column) else None

    def _copy(self) -> ForeignKey:
        return ForeignKey(self._colspec, ondelete=self.ondelete, onupdate=self.onupdate,
                          name=self.name, use_alter=self.use_alter,
                          deferrable=self.deferrable, initially=self.initially)

    def _attach_column(self, column: Column) -> None:
        self.parent = column
        column.foreign_keys.append(self)

    def _set_parent(self, table: Table) -> None:  # used when given via Table args: ignore
        self._set_table(table)

    def _set_table(self, table: Table) -> None:
        if self.constraint is None:
            self.constraint = ForeignKeyConstraint(
                [self.parent], [self._colspec], name=self.name, ondelete=self.ondelete,
                onupdate=self.onupdate, use_alter=self.use_alter,
                deferrable=self.deferrable, initially=self.initially,
                _elements=[self], _from_column=True,
            )
            self.constraint._set_parent(table)
        if self not in table.foreign_keys_list:
            table.foreign_keys_list.append(self)

    @property
    def target_fullname(self) -> str:
        spec = self._colspec
        if isinstance(spec, str):
            return spec
        table = getattr(spec, "table", None)
        return f"{table.key}.{spec.name}" if table is not None else str(spec.name)

    def _table_key(self) -> str:
        return self.target_fullname.rsplit(".", 1)[0]

    @property
    def column(self) -> Column:
        """The referenced Column, resolved through the parent table's MetaData."""
        if self._resolved is not None:
            return self._resolved
        spec = self._colspec
        if not isinstance(spec, str):
            ce = getattr(spec, "__clause_element__", None)
            if ce is not None:
                self._resolved = ce()
                return self._resolved  # type: ignore[return-value]
            raise exc.ArgumentError(f"ForeignKey({spec!r}): expected 'table.column' or a Column")
        parent_table = self.parent.table if self.parent is not None else None
        if parent_table is None:
            raise exc.InvalidRequestError(
                f"ForeignKey({spec!r}) is not attached to a table yet, so it cannot be resolved"
            )
        parts = spec.split(".")
        if len(parts) < 2:
            raise exc.ArgumentError(
                f"ForeignKey({spec!r}) on column {parent_table.name}.{self.parent.name}: "
                f"write the target as 'table.column' or 'schema.table.column'"
            )
        colname = parts[-1]
        tkey = ".".join(parts[:-1])
        metadata = parent_table.metadata
        table = metadata.tables.get(tkey)
        if table is None and metadata.schema and len(parts) == 2:
            table = metadata.tables.get(f"{metadata.schema}.{tkey}")
        if table is None:
            import difflib

            close = difflib.get_close_matches(tkey, list(metadata.tables), n=3)
            hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
            raise exc.NoReferencedTableError(
                f"foreign key {parent_table.name}.{self.parent.name} -> {spec!r} names table "
                f"{tkey!r}, which is not in this MetaData (tables: "
                f"{', '.join(sorted(metadata.tables)) or 'none'}).{hint}",
                tkey,
            )
        col = table.columns.get(colname)
        if col is None:
            for c in table.columns:
                if c.name == colname:
                    col = c
                    break
        if col is None:
            raise exc.NoReferencedColumnError(
                f"foreign key {parent_table.name}.{self.parent.name} -> {spec!r}: table "
                f"{tkey!r} has no column {colname!r} (columns: "
                f"{', '.join(table.columns.keys())})",
                tkey, colname,
            )
        self._resolved = col
        return col

    def references(self, table: Any) -> bool:
        try:
            return self.column.table is table
        except exc.NoReferenceError:
            return False

    def get_referent(self, table: Any) -> Any:
        return table.corresponding_column(self.column)

    def __repr__(self) -> str:
        return f"ForeignKey({self.target_fullname!r})"


class Constraint(SchemaItem):
    """Base of table constraints."""

    table: Table | None = None

    def __init__(self, name: str | None = None, **kw: Any) -> None:
        self.name = name
        self.deferrable = kw.get("deferrable")
        self.initially = kw.get("initially")

    def _set_parent(self, table: Table) -> None:
        self.table = table
        if self not in table.constraints:
            table.constraints.append(self)


class ColumnCollectionConstraint(Constraint):
    """A constraint over a list of columns, given as Columns or names."""

    def __init__(self, *columns: Any, name: str | None = None, **kw: Any) -> None:
        super().__init__(name, **kw)
        self._colspecs = list(columns)
        self._cols: list[Column] = []
        self._column_flag = kw.get("_column_flag", False)
        if all(isinstance(c, Column) for c in columns):
            self._cols = list(columns)

    @property
    def columns(self) -> list[Column]:
        if not self._cols and self._colspecs and self.table is not None:
            self._cols = [_column_in(self.table, c) for c in self._colspecs]
        return self._cols

    def _set_parent(self, table: Table) -> None:
        super()._set_parent(table)
        self._cols = [_column_in(table, c) for c in self._colspecs]

    def _copy(self) -> Any:
        return type(self)(*[c.name if isinstance(c, Column) else c for c in self._colspecs],
                          name=self.name)

    def __iter__(self) -> Any:
        return iter(self.columns)

    def __len__(self) -> int:
        return len(self.columns)

    def __contains__(self, item: Any) -> bool:
        return any(c is item for c in self.columns)


def _column_in(table: Table, spec: Any) -> Column:
    if isinstance(spec, str):
        col = table.columns.get(spec)
        if col is None:
            for c in table.columns:
                if c.name == spec:
                    return c  # type: ignore[return-value]
            raise exc.ArgumentError(
                f"table {table.name!r} has no column {spec!r} (columns: "
                f"{', '.join(table.columns.keys())})"
            )
        return col  # type: ignore[no-any-return]
    ce = getattr(spec, "__clause_element__", None)
    if ce is not None and not isinstance(spec, ClauseElement):
        spec = ce()
    return spec  # type: ignore[no-any-return]


class PrimaryKeyConstraint(ColumnCollectionConstraint):
    """The table's primary key; columns with ``primary_key=True`` join it by themselves."""

    def _add_column(self, column: Column) -> None:
        if not any(c is column for c in self._cols):
            self._cols.append(column)
            self._colspecs.append(column)

    def _set_parent(self, table: Table) -> None:
        existing = getattr(table, "primary_key", None)
        if existing is not None and existing is not self:
            # A PrimaryKeyConstraint given in the table args replaces the implicit one.
            if existing in table.constraints:
                table.constraints.remove(existing)
            for c in existing.columns:
                c.primary_key = False
            table.primary_key = self
        self.table = table
        if self not in table.constraints:
            table.constraints.append(self)
        if self._colspecs:
            self._cols = [_column_in(table, c) for c in self._colspecs]
            for c in self._cols:
                c.primary_key = True
                if c._user_nullable is None:
                    c.nullable = False


class UniqueConstraint(ColumnCollectionConstraint):
    """``UNIQUE (a, b)``."""


class CheckConstraint(Constraint):
    """``CHECK (condition)``; the condition is an expression or SQL text."""

    def __init__(self, sqltext: Any, name: str | None = None, **kw: Any) -> None:
        super().__init__(name, **kw)
        self.sqltext = sqltext if isinstance(sqltext, ClauseElement) else TextClause(sqltext)

    def _copy(self) -> CheckConstraint:
        return CheckConstraint(self.sqltext, name=self.name)


class ForeignKeyConstraint(ColumnCollectionConstraint):
    """A (possibly composite) foreign key: ``ForeignKeyConstraint(["a", "b"], ["t.a", "t.b"])``."""

    def __init__(self, columns: list[Any], refcolumns: list[Any], name: str | None = None,
                 ondelete: str | None = None, onupdate: str | None = None,
                 use_alter: bool = False, deferrable: bool | None = None,
                 initially: str | None = None, match: str | None = None,
                 _elements: list[ForeignKey] | None = None, _from_column: bool = False,
                 **kw: Any) -> None:
        super().__init__(*columns, name=name, deferrable=deferrable, initially=initially)
        if len(columns) != len(refcolumns):
            raise exc.ArgumentError(
                f"ForeignKeyConstraint: {len(columns)} column(s) but {len(refcolumns)} "
                f"referenced column(s); give one target for each column"
            )
        self.ondelete = ondelete
        self.onupdate = onupdate
        self.use_alter = use_alter
        self.match = match
        self._refcolumns = list(refcolumns)
        self._from_column = _from_column
        self.elements: list[ForeignKey] = _elements or []

    def _set_parent(self, table: Table) -> None:
        Constraint._set_parent(self, table)
        self._cols = [_column_in(table, c) for c in self._colspecs]
        if not self.elements:
            for col, ref in zip(self._cols, self._refcolumns, strict=True):
                fk = ForeignKey(ref, ondelete=self.ondelete, onupdate=self.onupdate,
                                name=self.name, use_alter=self.use_alter, _constraint=self)
                fk._attach_column(col)
                self.elements.append(fk)
                fk._set_table(table)

    def _copy(self) -> ForeignKeyConstraint:
        return ForeignKeyConstraint(
            [c.name if isinstance(c, Column) else c for c in self._colspecs],
            [e.target_fullname for e in self.elements] or self._refcolumns,
            name=self.name, ondelete=self.ondelete, onupdate=self.onupdate,
            use_alter=self.use_alter)

    @property
    def referred_table(self) -> Table:
        return self.elements[0].column.table  # type: ignore[return-value]

    @property
    def column_keys(self) -> list[str]:
        return [c.key for c in self.columns]  # type: ignore[misc]


class Index(SchemaItem):
    """``CREATE [UNIQUE] INDEX name ON table (columns)``."""

    def __init__(self, name: str | None, *expressions: Any, unique: bool = False,
                 _column_flag: bool = False, **kw: Any) -> None:
        self.name = name
        self._exprs = list(expressions)
        self.unique = unique
        self.table: Table | None = None
        self.columns: list[Any] = []
        self._column_flag = _column_flag
        self.dialect_kwargs = kw
        cols = [e for e in expressions if isinstance(e, Column) and e.table is not None]
        if cols:
            self._set_parent(cols[0].table)  # type: ignore[arg-type]

    def _set_parent(self, table: Table) -> None:
        if self.table is table:
            return
        self.table = table
        self.columns = [_column_in(table, e) if isinstance(e, str) else coerce_expression(e)
                        for e in self._exprs]
        if self.name is None:
            self.name = "ix_" + "_".join([table.name] + [
                str(getattr(c, "name", "expr")) for c in self.columns])
        table.indexes.append(self)

    @property
    def expressions(self) -> list[ColumnElement]:
        return self.columns

    def create(self, bind: Any, checkfirst: bool = False) -> None:
        from tether.sql.ddl import CreateIndex

        with bind._ddl_connection() as conn:
            if checkfirst and conn.dialect.has_index(conn, self.table.name,  # type: ignore
                                                     self.name, self.table.schema):  # type: ignore
                return
            conn.execute(CreateIndex(self))

    def drop(self, bind: Any, checkfirst: bool = False) -> None:
        from tether.sql.ddl import DropIndex

        with bind._ddl_connection() as conn:
            conn.execute(DropIndex(self))

    def __repr__(self) -> str:
        return f"Index({self.name!r})"


def table(name: str, *columns: ColumnClause, schema: str | None = None) -> Table:
    """A lightweight table of named columns, not bound to any MetaData of the user's."""
    t = Table(name, MetaData(), schema=schema)
    for c in columns:
        t.append_column(Column(c.name, c.type))
    return t


Callable_ = Callable  # re-exported for type annotations in sibling modules


class Computed(SchemaItem):
    """``Column("total", Integer, Computed("qty * price"))``: a column the database computes
    from the row (``GENERATED ALWAYS AS (...)``). ``persisted=True`` stores it (PostgreSQL
    always does; SQLite computes it on read unless persisted). The ORM never writes it and
    reads it back after an INSERT or UPDATE of the row."""

    def __init__(self, sqltext: Any, persisted: bool | None = None) -> None:
        from tether.sql.elements import TextClause

        self.sqltext = TextClause(sqltext) if isinstance(sqltext, str) else sqltext
        self.persisted = persisted

    def _set_parent(self, table: Table) -> None:
        pass


def _reflect_into(bind: Any, table: Table) -> None:
    # Table(..., autoload_with=engine): the Inspector the engine layer registers with
    # tether.inspection reads the database (this layer does not import the engine).
    from tether.inspection import inspect as inspect_bind

    inspect_bind(bind).reflect_table(table)
