"""Functions compiled from Python source that tether generates itself (per-mapper row
loaders, INSERT parameter builders): one place that compiles them and makes their source
visible to tracebacks.

Only tether's own names and literals go into such source (attribute keys as ``repr``
string literals, positions as integers); every object the code uses comes in through the
namespace.
"""

from __future__ import annotations

import itertools
import linecache
from typing import Any

__all__ = ["define"]

_SERIAL = itertools.count(1)


def define(source: str, name: str, label: str, namespace: dict[str, Any]) -> Any:
    """Compile ``source`` (which defines the function ``name``) with ``namespace`` as its
    globals and return that function. ``label`` names it in tracebacks, which show the
    generated lines as for a file."""
    filename = f"<tether {label} #{next(_SERIAL)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), namespace)
    return namespace[name]
