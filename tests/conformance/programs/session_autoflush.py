# conformance: autoflush before queries, no_autoflush, sessionmaker(autoflush=False), flush order of parents and children
# requires: issue-3
import os

from sqlalchemy import Column, ForeignKey, Integer, String, create_engine, func, select
from sqlalchemy.orm import Session, declarative_base, relationship, sessionmaker

Base = declarative_base()


class Parent(Base):
    __tablename__ = "parents"
    id = Column(Integer, primary_key=True)
    name = Column(String(20))
    kids = relationship("Kid", backref="parent")


class Kid(Base):
    __tablename__ = "kids"
    id = Column(Integer, primary_key=True)
    name = Column(String(20))
    parent_id = Column(Integer, ForeignKey("parents.id"), nullable=False)


engine = create_engine(os.environ["CONFORMANCE_DB_URL"])
Base.metadata.create_all(engine)


def count(session, cls):
    return session.scalar(select(func.count()).select_from(cls))


with Session(engine) as session:
    session.add(Parent(name="p1", kids=[Kid(name="k1"), Kid(name="k2")]))
    print("autoflush before a query:", count(session, Parent), count(session, Kid))
    with session.no_autoflush:
        session.add(Parent(name="p2"))
        print("inside no_autoflush:", count(session, Parent), len(session.new))
    print("after the block:", count(session, Parent))
    session.rollback()
    print("after rollback:", count(session, Parent))

Manual = sessionmaker(bind=engine, autoflush=False)
with Manual() as session:
    session.add(Parent(name="p3"))
    print("autoflush=False:", count(session, Parent))
    session.flush()
    print("after flush():", count(session, Parent))
    session.commit()

with Manual.begin() as session:
    session.add(Parent(name="p4", kids=[Kid(name="k4")]))
with Session(engine) as session:
    with session.begin():
        p = session.scalars(select(Parent).where(Parent.name == "p4")).one()
        p.kids.append(Kid(name="k5"))
    print("sessionmaker.begin() committed:", session.scalars(select(Parent.name).order_by(Parent.name)).all())
    print("kids of p4:", sorted(k.name for k in p.kids))
