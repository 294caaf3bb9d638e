"""Configure-time relationship diagnostics (tether.orm.diagnostics): for each code a model that
triggers it and a fixed twin that does not, all mistakes of a model in one exception, the
``file:line`` of the relationship() call, stable codes, and the models of the tutorials clean."""

from __future__ import annotations

import importlib.util
import re
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tether.exc import (
    AmbiguousForeignKeysError,
    ArgumentError,
    InvalidRequestError,
    NoForeignKeysError,
    RelationshipWarning,
)
from tether.orm import configure_mappers
from tether.orm.diagnostics import (
    CODES,
    Problem,
    RelationshipConfigurationError,
    check_registry,
)
from tether.tools import problems as tool_problems

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CASES_FILE = FIXTURES / "diagnostics" / "cases.py"


def _load_cases() -> Any:
    spec = importlib.util.spec_from_file_location("tether_diagnostics_cases", CASES_FILE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


cases = _load_cases()
_built: list[Any] = []


@pytest.fixture(autouse=True)
def _dispose() -> Iterator[None]:
    """A broken registry left alive would fail every later configure_mappers()."""
    yield
    while _built:
        _built.pop().registry.dispose()


def build(name: str) -> Any:
    base = getattr(cases, name)()
    _built.append(base)
    return base


def problems_of(name: str) -> list[Problem]:
    return check_registry(build(name).registry.mappers)


def marker_line(marker: str) -> int:
    """The line of cases.py ending with ``# <marker>``."""
    for number, text in enumerate(CASES_FILE.read_text().splitlines(), start=1):
        if text.rstrip().endswith(f"# {marker}"):
            return number
    raise AssertionError(f"no line marked {marker!r}")


ERRORS = ["TR001", "TR002", "TR003", "TR005", "TR006", "TR007", "TR008", "TR009", "TR010",
          "TR014"]
WARNINGS = ["TR011", "TR012", "TR013"]


# --- one model that triggers each code, one that does not --------------------------------
@pytest.mark.parametrize("code", ERRORS + WARNINGS)
def test_each_code_triggers_on_its_model_and_not_on_the_fixed_one(code: str) -> None:
    found = problems_of(f"{code.lower()}_bad")
    assert [p.code for p in found] == [code], [p.format_line() for p in found]
    problem = found[0]
    assert problem.severity == ("warning" if code in WARNINGS else "error")
    assert problem.file == str(CASES_FILE)
    marker = "TR-secondary" if code in ("TR008", "TR009") else code
    assert problem.line == marker_line(marker)
    assert problem.message and problem.fix
    assert problem.attributes and all("." in a for a in problem.attributes)
    assert problem.classes == tuple(dict.fromkeys(a.split(".")[0] for a in problem.attributes))
    assert problems_of(f"{code.lower()}_good") == []


def test_tr004_column_and_other_class() -> None:
    found = problems_of("tr004_bad")
    assert [p.code for p in found] == ["TR004", "TR004"]
    column, other = found
    assert column.line == marker_line("TR004")
    assert "Child.parent_id is a column" in column.message
    assert column.attributes == ("Parent.children", "Child.parent_id")
    assert other.line == marker_line("TR004-other-class")
    assert "points at Child, not at Box" in other.message


def test_messages_name_the_columns_and_show_the_fix() -> None:
    (no_fk,) = problems_of("tr001_bad")
    assert "pet.owner_id" in no_fk.message and "Owner.pets -> Pet" in no_fk.message
    assert "owner_id = Column(Integer, ForeignKey('owner.id'))" in no_fk.fix  # type: ignore[operator]
    (two,) = problems_of("tr002_bad")
    assert "message.sender_id -> person.id" in two.message
    assert "message.recipient_id -> person.id" in two.message
    assert two.fix == "say which one with foreign_keys=[Message.recipient_id]"
    (missing,) = problems_of("tr003_bad")
    assert missing.fix == "write back_populates='parent'"
    (unknown,) = problems_of("tr007_bad")
    assert "'Chlid'" in unknown.message and unknown.fix == "write relationship('Child', ...)"
    (table,) = problems_of("tr008_bad")
    assert table.fix == "write secondary='enrollment'"
    (link,) = problems_of("tr009_bad")
    assert "ForeignKey('course.id')" in link.fix  # type: ignore[operator]
    (nonunique,) = problems_of("tr011_bad")
    assert "players.team_id" in nonunique.message and "PostgreSQL" in nonunique.message
    assert "ForeignKey('players.id')" in nonunique.fix  # type: ignore[operator]
    (one,) = problems_of("tr012_bad")
    assert "unique=True on address.user_id" in one.fix  # type: ignore[operator]
    (typo,) = problems_of("tr014_bad")
    assert "'sendr_id'" in typo.message and typo.fix == "write Message.sender_id"
    (overlap,) = problems_of("tr013_bad")
    assert overlap.attributes == ("Parent.children", "Child.parent")
    assert "child.parent_id" in overlap.message


def test_mismatched_back_populates_is_a_warning() -> None:
    from tether import Column, ForeignKey, Integer
    from tether.orm import declarative_base, relationship

    Base: Any = declarative_base()
    _built.append(Base)

    class Parent(Base):
        __tablename__ = "parent"
        id = Column(Integer, primary_key=True)
        children = relationship("Child", back_populates="parent")
        favorite = relationship("Child", back_populates="parent", viewonly=True)

    class Child(Base):
        __tablename__ = "child"
        id = Column(Integer, primary_key=True)
        parent_id = Column(ForeignKey("parent.id"))
        parent = relationship("Parent", back_populates="children")

    found = check_registry(Base.registry.mappers)
    assert [(p.code, p.severity) for p in found] == [("TR004", "warning")]
    assert found[0].attributes == ("Parent.favorite", "Child.parent")


# --- the exception raised by configuration ------------------------------------------------
def test_several_mistakes_are_reported_at_once() -> None:
    base = build("many_mistakes")
    with pytest.raises(RelationshipConfigurationError) as info:
        base.registry.configure()
    err = info.value
    assert [(p.code, p.line) for p in err.problems] == [
        ("TR002", marker_line("MANY-1")),
        ("TR003", marker_line("MANY-1")),
        ("TR007", marker_line("MANY-2")),
        ("TR002", marker_line("MANY-3")),
    ]
    text = str(err)
    assert text.startswith("4 relationship problems in the mapped classes:")
    for p in err.problems:
        assert f"{p.code} error at {CASES_FILE}:{p.line}" in text
        assert p.message in text and f"Fix: {p.fix}" in text
    # still caught where SQLAlchemy users catch these mistakes
    assert isinstance(err, ArgumentError) and isinstance(err, InvalidRequestError)
    assert isinstance(err, AmbiguousForeignKeysError)
    assert not isinstance(err, NoForeignKeysError)
    assert type(err).__name__ == "RelationshipConfigurationError"


def test_configure_raises_the_compatible_class_for_each_kind() -> None:
    with pytest.raises(NoForeignKeysError) as info:
        build("tr001_bad").registry.configure()
    assert [p.code for p in info.value.problems] == ["TR001"]  # type: ignore[attr-defined]
    with pytest.raises(InvalidRequestError):
        build("tr007_bad").registry.configure()
    with pytest.raises(ArgumentError):
        build("tr006_bad").registry.configure()


def test_configure_mappers_raises_then_works_once_disposed() -> None:
    base = build("tr003_bad")
    with pytest.raises(RelationshipConfigurationError):
        configure_mappers()
    base.registry.dispose()
    _built.remove(base)
    configure_mappers()  # nothing broken is left


def test_warnings_go_through_relationship_warning_and_do_not_stop_configuration() -> None:
    base = build("tr012_bad")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        base.registry.configure()
    found = [w for w in caught if issubclass(w.category, RelationshipWarning)]
    assert len(found) == 1
    problem = found[0].message.problem  # type: ignore[union-attr]
    assert problem.code == "TR012" and problem.line == marker_line("TR012")
    assert "TR012 warning" in str(found[0].message)
    user = base.registry._class_registry["User"]
    assert user.address.prop.configured


def test_warnings_with_errors_are_listed_but_only_errors_raise() -> None:
    from tether import Column, ForeignKey, Integer
    from tether.orm import declarative_base, relationship

    Base: Any = declarative_base()
    _built.append(Base)

    class User(Base):
        __tablename__ = "user"
        id = Column(Integer, primary_key=True)
        address = relationship("Address", uselist=False)
        orders = relationship("Ordr")

    class Address(Base):
        __tablename__ = "address"
        id = Column(Integer, primary_key=True)
        user_id = Column(ForeignKey("user.id"))

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(RelationshipConfigurationError) as info:
            Base.registry.configure()
    assert [p.code for p in info.value.problems] == ["TR007"]
    assert [w.message.problem.code for w in caught  # type: ignore[union-attr]
            if issubclass(w.category, RelationshipWarning)] == ["TR012"]


# --- codes and the tools -------------------------------------------------------------------
def test_codes_are_stable() -> None:
    assert CODES == {
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


def test_every_code_is_documented() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "diagnostics.md").read_text()
    for code in CODES:
        assert re.search(rf"^## {code}\b", doc, re.M), code


def test_the_tools_use_the_orms_problem_record() -> None:
    assert tool_problems.Problem is Problem
    base = build("tr002_bad")
    with pytest.raises(RelationshipConfigurationError) as info:
        base.registry.configure()
    found = tool_problems.from_exception(info.value)
    assert found == info.value.problems
    line = found[0].format_line()
    assert line.startswith(f"{CASES_FILE}:{marker_line('TR002')}: TR002 error: ")
    assert "[Message.recipient]" in line and "Fix: say which one" in line


# --- valid models stay quiet -----------------------------------------------------------------
@pytest.mark.parametrize("fixture", ["game_store.py", "students.py", "players.py",
                                     "departments.py"])
def test_tutorial_models_have_no_problems(fixture: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TETHER_FIXTURE_NO_SCHEMA", "1")
    path = FIXTURES / "models" / fixture
    name = f"tether_diag_models_{fixture[:-3]}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
        base = module.Base
        _built.append(base)
        assert check_registry(base.registry.mappers) == []
        with warnings.catch_warnings():
            warnings.simplefilter("error", RelationshipWarning)
            base.registry.configure()
    finally:
        sys.modules.pop(name, None)


def test_relationship_keywords_that_need_evaluation_do_not_cause_false_reports() -> None:
    """foreign_keys/remote_side as strings and lambdas, annotations, backref() options."""
    from tether import Column, ForeignKey, Integer
    from tether.orm import Mapped, backref, declarative_base, relationship

    Base: Any = declarative_base()
    _built.append(Base)

    class Node(Base):
        __tablename__ = "node"
        id = Column(Integer, primary_key=True)
        parent_id = Column(ForeignKey("node.id"))
        parent = relationship("Node", remote_side="Node.id",
                              backref=backref("children", cascade="all, delete-orphan"))

    class Edge(Base):
        __tablename__ = "edge"
        id = Column(Integer, primary_key=True)
        a_id = Column(ForeignKey("node.id"))
        b_id = Column(ForeignKey("node.id"))
        a: Mapped[Node] = relationship(foreign_keys=lambda: [Edge.a_id])
        b = relationship(lambda: Node, foreign_keys="[Edge.b_id]")

    assert check_registry(Base.registry.mappers) == []
    Base.registry.configure()

