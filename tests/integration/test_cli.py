"""The ``tether`` command (``check``, ``erd``, ``diff``) on the tutorials' models and broken
variants, in-process through ``main(argv)`` and once through the installed console script."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tether.cli import main

MODELS = Path(__file__).resolve().parents[1] / "fixtures" / "models"


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TETHER_FIXTURE_NO_SCHEMA", "1")


@pytest.fixture(autouse=True)
def _forget_loaded_models() -> Iterator[None]:
    """Dispose of the model modules a test loaded in this process: a broken one left alive
    would fail every later ``configure_mappers()`` in the test run."""
    yield
    loaded = [n for n, m in list(sys.modules.items())
              if str(getattr(m, "__file__", None) or "").startswith(str(MODELS))]
    for name in loaded:
        module = sys.modules.pop(name)
        for value in list(vars(module).values()):
            registry = getattr(value, "registry", None)
            if hasattr(registry, "dispose") and hasattr(registry, "mappers"):
                registry.dispose()


def model(name: str) -> str:
    return str(MODELS / name)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def tether(*argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The command as users run it: a fresh interpreter, so no models leak between runs."""
    script = Path(sys.executable).with_name("tether")
    cmd = [str(script)] if script.exists() else [sys.executable, "-m", "tether.cli"]
    env = dict(os.environ, TETHER_FIXTURE_NO_SCHEMA="1")
    return subprocess.run(cmd + list(argv), capture_output=True, text=True, cwd=cwd, env=env,
                          timeout=120, check=False)


# --- help ---------------------------------------------------------------------------------
def test_help_has_an_example_per_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    for command in ("tether check", "tether erd", "tether diff"):
        assert command in text
    for command in ("check", "erd", "diff"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        text = capsys.readouterr().out
        assert "example:" in text and f"tether {command} " in text
    assert main([]) == 2


# --- check ----------------------------------------------------------------------------------
@pytest.mark.parametrize("fixture", ["game_store.py", "students.py", "players.py",
                                     "departments.py"])
def test_check_tutorial_models_pass(capsys: pytest.CaptureFixture[str], fixture: str) -> None:
    code, out, err = run(capsys, "check", model(fixture))
    assert code == 0, out + err
    assert out.strip().endswith("mapped classes") and "no problems found" in out


def test_check_reports_problem_with_location_and_fix() -> None:
    proc = tether("check", model("broken_no_fk.py"))
    assert proc.returncode == 1
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 2
    problem, summary = lines
    assert problem.startswith(f"{model('broken_no_fk.py')}:12: ")
    assert "Parent.children" in problem and "Fix:" in problem
    assert summary.endswith("1 error in 2 mapped classes")


def test_check_json() -> None:
    proc = tether("check", model("broken_many.py"), "--format", "json")
    assert proc.returncode == 1
    data = json.loads(proc.stdout)
    assert data["ok"] is False and data["errors"] >= 1 and data["classes"] == 4
    first = data["problems"][0]
    assert set(first) >= {"code", "message", "fix", "file", "line", "classes", "attributes",
                          "severity"}
    assert first["line"] == 19 and first["attributes"] == ["Message.sender"]
    assert first["classes"] == ["Message"]
    ok = tether("check", model("game_store.py") + ":Base", "--format", "json")
    assert ok.returncode == 0 and json.loads(ok.stdout)["problems"] == []


def test_check_in_process_sees_only_its_own_models(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "check", model("broken_no_fk.py"))[0] == 1
    code, out, _ = run(capsys, "check", model("students.py"))
    assert code == 0, out


def test_load_failures_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "check", model("broken_import.py"))
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "RuntimeError: the models file failed on purpose" in err
    assert "broken_import.py:14" in err
    code, _, err = run(capsys, "erd", model("no_models.py"))
    assert code == 1 and err.startswith("tether erd: error: no models found")
    code, _, err = run(capsys, "check", "no.such.module")
    assert code == 1 and "cannot import no.such.module" in err
    code, _, err = run(capsys, "check", model("game_store.py") + ":Nope")
    assert code == 1 and "has no attribute 'Nope'" in err and "Base" in err
    code, out, _ = run(capsys, "check", model("broken_import.py"), "--format", "json")
    assert code == 1 and json.loads(out)["error"].startswith("cannot import")


def test_debug_shows_the_traceback() -> None:
    proc = tether("--debug", "check", model("broken_import.py"))
    assert proc.returncode == 1
    assert "Traceback" in proc.stderr and "failed on purpose" in proc.stderr


def test_module_path_target() -> None:
    proc = tether("check", "models.students:Base", cwd=MODELS.parent)
    assert proc.returncode == 0, proc.stderr
    assert "no problems found in 2 mapped classes" in proc.stdout


# --- erd --------------------------------------------------------------------------------------
def test_erd_mermaid_to_stdout_and_markdown_file(capsys: pytest.CaptureFixture[str],
                                                 tmp_path: Path) -> None:
    code, out, _ = run(capsys, "erd", model("game_store.py"))
    assert code == 0 and out.startswith("erDiagram\n")
    assert 'users ||--o{ user_library : "User.user_library / User_library.user"' in out
    target = tmp_path / "schema.md"
    code, _, err = run(capsys, "erd", model("students.py"), "-o", str(target))
    assert code == 0 and "wrote mermaid diagram" in err
    text = target.read_text()
    assert text.startswith("```mermaid\nerDiagram\n") and text.endswith("```\n")
    assert "student }o--o{ course" in text


def test_erd_include_exclude_and_dot(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "erd", model("departments.py"), "--format", "dot",
                       "--exclude", "user,Address")
    assert code == 0 and out.startswith("digraph erd {")
    assert '"address"' not in out and '"department_employee_link"' in out
    code, out, _ = run(capsys, "erd", model("departments.py"), "--include", "User",
                       "--include", "address")
    assert code == 0
    assert "user |o--o| address" in out and "department" not in out


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_erd_png_file_is_an_image(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "erd.png"
    code, _, err = run(capsys, "erd", model("departments.py"), "-o", str(out))
    assert code == 0, err
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 1000


def test_erd_without_graphviz_says_how_to_install(capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    code, _, err = run(capsys, "erd", model("students.py"), "--format", "svg")
    assert code == 1 and "apt-get install graphviz" in err and err.count("\n") == 1


def test_erd_on_broken_models_points_to_check() -> None:
    proc = tether("erd", model("broken_no_fk.py"))
    assert proc.returncode == 1 and "tether check" in proc.stderr


# --- diff ---------------------------------------------------------------------------------------
def _old_game_store(engine: Any) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE users (id INTEGER PRIMARY KEY, username VARCHAR(50) "
                             "NOT NULL, wallet INTEGER NOT NULL DEFAULT 0, "
                             "CONSTRAINT uq_users_username UNIQUE (username))")
        conn.exec_driver_sql("CREATE TABLE games (id INTEGER PRIMARY KEY, title VARCHAR(100) "
                             "NOT NULL, price INTEGER NOT NULL)")
        conn.exec_driver_sql("INSERT INTO users (id, username) VALUES (1, 'alice')")
        conn.exec_driver_sql("INSERT INTO games (id, title, price) VALUES (1, 'Hades', 25)")


def test_diff_then_apply_keeps_data(capsys: pytest.CaptureFixture[str], engine: Any,
                                    db_url: str) -> None:
    _old_game_store(engine)
    code, out, err = run(capsys, "diff", model("game_store.py"), "--url", db_url)
    assert code == 1, err
    assert "+ table user_library: missing in the database" in out
    assert "+ column games.genre" in out
    assert "~ default users.wallet" in out  # the database has DEFAULT 0, the models none
    assert "-- SQL that --apply would run" in out and "CREATE TABLE user_library" in out
    assert "ALTER TABLE users ALTER COLUMN wallet DROP DEFAULT;" in out

    code, out, err = run(capsys, "diff", model("game_store.py"), "--url", db_url, "--apply")
    assert code == 1, err  # the DROP DEFAULT is left to do by hand
    assert "-- SQL run by --apply" in out
    assert "applied 2 changes; 1 difference left to do by hand" in out
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT username, wallet FROM users").all() == [
            ("alice", 0)]
        assert [tuple(r) for r in conn.exec_driver_sql(
            "SELECT title, genre FROM games").all()] == [("Hades", None)]
        assert conn.exec_driver_sql("SELECT count(*) FROM user_library").scalar() == 0


def test_diff_in_sync_exits_zero(capsys: pytest.CaptureFixture[str], db_url: str) -> None:
    assert run(capsys, "diff", model("students.py"), "--url", db_url, "--apply")[0] == 0
    code, out, _ = run(capsys, "diff", model("students.py"), "--url", db_url)
    assert code == 0 and "matches the models" in out


def test_diff_errors_are_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TETHER_DATABASE_URL", raising=False)
    code, _, err = run(capsys, "diff", model("students.py"))
    assert code == 1 and "--url" in err
    bad = f"sqlite:///{tmp_path}/missing/dir/x.db"
    code, _, err = run(capsys, "diff", model("students.py"), "--url", bad)
    assert code == 1 and err.startswith("tether diff: error: cannot read the database")
    assert err.count("\n") == 1
    code, _, err = run(capsys, "diff", model("students.py"), "--url", "mysql://x/y")
    assert code == 1 and "bad --url" in err


def test_check_core_metadata_with_a_foreign_key_to_nowhere(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", model("broken_fk_target.py"))
    assert code == 1
    problem, summary = out.strip().splitlines()
    assert problem.startswith("fk-target-missing error:")
    assert "'user'" in problem and "Did you mean 'users'" in problem and "[orders.user_id]" in problem
    assert summary.endswith("1 error in 0 mapped classes")


def test_problems_raised_in_bulk_are_reported_one_per_line() -> None:
    """The contract for issue 4: an exception carrying a list of Problems (or exceptions)."""
    from tether.tools.check import CheckResult
    from tether.tools.problems import Problem, from_exception

    class ConfigureError(Exception):
        pass

    first = Problem(code="T401", message="Parent.children and Child.parent disagree",
                    fix="write back_populates='children' on Child.parent",
                    file="models.py", line=12, classes=("Parent", "Child"),
                    attributes=("Parent.children", "Child.parent"))
    error = ConfigureError("2 relationship problems")
    error.problems = [first, ValueError(  # type: ignore[attr-defined]
        "relationship A.b (declared at app.py:3): no foreign key; add ForeignKey('a.id')")]
    found = from_exception(error)
    assert found[0] is first
    second = found[1]
    assert (second.code, second.file, second.line) == ("ValueError", "app.py", 3)
    assert second.attributes == ("A.b",) and second.fix == "add ForeignKey('a.id')"
    result = CheckResult("models.py", found, classes=2, tables=2)
    lines = result.text().splitlines()
    assert lines[0] == ("models.py:12: T401 error: Parent.children and Child.parent disagree "
                        "[Parent.children, Child.parent] Fix: write back_populates='children' "
                        "on Child.parent")
    assert lines[1].startswith("app.py:3: ValueError error: relationship A.b: no foreign key")
    assert lines[2] == "models.py: 2 errors in 2 mapped classes"
    data = json.loads(result.json())
    assert data["problems"][0]["classes"] == ["Parent", "Child"] and data["errors"] == 2


def test_warnings_are_reported_but_do_not_fail(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", model("warns_on_import.py"), "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["ok"] is True and data["warnings"] == 1
    (warning,) = data["problems"]
    assert warning["severity"] == "warning" and warning["code"] == "UserWarning"
    assert warning["message"] == "Thing has no relationships yet"
    assert warning["file"].endswith("warns_on_import.py") and warning["line"] == 16


def test_file_inside_a_package_keeps_its_relative_imports(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    pkg = tmp_path / "shopapp"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "base.py").write_text("from tether.orm import declarative_base\n"
                                 "Base = declarative_base()\n")
    (pkg / "models.py").write_text(
        "from tether import Column, ForeignKey, Integer\n"
        "from tether.orm import relationship\n"
        "from .base import Base\n\n\n"
        "class Shop(Base):\n"
        "    __tablename__ = 'shop'\n"
        "    id = Column(Integer, primary_key=True)\n"
        "    items = relationship('Item', back_populates='shop')\n\n\n"
        "class Item(Base):\n"
        "    __tablename__ = 'item'\n"
        "    id = Column(Integer, primary_key=True)\n"
        "    shop_id = Column(ForeignKey('shop.id'), nullable=False)\n"
        "    shop = relationship('Shop', back_populates='items')\n")
    try:
        code, out, err = run(capsys, "erd", str(pkg / "models.py"))
        assert code == 0, err
        assert 'shop ||--o{ item : "Item.shop / Shop.items"' in out
    finally:
        for name in [n for n in sys.modules if n == "shopapp" or n.startswith("shopapp.")]:
            module = sys.modules.pop(name)
            registry = getattr(getattr(module, "Base", None), "registry", None)
            if registry is not None:
                registry.dispose()
