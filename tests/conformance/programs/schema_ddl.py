# conformance: DDL: create_all twice is harmless, drop_all order, composite keys, Unique/Check constraints, indexes, defaults, server defaults, onupdate
# requires: issue-2
import os
from datetime import date

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    UniqueConstraint,
    create_engine,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError

counter = iter(range(100, 1000))
metadata = MetaData()
regions = Table(
    "regions",
    metadata,
    Column("country", String(2)),
    Column("code", String(5)),
    Column("name", String(30), nullable=False),
    PrimaryKeyConstraint("country", "code"),
)
shops = Table(
    "shops",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("country", String(2), nullable=False),
    Column("region", String(5), nullable=False),
    Column("name", String(30), nullable=False),
    Column("rank", Integer, CheckConstraint("rank > 0", name="ck_rank_positive"), default=lambda: next(counter)),
    Column("status", String(10), server_default=text("'open'")),
    Column("opened", Date, default=date(2000, 1, 1)),
    Column("edits", Integer, default=0, onupdate=lambda: 1),
    ForeignKeyConstraint(["country", "region"], ["regions.country", "regions.code"], ondelete="CASCADE"),
    UniqueConstraint("country", "name", name="uq_shop_name"),
)
Index("ix_shops_status", shops.c.status)
staff = Table(
    "staff",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("shop_id", ForeignKey("shops.id", ondelete="CASCADE"), index=True),
    Column("email", String(50), unique=True),
)

engine = create_engine(os.environ["CONFORMANCE_DB_URL"])
metadata.create_all(engine)
metadata.create_all(engine)  # checkfirst: nothing happens the second time
print("sorted tables:", [t.name for t in metadata.sorted_tables])

SQLITE = os.environ["CONFORMANCE_DB_URL"].startswith("sqlite")


def catalog(sqlite_sql, pg_sql):
    """Names from the database's own catalog (no reflection API involved)."""
    with engine.connect() as conn:
        return sorted(conn.execute(text(sqlite_sql if SQLITE else pg_sql)).scalars().all())


def table_names():
    return catalog(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'",
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public'",
    )


print("tables:", table_names())
print("named indexes:", catalog(
    "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'ix%'",
    "SELECT indexname FROM pg_indexes WHERE schemaname = 'public' AND indexname LIKE 'ix%'",
))

with engine.begin() as conn:
    conn.execute(insert(regions), [{"country": "NO", "code": "OSL", "name": "Oslo"}, {"country": "IT", "code": "RM", "name": "Rome"}])
    conn.execute(insert(shops).values(country="NO", region="OSL", name="fjord"))
    conn.execute(insert(shops).values(country="IT", region="RM", name="forum", rank=7, status="closed"))
    conn.execute(insert(staff), [{"shop_id": 1, "email": "a@x"}, {"shop_id": 2, "email": "b@x"}])
    conn.execute(update(shops).where(shops.c.name == "forum").values(name="Forum"))
    print([tuple(r) for r in conn.execute(select(shops.c.name, shops.c.rank, shops.c.status, shops.c.opened, shops.c.edits).order_by(shops.c.id))])

for label, stmt in [
    ("check constraint", insert(shops).values(country="NO", region="OSL", name="x", rank=-1)),
    ("unique constraint", insert(shops).values(country="NO", region="OSL", name="fjord")),
    ("composite foreign key", insert(shops).values(country="NO", region="BGO", name="y")),
    ("unique column", insert(staff).values(shop_id=1, email="a@x")),
    ("not null", insert(regions).values(country="SE", code="STO")),
]:
    try:
        with engine.begin() as conn:
            conn.execute(stmt)
        print(label, "accepted")
    except IntegrityError as exc:
        print(label + ":", type(exc).__name__)

with engine.begin() as conn:
    conn.execute(regions.delete().where(regions.c.country == "IT"))
    print("ON DELETE CASCADE through two levels:", conn.execute(select(shops.c.name)).scalars().all(), conn.execute(select(staff.c.email)).scalars().all())

metadata.drop_all(engine)
metadata.drop_all(engine)
print("after drop_all:", table_names())
