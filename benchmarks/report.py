"""Turns worker results into the markdown report: times, ratios, memory, tether's targets.

Input is the list of JSON objects the workers printed (one per run).  Per database, one
table of median seconds with each implementation's ratio to the raw driver and tether's
ratio to the fastest of SQLAlchemy, peewee and Pony; one table of peak memory; and the
issue-7 targets checked for tether.
"""

from __future__ import annotations

import math
import re
import statistics
from dataclasses import dataclass, field
from typing import Any

from benchmarks import impls, workloads

DB_TITLES = {
    "sqlite": "SQLite (file database, foreign keys on)",
    "postgresql": "PostgreSQL",
}

# Issue 7's targets for tether, as multiples of the raw driver.
TARGET_RATIO = {wl: 3.0 for wl in workloads.WORKLOADS} | {"join_filter": 1.2, "delete_cascade": 5.0}
TARGET_GEOMEAN = 2.5
TARGET_MEMORY = 1.5  # full_objects peak memory, times the raw driver's


@dataclass
class Cell:
    """All runs of one (database, workload, implementation)."""

    seconds: list[float] = field(default_factory=list)
    peaks: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.seconds) and not self.errors

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def peak(self) -> float:
        return statistics.median(self.peaks)


def collect(results: list[dict[str, Any]]) -> dict[tuple[str, str, str], Cell]:
    cells: dict[tuple[str, str, str], Cell] = {}
    for r in results:
        cell = cells.setdefault((r["db"], r["workload"], r["impl"]), Cell())
        if r.get("error"):
            cell.errors.append(r["error"])
        elif r.get("seconds") is not None:
            cell.seconds.append(float(r["seconds"]))
            if r.get("peak_mib") is not None:
                cell.peaks.append(float(r["peak_mib"]))
    return cells


_PATH_IN_PARENS = re.compile(r" \((?:/|[A-Za-z]:\\)[^)]*\)")


def short_error(text: str, limit: int = 110) -> str:
    """One table-safe line: no file paths in parentheses, no pipes, bounded length."""
    text = _PATH_IN_PARENS.sub("", text).replace("|", "/")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _err(cell: Cell) -> str:
    # The full message stays in latest.json; the table keeps one readable line.
    return "error: " + short_error(cell.errors[0])


def _geomean(values: list[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values))


def _fmt_s(seconds: float) -> str:
    return f"{seconds:.3f} s" if seconds < 10 else f"{seconds:.1f} s"


def db_section(
    db: str, cells: dict[tuple[str, str, str], Cell], wls: list[str], names: list[str]
) -> str:
    """Markdown for one database."""
    raw = impls.raw_for(db)
    cols = [i for i in names if impls.runs_on(i, db)]
    peers = [i for i in cols if i in impls.PEERS]
    lines = [f"## {DB_TITLES[db]}", ""]
    lines.append(
        "Median seconds of the workload alone (fresh process per run); in brackets, the ratio "
        f"to {impls.display_name(raw)} doing the same work by hand."
    )
    lines.append("")
    head = ["workload", *[impls.display_name(i) for i in cols]]
    if "tether" in cols and peers:
        head.append("tether ÷ fastest peer")
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|---|" + "--:|" * (len(head) - 1))
    ratios: dict[str, list[float]] = {i: [] for i in cols}
    for wl in wls:
        base = cells.get((db, wl, raw))
        row = [f"{wl}"]
        for impl in cols:
            cell = cells.get((db, wl, impl))
            if cell is None:
                row.append("—")
            elif not cell.ok:
                row.append(_err(cell))
            elif impl == raw or base is None or not base.ok:
                row.append(_fmt_s(cell.median))
                if impl == raw:
                    ratios[impl].append(1.0)
            else:
                ratio = cell.median / base.median
                ratios[impl].append(ratio)
                row.append(f"{_fmt_s(cell.median)} ({ratio:.1f}×)")
        if "tether" in cols and peers:
            row.append(_vs_peers(db, wl, cells, peers))
        lines.append("| " + " | ".join(row) + " |")
    geo = ["geometric mean of ratios"]
    for impl in cols:
        vals = ratios[impl]
        geo.append(f"{_geomean(vals):.2f}×" if vals and len(vals) == len(wls) else "—")
    if "tether" in cols and peers:
        geo.append("")
    lines.append("| " + " | ".join(geo) + " |")
    lines.append("")
    lines.append(
        "Peak memory (MiB, ru_maxrss of the worker process after the workload; imports included):"
    )
    lines.append("")
    mhead = ["workload", *[impls.display_name(i) for i in cols]]
    if "tether" in cols:
        mhead.append("tether ÷ raw")
    lines.append("| " + " | ".join(mhead) + " |")
    lines.append("|---|" + "--:|" * (len(mhead) - 1))
    for wl in wls:
        row = [wl]
        for impl in cols:
            cell = cells.get((db, wl, impl))
            row.append(f"{cell.peak:.0f}" if cell and cell.ok and cell.peaks else "—")
        if "tether" in cols:
            t, b = cells.get((db, wl, "tether")), cells.get((db, wl, raw))
            ok = t and b and t.ok and b.ok and t.peaks and b.peaks
            row.append(f"{t.peak / b.peak:.2f}×" if ok else "—")  # type: ignore[union-attr]
        lines.append("| " + " | ".join(row) + " |")
    lines.append("")
    if "tether" in cols:
        lines.extend(_targets(db, cells, wls, peers, raw))
    return "\n".join(lines)


def _vs_peers(db: str, wl: str, cells: dict[tuple[str, str, str], Cell], peers: list[str]) -> str:
    t = cells.get((db, wl, "tether"))
    done = [
        (cells[(db, wl, p)].median, p)
        for p in peers
        if (db, wl, p) in cells and cells[(db, wl, p)].ok
    ]
    if not t or not t.ok or not done:
        return "—"
    best, who = min(done)
    return f"{t.median / best:.2f}× ({impls.display_name(who)})"


def _targets(
    db: str, cells: dict[tuple[str, str, str], Cell], wls: list[str], peers: list[str], raw: str
) -> list[str]:
    """Issue 7's targets for tether on this database, each marked met or not."""
    out = ["Tether against the issue 7 targets:", ""]
    ratios = []
    for wl in wls:
        t, b = cells.get((db, wl, "tether")), cells.get((db, wl, raw))
        limit = TARGET_RATIO[wl]
        if not (t and b and t.ok and b.ok):
            out.append(f"- {wl}: not measured (≤ {limit:g}× raw)")
            continue
        ratio = t.median / b.median
        ratios.append(ratio)
        mark = "met" if ratio <= limit else "NOT met"
        done = [
            cells[(db, wl, p)].median
            for p in peers
            if (db, wl, p) in cells and cells[(db, wl, p)].ok
        ]
        beat = ""
        if done:
            beat = (
                "; faster than every peer"
                if t.median < min(done)
                else "; NOT faster than every peer"
            )
        out.append(f"- {wl}: {ratio:.2f}× raw, target ≤ {limit:g}× — {mark}{beat}")
    if ratios and len(ratios) == len(wls):
        g = _geomean(ratios)
        out.append(
            f"- geometric mean: {g:.2f}×, target ≤ {TARGET_GEOMEAN:g}× — {'met' if g <= TARGET_GEOMEAN else 'NOT met'}"
        )
    t, b = cells.get((db, "full_objects", "tether")), cells.get((db, "full_objects", raw))
    if t and b and t.ok and b.ok and t.peaks and b.peaks:
        m = t.peak / b.peak
        out.append(
            f"- full_objects peak memory: {m:.2f}× raw, target ≤ {TARGET_MEMORY:g}× — {'met' if m <= TARGET_MEMORY else 'NOT met'}"
        )
    out.append("")
    return out


def render(
    results: list[dict[str, Any]],
    dbs: list[str],
    wls: list[str],
    names: list[str],
    params: workloads.Params,
    header: list[str],
) -> str:
    cells = collect(results)
    parts = ["# tether benchmarks", "", *header, "", "Workloads at this scale:", ""]
    parts.extend(f"- **{wl}**: {params.describe(wl)}" for wl in wls)
    parts.append("")
    for db in dbs:
        parts.append(db_section(db, cells, wls, names))
    return "\n".join(parts).rstrip() + "\n"
