# conformance: Core types round-trip exactly: Integer kinds, String/Text/Unicode, Boolean, Float, Numeric/Decimal, Date/DateTime/Time, Enum, JSON, LargeBinary, Uuid, PickleType
# requires: issue-2
import enum
import json
import os
import uuid
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Enum,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    PickleType,
    SmallInteger,
    String,
    Table,
    Text,
    Time,
    Unicode,
    Uuid,
    create_engine,
    insert,
    select,
)


class Color(enum.Enum):
    red = 1
    green = 2
    blue = 3


metadata = MetaData()
things = Table(
    "things",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("big", BigInteger),
    Column("small", SmallInteger),
    Column("name", String(50)),
    Column("body", Text),
    Column("uni", Unicode(50)),
    Column("flag", Boolean),
    Column("ratio", Float),
    Column("price", Numeric(12, 4)),
    Column("day", Date),
    Column("at", DateTime),
    Column("at_tz", DateTime(timezone=True)),
    Column("clock", Time),
    Column("color", Enum(Color)),
    Column("size", Enum("S", "M", "L", name="size_enum")),
    Column("doc", JSON),
    Column("blob", LargeBinary),
    Column("key", Uuid),
    Column("obj", PickleType),
)

engine = create_engine(os.environ["CONFORMANCE_DB_URL"])
metadata.create_all(engine)

values = [
    dict(
        big=2**62,
        small=-32768,
        name="plain",
        body="line one\nline two\ttab 'quoted' \"double\" \\ backslash",
        uni="naïve café ☕ 日本",
        flag=True,
        ratio=0.1,
        price=Decimal("12345678.0001"),
        day=date(1999, 12, 31),
        at=datetime(2024, 2, 29, 23, 59, 58, 123456),
        at_tz=datetime(2024, 6, 1, 12, 0, tzinfo=timezone(timedelta(hours=2))),
        clock=time(7, 8, 9),
        color=Color.green,
        size="M",
        doc={"b": [1, 2.5, None, True], "a": {"nested": "x"}},
        blob=bytes(range(256)),
        key=uuid.UUID("12345678-1234-5678-1234-567812345678"),
        obj={"set": {1, 2}, "tuple": (1, "a")},
    ),
    dict(
        big=-1,
        small=0,
        name="",
        body="",
        uni="",
        flag=False,
        ratio=-2.5e10,
        price=Decimal("-0.0001"),
        day=date(1970, 1, 1),
        at=datetime(1970, 1, 1),
        at_tz=None,
        clock=time(0, 0),
        color=Color.blue,
        size="L",
        doc=[],
        blob=b"",
        key=uuid.UUID(int=0),
        obj=None,
    ),
]

with engine.begin() as conn:
    conn.execute(insert(things), values)  # executemany
    conn.execute(insert(things).values(name=None))  # every other column left out: NULL


def show(column, value):
    if value is None:
        return "None"
    if isinstance(value, datetime) and value.tzinfo is not None:
        return "aware " + value.astimezone(timezone.utc).isoformat()
    if isinstance(value, (dict, list)) and column == "doc":
        return json.dumps(value, sort_keys=True)
    if isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
        return f"{type(value).__name__} len={len(data)} sum={sum(data)}"
    return f"{type(value).__name__} {value!r}"


with engine.connect() as conn:
    rows = conn.execute(select(things).order_by(things.c.id)).all()
    for row in rows:
        print(f"-- row {row.id}")
        for column in things.columns.keys()[1:]:
            if column == "at_tz" and engine.dialect.name == "sqlite":
                continue  # SQLite keeps no time zone; SQLAlchemy's and tether's text forms may differ
            print(f"{column}: {show(column, getattr(row, column))}")
    print("-- round trip equality")
    first = rows[0]._mapping
    for column in ("big", "small", "body", "uni", "flag", "price", "day", "at", "clock", "color", "size", "doc", "blob", "key", "obj"):
        print(column, first[column] == values[0][column])
    print("-- filters on typed values")
    print(conn.execute(select(things.c.id).where(things.c.color == Color.blue)).scalars().all())
    print(conn.execute(select(things.c.id).where(things.c.price > Decimal("0"))).scalars().all())
    print(conn.execute(select(things.c.id).where(things.c.day < date(2000, 1, 1)).order_by(things.c.id)).scalars().all())
    print(conn.execute(select(things.c.id).where(things.c.key == uuid.UUID(int=0))).scalars().all())
    print(conn.execute(select(things.c.id).where(things.c.flag.is_(False))).scalars().all())
