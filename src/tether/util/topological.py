"""Topological ordering with cycle reporting.

Used for table creation order (DDL), flush order (unit of work) and row order inside a
table that refers to itself. Orders are stable: among items free at the same time, the
one that came first in the input comes first in the output.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from typing import TypeVar

T = TypeVar("T", bound=Hashable)


class CycleError(Exception):
    """Raised by :func:`sort` when some items depend on each other in a cycle."""

    def __init__(self, cycles: list[list[object]], remaining: list[object]) -> None:
        super().__init__(f"dependency cycle among {remaining!r}")
        self.cycles = cycles
        self.remaining = remaining


def sort(items: Sequence[T], edges: Iterable[tuple[T, T]]) -> list[T]:
    """Return ``items`` ordered so that for every edge ``(a, b)``, ``a`` comes before ``b``.

    Edges naming items not in ``items`` and self-edges are ignored. Raises
    :class:`CycleError` listing the cycles when no order exists.
    """
    index = {item: i for i, item in enumerate(items)}
    children: dict[T, list[T]] = {item: [] for item in items}
    indegree = dict.fromkeys(items, 0)
    for a, b in edges:
        if a == b or a not in index or b not in index:
            continue
        children[a].append(b)
        indegree[b] += 1
    import heapq

    ready = [index[i] for i in items if indegree[i] == 0]
    heapq.heapify(ready)
    out: list[T] = []
    while ready:
        item = items[heapq.heappop(ready)]
        out.append(item)
        for child in children[item]:
            indegree[child] -= 1
            if indegree[child] == 0:
                heapq.heappush(ready, index[child])
    if len(out) != len(items):
        remaining = [i for i in items if indegree[i] > 0]
        raise CycleError(find_cycles(remaining, children), list(remaining))
    return out


def find_cycles(nodes: Iterable[T], children: dict[T, list[T]]) -> list[list[object]]:
    """Return simple cycles (each as a list of nodes) among ``nodes``, one per strongly
    connected component, found by depth-first search."""
    remaining = set(nodes)
    cycles: list[list[object]] = []
    seen_in_cycle: set[T] = set()
    for start in nodes:
        if start in seen_in_cycle:
            continue
        path: list[T] = []
        on_path: dict[T, int] = {}
        found = _dfs_cycle(start, children, remaining, path, on_path, set())
        if found:
            cycles.append(list(found))
            seen_in_cycle.update(found)
    return cycles


def _dfs_cycle(
    node: T,
    children: dict[T, list[T]],
    allowed: set[T],
    path: list[T],
    on_path: dict[T, int],
    done: set[T],
) -> list[T] | None:
    stack: list[tuple[T, int]] = [(node, 0)]
    on_path[node] = 0
    path.append(node)
    while stack:
        current, i = stack[-1]
        kids = [c for c in children.get(current, ()) if c in allowed]
        if i < len(kids):
            stack[-1] = (current, i + 1)
            nxt = kids[i]
            if nxt in on_path:
                return path[on_path[nxt] :]
            if nxt in done:
                continue
            on_path[nxt] = len(path)
            path.append(nxt)
            stack.append((nxt, 0))
        else:
            stack.pop()
            path.pop()
            del on_path[current]
            done.add(current)
    return None
