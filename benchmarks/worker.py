"""One measured run in a fresh process: setup, the timed workload, peak memory, verification.

    python -m benchmarks.worker --impl X --workload Y --db sqlite|postgresql --scale N

Prints exactly one JSON object on its last stdout line.  ``--profile FILE`` wraps only the
workload in cProfile, writes the stats to FILE and prints the top functions to stderr (the
time it reports is then inflated by the profiler).  An implementation that fails
(at setup, in the workload, or in verification) yields ``"error": "<one line>"`` and exit
status 0: a failure is a result, not a crash of the suite.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import pstats
import resource
import sys
import time
import traceback
from typing import Any

from benchmarks import impls, workloads
from benchmarks.dbs import Target


def _maxrss_mib() -> float:
    # Linux reports ru_maxrss in KiB.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def one_line(exc: BaseException) -> str:
    """``Type: message`` on one line, with the innermost frame of the benchmark code."""
    msg = " ".join(str(exc).split()) or "(no message)"
    text = f"{type(exc).__name__}: {msg}"
    frames = traceback.extract_tb(exc.__traceback__)
    if frames:
        f = frames[-1]
        text += f" [{f.filename.rsplit('/', 1)[-1]}:{f.lineno}]"
    return text[:300]


def run(
    impl: str, workload: str, db: str, scale: float, profile: str | None = None
) -> dict[str, Any]:
    params = workloads.Params.for_scale(scale)
    out: dict[str, Any] = {"impl": impl, "workload": workload, "db": db, "scale": scale}
    stage = "setup"
    obj = None
    target: Target | None = None
    try:
        target = Target.create(db)
        target.prepare(workload, params)
        cls = impls.load(impl, db)
        if impl == "tether" and "sqlalchemy" in sys.modules:
            raise RuntimeError("tether run imported sqlalchemy")
        obj = cls(target, params)
        method = getattr(obj, workload)
        gc.collect()
        out["rss_before_mib"] = round(_maxrss_mib(), 1)
        stage = "workload"
        profiler = cProfile.Profile() if profile else None
        t0 = time.perf_counter()
        if profiler is not None:
            result = profiler.runcall(method)
        else:
            result = method()
        elapsed = time.perf_counter() - t0
        out["peak_mib"] = round(_maxrss_mib(), 1)
        out["seconds"] = elapsed
        if profiler is not None and profile:
            profiler.dump_stats(profile)
            pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(30)
            out["profiled"] = True
        if impl == "tether" and "sqlalchemy" in sys.modules:
            raise RuntimeError("tether run imported sqlalchemy")
        stage = "close"
        obj.close()
        obj = None
        stage = "verify"
        workloads.verify(workload, params, result, target.fetch)
        out["verified"] = True
    except Exception as exc:  # noqa: BLE001 - any failure becomes the cell's text
        out["error"] = f"{stage}: {one_line(exc)}"
        out.pop("seconds", None)
        if obj is not None:
            try:
                obj.close()
            except Exception:  # noqa: BLE001 - the first error is the one worth reporting
                pass
    finally:
        if target is not None:
            target.cleanup()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--impl", required=True, choices=impls.IMPLS)
    ap.add_argument("--workload", required=True, choices=workloads.WORKLOADS)
    ap.add_argument("--db", required=True, choices=("sqlite", "postgresql"))
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--profile", metavar="FILE", help="cProfile the workload into FILE")
    args = ap.parse_args(argv)
    result = run(args.impl, args.workload, args.db, args.scale, args.profile)
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
