"""The ``tether`` command: ``check``, ``erd`` and ``diff`` on a project's models.

Each command takes a TARGET (``pkg.models``, ``path/to/models.py``, or either with
``:Base``). Failures the user can fix (an import error in the models file, no models, a
database that cannot be reached, Graphviz missing) are one line on stderr; ``--debug``
adds the traceback. Exit status: 0 when all is well, 1 when problems or differences were
found or a command failed, 2 for a mistake on the command line.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence
from typing import Any

__all__ = ["main"]

_EXAMPLES = """\
examples:
  tether check shop/models.py                      every relationship problem, then a summary
  tether check shop.models:Base --format json      the same, as JSON for editors and CI
  tether erd shop/models.py -o schema.md            a Mermaid diagram (renders on GitHub)
  tether erd shop/models.py --format png -o erd.png through Graphviz's dot
  tether diff shop/models.py --url sqlite:///shop.db           what differs, and the SQL
  tether diff shop/models.py --url postgresql://host/db --apply  run the additive part
"""

_CHECK_HELP = """\
Import the models, configure their relationships, and print every problem found: the
code, file:line, the classes and attributes involved, what is wrong and how to fix it;
then a one-line summary. Exit status 1 when there is an error.

example:
  tether check shop/models.py
  tether check shop.models:Base --format json
"""

_ERD_HELP = """\
Draw an entity-relationship diagram: tables with their columns (type, PK, FK, NULL/NOT
NULL) and relationships with their cardinality (one-to-many, one-to-one, many-to-many
through an association table; association objects are boxes of their own). Mermaid text
renders on GitHub as it is; svg and png need Graphviz's `dot` (apt-get install graphviz).

example:
  tether erd shop/models.py > erd.mmd
  tether erd shop.models:Base --format svg -o erd.svg --exclude 'audit_*'
"""

_DIFF_HELP = """\
Compare the models with a live database (SQLite or PostgreSQL): schemas, tables, columns,
types, nullability, defaults, primary and foreign keys, unique constraints and indexes.
Prints each difference and the SQL that would reconcile it. With --apply, runs the
additive part (new schemas, tables, columns, indexes, constraints the database can add) in
one transaction; anything that would drop or narrow data is printed, never run.
Exit status 0 when the database matches (after --apply), 1 when differences remain.

example:
  tether diff shop/models.py --url sqlite:///shop.db
  tether diff shop.models:Base --url postgresql://user@host/shop --apply
"""


class _Failure(Exception):
    """A failure reported as one line (``--debug`` adds the cause's traceback)."""


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show the full traceback of a failure")
    parser = argparse.ArgumentParser(
        prog="tether",
        description="Check, draw and diff the models of a tether (SQLAlchemy-style) project.",
        epilog=_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    raw = argparse.RawDescriptionHelpFormatter
    target_help = "module path (pkg.models), file path (app/models.py), optionally :Base"

    check = sub.add_parser("check", help="report every problem in the models' relationships",
                           description=_CHECK_HELP, formatter_class=raw, parents=[common])
    check.add_argument("target", metavar="TARGET", help=target_help)
    check.add_argument("--format", choices=("text", "json"), default="text",
                       help="text (default) or json")

    erd = sub.add_parser("erd", help="draw an entity-relationship diagram",
                         description=_ERD_HELP, formatter_class=raw, parents=[common])
    erd.add_argument("target", metavar="TARGET", help=target_help)
    erd.add_argument("--format", choices=("mermaid", "dot", "svg", "png"), default=None,
                     help="mermaid (default; or from the -o file's extension), dot, svg, png")
    erd.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    erd.add_argument("--include", action="append", metavar="NAMES",
                     help="only these tables or classes (comma-separated, patterns allowed)")
    erd.add_argument("--exclude", action="append", metavar="NAMES",
                     help="leave out these tables or classes (comma-separated, patterns allowed)")

    diff = sub.add_parser("diff", help="compare the models with a live database",
                          description=_DIFF_HELP, formatter_class=raw, parents=[common])
    diff.add_argument("target", metavar="TARGET", help=target_help)
    diff.add_argument("--url", default=os.environ.get("TETHER_DATABASE_URL"),
                      help="database URL (default: $TETHER_DATABASE_URL)")
    diff.add_argument("--apply", action="store_true",
                      help="run the additive changes in one transaction")
    return parser


def _names(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    return [n.strip() for v in values for n in v.split(",") if n.strip()]


def _load(target: str) -> Any:
    from tether.tools.loader import LoadError, load

    try:
        return load(target)
    except LoadError as error:
        raise _Failure(str(error)) from error


def _cmd_check(args: argparse.Namespace) -> int:
    from tether.tools.check import run

    try:
        models = _load(args.target)
    except _Failure as failure:
        if args.format == "json":
            import json

            sys.stdout.write(json.dumps({"target": args.target, "ok": False,
                                         "error": str(failure), "problems": []}, indent=2) + "\n")
            if getattr(args, "debug", False):
                traceback.print_exception(failure.__cause__ or failure, file=sys.stderr)
            return 1
        raise
    result = run(models)
    sys.stdout.write(result.json() if args.format == "json" else result.text())
    return 0 if result.ok else 1


_EXT_FORMATS = {".png": "png", ".svg": "svg", ".dot": "dot", ".gv": "dot", ".mmd": "mermaid",
                ".md": "mermaid", ".mermaid": "mermaid"}


def _cmd_erd(args: argparse.Namespace) -> int:
    from tether.tools.erd import ErdError, render

    fmt = args.format
    if fmt is None:
        ext = os.path.splitext(args.output or "")[1].lower()
        fmt = _EXT_FORMATS.get(ext, "mermaid")
    if fmt == "png" and not args.output and sys.stdout.isatty():
        raise _Failure("a PNG is binary: write it to a file with -o erd.png")
    models = _load(args.target)
    try:
        out = render(models, format=fmt, include=_names(args.include),
                     exclude=_names(args.exclude))
    except ErdError as error:
        raise _Failure(str(error)) from error
    if args.output and args.output != "-":
        if isinstance(out, bytes):
            with open(args.output, "wb") as fh:
                fh.write(out)
        else:
            text = out
            if fmt == "mermaid" and args.output.lower().endswith(".md"):
                text = f"```mermaid\n{out}```\n"  # GitHub renders a fenced mermaid block
            with open(args.output, "w", encoding="utf-8") as fh:
                fh.write(text)
        print(f"wrote {fmt} diagram to {args.output}", file=sys.stderr)
    elif isinstance(out, bytes):
        sys.stdout.buffer.write(out)
        sys.stdout.flush()
    else:
        sys.stdout.write(out)
    return 0


def _cmd_diff(args: argparse.Namespace) -> int:
    from tether import exc
    from tether.engine import create_engine
    from tether.tools import diff

    if not args.url:
        raise _Failure("give the database to compare with: --url URL (or set "
                       "TETHER_DATABASE_URL)")
    models = _load(args.target)
    try:
        engine = create_engine(args.url)
    except exc.TetherError as error:
        raise _Failure(f"bad --url {args.url!r}: {error}") from error
    shown = _hide_password(args.url)
    try:
        try:
            result = diff.compare(models.metadata(), engine)
        except exc.DBAPIError as error:
            raise _Failure(f"cannot read the database at {shown}: {_first_line(error)}") from error
        if args.apply and result.applicable:
            try:
                diff.apply(result, engine)
            except exc.DBAPIError as error:
                raise _Failure(f"--apply failed and changed nothing (rolled back): "
                               f"{_first_line(error)}") from error
            sys.stdout.write(diff.format_report(result, args.target, shown, applied=True))
            remaining = diff.compare(models.metadata(), engine)
            n = len(result.applicable)
            print(f"applied {n} change{'s' if n != 1 else ''}; {len(remaining.changes)} "
                  f"difference{'s' if len(remaining.changes) != 1 else ''} left to do by hand")
            return 0 if not remaining.changes else 1
        sys.stdout.write(diff.format_report(result, args.target, shown))
        return 0 if not result.changes else 1
    finally:
        engine.dispose()


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def _hide_password(url: str) -> str:
    try:
        from tether.engine.url import make_url

        u = make_url(url)
        if getattr(u, "password", None):
            return url.replace(f":{u.password}@", ":***@")
    except Exception:
        pass
    return url


_COMMANDS = {"check": _cmd_check, "erd": _cmd_erd, "diff": _cmd_diff}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``tether`` command with ``argv`` (default: ``sys.argv[1:]``); returns the
    exit status."""
    parser = _parser()
    args = parser.parse_args(list(argv) if argv is not None else None)
    if not args.command:
        parser.print_help(sys.stderr)
        return 2
    debug = getattr(args, "debug", False)
    try:
        return _COMMANDS[args.command](args)
    except _Failure as failure:
        if debug and failure.__cause__ is not None:
            traceback.print_exception(failure.__cause__, file=sys.stderr)
        print(f"tether {args.command}: error: {failure}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # an unexpected failure: still one line unless --debug
        if debug:
            traceback.print_exc()
        print(f"tether {args.command}: error: {type(error).__name__}: {_first_line(error)} "
              f"(run with --debug for the traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
