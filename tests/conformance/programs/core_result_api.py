# conformance: the Result and Row API in detail: fetchone/fetchmany/partitions, scalars().first/one_or_none, _asdict, _fields, unique, columns, keys, closed results
# requires: issue-2
import os

from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, insert, select
from sqlalchemy.exc import MultipleResultsFound, ResourceClosedError

metadata = MetaData()
t = Table("t", metadata, Column("id", Integer, primary_key=True), Column("k", String(5)), Column("v", Integer))

engine = create_engine(os.environ["CONFORMANCE_DB_URL"])
metadata.create_all(engine)
with engine.begin() as conn:
    conn.execute(insert(t), [{"k": k, "v": v} for k, v in [("a", 1), ("b", 2), ("a", 3), ("c", 2), ("b", 5)]])

q = select(t.c.k, t.c.v).order_by(t.c.id)
with engine.connect() as conn:
    r = conn.execute(q)
    print("fetchone:", tuple(r.fetchone()), "| fetchmany(2):", [tuple(x) for x in r.fetchmany(2)], "| fetchall:", [tuple(x) for x in r.fetchall()])
    print("exhausted fetchone:", r.fetchone())
    print("partitions:", [[tuple(x) for x in part] for part in conn.execute(q).partitions(2)])
    row = conn.execute(q).first()
    print("row:", row._fields, row._asdict(), row.k, row[1], row[-1], list(row), len(row), row == ("a", 1))
    print("unpack:", [f"{k}{v}" for k, v in conn.execute(q)])
    print("scalars first:", conn.execute(select(t.c.k).order_by(t.c.k)).scalars().first())
    print("scalars unique:", conn.execute(select(t.c.k).order_by(t.c.k)).scalars().unique().all())
    print("unique rows:", [tuple(x) for x in conn.execute(select(t.c.v).order_by(t.c.v)).unique()])
    print("columns():", [tuple(x) for x in conn.execute(q).columns("v")])
    print("keys:", list(conn.execute(q).keys()), "mappings first:", dict(conn.execute(q).mappings().first()))
    print("scalar_one_or_none:", conn.execute(select(t.c.v).where(t.c.k == "c")).scalar_one_or_none(), conn.execute(select(t.c.v).where(t.c.k == "z")).scalar_one_or_none())
    try:
        conn.execute(select(t.c.v).where(t.c.k == "a")).scalar_one_or_none()
    except MultipleResultsFound as exc:
        print(type(exc).__name__)
    print("row in set:", len({x for x in conn.execute(select(t.c.v))}))
    print("sorted rows:", [tuple(x) for x in sorted(conn.execute(select(t.c.k, t.c.v)))])
    r = conn.execute(q)
    r.close()
    try:
        r.fetchone()
    except ResourceClosedError as exc:
        print("closed result:", type(exc).__name__)
