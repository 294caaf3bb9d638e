"""Runs one conformance program on SQLAlchemy (the oracle) and on tether, and returns both outputs.

A conformance program is a standalone script in ``programs/`` written against SQLAlchemy's import
paths.  It reads its database URL from ``CONFORMANCE_DB_URL``, builds its schema on an empty
database and prints deterministic output.  This module owns:

* reading a program's header (``# conformance:`` and ``# requires: issue-N``),
* rewriting its import lines from ``sqlalchemy`` to ``tether`` (nothing else in the source changes),
* giving each run a fresh, empty database (a new SQLite file, or a PostgreSQL database whose
  schemas were dropped and recreated), and
* running the oracle and the tether variant in child processes of the current interpreter
  (forked from one pre-imported interpreter per role, or a new interpreter per run), and
* ``--status``: where tether stands on every program, and the pending.txt that matches.

One deliberate adjustment is made to the oracle run: on SQLite it enables ``PRAGMA
foreign_keys=ON`` on every connection.  Tether enforces SQLite foreign keys by default (a
documented difference, see DESIGN.md), SQLAlchemy leaves them off; without the pragma the two
would print different results for every program that violates a key, and the oracle would not
show what the program means.  The bootstrap below is the only code that runs before a program.

Run a single program by hand, or see where tether stands on every program::

    python tests/conformance/runner.py t1_game_store.py [sqlite|postgresql]
    python tests/conformance/runner.py --status [sqlite] [postgresql]
"""

from __future__ import annotations

import ast
import atexit
import difflib
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

HERE = Path(__file__).resolve().parent
PROGRAMS_DIR = HERE / "programs"
PENDING_FILE = HERE / "pending.txt"

BACKENDS = ("sqlite", "postgresql")

#: Seconds one program may run before it is considered hung.
RUN_TIMEOUT = 60

_HEADER_SHOWS = re.compile(r"^#\s*conformance:\s*(?P<text>.+?)\s*$")
_HEADER_REQUIRES = re.compile(r"^#\s*requires:\s*(?P<text>.+?)\s*$")
_ISSUE = re.compile(r"issue-(\d+)")

# The code that runs a program inside a child interpreter.  _conformance_child() returns the exit
# status Python itself would give.  In oracle mode on SQLite it switches on foreign-key
# enforcement (see the module docstring).
_CHILD_SOURCE = r"""
import logging, os, runpy, sys, traceback


class _RefuseSQLAlchemy:
    # In tether runs importing SQLAlchemy fails: tether must not lean on the oracle.

    def find_spec(self, name, path=None, target=None):
        if name == "sqlalchemy" or name.startswith("sqlalchemy."):
            raise ImportError(f"{name} imported during a tether run (SQLAlchemy is only the oracle)")
        return None


def _refuse_sqlalchemy():
    if not any(isinstance(f, _RefuseSQLAlchemy) for f in sys.meta_path):
        sys.meta_path.insert(0, _RefuseSQLAlchemy())


def _conformance_child(mode, path):
    sys.argv = [path]
    if mode == "tether":
        _refuse_sqlalchemy()
    try:
        if mode == "oracle" and os.environ["CONFORMANCE_DB_URL"].startswith("sqlite"):
            from sqlalchemy import event
            from sqlalchemy.engine import Engine

            @event.listens_for(Engine, "connect")
            def _enforce_foreign_keys(dbapi_connection, connection_record):
                if type(dbapi_connection).__module__.startswith("sqlite3"):
                    cursor = dbapi_connection.cursor()
                    cursor.execute("PRAGMA foreign_keys=ON")
                    cursor.close()

        runpy.run_path(path, run_name="__main__")
        code = 0
    except SystemExit as exc:
        if exc.code is None:
            code = 0
        elif isinstance(exc.code, int):
            code = exc.code
        else:
            print(exc.code, file=sys.stderr)
            code = 1
    except BaseException:
        traceback.print_exc()
        code = 1
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    return code
"""

# Plain mode: argv is [bootstrap, mode, program_path].
_BOOTSTRAP = _CHILD_SOURCE + "\nsys.exit(_conformance_child(sys.argv[1], sys.argv[2]))\n"

# Fork-server mode.  Importing SQLAlchemy costs most of a program's run time, so one long-lived
# interpreter per role imports the libraries once and forks a child per program.  Requests and
# answers are JSON lines on stdin/stdout; the child writes its output to the files it is given.
_ZYGOTE = _CHILD_SOURCE + r"""
import json, signal, time

if sys.argv[2] == "tether":
    _refuse_sqlalchemy()
for _name in json.loads(sys.argv[1]):
    try:
        __import__(_name)
    except Exception:
        pass  # the child will import it again and report the failure itself

_proto_in, _proto_out = sys.stdin, sys.stdout
for _line in _proto_in:
    _req = json.loads(_line)
    _proto_out.flush()
    sys.stderr.flush()
    _pid = os.fork()
    if _pid == 0:
        _code = 1
        try:
            os.chdir(_req["cwd"])
            os.environ.clear()
            os.environ.update(_req["env"])
            os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
            os.dup2(os.open(_req["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 1)
            os.dup2(os.open(_req["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 2)
            sys.stdin = open(0, closefd=False)
            sys.stdout = open(1, "w", encoding="utf-8", closefd=False)
            sys.stderr = open(2, "w", encoding="utf-8", errors="backslashreplace", closefd=False)
            _code = _conformance_child(_req["mode"], _req["script"])
        finally:
            os._exit(_code)
    _deadline = time.monotonic() + _req["timeout"]
    while True:
        _done, _status = os.waitpid(_pid, os.WNOHANG)
        if _done:
            _rc = os.waitstatus_to_exitcode(_status)
            break
        if time.monotonic() > _deadline:
            os.kill(_pid, signal.SIGKILL)
            os.waitpid(_pid, 0)
            _rc = -9
            break
        time.sleep(0.002)
    _proto_out.write(json.dumps({"returncode": _rc}) + "\n")
    _proto_out.flush()
"""

# What each role's fork server imports before forking.
_PRELOAD = {
    "oracle": [
        "sqlalchemy",
        "sqlalchemy.orm",
        "sqlalchemy.ext.declarative",
        "sqlalchemy.dialects.sqlite.pysqlite",
        "sqlalchemy.dialects.postgresql.psycopg",
        "psycopg",
        "sqlite3",
        "decimal",
        "uuid",
        "datetime",
    ],
    "tether": ["tether", "tether.orm", "tether.ext.declarative", "psycopg", "sqlite3", "decimal", "uuid"],
}


@dataclass(frozen=True)
class Program:
    """One program file and what its header says about it."""

    path: Path
    shows: str
    requires: tuple[int, ...]

    @property
    def name(self) -> str:
        return self.path.stem


@dataclass
class RunResult:
    """What one run printed and how it ended."""

    stdout: str
    stderr: str
    returncode: int

    def transcript(self) -> str:
        """The text compared between oracle and tether: the output and the exit status."""
        return f"{self.stdout}[exit status {self.returncode}]\n"


@dataclass
class RunPair:
    """The oracle's run and tether's run of one program on one backend."""

    program: Program
    backend: str
    oracle: RunResult
    tether: RunResult
    rewritten_source: str = field(repr=False, default="")

    def same(self) -> bool:
        return self.oracle.transcript() == self.tether.transcript()

    def diff(self) -> str:
        """A unified diff from the oracle's transcript to tether's, with tether's stderr tail."""
        lines = difflib.unified_diff(
            self.oracle.transcript().splitlines(keepends=True),
            self.tether.transcript().splitlines(keepends=True),
            fromfile=f"sqlalchemy/{self.backend}/{self.program.name}",
            tofile=f"tether/{self.backend}/{self.program.name}",
        )
        text = "".join(lines)
        if self.tether.returncode != 0 and self.tether.stderr:
            tail = "\n".join(self.tether.stderr.rstrip().splitlines()[-25:])
            text += f"\n--- tether stderr (last lines) ---\n{tail}\n"
        return text


# --------------------------------------------------------------------------- programs


def read_header(path: Path) -> Program:
    """Parse the ``# conformance:`` and ``# requires:`` header lines of a program.

    Raises ValueError when either line is missing, so a program cannot silently escape
    the pending mechanism.
    """
    shows: str | None = None
    requires: tuple[int, ...] | None = None
    for line in path.read_text(encoding="utf-8").splitlines()[:10]:
        if m := _HEADER_SHOWS.match(line):
            shows = m.group("text")
        elif m := _HEADER_REQUIRES.match(line):
            requires = tuple(int(n) for n in _ISSUE.findall(m.group("text")))
    if shows is None or not requires:
        raise ValueError(f"{path.name}: needs '# conformance: ...' and '# requires: issue-N' lines")
    return Program(path=path, shows=shows, requires=requires)


def discover_programs() -> list[Program]:
    """Every program in ``programs/``, sorted by file name (helpers starting with '_' excluded)."""
    return [read_header(p) for p in sorted(PROGRAMS_DIR.glob("*.py")) if not p.name.startswith("_")]


@dataclass(frozen=True)
class Pending:
    """What pending.txt says is not expected to work on tether yet.

    Each line is an issue number (every program whose ``# requires:`` names it), a program name
    (``core_types``: both backends) or a program on one backend (``core_types[sqlite]``).  '#'
    starts a comment.  Program lines let an issue leave the list while a few of its programs
    still fail.
    """

    issues: frozenset[int] = frozenset()
    programs: frozenset[str] = frozenset()

    def reason(self, program: Program, backend: str) -> str | None:
        """Why this case is expected to fail, or None when it is expected to pass."""
        reasons = [f"needs issue {n}" for n in program.requires if n in self.issues]
        if program.name in self.programs or f"{program.name}[{backend}]" in self.programs:
            reasons.append("listed in pending.txt")
        return ", ".join(reasons) or None


def read_pending(path: Path = PENDING_FILE) -> Pending:
    """Parse pending.txt (see :class:`Pending`); a missing file means nothing is pending."""
    if not path.exists():
        return Pending()
    issues: set[int] = set()
    programs: set[str] = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        if text.isdigit():
            issues.add(int(text))
        else:
            programs.add(text)
    return Pending(frozenset(issues), frozenset(programs))


def pending_issues() -> set[int]:
    """Issue numbers listed in pending.txt."""
    return set(read_pending().issues)


def rewrite_imports(source: str) -> str:
    """Replace the module name ``sqlalchemy`` by ``tether`` in import statements only.

    Import statements are found with the ``ast`` module, so a parenthesised import spread over
    several lines is rewritten whole, while a string or a comment that mentions sqlalchemy
    elsewhere stays as written.
    """
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    word = re.compile(r"\bsqlalchemy\b")
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            end = node.end_lineno or node.lineno
            for index in range(node.lineno - 1, end):
                lines[index] = word.sub("tether", lines[index])
    return "".join(lines)


# --------------------------------------------------------------------------- databases


def pg_base_url() -> str | None:
    """The plain ``postgresql://`` URL of the test server, from ``TETHER_TEST_PG_URL``."""
    return os.environ.get("TETHER_TEST_PG_URL") or None


def _with_database(url: str, dbname: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + dbname, parts.query, parts.fragment))


def _libpq_url(url: str) -> str:
    """A URL psycopg/libpq accepts: no '+driver' part in the scheme."""
    parts = urlsplit(url)
    return urlunsplit(("postgresql", parts.netloc, parts.path, parts.query, parts.fragment))


def sqlalchemy_pg_url(url: str) -> str:
    """The same server and database as a SQLAlchemy URL that selects psycopg 3."""
    parts = urlsplit(url)
    return urlunsplit(("postgresql+psycopg", parts.netloc, parts.path, parts.query, parts.fragment))


def _database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/") or "postgres"


def conformance_pg_url(base_url: str, role: str) -> str:
    """A database of our own for one role ("oracle" or "tether"), created on first use.

    The conformance runs drop every schema of the database they use, so they never touch the
    database named in ``TETHER_TEST_PG_URL`` itself (other tests may keep tables there).  Each
    role has its own database so that the oracle and tether can run at the same time, and the
    names carry the process id so that two test sessions on one server do not meet; they are
    dropped when the process ends.  When the server refuses to create a database, the given
    database is used for both roles, and :func:`run_pair` runs them one after the other.
    """
    import psycopg

    key = (base_url, role)
    if key in _PG_URLS:
        return _PG_URLS[key]
    name = f"{_database_name(base_url)}_conformance_{os.getpid()}_{role}"
    target = _with_database(base_url, name)
    try:
        with psycopg.connect(_libpq_url(base_url), autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.errors.UniqueViolation:
        pass  # created meanwhile by another thread of this process
    except psycopg.Error:
        target = base_url  # no CREATEDB privilege: share the given database
    else:
        _CREATED_DBS.append((base_url, name))
    _PG_URLS[key] = target
    return target


_PG_URLS: dict[tuple[str, str], str] = {}
_CREATED_DBS: list[tuple[str, str]] = []


def _drop_created_databases() -> None:
    """Drop the per-process databases (registered with atexit after the fork servers stop)."""
    import psycopg

    for base_url, name in _CREATED_DBS:
        try:
            with psycopg.connect(_libpq_url(base_url), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        except psycopg.Error:
            pass  # the server is already gone (a throwaway cluster stopped first)


def clean_pg_database(url: str) -> None:
    """Drop every non-system schema (with all tables, types and sequences) and recreate public."""
    import psycopg

    with psycopg.connect(_libpq_url(url), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' "
            "AND nspname <> 'information_schema'"
        ).fetchall()
        for (schema,) in rows:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        conn.execute("CREATE SCHEMA public")


@contextmanager
def fresh_database(backend: str, role: str) -> Iterator[str]:
    """Yield the CONFORMANCE_DB_URL of a new, empty database for one run."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix=f"tether-conformance-{role}-") as tmp:
            yield f"sqlite:///{tmp}/conformance.db"
    elif backend == "postgresql":
        base = pg_base_url()
        if base is None:
            raise RuntimeError("TETHER_TEST_PG_URL is not set")
        url = conformance_pg_url(base, role)
        clean_pg_database(url)
        yield sqlalchemy_pg_url(url)
    else:
        raise ValueError(f"unknown backend {backend!r}")


# --------------------------------------------------------------------------- running


def _child_env(db_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env["CONFORMANCE_DB_URL"] = db_url
    env["PYTHONHASHSEED"] = "0"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONIOENCODING"] = "utf-8"
    env.pop("PYTHONWARNINGS", None)
    return env


def _run_plain(script: Path, mode: str, db_url: str, cwd: Path) -> RunResult:
    """Run one program in a new interpreter (used when the fork server is off or unavailable)."""
    try:
        proc = subprocess.run(
            [sys.executable, "-c", _BOOTSTRAP, mode, str(script)],
            cwd=cwd,
            env=_child_env(db_url),
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT,
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout if isinstance(exc.stdout, str) else (exc.stdout or b"").decode()
        err = exc.stderr if isinstance(exc.stderr, str) else (exc.stderr or b"").decode()
        return RunResult(out, err + f"\n[timed out after {RUN_TIMEOUT}s]", -9)
    return RunResult(proc.stdout, proc.stderr, proc.returncode)


class _ForkServer:
    """One long-lived interpreter that has imported a role's libraries and forks per program."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.lock = threading.Lock()
        env = _child_env("")
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _ZYGOTE, json.dumps(_PRELOAD[mode]), mode],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
            cwd=tempfile.gettempdir(),
        )

    def alive(self) -> bool:
        return self.proc.poll() is None

    def run(self, script: Path, db_url: str, cwd: Path) -> RunResult:
        out_path, err_path = cwd / ".conformance.stdout", cwd / ".conformance.stderr"
        request = {
            "mode": self.mode,
            "script": str(script),
            "cwd": str(cwd),
            "env": _child_env(db_url),
            "stdout": str(out_path),
            "stderr": str(err_path),
            "timeout": RUN_TIMEOUT,
        }
        with self.lock:
            assert self.proc.stdin is not None and self.proc.stdout is not None
            self.proc.stdin.write(json.dumps(request) + "\n")
            self.proc.stdin.flush()
            answer = self.proc.stdout.readline()
        if not answer:
            raise RuntimeError("the conformance fork server stopped")
        returncode = int(json.loads(answer)["returncode"])
        stdout = out_path.read_text(encoding="utf-8", errors="backslashreplace")
        stderr = err_path.read_text(encoding="utf-8", errors="backslashreplace")
        if returncode == -9:
            stderr += f"\n[timed out after {RUN_TIMEOUT}s]"
        out_path.unlink()
        err_path.unlink()
        return RunResult(stdout, stderr, returncode)

    def close(self) -> None:
        if self.alive() and self.proc.stdin is not None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


_SERVERS: dict[str, _ForkServer] = {}
_SERVERS_LOCK = threading.Lock()


def _fork_server(mode: str) -> _ForkServer | None:
    """The running fork server of a role, started on first use; None when it cannot be used."""
    if os.environ.get("CONFORMANCE_NO_FORK_SERVER") or not hasattr(os, "fork"):
        return None
    with _SERVERS_LOCK:
        server = _SERVERS.get(mode)
        if server is None or not server.alive():
            server = _SERVERS[mode] = _ForkServer(mode)
        return server


atexit.register(_drop_created_databases)  # runs after _stop_fork_servers (atexit is LIFO)


@atexit.register
def _stop_fork_servers() -> None:
    for server in _SERVERS.values():
        server.close()


def _run(script: Path, mode: str, db_url: str, cwd: Path) -> RunResult:
    server = _fork_server(mode)
    if server is not None:
        try:
            return server.run(script, db_url, cwd)
        except (OSError, RuntimeError, ValueError):
            pass  # a broken server: run this program the slow way
    return _run_plain(script, mode, db_url, cwd)


def run_oracle(program: Program, backend: str) -> RunResult:
    """Run the program as written (on SQLAlchemy) on a fresh database."""
    with fresh_database(backend, "oracle") as url, tempfile.TemporaryDirectory() as tmp:
        return _run(program.path, "oracle", url, Path(tmp))


def run_tether(program: Program, backend: str) -> tuple[RunResult, str]:
    """Run the program with its imports rewritten to tether on a fresh database."""
    source = rewrite_imports(program.path.read_text(encoding="utf-8"))
    with fresh_database(backend, "tether") as url, tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / program.path.name
        script.write_text(source, encoding="utf-8")
        return _run(script, "tether", url, Path(tmp)), source


def run_pair(program: Program, backend: str, oracle: RunResult | None = None) -> RunPair:
    """Run the oracle (unless a result is given) and tether side by side, each on its own DB."""
    base = pg_base_url()
    shared_db = (
        backend == "postgresql"
        and base is not None
        and conformance_pg_url(base, "oracle") == conformance_pg_url(base, "tether")
    )
    with ThreadPoolExecutor(max_workers=1 if shared_db else 2) as pool:
        oracle_future = None if oracle is not None else pool.submit(run_oracle, program, backend)
        tether_future = pool.submit(run_tether, program, backend)
        oracle_result = oracle_future.result() if oracle_future is not None else oracle
        tether_result, source = tether_future.result()
    assert oracle_result is not None
    return RunPair(program, backend, oracle_result, tether_result, source)


def _first_difference(pair: RunPair) -> str:
    """One line saying how tether's run went wrong: its error, or the first line that differs."""
    if pair.tether.returncode != 0:
        errors = [line for line in pair.tether.stderr.splitlines() if line and not line.startswith(" ")]
        if errors:
            return errors[-1][:160]
    for line in pair.diff().splitlines()[2:]:
        if line[:1] in "+-":
            return line[:160]
    return "(no line differs; the exit status does)"


def status(backends: tuple[str, ...]) -> int:
    """Run every program on tether and SQLAlchemy and print what passes, per issue.

    The last lines suggest a pending.txt that makes the suite green for the tree as it is:
    issues none of whose programs pass stay listed; for the others, each failing case is listed
    by name.
    """
    results: dict[tuple[str, str], str] = {}
    programs = discover_programs()
    for program in programs:
        cells: list[str] = []
        reasons: list[str] = []
        for backend in backends:
            pair = run_pair(program, backend)
            if pair.oracle.returncode != 0:
                outcome = "ORACLE-FAILS"
            elif pair.same():
                outcome = "same"
            else:
                outcome = "differs"
                reasons.append(f"    {backend}: {_first_difference(pair)}")
            results[(program.name, backend)] = outcome
            cells.append(f"{backend}={outcome}")
        issues = ",".join(str(n) for n in program.requires)
        print(f"{program.name:34} issues {issues:8} {'  '.join(cells)}")
        for line in reasons:
            print(line)
    all_issues = sorted({n for p in programs for n in p.requires})
    keep_issues: list[int] = []
    failing_cases: list[str] = []
    for issue in all_issues:
        cases = [(p, b) for p in programs if issue in p.requires for b in backends]
        passing = sum(results[(p.name, b)] == "same" for p, b in cases)
        print(f"issue {issue}: {passing}/{len(cases)} cases pass")
        if passing == 0:
            keep_issues.append(issue)
    for program in programs:
        if any(n in keep_issues for n in program.requires):
            continue
        failing = [b for b in backends if results[(program.name, b)] != "same"]
        if failing and len(failing) == len(backends):
            failing_cases.append(program.name)
        else:
            failing_cases.extend(f"{program.name}[{b}]" for b in failing)
    print("--- suggested pending.txt ---")
    for line in [str(n) for n in keep_issues] + failing_cases:
        print(line)
    return 0


def main(argv: list[str]) -> int:
    """Command line: run one program on one backend and print both transcripts and the diff;
    or ``--status [backend ...]`` for every program."""
    if argv and argv[0] == "--status":
        return status(tuple(argv[1:]) or BACKENDS)
    if not argv:
        print(__doc__)
        return 2
    path = Path(argv[0])
    if not path.exists():
        path = PROGRAMS_DIR / argv[0]
    backend = argv[1] if len(argv) > 1 else "sqlite"
    pair = run_pair(read_header(path.resolve()), backend)
    print("=== sqlalchemy ===")
    print(pair.oracle.transcript(), end="")
    if pair.oracle.returncode:
        print("\n".join(pair.oracle.stderr.splitlines()[-15:]))
    print("=== tether ===")
    print(pair.tether.transcript(), end="")
    print("=== same ===" if pair.same() else "=== diff ===\n" + pair.diff())
    return 0 if pair.same() else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
