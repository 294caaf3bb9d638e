"""Column types and how their Python values travel to and from each database.

A type knows its DDL name (through ``__visit_name__`` and the dialect's ``type_names``)
and, for a given dialect, returns a *bind processor* (Python value -> driver value) and a
*result processor* (driver value -> Python value), or ``None`` when the driver already does
the right thing. Processors are looked up once per compiled statement, never per row.

Decisions on SQLite, which has few storage classes, chosen so that every value round-trips
exactly and sorts correctly:

* ``DateTime``/``Date``/``Time`` are stored as fixed-width ISO-8601 text (microseconds
  always present), so text order is time order; aware datetimes keep their offset.
* ``Numeric`` is bound as text and read back as ``Decimal`` quantized to the declared scale;
  SQLite keeps it as REAL, so values past 15 significant digits are not exact there.
* ``Uuid`` is stored as 32 hex characters; ``Boolean`` as 0/1; ``JSON`` as text.
* ``Enum`` is stored as the member's name in a VARCHAR on both databases.
"""

from __future__ import annotations

import datetime as _dt
import enum as _enum
from collections.abc import Callable
from typing import Any

from tether.util.lazy import ImportedClass, adopt_loaded

Processor = Callable[[Any], Any] | None


class TypeEngine:
    """Base class of every column type."""

    __visit_name__ = "null"
    #: Whether values of this type should be compared with other values of the same
    #: Python type (used for inferring literal types).
    python_type: type = object
    #: Whether ``a + b`` on this type means string concatenation.
    _is_string = False

    def bind_processor(self, dialect: Any) -> Processor:
        """Return a function turning a Python value into what the driver takes, or None."""
        return None

    def result_processor(self, dialect: Any) -> Processor:
        """Return a function turning what the driver returns into the Python value, or None."""
        return None

    def _cache_key(self) -> tuple[Any, ...]:
        # Every bind of every statement shape asks its type for this key, so it is kept on
        # the instance; setting any attribute (below) drops it.
        key = self.__dict__.get(_KEY_MEMO)
        if key is None:
            key = (type(self), tuple(sorted((k, _hashable(v)) for k, v in vars(self).items()
                                            if k != _KEY_MEMO)))
            self.__dict__[_KEY_MEMO] = key
        return key

    def __setattr__(self, name: str, value: Any) -> None:
        self.__dict__.pop(_KEY_MEMO, None)
        object.__setattr__(self, name, value)

    def _type_affinity(self) -> type:
        for cls in type(self).__mro__:
            if cls.__module__ == __name__ and cls.__name__ in _AFFINITY_NAMES:
                return cls
        return type(self)

    def copy(self) -> TypeEngine:
        new = type(self).__new__(type(self))
        new.__dict__.update(self.__dict__)
        return new

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items()
                         if v is not None and k != _KEY_MEMO)
        return f"{type(self).__name__}({args})"


_KEY_MEMO = "_tether_cache_key"


def _hashable(value: Any) -> Any:
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return value


class NullType(TypeEngine):
    """The type of an expression whose type is not known; values pass through."""

    __visit_name__ = "null"


class Integer(TypeEngine):
    __visit_name__ = "integer"
    python_type = int


class SmallInteger(Integer):
    __visit_name__ = "small_integer"


class BigInteger(Integer):
    __visit_name__ = "big_integer"


class Float(TypeEngine):
    __visit_name__ = "float"
    python_type = float

    def __init__(self, precision: int | None = None, asdecimal: bool = False) -> None:
        self.precision = precision
        self.asdecimal = asdecimal

    def result_processor(self, dialect: Any) -> Processor:
        if self.asdecimal:
            _import_decimal()
            return _to_decimal_or_none
        # Both drivers return float for REAL/DOUBLE PRECISION columns: nothing to do on the
        # load hot path.
        return None


# decimal.Decimal, imported by the first processor that needs it (numbers are rarely
# decimals; the module and its numbers ABCs cost a program that has none memory).
_Decimal: Any = None


def _import_decimal() -> Any:
    global _Decimal
    if _Decimal is None:
        import decimal

        _Decimal = decimal.Decimal
    return _Decimal


def _to_float_if_decimal(value: Any) -> Any:
    if isinstance(value, _Decimal):
        return float(value)
    return value


def _to_decimal_or_none(value: Any) -> Any:
    if value is None:
        return None
    return _Decimal(str(value))


class Double(Float):
    __visit_name__ = "double"


class Numeric(TypeEngine):
    __visit_name__ = "numeric"
    python_type = ImportedClass("decimal", "Decimal")

    def __init__(
        self, precision: int | None = None, scale: int | None = None, asdecimal: bool = True
    ) -> None:
        self.precision = precision
        self.scale = scale
        self.asdecimal = asdecimal

    def bind_processor(self, dialect: Any) -> Processor:
        if dialect.supports_native_decimal:
            return None
        return _numeric_to_text

    def result_processor(self, dialect: Any) -> Processor:
        Decimal = _import_decimal()
        if not self.asdecimal:
            return _to_float_if_decimal
        if dialect.supports_native_decimal:
            return None
        scale = self.scale
        if scale is None:
            return _to_decimal_or_none
        quantum = Decimal(1).scaleb(-scale)

        def process(value: Any) -> Any:
            if value is None:
                return None
            return Decimal(str(value)).quantize(quantum)

        return process


def _numeric_to_text(value: Any) -> Any:
    if value is None or isinstance(value, (int, float)):
        return value
    return str(value)


class String(TypeEngine):
    __visit_name__ = "string"
    python_type = str
    _is_string = True

    def __init__(self, length: int | None = None, collation: str | None = None) -> None:
        self.length = length
        self.collation = collation


class Text(String):
    __visit_name__ = "text"


class Unicode(String):
    pass


class UnicodeText(Text):
    pass


class Boolean(TypeEngine):
    __visit_name__ = "boolean"
    python_type = bool

    def __init__(self, create_constraint: bool = False, name: str | None = None) -> None:
        self.create_constraint = create_constraint
        self.name = name

    def bind_processor(self, dialect: Any) -> Processor:
        if dialect.supports_native_boolean:
            return None
        return _bool_to_int

    def result_processor(self, dialect: Any) -> Processor:
        if dialect.supports_native_boolean:
            return None
        return _int_to_bool


def _bool_to_int(value: Any) -> Any:
    if value is None:
        return None
    return 1 if value else 0


def _int_to_bool(value: Any) -> Any:
    if value is None:
        return None
    return bool(value)


class DateTime(TypeEngine):
    __visit_name__ = "datetime"
    python_type = _dt.datetime

    def __init__(self, timezone: bool = False) -> None:
        self.timezone = timezone

    def bind_processor(self, dialect: Any) -> Processor:
        if dialect.supports_native_datetime:
            return None
        return _datetime_to_text

    def result_processor(self, dialect: Any) -> Processor:
        if dialect.supports_native_datetime:
            if not self.timezone or dialect.supports_timezone:
                return None
        return _text_to_datetime


def _datetime_to_text(value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, _dt.datetime):
        text = value.strftime("%Y-%m-%d %H:%M:%S.") + f"{value.microsecond:06d}"
        if value.tzinfo is not None:
            offset = value.utcoffset()
            assert offset is not None
            minutes = int(offset.total_seconds() // 60)
            sign = "+" if minutes >= 0 else "-"
            minutes = abs(minutes)
            text += f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"
        return text
    if isinstance(value, _dt.date):
        return value.strftime("%Y-%m-%d") + " 00:00:00.000000"
    raise TypeError(f"DateTime columns take datetime.datetime values, got {value!r}")


def _text_to_datetime(value: Any) -> Any:
    if value is None or isinstance(value, _dt.datetime):
        return value
    return _dt.datetime.fromisoformat(value)


class Date(TypeEngine):
    __visit_name__ = "date"
    python_type = _dt.date

    def bind_processor(self, dialect: Any) -> Processor:
        if dialect.supports_native_datetime:
            return None
        return _date_to_text

    def result_processor(self, dialect: Any) -> Processor:
        if dialect.supports_native_datetime:
            return None
        return _text_to_date


def _date_to_text(value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, _dt.datetime):
        value = value.date()
    if isinstance(value, _dt.date):
        return value.isoformat()
    raise TypeError(f"Date columns take datetime.date values, got {value!r}")


def _text_to_date(value: Any) -> Any:
    if value is None or isinstance(value, _dt.date):
        return value
    return _dt.date.fromisoformat(value[:10])


class Time(TypeEngine):
    __visit_name__ = "time"
    python_type = _dt.time

    def __init__(self, timezone: bool = False) -> None:
        self.timezone = timezone

    def bind_processor(self, dialect: Any) -> Processor:
        if dialect.supports_native_datetime:
            return None
        return _time_to_text

    def result_processor(self, dialect: Any) -> Processor:
        if dialect.supports_native_datetime:
            return None
        return _text_to_time


def _time_to_text(value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, _dt.time):
        return value.strftime("%H:%M:%S.") + f"{value.microsecond:06d}"
    raise TypeError(f"Time columns take datetime.time values, got {value!r}")


def _text_to_time(value: Any) -> Any:
    if value is None or isinstance(value, _dt.time):
        return value
    return _dt.time.fromisoformat(value)


class Interval(TypeEngine):
    """A ``timedelta``; stored natively on PostgreSQL and as microseconds elsewhere."""

    __visit_name__ = "interval"
    python_type = _dt.timedelta

    def bind_processor(self, dialect: Any) -> Processor:
        if dialect.supports_native_datetime:
            return None
        return lambda v: None if v is None else (v // _dt.timedelta(microseconds=1))

    def result_processor(self, dialect: Any) -> Processor:
        if dialect.supports_native_datetime:
            return None
        return lambda v: None if v is None else _dt.timedelta(microseconds=int(v))


class LargeBinary(TypeEngine):
    __visit_name__ = "large_binary"
    python_type = bytes

    def __init__(self, length: int | None = None) -> None:
        self.length = length

    def result_processor(self, dialect: Any) -> Processor:
        return _to_bytes


def _to_bytes(value: Any) -> Any:
    if value is None or type(value) is bytes:
        return value
    return bytes(value)


_HIGHEST: Any = object()  # PickleType's default protocol: pickle.HIGHEST_PROTOCOL


class PickleType(LargeBinary):
    """Any picklable Python object, stored as the bytes of ``pickle.dumps``."""

    def __init__(self, protocol: Any = _HIGHEST, pickler: Any = None) -> None:
        super().__init__()
        import pickle  # only programs with a PickleType column pay for the module

        self.protocol = pickle.HIGHEST_PROTOCOL if protocol is _HIGHEST else protocol
        self.pickler = pickler or pickle

    def _cache_key(self) -> tuple[Any, ...]:
        return (type(self), self.protocol, id(self.pickler))

    def bind_processor(self, dialect: Any) -> Processor:
        dumps, protocol = self.pickler.dumps, self.protocol
        return lambda v: None if v is None else dumps(v, protocol)

    def result_processor(self, dialect: Any) -> Processor:
        loads = self.pickler.loads
        return lambda v: None if v is None else loads(bytes(v))


class JSON(TypeEngine):
    """JSON documents; ``None`` is stored as JSON ``null`` unless ``none_as_null=True``."""

    __visit_name__ = "json"
    python_type = dict

    def __init__(self, none_as_null: bool = False) -> None:
        self.none_as_null = none_as_null

    def bind_processor(self, dialect: Any) -> Processor:
        none_as_null = self.none_as_null
        if dialect.supports_native_json:
            wrap = dialect.json_bind

            def native(value: Any) -> Any:
                if value is None and none_as_null:
                    return None
                return wrap(value)

            return native

        from json import dumps

        def to_text(value: Any) -> Any:
            if value is None and none_as_null:
                return None
            return dumps(value)

        return to_text

    def result_processor(self, dialect: Any) -> Processor:
        if dialect.supports_native_json:
            return None
        from json import loads

        return lambda v: None if v is None else loads(v)


class Enum(String):
    """A Python ``enum.Enum`` class (stored by member name) or a fixed set of strings."""

    __visit_name__ = "enum"

    def __init__(self, *enums: Any, name: str | None = None, length: int | None = None,
                 native_enum: bool = True, create_constraint: bool = False,
                 validate_strings: bool = False, values_callable: Any = None) -> None:
        self.enum_class: type[_enum.Enum] | None = None
        if len(enums) == 1 and isinstance(enums[0], type) and issubclass(enums[0], _enum.Enum):
            self.enum_class = enums[0]
            members = list(self.enum_class.__members__.values())
            if values_callable is not None:
                self.values = tuple(values_callable(self.enum_class))
            else:
                self.values = tuple(m.name for m in members)
            self._by_value = dict(zip(self.values, members, strict=False))
        else:
            self.values = tuple(enums)
            self._by_value = {}
        self.name = name or (self.enum_class.__name__.lower() if self.enum_class else None)
        self.create_constraint = create_constraint
        self.validate_strings = validate_strings
        super().__init__(length=length or max((len(v) for v in self.values), default=1))

    @property
    def python_type(self) -> type:  # type: ignore[override]
        return self.enum_class or str

    def _cache_key(self) -> tuple[Any, ...]:
        return (type(self), self.values, self.enum_class)

    def bind_processor(self, dialect: Any) -> Processor:
        enum_class, values = self.enum_class, self.values
        to_db = {m: v for v, m in self._by_value.items()}

        def process(value: Any) -> Any:
            if value is None:
                return None
            if enum_class is not None and isinstance(value, enum_class):
                return to_db[value]
            if value in values:
                return value
            raise LookupError(
                f"{value!r} is not among the defined enum values; "
                f"this Enum accepts {', '.join(map(repr, values))}"
            )

        return process

    def result_processor(self, dialect: Any) -> Processor:
        if self.enum_class is None:
            return None
        by_value = self._by_value
        return lambda v: None if v is None else by_value[v]


class Uuid(TypeEngine):
    """A ``uuid.UUID``; native on PostgreSQL, 32 hex characters on SQLite."""

    __visit_name__ = "uuid"
    python_type = ImportedClass("uuid", "UUID")

    def __init__(self, as_uuid: bool = True, native_uuid: bool = True) -> None:
        self.as_uuid = as_uuid
        self.native_uuid = native_uuid

    def bind_processor(self, dialect: Any) -> Processor:
        from uuid import UUID  # only programs with a Uuid column pay for the module

        if dialect.supports_native_uuid and self.native_uuid:
            if self.as_uuid:
                return None
            return lambda v: None if v is None else UUID(v)

        def to_hex(value: Any) -> Any:
            if value is None:
                return None
            if isinstance(value, UUID):
                return value.hex
            return UUID(value).hex

        return to_hex

    def result_processor(self, dialect: Any) -> Processor:
        if dialect.supports_native_uuid and self.native_uuid:
            if self.as_uuid:
                return None
            return lambda v: None if v is None else str(v)
        from uuid import UUID

        if self.as_uuid:
            return lambda v: None if v is None else UUID(v)
        return lambda v: None if v is None else str(UUID(v))


UUID = Uuid


class ARRAY(TypeEngine):
    """A PostgreSQL array of ``item_type``."""

    __visit_name__ = "array"
    python_type = list

    def __init__(self, item_type: Any, dimensions: int | None = None) -> None:
        self.item_type = to_instance(item_type)
        self.dimensions = dimensions

    def _cache_key(self) -> tuple[Any, ...]:
        return (type(self), self.item_type._cache_key(), self.dimensions)


class JSONB(JSON):
    """PostgreSQL's binary JSON."""

    __visit_name__ = "jsonb"


class TypeDecorator(TypeEngine):
    """Build a custom type on top of an existing one.

    Subclasses set ``impl`` and override ``process_bind_param`` and/or
    ``process_result_value``; the ``impl`` type's own processing still applies.
    """

    impl: Any = NullType
    cache_ok = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        impl = self.__class__.impl
        self.impl = impl(*args, **kwargs) if isinstance(impl, type) else impl

    @property
    def __visit_name__(self) -> str:  # type: ignore[override]
        return self.impl.__visit_name__

    @property
    def python_type(self) -> type:  # type: ignore[override]
        return self.impl.python_type

    def _cache_key(self) -> tuple[Any, ...]:
        return (type(self), self.impl._cache_key())

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        return value

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        return value

    def bind_processor(self, dialect: Any) -> Processor:
        inner = self.impl.bind_processor(dialect)
        process_param = self.process_bind_param
        if inner is None:
            return lambda v: process_param(v, dialect)
        return lambda v: inner(process_param(v, dialect))

    def result_processor(self, dialect: Any) -> Processor:
        inner = self.impl.result_processor(dialect)
        process_value = self.process_result_value
        if inner is None:
            return lambda v: process_value(v, dialect)
        return lambda v: process_value(inner(v), dialect)


# Upper-case aliases SQLAlchemy users import.
INTEGER = INT = Integer
BIGINT = BigInteger
SMALLINT = SmallInteger
VARCHAR = String
CHAR = String
TEXT = Text
BOOLEAN = Boolean
FLOAT = Float
REAL = Float
DOUBLE = Double
NUMERIC = DECIMAL = Numeric
DATE = Date
DATETIME = TIMESTAMP = DateTime
TIME = Time
BLOB = BINARY = VARBINARY = LargeBinary

_AFFINITY_NAMES = {
    "Integer", "Float", "Numeric", "String", "Boolean", "DateTime", "Date", "Time",
    "Interval", "LargeBinary", "JSON", "Uuid", "ARRAY", "NullType",
}

NULLTYPE = NullType()
INTEGERTYPE = Integer()
BOOLEANTYPE = Boolean()
STRINGTYPE = String()
FLOATTYPE = Float()

_PYTHON_TYPES: dict[type, TypeEngine] = {
    bool: BOOLEANTYPE,
    int: INTEGERTYPE,
    float: FLOATTYPE,
    str: STRINGTYPE,
    _dt.datetime: DateTime(),
    _dt.date: Date(),
    _dt.time: Time(),
    _dt.timedelta: Interval(),
    bytes: LargeBinary(),
    dict: JSON(),
}
#: classes of modules tether does not import, moved into _PYTHON_TYPES once imported
_OPTIONAL_PYTHON_TYPES: dict[tuple[str, str], TypeEngine] = {
    ("decimal", "Decimal"): Numeric(),
    ("uuid", "UUID"): Uuid(),
}


def to_instance(type_: Any) -> TypeEngine:
    """Accept a type class or instance (or None) and return an instance."""
    if type_ is None:
        return NULLTYPE
    if isinstance(type_, type):
        return type_()
    return type_


def type_for_value(value: Any) -> TypeEngine:
    """The type a literal Python value gets when nothing better is known."""
    found = _PYTHON_TYPES.get(type(value))
    if found is not None:
        return found
    if _OPTIONAL_PYTHON_TYPES and adopt_loaded(_PYTHON_TYPES, _OPTIONAL_PYTHON_TYPES):
        found = _PYTHON_TYPES.get(type(value))
        if found is not None:
            return found
    if isinstance(value, _enum.Enum):
        return Enum(type(value))
    for py, t in _PYTHON_TYPES.items():
        if isinstance(value, py):
            return t
    return NULLTYPE


__all__ = [
    "ARRAY", "BIGINT", "BINARY", "BLOB", "BOOLEAN", "BigInteger", "Boolean", "CHAR", "DATE",
    "DATETIME", "DECIMAL", "DOUBLE", "Date", "DateTime", "Double", "Enum", "FLOAT", "Float",
    "INT", "INTEGER", "Integer", "Interval", "JSON", "JSONB", "LargeBinary", "NUMERIC",
    "NullType", "Numeric", "PickleType", "REAL", "SMALLINT", "SmallInteger", "String", "TEXT",
    "TIME", "TIMESTAMP", "Text", "Time", "TypeDecorator", "TypeEngine", "UUID", "Unicode",
    "UnicodeText", "Uuid", "VARBINARY", "VARCHAR",
]
