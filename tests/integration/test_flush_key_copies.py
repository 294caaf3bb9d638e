"""Foreign-key copies of a flush that inserts new parents with new children.

A new child in a new parent's collection, with the backref pointing at that parent, gets
its key from its own many-to-one task: the collection's identical copy is left out (and
put back where it was when the flush orders rows one by one). Checked on both databases:
keys land where they belong whichever side was set and in whichever order objects were
added, children moved between new parents, self-referential trees, the cycle error names
the same relationships, and a failing flush leaves the database unchanged and the objects
transient (database-generated keys taken back) after rollback().
"""

from __future__ import annotations

from typing import Any

import pytest

from tether import exc
from tether.exc import CircularDependencyError
from tether.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    get_history,
    mapped_column,
    relationship,
)
from tether.sql import ForeignKey, select
from tether.sql.types import String


class Base(DeclarativeBase):
    pass


class Parent(Base):
    __tablename__ = "kc_parent"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(20), unique=True)
    children: Mapped[list[Child]] = relationship(back_populates="parent",
                                                 cascade="all, delete-orphan")


class Child(Base):
    __tablename__ = "kc_child"
    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int] = mapped_column(ForeignKey("kc_parent.id"))
    name: Mapped[str] = mapped_column(String(20), unique=True)
    parent: Mapped[Parent] = relationship(back_populates="children")


class Node(Base):
    __tablename__ = "kc_node"
    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("kc_node.id"))
    name: Mapped[str] = mapped_column(String(20))
    parent: Mapped[Node | None] = relationship(back_populates="kids", remote_side="Node.id")
    kids: Mapped[list[Node]] = relationship(back_populates="parent")


@pytest.fixture
def eng(engine: Any) -> Any:
    Base.metadata.create_all(engine)
    return engine


def _stored(eng: Any) -> list[tuple[str, str]]:
    with Session(eng) as s:
        rows = s.execute(select(Child.name, Parent.name)
                         .join(Parent, Parent.id == Child.parent_id).order_by(Child.name))
        return [tuple(r) for r in rows]


def test_new_children_take_new_parents_keys(eng: Any) -> None:
    with Session(eng) as s:
        parents = [Parent(name=f"p{i}", children=[Child(name=f"c{i}{j}") for j in range(3)])
                   for i in range(4)]
        s.add_all(parents)
        # a child added before its parent, and one set from the many-to-one side
        early = Child(name="early")
        s.add(early)
        parents[0].children.append(early)
        s.add(Child(name="m2o", parent=parents[1]))
        s.flush()
        for p in parents:
            assert all(c.parent_id == p.id for c in p.children)
        assert early.parent_id == parents[0].id
        assert get_history(parents[0].children[0], "parent_id") == ((), [parents[0].id], ())
        s.commit()
    expected = sorted([(f"c{i}{j}", f"p{i}") for i in range(4) for j in range(3)]
                      + [("early", "p0"), ("m2o", "p1")])
    assert _stored(eng) == expected


def test_child_moved_between_new_parents(eng: Any) -> None:
    with Session(eng) as s:
        c = Child(name="mover")
        a = Parent(name="a", children=[c])
        b = Parent(name="b")
        s.add_all([a, b])
        b.children.append(c)  # the backref takes it out of a.children
        s.commit()
        assert c.parent is b and a.children == []
    assert _stored(eng) == [("mover", "b")]


def test_self_referential_tree_of_new_nodes(eng: Any) -> None:
    with Session(eng) as s:
        root = Node(name="root", kids=[Node(name=f"k{i}", kids=[Node(name=f"g{i}")])
                                       for i in range(3)])
        s.add(root)
        s.commit()
        rows = s.execute(select(Node.name, Node.parent_id, Node.id)).all()
    ids = {name: i for name, _, i in rows}
    parent_of = {name: pid for name, pid, _ in rows}
    assert parent_of["root"] is None
    for i in range(3):
        assert parent_of[f"k{i}"] == ids["root"]
        assert parent_of[f"g{i}"] == ids[f"k{i}"]


def test_cycle_error_names_collection_and_backref() -> None:
    from tether import create_engine

    class B2(DeclarativeBase):
        pass

    class A(B2):
        __tablename__ = "a"
        id: Mapped[int] = mapped_column(primary_key=True)
        fav_id: Mapped[int | None] = mapped_column(ForeignKey("b.id"))
        bs: Mapped[list[B]] = relationship(back_populates="a", foreign_keys="B.a_id")
        fav: Mapped[B | None] = relationship(foreign_keys=[fav_id])

    class B(B2):
        __tablename__ = "b"
        id: Mapped[int] = mapped_column(primary_key=True)
        a_id: Mapped[int | None] = mapped_column(ForeignKey("a.id"))
        a: Mapped[A | None] = relationship(back_populates="bs", foreign_keys=[a_id])

    eng = create_engine("sqlite://")
    B2.metadata.create_all(eng)
    with Session(eng) as s:
        b = B()
        a = A(bs=[b])
        a.fav = b
        s.add(a)
        with pytest.raises(CircularDependencyError) as info:
            s.flush()
    msg = str(info.value)
    assert "relationships A.fav, A.bs, B.a;" in msg  # as before copies were left out
    # every copy task's edge, the collection's included
    assert info.value.edges.count((a, b)) == 2


def test_failed_flush_takes_generated_keys_back(eng: Any) -> None:
    with Session(eng) as s:
        s.add(Child(name="taken", parent=Parent(name="first")))
        s.commit()
    with Session(eng) as s:
        parents = [Parent(name=f"q{i}", children=[Child(name=f"d{i}{j}") for j in range(2)])
                   for i in range(3)]
        parents[2].children.append(Child(name="taken"))  # unique name: the INSERT fails
        s.add_all(parents)
        with pytest.raises(exc.IntegrityError):
            s.flush()
        s.rollback()
        for p in parents:
            assert p.id is None and inspect_transient(p)
            for c in p.children:
                assert c.id is None and inspect_transient(c)
        parents[2].children[-1].name = "free"
        s.add_all(parents)
        s.commit()
    assert len(_stored(eng)) == 8


def inspect_transient(obj: Any) -> bool:
    from tether import inspect

    return bool(inspect(obj).transient)


def test_self_referential_kids_added_before_and_after_their_parent(eng: Any) -> None:
    # kids left to their own many-to-one (added after the root) in runs split by a kid
    # added before the root, whose copy stays a task: restored in place for row ordering
    with Session(eng) as s:
        early = Node(name="early")
        s.add(early)
        kids = [Node(name="k0"), early, Node(name="k1"), Node(name="k2")]
        root = Node(name="root", kids=kids)
        s.add(root)
        s.commit()
        rows = s.execute(select(Node.name, Node.parent_id, Node.id)).all()
    ids = {name: i for name, _, i in rows}
    assert {name: pid for name, pid, _ in rows} == {
        "root": None, "early": ids["root"], "k0": ids["root"], "k1": ids["root"],
        "k2": ids["root"]}


def test_children_of_alternating_and_repeated_parents(eng: Any) -> None:
    # the copy reads a parent's key once per run of its children: runs of one parent,
    # parents alternating child by child, and parents expired by a commit (their key is
    # loaded on the first read) all land every child on its own parent
    with Session(eng) as s:
        a, b = Parent(name="a"), Parent(name="b")
        s.add_all([a, b])
        s.commit()  # a and b expired: their keys load when first copied
        for i in range(6):
            s.add(Child(name=f"alt{i}", parent=a if i % 2 else b))
        a.children.extend([Child(name="runa0"), Child(name="runa1")])
        b.children.extend([Child(name="runb0"), Child(name="runb1")])
        c = Parent(name="c", children=[Child(name="runc0"), Child(name="runc1")])
        s.add(c)
        a.children.append(Child(name="runa2"))
        s.commit()
    assert _stored(eng) == sorted(
        [(f"alt{i}", "a" if i % 2 else "b") for i in range(6)]
        + [("runa0", "a"), ("runa1", "a"), ("runa2", "a"), ("runb0", "b"),
           ("runb1", "b"), ("runc0", "c"), ("runc1", "c")])
