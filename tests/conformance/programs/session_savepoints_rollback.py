# conformance: ORM rollback restores state: modified objects reload, deleted ones come back, begin_nested savepoints undo only their part
# requires: issue-3
import os

from sqlalchemy import Column, Integer, String, create_engine, inspect, select, text
from sqlalchemy.orm import Session, declarative_base

Base = declarative_base()


class Note(Base):
    __tablename__ = "notes"
    id = Column(Integer, primary_key=True)
    body = Column(String(30))


engine = create_engine(os.environ["CONFORMANCE_DB_URL"])
Base.metadata.create_all(engine)


def bodies(session):
    return session.scalars(select(Note.body).order_by(Note.body)).all()


with Session(engine) as session:
    a, b = Note(body="a"), Note(body="b")
    session.add_all([a, b])
    session.commit()

    a.body = "a2"
    session.delete(b)
    c = Note(body="c")
    session.add(c)
    session.flush()
    print("flushed:", bodies(session), inspect(b).deleted, inspect(c).persistent)
    session.rollback()
    print("after rollback:", a.body, inspect(b).persistent, b in session, inspect(c).transient, bodies(session))

    print("-- savepoints")
    session.add(Note(body="d"))
    nested = session.begin_nested()
    e = Note(body="e")
    session.add(e)
    a.body = "a3"
    session.flush()
    nested.rollback()
    print("after the savepoint's rollback:", inspect(e).transient, a.body, bodies(session))
    with session.begin_nested():
        session.add(Note(body="f"))
    session.commit()
    print("committed:", bodies(session))

    print("-- a failing savepoint does not spoil the outer transaction")
    session.add(Note(body="g"))
    try:
        with session.begin_nested():
            session.execute(text("INSERT INTO notes (id, body) VALUES (:i, 'dup')"), {"i": a.id})
    except Exception as exc:  # the database's duplicate key, whatever the driver calls it
        print(type(exc).__name__)
    session.commit()
    print("committed:", bodies(session))
