"""What a mypyc-compiled hot path buys: build a compiled copy of tether, test it, benchmark it.

    python -m benchmarks.mypyc_bench [--modules a,b] [--workdir DIR] [--no-build]
                                     [--tests] [--bench] [--db sqlite|postgresql|both]
                                     [--workloads a,b] [--scale X] [--repeat N]

The checkout is never touched and nothing compiled is committed: ``src/tether`` is copied
to ``DIR/src`` (default: a fresh temporary directory), the chosen modules are compiled there
in place with mypyc (``.so`` files beside the ``.py`` files; Python imports the extension
first), and every run selects pure or compiled tether with ``PYTHONPATH`` alone.

Rewritten in the copy, never in the checkout (see ``prepare``), so that behaviour does not
depend on mypyc's stricter native classes:

- classes that must stay ordinary Python objects are *hoisted*: moved verbatim into an
  uncompiled sidecar module that shares the compiled module's globals (``HOIST``, plus any
  found automatically: builtin subclasses, unsupported class-level values, weak references
  to or copies of ``self``); the rest of the module is compiled;
- classes that uncompiled code subclasses get ``allow_interpreted_subclasses=True``;
- ``FIXUPS``: a few behaviour-neutral spellings that work around mypyc limitations.

A module mypyc rejects is dropped and the build retried; the report lists what blocked it.
``--tests`` runs tests/unit and tests/integration against the compiled copy (PostgreSQL too
when ``TETHER_TEST_PG_URL`` is set).  ``--bench`` runs raw, pure tether and compiled tether
interleaved (each repeat visits every cell once, in rotating order), one fresh worker
process per run, and prints per-workload ratios to raw and the compiled speedup.
"""

from __future__ import annotations

import argparse
import ast
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import workloads
from benchmarks.dbs import PG_ENV
from benchmarks.run import choose_dbs, run_worker

ROOT = Path(__file__).resolve().parent.parent

# Chosen by cProfile tottime over the nine workloads (tether/ share of the workload time):
# loading, session, unitofwork, state, engine.base, compiler, attributes, persistence,
# strategies carry almost all of it; the rest are smaller but on every flush or load.
DEFAULT_MODULES = (
    "tether.orm.loading",
    "tether.orm.session",
    "tether.orm.unitofwork",
    "tether.orm.state",
    "tether.orm.attributes",
    "tether.orm.persistence",
    "tether.orm.strategies",
    "tether.orm.collections",
    "tether.orm.identity",
    "tether.orm.sync",
    "tether.engine.base",
    "tether.engine.result",
    "tether.engine.pool",
    "tether.sql.compiler",
    "tether.sql.compiler_dml",
)

# (module, pattern, replacement): spellings mypyc cannot compile, rewritten to equivalent
# code in the copy.  A pattern that no longer matches is simply skipped (and reported).
FIXUPS: tuple[tuple[str, str, str], ...] = (
    # mypyc crashes on ``reversed(<tuple-unpacked list>)`` (internal error in for_helpers).
    ("tether.orm.unitofwork", r"for comp in reversed\(comps\):", "for comp in comps[::-1]:"),
    # mypyc checks local types at run time: ``cols`` is a list above this loop, a tuple in it.
    (
        "tether.orm.unitofwork",
        r"for \(table, cols\), rows in deletes\.items\(\):(\n.*\n.*)enumerate\(cols\)",
        r"for (table, del_cols), rows in deletes.items():\1enumerate(del_cols)",
    ),
    # Class definitions nested in a function are not supported; build the subclass with type().
    (
        "tether.sql.compiler",
        r"class _Named\(dialect\.__class__\):[^\n]*\n\s+paramstyle = \"named\"\n",
        '_Named = type("_Named", (dialect.__class__,), {"paramstyle": "named"})\n',
    ),
    (
        "tether.sql.compiler",
        r"named = _Named\.__new__\(_Named\)\n",
        "named = _Named.__new__(_Named)  # type: ignore\n",
    ),
)

# Classes that must stay ordinary Python classes, with why.  mypyc's non-native classes are
# no way out: their compiled methods reject instances of interpreted subclasses.  So these
# are *hoisted*: moved verbatim into an uncompiled sidecar module (``_<module>_py.py``) that
# sees the compiled module's globals; everything else in the module is still compiled.
# Found automatically as well: builtin subclasses (tuple rows, instrumented list/set, which
# tether subclasses per result shape) and classes with unsupported class-level values.
HOIST: dict[str, set[str]] = {
    # Users subclass Session (sessionmaker(class_=...)); and mypyc cannot compile the
    # ``@property @contextmanager no_autoflush`` stack on a native class.
    "tether.orm.session": {"Session"},
    # ORMResult overrides the base's ``_items`` attribute with a property.
    "tether.orm.loading": {"_ResultBase", "ScalarResult", "ORMResult"},
    # compiler_ddl clones a compiler through its ``__dict__``.
    "tether.sql.compiler": {"SQLCompiler"},
}

# Native classes of compiled modules that interpreted code subclasses are compiled with
# ``allow_interpreted_subclasses=True``; they are found by name (see ``subclassed_outside``).

_ERROR = re.compile(r"^(tether/[\w/]+\.py):\d+: (?:error|note: this is an internal mypyc error)")
_CRASH = re.compile(r"^(tether/[\w/]+\.py):\d+: (\w+Error)")
_MARK = re.compile(
    r"^(tether/[\w/]+\.py):(\d+): (?:error: Inheriting from most builtin"
    r"|warning: Unsupported default attribute value)"
)


def _path(module: str) -> str:
    return module.replace(".", "/") + ".py"


def _module(path: str) -> str:
    return path[:-3].replace("/", ".")


def prepare(
    src: Path, modules: list[str], hoist: dict[str, set[str]], subclassable: dict[str, set[str]]
) -> list[str]:
    """Fresh copy of src/tether under ``src``, rewritten for mypyc; returns notes."""
    if src.exists():
        shutil.rmtree(src)
    shutil.copytree(
        ROOT / "src" / "tether", src / "tether", ignore=shutil.ignore_patterns("__pycache__")
    )
    notes = []
    for module, pattern, repl in FIXUPS:
        if module not in modules:
            continue
        path = src / _path(module)
        text, n = re.subn(pattern, lambda m, r=repl: m.expand(r), path.read_text())
        if n:
            path.write_text(text)
        else:
            notes.append(f"fixup for {module} no longer matches: {pattern!r}")
    for module in modules:
        _rewrite(src, module, hoist.get(module, set()), subclassable.get(module, set()))
    return notes


def _rewrite(src: Path, module: str, hoisted: set[str], subclassable: set[str]) -> None:
    path = src / _path(module)
    lines = path.read_text().split("\n")
    tree = ast.parse("\n".join(lines))
    imports: list[str] = []
    moved: list[str] = []
    replace: dict[int, tuple[int, list[str]]] = {}  # first line -> (last line, new lines)
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            imports.extend(lines[node.lineno - 1 : node.end_lineno])
        elif isinstance(node, ast.ClassDef) and node.name in hoisted:
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            moved += [*lines[first - 1 : node.end_lineno], "", ""]
            side = f"{module.rsplit('.', 1)[0]}._{module.rsplit('.', 1)[1]}_py"
            repl = f"from {side} import {node.name}  # noqa: E402 (hoisted)"
            replace[first] = (node.end_lineno or first, [repl])
        elif isinstance(node, ast.ClassDef) and node.name in subclassable:
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            deco = "@_mypyc_attr(allow_interpreted_subclasses=True)"
            replace[first] = (first, [deco, lines[first - 1]])
    if not replace:
        return
    out: list[str] = []
    i = 0
    while i < len(lines):
        if i + 1 in replace:
            last, new = replace[i + 1]
            out += new
            i = last
        else:
            out.append(lines[i])
            i += 1
    head = "from __future__ import annotations"
    at = out.index(head) + 1
    out.insert(at, "from mypy_extensions import mypyc_attr as _mypyc_attr")
    if moved:
        pkg, name = module.rsplit(".", 1)
        sidecar = src / _path(f"{pkg}._{name}_py")
        body = [
            "# mypy: ignore-errors",
            f'"""Classes of {module} kept interpreted (generated by benchmarks.mypyc_bench)."""',
            *imports,
            "import sys as _sys",
            "",
            "# What the module defined above the hoisted classes (their bases, decorators, ...).",
            f"globals().update(_sys.modules[{module!r}].__dict__ | globals())",
            "",
            *moved,
        ]
        sidecar.write_text("\n".join(body) + "\n")
        # The moved classes look their globals up in the sidecar: give it the module's.
        out += [
            f"import {pkg}._{name}_py as _hoisted  # noqa: E402",
            "",
            "_hoisted.__dict__.update(",
            "    {k: v for k, v in globals().items() if k not in _hoisted.__dict__}",
            ")",
        ]
    path.write_text("\n".join(out))


def subclassed_outside(src: Path, todo: list[str]) -> dict[str, set[str]]:
    """Classes of compiled modules that uncompiled code subclasses (matched by name, which
    errs on the safe side): the other tether modules, sidecars and the tests."""
    defined: dict[str, set[str]] = {}
    for module in todo:
        for name in re.findall(r"^class (\w+)", (src / _path(module)).read_text(), re.M):
            defined.setdefault(name, set()).add(module)
    compiled = {src / _path(m) for m in todo}
    found: dict[str, set[str]] = {}
    files = [*(src / "tether").rglob("*.py"), *(ROOT / "tests").rglob("*.py")]
    for path in files:
        if path in compiled:
            continue
        for bases in re.findall(r"^\s*class \w+\(([^)]*)\)", path.read_text(), re.M):
            for base in bases.split(","):
                name = base.strip().rsplit(".", 1)[-1]
                for module in defined.get(name, ()):
                    found.setdefault(module, set()).add(name)
    return found


def python_objects_needed(path: Path) -> set[str]:
    """Classes whose instances are weakly referenced (``weakref.finalize(self, ...)``),
    shallow-copied (``copy.copy(self)``) or given attributes by name (``setattr(self, ...)``):
    this mypyc gives native classes no ``__weakref__`` slot and no ``__dict__``, and copying
    one needs a ``__reduce__`` they lack."""
    return {
        node.name
        for node in ast.parse(path.read_text()).body
        if isinstance(node, ast.ClassDef)
        and re.search(
            r"(weakref\.\w+|copy\.copy|setattr)\(self\b",
            ast.get_source_segment(path.read_text(), node) or "",
        )
    }


def _enclosing_class(path: Path, lineno: int) -> str | None:
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.ClassDef) and node.lineno <= lineno <= (node.end_lineno or 0):
            return node.name
    return None


def _mypyc(src: Path, paths: list[str]) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "mypyc", "--ignore-missing-imports", *paths]
    return subprocess.run(cmd, cwd=src, capture_output=True, text=True)


def build(workdir: Path, modules: list[str]) -> tuple[list[str], dict[str, str], list[str]]:
    """Compile as many of ``modules`` as mypyc accepts: (compiled, blocked -> reason, notes)."""
    src = workdir / "src"
    blocked: dict[str, str] = {}
    todo = list(modules)
    notes: list[str] = []
    hoist = {m: set(c) for m, c in HOIST.items()}
    bases: dict[str, set[str]] = {}  # bases of subclassable classes must be subclassable too
    while todo:
        prepare(src, todo, hoist, {})
        for module in todo:
            hoist.setdefault(module, set()).update(python_objects_needed(src / _path(module)))
        subclassable = subclassed_outside(src, todo)
        for module, names in bases.items():
            subclassable.setdefault(module, set()).update(names)
        notes = prepare(src, todo, hoist, subclassable)
        t0 = time.perf_counter()
        print(f"mypyc: compiling {len(todo)} modules ...", file=sys.stderr, flush=True)
        proc = _mypyc(src, [_path(m) for m in todo])
        out = proc.stdout + proc.stderr
        with open(workdir / "build.log", "a") as log:
            log.write(f"=== mypyc {' '.join(todo)}\n{out}\n")
        lines = out.splitlines()
        # Classes that have to stay interpreted: hoist them and start again.  The copy the
        # line numbers refer to is the one just compiled.
        retry = False
        for line in lines:
            m = _MARK.match(line)
            name = m and _enclosing_class(src / m.group(1), int(m.group(2)))
            if m and name and name not in hoist.setdefault(_module(m.group(1)), set()):
                print(f"mypyc: hoisting {_module(m.group(1))}.{name}", file=sys.stderr)
                hoist[_module(m.group(1))].add(name)
                retry = True
        for line in lines:
            m = re.search(
                r'Base class "([\w.]+)\.(\w+)" does not allow interpreted subclasses', line
            )
            if m and m.group(2) not in bases.setdefault(m.group(1), set()):
                bases[m.group(1)].add(m.group(2))
                retry = True
        if retry:
            continue
        if proc.returncode == 0:
            print(f"mypyc: built in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
            summary = [f"compiled {m}" for m in todo]
            summary += [f"hoisted {m}.{c}" for m, cs in hoist.items() if m in todo for c in cs]
            summary += [f"subclassable {m}.{c}" for m, cs in subclassable.items() for c in cs]
            summary += [f"blocked {m}: {r}" for m, r in blocked.items()]
            (workdir / "summary.txt").write_text("\n".join(summary) + "\n")
            return todo, blocked, notes
        culprits: dict[str, str] = {}
        for line in lines:
            m = _ERROR.match(line) or _CRASH.match(line)
            if m and _module(m.group(1)) in todo:
                culprits.setdefault(_module(m.group(1)), line.split(": ", 1)[1].strip())
        if not culprits:
            # A crash that names no file: find the modules that fail on their own.
            for module in todo:
                alone = _mypyc(src, [_path(module)])
                if alone.returncode:
                    tail = (alone.stdout + alone.stderr).strip().splitlines()
                    culprits[module] = tail[-1] if tail else "mypyc failed"
        if not culprits:
            raise SystemExit("mypyc failed and no single module is to blame:\n" + out[-3000:])
        for module, reason in culprits.items():
            print(f"mypyc: dropping {module}: {reason}", file=sys.stderr)
            blocked[module] = reason
            todo.remove(module)
    return [], blocked, notes


def check_import(src: Path, compiled: list[str]) -> None:
    """Prove the compiled extension, not the .py beside it, is what gets imported."""
    code = (
        "import importlib, sys\n"
        "bad = [m for m in sys.argv[1:] if not importlib.import_module(m).__file__.endswith('.so')]\n"
        "sys.exit(f'not compiled: {bad}' if bad else 0)\n"
    )
    env = os.environ | {"PYTHONPATH": str(src)}
    subprocess.run([sys.executable, "-c", code, *compiled], env=env, check=True)


def run_tests(src: Path) -> int:
    env = os.environ | {"PYTHONPATH": str(src)}
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "-q",
        "tests/unit",
        "tests/integration",
    ]
    print("tests:", " ".join(cmd), f"(PYTHONPATH={src})", file=sys.stderr, flush=True)
    return subprocess.run(cmd, cwd=ROOT, env=env).returncode


def bench(src: Path, dbs: list[str], wls: list[str], scale: float, repeat: int) -> str:
    variants = {"pure": str(ROOT / "src"), "mypyc": str(src)}
    runs: dict[tuple[str, str, str], list[float]] = {}
    errors: dict[tuple[str, str, str], str] = {}
    cells = [(db, wl) for db in dbs for wl in wls]
    for rep in range(repeat):
        for i, (db, wl) in enumerate(cells):
            raw = "raw_sqlite" if db == "sqlite" else "raw_psycopg"
            order = [
                ("raw", raw, variants["pure"]),
                *(("tether", "tether", p) for p in variants.values()),
            ]
            names = ["raw", "pure", "mypyc"]
            k = (rep + i) % 3  # rotate which variant goes first
            order, names = order[k:] + order[:k], names[k:] + names[:k]
            for name, (_, impl, path) in zip(names, order):
                os.environ["PYTHONPATH"] = path
                r = run_worker(impl, wl, db, scale, 900)
                key = (db, wl, name)
                if r.get("error"):
                    errors[key] = r["error"]
                else:
                    runs.setdefault(key, []).append(r["seconds"])
                status = r.get("error") or f"{r['seconds']:.3f} s"
                print(
                    f"rep {rep + 1} {db:10} {wl:14} {name:6} {status}", file=sys.stderr, flush=True
                )
    lines = [
        f"scale {scale:g}, median of {repeat} fresh processes per cell; raw, pure and compiled "
        f"interleaved in rotating order; load average at the end "
        f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}",
        "",
    ]
    for db in dbs:
        lines += [
            f"**{db}**",
            "",
            "| workload | raw s | pure s (x raw) | mypyc s (x raw) | speedup | best-of speedup |",
            "|---|---|---|---|---|---|",
        ]
        pure_r, comp_r, speed, best_speed = [], [], [], []
        for wl in wls:
            med = {
                n: statistics.median(runs[(db, wl, n)])
                for n in ("raw", "pure", "mypyc")
                if (db, wl, n) in runs
            }
            if len(med) < 3:
                errs = "; ".join(errors.get((db, wl, n), "") for n in ("raw", "pure", "mypyc"))
                lines.append(f"| {wl} | error: {errs.strip('; ')[:150]} | | | |")
                continue
            p, c = med["pure"] / med["raw"], med["mypyc"] / med["raw"]
            pure_r.append(p)
            comp_r.append(c)
            speed.append(med["pure"] / med["mypyc"])
            # The fastest run of each is the least disturbed by other load on the machine.
            best = min(runs[(db, wl, "pure")]) / min(runs[(db, wl, "mypyc")])
            best_speed.append(best)
            lines.append(
                f"| {wl} | {med['raw']:.3f} | {med['pure']:.3f} ({p:.2f}x) | "
                f"{med['mypyc']:.3f} ({c:.2f}x) | {med['pure'] / med['mypyc']:.2f}x | {best:.2f}x |"
            )
        if speed:
            lines.append(
                f"| geometric mean | | {_geo(pure_r):.2f}x | {_geo(comp_r):.2f}x | {_geo(speed):.2f}x "
                f"| {_geo(best_speed):.2f}x |"
            )
        lines.append("")
    return "\n".join(lines)


def _geo(values: list[float]) -> float:
    return math.exp(sum(map(math.log, values)) / len(values))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m benchmarks.mypyc_bench", description=__doc__.splitlines()[0]
    )
    ap.add_argument(
        "--modules", help="comma-separated tether modules to compile (default: the hot set)"
    )
    ap.add_argument(
        "--workdir", type=Path, help="where the compiled copy goes (default: a new temp dir)"
    )
    ap.add_argument("--no-build", action="store_true", help="reuse the compiled copy in --workdir")
    ap.add_argument(
        "--tests", action="store_true", help="run tests/unit and tests/integration against it"
    )
    ap.add_argument(
        "--bench", action="store_true", help="benchmark raw, pure and compiled side by side"
    )
    ap.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    ap.add_argument("--workloads", help="workloads (default all): " + ",".join(workloads.WORKLOADS))
    ap.add_argument("--scale", type=float, default=0.5)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="tether-mypyc-"))
    src = workdir / "src"
    modules = args.modules.split(",") if args.modules else list(DEFAULT_MODULES)
    if args.no_build:
        summary = (workdir / "summary.txt").read_text().splitlines()
        compiled = [line.split()[1] for line in summary if line.startswith("compiled ")]
        blocked = {}
    else:
        compiled, blocked, notes = build(workdir, modules)
        for note in notes:
            print("note:", note, file=sys.stderr)
    print(f"compiled copy: {src}")
    print((workdir / "summary.txt").read_text() if compiled else "nothing compiled", end="")
    check_import(src, compiled)
    status = 0
    if args.tests:
        status = run_tests(src)
        print(
            f"tests against the compiled copy: {'passed' if status == 0 else f'FAILED (exit {status})'}"
        )
    if args.bench:
        if args.db != "sqlite" and not os.environ.get(PG_ENV):
            print(f"note: {PG_ENV} is not set; PostgreSQL skipped", file=sys.stderr)
        dbs = choose_dbs(args.db)
        wls = args.workloads.split(",") if args.workloads else list(workloads.WORKLOADS)
        print(bench(src, dbs, wls, args.scale, args.repeat))
    return status


if __name__ == "__main__":
    sys.exit(main())
