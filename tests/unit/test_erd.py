"""ER diagrams of the tutorials' models: the Mermaid and DOT text parsed back and every
relationship checked with its cardinality; SVG/PNG rendered through Graphviz where ``dot``
is installed."""

from __future__ import annotations

import os
import re
import shutil
import struct
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tether import Column, ForeignKey, Integer, MetaData, String, Table
from tether.tools import erd, loader

MODELS = Path(__file__).resolve().parents[1] / "fixtures" / "models"


@pytest.fixture(autouse=True)
def _no_schema(monkeypatch: pytest.MonkeyPatch) -> None:
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


def load(name: str) -> loader.Models:
    return loader.load(str(MODELS / name))


# --- a small Mermaid erDiagram reader ------------------------------------------------------
_LINK_RE = re.compile(r'^\s*(\S+) ([|}][|o])(--|\.\.)([o|][|{]) (\S+) : "(.*)"$')
_ATTR_RE = re.compile(r'^\s*(\S+) (\S+)((?: (?:PK|FK|UK),?)*) "(NULL|NOT NULL)"$')


def parse_mermaid(text: str) -> tuple[dict[str, dict[str, dict[str, object]]], list[dict[str, str]]]:
    lines = text.splitlines()
    assert lines[0] == "erDiagram"
    entities: dict[str, dict[str, dict[str, object]]] = {}
    links = []
    current = None
    for line in lines[1:]:
        if not line.strip() or line.strip().startswith("%%"):
            continue
        if line.strip().endswith("{"):
            current = line.strip()[:-1].strip()
            entities[current] = {}
        elif line.strip() == "}":
            current = None
        elif current is not None:
            m = _ATTR_RE.match(line)
            assert m, line
            keys = {k.strip(",") for k in m.group(3).split()}
            entities[current][m.group(2)] = {"type": m.group(1), "keys": keys,
                                             "nullable": m.group(4) == "NULL"}
        else:
            m = _LINK_RE.match(line)
            assert m, line
            left, right = m.group(2), m.group(4)
            kind = {("||", "o{"): "one-to-many", ("|o", "o{"): "one-to-many",
                    ("||", "o|"): "one-to-one", ("|o", "o|"): "one-to-one",
                    ("}o", "o{"): "many-to-many"}[(left, right)]
            links.append({"left": m.group(1), "right": m.group(5), "kind": kind,
                          "line": m.group(3), "label": m.group(6), "left_end": left})
    return entities, links


def captions(text: str) -> dict[str, str]:
    """The ``%% table: [association object ]class Name`` comments, by table."""
    out = {}
    for line in text.splitlines():
        m = re.match(r"^\s*%% (\S+): (.*)$", line)
        if m:
            out[m.group(1)] = m.group(2)
    return out


def link(links: list[dict[str, str]], left: str, right: str) -> dict[str, str]:
    found = [lk for lk in links if lk["left"] == left and lk["right"] == right]
    assert len(found) == 1, (left, right, links)
    return found[0]


def test_game_store_association_object() -> None:
    entities, links = parse_mermaid(erd.render(load("game_store.py")))
    assert set(entities) == {"users", "games", "user_library"}
    lib = entities["user_library"]
    assert lib["user_id"] == {"type": "INTEGER", "keys": {"FK"}, "nullable": False}
    assert lib["id"]["keys"] == {"PK"}
    assert entities["users"]["username"] == {"type": "VARCHAR(50)", "keys": {"UK"},
                                             "nullable": False}
    assert entities["games"]["genre"]["nullable"] is True
    assert len(links) == 2
    u = link(links, "users", "user_library")
    assert u["kind"] == "one-to-many" and u["left_end"] == "||" and u["line"] == "--"
    assert u["label"] == "User.user_library / User_library.user"
    g = link(links, "games", "user_library")
    assert g["kind"] == "one-to-many"
    assert g["label"] == "Game.user_library / User_library.game"


def test_association_objects_are_named_as_such() -> None:
    game = captions(erd.render(load("game_store.py")))
    assert game == {"users": "class User", "games": "class Game",
                    "user_library": "association object class User_library"}
    dept = captions(erd.render(load("departments.py")))
    assert dept["department_employee_link"] == \
        "association object class DepartmentEmployeeLink"
    assert dept["address"] == "class Address"  # one foreign key: not an association
    dot = erd.render(load("game_store.py"), format="dot")
    assert isinstance(dot, str)
    assert dot.count("<i>association object</i>") == 1


def test_self_referential_adjacency_and_many_to_many() -> None:
    from tether.orm import backref, declarative_base, relationship

    Base = declarative_base()

    class Node(Base):
        __tablename__ = "nodes"
        id = Column(Integer, primary_key=True)
        parent_id = Column(Integer, ForeignKey("nodes.id"))
        parent = relationship("Node", remote_side=[id], backref=backref("children"))

    follows = Table("follows", Base.metadata,
                    Column("follower_id", ForeignKey("users.id"), primary_key=True),
                    Column("followed_id", ForeignKey("users.id"), primary_key=True))

    class User(Base):
        __tablename__ = "users"
        id = Column(Integer, primary_key=True)
        following = relationship("User", secondary=follows,
                                 primaryjoin=id == follows.c.follower_id,
                                 secondaryjoin=id == follows.c.followed_id,
                                 back_populates="followers")
        followers = relationship("User", secondary=follows,
                                 primaryjoin=id == follows.c.followed_id,
                                 secondaryjoin=id == follows.c.follower_id,
                                 back_populates="following")

    try:
        entities, links = parse_mermaid(erd.render(Base))
    finally:
        Base.registry.dispose()
    assert set(entities) == {"nodes", "users"}
    tree = link(links, "nodes", "nodes")
    assert tree["kind"] == "one-to-many" and tree["left_end"] == "|o"
    assert tree["label"] == "Node.children / Node.parent"
    social = link(links, "users", "users")
    assert social["kind"] == "many-to-many" and "through follows" in social["label"]
    assert len(links) == 2


def test_students_many_to_many_through_association_table() -> None:
    entities, links = parse_mermaid(erd.render(load("students.py")))
    # The plain association table is the many-to-many line, not a box.
    assert set(entities) == {"student", "course"}
    (m2m,) = links
    assert m2m["kind"] == "many-to-many"
    assert {m2m["left"], m2m["right"]} == {"student", "course"}
    assert "through students_courses_association" in m2m["label"]
    assert "Student.courses" in m2m["label"] and "Course.students" in m2m["label"]


def test_departments_association_object_beside_secondary_and_one_to_one() -> None:
    entities, links = parse_mermaid(erd.render(load("departments.py")))
    assert set(entities) == {"department", "employee", "department_employee_link", "user",
                             "address"}
    assert entities["department_employee_link"]["department_id"]["keys"] == {"PK", "FK"}
    assert len(links) == 4
    m2m = link(links, "department", "employee")
    assert m2m["kind"] == "many-to-many"
    assert "through department_employee_link" in m2m["label"]
    d = link(links, "department", "department_employee_link")
    assert d["kind"] == "one-to-many"
    assert d["label"] == "Department.employee_assoc / DepartmentEmployeeLink.department"
    e = link(links, "employee", "department_employee_link")
    assert e["kind"] == "one-to-many"
    o2o = link(links, "user", "address")
    assert o2o["kind"] == "one-to-one"
    assert o2o["left_end"] == "|o"  # address.user_id is nullable: an address may have no user
    assert o2o["label"] == "Address.user / User.address"


def test_players_backref_many_to_one() -> None:
    entities, links = parse_mermaid(erd.render(load("players.py")))
    assert set(entities) == {"sqlalchemy_tutorial_players", "sqlalchemy_tutorial_teams"}
    (lk,) = links
    assert lk["left"] == "sqlalchemy_tutorial_teams"
    assert lk["kind"] == "one-to-many" and lk["left_end"] == "||"
    assert lk["label"] == "PlayerModel.team / TeamModel.player"


def test_players_with_schema_keeps_entity_names_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TETHER_FIXTURE_NO_SCHEMA")
    entities, links = parse_mermaid(erd.render(load("players.py")))
    assert set(entities) == {"example_sqlalchemy_tutorial_players",
                             "example_sqlalchemy_tutorial_teams"}
    assert links[0]["left"] == "example_sqlalchemy_tutorial_teams"


def test_include_and_exclude_by_class_or_table_name() -> None:
    models = load("departments.py")
    entities, links = parse_mermaid(erd.render(models, exclude=["user", "Address"]))
    assert set(entities) == {"department", "employee", "department_employee_link"}
    assert len(links) == 3
    entities, links = parse_mermaid(erd.render(models, include=["Dep*"]))
    assert set(entities) == {"department", "department_employee_link"}
    assert [(lk["left"], lk["right"]) for lk in links] == [
        ("department", "department_employee_link")]


def test_core_metadata_foreign_keys_without_relationships() -> None:
    md = MetaData()
    Table("parent", md, Column("id", Integer, primary_key=True))
    Table("child", md, Column("id", Integer, primary_key=True),
          Column("parent_id", Integer, ForeignKey("parent.id"), nullable=False),
          Column("name", String(20)))
    Table("profile", md, Column("parent_id", Integer, ForeignKey("parent.id"),
                                primary_key=True))
    entities, links = parse_mermaid(erd.render(md))
    assert set(entities) == {"parent", "child", "profile"}
    c = link(links, "parent", "child")
    assert c["kind"] == "one-to-many" and c["line"] == ".." and c["label"] == "FK parent_id"
    p = link(links, "parent", "profile")
    assert p["kind"] == "one-to-one"  # the foreign key is the whole primary key


_DOT_EDGE_RE = re.compile(r'^\s*"([^"]+)" -> "([^"]+)" \[label="([^"]*)", arrowtail=(\w+), '
                          r'arrowhead=(\w+), comment="([^"]+)"')


def test_dot_text_has_every_relationship() -> None:
    text = erd.render(load("departments.py"), format="dot")
    assert isinstance(text, str) and text.startswith("digraph erd {")
    edges = [m.groups() for m in map(_DOT_EDGE_RE.match, text.splitlines()) if m]
    kinds = {(a, b): (tail, head, kind) for a, b, _label, tail, head, kind in edges}
    assert kinds == {
        ("department", "employee"): ("crowodot", "crowodot", "many-to-many"),
        ("department", "department_employee_link"): ("teetee", "crowodot", "one-to-many"),
        ("employee", "department_employee_link"): ("teetee", "crowodot", "one-to-many"),
        ("user", "address"): ("teeodot", "teeodot", "one-to-one"),
    }
    for table in ("department", "employee", "department_employee_link", "user", "address"):
        assert re.search(rf'^\s*"{table}" \[label=<', text, re.M)
    assert "DepartmentEmployeeLink (department_employee_link)" in text


def test_unknown_format() -> None:
    with pytest.raises(erd.ErdError, match="unknown diagram format 'gif'"):
        erd.render(load("students.py"), format="gif")


def test_missing_graphviz_says_how_to_install(monkeypatch: pytest.MonkeyPatch,
                                              tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(erd.ErdError, match="apt-get install graphviz"):
        erd.render(load("students.py"), format="png")


needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot is not installed (apt-get install graphviz)")


@needs_dot
def test_png_renders_and_opens_as_an_image(tmp_path: Path) -> None:
    data = erd.render(load("game_store.py"), format="png")
    assert isinstance(data, bytes)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    # The IHDR chunk comes first: width and height of a real, non-trivial picture.
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert width > 200 and height > 50
    out = tmp_path / "erd.png"
    out.write_bytes(data)
    assert os.path.getsize(out) > 1000


@needs_dot
def test_svg_names_every_table() -> None:
    svg = erd.render(load("game_store.py"), format="svg")
    assert isinstance(svg, str) and "<svg" in svg
    for name in ("users", "games", "user_library", "hours_played"):
        assert name in svg


def test_two_foreign_keys_to_one_table_are_two_lines() -> None:
    from tether.orm import declarative_base, relationship

    Base = declarative_base()

    class Person(Base):
        __tablename__ = "person"
        id = Column(Integer, primary_key=True)

    class Message(Base):
        __tablename__ = "message"
        id = Column(Integer, primary_key=True)
        sender_id = Column(ForeignKey("person.id"), nullable=False)
        recipient_id = Column(ForeignKey("person.id"))
        sender = relationship("Person", foreign_keys=[sender_id], backref="sent")
        recipient = relationship("Person",
                                 primaryjoin="Message.recipient_id == Person.id")

    try:
        _, links = parse_mermaid(erd.render(Base))
    finally:
        Base.registry.dispose()
    by_label = {lk["label"]: lk for lk in links}
    assert set(by_label) == {"Message.sender / Person.sent", "Message.recipient"}
    assert by_label["Message.sender / Person.sent"]["left_end"] == "||"  # NOT NULL key
    assert by_label["Message.recipient"]["left_end"] == "|o"  # nullable key
    assert all(lk["line"] == "--" for lk in links)  # no extra bare foreign-key line
