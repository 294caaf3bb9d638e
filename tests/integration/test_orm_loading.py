"""Relationship loading strategies and loader options on SQLite and PostgreSQL, with the
number of statements each costs: selectin (default and option, chained), joined (one
statement; test_orm_loading_counts.py covers every option), lazyload/raiseload/noload, and
the column options defer/undefer/load_only with deferred() columns."""

from __future__ import annotations

from typing import Any

import pytest
from test_orm_support import count_statements

from tether import Column, ForeignKey, Integer, String, Text, select
from tether.exc import InvalidRequestError
from tether.orm import (
    DetachedInstanceError,
    Session,
    declarative_base,
    defer,
    deferred,
    joinedload,
    lazyload,
    load_only,
    noload,
    raiseload,
    relationship,
    selectinload,
    undefer,
)

Base = declarative_base()


class Author(Base):
    __tablename__ = "l_authors"
    id = Column(Integer, primary_key=True)
    name = Column(String(20))
    bio = deferred(Column(Text))
    books = relationship("Book", back_populates="author", order_by="Book.id")
    fans = relationship("Fan", lazy="selectin", order_by="Fan.id")


class Book(Base):
    __tablename__ = "l_books"
    id = Column(Integer, primary_key=True)
    title = Column(String(20))
    author_id = Column(Integer, ForeignKey("l_authors.id"))
    author = relationship("Author", back_populates="books")
    chapters = relationship("Chapter", order_by="Chapter.id", lazy="raise")


class Chapter(Base):
    __tablename__ = "l_chapters"
    id = Column(Integer, primary_key=True)
    book_id = Column(Integer, ForeignKey("l_books.id"))


class Fan(Base):
    __tablename__ = "l_fans"
    id = Column(Integer, primary_key=True)
    author_id = Column(Integer, ForeignKey("l_authors.id"))


@pytest.fixture
def db(engine: Any) -> Any:
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        for i in range(3):
            s.add(Author(
                name=f"a{i}", bio="long text",
                books=[Book(title=f"a{i}b{j}", chapters=[Chapter() for _ in range(j + 1)])
                       for j in range(i + 1)],
                fans=[Fan() for _ in range(i)],
            ))
        s.commit()
    return engine


def _authors(db: Any, *options: Any) -> tuple[list[Any], Any]:
    with Session(db) as s, count_statements() as log:
        authors = s.scalars(select(Author).options(*options).order_by(Author.id)).all()
        shape = [(a.name, [(b.title, len(b.__dict__.get("chapters", ()))) for b in a.books])
                 for a in authors]
    return authors, (shape, log.count)


def test_selectin_default_and_option_statement_counts(db: Any) -> None:
    with Session(db) as s, count_statements() as log:
        authors = s.scalars(select(Author).order_by(Author.id)).all()
    assert log.count == 2  # the authors, then all their fans (lazy="selectin")
    assert [len(a.fans) for a in authors] == [0, 1, 2]  # readable after close
    with Session(db) as s, count_statements() as log:
        authors = s.scalars(
            select(Author).options(selectinload(Author.books).selectinload(Book.chapters))
            .order_by(Author.id)
        ).all()
    assert log.count == 4  # authors, fans, books, chapters: one per relationship level
    assert [[len(b.chapters) for b in a.books] for a in authors] == [[1], [1, 2], [1, 2, 3]]
    with Session(db) as s, count_statements() as log:
        authors = s.scalars(
            select(Author).options(joinedload(Author.books)).order_by(Author.id)
        ).unique().all()
        assert [[b.title for b in a.books] for a in authors] == [
            ["a0b0"], ["a1b0", "a1b1"], ["a2b0", "a2b1", "a2b2"]]
    assert log.count == 2  # authors with their books in one statement, then the fans
    assert "LEFT OUTER JOIN" in log.statements[0]
    with Session(db) as s, count_statements() as log:
        books = s.scalars(select(Book).options(joinedload(Book.author))
                          .order_by(Book.id)).all()
        assert [b.author.name for b in books] == ["a0", "a1", "a1", "a2", "a2", "a2"]
    assert log.count == 2  # books+authors, then the authors' fans (lazy="selectin")
    with Session(db) as s:
        authors = s.query(Author).options(joinedload(Author.books)).all()
        assert len(authors) == 3  # the legacy Query de-duplicates


def test_raise_noload_and_lazyload(db: Any) -> None:
    with Session(db) as s:
        book = s.scalars(select(Book).where(Book.title == "a1b1")).one()
        with pytest.raises(InvalidRequestError) as info:
            _ = book.chapters
        assert "lazy='raise'" in str(info.value) and "selectinload" in str(info.value)
        author = s.scalars(select(Author).options(raiseload(Author.books))
                           .where(Author.name == "a1")).one()
        with pytest.raises(InvalidRequestError):
            _ = author.books
    with Session(db) as s:
        author = s.scalars(select(Author).options(noload(Author.books))
                           .where(Author.name == "a2")).one()
        assert author.books == []
        author = s.scalars(select(Author).options(lazyload(Author.fans))
                           .where(Author.name == "a1")).one()
        assert "fans" not in author.__dict__  # left for first access
    with Session(db) as s:
        authors = s.scalars(select(Author).options(lazyload(Author.fans))).all()
    with pytest.raises(DetachedInstanceError):
        _ = authors[0].fans


def test_deferred_and_column_options(db: Any) -> None:
    with Session(db) as s:
        a = s.scalars(select(Author).where(Author.name == "a0")).one()
        assert "bio" not in a.__dict__
        with count_statements() as log:
            assert a.bio == "long text"
        assert log.count == 1
    with Session(db) as s:
        a = s.scalars(select(Author).options(undefer(Author.bio))
                      .where(Author.name == "a0")).one()
        assert a.__dict__["bio"] == "long text"
        b = s.scalars(select(Book).options(load_only(Book.title))
                      .where(Book.title == "a0b0")).one()
        assert "title" in b.__dict__ and "author_id" not in b.__dict__
        c = s.scalars(select(Book).options(defer(Book.title))
                      .where(Book.title == "a1b0")).one()
        assert "title" not in c.__dict__ and c.title == "a1b0"


def test_n_plus_one_detection_warns_once_or_raises(db: Any, monkeypatch: Any) -> None:
    import warnings

    from tether.exc import NPlusOneWarning
    from tether.orm import NPlusOneError

    with Session(db, detect_n_plus_one="warn") as s:
        authors = s.scalars(select(Author).order_by(Author.id)).all()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for a in authors:
                _ = a.books
        messages = [str(w.message) for w in caught if issubclass(w.category, NPlusOneWarning)]
        assert len(messages) == 1
        assert "Author.books" in messages[0] and "selectinload(Author.books)" in messages[0]
        assert "3 Author objects" in messages[0]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            books = s.scalars(select(Book)).all()
            _ = [b.author for b in books]  # all in the identity map: no SELECT, no warning
        assert not [w for w in caught if issubclass(w.category, NPlusOneWarning)]
    monkeypatch.setenv("TETHER_NPLUSONE", "raise")
    with Session(db) as s:
        authors = s.scalars(select(Author).order_by(Author.id)).all()
        _ = authors[0].books
        with pytest.raises(NPlusOneError):
            _ = authors[1].books
        ok = s.scalars(select(Author).options(selectinload(Author.books))).all()
        assert sum(len(a.books) for a in ok) == 6
