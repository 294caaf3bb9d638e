"""Topological ordering with cycle reporting.

Used for table creation order (DDL), flush order (unit of work) and row order inside a
table that refers to itself. Orders are stable: among items free at the same time, the
one that came first in the input comes first in the output.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from typing import Any, TypeVar

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
    # The items free to come next, as input positions in descending order, so the first
    # in input order is popped from the end. A list kept sorted rather than heapq: heapq
    # (a module and a shared library) would cost every program's first flush a load
    # that is most of the sort's time, while the lists are short (tables, mappers), the
    # items an item frees are added at once and one sort of an almost sorted list is a
    # linear merge.
    ready = [index[i] for i in items if indegree[i] == 0]
    ready.reverse()
    out: list[T] = []
    while ready:
        item = items[ready.pop()]
        out.append(item)
        freed = False
        for child in children[item]:
            indegree[child] -= 1
            if indegree[child] == 0:
                ready.append(index[child])
                freed = True
        if freed:
            ready.sort(reverse=True)
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


def components(mappers: list[Any], edges: list[tuple[Any, Any]]) -> tuple[list[list[Any]], set[Any]]:
    """Tarjan's strongly connected components of ``mappers`` (any hashable nodes) under
    ``edges``, in topological order, each in input order; and the nodes that are in a cycle
    (an edge to themselves, or a component of several)."""
    children: dict[Any, list[Any]] = {m: [] for m in mappers}
    selfref: set[Any] = set()
    for a, b in edges:
        if a is b:
            selfref.add(a)
        elif a in children and b in children and b not in children[a]:
            children[a].append(b)
    index: dict[Any, int] = {}
    low: dict[Any, int] = {}
    on_stack: set[Any] = set()
    stack: list[Any] = []
    comps: list[list[Any]] = []
    counter = [0]

    def strong(v: Any) -> None:
        work = [(v, 0)]
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        while work:
            node, i = work[-1]
            kids = children[node]
            if i < len(kids):
                work[-1] = (node, i + 1)
                w = kids[i]
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, 0))
                elif w in on_stack:
                    low[node] = min(low[node], index[w])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        comp.append(w)
                        if w is node:
                            break
                    comps.append(comp)

    for m in mappers:
        if m not in index:
            strong(m)
    # Tarjan yields components in reverse topological order; keep input order inside.
    comps.reverse()
    order = {m: i for i, m in enumerate(mappers)}
    comps = [sorted(c, key=order.__getitem__) for c in comps]
    # stable topological order of the condensed graph
    comp_of = {m: i for i, c in enumerate(comps) for m in c}
    cedges = {(comp_of[a], comp_of[b]) for a, b in edges if a in comp_of and b in comp_of
              and comp_of[a] != comp_of[b]}
    ids = sorted(range(len(comps)), key=lambda i: min(order[m] for m in comps[i]))
    ordered = sort(ids, list(cedges))
    result = [comps[i] for i in ordered]
    for c in result:
        if len(c) > 1:
            selfref.update(c)
    return result, selfref
