"""``Problem``: one thing wrong with a user's models, in a form every tool can print.

The ORM's configure-time checks raise exceptions; the tools (``tether check``, editors, CI)
need each mistake as a record: a stable code, where it was written (``file:line``), the
classes and attributes involved, what is wrong and how to fix it. The record itself is
:class:`tether.orm.diagnostics.Problem` (re-exported here); this module owns the conversion
from whatever the ORM raises or warns into a list of them.

The contract for the ORM (so richer diagnostics plug in without touching the CLI): raise an
exception whose ``problems`` attribute is a list of :class:`Problem` objects, of exceptions,
or of exceptions carrying a ``problem`` attribute. Anything else is still reported, one
problem per exception, with the file and line read from its message when it names one.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import replace

# The record is the ORM's, so its configure-time diagnostics reach the tools unchanged.
from tether.orm.diagnostics import ERROR, WARNING, Problem

__all__ = ["Problem", "from_exception", "from_warning", "summary_line"]

# "declared at models.py:12" or "(models.py:12)" inside an exception text.
_WHERE_RE = re.compile(r"(?:declared at |\()(?P<file>[^\s():]+\.py):(?P<line>\d+)")
_DECLARED_RE = re.compile(r"\s*\(declared at [^)]*\)")
# "relationship Parent.children" names the class and attribute a message is about.
_ATTR_RE = re.compile(r"\b(?:relationship|attribute|property) (?P<cls>[A-Za-z_]\w*)\.(?P<attr>\w+)")


def _from_plain_exception(error: BaseException, severity: str = ERROR) -> Problem:
    text = str(error).strip() or type(error).__name__
    where = _WHERE_RE.search(text)
    fix = None
    # Messages of the form "...; do X" or "... Fix: do X" carry their fix after a marker.
    for marker in (" Fix: ", " fix: "):
        if marker in text:
            text, fix = text.split(marker, 1)
            break
    if fix is None and "; " in text:
        # tether's messages say what is wrong, then "; " and what to do about it.
        text, fix = text.split("; ", 1)
    text = _DECLARED_RE.sub("", text)
    code = getattr(error, "code", None)
    if not isinstance(code, str) or not code:
        code = type(error).__name__
    classes = tuple(getattr(error, "classes", ()) or ())
    attributes = tuple(getattr(error, "attributes", ()) or ())
    if not attributes:
        found = _ATTR_RE.findall(text)
        attributes = tuple(dict.fromkeys(f"{c}.{a}" for c, a in found))
        if not classes:
            classes = tuple(dict.fromkeys(c for c, _ in found))
    return Problem(
        code=code,
        message=text,
        fix=getattr(error, "fix", None) or fix,
        file=where.group("file") if where else None,
        line=int(where.group("line")) if where else None,
        classes=classes,
        attributes=attributes,
        severity=severity,
    )


def from_exception(error: BaseException, severity: str = ERROR) -> list[Problem]:
    """Every problem an exception stands for (one, or its ``problems`` list)."""
    single = getattr(error, "problem", None)
    if isinstance(single, Problem):
        return [single]
    items = getattr(error, "problems", None)
    if isinstance(items, (list, tuple)) and items:
        out: list[Problem] = []
        for item in items:
            if isinstance(item, Problem):
                out.append(item)
            elif isinstance(item, BaseException):
                out.extend(from_exception(item, severity))
            else:
                out.append(Problem(code="problem", message=str(item), severity=severity))
        return out
    return [_from_plain_exception(error, severity)]


def from_warning(message: warnings.WarningMessage) -> list[Problem]:
    """Problems for one recorded warning (severity ``warning``)."""
    warned = message.message
    if isinstance(warned, Warning):
        found = from_exception(warned, WARNING)
    else:
        found = [Problem(code="warning", message=str(warned), severity=WARNING)]
    out = []
    for p in found:
        if p.file is None and message.filename:
            p = replace(p, file=message.filename, line=message.lineno)
        out.append(p)
    return out


def summary_line(problems: list[Problem], classes: int) -> str:
    """``3 errors, 1 warning in 5 mapped classes`` / ``no problems in 5 mapped classes``."""
    errors = sum(1 for p in problems if p.severity == ERROR)
    warns = len(problems) - errors
    where = f"in {classes} mapped class{'es' if classes != 1 else ''}"
    if not problems:
        return f"no problems found {where}"
    parts = []
    if errors:
        parts.append(f"{errors} error{'s' if errors != 1 else ''}")
    if warns:
        parts.append(f"{warns} warning{'s' if warns != 1 else ''}")
    return f"{', '.join(parts)} {where}"
