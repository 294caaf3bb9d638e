# conformance: relationship mistakes are refused when mappers are configured (no foreign key, two candidate keys, bad back_populates, backref collision, unknown class name), and the fixed models work
# requires: issue-3, issue-4
"""Each broken model lives in its own declarative base and is configured on its own
(`registry.configure()`), so one mistake does not hide the next.  The program prints whether an
error was raised and whether `except` with the class SQLAlchemy raises catches it (tether may
report several problems in one exception; it must still be caught where SQLAlchemy's is).
"""

import os

from sqlalchemy import Column, ForeignKey, Integer, String, create_engine
from sqlalchemy.exc import ArgumentError, InvalidRequestError, SQLAlchemyError
from sqlalchemy.orm import Session, declarative_base, relationship


def check(label, build, catch=SQLAlchemyError):
    """Configure one model; `catch` is the class SQLAlchemy raises, which user code catches."""
    Base = build()[0]
    try:
        Base.registry.configure()
    except catch:
        print(f"{label}: refused, caught as {catch.__name__}")
    except SQLAlchemyError as exc:
        print(f"{label}: refused, but not as {catch.__name__}: {type(exc).__name__}")
    else:
        print(f"{label}: ok")


def no_foreign_key():
    Base = declarative_base()

    class Parent(Base):
        __tablename__ = "parent"
        id = Column(Integer, primary_key=True)
        children = relationship("Child")

    class Child(Base):
        __tablename__ = "child"
        id = Column(Integer, primary_key=True)
        parent_id = Column(Integer)  # no ForeignKey

    return Base, None, None


def two_foreign_keys():
    Base = declarative_base()

    class Person(Base):
        __tablename__ = "person"
        id = Column(Integer, primary_key=True)

    class Message(Base):
        __tablename__ = "message"
        id = Column(Integer, primary_key=True)
        sender_id = Column(ForeignKey("person.id"))
        recipient_id = Column(ForeignKey("person.id"))
        sender = relationship("Person")

    return Base, None, None


def back_populates_missing():
    Base = declarative_base()

    class Parent(Base):
        __tablename__ = "parent"
        id = Column(Integer, primary_key=True)
        children = relationship("Child", back_populates="parnet")

    class Child(Base):
        __tablename__ = "child"
        id = Column(Integer, primary_key=True)
        parent_id = Column(ForeignKey("parent.id"))
        parent = relationship("Parent", back_populates="children")

    return Base, None, None


def backref_collision():
    Base = declarative_base()

    class Parent(Base):
        __tablename__ = "parent"
        id = Column(Integer, primary_key=True)
        children = Column(String(10))

    class Child(Base):
        __tablename__ = "child"
        id = Column(Integer, primary_key=True)
        parent_id = Column(ForeignKey("parent.id"))
        parent = relationship("Parent", backref="children")

    return Base, None, None


def unknown_class_name():
    Base = declarative_base()

    class Parent(Base):
        __tablename__ = "parent"
        id = Column(Integer, primary_key=True)
        children = relationship("Chlid")

    class Child(Base):
        __tablename__ = "child"
        id = Column(Integer, primary_key=True)
        parent_id = Column(ForeignKey("parent.id"))

    return Base, None, None


def fixed():
    Base = declarative_base()

    class Person(Base):
        __tablename__ = "person"
        id = Column(Integer, primary_key=True)
        name = Column(String(10))

    class Message(Base):
        __tablename__ = "message"
        id = Column(Integer, primary_key=True)
        sender_id = Column(ForeignKey("person.id"))
        recipient_id = Column(ForeignKey("person.id"))
        sender = relationship("Person", foreign_keys=[sender_id], backref="sent")
        recipient = relationship("Person", foreign_keys=[recipient_id], backref="received")

    return Base, Person, Message


check("no foreign key", no_foreign_key, ArgumentError)
check("two foreign keys", two_foreign_keys, ArgumentError)
check("back_populates names a missing attribute", back_populates_missing, InvalidRequestError)
check("backref collides with a column", backref_collision, ArgumentError)
check("unknown class name", unknown_class_name, InvalidRequestError)
check("fixed model", fixed)

Base, Person, Message = fixed()
engine = create_engine(os.environ["CONFORMANCE_DB_URL"])
Base.metadata.create_all(engine)
with Session(engine) as session:
    ann, bob = Person(name="ann"), Person(name="bob")
    session.add(Message(sender=ann, recipient=bob))
    session.commit()
    print("sent/received:", len(ann.sent), len(ann.received), len(bob.received))
