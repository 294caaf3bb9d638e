# conformance: tutorial 5 (association tables): relationship update cascades, passive_updates on SQLite and PostgreSQL
# requires: issue-3, issue-4, issue-5
"""Changing a User's primary key while Address rows refer to it.

1. No ON UPDATE action and the default passive_updates=True: the database refuses the change
   (foreign keys are enforced), IntegrityError.
2. `ON UPDATE CASCADE` with passive_updates=True: the database carries the new key to the
   addresses; the loaded addresses see it too.
3. passive_updates=False: the ORM updates the addresses itself, also those not loaded in the
   session.  The key is DEFERRABLE INITIALLY DEFERRED so that the row order within the flush
   does not matter to the database.
"""

import os

from sqlalchemy import Column, ForeignKey, Integer, String, create_engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, backref, declarative_base, relationship

engine = create_engine(os.environ["CONFORMANCE_DB_URL"])


def make_models(fk_options, passive_updates):
    Base = declarative_base()

    class User(Base):
        __tablename__ = "user"
        id = Column(Integer, primary_key=True, autoincrement=False)
        name = Column(String)

    class Address(Base):
        __tablename__ = "address"
        id = Column(Integer, primary_key=True, autoincrement=False)
        address = Column(String)
        user_id = Column(Integer, ForeignKey("user.id", **fk_options))
        user = relationship(User, backref=backref("addresses", uselist=True, passive_updates=passive_updates))

    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.add(User(id=1, name="john", addresses=[Address(id=1, address="home"), Address(id=2, address="office")]))
        session.add(User(id=2, name="jane", addresses=[Address(id=3, address="flat")]))
        session.commit()
    return User, Address


def show(Address):
    with Session(engine) as session:
        rows = session.query(Address.address, Address.user_id).order_by(Address.id).all()
        print("  rows:", [tuple(r) for r in rows])


print("1. no ON UPDATE, passive_updates=True")
User, Address = make_models({}, True)
with Session(engine) as session:
    john = session.get(User, 1)
    john.id = 3
    try:
        session.commit()
    except IntegrityError as exc:
        print("  ", type(exc).__name__)
        session.rollback()
        print("  after rollback:", john.id, sorted(a.address for a in john.addresses))
show(Address)

print("2. ON UPDATE CASCADE, passive_updates=True")
User, Address = make_models({"onupdate": "CASCADE"}, True)
with Session(engine) as session:
    john = session.get(User, 1)
    home_of_john = session.get(Address, 1)
    john.id = 3
    session.commit()
    print("  loaded address follows:", home_of_john.user_id, home_of_john.user.name)
    print("  john's addresses:", sorted(a.address for a in john.addresses))
show(Address)

print("3. passive_updates=False, deferred foreign key")
User, Address = make_models({"deferrable": True, "initially": "DEFERRED"}, False)
with Session(engine) as session:
    john = session.get(User, 1)
    john.id = 3
    session.commit()
    print("  john:", john.id, sorted((a.address, a.user_id) for a in john.addresses))
    office_of_john = session.get(Address, 2)
    print("  office_of_john.user:", office_of_john.user.name)
show(Address)
