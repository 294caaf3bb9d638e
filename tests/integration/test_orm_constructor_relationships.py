"""Relationships given to the default constructor: ``Parent(children=[...])`` and
``Child(parent=p)`` on a brand-new object write straight to the relationship (no setter
dispatch), with the same result as assigning after construction: backrefs, history,
validators, cascades into the session, members moved from a persistent parent, dynamic
collections, and a class with its own ``__setattr__``. Checked on both databases.
"""

from __future__ import annotations

from typing import Any

import pytest

from tether import exc
from tether.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    get_history,
    mapped_column,
    relationship,
    validates,
)
from tether.sql import ForeignKey, select
from tether.sql.types import String


class Base(DeclarativeBase):
    pass


class Parent(Base):
    __tablename__ = "cr_parent"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(20))
    children: Mapped[list[Child]] = relationship(back_populates="parent",
                                                 cascade="all, delete-orphan")
    entries = relationship("Entry", lazy="dynamic", back_populates="parent")


class Child(Base):
    __tablename__ = "cr_child"
    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("cr_parent.id"))
    name: Mapped[str] = mapped_column(String(20))
    parent: Mapped[Parent | None] = relationship(back_populates="children")


class Entry(Base):
    __tablename__ = "cr_entry"
    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("cr_parent.id"))
    name: Mapped[str] = mapped_column(String(20))
    parent = relationship("Parent", back_populates="entries")


class Checked(Base):
    __tablename__ = "cr_checked"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(20))
    items: Mapped[list[Item]] = relationship()

    @validates("items")
    def check_item(self, key: str, item: Any) -> Any:
        if item.name == "bad":
            raise ValueError("bad item")
        return item


class Item(Base):
    __tablename__ = "cr_item"
    id: Mapped[int] = mapped_column(primary_key=True)
    checked_id: Mapped[int | None] = mapped_column(ForeignKey("cr_checked.id"))
    name: Mapped[str] = mapped_column(String(20))


SETATTR_SEEN: list[str] = []


class Traced(Base):
    __tablename__ = "cr_traced"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(20))
    items: Mapped[list[TracedItem]] = relationship()

    def __setattr__(self, key: str, value: Any) -> None:
        SETATTR_SEEN.append(key)
        super().__setattr__(key, value)


class TracedItem(Base):
    __tablename__ = "cr_traced_item"
    id: Mapped[int] = mapped_column(primary_key=True)
    traced_id: Mapped[int | None] = mapped_column(ForeignKey("cr_traced.id"))
    name: Mapped[str] = mapped_column(String(20))


@pytest.fixture
def eng(engine: Any) -> Any:
    Base.metadata.create_all(engine)
    return engine


def test_collection_and_backref_from_the_constructor(eng: Any) -> None:
    kids = [Child(name="a"), Child(name="b")]
    p = Parent(name="p", children=(k for k in kids))  # any iterable
    assert list(p.children) == kids
    assert all(k.parent is p for k in kids)
    assert get_history(p, "children").added == kids
    assert get_history(kids[0], "parent").added == [p]
    with Session(eng) as s:
        s.add(p)  # cascades to the children
        assert all(k in s for k in kids)
        s.commit()
        got = s.scalars(select(Child.name).where(Child.parent_id == p.id).order_by(Child.name))
        assert list(got) == ["a", "b"]


def test_none_and_empty_collections(eng: Any) -> None:
    p = Parent(name="p", children=None)
    q = Parent(name="q", children=[])
    assert list(p.children) == [] and list(q.children) == []
    assert get_history(p, "children").added == ()
    with Session(eng) as s:
        s.add_all([p, q])
        s.commit()
        assert s.scalars(select(Child)).all() == []


def test_scalar_from_the_constructor(eng: Any) -> None:
    p = Parent(name="p")
    c = Child(name="c", parent=p)
    assert list(p.children) == [c]
    with Session(eng) as s:
        s.add(c)  # cascades to the parent through the backref
        s.commit()
        assert c.parent_id == p.id
    d = Child(name="d", parent=None)
    assert d.parent is None


def test_member_moved_from_a_persistent_parent(eng: Any) -> None:
    with Session(eng) as s:
        old = Parent(name="old", children=[Child(name="c")])
        s.add(old)
        s.commit()
        c = old.children[0]
        new = Parent(name="new", children=[c])
        assert c.parent is new
        assert c not in old.children
        s.add(new)
        s.commit()
        assert s.scalars(select(Parent.name).join(Parent.children)).all() == ["new"]


def test_validator_runs_for_each_member(eng: Any) -> None:
    with pytest.raises(ValueError, match="bad item"):
        Checked(name="x", items=[Item(name="ok"), Item(name="bad")])
    ok = Checked(name="y", items=[Item(name="ok")])
    with Session(eng) as s:
        s.add(ok)
        s.commit()
        assert [i.name for i in ok.items] == ["ok"]


def test_dynamic_collection_from_the_constructor(eng: Any) -> None:
    e = Entry(name="e")
    p = Parent(name="p", entries=[e])
    assert e.parent is p
    with Session(eng) as s:
        s.add(p)
        s.commit()
        assert [x.name for x in p.entries] == ["e"]


def test_class_with_its_own_setattr_sees_the_write(eng: Any) -> None:
    SETATTR_SEEN.clear()
    t = Traced(name="t", items=[TracedItem(name="i")])
    assert "items" in SETATTR_SEEN
    with Session(eng) as s:
        s.add(t)
        s.commit()
        assert [i.name for i in t.items] == ["i"]


def test_failing_flush_leaves_database_unchanged(eng: Any) -> None:
    with Session(eng) as s:
        s.add(Parent(name="p", children=[Child(name="a"), Child(name=None)]))  # type: ignore[arg-type]
        with pytest.raises(exc.IntegrityError):
            s.commit()
        s.rollback()
        assert s.scalars(select(Child)).all() == []
        s.add(Parent(name="q", children=[Child(name="b")]))
        s.commit()
        assert s.scalars(select(Child.name)).all() == ["b"]


def test_repeated_member_and_collection_set_again_before_flush(eng: Any) -> None:
    a, b = Child(name="a"), Child(name="b")
    p = Parent(name="p", children=[a, b, a])  # a repeated member is recorded once, first
    assert get_history(p, "children").added == [a, b]
    p.children = [b]  # replaced while new: the history starts from the first list's
    assert get_history(p, "children").added == [b]
    assert a.parent is None and b.parent is p
    q = Parent(name="q")
    q.children = [a]  # a new object's collection first set after construction
    assert get_history(q, "children").added == [a]
    with Session(eng) as s:
        s.add_all([p, q])
        s.commit()
        got = s.execute(select(Parent.name, Child.name).join(Parent.children)
                        .order_by(Parent.name)).all()
        assert [tuple(r) for r in got] == [("p", "b"), ("q", "a")]


def test_save_update_cascade_sees_a_backref_added_after_first_use(eng: Any) -> None:
    class LateBase(DeclarativeBase):
        pass

    class Owner(LateBase):
        __tablename__ = "cr_late_owner"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(20))

    LateBase.metadata.create_all(eng)
    with Session(eng) as s:
        s.add(Owner(name="first"))  # the owner's cascade keys made: no relationships yet
        s.commit()

    class Pet(LateBase):
        __tablename__ = "cr_late_pet"
        id: Mapped[int] = mapped_column(primary_key=True)
        owner_id: Mapped[int | None] = mapped_column(ForeignKey("cr_late_owner.id"))
        name: Mapped[str] = mapped_column(String(20))
        owner = relationship(Owner, backref="pets")

    LateBase.metadata.create_all(eng)
    o = Owner(name="second")
    pet = Pet(name="rex")
    o.pets.append(pet)  # type: ignore[attr-defined]
    with Session(eng) as s:
        s.add(o)  # the backref's save-update cascade takes the pet along
        assert pet in s
        s.commit()
        assert s.scalars(select(Pet.name).where(Pet.owner_id == o.id)).all() == ["rex"]
    LateBase.metadata.drop_all(eng)
