"""Entity-relationship diagrams of a model: Mermaid ``erDiagram`` text, Graphviz DOT, SVG, PNG.

``render(Base, format="mermaid")`` draws every table (columns with type, primary key,
foreign key, nullable) and every relationship with its cardinality, read from the
configured mappers:

* one-to-many and many-to-one pairs are one line (``||--o{``), named after both attributes;
* ``uselist=False`` on the "one-to-many" side makes it one-to-one (``||--o|``);
* ``secondary=`` makes many-to-many (``}o--o{``) labelled with the association table, which
  is then not drawn as a box of its own unless a class maps it (an association object is an
  entity, linked to both ends);
* a foreign key no relationship covers is still drawn, as a dotted line.

The parent end reads ``|o`` instead of ``||`` when the foreign key columns are nullable (the
child may have no parent). SVG and PNG are made by Graphviz's ``dot`` program.
"""

from __future__ import annotations

import fnmatch
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tether.sql.compiler import render_type
from tether.sql.schema import Table
from tether.tools.loader import Models, configure, models_of

__all__ = ["Diagram", "Entity", "ErdError", "Link", "build", "render"]

FORMATS = ("mermaid", "dot", "svg", "png")

GRAPHVIZ_HINT = (
    "Graphviz's `dot` program is needed for svg/png output and was not found on PATH; "
    "install Graphviz (Debian/Ubuntu: `apt-get install graphviz`, macOS: `brew install "
    "graphviz`, Windows: `winget install graphviz`), or use --format mermaid/dot"
)


class ErdError(Exception):
    """A diagram cannot be made (unknown format, Graphviz missing, models not configured)."""


@dataclass
class Attribute:
    name: str
    type: str
    primary_key: bool
    foreign_key: bool
    unique: bool
    nullable: bool


@dataclass
class Entity:
    """One box: a table, and the class mapped to it if any."""

    key: str
    table: Table
    class_name: str | None
    attributes: list[Attribute] = field(default_factory=list)
    association_object: bool = False


@dataclass
class Link:
    """One line between two boxes, ``left`` being the "one" side where there is one.

    ``kind`` is ``one-to-many``, ``one-to-one`` or ``many-to-many``; ``relationship`` is
    False for a foreign key that no relationship() covers; ``left_optional`` is True when a
    right-side row may have no left-side row.
    """

    left: str
    right: str
    kind: str
    label: str
    left_optional: bool = False
    through: str | None = None
    attributes: tuple[str, ...] = ()
    relationship: bool = True


@dataclass
class Diagram:
    entities: dict[str, Entity]
    links: list[Link]


def _type_name(type_: Any) -> str:
    try:
        return render_type(type_, {}) or "NULL"
    except Exception:
        return type(type_).__name__.upper()


def _matches(patterns: Iterable[str] | None, *names: str | None) -> bool:
    if not patterns:
        return False
    return any(n is not None and fnmatch.fnmatchcase(n, p) for p in patterns for n in names)


def _configure(models: Models) -> None:
    try:
        configure(models)
    except Exception as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise ErdError(f"the models' relationships cannot be configured ({type(error).__name__}: "
                       f"{first}); run `tether check` on them for every problem") from error


def build(target: Any, include: Iterable[str] | None = None,
          exclude: Iterable[str] | None = None) -> Diagram:
    """The diagram's boxes and lines for a Base, registry, MetaData or loaded Models.

    ``include``/``exclude`` are table or class names (``fnmatch`` patterns allowed).
    """
    models = target if isinstance(target, Models) else models_of(target)
    _configure(models)
    include = list(include) if include else None
    exclude = list(exclude) if exclude else None
    class_of: dict[int, str] = {}
    for mapper in models.mappers:
        class_of.setdefault(id(mapper.local_table), mapper.class_.__name__)
    secondaries: dict[int, Table] = {}
    # An association object: a class whose rows each link two (or more) other classes, like
    # the tutorials' user_library and DepartmentEmployeeLink.
    links_to: dict[int, set[int]] = {}
    for mapper in models.mappers:
        for prop in mapper.relationships.values():
            sec = getattr(prop, "secondary", None)
            if isinstance(sec, Table):
                secondaries[id(sec)] = sec
            if getattr(getattr(prop, "direction", None), "name", None) == "MANYTOONE" and \
                    prop.mapper is not None and prop.mapper.local_table is not mapper.local_table:
                links_to.setdefault(id(mapper.local_table), set()).add(id(prop.mapper.local_table))

    entities: dict[str, Entity] = {}
    for table in models.tables:
        cls = class_of.get(id(table))
        if include is not None and not _matches(include, table.name, table.key, cls):
            continue
        if _matches(exclude, table.name, table.key, cls):
            continue
        if id(table) in secondaries and cls is None:
            continue  # a plain association table: drawn as the many-to-many line
        entity = Entity(table.key, table, cls, association_object=cls is not None and (
            id(table) in secondaries or len(links_to.get(id(table), ())) >= 2))
        constraints: list[Any] = list(table.constraints)
        uniques = {id(c.columns[0]) for c in constraints
                   if type(c).__name__ == "UniqueConstraint" and len(c.columns) == 1}
        col: Any
        for col in table.columns:
            entity.attributes.append(Attribute(
                col.name, _type_name(col.type), bool(col.primary_key), bool(col.foreign_keys),
                id(col) in uniques or bool(col.unique), bool(col.nullable)))
        entities[table.key] = entity

    links: list[Link] = []
    covered: set[tuple[int, tuple[int, ...]]] = set()  # (table, fk columns) drawn already
    drawn: set[int] = set()
    for mapper in models.mappers:
        for prop in mapper.relationships.values():
            if id(prop) in drawn:
                continue
            reverse = getattr(prop, "reverse_property", None)
            drawn.add(id(prop))
            if reverse is not None:
                drawn.add(id(reverse))
            link = _relationship_link(prop, reverse, covered)
            if link is not None and link.left in entities and link.right in entities:
                links.append(link)
    for entity in entities.values():
        table = entity.table
        for fkc in table.foreign_key_constraints:
            cols = tuple(sorted(id(c) for c in fkc.columns))
            if (id(table), cols) in covered:
                continue
            try:
                target_table = fkc.referred_table
            except Exception:
                continue
            if target_table.key not in entities:
                continue
            names = ", ".join(str(c.name) for c in fkc.columns)
            one_to_one = _columns_unique(table, list(fkc.columns))
            links.append(Link(target_table.key, table.key,
                              "one-to-one" if one_to_one else "one-to-many",
                              f"FK {names}", left_optional=any(c.nullable for c in fkc.columns),
                              relationship=False))
    return Diagram(entities, links)


def _columns_unique(table: Table, cols: list[Any]) -> bool:
    wanted = {id(c) for c in cols}
    if {id(c) for c in table.primary_key.columns} == wanted:
        return True
    con: Any
    for con in table.constraints:
        if type(con).__name__ == "UniqueConstraint" and {id(c) for c in con.columns} == wanted:
            return True
    return any(i.unique and {id(c) for c in i.columns} == wanted for i in table.indexes)


def _attr_name(prop: Any) -> str:
    return f"{prop.parent.class_.__name__}.{prop.key}"


def _relationship_link(prop: Any, reverse: Any, covered: set[tuple[int, tuple[int, ...]]]
                       ) -> Link | None:
    direction = getattr(getattr(prop, "direction", None), "name", None)
    if direction is None or prop.mapper is None:
        return None
    attrs = tuple(sorted([_attr_name(prop)] + ([_attr_name(reverse)] if reverse else [])))
    label = " / ".join(attrs)
    source = prop.parent.local_table
    target = prop.mapper.local_table
    if direction == "MANYTOMANY":
        sec = prop.secondary
        sides = (prop.join.pairs, prop.join.secondary_pairs) if prop.join else ()
        for pairs in sides:
            cols = tuple(sorted(id(p[1]) for p in pairs))
            covered.add((id(sec), cols))
        return Link(source.key, target.key, "many-to-many", label, left_optional=True,
                    through=sec.key, attributes=attrs)
    # Orient every link from the "one" (referenced) side to the "many" (referencing) side.
    if direction == "ONETOMANY":
        one, many, one_prop = source, target, prop
    else:
        one, many, one_prop = target, source, reverse
    fk_cols = [p[1] for p in prop.join.pairs] if prop.join else []
    covered.add((id(many), tuple(sorted(id(c) for c in fk_cols))))
    scalar_one_side = one_prop is not None and not one_prop.uselist
    # Without a reverse side to ask, a foreign key that is unique on its own (often the
    # whole primary key) still allows only one row per parent.
    unique_key = one_prop is None and bool(fk_cols) and _columns_unique(many, fk_cols)
    kind = "one-to-one" if scalar_one_side or unique_key else "one-to-many"
    optional = any(c.nullable for c in fk_cols)
    return Link(one.key, many.key, kind, label, left_optional=optional, attributes=attrs)


# --- Mermaid -------------------------------------------------------------------------------
def _mermaid_id(key: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "_-" else "_" for ch in key)


def _mermaid_type(text: str) -> str:
    # Mermaid attribute types are one word: VARCHAR(50) is fine, "DOUBLE PRECISION" is not.
    return text.replace(", ", "_").replace(",", "_").replace(" ", "_")


_MERMAID_ENDS = {
    # kind: (left end, right end)
    "one-to-many": ("||", "o{"),
    "one-to-one": ("||", "o|"),
    "many-to-many": ("}o", "o{"),
}


def to_mermaid(diagram: Diagram) -> str:
    lines = ["erDiagram"]
    for entity in diagram.entities.values():
        if entity.class_name is not None:
            # Mermaid has no entity captions; a comment keeps the class name in the text.
            role = "association object " if entity.association_object else ""
            lines.append(f"    %% {_mermaid_id(entity.key)}: {role}class {entity.class_name}")
        lines.append(f"    {_mermaid_id(entity.key)} {{")
        for a in entity.attributes:
            keys = [k for k, on in (("PK", a.primary_key), ("FK", a.foreign_key),
                                    ("UK", a.unique and not a.primary_key)) if on]
            keys_text = f" {', '.join(keys)}" if keys else ""
            null = "NULL" if a.nullable else "NOT NULL"
            lines.append(f'        {_mermaid_type(a.type)} {a.name}{keys_text} "{null}"')
        lines.append("    }")
    for link in diagram.links:
        left, right = _MERMAID_ENDS[link.kind]
        if link.left_optional and left == "||":
            left = "|o"
        dash = "--" if link.relationship else ".."
        label = link.label
        if link.kind == "many-to-many":
            label += f" (through {link.through})"
        label = label.replace('"', "'")
        lines.append(f'    {_mermaid_id(link.left)} {left}{dash}{right} '
                     f'{_mermaid_id(link.right)} : "{label}"')
    return "\n".join(lines) + "\n"


# --- DOT -------------------------------------------------------------------------------------
def _html(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


def _dot_id(key: str) -> str:
    return '"' + key.replace('"', '\\"') + '"'


_DOT_ENDS = {
    # kind: (arrowtail at the left/"one" end, arrowhead at the right/"many" end)
    "one-to-many": ("teetee", "crowodot"),
    "one-to-one": ("teetee", "teeodot"),
    "many-to-many": ("crowodot", "crowodot"),
}


def to_dot(diagram: Diagram) -> str:
    out = ["digraph erd {", '    graph [rankdir=LR, fontname="Helvetica"];',
           '    node [shape=plaintext, fontname="Helvetica", fontsize=10];',
           '    edge [fontname="Helvetica", fontsize=9, dir=both];']
    for entity in diagram.entities.values():
        title = entity.key if entity.class_name is None else f"{entity.class_name} ({entity.key})"
        rows = [f'<tr><td colspan="3" bgcolor="#dde6f3"><b>{_html(title)}</b></td></tr>']
        if entity.association_object:
            rows.append('<tr><td colspan="3"><i>association object</i></td></tr>')
        for a in entity.attributes:
            flags = [k for k, on in (("PK", a.primary_key), ("FK", a.foreign_key),
                                     ("UK", a.unique and not a.primary_key)) if on]
            flags.append("NULL" if a.nullable else "NOT NULL")
            name = f"<u>{_html(a.name)}</u>" if a.primary_key else _html(a.name)
            rows.append(f'<tr><td align="left" port="{_html(a.name)}">{name}</td>'
                        f'<td align="left">{_html(a.type)}</td>'
                        f'<td align="left">{_html(" ".join(flags))}</td></tr>')
        table = ('<table border="0" cellborder="1" cellspacing="0" cellpadding="3">'
                 + "".join(rows) + "</table>")
        out.append(f"    {_dot_id(entity.key)} [label=<{table}>];")
    for link in diagram.links:
        tail, head = _DOT_ENDS[link.kind]
        if link.left_optional and tail == "teetee":
            tail = "teeodot"
        label = link.label + (f" (through {link.through})" if link.kind == "many-to-many" else "")
        style = "" if link.relationship else ', style="dashed"'
        comment = link.kind if link.relationship else f"{link.kind} foreign-key"
        out.append(f"    {_dot_id(link.left)} -> {_dot_id(link.right)} [label="
                   f'"{_html(label)}", arrowtail={tail}, arrowhead={head}, '
                   f'comment="{comment}"{style}];')
    out.append("}")
    return "\n".join(out) + "\n"


def graphviz(dot_text: str, fmt: str) -> bytes:
    """Run ``dot -T<fmt>``; raises ErdError (with how to install it) when ``dot`` is missing."""
    exe = shutil.which("dot")
    if exe is None:
        raise ErdError(GRAPHVIZ_HINT)
    proc = subprocess.run([exe, f"-T{fmt}"], input=dot_text.encode(), capture_output=True,
                          timeout=120, check=False)
    if proc.returncode != 0:
        raise ErdError(f"Graphviz's dot failed: {proc.stderr.decode(errors='replace').strip()}")
    return proc.stdout


def render(target: Any, format: str = "mermaid", include: Iterable[str] | None = None,
           exclude: Iterable[str] | None = None) -> str | bytes:
    """The diagram of a declarative Base (or registry, MetaData, loaded Models).

    Returns text for ``mermaid``, ``dot`` and ``svg``, bytes for ``png``. Raises
    :class:`ErdError` for an unknown format, a missing Graphviz, or models whose
    relationships cannot be configured.
    """
    if format not in FORMATS:
        raise ErdError(f"unknown diagram format {format!r}; use one of {', '.join(FORMATS)}")
    diagram = build(target, include, exclude)
    if format == "mermaid":
        return to_mermaid(diagram)
    dot_text = to_dot(diagram)
    if format == "dot":
        return dot_text
    data = graphviz(dot_text, format)
    return data.decode() if format == "svg" else data
