"""``inspect()``: the one door to information about a mapped class, instance or engine.

Each kind of object registers how it is inspected, so this module knows none of them.
"""

from __future__ import annotations

from typing import Any

from tether import exc

_inspectors: list[tuple[type, Any]] = []


def register(kind: type, inspector: Any) -> None:
    """Make ``inspect(obj)`` call ``inspector(obj)`` for instances (or subclasses) of kind."""
    _inspectors.insert(0, (kind, inspector))


def inspect(subject: Any, raiseerr: bool = True) -> Any:
    """Return the inspection object for ``subject``: a Mapper for a mapped class, an
    InstanceState for a mapped object, an Inspector for an Engine or Connection."""
    hook = getattr(subject, "_tether_inspect", None)
    if hook is not None:
        result = hook()
        if result is not None:
            return result
    for kind, inspector in _inspectors:
        if isinstance(subject, kind) or (isinstance(subject, type) and issubclass(subject, kind)):
            result = inspector(subject)
            if result is not None:
                return result
    if raiseerr:
        raise exc.NoInspectionAvailable(
            f"no inspection is available for {subject!r}: inspect() takes a mapped class or "
            f"instance, an Engine or a Connection"
        )
    return None
