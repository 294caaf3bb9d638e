# conformance: event.listens_for on the Engine class (connect: the SQLite PRAGMA recipe), an engine (checkout), and a sessionmaker (before_flush changing objects, after_flush seeing session.new, after_flush_postexec, after_commit, after_rollback once=True); remove() and contains(); an unknown event refused
# requires: issue-3
import os

from sqlalchemy import Column, Integer, String, create_engine, event, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.orm import Session, declarative_base, sessionmaker

seen = []


@event.listens_for(Engine, "connect")
def on_connect(dbapi_connection, connection_record):
    connection_record.info["tag"] = "ready"
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


Base = declarative_base()


class Note(Base):
    __tablename__ = "notes"
    id = Column(Integer, primary_key=True)
    text = Column(String(20))


engine = create_engine(os.environ["CONFORMANCE_DB_URL"])


@event.listens_for(engine, "checkout")
def on_checkout(dbapi_connection, connection_record, connection_proxy):
    seen.append("checkout " + connection_record.info.get("tag", "?"))


Base.metadata.create_all(engine)
Notes = sessionmaker(engine)


@event.listens_for(Notes, "before_flush")
def shout(session, flush_context, instances):
    seen.append(f"before_flush new={len(session.new)}")
    for obj in session.new:
        obj.text = obj.text.upper()


@event.listens_for(Notes, "after_flush")
def after_flush(session, flush_context):
    seen.append(f"after_flush new={len(session.new)}")


@event.listens_for(Notes, "after_flush_postexec")
def postexec(session, flush_context):
    seen.append(f"postexec new={len(session.new)}")


@event.listens_for(Notes, "after_commit")
def committed(session):
    seen.append("after_commit")


@event.listens_for(Notes, "after_rollback", once=True)
def rolled_back(session):
    seen.append("after_rollback")


with Notes() as session:
    session.add_all([Note(text="hi"), Note(text="there")])
    session.commit()
    print(session.scalars(select(Note.text).order_by(Note.id)).all())
    session.rollback()
    session.rollback()
with Session(engine) as plain:  # not made by Notes: its listeners stay quiet
    plain.add(Note(text="quiet"))
    plain.commit()
print("events:", [s for s in seen if not s.startswith("checkout")])
print("checkouts tagged:", {s for s in seen if s.startswith("checkout")})
print("contains:", event.contains(Notes, "after_commit", committed))
event.remove(Notes, "after_commit", committed)
print("removed:", event.contains(Notes, "after_commit", committed))
try:
    event.listen(Notes, "before_frobnicate", lambda *args: None)
except InvalidRequestError:
    print("unknown event: InvalidRequestError")
