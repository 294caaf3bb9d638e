"""The plain ORM select (one mapped class, no options, no eager relationship) takes a
shorter path through ``Session.execute``; on SQLite and PostgreSQL it gives what the
general path gives, and anything more than plain still takes the general path."""

from __future__ import annotations

from typing import Any

import pytest
from test_orm_support import count_statements

from tether import Column, ForeignKey, Integer, String, select
from tether.orm import Session, declarative_base, relationship, selectinload
from tether.orm.options import plain_entity

Base = declarative_base()


class Author(Base):
    __tablename__ = "ps_authors"
    id = Column(Integer, primary_key=True)
    name = Column(String(30))
    notes = relationship("Note", back_populates="author")


class Note(Base):
    __tablename__ = "ps_notes"
    id = Column(Integer, primary_key=True)
    author_id = Column(ForeignKey("ps_authors.id"))
    text = Column(String(30))
    author = relationship("Author", back_populates="notes", lazy="selectin")


@pytest.fixture
def db(engine: Any) -> Any:
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all([Author(id=1, name="a", notes=[Note(id=1, text="x"), Note(id=2, text="y")]),
                   Author(id=2, name="b")])
        s.commit()
    yield engine
    Base.metadata.drop_all(engine)


def test_which_statements_are_plain(db: Any) -> None:
    with Session(db) as s:
        s.scalars(select(Author)).all()  # configured
    mapper = Author.__mapper__
    assert plain_entity(select(Author).where(Author.id > 0).distinct()) is mapper
    assert plain_entity(select(Author).options(selectinload(Author.notes))) is None
    assert plain_entity(select(Author).execution_options(populate_existing=True)) is None
    assert plain_entity(select(Author, Note)) is None
    assert plain_entity(select(Author.name)) is None
    # Note's author loads eagerly by default: not plain.
    assert plain_entity(select(Note)) is None


def test_plain_select_results(db: Any) -> None:
    with Session(db) as s:
        with count_statements() as log:
            authors = s.scalars(select(Author).order_by(Author.id)).all()
            again = s.execute(select(Author).where(Author.id == 1)).scalars().one()
            empty = s.scalars(select(Author).where(Author.id < 0)).all()
            rows = s.execute(select(Author).order_by(Author.id)).all()
        assert log.count == 4
        assert [a.name for a in authors] == ["a", "b"]
        assert again is authors[0]
        assert empty == []
        assert [r[0] for r in rows] == authors and rows[0].Author is authors[0]
        # Local changes survive a plain reload (no populate_existing)...
        authors[0].name = "changed"
        s.scalars(select(Author)).all()
        assert authors[0].name == "changed"
        # ...and autoflush ran first, so the database agrees.
        assert s.scalars(select(Author).where(Author.name == "changed")).one() is authors[0]
        # The eager default of another class still runs.
        with count_statements() as log:
            notes = s.scalars(select(Note).order_by(Note.id)).all()
        assert log.count == 1  # the authors are in the identity map already
        assert [n.author for n in notes] == [authors[0], authors[0]]


def test_populate_existing_takes_the_general_path(db: Any) -> None:
    with Session(db) as s:
        author = s.get(Author, 2)
        author.__dict__["name"] = "stale"
        s.scalars(select(Author).where(Author.id == 2)).all()
        assert author.name == "stale"
        s.scalars(select(Author).where(Author.id == 2)
                  .execution_options(populate_existing=True)).all()
        assert author.name == "b"
