# conformance: engine.begin/connect, commit/rollback, begin_nested savepoints, Result methods, IntegrityError on a foreign-key violation with .orig
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
    func,
    insert,
    select,
)
from sqlalchemy.exc import DBAPIError, IntegrityError, MultipleResultsFound, NoResultFound

metadata = MetaData()
parents = Table("parents", metadata, Column("id", Integer, primary_key=True), Column("name", String(20), unique=True))
children = Table(
    "children",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("parent_id", Integer, ForeignKey("parents.id"), nullable=False),
)

engine = create_engine(os.environ["CONFORMANCE_DB_URL"])
metadata.create_all(engine)


def count(conn, table):
    return conn.execute(select(func.count()).select_from(table)).scalar()


with engine.begin() as conn:
    conn.execute(insert(parents).values(id=1, name="a"))
with engine.connect() as conn:
    print("engine.begin commits:", count(conn, parents))

with engine.connect() as conn:
    conn.execute(insert(parents).values(id=2, name="b"))
    conn.rollback()
    print("rollback:", count(conn, parents))
    conn.execute(insert(parents).values(id=2, name="b"))
    conn.commit()
    print("commit:", count(conn, parents))

try:
    with engine.begin() as conn:
        conn.execute(insert(parents).values(id=3, name="c"))
        raise RuntimeError("boom")
except RuntimeError:
    pass
with engine.connect() as conn:
    print("an exception rolls the block back:", count(conn, parents))

print("-- savepoints")
with engine.connect() as conn:
    with conn.begin():
        conn.execute(insert(parents).values(id=3, name="c"))
        sp = conn.begin_nested()
        conn.execute(insert(parents).values(id=4, name="d"))
        sp.rollback()
        with conn.begin_nested():
            conn.execute(insert(parents).values(id=5, name="e"))
        try:
            with conn.begin_nested():
                conn.execute(insert(parents).values(id=6, name="a"))  # duplicate name
        except IntegrityError as exc:
            print("inside a savepoint:", type(exc).__name__)
        conn.execute(insert(children).values(parent_id=5))
    print("after:", conn.execute(select(parents.c.id).order_by(parents.c.id)).scalars().all(), count(conn, children))

print("-- foreign-key violation")
with engine.connect() as conn:
    try:
        conn.execute(insert(children).values(parent_id=99))
        conn.commit()
    except IntegrityError as exc:
        print(type(exc).__name__, isinstance(exc, DBAPIError), exc.orig is not None, "children" in str(exc))
        conn.rollback()
    print("children:", count(conn, children))

print("-- result methods")
with engine.connect() as conn:
    q = select(parents.c.id, parents.c.name).order_by(parents.c.id)
    print("all:", [tuple(r) for r in conn.execute(q).all()])
    print("first:", tuple(conn.execute(q).first()))
    print("scalar:", conn.execute(q).scalar())
    print("scalars:", conn.execute(q).scalars().all(), conn.execute(q).scalars(1).all())
    print("mappings:", [dict(m) for m in conn.execute(q.limit(2)).mappings()])
    print("attribute access:", [(r.id, r.name) for r in conn.execute(q.limit(1))])
    print("keys:", list(conn.execute(q).keys()))
    print("iteration:", [row[1] for row in conn.execute(q)])
    print("one_or_none:", conn.execute(q.where(parents.c.id == 42)).one_or_none())
    for bad in (q.where(parents.c.id == 42), q):
        try:
            conn.execute(bad).one()
        except (NoResultFound, MultipleResultsFound) as exc:
            print("one():", type(exc).__name__)
    conn.execute(insert(children), [{"parent_id": 1}, {"parent_id": 2}])  # executemany
    conn.commit()
    print("children:", count(conn, children))
engine.dispose()
