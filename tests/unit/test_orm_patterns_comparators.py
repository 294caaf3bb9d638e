"""Relationship expressions on self-referential relationships (no database): ``any()``,
``has()`` and ``contains()`` give the related side its own alias, so the EXISTS does not
correlate both sides to the outer row."""

from __future__ import annotations

from typing import Any

import pytest

from tether import Column, ForeignKey, Integer, String, Table, select
from tether.orm import backref, configure_mappers, declarative_base, relationship


@pytest.fixture(scope="module")
def person() -> Any:
    Base = declarative_base()
    follows = Table("follows", Base.metadata,
                    Column("follower", ForeignKey("person.id"), primary_key=True),
                    Column("followed", ForeignKey("person.id"), primary_key=True))

    class Person(Base):
        __tablename__ = "person"
        id = Column(Integer, primary_key=True)
        name = Column(String(10))
        parent_id = Column(ForeignKey("person.id"))
        following = relationship("Person", secondary=follows,
                                 primaryjoin=id == follows.c.follower,
                                 secondaryjoin=id == follows.c.followed, backref="followers")
        children = relationship("Person", backref=backref("parent", remote_side=[id]))

    configure_mappers()
    return Person


def test_many_to_many_any_aliases_the_related_side(person: Any) -> None:
    sql = str(select(person.id).where(person.followers.any(person.name == "a")))
    assert "FROM follows, person AS person_1" in sql
    assert "person.id = follows.followed AND follows.follower = person_1.id" in sql
    assert "person_1.name = " in sql


def test_one_to_many_any_and_many_to_one_has(person: Any) -> None:
    sql = str(select(person.id).where(person.children.any(name="a")))
    assert "person.id = person_1.parent_id AND person_1.name = " in sql
    sql = str(select(person.id).where(person.parent.has(person.name.like("r%"))))
    assert "person.parent_id = person_1.id AND person_1.name LIKE " in sql


def test_non_self_referential_unchanged() -> None:
    Base = declarative_base()

    class A(Base):
        __tablename__ = "a"
        id = Column(Integer, primary_key=True)
        bs = relationship("B")

    class B(Base):
        __tablename__ = "b"
        id = Column(Integer, primary_key=True)
        a_id = Column(ForeignKey("a.id"))
        x = Column(Integer)

    sql = str(select(A.id).where(A.bs.any(B.x > 1)))
    assert "FROM b WHERE a.id = b.a_id AND b.x > " in sql
