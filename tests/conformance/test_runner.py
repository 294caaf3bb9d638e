"""Tests of the conformance harness itself (no database needed): import rewriting, headers,
pending.txt, URL handling, and that the programs only use import forms the rewrite handles."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from .runner import (
    PROGRAMS_DIR,
    Program,
    RunResult,
    _libpq_url,
    _with_database,
    discover_programs,
    pending_issues,
    read_header,
    read_pending,
    rewrite_imports,
    run_oracle,
    run_tether,
    sqlalchemy_pg_url,
)


def test_rewrite_only_touches_import_lines() -> None:
    source = (
        "import os\n"
        "from sqlalchemy import Column, select\n"
        "from sqlalchemy.orm import (\n"
        "    Session,\n"
        "    relationship,\n"
        ")\n"
        "import sqlalchemy as sa\n"
        "from sqlalchemy.ext.declarative import declarative_base\n"
        "NAME = 'sqlalchemy stays in strings'\n"
        "# sqlalchemy stays in comments\n"
        "def f():\n"
        "    from sqlalchemy.exc import IntegrityError\n"
        "    return IntegrityError\n"
    )
    expected = (
        "import os\n"
        "from tether import Column, select\n"
        "from tether.orm import (\n"
        "    Session,\n"
        "    relationship,\n"
        ")\n"
        "import tether as sa\n"
        "from tether.ext.declarative import declarative_base\n"
        "NAME = 'sqlalchemy stays in strings'\n"
        "# sqlalchemy stays in comments\n"
        "def f():\n"
        "    from tether.exc import IntegrityError\n"
        "    return IntegrityError\n"
    )
    assert rewrite_imports(source) == expected


def test_rewrite_leaves_similar_names_alone() -> None:
    source = "import sqlalchemy_utils\nfrom mysqlalchemy import x\n"
    assert rewrite_imports(source) == source


def test_header_is_required(tmp_path: Path) -> None:
    good = tmp_path / "good.py"
    good.write_text("# conformance: something\n# requires: issue-3, issue-5\nprint(1)\n")
    program = read_header(good)
    assert program.requires == (3, 5)
    assert program.shows == "something"
    bad = tmp_path / "bad.py"
    bad.write_text("print(1)\n")
    with pytest.raises(ValueError):
        read_header(bad)


def test_pending_file_parses(tmp_path: Path) -> None:
    assert pending_issues() <= {2, 3, 4, 5}
    for entry in read_pending().programs:
        name = entry.split("[", 1)[0]
        assert (PROGRAMS_DIR / f"{name}.py").exists(), f"pending.txt names no program: {entry}"
    path = tmp_path / "pending.txt"
    path.write_text("# comment\n4  # trailing\ncore_types\nschema_ddl[sqlite]\n")
    pending = read_pending(path)
    program = Program(path=PROGRAMS_DIR / "core_types.py", shows="x", requires=(2,))
    other = Program(path=PROGRAMS_DIR / "schema_ddl.py", shows="x", requires=(2, 4))
    assert pending.issues == {4}
    assert pending.reason(program, "sqlite") == "listed in pending.txt"
    assert pending.reason(other, "sqlite") == "needs issue 4, listed in pending.txt"
    assert pending.reason(other, "postgresql") == "needs issue 4"
    assert read_pending(tmp_path / "missing.txt").reason(program, "sqlite") is None


def test_urls() -> None:
    base = "postgresql://me@/db?host=/tmp/sock&port=5555"
    assert _with_database(base, "other") == "postgresql://me@/other?host=/tmp/sock&port=5555"
    assert sqlalchemy_pg_url(base) == "postgresql+psycopg://me@/db?host=/tmp/sock&port=5555"
    assert _libpq_url("postgresql+psycopg://me@h:1/db") == "postgresql://me@h:1/db"


def test_transcript_includes_exit_status() -> None:
    assert RunResult("a\n", "", 1).transcript() == "a\n[exit status 1]\n"


@pytest.mark.parametrize("program", discover_programs(), ids=lambda p: p.name)
def test_program_imports_are_rewritable(program) -> None:
    """Programs import sqlalchemy only in forms the rewrite maps one-to-one onto tether."""
    tree = ast.parse(program.path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "sqlalchemy":
                    # `import sqlalchemy.orm` would leave `sqlalchemy.` references behind
                    assert alias.asname is not None, f"{program.name}: use 'import sqlalchemy as ...'"
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "sqlalchemy":
            assert node.level == 0
    rewritten = rewrite_imports(program.path.read_text(encoding="utf-8"))
    for node in ast.walk(ast.parse(rewritten)):
        if isinstance(node, ast.ImportFrom) and node.module:
            assert not node.module.startswith("sqlalchemy"), program.name


def test_programs_live_in_programs_dir() -> None:
    assert PROGRAMS_DIR.is_dir()
    assert all(p.path.parent == PROGRAMS_DIR for p in discover_programs())


def test_tether_runs_cannot_import_sqlalchemy(tmp_path: Path) -> None:
    """The tether half of a comparison must not be able to lean on SQLAlchemy."""
    script = tmp_path / "sneaky.py"
    script.write_text(
        "# conformance: a program that reaches for SQLAlchemy behind the rewrite\n"
        "# requires: issue-2\n"
        "import importlib\n"
        "print(importlib.import_module('sql' + 'alchemy').__name__)\n"
    )
    program = read_header(script)
    result, _source = run_tether(program, "sqlite")
    assert result.returncode == 1
    assert "imported during a tether run" in result.stderr
    assert run_oracle(program, "sqlite").stdout == "sqlalchemy\n"
