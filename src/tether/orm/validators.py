"""``@validates("name", ...)``: methods that check or transform values as they are set."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["validates"]


def validates(
    *names: str, include_removes: bool = False, include_backrefs: bool = True
) -> Callable[[Any], Any]:
    """Mark a method as the validator of the named attributes; it is called as
    ``method(key, value)`` on every set (or collection append) and returns the value to
    store."""

    def deco(fn: Any) -> Any:
        fn.__tether_validates__ = (names, include_removes, include_backrefs)
        return fn

    return deco


def install(mapper: Any) -> None:
    """Attach the class's validators to its attributes."""
    for klass in reversed(mapper.class_.__mro__):
        for value in vars(klass).values():
            spec = getattr(value, "__tether_validates__", None)
            if spec is None:
                continue
            names, include_removes, _ = spec
            for name in names:
                attr = mapper.class_._tether_attrs.get(name)
                if attr is not None:
                    attr.validator = value
                    attr.validator_removes = include_removes
