"""``lazy="dynamic"`` and ``lazy="write_only"`` collections on SQLite and PostgreSQL: what
they write, the statements they run, and the mistakes they refuse with a clear message.
(The conformance program ``dynamic_relationships.py`` compares the rest with SQLAlchemy.)"""

from __future__ import annotations

from typing import Any

import pytest
from test_orm_support import count_statements

from tether import Column, ForeignKey, Integer, String, Table, func, select
from tether.exc import InvalidRequestError
from tether.orm import Session, declarative_base, relationship, selectinload

Base = declarative_base()

tagging = Table(
    "dyn_tagging", Base.metadata,
    Column("blog_id", ForeignKey("dyn_blogs.id"), primary_key=True),
    Column("label_id", ForeignKey("dyn_labels.id"), primary_key=True),
)


class Blog(Base):
    __tablename__ = "dyn_blogs"
    id = Column(Integer, primary_key=True)
    name = Column(String(20))
    entries = relationship("Entry", lazy="dynamic", back_populates="blog", order_by="Entry.id")
    notes = relationship("Note", lazy="write_only")
    labels = relationship("Label", secondary=tagging, lazy="write_only")


class Entry(Base):
    __tablename__ = "dyn_entries"
    id = Column(Integer, primary_key=True)
    blog_id = Column(ForeignKey("dyn_blogs.id"))
    title = Column(String(20))
    blog = relationship("Blog", back_populates="entries")
    # a dynamic loader makes no sense for one object
    blog_dynamic = relationship("Blog", lazy="dynamic", viewonly=True)


class Note(Base):
    __tablename__ = "dyn_notes"
    id = Column(Integer, primary_key=True)
    blog_id = Column(ForeignKey("dyn_blogs.id"))
    text = Column(String(20))


class Label(Base):
    __tablename__ = "dyn_labels"
    id = Column(Integer, primary_key=True)


@pytest.fixture
def db(engine: Any) -> Any:
    Base.metadata.create_all(engine)
    yield engine
    Base.metadata.drop_all(engine)


def test_dynamic_collection_queries_and_writes_only_changes(db: Any) -> None:
    with Session(db) as s:
        blog = Blog(name="b", entries=[Entry(title="e0"), Entry(title="e1")])
        s.add(blog)
        s.commit()
        with count_statements() as log:
            assert blog.entries.count() == 2
            assert [e.title for e in blog.entries.filter(Entry.title > "e0")] == ["e1"]
        assert log.count == 3  # reload of the expired blog's key, then one per query
        with count_statements() as log:
            blog.entries.append(Entry(title="e2"))
            assert log.count == 0  # appending loads nothing
            s.flush()
        assert log.of_kind("INSERT") and not log.of_kind("SELECT")
        assert [e.title for e in blog.entries] == ["e0", "e1", "e2"]
        s.rollback()
        assert blog.entries.count() == 2  # the rollback took the appended entry back


def test_write_only_collection(db: Any) -> None:
    with Session(db) as s:
        blog = Blog(name="b")
        blog.notes.add_all([Note(text="n0"), Note(text="n1")])
        blog.labels.add(Label(id=7))
        s.add(blog)
        s.commit()
        assert sorted(s.scalars(select(Note.text).where(Note.blog_id == blog.id))) == ["n0", "n1"]
        assert [lb.id for lb in s.scalars(blog.labels.select())] == [7]
        s.execute(blog.notes.insert().values(text="n2"))
        s.execute(blog.notes.update().values(text="x").where(Note.text == "n0"))
        s.execute(blog.notes.delete().where(Note.text == "n1"))
        assert sorted(s.scalars(select(Note.text).where(Note.blog_id == blog.id))) == ["n2", "x"]
        with pytest.raises(TypeError, match=r"write-only .* session.scalars\(obj.notes.select\(\)\)"):
            list(blog.notes)
        with pytest.raises(InvalidRequestError, match=r"can be assigned only while its object is "
                                                      r"new; .* \.add\(\)"):
            blog.notes = []
        with pytest.raises(InvalidRequestError, match="many-to-many"):
            blog.labels.insert()


def test_mistakes_are_named(db: Any) -> None:
    with Session(db) as s:
        s.add(Blog(id=1, name="b", entries=[Entry(title="e0")]))
        s.commit()
        entry = s.scalars(select(Entry)).one()
        with pytest.raises(InvalidRequestError, match=r"Entry.blog_dynamic has lazy='dynamic', "
                                                      r"which only suits a collection"):
            entry.blog_dynamic  # noqa: B018
        with pytest.raises(InvalidRequestError, match="no eager loader option applies"):
            s.scalars(select(Blog).options(selectinload(Blog.entries))).all()
        assert s.scalar(select(func.count()).select_from(Entry)) == 1
