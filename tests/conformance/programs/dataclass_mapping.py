# conformance: MappedAsDataclass: generated __init__/__repr__/__eq__ from Mapped annotations, init=False keys, default and default_factory on columns and relationships, repr=False, compare=False, a mixin's fields, class options (kw_only, eq=False), backrefs through the generated __init__
# requires: issue-3
import dataclasses
import os
import sys
from typing import Optional

from sqlalchemy import ForeignKey, String, create_engine, func, select
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    MappedAsDataclass,
    Session,
    mapped_column,
    relationship,
)


class Base(MappedAsDataclass, DeclarativeBase):
    pass


class Audited(MappedAsDataclass):
    note: Mapped[Optional[str]] = mapped_column(default=None, repr=False, kw_only=True)


class Author(Audited, Base):
    __tablename__ = "authors"
    id: Mapped[int] = mapped_column(init=False, primary_key=True)
    name: Mapped[str] = mapped_column(String(30))
    rating: Mapped[int] = mapped_column(default=3, compare=False)
    books: Mapped[list["Book"]] = relationship(default_factory=list, back_populates="author")


class Book(Base):
    __tablename__ = "books"
    id: Mapped[int] = mapped_column(init=False, primary_key=True)
    title: Mapped[str] = mapped_column(String(30))
    author_id: Mapped[Optional[int]] = mapped_column(ForeignKey("authors.id"), init=False)
    author: Mapped[Optional["Author"]] = relationship(default=None, back_populates="books")


class KwBase(MappedAsDataclass, DeclarativeBase, kw_only=True):
    pass


class Tag(KwBase, eq=False):
    __tablename__ = "tags"
    id: Mapped[int] = mapped_column(primary_key=True)
    word: Mapped[str] = mapped_column(String(20), default="none")


engine = create_engine(os.environ["CONFORMANCE_DB_URL"])
Base.metadata.create_all(engine)
KwBase.metadata.create_all(engine)

with Session(engine) as session:
    ann = Author("ann", books=[Book("first"), Book(title="second")])
    print(ann)
    print([f.name for f in dataclasses.fields(Author)])
    print("backref:", ann.books[0].author is ann)
    lone = Book("lone", author=ann)
    print("append by backref:", [b.title for b in ann.books])
    session.add(ann)
    session.commit()
    print(session.scalars(select(Book).order_by(Book.id)).first())
    print("eq ignores compare=False:", Author("bob", rating=1) == Author("bob", rating=5))
    print("eq on fields:", Author("bob") == Author("cy"), ann == ann)
    print(session.scalar(select(func.count()).select_from(Book)), lone.id is not None)
    tag = Tag(id=1)
    print(tag.word, Tag(id=2, word="x") == Tag(id=2, word="x"), repr(tag))
    session.add(tag)
    session.commit()
    print(session.get(Tag, 1).word)
    ann.note = "kept"
    session.commit()
    print("mixin column:", session.scalar(select(Author.note)))
    try:
        Tag(1)
    except TypeError:
        print("kw_only: TypeError")


try:
    class Late(Base):
        __tablename__ = "late"
        id: Mapped[int] = mapped_column(init=False, primary_key=True)
        size: Mapped[int] = mapped_column(default=0)
        label: Mapped[str] = mapped_column(String(10))
except Exception as error:
    print("field order:", type(error).__name__)
sys.stdout.flush()
