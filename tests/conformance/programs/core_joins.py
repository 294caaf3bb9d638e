# conformance: Core joins with the ON clause inferred from the one foreign key, outer joins, aliases, subqueries, exists, union; errors for zero or two candidate keys
# requires: issue-2
import os

from sqlalchemy import (
    Column,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    exists,
    func,
    insert,
    select,
    union,
)
from sqlalchemy.exc import ArgumentError, NoForeignKeysError

metadata = MetaData()
authors = Table("authors", metadata, Column("id", Integer, primary_key=True), Column("name", String(20)))
books = Table(
    "books",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("title", String(30)),
    Column("author_id", ForeignKey("authors.id")),
)
reviews = Table(
    "reviews",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("book_id", ForeignKey("books.id")),
    Column("stars", Integer),
)
loans = Table(
    "loans",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("lender_id", ForeignKey("authors.id")),
    Column("borrower_id", ForeignKey("authors.id")),
)
tags = Table("tags", metadata, Column("id", Integer, primary_key=True), Column("label", String(10)))

engine = create_engine(os.environ["CONFORMANCE_DB_URL"])
metadata.create_all(engine)

with engine.begin() as conn:
    conn.execute(insert(authors), [{"id": 1, "name": "ann"}, {"id": 2, "name": "bob"}, {"id": 3, "name": "cy"}])
    conn.execute(insert(books), [{"id": 1, "title": "alpha", "author_id": 1}, {"id": 2, "title": "beta", "author_id": 1}, {"id": 3, "title": "gamma", "author_id": 2}])
    conn.execute(insert(reviews), [{"book_id": 1, "stars": 5}, {"book_id": 1, "stars": 3}, {"book_id": 3, "stars": 4}])
    conn.execute(insert(loans), [{"lender_id": 1, "borrower_id": 2}, {"lender_id": 2, "borrower_id": 3}])

with engine.connect() as conn:
    def show(label, stmt):
        print(label, [tuple(r) for r in conn.execute(stmt)])

    show("inferred ON:", select(authors.c.name, books.c.title).select_from(authors.join(books)).order_by(books.c.title))
    show("select.join:", select(books.c.title, reviews.c.stars).join(reviews).order_by(books.c.title, reviews.c.stars))
    show("three tables:", select(authors.c.name, func.avg(reviews.c.stars)).select_from(authors.join(books).join(reviews)).group_by(authors.c.name).order_by(authors.c.name))
    show("outerjoin:", select(authors.c.name, books.c.title).select_from(authors.outerjoin(books)).order_by(authors.c.name, books.c.title))
    show("explicit ON:", select(authors.c.name).join_from(authors, loans, loans.c.borrower_id == authors.c.id).order_by(authors.c.name))
    lender, borrower = authors.alias("lender"), authors.alias("borrower")
    show("aliases:", select(lender.c.name, borrower.c.name).select_from(loans.join(lender, loans.c.lender_id == lender.c.id).join(borrower, loans.c.borrower_id == borrower.c.id)).order_by(lender.c.name))
    counts = select(books.c.author_id, func.count().label("n")).group_by(books.c.author_id).subquery()
    show("subquery:", select(authors.c.name, counts.c.n).join(counts, counts.c.author_id == authors.c.id).order_by(authors.c.name))
    show("exists:", select(authors.c.name).where(exists().where(books.c.author_id == authors.c.id)).order_by(authors.c.name))
    show("not exists:", select(authors.c.name).where(~exists().where(books.c.author_id == authors.c.id)))
    show("scalar subquery:", select(authors.c.name, select(func.count(books.c.id)).where(books.c.author_id == authors.c.id).scalar_subquery().label("c")).order_by(authors.c.name))
    show("in_(select):", select(books.c.title).where(books.c.id.in_(select(reviews.c.book_id).where(reviews.c.stars >= 4))).order_by(books.c.title))
    u = union(select(authors.c.name.label("x")), select(books.c.title.label("x"))).subquery()
    show("union:", select(u.c.x).order_by(u.c.x))

for label, left, right in [("no foreign key", authors, tags), ("two foreign keys", authors, loans)]:
    try:
        left.join(right)
    except ArgumentError as exc:
        print(label + ":", type(exc).__name__, isinstance(exc, ArgumentError), isinstance(exc, NoForeignKeysError))
