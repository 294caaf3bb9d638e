"""``tether check``: configure the models and collect every problem, as :class:`Problem` records.

The ORM's ``configure_mappers()`` does the relationship diagnostics; this module runs it,
records what it raises and warns (through :mod:`tether.tools.problems`, so exceptions that
carry a ``problems`` list report each of them), and adds the checks that need no mapper:
every foreign key must name a table and column that exist.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from typing import Any

from tether import exc
from tether.tools.loader import Models, configure
from tether.tools.problems import Problem, from_exception, from_warning, summary_line

__all__ = ["CheckResult", "run"]


@dataclass
class CheckResult:
    target: str
    problems: list[Problem]
    classes: int
    tables: int

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        return summary_line(self.problems, self.classes)

    def text(self) -> str:
        lines = [p.format_line() for p in self.problems]
        lines.append(f"{self.target}: {self.summary()}")
        return "\n".join(lines) + "\n"

    def json(self) -> str:
        return json.dumps({
            "target": self.target,
            "ok": self.ok,
            "classes": self.classes,
            "tables": self.tables,
            "errors": len(self.errors),
            "warnings": len(self.problems) - len(self.errors),
            "summary": self.summary(),
            "problems": [p.to_dict() for p in self.problems],
        }, indent=2) + "\n"


def _foreign_key_problems(models: Models) -> list[Problem]:
    out = []
    for table in models.tables:
        for fk in table.foreign_keys:
            try:
                fk.column  # noqa: B018 - resolving it is the check
            except exc.TetherError as error:
                out.append(Problem(
                    code="fk-target-missing",
                    message=str(error),
                    fix="correct the ForeignKey's 'table.column' text, or define that table",
                    attributes=(f"{table.name}.{fk.parent.name}",),
                ))
    return out


def run(models: Models) -> CheckResult:
    """Configure ``models`` and return every problem found (never raises for model errors)."""
    problems: list[Problem] = _foreign_key_problems(models)
    for message in models.warnings:
        problems.extend(from_warning(message))
    if models.registries:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                configure(models)
            except Exception as error:  # every configure-time failure is a finding here
                problems.extend(_dedupe(from_exception(error), problems))
        for message in caught:
            if issubclass(message.category, (DeprecationWarning, PendingDeprecationWarning)):
                continue
            problems.extend(from_warning(message))
    return CheckResult(models.target, problems, len(models.mappers), len(models.tables))


def _dedupe(found: list[Problem], already: list[Problem]) -> list[Problem]:
    seen = {p.message for p in already}
    out = []
    for p in found:
        if p.message not in seen:
            seen.add(p.message)
            out.append(p)
    return out


def problems_of(models: Any) -> list[Problem]:
    """Shortcut for editors and tests: the problems of a loaded Models."""
    return run(models).problems
