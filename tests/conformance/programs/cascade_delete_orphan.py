# conformance: cascade="all, delete-orphan" and cascade="save-update, merge, delete": deleting parents, orphaned children, expunge
# requires: issue-3, issue-4
import os

from sqlalchemy import Column, ForeignKey, Integer, String, create_engine, func, select
from sqlalchemy.orm import Session, declarative_base, relationship

Base = declarative_base()


class Order(Base):
    __tablename__ = "orders"
    id = Column(Integer, primary_key=True)
    ref = Column(String(20), unique=True)
    lines = relationship("Line", back_populates="order", cascade="all, delete-orphan")
    notes = relationship("Note", back_populates="order", cascade="save-update, merge, delete")


class Line(Base):
    __tablename__ = "lines"
    id = Column(Integer, primary_key=True)
    sku = Column(String(20))
    order_id = Column(Integer, ForeignKey("orders.id"), nullable=False)
    order = relationship("Order", back_populates="lines")


class Note(Base):
    __tablename__ = "notes"
    id = Column(Integer, primary_key=True)
    text = Column(String(50))
    order_id = Column(Integer, ForeignKey("orders.id"))
    order = relationship("Order", back_populates="notes")


engine = create_engine(os.environ["CONFORMANCE_DB_URL"])
Base.metadata.create_all(engine)


def counts(session):
    return tuple(session.scalar(select(func.count()).select_from(t)) for t in (Order, Line, Note))


with Session(engine) as session:
    for ref in ("A", "B"):
        session.add(
            Order(
                ref=ref,
                lines=[Line(sku=f"{ref}-1"), Line(sku=f"{ref}-2"), Line(sku=f"{ref}-3")],
                notes=[Note(text=f"{ref} fragile"), Note(text=f"{ref} gift")],
            )
        )
    session.commit()
    print("orders, lines, notes:", counts(session))

    a = session.scalars(select(Order).where(Order.ref == "A")).one()
    print("-- removing a line from the collection deletes it (delete-orphan)")
    removed = a.lines[0]
    a.lines.remove(removed)
    session.commit()
    print(counts(session), sorted(line.sku for line in a.lines))

    print("-- replacing the collection deletes the lines that left it")
    a.lines = [a.lines[0], Line(sku="A-9")]
    session.commit()
    print(counts(session), sorted(line.sku for line in a.lines))

    print("-- removing a note only nulls its key (no delete-orphan)")
    note = a.notes[0]
    a.notes.remove(note)
    session.commit()
    print(counts(session), note.order_id)

    print("-- deleting the order deletes its lines and its remaining notes")
    session.delete(a)
    session.flush()
    print("deleted in session:", sorted(type(o).__name__ for o in session.deleted), a in session)
    session.commit()
    print(counts(session))
    print("left:", session.scalars(select(Line.sku).order_by(Line.sku)).all(), session.scalars(select(Note.text).order_by(Note.text)).all())

    print("-- a line without an order cannot be flushed")
    b = session.scalars(select(Order).where(Order.ref == "B")).one()
    line = b.lines[0]
    line.order = None
    session.commit()
    print(counts(session), "(the orphan was deleted)")
