"""Configure-time relationship diagnostics: every mistake in a set of mappings, at once.

:func:`check_registry` reads each relationship's *declared* arguments (target, secondary,
foreign_keys, back_populates, backref, uselist...) together with the Tables and their
ForeignKeys, and returns one :class:`Problem` per mistake. It never relies on a relationship
having been set up, so one broken relationship does not hide the others; and when it cannot
tell (a ``primaryjoin=`` expression, a lambda that fails) it says nothing and leaves the
error to the relationship's own configuration.

This module also owns :class:`Problem` (the record ``tether check`` prints) and
:class:`RelationshipConfigurationError`, raised by :func:`raise_for_problems` when the
mappers are configured. The codes are stable and documented in ``docs/diagnostics.md``.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from tether import exc

__all__ = [
    "CODES",
    "Problem",
    "RelationshipConfigurationError",
    "check_registry",
    "raise_for_problems",
]

ERROR = "error"
WARNING = "warning"

#: code -> short name; a code never changes meaning once published.
CODES: dict[str, str] = {
    "TR001": "no-foreign-key",
    "TR002": "ambiguous-foreign-keys",
    "TR003": "back-populates-missing",
    "TR004": "back-populates-mismatch",
    "TR005": "back-populates-same-direction",
    "TR006": "backref-collision",
    "TR007": "unresolved-class-name",
    "TR008": "secondary-not-a-table",
    "TR009": "secondary-missing-foreign-key",
    "TR010": "self-referential-secondary-needs-joins",
    "TR011": "foreign-key-target-not-unique",
    "TR012": "uselist-false-on-many",
    "TR013": "overlapping-relationships",
    "TR014": "unknown-attribute-in-string",
}


@dataclass(frozen=True)
class Problem:
    """One mistake in the models.

    ``code`` is stable and short (``"TR001"``): editors and CI filter on it. ``classes``
    and ``attributes`` name the classes and ``Class.attr`` the fix touches (both sides of a
    relationship when both must change). ``fix`` says what to write instead.
    """

    code: str
    message: str
    fix: str | None = None
    file: str | None = None
    line: int | None = None
    classes: tuple[str, ...] = field(default_factory=tuple)
    attributes: tuple[str, ...] = field(default_factory=tuple)
    severity: str = ERROR

    @property
    def location(self) -> str:
        """``file:line``, ``file``, or an empty string when unknown."""
        if self.file and self.line:
            return f"{self.file}:{self.line}"
        return self.file or ""

    def format_line(self) -> str:
        """The problem as one line: ``file:line: CODE error: message [A.x, B.y] Fix: ...``."""
        parts = []
        if self.location:
            parts.append(f"{self.location}:")
        parts.append(f"{self.code} {self.severity}:")
        parts.append(" ".join(self.message.split()))
        if self.attributes:
            parts.append(f"[{', '.join(self.attributes)}]")
        elif self.classes:
            parts.append(f"[{', '.join(self.classes)}]")
        if self.fix:
            parts.append(f"Fix: {' '.join(self.fix.split())}")
        return " ".join(parts)

    def format_block(self) -> str:
        """The problem as a few lines, for exception texts and terminals."""
        head = f"{self.code} {self.severity}"
        if self.location:
            head += f" at {self.location}"
        if self.attributes:
            head += f" ({', '.join(self.attributes)})"
        lines = [head, f"    {self.message}"]
        if self.fix:
            lines.append(f"    Fix: {self.fix}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (tuples become lists)."""
        data = asdict(self)
        data["classes"] = list(self.classes)
        data["attributes"] = list(self.attributes)
        return data


class RelationshipConfigurationError(exc.ArgumentError, exc.InvalidRequestError):
    """The mapped classes have relationship mistakes; ``problems`` lists every one.

    The raised object is also an instance of the error SQLAlchemy users catch for each kind
    of mistake (``NoForeignKeysError``, ``AmbiguousForeignKeysError``, ...).
    """

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__(self._text())

    def _text(self) -> str:
        errors = [p for p in self.problems if p.severity == ERROR]
        n = len(errors)
        head = f"{n} relationship problem{'s' if n != 1 else ''} in the mapped classes:"
        return head + "\n\n" + "\n\n".join(p.format_block() for p in self.problems)

    def __reduce__(self) -> Any:
        return (RelationshipConfigurationError, (self.problems,))


# Which SQLAlchemy-compatible exception each error code also is.
_COMPAT: dict[str, type[Exception]] = {
    "TR001": exc.NoForeignKeysError,
    "TR002": exc.AmbiguousForeignKeysError,
    "TR009": exc.NoForeignKeysError,
}
_ERROR_CLASSES: dict[tuple[type[Exception], ...], type[RelationshipConfigurationError]] = {}


def _error_class(problems: Sequence[Problem]) -> type[RelationshipConfigurationError]:
    extra = tuple(dict.fromkeys(_COMPAT[p.code] for p in problems if p.code in _COMPAT))
    if not extra:
        return RelationshipConfigurationError
    cls = _ERROR_CLASSES.get(extra)
    if cls is None:
        cls = type("RelationshipConfigurationError", (RelationshipConfigurationError, *extra),
                   {"__module__": __name__})
        _ERROR_CLASSES[extra] = cls
    return cls


def raise_for_problems(mappers: Iterable[Any]) -> None:
    """Check ``mappers``; warn each warning and raise every error in one exception."""
    problems = check_registry(mappers)
    errors = [p for p in problems if p.severity == ERROR]
    for p in problems:
        if p.severity != ERROR:
            warning = exc.RelationshipWarning(p.format_block())
            warning.problem = p  # type: ignore[attr-defined]
            if p.file and p.line:
                # shown at the relationship() line, where the fix goes, not inside tether
                warnings.warn_explicit(warning, exc.RelationshipWarning, p.file, p.line,
                                       module=p.file.rsplit("/", 1)[-1].removesuffix(".py"))
            else:
                warnings.warn(warning, stacklevel=4)
    if errors:
        raise _error_class(errors)(errors)


# --- helpers ------------------------------------------------------------------------------
def _difflib() -> Any:
    import difflib  # for suggestions in problem reports: a clean configure never needs it

    return difflib


def _where(prop: Any) -> tuple[str | None, int | None]:
    at = getattr(prop, "declared_at", None)
    return (at[0], at[1]) if at else (None, None)


def _tname(table: Any) -> str:
    schema = getattr(table, "schema", None)
    return f"{schema}.{table.name}" if schema else str(table.name)


def _cname(col: Any) -> str:
    table = getattr(col, "table", None)
    return f"{table.name}.{col.name}" if table is not None else str(col.name)


def _fk_target(fk: Any) -> Any:
    """The referenced column, or None when it cannot be resolved (reported elsewhere)."""
    try:
        return fk.column
    except Exception:
        return None


def _fks_between(from_table: Any, to_table: Any, only: set[Any] | None) -> list[Any]:
    out = []
    for fk in from_table.foreign_keys:
        target = _fk_target(fk)
        if target is not None and target.table is to_table and (only is None or fk.parent in only):
            out.append(fk)
    return out


def _groups(fks: list[Any]) -> list[list[Any]]:
    """Foreign keys grouped by constraint (a composite key is one way to join)."""
    groups: dict[int, list[Any]] = {}
    for fk in fks:
        constraint = getattr(fk, "constraint", None)
        groups.setdefault(id(constraint) if constraint is not None else id(fk), []).append(fk)
    return list(groups.values())


def _describe(fks: Iterable[Any]) -> str:
    return ", ".join(f"{_cname(fk.parent)} -> {_cname(_fk_target(fk))}" for fk in fks)


def _attr_for(col: Any, mappers_by_table: dict[Any, Any]) -> str:
    """``Class.attr`` for a column when a class maps its table, else ``table.c.name``."""
    mapper = mappers_by_table.get(col.table)
    if mapper is not None:
        prop = mapper.columntoproperty.get(col)
        if prop is not None:
            return f"{mapper.class_.__name__}.{prop.key}"
    return f"{col.table.name}.c.{col.key}"


def _singular(name: str) -> str:
    if name.endswith("ies"):
        return name[:-3] + "y"
    if name.endswith("ses") or name.endswith("xes"):
        return name[:-2]
    if name.endswith("s") and not name.endswith("ss"):
        return name[:-1]
    return name


def _type_name(col: Any) -> str:
    return type(getattr(col, "type", None)).__name__


def _pk_cols(table: Any) -> list[Any]:
    pk = table.primary_key
    return list(getattr(pk, "columns", pk))


def _unique_sets(table: Any) -> list[frozenset[Any]]:
    """Every set of columns the table keeps unique (primary key, constraints, indexes)."""
    from tether.sql.schema import UniqueConstraint

    sets = []
    pk = _pk_cols(table)
    if pk:
        sets.append(frozenset(pk))
    for col in table.c:
        if getattr(col, "unique", None) or getattr(col, "primary_key", False) and len(pk) <= 1:
            sets.append(frozenset([col]))
    for con in getattr(table, "constraints", []):
        if isinstance(con, UniqueConstraint):
            sets.append(frozenset(con.columns))
    for index in getattr(table, "indexes", []):
        if getattr(index, "unique", False):
            sets.append(frozenset(c for c in index.columns if getattr(c, "table", None) is table))
    return [s for s in sets if s]


def _is_unique(cols: Iterable[Any]) -> bool:
    cols = frozenset(cols)
    if not cols:
        return True
    table = next(iter(cols)).table
    # the usual case first: a foreign key to the primary key (the first of the table's
    # unique sets), without building the others
    pk = _pk_cols(table)
    if pk and cols.issuperset(pk):
        return True
    return any(s <= cols for s in _unique_sets(table))


def _names(value: Any) -> set[str]:
    if not value:
        return set()
    if isinstance(value, str):
        return {v.strip() for v in re.split(r"[,\s]+", value) if v.strip()}
    return {str(v) for v in value}


def _class_names(reg: Any) -> list[str]:
    return sorted(k for k in getattr(reg, "_class_registry", {}) if "." not in k)


# --- the analysis -------------------------------------------------------------------------
@dataclass
class _Rel:
    """What the checks learn about one declared relationship (or the backref it declares)."""

    prop: Any
    owner: Any  # Mapper
    key: str
    target: Any = None  # Mapper, when resolved
    secondary: Any = None  # Table
    direction: str | None = None  # "o2m", "m2o", "m2m"
    fks: list[Any] = field(default_factory=list)  # the foreign keys the join uses
    back_populates: str | None = None
    overlaps: set[str] = field(default_factory=set)
    viewonly: bool = False
    uselist: Any = None
    partner: _Rel | None = None  # the backref pair
    custom_join: bool = False

    @property
    def name(self) -> str:
        return f"{self.owner.class_.__name__}.{self.key}"

    def written_columns(self) -> set[Any]:
        """The columns a flush of this relationship writes."""
        if self.viewonly or self.custom_join:
            return set()
        return {fk.parent for fk in self.fks}


class _Checker:
    def __init__(self, mappers: list[Any]) -> None:
        self.mappers = mappers
        self.problems: list[Problem] = []
        self.by_table: dict[Any, Any] = {}
        for m in mappers:
            self.by_table.setdefault(m.local_table, m)
        self.rels: list[_Rel] = []
        self.checked_fks: set[int] = set()
        self.rank: list[int] = []
        self.order: dict[int, int] = {}
        # id(prop) -> the first _Rel of that relationship: one lookup per back_populates
        # instead of a scan of every relationship (quadratic in a big registry)
        self.by_prop: dict[int, _Rel] = {}

    def add(self, rel: _Rel, code: str, message: str, fix: str | None,
            attributes: Sequence[str] = (), severity: str = ERROR) -> None:
        file, line = _where(rel.prop)
        attrs = tuple(dict.fromkeys(attributes or (rel.name,)))
        classes = tuple(dict.fromkeys(a.split(".")[0] for a in attrs))
        self.problems.append(Problem(code, message, fix, file, line, classes, attrs, severity))
        self.rank.append(self.order.get(id(rel.prop), len(self.order)))

    # -- target and secondary --
    def resolve_target(self, rel: _Rel) -> Any:
        prop = rel.prop
        arg = prop.argument if prop.argument is not None else prop._annotation_target
        if arg is None:
            return None
        reg = rel.owner.registry
        name = getattr(arg, "name", arg) if type(arg).__name__ == "_Forward" else arg
        try:
            cls = reg.resolve(name, prop)
        except Exception:
            if isinstance(name, str) and re.fullmatch(r"[\w.]+", name.strip()):
                self.unresolved(rel, name.strip())
            return None
        return getattr(cls, "__mapper__", None)

    def unresolved(self, rel: _Rel, name: str) -> None:
        reg = rel.owner.registry
        known = _class_names(reg)
        if isinstance(reg._class_registry.get(name), list):
            return  # an ambiguous name: the relationship's own error explains it
        lowered = {k.lower(): k for k in known}
        close = _difflib().get_close_matches(name, known, n=3, cutoff=0.5)
        if name.lower() in lowered and lowered[name.lower()] not in close:
            close.insert(0, lowered[name.lower()])
        for table_name, table in reg.metadata.tables.items():
            if _difflib().get_close_matches(name, [table_name], n=1, cutoff=0.75):
                m = self.by_table.get(table)
                if m is not None and m.class_.__name__ not in close:
                    close.append(m.class_.__name__)
        if close:
            fix = f"write relationship({close[0]!r}, ...)"
            if len(close) > 1:
                fix += " (or one of " + ", ".join(repr(c) for c in close[1:]) + ")"
        else:
            fix = "define the class, or check the spelling; names are case-sensitive"
        self.add(rel, "TR007",
                 f"{rel.name} names the class {name!r}, but no mapped class has that name "
                 f"(mapped classes: {', '.join(known) or 'none'}).", fix)

    def resolve_secondary(self, rel: _Rel) -> Any:
        sec = rel.prop.secondary
        if sec is None:
            return None
        if hasattr(sec, "c"):
            return sec
        metadata = rel.owner.registry.metadata
        if callable(sec) and not isinstance(sec, str):
            try:
                sec = sec()
            except Exception:
                return None
            if hasattr(sec, "c"):
                return sec
        if not isinstance(sec, str):
            return None
        name = sec.strip()
        if name in metadata.tables:
            return metadata.tables[name]
        if not re.fullmatch(r"[\w.]+", name):
            return None  # an expression: the relationship's own configuration evaluates it
        close = _difflib().get_close_matches(name, list(metadata.tables), n=3, cutoff=0.5)
        if rel.owner.registry._class_registry.get(name) is not None:
            cls = rel.owner.registry._class_registry[name]
            table = getattr(cls, "__table__", None)
            fix = (f"name the table instead: secondary={table.name!r}" if table is not None
                   else "name an association Table")
            what = "a class, not a table"
        else:
            fix = (f"write secondary={close[0]!r}" if close
                   else "define the association Table on the same MetaData before configuring")
            what = "not a table of this MetaData"
        self.add(rel, "TR008", f"{rel.name} has secondary={name!r}, which is {what} "
                 f"(tables: {', '.join(sorted(metadata.tables)) or 'none'}).", fix)
        return None

    def columns_arg(self, rel: _Rel, value: Any) -> list[Any] | None:
        if value is None:
            return None
        try:
            return list(rel.prop._resolve_columns(value))
        except Exception:
            return None

    # -- strings naming attributes that do not exist --
    def check_strings(self, rel: _Rel) -> None:
        """``foreign_keys="Message.sendr_id"``: a typo found without evaluating anything."""
        prop = rel.prop
        reg = rel.owner.registry
        for keyword, value in (("foreign_keys", prop.foreign_keys_arg),
                               ("remote_side", prop.remote_side_arg),
                               ("primaryjoin", prop.primaryjoin),
                               ("secondaryjoin", prop.secondaryjoin),
                               ("order_by", prop.order_by)):
            if not isinstance(value, str):
                continue
            for cname, attr in re.findall(r"(?<![\w.])([A-Za-z_]\w*)\.([A-Za-z_]\w*)\b(?!\s*\()",
                                          value):
                cls = reg._class_registry.get(cname)
                mapper = getattr(cls, "__mapper__", None)
                if mapper is None or attr in mapper.attrs or hasattr(cls, attr):
                    continue
                close = _difflib().get_close_matches(attr, list(mapper.attrs.keys()), n=3, cutoff=0.5)
                self.add(rel, "TR014",
                         f"{rel.name} has {keyword}={value!r}, but {cname} has no attribute "
                         f"{attr!r} (its attributes: {', '.join(mapper.attrs.keys())}).",
                         (f"write {cname}.{close[0]}" if close
                          else f"name an attribute of {cname}"))

    # -- join inference (mirrors relationships.infer_join, but reports instead of raising) --
    def infer(self, rel: _Rel) -> None:
        prop = rel.prop
        parent, target = rel.owner.local_table, rel.target.local_table
        only_list = self.columns_arg(rel, prop.foreign_keys_arg)
        if prop.foreign_keys_arg is not None and only_list is None:
            return  # cannot evaluate foreign_keys=: the relationship reports it
        only = set(only_list) if only_list else None
        if rel.secondary is not None:
            self.infer_secondary(rel, parent, target, only)
            return
        onetomany = _fks_between(target, parent, only)
        manytoone = _fks_between(parent, target, only)
        tclass = rel.target.class_.__name__
        if parent is target:
            if not onetomany:
                self.no_fk(rel, parent, target)
                return
            groups = _groups(onetomany)
            if len(groups) > 1:
                self.ambiguous(rel, groups)
                return
            remote_list = self.columns_arg(rel, prop.remote_side_arg)
            if prop.remote_side_arg is not None and remote_list is None:
                return  # cannot evaluate remote_side=, so the direction is unknown
            remote = set(remote_list or [])
            m2o = any(_fk_target(fk) in remote for fk in groups[0])
            rel.direction, rel.fks = ("m2o" if m2o else "o2m"), groups[0]
            return
        if onetomany and manytoone:
            both = onetomany + manytoone
            self.add(rel, "TR002",
                     f"{rel.name} -> {tclass}: {parent.name} and {target.name} have foreign "
                     f"keys to each other ({_describe(both)}), so either could join them.",
                     "pick one with foreign_keys=[...], for example foreign_keys=["
                     f"{_attr_for(manytoone[0].parent, self.by_table)}] (many-to-one) or "
                     f"foreign_keys=[{_attr_for(onetomany[0].parent, self.by_table)}] "
                     "(one-to-many)")
            return
        if not onetomany and not manytoone:
            self.no_fk(rel, parent, target)
            return
        fks, direction = (onetomany, "o2m") if onetomany else (manytoone, "m2o")
        groups = _groups(fks)
        if len(groups) > 1:
            self.ambiguous(rel, groups)
            return
        rel.direction, rel.fks = direction, groups[0]

    def ambiguous(self, rel: _Rel, groups: list[list[Any]]) -> None:
        fks = [fk for g in groups for fk in g]
        # the candidate whose column name is closest to the attribute name goes first
        cands = sorted(groups, key=lambda g: -_difflib().SequenceMatcher(
            None, rel.key, g[0].parent.name).ratio())
        pick = ", ".join(_attr_for(fk.parent, self.by_table) for fk in cands[0])
        tables = {fks[0].parent.table.name, _fk_target(fks[0]).table.name}
        self.add(rel, "TR002",
                 f"{rel.name} -> {rel.target.class_.__name__}: {len(groups)} foreign keys "
                 f"could join {' and '.join(sorted(tables))} ({_describe(fks)}).",
                 f"say which one with foreign_keys=[{pick}]")

    def no_fk(self, rel: _Rel, parent: Any, target: Any) -> None:
        tclass = rel.target.class_.__name__
        cands = self.fk_candidates(rel, parent, target)
        same = parent is target
        what = (f"no foreign key of {parent.name} points at {parent.name} itself" if same else
                f"no foreign key joins {parent.name} and {target.name}")
        if cands:
            col, ref = cands[0]
            listed = ", ".join(f"{_cname(c)} ({_type_name(c)})" for c, _ in cands)
            message = (f"{rel.name} -> {tclass}: {what}; {listed} could, but "
                       f"{'has' if len(cands) == 1 else 'have'} no ForeignKey.")
            owner, _, attr = _attr_for(col, self.by_table).rpartition(".")
            fix = (f"add the foreign key, in {owner}: {attr} = Column({_type_name(col)}, "
                   f"ForeignKey({_tname(ref.table) + '.' + ref.name!r}))")
        else:
            message = f"{rel.name} -> {tclass}: {what}."
            if same:
                fix = (f"add a column such as parent_id = Column(Integer, "
                       f"ForeignKey({_tname(parent) + '.id'!r})) to {parent.name}")
            else:
                pk = _pk_cols(target)
                ppk = _pk_cols(parent)
                fix = (f"add a column with ForeignKey("
                       f"{_tname(target) + '.' + (pk[0].name if pk else 'id')!r}) to "
                       f"{parent.name} (many-to-one), or one with ForeignKey("
                       f"{_tname(parent) + '.' + (ppk[0].name if ppk else 'id')!r}) to "
                       f"{target.name} (one-to-many)")
        self.add(rel, "TR001", message, fix)

    def fk_candidates(self, rel: _Rel, parent: Any, target: Any) -> list[tuple[Any, Any]]:
        """Columns without a ForeignKey that look like they should reference the other table:
        ``(column, referenced primary key column)``."""
        out: list[tuple[Any, Any]] = []
        for holder, referenced, hints in (
            (target, parent, {parent.name, _singular(parent.name),
                              rel.owner.class_.__name__.lower(), rel.prop.back_populates or ""}),
            (parent, target, {target.name, _singular(target.name),
                              rel.target.class_.__name__.lower(), rel.key, _singular(rel.key)}),
        ):
            pk = _pk_cols(referenced)
            if len(pk) != 1:
                continue
            ref = pk[0]
            named = {f"{h.lower()}_{ref.name}" for h in hints if h} | {
                f"{h.lower()}_id" for h in hints if h} | {f"{h.lower()}id" for h in hints if h}
            for col in holder.c:
                if col.foreign_keys or col is ref or col in _pk_cols(holder) and holder is not referenced:
                    continue
                if col.name.lower() in named and _type_name(col) == _type_name(ref):
                    if (col, ref) not in out:
                        out.append((col, ref))
            if holder is referenced:
                break
        return out

    def infer_secondary(self, rel: _Rel, parent: Any, target: Any, only: set[Any] | None) -> None:
        sec = rel.secondary
        prop = rel.prop
        if parent is target:
            if prop.primaryjoin is None or prop.secondaryjoin is None:
                self.add(rel, "TR010",
                         f"{rel.name} is a many-to-many from {parent.name} to itself through "
                         f"{sec.name}, so the foreign keys alone cannot say which column of "
                         f"{sec.name} is the parent and which the child.",
                         "give both primaryjoin= and secondaryjoin=, for example "
                         f"primaryjoin=id == {sec.name}.c.<left_id>, secondaryjoin=id == "
                         f"{sec.name}.c.<right_id>")
            return
        to_parent = _fks_between(sec, parent, only)
        to_target = _fks_between(sec, target, only)
        missing = [t for t, fks in ((parent, to_parent), (target, to_target)) if not fks]
        if missing:
            reached = [t.name for t in (parent, target) if t not in missing]
            names = " and ".join(t.name for t in missing)
            cands = []
            for t in missing:
                pk = _pk_cols(t)
                hint = {t.name, _singular(t.name)}
                for col in sec.c:
                    if not col.foreign_keys and any(
                            col.name.lower() in (f"{h}_id", f"{h}_{pk[0].name}" if pk else "")
                            for h in hint):
                        cands.append((col, t))
            message = (f"{rel.name}: the secondary table {sec.name} has no foreign key to "
                       f"{names}" + (f" (it reaches only {reached[0]})" if reached else "")
                       + ", so it cannot link the two ends.")
            if cands:
                col, t = cands[0]
                pk = _pk_cols(t)
                fix = (f"give {sec.name}.{col.name} a foreign key: Column({col.name!r}, "
                       f"{_type_name(col)}, ForeignKey("
                       f"{_tname(t) + '.' + (pk[0].name if pk else 'id')!r}))")
            else:
                t = missing[0]
                pk = _pk_cols(t)
                fix = (f"add a column to {sec.name} with ForeignKey("
                       f"{_tname(t) + '.' + (pk[0].name if pk else 'id')!r})")
            self.add(rel, "TR009", message, fix)
            return
        for fks, end in ((to_parent, parent), (to_target, target)):
            groups = _groups(fks)
            if len(groups) > 1 and (prop.primaryjoin is None if end is parent
                                    else prop.secondaryjoin is None):
                self.add(rel, "TR002",
                         f"{rel.name}: {len(groups)} foreign keys of the secondary table "
                         f"{sec.name} point at {end.name} ({_describe(fks)}).",
                         "say which one with "
                         + ("primaryjoin=" if end is parent else "secondaryjoin=")
                         + f"..., or foreign_keys=[{sec.name}.c.{groups[0][0].parent.name}, ...]")
                return
        rel.direction = "m2m"
        rel.fks = _groups(to_parent)[0] + _groups(to_target)[0]

    # -- foreign keys to columns that are not unique --
    def check_fk_targets(self, rel: _Rel) -> None:
        for group in _groups(rel.fks):
            constraint = getattr(group[0], "constraint", None)
            key = id(constraint) if constraint is not None else id(group[0])
            if key in self.checked_fks:
                continue
            self.checked_fks.add(key)
            refs = [_fk_target(f) for f in group]
            if any(r is None for r in refs) or _is_unique(refs):
                continue
            # A warning, not an error: the mapping itself works (SQLAlchemy configures it),
            # it is the database that refuses the constraint.
            ref_table = refs[0].table
            pk = _pk_cols(ref_table)
            target = ", ".join(_cname(r) for r in refs)
            fix_target = ", ".join(_tname(ref_table) + "." + c.name for c in pk)
            self.add(rel, "TR011",
                     f"{rel.name} joins through the foreign key {_describe(group)}, but "
                     f"{target} is neither a primary key nor unique; PostgreSQL "
                     "refuses to create it (\"there is no unique constraint matching given "
                     "keys\") and SQLite reports a foreign key mismatch on the first write.",
                     f"point it at the primary key: ForeignKey({fix_target!r})"
                     + (f", or make {target} unique" if len(refs) == 1 else ""),
                     severity=WARNING)

    # -- back_populates, backref --
    def check_back_populates(self, rel: _Rel) -> None:
        name = rel.back_populates
        target = rel.target
        if not name or target is None:
            return
        tclass = target.class_.__name__
        other = target.attrs.get(name)
        if other is None:
            rels = [k for k, p in target.attrs.items() if getattr(p, "argument", None) is not None
                    or hasattr(p, "back_populates")]
            close = _difflib().get_close_matches(name, list(target.attrs.keys()), n=3, cutoff=0.5)
            # a relationship of the target that points back at this class is the best guess
            pointing = [o.key for o in self.rels if o.owner is target and o.target is rel.owner]
            guess = (close + [p for p in pointing if p not in close])[:3]
            fix = (f"write back_populates={guess[0]!r}" if guess else
                   f"add {name} = relationship({rel.owner.class_.__name__!r}, "
                   f"back_populates={rel.key!r}) to {tclass}")
            self.add(rel, "TR003",
                     f"{rel.name} has back_populates={name!r}, but {tclass} has no attribute "
                     f"{name!r} (its relationships: {', '.join(rels) or 'none'}).", fix)
            return
        if not hasattr(other, "back_populates"):
            self.add(rel, "TR004",
                     f"{rel.name} has back_populates={name!r}, but {tclass}.{name} is a "
                     "column, not a relationship.",
                     f"name the relationship of {tclass} that points back at "
                     f"{rel.owner.class_.__name__}", attributes=(rel.name, f"{tclass}.{name}"))
            return
        orel = self.by_prop.get(id(other))
        if orel is None:
            return
        if orel.target is not None and orel.target is not rel.owner:
            self.add(rel, "TR004",
                     f"{rel.name} has back_populates={name!r}, but {tclass}.{name} points at "
                     f"{orel.target.class_.__name__}, not at {rel.owner.class_.__name__}.",
                     f"name the relationship of {tclass} that points at "
                     f"{rel.owner.class_.__name__}, or correct {tclass}.{name}'s target",
                     attributes=(rel.name, orel.name))
            return
        if (orel.back_populates and orel.back_populates != rel.key
                and orel.back_populates in rel.owner.attrs):  # else TR003 reports it
            self.add(rel, "TR004",
                     f"{rel.name} has back_populates={name!r}, but {tclass}.{name} has "
                     f"back_populates={orel.back_populates!r}: the two sides do not name each "
                     "other, so changes through one are not mirrored on the other as expected.",
                     f"write back_populates={rel.key!r} on {tclass}.{name} (or correct this one)",
                     attributes=(rel.name, orel.name), severity=WARNING)
            return
        if (rel.direction in ("o2m", "m2o") and rel.direction == orel.direction
                and orel.back_populates == rel.key
                and self.order[id(rel.prop)] < self.order.get(id(orel.prop), -1)):
            many = "many-to-one" if rel.direction == "m2o" else "one-to-many"
            same = rel.owner.local_table is target.local_table
            fix = ("give the many-to-one side remote_side=[<primary key column>] so the two "
                   "sides point opposite ways" if same else
                   "use the same foreign key on both sides (foreign_keys= naming the same "
                   "column), so one side is one-to-many and the other many-to-one")
            self.add(rel, "TR005",
                     f"{rel.name} and {orel.name} name each other with back_populates but both "
                     f"are {many}, so they cannot be the two sides of one link.", fix,
                     attributes=(rel.name, orel.name))

    def check_backref(self, rel: _Rel, pending: dict[tuple[int, str], _Rel]) -> None:
        spec = rel.prop.backref
        target = rel.target
        if not spec or target is None:
            return
        name = spec if isinstance(spec, str) else getattr(spec, "name", None)
        if not isinstance(name, str):
            return
        tclass = target.class_.__name__
        existing = target.attrs.get(name)
        clash: str | None = None
        if existing is not None:
            kind = "relationship" if hasattr(existing, "back_populates") else "column"
            clash = f"{tclass} already has a {kind} named {name!r}"
        elif (id(target), name) in pending:
            first = pending[(id(target), name)]
            clash = f"{first.name} already declares a backref {name!r} on {tclass}"
        else:
            for klass in target.class_.__mro__[1:]:
                if klass is object:
                    continue
                if name in vars(klass) and not name.startswith("_"):
                    clash = f"{tclass} already has {name!r} (from {klass.__name__})"
                    break
        if clash:
            self.add(rel, "TR006",
                     f"{rel.name} has backref={name!r}, which would create {tclass}.{name}, "
                     f"but {clash}.",
                     "rename the backref, or declare the other side yourself and link the two "
                     "with back_populates")
            return
        pending[(id(target), name)] = rel

    # -- uselist=False where many rows can match --
    def check_uselist(self, rel: _Rel) -> None:
        if rel.prop.uselist_arg is not False or rel.viewonly or not rel.fks:
            return
        if rel.direction == "o2m":
            cols = [fk.parent for fk in rel.fks]
        elif rel.direction == "m2m":
            parent = rel.owner.local_table
            cols = [fk.parent for fk in rel.fks if _fk_target(fk).table is parent]
        else:
            return
        if _is_unique(cols):
            return
        names = ", ".join(_cname(c) for c in cols)
        if len(cols) == 1:
            fix = (f"make it one-to-one with unique=True on {names} "
                   f"({_attr_for(cols[0], self.by_table)}), or drop uselist=False")
        else:
            fix = (f"add UniqueConstraint({', '.join(repr(c.name) for c in cols)}) to "
                   f"{cols[0].table.name}, or drop uselist=False")
        self.add(rel, "TR012",
                 f"{rel.name} has uselist=False, but nothing keeps {names} unique, so several "
                 f"rows can match one {rel.owner.class_.__name__}; loading it then keeps one "
                 "of them and silently drops the others.", fix, severity=WARNING)

    # -- two relationships writing the same columns without knowing about each other --
    def check_overlaps(self) -> None:
        by_column: dict[Any, list[_Rel]] = {}
        everyone = self.rels + [r.partner for r in self.rels if r.partner is not None]
        for r in everyone:
            for col in r.written_columns():
                by_column.setdefault(col, []).append(r)
        seen: set[tuple[int, int]] = set()
        for col, rels in by_column.items():
            for i, a in enumerate(rels):
                for b in rels[i + 1:]:
                    pair = (min(id(a), id(b)), max(id(a), id(b)))
                    if pair in seen or self.linked(a, b):
                        continue
                    seen.add(pair)
                    self.add(a, "TR013",
                             f"{a.name} and {b.name} both write {_cname(col)} but do not know "
                             "about each other: changing one leaves the other stale in memory, "
                             "and when both change in one flush the last one written wins.",
                             f"if they are the two sides of one link, write back_populates="
                             f"{b.key!r} on {a.name} and back_populates={a.key!r} on {b.name}; "
                             f"otherwise add overlaps={b.key!r} to {a.name} (or make one "
                             "viewonly=True)",
                             attributes=(a.name, b.name), severity=WARNING)

    @staticmethod
    def linked(a: _Rel, b: _Rel) -> bool:
        if a.partner is b or b.partner is a:
            return True
        if b.key in a.overlaps or a.key in b.overlaps:
            return True
        if a.target is b.owner and a.back_populates == b.key:
            return True
        return b.target is a.owner and b.back_populates == a.key

    # -- driver --
    def run(self) -> list[Problem]:
        for m in self.mappers:
            for key, prop in list(m.relationships.items()):
                if prop.configured or getattr(prop, "_is_backref", False):
                    continue
                if getattr(prop, "_forced_join", None) is not None:
                    continue
                rel = _Rel(prop, m, key, back_populates=prop.back_populates,
                           overlaps=_names(prop.overlaps), viewonly=bool(prop.viewonly),
                           uselist=prop.uselist_arg)
                self.order[id(prop)] = len(self.rels)
                self.by_prop.setdefault(id(prop), rel)
                self.rels.append(rel)
        for rel in self.rels:
            self.check_strings(rel)
            rel.target = self.resolve_target(rel)
            rel.secondary = self.resolve_secondary(rel)
            if rel.prop.secondary is not None and rel.secondary is None:
                continue
            rel.custom_join = (rel.prop.primaryjoin is not None
                               or rel.prop.secondaryjoin is not None)
            if rel.target is None or rel.custom_join:
                # explicit join expressions are checked when they are built
                continue
            self.infer(rel)
            self.make_partner(rel)
        pending: dict[tuple[int, str], _Rel] = {}
        for rel in self.rels:
            if rel.target is None:
                continue
            self.check_back_populates(rel)
            self.check_backref(rel, pending)
            self.check_uselist(rel)
            self.check_fk_targets(rel)
        self.check_overlaps()
        # report in declaration order: class by class, relationship by relationship
        ranked = sorted(enumerate(self.problems), key=lambda ip: (self.rank[ip[0]], ip[0]))
        return [p for _, p in ranked]

    def make_partner(self, rel: _Rel) -> None:
        spec = rel.prop.backref
        if not spec or rel.direction is None:
            return
        name = spec if isinstance(spec, str) else getattr(spec, "name", None)
        kwargs = {} if isinstance(spec, str) else dict(getattr(spec, "kwargs", {}) or {})
        if not isinstance(name, str):
            return
        reverse = {"o2m": "m2o", "m2o": "o2m", "m2m": "m2m"}[rel.direction]
        rel.partner = _Rel(rel.prop, rel.target, name, target=rel.owner,
                           secondary=rel.secondary, direction=reverse, fks=rel.fks,
                           back_populates=rel.key, overlaps=_names(kwargs.get("overlaps")),
                           viewonly=bool(kwargs.get("viewonly", rel.viewonly)),
                           uselist=kwargs.get("uselist"))
        rel.partner.partner = rel


def check_registry(mappers: Iterable[Any]) -> list[Problem]:
    """Every relationship problem of ``mappers``, errors and warnings, in declaration order.

    Works from the declared arguments and the tables alone, so it can run before (and
    regardless of) the relationships being set up. Relationships already configured and
    the ones ``backref=`` creates are not checked again.
    """
    problems = _Checker(list(mappers)).run()
    seen: set[tuple[Any, ...]] = set()
    out = []
    for p in problems:
        key = (p.code, p.file, p.line, p.attributes, p.message)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out
