"""The README's Core quick start runs as written, on SQLite and on PostgreSQL."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

README = Path(__file__).resolve().parents[2] / "README.md"


def quick_start_code() -> str:
    text = README.read_text()
    section = text.split("## Core quick start", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match, "README has no python block under 'Core quick start'"
    return match.group(1)


def test_readme_quick_start_runs(db_url: str, capsys: Any) -> None:
    code = quick_start_code()
    assert 'create_engine("sqlite://")' in code
    code = code.replace('create_engine("sqlite://")', f"create_engine({db_url!r})", 1)
    namespace: dict[str, Any] = {"__name__": "readme"}
    exec(compile(code, str(README), "exec"), namespace)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "ann 2"
    error = "\n".join(out[1:])
    assert "addresses" in error and "99" in error
    namespace["engine"].dispose()
