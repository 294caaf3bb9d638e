# conformance: tutorial 2 (managing relationships): ExampleModel with every column type, in schema "example" on PostgreSQL
# requires: issue-2, issue-3, issue-5
"""The tutorial's ExampleModel: Integer, String, Text, DateTime, Boolean, Float and PickleType columns.

The tutorial puts the table in the PostgreSQL schema "example" (create_all must create it on an
empty database); SQLite has no schemas without attached databases, so there the table lives in
the main database.  The tutorial's record omits the not-null `number` and `data`; the program
fills them, and shows that leaving one out is an IntegrityError.
"""

import os
from datetime import datetime

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    Integer,
    PickleType,
    String,
    Text,
    create_engine,
    text,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.declarative import declarative_base
from sqlalchemy.orm import sessionmaker

URL = os.environ["CONFORMANCE_DB_URL"]
SCHEMA = "example" if URL.startswith("postgresql") else None

Base = declarative_base()


class ExampleModel(Base):
    """Data model example."""

    __tablename__ = "example_table"
    __table_args__ = {"schema": SCHEMA}

    id = Column(Integer, primary_key=True, nullable=False)
    name = Column(String(100), nullable=False)
    description = Column(Text, nullable=True)
    join_date = Column(DateTime, nullable=False)
    vip = Column(Boolean, nullable=False)
    number = Column(Float, nullable=False)
    data = Column(PickleType, nullable=False)

    def __repr__(self):
        return "<Example model {}>".format(self.id)


engine = create_engine(URL)
if SCHEMA:
    # SQLAlchemy's create_all does not create a missing schema (tether's does); create it first
    # so that the program means the same thing on both.
    with engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}"))
Base.metadata.create_all(engine)
session = sessionmaker(bind=engine)()

newModel = ExampleModel(
    name="todd",
    description="im testing this",
    vip=True,
    join_date=datetime(2019, 7, 11, 9, 30, 15),
    number=2.5,
    data={"scores": [1, 2, 3], "nested": ("a", None)},
)
session.add(newModel)
session.commit()
print(newModel)

second = ExampleModel(name="max", vip=False, join_date=datetime(2020, 1, 2), number=-1.25, data=[None])
session.add(second)
session.commit()
print(second)

session.expire_all()
for row in session.query(ExampleModel).order_by(ExampleModel.id):
    print(row, row.name, row.description, row.join_date.isoformat(), row.vip, row.number, row.data)

print("vip filter:", [m.name for m in session.query(ExampleModel).filter(ExampleModel.vip.is_(True))])
print("number filter:", [m.name for m in session.query(ExampleModel).filter(ExampleModel.number < 0)])

try:
    session.add(ExampleModel(name="broken", vip=True, join_date=datetime(2021, 1, 1)))
    session.commit()
except IntegrityError as exc:
    print("missing not-null values:", type(exc).__name__)
    session.rollback()
print("rows:", session.query(ExampleModel).count())
session.close()
