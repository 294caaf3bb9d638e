"""Hybrid attributes: one Python definition that computes a value on an object and builds
a SQL expression on the class (``from tether.ext.hybrid import hybrid_property``).

    class User(Base):
        first = Column(String)
        last = Column(String)

        @hybrid_property
        def full_name(self):
            return self.first + " " + self.last

``user.full_name`` runs the function on the object; ``User.full_name`` runs it on the class,
where ``User.first`` is a column expression, so the same body gives
``users.first || ' ' || users.last`` for ``select()`` and ``where()``. When the Python body
cannot serve as SQL (it calls ``len()``, say), ``@full_name.expression`` gives the class-level
version separately. ``hybrid_method`` does the same for methods with arguments.

At class level the result is wrapped in an :class:`ExpressionProxy`: it compares, combines
and orders like the expression it wraps, and in a SELECT's column list the expression is
labelled with the attribute's name, so result rows are reachable as ``row.full_name``.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from typing import Any

from tether.sql.elements import ColumnElement, coerce

__all__ = ["ExpressionProxy", "hybrid_method", "hybrid_property"]


def _proxy_op(op: Callable[..., Any]) -> Callable[..., Any]:
    def method(self: ExpressionProxy, *other: Any) -> Any:
        return op(self._expression, *other)

    return method


def _proxy_rop(op: Callable[..., Any]) -> Callable[..., Any]:
    def method(self: ExpressionProxy, other: Any) -> Any:
        return op(other, self._expression)

    return method


def _function(f: Any) -> Callable[..., Any]:
    # ``@name.inplace.expression`` is often stacked on ``@classmethod``
    return f.__func__ if isinstance(f, (classmethod, staticmethod)) else f  # type: ignore[no-any-return]


class ExpressionProxy:
    """What ``Class.hybrid`` returns: the class-level expression of a hybrid, named.

    Operators and attribute access (``.desc()``, ``.in_()``, ``.like()``, ...) go to the
    expression itself; used as a selected column it is ``expression AS <name>``."""

    __slots__ = ("_expression", "_name", "_owner")

    def __init__(self, expression: Any, name: str, owner: type) -> None:
        self._expression = expression
        self._name = name
        self._owner = owner

    def __clause_element__(self) -> Any:
        element = coerce(self._expression)
        if isinstance(element, ColumnElement):
            return element.label(self._name)
        return element

    @property
    def expression(self) -> Any:
        """The unlabelled SQL expression."""
        return coerce(self._expression)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._expression, name)

    __eq__ = _proxy_op(operator.eq)  # type: ignore[assignment]
    __ne__ = _proxy_op(operator.ne)  # type: ignore[assignment]
    __lt__ = _proxy_op(operator.lt)
    __le__ = _proxy_op(operator.le)
    __gt__ = _proxy_op(operator.gt)
    __ge__ = _proxy_op(operator.ge)
    __add__ = _proxy_op(operator.add)
    __sub__ = _proxy_op(operator.sub)
    __mul__ = _proxy_op(operator.mul)
    __truediv__ = _proxy_op(operator.truediv)
    __floordiv__ = _proxy_op(operator.floordiv)
    __mod__ = _proxy_op(operator.mod)
    __and__ = _proxy_op(operator.and_)
    __or__ = _proxy_op(operator.or_)
    __invert__ = _proxy_op(operator.invert)
    __neg__ = _proxy_op(operator.neg)
    __radd__ = _proxy_rop(operator.add)
    __rsub__ = _proxy_rop(operator.sub)
    __rmul__ = _proxy_rop(operator.mul)
    __rtruediv__ = _proxy_rop(operator.truediv)

    def __hash__(self) -> int:
        return id(self)

    def __bool__(self) -> bool:
        raise TypeError(
            f"{self._owner.__name__}.{self._name} is a SQL expression at class level and has "
            "no truth value; compare it (==, >, ...) or combine it with and_()/or_() instead"
        )

    def __repr__(self) -> str:
        return f"{self._owner.__name__}.{self._name}"


class hybrid_property:  # noqa: N801 - the name programs import
    """A property whose getter also builds the class-level SQL expression (see module)."""

    def __init__(self, fget: Callable[[Any], Any], fset: Callable[[Any, Any], None] | None = None,
                 fdel: Callable[[Any], None] | None = None,
                 expr: Callable[[Any], Any] | None = None) -> None:
        self.fget = fget
        self.fset = fset
        self.fdel = fdel
        self.expr = expr
        self.__name__ = fget.__name__
        self.__doc__ = fget.__doc__

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            if owner is None:
                return self
            build = _function(self.expr or self.fget)
            return ExpressionProxy(build(owner), self.__name__, owner)
        return self.fget(obj)

    def __set__(self, obj: Any, value: Any) -> None:
        if self.fset is None:
            raise AttributeError(
                f"hybrid property {type(obj).__name__}.{self.__name__} has no setter; define "
                f"one with @{self.__name__}.setter"
            )
        self.fset(obj, value)

    def __delete__(self, obj: Any) -> None:
        if self.fdel is None:
            raise AttributeError(
                f"hybrid property {type(obj).__name__}.{self.__name__} has no deleter; define "
                f"one with @{self.__name__}.deleter"
            )
        self.fdel(obj)

    def _copy(self, **changes: Any) -> hybrid_property:
        parts: dict[str, Any] = {"fget": self.fget, "fset": self.fset, "fdel": self.fdel,
                                 "expr": self.expr}
        parts.update(changes)
        copy = type(self)(**parts)
        copy.__name__ = self.__name__
        return copy

    # Each decorator returns a new hybrid (as ``property`` does), so the usual
    # ``@name.setter`` / ``def name(...)`` pattern rebinds the class attribute.
    def getter(self, fget: Callable[[Any], Any]) -> hybrid_property:
        return self._copy(fget=fget)

    def setter(self, fset: Callable[[Any, Any], None]) -> hybrid_property:
        return self._copy(fset=fset)

    def deleter(self, fdel: Callable[[Any], None]) -> hybrid_property:
        return self._copy(fdel=fdel)

    def expression(self, expr: Callable[[Any], Any]) -> hybrid_property:
        """The class-level version, for a getter whose Python body is not valid SQL."""
        return self._copy(expr=expr)

    @property
    def inplace(self) -> _InPlace:
        """Decorators that change this hybrid instead of returning a new one, for functions
        given their own names (``@full_name.inplace.expression`` on ``_full_name_sql``)."""
        return _InPlace(self)


class _InPlace:
    __slots__ = ("_hybrid",)

    def __init__(self, hybrid: hybrid_property) -> None:
        self._hybrid = hybrid

    def getter(self, fget: Callable[[Any], Any]) -> hybrid_property:
        self._hybrid.fget = fget
        return self._hybrid

    def setter(self, fset: Callable[[Any, Any], None]) -> hybrid_property:
        self._hybrid.fset = fset
        return self._hybrid

    def deleter(self, fdel: Callable[[Any], None]) -> hybrid_property:
        self._hybrid.fdel = fdel
        return self._hybrid

    def expression(self, expr: Callable[[Any], Any]) -> hybrid_property:
        self._hybrid.expr = expr
        return self._hybrid


class hybrid_method:  # noqa: N801 - the name programs import
    """A method that runs on an object, and on the class builds a SQL expression from the
    same arguments (``User.older_than(30)`` in a ``where()``)."""

    def __init__(self, func: Callable[..., Any],
                 expr: Callable[..., Any] | None = None) -> None:
        self.func = func
        self.expr = expr
        self.__name__ = func.__name__
        self.__doc__ = func.__doc__

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return functools.partial(_function(self.expr or self.func), owner)
        return self.func.__get__(obj, owner)

    def expression(self, expr: Callable[..., Any]) -> hybrid_method:
        """The class-level version of the method."""
        return type(self)(self.func, expr)

    @property
    def inplace(self) -> _MethodInPlace:
        """``@name.inplace.expression``: set the class-level version on this hybrid."""
        return _MethodInPlace(self)


class _MethodInPlace:
    __slots__ = ("_hybrid",)

    def __init__(self, hybrid: hybrid_method) -> None:
        self._hybrid = hybrid

    def expression(self, expr: Callable[..., Any]) -> hybrid_method:
        self._hybrid.expr = expr
        return self._hybrid
