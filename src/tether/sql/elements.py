"""SQL expression elements: columns, literals, operators, functions, labels, CASE, CAST.

Every element is immutable once built. Each can describe its *shape* (``_shape``): a
hashable key that is equal for two elements that render the same SQL, with literal values
collected separately as bind parameters. The compiler caches compiled statements by that
key, which is how a repeated query is compiled only once.

Anything with a ``__clause_element__()`` method (an ORM attribute or mapped class) is
accepted wherever an element is; :func:`coerce` unwraps it.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from tether import exc
from tether.sql import types as sqltypes
from tether.sql.operators import (
    BOOLEAN_OPS,
    COMPARISON_PRECEDENCE,
    IDENTITY_CHECK,
    NEGATIONS,
    PRECEDENCE,
)

if TYPE_CHECKING:
    from tether.sql.selectable import FromClause


def coerce(value: Any) -> ClauseElement:
    """Turn an ORM attribute, mapped class or element into a ClauseElement."""
    if isinstance(value, ClauseElement):
        return value
    ce = getattr(value, "__clause_element__", None)
    if ce is not None:
        return ce()
    raise exc.ArgumentError(
        f"{value!r} is not a SQL expression; expected a column, table, mapped class or "
        f"expression. Wrap literal values with literal() and SQL text with text()."
    )


_new = object.__new__  # an element built with its attributes given whole

#: Exact types of literal values that are always bound as parameters (bool is not: True
#: and False become SQL constants).
_PLAIN_LITERALS = frozenset({str, int, float})


def coerce_expression(value: Any, type_: sqltypes.TypeEngine | None = None) -> ColumnElement:
    """Turn a value into a column expression: elements pass through, literals become binds."""
    if type(value) in _PLAIN_LITERALS:  # the common case, without the lookups below
        return BindParameter(None, value, type_)
    if isinstance(value, ColumnElement):
        return value
    ce = getattr(value, "__clause_element__", None)
    if ce is not None:
        element = ce()
        if isinstance(element, ColumnElement):
            return element
        from tether.sql.selectable import Select

        if isinstance(element, Select):
            return element.scalar_subquery()
        raise exc.ArgumentError(f"{value!r} cannot be used as a column expression")
    if isinstance(value, ClauseElement):
        from tether.sql.selectable import Select

        if isinstance(value, Select):
            return value.scalar_subquery()
        if isinstance(value, TextClause):
            return TextExpression(value)
        raise exc.ArgumentError(f"{value!r} cannot be used as a column expression")
    if value is None:
        return Null()
    if value is True:
        return True_()
    if value is False:
        return False_()
    return BindParameter(None, value, type_)


def coerce_where(value: Any) -> ColumnElement:
    """Coerce a WHERE/HAVING/ON criterion; a plain string is refused with advice."""
    if isinstance(value, ColumnElement):  # most criteria (what coerce_expression returns)
        return value
    if isinstance(value, str):
        raise exc.ArgumentError(
            f"textual SQL {value!r} must be wrapped in text() to be used as a criterion"
        )
    if isinstance(value, TextClause):
        return TextExpression(value)
    return coerce_expression(value)


class ShapeContext(list):  # type: ignore[type-arg]
    """What a shape traversal collects: the bind parameters, in order, and a number for
    each anonymous alias so that two different anonymous aliases get different shapes.

    It has no ``__init__`` of its own: every statement compiled (or looked up in the
    cache) makes one, and most meet no anonymous alias, so the numbering's containers are
    made by the first alias."""

    #: id of each anonymous alias met -> its number (None until the first)
    anon: dict[int, int] | None = None
    #: set once the walk meets any alias (Alias._name_key)
    met_alias = False

    def anon_index(self, obj: Any) -> int:
        anon = self.anon
        if anon is None:
            anon = self.anon = {}
            self._keep: list[Any] = []
        n = anon.get(id(obj))
        if n is None:
            n = anon[id(obj)] = len(anon)
            self._keep.append(obj)  # ids stay unique while the numbering is in use
        return n


class ClauseElement:
    """Base class of every SQL construct."""

    __visit_name__ = "clause"
    __slots__ = ()
    _is_select = False
    _is_from = False
    #: True for a FROM element that is its own cache key in every statement and its own
    #: only FROM object (a schema Table): the shape walk then uses it as it is.
    _keyed_by_identity = False

    def _shape(self, binds: list[BindParameter]) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError(type(self).__name__)

    @property
    def _from_objects(self) -> list[FromClause]:
        return []

    def self_group(self, against: str | None = None) -> ClauseElement:
        return self

    def compile(self, bind: Any = None, dialect: Any = None, **kw: Any) -> Any:
        """Compile for ``dialect`` (or the bind's), for inspection; ``str()`` does the same."""
        from tether.sql.compiler import compile_for_display

        if dialect is None and bind is not None:
            dialect = bind.dialect
        return compile_for_display(self, dialect, **kw)

    def __str__(self) -> str:
        return str(self.compile())

    def params(self, **values: Any) -> ClauseElement:
        """Return a copy with named bind parameters given values."""
        from tether.sql.visitors import replace_binds

        return replace_binds(self, values)


class ColumnOperators:
    """The operators available on column expressions (and on ORM attributes)."""

    __slots__ = ()

    def operate(self, op: str, other: Any = None, **kw: Any) -> ColumnElement:
        raise NotImplementedError

    def __eq__(self, other: Any) -> ColumnElement:  # type: ignore[override]
        return self.operate("=", other)

    def __ne__(self, other: Any) -> ColumnElement:  # type: ignore[override]
        return self.operate("!=", other)

    def __lt__(self, other: Any) -> ColumnElement:
        return self.operate("<", other)

    def __le__(self, other: Any) -> ColumnElement:
        return self.operate("<=", other)

    def __gt__(self, other: Any) -> ColumnElement:
        return self.operate(">", other)

    def __ge__(self, other: Any) -> ColumnElement:
        return self.operate(">=", other)

    def __add__(self, other: Any) -> ColumnElement:
        return self.operate("+", other)

    def __radd__(self, other: Any) -> ColumnElement:
        return self.operate("+", other, reverse=True)

    def __sub__(self, other: Any) -> ColumnElement:
        return self.operate("-", other)

    def __rsub__(self, other: Any) -> ColumnElement:
        return self.operate("-", other, reverse=True)

    def __mul__(self, other: Any) -> ColumnElement:
        return self.operate("*", other)

    def __rmul__(self, other: Any) -> ColumnElement:
        return self.operate("*", other, reverse=True)

    def __truediv__(self, other: Any) -> ColumnElement:
        return self.operate("/", other)

    def __rtruediv__(self, other: Any) -> ColumnElement:
        return self.operate("/", other, reverse=True)

    def __mod__(self, other: Any) -> ColumnElement:
        return self.operate("%", other)

    def __neg__(self) -> ColumnElement:
        return self.operate("neg")

    def __invert__(self) -> ColumnElement:
        return self.operate("invert")

    def __and__(self, other: Any) -> ColumnElement:
        return and_(self, other)

    def __or__(self, other: Any) -> ColumnElement:
        return or_(self, other)

    def in_(self, other: Any) -> ColumnElement:
        return self.operate("in", other)

    def not_in(self, other: Any) -> ColumnElement:
        return self.operate("not_in", other)

    notin_ = not_in

    def like(self, other: Any, escape: str | None = None) -> ColumnElement:
        return self.operate("like", other, escape=escape)

    def not_like(self, other: Any, escape: str | None = None) -> ColumnElement:
        return self.operate("not_like", other, escape=escape)

    notlike = not_like

    def ilike(self, other: Any, escape: str | None = None) -> ColumnElement:
        return self.operate("ilike", other, escape=escape)

    def not_ilike(self, other: Any, escape: str | None = None) -> ColumnElement:
        return self.operate("not_ilike", other, escape=escape)

    notilike = not_ilike

    def startswith(self, other: Any, autoescape: bool = False) -> ColumnElement:
        return self.operate("like", _Pattern(other, "", "%", autoescape))

    def endswith(self, other: Any, autoescape: bool = False) -> ColumnElement:
        return self.operate("like", _Pattern(other, "%", "", autoescape))

    def contains(self, other: Any, autoescape: bool = False) -> ColumnElement:
        return self.operate("like", _Pattern(other, "%", "%", autoescape))

    def is_(self, other: Any) -> ColumnElement:
        return self.operate("is", other)

    def is_not(self, other: Any) -> ColumnElement:
        return self.operate("is_not", other)

    isnot = is_not

    def is_distinct_from(self, other: Any) -> ColumnElement:
        return self.operate("is_distinct_from", other)

    def is_not_distinct_from(self, other: Any) -> ColumnElement:
        return self.operate("is_not_distinct_from", other)

    def between(self, lower: Any, upper: Any, symmetric: bool = False) -> ColumnElement:
        return self.operate("between", (lower, upper))

    def concat(self, other: Any) -> ColumnElement:
        return self.operate("||", other)

    def op(self, opstring: str, precedence: int = 5, is_comparison: bool = False) -> Any:
        def apply(other: Any) -> ColumnElement:
            return self.operate("custom", other, opstring=opstring, is_comparison=is_comparison)

        return apply

    def asc(self) -> UnaryExpression:
        return UnaryExpression(_col(self), modifier="ASC")

    def desc(self) -> UnaryExpression:
        return UnaryExpression(_col(self), modifier="DESC")

    def nulls_first(self) -> UnaryExpression:
        return UnaryExpression(_col(self), modifier="NULLS FIRST")

    def nulls_last(self) -> UnaryExpression:
        return UnaryExpression(_col(self), modifier="NULLS LAST")

    nullsfirst = nulls_first
    nullslast = nulls_last

    def distinct(self) -> UnaryExpression:
        col = _col(self)
        return UnaryExpression(col, operator="DISTINCT", type_=col.type)

    def collate(self, collation: str) -> ColumnElement:
        from tether.sql.expressions import CollationClause

        return CollationClause(_col(self), collation)

    def label(self, name: str | None) -> Label:
        return Label(name, _col(self))

    def cast(self, type_: Any) -> Any:
        from tether.sql.expressions import Cast

        return Cast(_col(self), type_)

    def any_(self) -> ColumnElement:
        return UnaryExpression(_col(self), operator="ANY")

    def all_(self) -> ColumnElement:
        return UnaryExpression(_col(self), operator="ALL")


def _col(value: Any) -> ColumnElement:
    return coerce_expression(value)


class _Pattern:
    """A LIKE pattern built from a value with ``%`` before and/or after it."""

    __slots__ = ("value", "before", "after", "autoescape")

    def __init__(self, value: Any, before: str, after: str, autoescape: bool) -> None:
        self.value, self.before, self.after, self.autoescape = value, before, after, autoescape


class ColumnElement(ClauseElement, ColumnOperators):
    """An expression that yields one value per row."""

    __visit_name__ = "column_element"
    type: sqltypes.TypeEngine = sqltypes.NULLTYPE
    key: str | None = None
    name: str | None = None
    __hash__ = ClauseElement.__hash__

    def operate(self, op: str, other: Any = None, **kw: Any) -> ColumnElement:
        return _build_operation(self, op, other, **kw)

    def like(self, other: Any, escape: str | None = None) -> ColumnElement:
        # ``column.like("prefix%")``, most LIKEs, straight to what operate() makes of it
        # (no element overrides operate for LIKE: Tuple's own cases are IN and =/!=)
        if type(other) in _PLAIN_LITERALS:
            return _literal_comparison(self, "like", other, escape)
        return _build_operation(self, "like", other, escape=escape)

    def self_group(self, against: str | None = None) -> ClauseElement:
        return self

    def _negate(self) -> ColumnElement:
        return UnaryExpression(self.self_group("not"), operator="NOT", type_=sqltypes.BOOLEANTYPE)

    def __bool__(self) -> bool:
        raise TypeError(
            "the truth value of a SQL expression is not defined; combine conditions with "
            "and_() / or_() (or & and |) instead of Python's 'and' / 'or'"
        )

    @property
    def comparator(self) -> ColumnElement:
        return self

    @property
    def expression(self) -> ColumnElement:
        return self

    def _result_name(self) -> str:
        """The key a result row uses for this expression."""
        return self.key or "?"


def _build_operation(left: ColumnElement, op: str, other: Any, **kw: Any) -> ColumnElement:
    if op in BOOLEAN_OPS and type(other) in _PLAIN_LITERALS:
        # The most common criterion, ``column <op> literal`` (what the general path below
        # makes of it after its special cases, none of which a str/int/float meets).
        return _literal_comparison(left, op, other, kw.get("escape"))
    if op == "neg":
        return UnaryExpression(left.self_group("unary_minus"), operator="-", type_=left.type)
    if op == "invert":
        return left._negate()
    if op in ("in", "not_in"):
        return _in_operation(left, op, other)
    if op in ("between", "not_between"):
        lower, upper = other
        bounds = ClauseList(
            coerce_expression(lower, left.type), coerce_expression(upper, left.type),
            operator="and",
        )
        return BinaryExpression(left, bounds, op, sqltypes.BOOLEANTYPE)
    if isinstance(other, _Pattern):
        right = _pattern_expression(left, other)
        return BinaryExpression(left, right, op, sqltypes.BOOLEANTYPE,
                                escape="/" if other.autoescape else None)
    reverse = kw.get("reverse", False)
    if op in ("=", "!=", "is", "is_not") and (other is None or isinstance(other, Null)):
        op = "is" if op in ("=", "is") else "is_not"
        return BinaryExpression(left, Null(), op, sqltypes.BOOLEANTYPE)
    if op in ("is", "is_not") and isinstance(other, bool):
        return BinaryExpression(left, True_() if other else False_(), op, sqltypes.BOOLEANTYPE)
    right = coerce_expression(other, left.type)
    if op in BOOLEAN_OPS:
        return BinaryExpression(left, right, op, sqltypes.BOOLEANTYPE, escape=kw.get("escape"))
    if op == "custom":
        rtype = sqltypes.BOOLEANTYPE if kw.get("is_comparison") else left.type
        return BinaryExpression(left, right, op, rtype, opstring=kw["opstring"])
    if op == "+" and (left.type._is_string or right.type._is_string):
        op = "||"
    result_type = left.type if not isinstance(left.type, sqltypes.NullType) else right.type
    if reverse:
        return BinaryExpression(right, left, op, result_type)
    return BinaryExpression(left, right, op, result_type)


def _literal_comparison(left: ColumnElement, op: str, value: Any,
                        escape: str | None) -> ColumnElement:
    """``BinaryExpression(left, BindParameter(None, value, left.type), op, BOOLEANTYPE,
    escape=escape)`` with the attributes those constructors would set given directly:
    an anonymous bind of the column's type instance (not required, unique), which as an
    operand of highest precedence is never grouped. Every ``column <op> literal`` of a
    statement builder pays for this, so it skips the constructors' general checks."""
    type_ = left.type
    if not isinstance(type_, sqltypes.TypeEngine):  # (a type class: the constructor's path)
        return BinaryExpression(left, BindParameter(None, value, type_), op,
                                sqltypes.BOOLEANTYPE, escape=escape)
    bind = _new(BindParameter)
    bind.__dict__ = {"key": None, "value": value, "callable": None, "expanding": False,
                     "key_list": False, "type": type_, "required": False, "unique": True}
    expr = _new(BinaryExpression)
    expr.__dict__ = {
        "left": left.self_group(op) if (isinstance(left, _OPERATOR_EXPRESSIONS)
                                        and _groups_left(left, PRECEDENCE.get(op, 5)))
        else left,  # (most left sides, a column, have no operator: not grouped)
        "right": bind, "operator": op, "type": sqltypes.BOOLEANTYPE, "escape": escape,
        "opstring": None}
    return expr


def _pattern_expression(left: ColumnElement, pattern: _Pattern) -> ColumnElement:
    value = pattern.value
    if isinstance(value, str):
        if pattern.autoescape:
            value = value.replace("/", "//").replace("%", "/%").replace("_", "/_")
        return BindParameter(None, pattern.before + value + pattern.after, sqltypes.STRINGTYPE)
    expr = coerce_expression(value, left.type)
    if pattern.before:
        expr = BinaryExpression(literal("%"), expr, "||", sqltypes.STRINGTYPE)
    if pattern.after:
        expr = BinaryExpression(expr, literal("%"), "||", sqltypes.STRINGTYPE)
    return expr


def _in_operation(left: ColumnElement, op: str, other: Any) -> ColumnElement:
    from tether.sql.selectable import SelectBase

    ce = getattr(other, "__clause_element__", None)
    if ce is not None:
        other = ce()
    if isinstance(other, SelectBase):
        from tether.sql.selectable import ScalarSelect

        sub = ScalarSelect(other)  # renders its own parentheses
        return BinaryExpression(left, sub, op, sqltypes.BOOLEANTYPE)
    if isinstance(other, (TextClause,)):
        return BinaryExpression(left, Grouping(TextExpression(other)), op, sqltypes.BOOLEANTYPE)
    if isinstance(other, BindParameter) and other.expanding:
        return BinaryExpression(left, other, op, sqltypes.BOOLEANTYPE)
    if isinstance(other, (str, bytes)) or not isinstance(other, Iterable):
        raise exc.ArgumentError(
            f"in_() takes a list, tuple, set or select(); got {other!r}. "
            f"For a single value use == instead."
        )
    items = list(other)
    if not items:
        return EmptyIn(op == "in")
    elements = [coerce_expression(v, left.type) for v in items]
    return BinaryExpression(left, Grouping(ClauseList(*elements)), op, sqltypes.BOOLEANTYPE)


class ColumnClause(ColumnElement):
    """A named column, of a table or free-standing (``column('x')``, ``literal_column``)."""

    __visit_name__ = "column"

    def __init__(
        self,
        text: str,
        type_: Any = None,
        is_literal: bool = False,
        _selectable: Any = None,
    ) -> None:
        self.name = text
        self.key = text
        self.type = sqltypes.to_instance(type_)
        self.is_literal = is_literal
        self.table = _selectable

    def _shape(self, binds: list[BindParameter]) -> Any:
        table = self.table
        return ("col", self.name, self.is_literal,
                table._from_key(binds if isinstance(binds, ShapeContext) else None)
                if table is not None else None)

    @property
    def _from_objects(self) -> list[FromClause]:
        return [self.table] if self.table is not None else []

    def _result_name(self) -> str:
        return self.key or self.name or "?"

    def __repr__(self) -> str:
        table = self.table
        prefix = f"{table.name}." if table is not None and getattr(table, "name", None) else ""
        return f"<{type(self).__name__} {prefix}{self.name}>"


def column(text: str, type_: Any = None) -> ColumnClause:
    """A free-standing column named ``text``."""
    return ColumnClause(text, type_)


def literal_column(text: str, type_: Any = None) -> ColumnClause:
    """A column expression rendered exactly as ``text``."""
    return ColumnClause(text, type_, is_literal=True)


_anon_counter = itertools.count(1)


class BindParameter(ColumnElement):
    """A value sent to the database as a parameter, never as SQL text."""

    __visit_name__ = "bindparam"

    def __init__(
        self,
        key: str | None,
        value: Any = None,
        type_: Any = None,
        unique: bool = False,
        required: bool | None = None,
        expanding: bool = False,
        callable_: Any = None,
        key_list: bool = False,
    ) -> None:
        self.key = key
        self.value = value
        self.callable = callable_
        self.expanding = expanding
        #: an expanding list of the compared column's own values, as read from the
        #: database (the ORM's batch loads and deletes by key): a dialect may send it as
        #: one typed array. A user's list keeps one placeholder per item, so the database
        #: coerces each value as it would in ``IN (...)``.
        self.key_list = key_list
        if type_ is None:
            if expanding and value:
                type_ = sqltypes.type_for_value(next(iter(value)))
            else:
                type_ = sqltypes.type_for_value(value) if value is not None else None
        self.type = sqltypes.to_instance(type_)
        self.required = (key is not None and value is None) if required is None else required
        # An anonymous bind is filled from its own value; a keyed one may be set at
        # execution time by a parameter of that name.
        self.unique = unique or key is None

    def _shape(self, binds: list[BindParameter]) -> Any:
        binds.append(self)
        if self.expanding:
            return ("bindx", self.key, self.type._cache_key(), len(self.value or ()),
                    self.key_list)
        return ("bind", None if self.unique else self.key, self.type._cache_key())

    def effective_value(self) -> Any:
        if self.callable is not None:
            return self.callable()
        return self.value

    def __repr__(self) -> str:
        return f"BindParameter({self.key!r}, {self.value!r}, type_={self.type!r})"


def bindparam(key: str, value: Any = None, type_: Any = None, unique: bool = False,
              required: bool | None = None, expanding: bool = False,
              callable_: Any = None) -> BindParameter:
    """A named parameter whose value can be given at execution time."""
    return BindParameter(key, value, type_, unique=unique, required=required,
                         expanding=expanding, callable_=callable_)


def literal(value: Any, type_: Any = None) -> BindParameter:
    """A literal Python value as a bound parameter."""
    return BindParameter(None, value, type_)


class Null(ColumnElement):
    __visit_name__ = "null"

    def _shape(self, binds: list[BindParameter]) -> Any:
        return ("null",)


class True_(ColumnElement):
    __visit_name__ = "true"
    type = sqltypes.BOOLEANTYPE

    def _shape(self, binds: list[BindParameter]) -> Any:
        return ("true",)

    def _negate(self) -> ColumnElement:
        return False_()


class False_(ColumnElement):
    __visit_name__ = "false"
    type = sqltypes.BOOLEANTYPE

    def _shape(self, binds: list[BindParameter]) -> Any:
        return ("false",)

    def _negate(self) -> ColumnElement:
        return True_()


def null() -> Null:
    return Null()


def true() -> True_:
    return True_()


def false() -> False_:
    return False_()


class EmptyIn(ColumnElement):
    """``x IN ()`` with no items: always false (or, negated, always true)."""

    __visit_name__ = "empty_in"
    type = sqltypes.BOOLEANTYPE

    def __init__(self, positive: bool) -> None:
        self.positive = positive

    def _shape(self, binds: list[BindParameter]) -> Any:
        return ("emptyin", self.positive)

    def _negate(self) -> ColumnElement:
        return EmptyIn(not self.positive)


class BinaryExpression(ColumnElement):
    """``left <op> right``."""

    __visit_name__ = "binary"

    left: Any
    right: Any

    def __init__(self, left: Any, right: Any, operator: str,
                 type_: Any = None, escape: str | None = None,
                 opstring: str | None = None) -> None:
        prec = PRECEDENCE.get(operator, 5)
        self.left = left.self_group(operator) if _groups_left(left, prec) else left
        # The right side of a non-associative operator needs parentheses at equal precedence.
        self.right = right.self_group(operator) if PRECEDENCE_OF(right) <= prec else right
        self.operator = operator
        self.type = sqltypes.to_instance(type_)
        self.escape = escape
        self.opstring = opstring

    def _shape(self, binds: list[BindParameter]) -> Any:
        return ("bin", self.operator, self.opstring, self.escape,
                self.left._shape(binds), self.right._shape(binds))

    @property
    def _from_objects(self) -> list[FromClause]:
        right = self.right
        if right.__class__ is BindParameter:  # a value compared: no FROM of its own
            return self.left._from_objects  # type: ignore[no-any-return]
        return self.left._from_objects + right._from_objects  # type: ignore[no-any-return]

    def self_group(self, against: str | None = None) -> ClauseElement:
        if against is not None and PRECEDENCE.get(against, 0) >= PRECEDENCE.get(self.operator, 5):
            return Grouping(self)
        return self

    def _negate(self) -> ColumnElement:
        negated = NEGATIONS.get(self.operator)
        if negated is not None:
            return BinaryExpression(self.left, self.right, negated, self.type, self.escape)
        return super()._negate()

    def __bool__(self) -> bool:
        check = IDENTITY_CHECK.get(self.operator)
        if check is None:
            return super().__bool__()
        return bool(check(_unwrap_group(self.left), _unwrap_group(self.right)))


def _unwrap_group(element: Any) -> Any:
    while isinstance(element, Grouping):
        element = element.element
    return element


def _groups_left(left: ClauseElement, prec: int) -> bool:
    """Whether the left operand of an operator of precedence ``prec`` needs parentheses:
    when it binds more loosely, or when both are comparisons, which SQL does not chain
    (``a = b = c`` is an error on PostgreSQL; ``(a = b) = c`` is meant)."""
    left_prec = PRECEDENCE_OF(left)
    return left_prec < prec or left_prec == prec == COMPARISON_PRECEDENCE


def PRECEDENCE_OF(element: ClauseElement) -> int:  # noqa: N802 - reads as a constant lookup
    """Precedence of the outermost operator of ``element`` (high when it has none)."""
    if not isinstance(element, _OPERATOR_EXPRESSIONS):
        return 100  # most operands (columns, binds): one check
    if isinstance(element, BinaryExpression):
        return PRECEDENCE.get(element.operator, 5)
    if isinstance(element, BooleanClauseList):
        return PRECEDENCE[element.operator] if len(element.clauses) > 1 else 100
    return PRECEDENCE["not"] if element.operator == "NOT" else 100


class UnaryExpression(ColumnElement):
    """``<operator> element`` or ``element <modifier>`` (NOT x, -x, x DESC, DISTINCT x)."""

    __visit_name__ = "unary"

    def __init__(self, element: ClauseElement, operator: str | None = None,
                 modifier: str | None = None, type_: Any = None) -> None:
        self.element = element
        self.operator = operator
        self.modifier = modifier
        self.type = sqltypes.to_instance(type_ if type_ is not None
                                         else getattr(element, "type", None))

    def _shape(self, binds: list[BindParameter]) -> Any:
        return ("unary", self.operator, self.modifier, self.element._shape(binds))

    @property
    def _from_objects(self) -> list[FromClause]:
        return self.element._from_objects

    def _negate(self) -> ColumnElement:
        if self.operator == "NOT":
            inner = self.element
            return inner if isinstance(inner, ColumnElement) else super()._negate()
        return super()._negate()

    def nulls_first(self) -> UnaryExpression:
        return UnaryExpression(self, modifier="NULLS FIRST")

    def nulls_last(self) -> UnaryExpression:
        return UnaryExpression(self, modifier="NULLS LAST")

    def _result_name(self) -> str:
        if isinstance(self.element, ColumnElement):
            return self.element._result_name()
        return "?"

    @property
    def key(self) -> str | None:  # type: ignore[override]
        return getattr(self.element, "key", None)


class ClauseList(ColumnElement):
    """Elements separated by commas (function arguments, IN lists, tuples)."""

    __visit_name__ = "clauselist"

    def __init__(self, *clauses: Any, operator: str = "comma") -> None:
        self.clauses = [coerce_expression(c) for c in clauses]
        self.operator = operator

    def _shape(self, binds: list[BindParameter]) -> Any:
        return ("list", self.operator, tuple(c._shape(binds) for c in self.clauses))

    @property
    def _from_objects(self) -> list[FromClause]:
        return [f for c in self.clauses for f in c._from_objects]

    def __iter__(self) -> Any:
        return iter(self.clauses)

    def __len__(self) -> int:
        return len(self.clauses)


class BooleanClauseList(ColumnElement):
    """Conditions joined by AND or OR."""

    __visit_name__ = "boolean_clauselist"
    type = sqltypes.BOOLEANTYPE

    def __init__(self, operator: str, clauses: Sequence[ColumnElement]) -> None:
        self.operator = operator
        self.clauses = list(clauses)

    def _shape(self, binds: list[BindParameter]) -> Any:
        return ("bool", self.operator, tuple(c._shape(binds) for c in self.clauses))

    @property
    def _from_objects(self) -> list[FromClause]:
        return [f for c in self.clauses for f in c._from_objects]

    def self_group(self, against: str | None = None) -> ClauseElement:
        if (len(self.clauses) > 1 and against is not None
                and PRECEDENCE.get(against, 0) >= PRECEDENCE[self.operator]):
            return Grouping(self)
        return self

    def _negate(self) -> ColumnElement:
        return UnaryExpression(self.self_group("not"), operator="NOT",
                               type_=sqltypes.BOOLEANTYPE)


def _boolean(operator: str, clauses: Iterable[Any]) -> ColumnElement:
    flat: list[ColumnElement] = []
    for clause in clauses:
        if clause is None:
            continue
        element = coerce_where(clause)
        if isinstance(element, BooleanClauseList) and element.operator == operator:
            flat.extend(element.clauses)
        else:
            flat.append(element.self_group(operator))  # type: ignore[arg-type]
    if len(flat) == 1:
        return flat[0]
    return BooleanClauseList(operator, flat)


def and_(*clauses: Any) -> ColumnElement:
    """All of the conditions hold."""
    if not clauses:
        return BooleanClauseList("and", [])
    return _boolean("and", clauses)


def or_(*clauses: Any) -> ColumnElement:
    """At least one of the conditions holds."""
    if not clauses:
        return BooleanClauseList("or", [])
    return _boolean("or", clauses)


def not_(clause: Any) -> ColumnElement:
    """The condition does not hold."""
    return coerce_where(clause)._negate()


class Grouping(ColumnElement):
    """Parentheses around an element."""

    __visit_name__ = "grouping"

    def __init__(self, element: ClauseElement) -> None:
        self.element = element
        self.type = getattr(element, "type", sqltypes.NULLTYPE)

    def _shape(self, binds: list[BindParameter]) -> Any:
        return ("group", self.element._shape(binds))

    @property
    def _from_objects(self) -> list[FromClause]:
        return self.element._from_objects

    def self_group(self, against: str | None = None) -> ClauseElement:
        return self

    def _negate(self) -> ColumnElement:
        inner = self.element
        if isinstance(inner, ColumnElement):
            return inner._negate().self_group("not")  # type: ignore[return-value]
        return super()._negate()

    @property
    def key(self) -> str | None:  # type: ignore[override]
        return getattr(self.element, "key", None)


class Label(ColumnElement):
    """``element AS name``."""

    __visit_name__ = "label"
    element: ColumnElement

    def __init__(self, name: str | None, element: ColumnElement, type_: Any = None) -> None:
        while isinstance(element, Label):
            element = element.element
        self.name = name
        self.key = name
        self.element = element
        self.type = sqltypes.to_instance(type_) if type_ is not None else element.type

    def _shape(self, binds: list[BindParameter]) -> Any:
        return ("label", self.name, self.element._shape(binds))

    @property
    def _from_objects(self) -> list[FromClause]:
        return self.element._from_objects

    def _result_name(self) -> str:
        return self.name or self.element._result_name()


class TextClause(ClauseElement):
    """Literal SQL text with ``:name`` bound parameters."""

    __visit_name__ = "textclause"
    _is_text = True

    def __init__(self, text: str, bindparams: dict[str, BindParameter] | None = None) -> None:
        self.text = text
        self._bindparams: dict[str, BindParameter] = dict(bindparams or {})

    def bindparams(self, *binds: BindParameter, **values: Any) -> TextClause:
        new = dict(self._bindparams)
        for b in binds:
            new[b.key or ""] = b
        for key, value in values.items():
            new[key] = BindParameter(key, value, required=False)
        return TextClause(self.text, new)

    def columns(self, *cols: Any, **types: Any) -> Any:
        from tether.sql.compound import TextualSelect

        columns = [coerce_expression(c) if not isinstance(c, str) else ColumnClause(c)
                   for c in cols]
        columns += [ColumnClause(name, t) for name, t in types.items()]
        return TextualSelect(self, columns)

    def _shape(self, binds: list[BindParameter]) -> Any:
        for b in self._bindparams.values():
            binds.append(b)
        return ("text", self.text, tuple((k, b.type._cache_key())
                                         for k, b in self._bindparams.items()))

    def self_group(self, against: str | None = None) -> ClauseElement:
        return self


class TextExpression(ColumnElement):
    """A TextClause used where a column expression or condition is expected."""

    __visit_name__ = "text_expression"

    def __init__(self, clause: TextClause) -> None:
        self.clause = clause

    def _shape(self, binds: list[BindParameter]) -> Any:
        return ("textexpr", self.clause._shape(binds))

    def self_group(self, against: str | None = None) -> ClauseElement:
        if against in ("and", "or", "not"):
            return Grouping(self)
        return self


#: The elements with an operator of their own, whose precedence may call for parentheses.
_OPERATOR_EXPRESSIONS = (BinaryExpression, BooleanClauseList, UnaryExpression)


def text(text: str) -> TextClause:
    """Literal SQL; write parameters as ``:name`` and pass their values at execution."""
    return TextClause(text)

