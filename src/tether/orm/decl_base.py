"""Declarative mapping: ``declarative_base()``, ``DeclarativeBase``, ``registry``,
``Mapped``/``mapped_column`` and the class-body scanning that turns a class with
``__tablename__`` (or ``__table__``) into a Table plus a Mapper.

Also the pieces every declarative class gets: the default keyword constructor and the
``__setattr__`` that routes writes of mapped attributes to their instrumented attribute.
"""

from __future__ import annotations

import builtins
import datetime
import sys
import types as pytypes
import typing
from functools import partial
from typing import Any, Generic, TypeVar, Union

from tether.exc import ArgumentError, InvalidRequestError
from tether.orm.mapper import (
    ColumnProperty,
    Mapper,
    configure_registry,
    register_registry,
)
from tether.orm.relationships import RelationshipProperty
from tether.orm.state import STATE_KEY, instance_state, new_state
from tether.util.lazy import adopt_loaded

__all__ = [
    "DeclarativeBase",
    "DeclarativeMeta",
    "Mapped",
    "MappedColumn",
    "column_property",
    "declarative_base",
    "declared_attr",
    "deferred",
    "mapped_column",
    "registry",
    "synonym",
]

_T = TypeVar("_T")


class Mapped(Generic[_T]):
    """Annotation marker: ``name: Mapped[str]`` declares a mapped attribute holding a str.

    Only the annotation matters; at runtime the class attribute is an instrumented
    attribute.
    """

    __slots__ = ()


class MappedColumn:
    """What ``mapped_column()`` returns: Column arguments waiting for the annotation."""

    def __init__(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self.args = args
        self.kwargs = kwargs
        self.column: Any = None
        #: ``mapped_column(..., deferred=True)``: left out of loaded objects until read
        self.deferred = bool(kwargs.get("deferred", False))

    def __clause_element__(self) -> Any:
        # remote_side=[id] inside the class body names the mapped_column() object itself
        if self.column is None:
            raise ArgumentError("mapped_column() used before its class was mapped")
        return self.column

    def build(self, key: str, annotation: Any, reg: registry) -> Any:
        from tether.sql.schema import Column

        args = list(self.args)
        kwargs = dict(self.kwargs)
        name = None
        if args and isinstance(args[0], str):
            name = args.pop(0)
        type_ = None
        if args and _is_type(args[0]):
            type_ = args.pop(0)
        py_type, optional = _unwrap_annotation(annotation)
        if type_ is None and py_type is not None:
            type_ = reg._type_for(py_type, key)
        if "nullable" not in kwargs and annotation is not None:
            if not kwargs.get("primary_key"):
                kwargs["nullable"] = optional
        for dropped in ("init", "repr", "default_factory", "compare", "kw_only", "sort_order",
                        "deferred", "deferred_group", "deferred_raiseload", "active_history"):
            if dropped == "default_factory" and "default_factory" in kwargs:
                kwargs.setdefault("default", kwargs["default_factory"])
            kwargs.pop(dropped, None)
        if type_ is not None:
            col = Column(name or key, type_, *args, **kwargs)
        else:
            col = Column(name or key, *args, **kwargs)
        self.column = col
        return col


def _is_type(value: Any) -> bool:
    from tether.sql.types import TypeEngine

    return isinstance(value, TypeEngine) or (
        isinstance(value, type) and issubclass(value, TypeEngine)
    )


def mapped_column(*args: Any, **kwargs: Any) -> Any:
    """Declare a mapped column; type and nullability may come from the ``Mapped[...]``
    annotation (``Optional[...]`` means nullable)."""
    return MappedColumn(args, kwargs)


def column_property(column: Any, *more: Any, deferred: bool = False, **kw: Any) -> Any:
    """Map a column under an attribute (only plain columns are supported)."""
    return _ColumnPropertySpec(column, deferred)


def deferred(column: Any, *more: Any, **kw: Any) -> Any:
    """Map a column that is left out of loaded objects until first accessed."""
    return _ColumnPropertySpec(column, True)


class _ColumnPropertySpec:
    def __init__(self, column: Any, is_deferred: bool) -> None:
        from tether.sql.schema import Column

        if not isinstance(column, Column | MappedColumn):
            raise ArgumentError(
                f"column_property() of a {type(column).__name__}: tether maps a table's own columns only; a "
                "SQL expression as a mapped attribute is not supported. Compute it in a "
                "query (select(..., expression.label('name'))), or as a Python property or "
                "a hybrid_property (tether.ext.hybrid)"
            )
        self.column: Any = column
        self.deferred = is_deferred


class _Synonym:
    def __init__(self, name: str) -> None:
        self.name = name

    def __set_name__(self, owner: type, key: str) -> None:
        self.key = key

    def __get__(self, obj: Any, owner: Any) -> Any:
        if obj is None:
            return getattr(owner, self.name)
        return getattr(obj, self.name)

    def __set__(self, obj: Any, value: Any) -> None:
        setattr(obj, self.name, value)


def synonym(name: str, **kw: Any) -> Any:
    """An attribute that reads and writes another mapped attribute."""
    return _Synonym(name)


class declared_attr:  # noqa: N801 - the name users import
    """Marks a mixin method whose result is computed per mapped class."""

    def __init__(self, fn: Any) -> None:
        self.fn = fn

    def __get__(self, obj: Any, owner: Any) -> Any:
        return self.fn(owner)

    @classmethod
    def directive(cls, fn: Any) -> declared_attr:
        return cls(fn)


# --- annotations -----------------------------------------------------------------------
class _Forward:
    """A name in a string annotation that is not defined yet (usually a class)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __getitem__(self, item: Any) -> Any:
        return self

    def __or__(self, other: Any) -> Any:
        return _OptionalForward(self)

    def __ror__(self, other: Any) -> Any:
        return _OptionalForward(self)


class _OptionalForward:
    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def __or__(self, other: Any) -> Any:
        return self

    __ror__ = __or__


class _LenientNamespace(dict[str, Any]):
    def __init__(self, cls_ns: dict[str, Any], module_ns: dict[str, Any]) -> None:
        super().__init__()
        self.cls_ns = cls_ns
        self.module_ns = module_ns

    def __missing__(self, key: str) -> Any:
        for ns in (self.cls_ns, self.module_ns, vars(builtins)):
            if key in ns:
                return ns[key]
        if key == "Mapped":
            return Mapped
        return _Forward(key)


def _evaluate_annotation(annotation: Any, cls: type) -> Any:
    if not isinstance(annotation, str):
        return annotation
    module = sys.modules.get(cls.__module__)
    module_ns = dict(vars(module)) if module is not None else {}
    try:
        return eval(annotation, {"__builtins__": builtins}, _LenientNamespace(dict(vars(cls)), module_ns))  # noqa: S307
    except Exception:
        return _Forward(annotation)


def _strip_mapped(annotation: Any) -> tuple[Any, bool]:
    """``Mapped[X]`` -> ``(X, True)``; anything else -> ``(annotation, False)``."""
    origin = typing.get_origin(annotation)
    if origin is not None and isinstance(origin, type) and issubclass(origin, Mapped):
        args = typing.get_args(annotation)
        return (args[0] if args else None), True
    return annotation, False


def _unwrap_annotation(annotation: Any) -> tuple[Any, bool]:
    """The Python type inside ``Mapped[...]`` and whether it is Optional."""
    if annotation is None:
        return None, True
    inner, _ = _strip_mapped(annotation)
    optional = False
    if isinstance(inner, _OptionalForward):
        return inner.inner, True
    origin = typing.get_origin(inner)
    if origin is Union or origin is pytypes.UnionType:
        args = [a for a in typing.get_args(inner) if a is not type(None)]
        optional = len(args) < len(typing.get_args(inner))
        inner = args[0] if len(args) == 1 else inner
    if isinstance(inner, typing.ForwardRef):
        inner = inner.__forward_arg__
    if isinstance(inner, str):
        # Mapped["User | None"], Mapped["Optional[User]"]
        text = inner.strip()
        if text.startswith("Optional[") and text.endswith("]"):
            return _Forward(text[9:-1].strip().strip("'\"")), True
        parts = [p.strip().strip("'\"") for p in text.split("|")]
        names = [p for p in parts if p != "None"]
        if len(names) == 1:
            return _Forward(names[0]), optional or len(names) < len(parts)
        return _Forward(text), optional
    return inner, optional


def _relationship_annotation(annotation: Any) -> tuple[Any, Any]:
    """For ``Mapped[list["X"]]`` -> ("X", list); ``Mapped["X"]`` -> ("X", False)."""
    inner, optional = _unwrap_annotation(annotation)
    origin = typing.get_origin(inner)
    collection: Any = False
    if origin in (list, set, typing.List, typing.Set) or origin in (  # noqa: UP006
        frozenset,
    ):
        collection = set if origin in (set, typing.Set) else list  # noqa: UP006
        args = typing.get_args(inner)
        inner = args[0] if args else None
    elif isinstance(inner, type) and inner in (list, set):
        collection, inner = inner, None
    if isinstance(inner, _Forward):
        inner = inner.name
    elif isinstance(inner, typing.ForwardRef):
        inner = inner.__forward_arg__
    return inner, collection


_PY_TYPES: dict[Any, str] = {
    int: "Integer",
    str: "String",
    float: "Float",
    bool: "Boolean",
    bytes: "LargeBinary",
    datetime.datetime: "DateTime",
    datetime.date: "Date",
    datetime.time: "Time",
    datetime.timedelta: "Interval",
    dict: "JSON",
    list: "JSON",
}
#: annotation classes of modules tether does not import, moved into _PY_TYPES once imported
_OPTIONAL_PY_TYPES = {("decimal", "Decimal"): "Numeric", ("uuid", "UUID"): "Uuid"}


def _close_matches(name: str, known: list[str]) -> list[str]:
    import difflib  # only a failing lookup, about to raise, needs suggestions

    return difflib.get_close_matches(name, known, n=3)


# --- the constructor and attribute writes every mapped class gets ------------------------
def _default_constructor(self: Any, **kwargs: Any) -> None:
    """Set each keyword argument as an attribute; unknown names raise TypeError."""
    cls = type(self)
    d = self.__dict__
    attrs = getattr(cls, "_tether_attrs", _EMPTY)
    # what the constructor looks up per class, kept with the attrs dict it was made from
    # (an inherited entry is a base class's: its attrs dict is not this class's)
    plan = getattr(cls, "_tether_init_plan", None)
    if plan is None or plan[0] is not attrs or plan[1] != len(attrs):
        plan = _init_plan(cls, attrs)
    mapper, plain = plan[2], plan[3]
    fresh = None  # the state, when made here: the object has no session and no values yet
    if STATE_KEY not in d:
        if mapper is None:
            instance_state(self)  # raises: not a mapped class
        else:
            # A brand-new object: its state is made here, as instance_state() would, but
            # without first missing the lookup (an exception per object constructed).
            if mapper.registry._dirty:
                mapper.registry.configure_if_needed()
                if plan[1] != len(attrs):  # configuring added properties (backrefs)
                    plain = _init_plan(cls, attrs)[3]
            fresh = d[STATE_KEY] = new_state(self, mapper)
    if plain.issuperset(kwargs):  # (no keys view made per object)
        # only plain columns: a brand-new object has no history to keep, store them as is
        d.update(kwargs)
        return
    for key, value in kwargs.items():
        if key in plain:
            d[key] = value
            continue
        attr = attrs.get(key)
        if attr is None and not hasattr(cls, key):
            raise TypeError(
                f"{key!r} is an invalid keyword argument for {cls.__name__}: it has no "
                f"attribute of that name. Its attributes are: {', '.join(attrs) or 'none'}"
            )
        if (fresh is not None and attr is not None and attr.is_relationship
                and cls.__setattr__ is _tether_setattr):
            # what setattr() would reach through the class's setter, minus the checks a
            # brand-new object passes (no session, no old value)
            attr.set_on_new(self, fresh, value)
        else:
            setattr(self, key, value)


def _init_plan(cls: type, attrs: dict[str, Any]) -> tuple[Any, ...]:
    """``(attrs, len(attrs), mapper or None, plain keys)`` for ``cls``'s constructor. The
    plain keys are those of the column attributes without a validator: the constructor
    stores those straight into the new object's ``__dict__``. Kept on the class with the
    attrs dict it was made from, so the constructor makes it again when the class was
    mapped (a new attrs dict) or a property was added."""
    plain = frozenset(k for k, a in attrs.items() if not a.is_relationship and a.validator is None)
    plan = (attrs, len(attrs), getattr(cls, "__mapper__", None), plain)
    type.__setattr__(cls, "_tether_init_plan", plan)
    return plan


_default_constructor.__name__ = "__init__"


def _tether_setattr(self: Any, key: str, value: Any) -> None:
    # one dict lookup decides: a mapped key goes to its setter (which records history),
    # anything else is a plain attribute
    setter = type(self)._tether_setters.get(key)
    if setter is None:
        object.__setattr__(self, key, value)
    else:
        setter(self, value)


def _tether_delattr(self: Any, key: str) -> None:
    attr = type(self).__dict__.get("_tether_attrs", _EMPTY).get(key)
    if attr is None:
        object.__delattr__(self, key)
    else:
        attr.set(self, None)


_EMPTY: dict[str, Any] = {}


class _Inspect:
    """``inspect(User)`` gives the Mapper, ``inspect(user)`` the InstanceState."""

    def __get__(self, obj: Any, owner: Any) -> Any:
        if obj is not None:
            return lambda: instance_state(obj)
        mapper = owner.__dict__.get("__mapper__")
        if mapper is None:
            raise AttributeError("_tether_inspect")

        def inspect_class() -> Any:
            mapper.registry.configure_if_needed()
            return mapper

        return inspect_class


class _ClassClause:
    """``__clause_element__`` for mapped classes only: ``select(User)`` sees the table,
    while an instance has no such attribute (so ``Post.author == some_user`` compares the
    object, not a table)."""

    def __get__(self, obj: Any, owner: Any) -> Any:
        if obj is not None:
            raise AttributeError("__clause_element__")
        mapper = owner.__dict__.get("__mapper__")
        if mapper is None:
            raise AttributeError("__clause_element__")
        # Every select(Class) asks: one callable per mapper, made once and kept on it, and
        # a C-level one (no Python frame when called), reading local_table at each call
        element = mapper.__dict__.get("_tether_clause_element")
        if element is None:
            element = mapper._tether_clause_element = partial(getattr, mapper, "local_table")
        return element


# --- the registry --------------------------------------------------------------------------
class registry:  # noqa: N801 - the name users import
    """Holds a MetaData, the mapped classes by name, and their mappers."""

    def __init__(
        self,
        *,
        metadata: Any = None,
        class_registry: dict[str, Any] | None = None,
        type_annotation_map: dict[Any, Any] | None = None,
        constructor: Any = _default_constructor,
    ) -> None:
        if metadata is None:
            from tether.sql.schema import MetaData

            metadata = MetaData()
        self.metadata = metadata
        self._class_registry: dict[str, Any] = class_registry if class_registry is not None else {}
        self.type_annotation_map = dict(type_annotation_map or {})
        self.constructor = constructor
        self.mappers: list[Mapper] = []
        #: some mapper of this registry still needs configuring
        self._dirty = False
        register_registry(self)

    # mapping
    def mapped(self, cls: type) -> type:
        """Class decorator: map ``cls`` with this registry."""
        cls.registry = self  # type: ignore[attr-defined]
        cls.metadata = self.metadata  # type: ignore[attr-defined]
        _install_base_methods(cls, self.constructor, only_missing=True)
        _as_declarative(cls, self)
        return cls

    def map_declaratively(self, cls: type) -> Mapper:
        self.mapped(cls)
        return cls.__mapper__  # type: ignore[attr-defined, no-any-return]

    def generate_base(
        self,
        mapper: Any = None,
        cls: type = object,
        name: str = "Base",
        metaclass: type = type,
    ) -> Any:
        if metaclass is type:
            metaclass = DeclarativeMeta
        bases = cls if isinstance(cls, tuple) else (cls,)
        ns: dict[str, Any] = {
            "registry": self,
            "metadata": self.metadata,
            "__abstract__": True,
            "_tether_attrs": {},
            "_tether_setters": {},
            "__doc__": cls.__doc__ if cls is not object else None,
        }
        if cls is object or "__init__" not in getattr(cls, "__dict__", {}):
            ns["__init__"] = self.constructor
        ns["__setattr__"] = _tether_setattr
        ns["__delattr__"] = _tether_delattr
        ns["__clause_element__"] = _ClassClause()
        ns["_tether_inspect"] = _Inspect()
        return metaclass(name, bases, ns)

    def configure(self, cascade: bool = False) -> None:
        """Configure this registry's mappers; raises the relationship problems found."""
        configure_registry(self)

    def configure_if_needed(self) -> None:
        if self._dirty:
            configure_registry(self)

    def dispose(self, cascade: bool = False) -> None:
        for mapper in self.mappers:
            cls = mapper.class_
            for key in list(mapper.attrs.keys()):
                try:
                    delattr(cls, key)
                except AttributeError:
                    pass
            try:
                del cls.__mapper__  # type: ignore[attr-defined]
            except AttributeError:
                pass
        self.mappers.clear()
        self._class_registry.clear()

    # names
    def _register_class(self, cls: type) -> None:
        name = cls.__name__
        existing = self._class_registry.get(name)
        if existing is not None and existing is not cls:
            previous = existing if isinstance(existing, list) else [existing]
            self._class_registry[name] = [*previous, cls]
        else:
            self._class_registry[name] = cls
        self._class_registry[f"{cls.__module__}.{name}"] = cls

    def _lookup(self, name: str, prop: Any) -> Any:
        found = self._class_registry.get(name)
        if found is None and name in self.metadata.tables:
            # relationship("users") naming a table: find the class mapped to it
            for m in self.mappers:
                if m.local_table is self.metadata.tables[name]:
                    return m.class_
        if found is None:
            known = sorted(k for k in self._class_registry if "." not in k)
            close = _close_matches(name, known)
            hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else "."
            raise InvalidRequestError(
                f"{prop.what if prop is not None else 'relationship'}: no mapped class named "
                f"{name!r} in this declarative base{hint} Known classes: {', '.join(known)}"
            )
        if isinstance(found, list):
            raise InvalidRequestError(
                f"class name {name!r} is ambiguous: {len(found)} mapped classes have it; use "
                "the full module path ('package.module.Class') or pass the class itself"
            )
        return found

    def resolve(self, arg: Any, prop: Any = None) -> Any:
        """Turn a relationship target (class, name, lambda, Mapper) into a class."""
        if isinstance(arg, Mapper):
            return arg.class_
        if isinstance(arg, type):
            return arg
        if isinstance(arg, str):
            if "." in arg and arg in self._class_registry:
                return self._class_registry[arg]
            return self._lookup(arg.strip(), prop)
        if callable(arg):
            return self.resolve(arg(), prop)
        return arg

    def resolve_table(self, arg: Any, prop: Any = None) -> Any:
        if callable(arg) and not isinstance(arg, str):
            arg = arg()
        if isinstance(arg, str):
            tables = self.metadata.tables
            if arg in tables:
                return tables[arg]
            close = _close_matches(arg, list(tables))
            raise InvalidRequestError(
                f"{prop.what if prop is not None else 'relationship'}: secondary table "
                f"{arg!r} is not in this MetaData"
                + (f"; did you mean {', '.join(map(repr, close))}?" if close else "")
            )
        return arg

    def evaluate(self, value: Any, prop: Any = None) -> Any:
        """Evaluate a string such as ``"User.id"`` or ``"[A.x, A.y]"`` among mapped classes."""
        if callable(value) and not isinstance(value, str):
            return value()
        # The public Core names (and_, desc, func, ...) as SQLAlchemy's strings may use them,
        # then the tables, then the mapped classes, which win on a clash.
        import tether

        ns: dict[str, Any] = {name: getattr(tether, name) for name in tether.__all__}
        ns.update(self.metadata.tables)
        ns.update({k: v for k, v in self._class_registry.items() if "." not in k})
        try:
            return eval(value, {"__builtins__": {}}, ns)  # noqa: S307
        except Exception as err:
            raise ArgumentError(
                f"{prop.what if prop is not None else 'relationship'}: cannot evaluate "
                f"{value!r}: {err}"
            ) from err

    def _type_for(self, py_type: Any, key: str) -> Any:
        from tether.sql import types as sqltypes

        if py_type in self.type_annotation_map:
            return self.type_annotation_map[py_type]
        import enum

        if isinstance(py_type, type) and issubclass(py_type, enum.Enum):
            return sqltypes.Enum(py_type)
        origin = typing.get_origin(py_type)
        if origin is not None and origin is not typing.Literal:
            py_type = origin
        if _OPTIONAL_PY_TYPES:
            adopt_loaded(_PY_TYPES, _OPTIONAL_PY_TYPES)
        name = _PY_TYPES.get(py_type)
        if name is None and isinstance(py_type, type):
            for base, candidate in _PY_TYPES.items():
                if isinstance(base, type) and issubclass(py_type, base):
                    name = candidate
                    break
        if name is None:
            raise ArgumentError(
                f"cannot tell the column type of {key!r} from its annotation {py_type!r}; "
                "pass a type to mapped_column(), e.g. mapped_column(String(50))"
            )
        return getattr(sqltypes, name)()


# --- class scanning --------------------------------------------------------------------------
def _install_base_methods(cls: type, constructor: Any, only_missing: bool = False) -> None:
    if constructor is not None and "__init__" not in cls.__dict__:
        cls.__init__ = constructor  # type: ignore[misc]
    if "_tether_setters" not in cls.__dict__:
        cls._tether_setters = {}  # type: ignore[attr-defined]
    if "__setattr__" not in cls.__dict__:
        cls.__setattr__ = _tether_setattr  # type: ignore[assignment, method-assign]
        cls.__delattr__ = _tether_delattr  # type: ignore[assignment, method-assign]
    if "__clause_element__" not in cls.__dict__:
        cls.__clause_element__ = _ClassClause()  # type: ignore[attr-defined]
        cls._tether_inspect = _Inspect()  # type: ignore[attr-defined]


def _ordered_members(cls: type) -> list[tuple[str, Any, Any]]:
    """(key, value or None, annotation or None) for every candidate attribute, mixins
    first, in declaration order."""
    out: dict[str, tuple[Any, Any]] = {}
    for klass in reversed(cls.__mro__[:-1]):
        if klass is not cls and (
            "registry" in klass.__dict__ or hasattr(klass, "__mapper__") or klass is DeclarativeBase
        ):
            continue
        annotations = klass.__dict__.get("__annotations__", {})
        ns = klass.__dict__
        # declaration order: annotation-only names sit where they were written
        keys: list[str] = []
        ann_order = list(annotations)
        emitted: set[str] = set()
        pos = 0
        for key in ns:
            if key in annotations:
                target = ann_order.index(key)
                while pos < target:
                    a = ann_order[pos]
                    if a not in ns and a not in emitted:
                        keys.append(a)
                        emitted.add(a)
                    pos += 1
            keys.append(key)
        keys.extend(a for a in ann_order if a not in ns and a not in emitted)
        is_mixin = klass is not cls
        for key in keys:
            if key.startswith("__"):
                continue
            value = ns.get(key)
            if isinstance(value, declared_attr):
                value = value.fn(cls)
            annotation = annotations.get(key)
            if value is None and annotation is None:
                continue
            if annotation is not None:
                annotation = _evaluate_annotation(annotation, klass)
                _, is_mapped = _strip_mapped(annotation)
                if not is_mapped and value is None:
                    continue
            if is_mixin:
                value = _copy_for_subclass(value, key)
            out[key] = (value, annotation)
    return [(k, v, a) for k, (v, a) in out.items()]


def _copy_for_subclass(value: Any, key: str) -> Any:
    """A mixin's column is copied for each class that uses it (a Column has one table)."""
    from tether.sql.schema import Column

    if isinstance(value, Column):
        if value.name is None:
            value.name = key
            value.key = key
        return value._copy()
    if isinstance(value, MappedColumn):
        return MappedColumn(value.args, value.kwargs)
    if isinstance(value, RelationshipProperty):
        raise ArgumentError(
            "relationship() on a mixin must be wrapped in @declared_attr so each class gets "
            "its own"
        )
    return value


def _table_args(cls: type) -> tuple[list[Any], dict[str, Any]]:
    args = getattr(cls, "__table_args__", None)
    if args is None:
        return [], {}
    if isinstance(args, dict):
        return [], dict(args)
    if isinstance(args, tuple):
        if args and isinstance(args[-1], dict):
            return list(args[:-1]), dict(args[-1])
        return list(args), {}
    raise ArgumentError(
        f"{cls.__name__}.__table_args__ must be a dict, a tuple, or a tuple ending in a dict"
    )


def _as_declarative(cls: type, reg: registry) -> None:
    """Build the Table (unless ``__table__`` is given) and the Mapper for ``cls``."""
    from tether.sql.schema import Column, Table

    if cls.__dict__.get("__abstract__", False):
        return
    mapped_base = next((b for b in cls.__mro__[1:] if "__mapper__" in b.__dict__), None)
    if mapped_base is not None:
        raise InvalidRequestError(
            f"class {cls.__name__} inherits from the mapped class {mapped_base.__name__}: "
            "tether does not map class hierarchies (single-table or joined-table "
            "inheritance, __mapper_args__ polymorphic_on/polymorphic_identity). Map "
            f"{cls.__name__} on its own (share columns through a mixin or an "
            f"__abstract__ = True base instead of {mapped_base.__name__}), or relate the "
            "two tables with a relationship()"
        )
    table = cls.__dict__.get("__table__")
    tablename = getattr(cls, "__tablename__", None)
    if table is None and tablename is None:
        if any(isinstance(v, Column | MappedColumn) for v in cls.__dict__.values()):
            raise InvalidRequestError(
                f"class {cls.__name__} has columns but no __tablename__ (or __table__); "
                "add __tablename__ = '...' or __abstract__ = True"
            )
        return
    columns: list[Any] = []
    deferred_keys: set[str] = set()
    props: dict[str, Any] = {}
    col_keys: list[tuple[str, Any]] = []
    for key, value, annotation in _ordered_members(cls):
        if isinstance(value, MappedColumn):
            if table is not None:
                raise ArgumentError(
                    f"{cls.__name__}.{key}: mapped_column() cannot add a column to a class "
                    "mapped with __table__"
                )
            col = value.build(key, annotation, reg)
            columns.append(col)
            col_keys.append((key, col))
            if value.deferred:
                deferred_keys.add(key)
        elif isinstance(value, Column):
            if value.name is None:
                value.name = key
                if getattr(value, "key", None) is None:
                    value.key = key
            if table is None:
                columns.append(value)
            col_keys.append((key, value))
        elif isinstance(value, _ColumnPropertySpec):
            col = value.column
            if isinstance(col, MappedColumn):  # deferred(mapped_column(...))
                col = col.build(key, annotation, reg)
            ce = getattr(col, "__clause_element__", None)
            col = ce() if ce is not None else col
            if getattr(col, "table", None) is None:
                if col.name is None:
                    col.name = key
                    col.key = key
                columns.append(col)
            col_keys.append((key, col))
            if value.deferred:
                deferred_keys.add(key)
        elif isinstance(value, RelationshipProperty):
            if annotation is not None:
                target, collection = _relationship_annotation(annotation)
                value._annotation_target = target
                value._annotation_collection = collection
            props[key] = value
        elif value is None and annotation is not None:
            # `name: Mapped[str]` with no value: a plain column named after the attribute
            target, collection = _relationship_annotation(annotation)
            mc = MappedColumn((), {})
            try:
                col = mc.build(key, annotation, reg)
            except ArgumentError:
                raise ArgumentError(
                    f"{cls.__name__}.{key} is annotated {annotation!r} but has no "
                    "mapped_column() or relationship(); say which it is"
                ) from None
            columns.append(col)
            col_keys.append((key, col))
    if table is None:
        args, kwargs = _table_args(cls)
        table = Table(str(tablename), reg.metadata, *columns, *args, **kwargs)
        cls.__table__ = table  # type: ignore[attr-defined]
    properties: dict[str, Any] = {}
    for key, col in col_keys:
        table_col = table.c[col.key] if col.table is not table else col
        properties[key] = ColumnProperty(key, table_col, deferred=key in deferred_keys)
    properties.update(props)
    for key in properties:
        if key in cls.__dict__:
            try:
                delattr(cls, key)
            except AttributeError:
                pass
    Mapper(cls, table, reg, properties)
    reg._register_class(cls)


class DeclarativeMeta(type):
    """Metaclass of ``declarative_base()`` classes: maps each subclass as it is created."""

    def __init__(cls, name: str, bases: tuple[type, ...], ns: dict[str, Any], **kw: Any) -> None:
        super().__init__(name, bases, ns, **kw)
        reg = ns.get("registry")
        if isinstance(reg, registry):
            return  # the base class itself
        reg = getattr(cls, "registry", None)
        if isinstance(reg, registry):
            _as_declarative(cls, reg)

    def __setattr__(cls, key: str, value: Any) -> None:
        type.__setattr__(cls, key, value)


def declarative_base(
    *,
    metadata: Any = None,
    mapper: Any = None,
    cls: Any = object,
    name: str = "Base",
    class_registry: dict[str, Any] | None = None,
    type_annotation_map: dict[Any, Any] | None = None,
    constructor: Any = _default_constructor,
    metaclass: type = DeclarativeMeta,
) -> Any:
    """A new base class: subclasses with ``__tablename__`` or ``__table__`` are mapped."""
    reg = registry(
        metadata=metadata,
        class_registry=class_registry,
        type_annotation_map=type_annotation_map,
        constructor=constructor,
    )
    return reg.generate_base(mapper=mapper, cls=cls, name=name, metaclass=metaclass)


class DeclarativeBase:
    """Base of the typed declarative style: ``class Base(DeclarativeBase): pass``; its
    subclasses with ``__tablename__`` are mapped as they are created."""

    registry: typing.ClassVar[registry]
    metadata: typing.ClassVar[Any]
    __table__: typing.ClassVar[Any]
    __mapper__: typing.ClassVar[Mapper]
    _tether_attrs: typing.ClassVar[dict[str, Any]] = {}
    _tether_setters: typing.ClassVar[dict[str, Any]] = {}

    def __init_subclass__(cls, **kw: Any) -> None:
        if DeclarativeBase in cls.__bases__:
            reg = cls.__dict__.get("registry")
            if not isinstance(reg, registry):
                reg = registry(
                    metadata=cls.__dict__.get("metadata"),
                    type_annotation_map=cls.__dict__.get("type_annotation_map"),
                )
            cls.registry = reg
            cls.metadata = reg.metadata
            cls._tether_attrs = {}
            cls._tether_setters = {}
        else:
            _as_declarative(cls, cls.registry)
        super().__init_subclass__(**kw)

    __init__ = _default_constructor
    __setattr__ = _tether_setattr
    __delattr__ = _tether_delattr
    __clause_element__ = _ClassClause()
    _tether_inspect = _Inspect()


def _state_of(obj: Any) -> Any:
    return obj.__dict__.get(STATE_KEY)
