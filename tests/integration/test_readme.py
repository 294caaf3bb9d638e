"""The README's ORM quick start runs as written, on SQLite and on PostgreSQL, and prints what
its comments say."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

README = Path(__file__).resolve().parents[2] / "README.md"


def block_under(heading: str) -> str:
    section = README.read_text().split(f"## {heading}\n", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match, f"README has no python block under {heading!r}"
    return match.group(1)


def test_orm_quick_start_runs(db_url: str, capsys: Any) -> None:
    code = block_under("Quick start")
    assert 'create_engine("sqlite://")' in code
    code = code.replace('create_engine("sqlite://")', f"create_engine({db_url!r})", 1)
    namespace: dict[str, Any] = {"__name__": "readme_quick_start"}
    exec(compile(code, str(README), "exec"), namespace)
    assert capsys.readouterr().out.splitlines() == ["[('ann', 2)]", "ann"]
    namespace["engine"].dispose()
