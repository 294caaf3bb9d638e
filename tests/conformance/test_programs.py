"""Differential tests: every program in programs/ on SQLAlchemy and on tether, outputs compared.

Each program runs on SQLite and on PostgreSQL (``TETHER_TEST_PG_URL``).  ``test_oracle`` proves the
program itself is good (it exits 0 on SQLAlchemy); ``test_tether_matches`` asserts that tether
prints exactly what SQLAlchemy prints.  A program whose ``# requires:`` line names an issue listed
in pending.txt (or whose name is listed there) is a strict xfail, so the suite turns red the day it
starts passing and the entry can leave pending.txt (``runner.py --status`` suggests the list).
"""

from __future__ import annotations

import os

import pytest

pytest.importorskip("sqlalchemy", reason="SQLAlchemy (the oracle) is a development dependency")

from .runner import (  # noqa: E402
    BACKENDS,
    Program,
    RunResult,
    discover_programs,
    pg_base_url,
    read_pending,
    run_oracle,
    run_pair,
)

PROGRAMS = discover_programs()
PENDING = read_pending()

# One oracle run per (program, backend) per session, shared by both tests.
_ORACLE_RESULTS: dict[tuple[str, str], RunResult] = {}


def _require_backend(backend: str) -> None:
    if backend == "postgresql" and pg_base_url() is None:
        message = "TETHER_TEST_PG_URL is not set: no PostgreSQL server to run against"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI must run PostgreSQL cases)")
        pytest.skip(message)


def _cases(with_pending_marks: bool) -> list[object]:
    cases: list[object] = []
    for program in PROGRAMS:
        for backend in BACKENDS:
            marks: list[pytest.MarkDecorator] = []
            reason = PENDING.reason(program, backend)
            if with_pending_marks and reason:
                marks.append(pytest.mark.xfail(strict=True, reason=reason))
            cases.append(pytest.param(program, backend, marks=marks, id=f"{program.name}-{backend}"))
    return cases


def _oracle(program: Program, backend: str) -> RunResult | None:
    return _ORACLE_RESULTS.get((program.name, backend))


@pytest.mark.parametrize(("program", "backend"), _cases(with_pending_marks=False))
def test_oracle(program: Program, backend: str) -> None:
    """The program runs cleanly on SQLAlchemy itself."""
    _require_backend(backend)
    result = _oracle(program, backend) or run_oracle(program, backend)
    _ORACLE_RESULTS[(program.name, backend)] = result
    assert result.returncode == 0, f"{program.name} fails on SQLAlchemy:\n{result.stderr}"
    assert result.stdout.strip(), f"{program.name} printed nothing on SQLAlchemy"


@pytest.mark.parametrize(("program", "backend"), _cases(with_pending_marks=True))
def test_tether_matches(program: Program, backend: str) -> None:
    """Tether prints exactly what SQLAlchemy prints for the same program."""
    _require_backend(backend)
    pair = run_pair(program, backend, oracle=_oracle(program, backend))
    _ORACLE_RESULTS[(program.name, backend)] = pair.oracle
    if pair.oracle.returncode != 0:
        pytest.fail(f"{program.name}: the oracle run fails on SQLAlchemy:\n{pair.oracle.stderr}")
    assert pair.same(), f"{program.name} on {backend}: tether differs from SQLAlchemy\n{pair.diff()}"


def test_programs_are_declared() -> None:
    """Every program has a header, and the suite is not accidentally empty."""
    assert len(PROGRAMS) >= 30, len(PROGRAMS)
    names = {p.name for p in PROGRAMS}
    assert len(names) == len(PROGRAMS)
