# conformance: one-to-many / many-to-one with back_populates on both sides; in-memory sync and foreign keys filled at flush
# requires: issue-3, issue-5
import os

from sqlalchemy import Column, ForeignKey, Integer, String, create_engine, select
from sqlalchemy.orm import Session, declarative_base, relationship

Base = declarative_base()


class Author(Base):
    __tablename__ = "authors"
    id = Column(Integer, primary_key=True)
    name = Column(String(50), nullable=False)
    books = relationship("Book", back_populates="author", order_by="Book.title")

    def __repr__(self):
        return f"Author({self.name!r})"


class Book(Base):
    __tablename__ = "books"
    id = Column(Integer, primary_key=True)
    title = Column(String(100), nullable=False)
    author_id = Column(Integer, ForeignKey("authors.id"))
    author = relationship("Author", back_populates="books")

    def __repr__(self):
        return f"Book({self.title!r})"


engine = create_engine(os.environ["CONFORMANCE_DB_URL"])
Base.metadata.create_all(engine)

with Session(engine) as session:
    le_guin = Author(name="Le Guin")
    earthsea = Book(title="A Wizard of Earthsea")
    le_guin.books.append(earthsea)
    print("append sets the parent:", earthsea.author)
    dispossessed = Book(title="The Dispossessed", author=le_guin)
    print("setting the parent appends:", le_guin.books)
    print("key before flush:", earthsea.author_id)
    session.add(le_guin)  # the books come along (save-update cascade)
    print("pending:", sorted(repr(o) for o in session.new))
    session.flush()
    print("keys after flush:", earthsea.author_id == le_guin.id, dispossessed.author_id == le_guin.id)
    session.commit()

with Session(engine) as session:
    author = session.scalars(select(Author).where(Author.name == "Le Guin")).one()
    print("lazy load, ordered:", author.books)
    print("many-to-one back:", [b.author is author for b in author.books])
    book = Book(title="Always Coming Home")
    book.author = author
    # SQLAlchemy 2.x: a backref event does not cascade the new object into the session
    print("added by the backref:", book in session, book in author.books)
    session.add(book)
    session.commit()
    print("after commit:", [b.title for b in author.books])

    orphan = Book(title="Anonymous")
    session.add(orphan)
    session.commit()
    print("no author:", orphan.author, orphan.author_id)
    orphan.author_id = author.id  # setting the key directly, then expiring the relationship
    session.commit()
    print("key set directly:", orphan.author, len(author.books))

with Session(engine) as session:
    rows = session.execute(
        select(Author.name, Book.title).join(Book.author).order_by(Book.title)
    ).all()
    print([tuple(r) for r in rows])
