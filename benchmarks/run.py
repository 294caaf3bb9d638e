"""Runs the benchmark suite: every run in a fresh worker process, repeats round-robin.

    python -m benchmarks.run [--quick] [--only tether,sqlalchemy] [--workloads a,b]
                             [--db sqlite|postgresql|both] [--repeat N] [--scale X]
    python -m benchmarks.run --selfcheck

Prints the markdown report and writes it to ``benchmarks/results/latest.md`` (raw runs in
``latest.json``).  PostgreSQL needs ``TETHER_TEST_PG_URL`` (``make bench`` sets it).  A
failing implementation shows as ``error: ...`` in its cells; the run carries on.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sqlite3
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmarks import impls, report, workloads
from benchmarks.dbs import PG_ENV

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"

QUICK_SCALE = 0.05
SELFCHECK_SCALE = 0.01


def _split(
    value: str | None,
    allowed: tuple[str, ...],
    what: str,
    aliases: dict[str, tuple[str, ...]] | None = None,
) -> list[str]:
    if not value:
        return list(allowed)
    chosen: list[str] = []
    for name in (v.strip() for v in value.split(",") if v.strip()):
        expanded = (aliases or {}).get(name, (name,))
        for n in expanded:
            if n not in allowed:
                raise SystemExit(f"unknown {what} {n!r}; choose from {', '.join(allowed)}")
            if n not in chosen:
                chosen.append(n)
    # Keep the canonical order so tables always read the same way.
    return [n for n in allowed if n in chosen]


def run_worker(impl: str, workload: str, db: str, scale: float, timeout: float) -> dict[str, Any]:
    """One fresh process; any crash, hang or garbage output becomes an error result."""
    base = {"impl": impl, "workload": workload, "db": db, "scale": scale}
    cmd = [
        sys.executable,
        "-m",
        "benchmarks.worker",
        "--impl",
        impl,
        "--workload",
        workload,
        "--db",
        db,
        "--scale",
        repr(scale),
    ]
    try:
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return base | {"error": f"timeout after {timeout:.0f} s"}
    lines = proc.stdout.strip().splitlines()
    if lines:
        try:
            result = json.loads(lines[-1])
            if isinstance(result, dict):
                return result
        except json.JSONDecodeError:
            pass
    tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
    return base | {"error": f"worker exited {proc.returncode}: {tail[:200]}"}


def machine_header(args: argparse.Namespace, dbs: list[str], params: workloads.Params) -> list[str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass

    def ver(dist: str) -> str:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return "not installed"

    pg = "not measured"
    if "postgresql" in dbs:
        try:
            import psycopg

            with psycopg.connect(os.environ[PG_ENV]) as conn:
                row = conn.execute("SHOW server_version").fetchone()
                pg = row[0] if row else "?"
        except Exception as exc:  # noqa: BLE001 - the header is informative only
            pg = f"unknown ({type(exc).__name__})"
    try:
        commit = (
            subprocess.run(
                ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
            ).stdout.strip()
            or "no commit"
        )
    except OSError:
        commit = "unknown"
    return [
        f"Run {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')} with "
        f"`{' '.join(['python -m benchmarks.run', *args.argv])}`",
        "",
        f"- machine: {cpu}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}",
        f"- Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, PostgreSQL {pg}",
        f"- tether {ver('tether')} (commit {commit}), SQLAlchemy {ver('SQLAlchemy')}, "
        f"peewee {ver('peewee')}, Pony {ver('pony')}, psycopg {ver('psycopg')}",
        f"- load average at the end of the run: {', '.join(f'{x:.2f}' for x in os.getloadavg())} "
        "(other work on the machine makes every number noisier)",
        f"- scale {params.scale:g}, median of {args.repeat} fresh process(es) per cell, "
        "repeats interleaved round-robin; setup excluded, every run verified in the database",
    ]


def parse_args(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description=__doc__.splitlines()[0]
    )
    ap.add_argument("--quick", action="store_true", help=f"small scale ({QUICK_SCALE}), one repeat")
    ap.add_argument("--scale", type=float, help="size factor; 1.0 = issue 7's sizes")
    ap.add_argument(
        "--only", help="implementations: " + ",".join(impls.IMPLS) + " (raw = both drivers)"
    )
    ap.add_argument("--workloads", help="workloads: " + ",".join(workloads.WORKLOADS))
    ap.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    ap.add_argument(
        "--repeat", type=int, help="fresh-process repeats per cell (default 3; 1 with --quick)"
    )
    ap.add_argument("--timeout", type=float, help="seconds per worker before it counts as an error")
    ap.add_argument("--output", type=Path, default=RESULTS / "latest.md")
    ap.add_argument(
        "--selfcheck", action="store_true", help="verify every implementation at a tiny scale"
    )
    args = ap.parse_args(argv)
    args.argv = argv
    return args


def choose_dbs(choice: str) -> list[str]:
    dbs = ["sqlite", "postgresql"] if choice == "both" else [choice]
    if "postgresql" in dbs and not os.environ.get(PG_ENV):
        if choice == "postgresql":
            raise SystemExit(
                f"{PG_ENV} is not set (make bench sets it via scripts/with_postgres.sh)"
            )
        print(f"note: {PG_ENV} is not set; PostgreSQL skipped", file=sys.stderr)
        dbs.remove("postgresql")
    return dbs


def execute(
    dbs: list[str], wls: list[str], names: list[str], scale: float, repeat: int, timeout: float
) -> list[dict[str, Any]]:
    """All runs, round-robin: each repeat visits every cell once before the next repeat."""
    cells = [
        (db, wl, impl) for db in dbs for wl in wls for impl in names if impls.runs_on(impl, db)
    ]
    total = len(cells) * repeat
    results: list[dict[str, Any]] = []
    failed: set[tuple[str, str, str]] = set()
    done = 0
    for rep in range(repeat):
        for db, wl, impl in cells:
            done += 1
            if (db, wl, impl) in failed:
                continue  # one error is the cell's result; do not pay for it again
            t0 = time.perf_counter()
            r = run_worker(impl, wl, db, scale, timeout)
            results.append(r)
            status = (
                r.get("error") or f"{r['seconds']:.3f} s, {r.get('peak_mib', 0):.0f} MiB, verified"
            )
            if r.get("error"):
                failed.add((db, wl, impl))
            print(
                f"[{done}/{total}] rep {rep + 1} {db:10} {wl:14} {impl:11} {status}"
                f"  ({time.perf_counter() - t0:.1f} s wall)",
                file=sys.stderr,
                flush=True,
            )
    return results


def selfcheck(args: argparse.Namespace) -> int:
    dbs = choose_dbs(args.db)
    names = _split(args.only, impls.IMPLS, "implementation", impls.ALIASES)
    wls = _split(args.workloads, workloads.WORKLOADS, "workload")
    results = execute(dbs, wls, names, SELFCHECK_SCALE, 1, args.timeout or 120)
    bad = [r for r in results if r.get("error")]
    print(
        f"selfcheck at scale {SELFCHECK_SCALE}: {len(results) - len(bad)} of {len(results)} runs verified"
    )
    for db in dbs:
        for impl in names:
            if not impls.runs_on(impl, db):
                continue
            mine = [r for r in results if r["db"] == db and r["impl"] == impl]
            errs = [r for r in mine if r.get("error")]
            state = "ok" if not errs else f"{len(errs)} of {len(mine)} failed"
            print(f"  {db:10} {impls.display_name(impl):12} {state}")
            for r in errs:
                print(f"      {r['workload']}: {r['error']}")
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    if args.selfcheck:
        return selfcheck(args)
    scale = args.scale if args.scale is not None else (QUICK_SCALE if args.quick else 1.0)
    args.repeat = args.repeat or (1 if args.quick else 3)
    timeout = args.timeout or (120 if args.quick else 900)
    dbs = choose_dbs(args.db)
    names = _split(args.only, impls.IMPLS, "implementation", impls.ALIASES)
    wls = _split(args.workloads, workloads.WORKLOADS, "workload")
    params = workloads.Params.for_scale(scale)
    started = time.perf_counter()
    results = execute(dbs, wls, names, scale, args.repeat, timeout)
    header = machine_header(args, dbs, params)
    text = report.render(results, dbs, wls, names, params, header)
    print(text)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    args.output.with_suffix(".json").write_text(json.dumps(results, indent=1) + "\n")
    print(
        f"written to {args.output} ({time.perf_counter() - started:.0f} s total)",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
