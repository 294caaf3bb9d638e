# conformance: a failed flush (IntegrityError): PendingRollbackError until rollback(), then the session works; pending objects transient again
# requires: issue-3
import os

from sqlalchemy import Column, Integer, String, create_engine, inspect, select
from sqlalchemy.exc import IntegrityError, PendingRollbackError
from sqlalchemy.orm import Session, declarative_base

Base = declarative_base()


class User(Base):
    __tablename__ = "users"
    id = Column(Integer, primary_key=True)
    email = Column(String(50), unique=True, nullable=False)
    name = Column(String(20))


engine = create_engine(os.environ["CONFORMANCE_DB_URL"])
Base.metadata.create_all(engine)

session = Session(engine)
ann = User(email="ann@x", name="ann")
session.add(ann)
session.commit()

ann.name = "Ann"
good = User(email="bob@x", name="bob")
dup = User(email="ann@x", name="impostor")
session.add_all([good, dup])
try:
    session.flush()
except IntegrityError as exc:
    print("flush:", type(exc).__name__, "| orig is a driver error:", exc.orig is not None)

try:
    session.scalars(select(User)).all()
except PendingRollbackError as exc:
    print("before rollback:", type(exc).__name__)

session.rollback()
print("pending objects are transient again:", inspect(good).transient, inspect(dup).transient)
print("changed object reloads its database value:", ann.name)
print("rows:", session.scalars(select(User.email).order_by(User.email)).all())

session.add(User(email="cy@x", name="cy"))
session.commit()
print("session works again:", session.scalars(select(User.email).order_by(User.email)).all())

session.close()

print("-- with a context manager transaction")
session = Session(engine)
try:
    with session.begin():
        session.add(User(email="dee@x", name="dee"))
        session.add(User(email="cy@x", name="dup"))
except IntegrityError as exc:
    print(type(exc).__name__)
print("after the block:", session.scalars(select(User.name).order_by(User.name)).all())
session.close()

print("-- not null")
with Session(engine) as s:
    s.add(User(name="no email"))
    try:
        s.commit()
    except IntegrityError as exc:
        print(type(exc).__name__)
        s.rollback()
    print(s.scalars(select(User.name).order_by(User.name)).all())
