# conformance: loader options selectinload/joinedload/subqueryload/lazyload/raiseload/noload, chained options, lazy= defaults, detached reads
# requires: issue-3, issue-5
import os

from sqlalchemy import Column, ForeignKey, Integer, String, create_engine, select
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.orm import (
    Session,
    declarative_base,
    defer,
    joinedload,
    lazyload,
    load_only,
    noload,
    raiseload,
    relationship,
    selectinload,
    subqueryload,
    undefer,
)
from sqlalchemy.orm.exc import DetachedInstanceError

Base = declarative_base()


class Author(Base):
    __tablename__ = "authors"
    id = Column(Integer, primary_key=True)
    name = Column(String(20))
    bio = Column(String(100))
    books = relationship("Book", back_populates="author", order_by="Book.title")
    fans = relationship("Fan", lazy="selectin", order_by="Fan.name")


class Book(Base):
    __tablename__ = "books"
    id = Column(Integer, primary_key=True)
    title = Column(String(30))
    author_id = Column(Integer, ForeignKey("authors.id"))
    author = relationship("Author", back_populates="books")
    chapters = relationship("Chapter", order_by="Chapter.number", lazy="raise")


class Chapter(Base):
    __tablename__ = "chapters"
    id = Column(Integer, primary_key=True)
    number = Column(Integer)
    book_id = Column(Integer, ForeignKey("books.id"))


class Fan(Base):
    __tablename__ = "fans"
    id = Column(Integer, primary_key=True)
    name = Column(String(20))
    author_id = Column(Integer, ForeignKey("authors.id"))


engine = create_engine(os.environ["CONFORMANCE_DB_URL"])
Base.metadata.create_all(engine)

with Session(engine) as s:
    for a in range(3):
        author = Author(name=f"a{a}", bio="x" * 50, fans=[Fan(name=f"f{a}{i}") for i in range(a)])
        for b in range(a + 1):
            author.books.append(Book(title=f"a{a}b{b}", chapters=[Chapter(number=n) for n in range(1, b + 2)]))
        s.add(author)
    s.commit()


def shape(authors):
    return [(a.name, [(b.title, [c.number for c in b.chapters]) for b in a.books]) for a in authors]


def load(*options):
    with Session(engine) as s:
        return s.scalars(select(Author).options(*options).order_by(Author.name)).unique().all()


print("-- eager loads survive the session (detached objects)")
for name, option in [
    ("selectinload", selectinload(Author.books).selectinload(Book.chapters)),
    ("joinedload", joinedload(Author.books).joinedload(Book.chapters)),
    ("subqueryload", subqueryload(Author.books).subqueryload(Book.chapters)),
    ("mixed", joinedload(Author.books).selectinload(Book.chapters)),
]:
    print(name, shape(load(option)))

print("-- lazy=selectin default on Author.fans")
print([(a.name, [f.name for f in a.fans]) for a in load()])

print("-- what was not loaded raises on a detached object")
authors = load(selectinload(Author.books))
try:
    authors[0].books[0].chapters
except InvalidRequestError as exc:  # lazy="raise"
    print("lazy=raise:", type(exc).__name__)
authors = load(lazyload(Author.fans))
try:
    authors[1].fans
except DetachedInstanceError as exc:
    print("lazyload:", type(exc).__name__)

with Session(engine) as s:
    author = s.scalars(select(Author).options(raiseload(Author.books)).where(Author.name == "a1")).one()
    try:
        author.books
    except InvalidRequestError as exc:
        print("raiseload:", type(exc).__name__)
    author = s.scalars(select(Author).options(noload(Author.books)).where(Author.name == "a2")).one()
    print("noload:", author.books)

print("-- column loading")
with Session(engine) as s:
    a = s.scalars(select(Author).options(defer(Author.bio)).where(Author.name == "a0")).one()
    print("deferred not loaded:", "bio" in a.__dict__, "| loaded on access:", len(a.bio))
    a2 = s.scalars(select(Author).options(load_only(Author.name)).where(Author.name == "a1")).one()
    print("load_only:", "name" in a2.__dict__, "bio" in a2.__dict__)
    a3 = s.scalars(select(Author).options(undefer(Author.bio)).where(Author.name == "a2")).one()
    print("undefer:", "bio" in a3.__dict__)
