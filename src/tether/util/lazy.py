"""Names imported only when a program first uses them.

A package ``__init__`` lists ``{name: module}`` and installs the pair of PEP 562 hooks this
module builds, so ``from tether import Database`` and ``tether.Database`` work exactly as an
eager import would, while ``import tether`` does not pay (in memory and start-up time) for
optional features a program never touches. Once looked up, a name is stored in the
package's globals, so later lookups never reach ``__getattr__`` again.

The same idea serves classes of optional standard library modules (``decimal``, ``uuid``):
:class:`ImportedClass` and :func:`adopt_loaded`.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import Any


def lazy_names(
    namespace: dict[str, Any], names: dict[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for a package whose ``namespace`` (its ``globals()``)
    offers each key of ``names`` from the module named by its value. A value naming the
    attribute's own module (``"tether.event"`` for ``"event"``) offers the module itself.
    """
    package = namespace["__name__"]

    def __getattr__(name: str) -> Any:
        module_name = names.get(name)
        if module_name is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module = importlib.import_module(module_name)
        value = module if module_name == f"{package}.{name}" else getattr(module, name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(names))

    return __getattr__, __dir__


class ImportedClass:
    """A class attribute holding a class from a module imported on first read, such as
    ``python_type = ImportedClass("decimal", "Decimal")``."""

    def __init__(self, module: str, name: str) -> None:
        self.module = module
        self.name = name

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        return getattr(importlib.import_module(self.module), self.name)


def adopt_loaded(table: dict[Any, Any], pending: dict[tuple[str, str], Any]) -> bool:
    """Move each ``(module, class name) -> value`` entry of ``pending`` whose module a
    program has imported into ``table`` as ``class -> value``; whether any moved. Lookup
    tables keyed by class use this for classes of modules tether does not import itself:
    no value (or annotation) can be of such a class before its module is imported."""
    moved = False
    for key in list(pending):
        module = sys.modules.get(key[0])
        if module is not None:
            value = pending.pop(key, None)
            if value is not None:
                table.setdefault(getattr(module, key[1]), value)
                moved = True
    return moved
