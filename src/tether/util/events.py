"""The registry behind ``tether.event``: which functions listen to which event of which
target, and the events each kind of target has.

Layers declare their events (``declare``): the engine layer the pool's, the ORM the
session's. A hot path asks ``events.active`` first (False until the first listener), so a
program that never listens pays one attribute read per hook.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import Any

from tether.exc import InvalidRequestError

__all__ = ["active", "contains", "declare", "fire", "listen", "listeners", "remove"]

#: True once any listener was added (hooks skip everything while False)
active = False

#: (kinds of target, event names, what the names are called in messages, and a test for
#: targets that are not instances or subclasses of the kinds, such as mapped classes)
_families: list[tuple[tuple[type, ...], frozenset[str], str, Callable[[Any], bool] | None]] = []
#: (target, identifier) -> listener functions, in call order
_listeners: dict[tuple[Any, str], list[Callable[..., Any]]] = {}
#: (target, identifier, function given) -> the function registered (once/named wrap it)
_registered: dict[tuple[Any, str, Any], Callable[..., Any]] = {}


def declare(kinds: tuple[type, ...], names: Iterable[str], what: str,
            match: Callable[[Any], bool] | None = None) -> None:
    """Targets that are (or are instances of) ``kinds``, or that ``match``, have the
    events ``names``."""
    _families.append((kinds, frozenset(names), what, match))


def _family(target: Any) -> tuple[frozenset[str], str] | None:
    for kinds, names, what, match in _families:
        if isinstance(target, kinds) or (isinstance(target, type) and issubclass(target, kinds)):
            return names, what
        if match is not None and match(target):
            return names, what
    return None


def _check(target: Any, identifier: str) -> None:
    family = _family(target)
    if family is None:
        known = "; ".join(f"{what}: {', '.join(sorted(names))}" for _, names, what, _m in _families)
        raise InvalidRequestError(
            f"tether has no events for {target!r}; it has these: {known}"
        )
    names, what = family
    if identifier not in names:
        raise InvalidRequestError(
            f"tether has no {identifier!r} event for {target!r}; {what} events are: "
            f"{', '.join(sorted(names))}"
        )


def listen(target: Any, identifier: str, fn: Callable[..., Any], *args: Any,
           once: bool = False, insert: bool = False, named: bool = False,
           retval: bool = False, propagate: bool = False) -> None:
    """Call ``fn`` on each ``identifier`` event of ``target`` (``insert``: before the
    others; ``once``: the first time only; ``named``: with keyword arguments)."""
    global active
    _check(target, identifier)
    call: Callable[..., Any] = fn
    if named:
        names = _ARGUMENTS.get(identifier, ())

        def call(*values: Any, _fn: Any = fn, _names: Any = names) -> Any:
            return _fn(**dict(zip(_names, values)))
    if once:
        inner = call
        done: list[bool] = []

        def call(*values: Any, _inner: Any = inner) -> Any:
            if done:
                return None
            done.append(True)
            return _inner(*values)
    fns = _listeners.setdefault((target, identifier), [])
    if insert:
        fns.insert(0, call)
    else:
        fns.append(call)
    _registered[(target, identifier, fn)] = call
    active = True


def remove(target: Any, identifier: str, fn: Callable[..., Any]) -> None:
    """Stop calling ``fn`` for ``identifier`` events of ``target``."""
    call = _registered.pop((target, identifier, fn), None)
    if call is None:
        raise InvalidRequestError(f"{fn!r} does not listen to {identifier!r} of {target!r}")
    _listeners[(target, identifier)].remove(call)


def contains(target: Any, identifier: str, fn: Callable[..., Any]) -> bool:
    """Whether ``fn`` listens to ``identifier`` events of ``target``."""
    return (target, identifier, fn) in _registered


def listeners(targets: Iterable[Any], identifier: str) -> list[Callable[..., Any]]:
    """The functions listening to ``identifier`` on any of ``targets``, in their order."""
    out: list[Callable[..., Any]] = []
    for target in targets:
        fns = _listeners.get((target, identifier))
        if fns:
            out.extend(fns)
    return out


def fire(targets: Iterable[Any], identifier: str, *values: Any) -> None:
    """Call every listener of ``identifier`` on ``targets`` with ``values``."""
    for fn in listeners(targets, identifier):
        fn(*values)


#: each event's arguments by name, for ``listen(..., named=True)``
_ARGUMENTS: dict[str, tuple[str, ...]] = {
    "connect": ("dbapi_connection", "connection_record"),
    "first_connect": ("dbapi_connection", "connection_record"),
    "checkout": ("dbapi_connection", "connection_record", "connection_proxy"),
    "checkin": ("dbapi_connection", "connection_record"),
    "before_flush": ("session", "flush_context", "instances"),
    "after_flush": ("session", "flush_context"),
    "after_flush_postexec": ("session", "flush_context"),
    "before_commit": ("session",),
    "after_commit": ("session",),
    "after_rollback": ("session",),
    "after_begin": ("session", "transaction", "connection"),
    **{name: ("mapper", "connection", "target") for name in (
        "before_insert", "after_insert", "before_update", "after_update", "before_delete",
        "after_delete")},
}


def class_targets(obj: Any) -> tuple[Any, ...]:
    """``obj`` and the classes it is an instance of (listeners on a class hear its
    instances and its subclasses' instances)."""
    return (obj, *inspect.getmro(type(obj)))
