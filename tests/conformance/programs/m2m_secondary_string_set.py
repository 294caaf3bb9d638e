# conformance: many-to-many with secondary given as a table name string, backref, collection_class=set, querying both ways
# requires: issue-3, issue-4, issue-5
import os

from sqlalchemy import Column, ForeignKey, Integer, String, Table, create_engine, func, select
from sqlalchemy.orm import Session, declarative_base, relationship

Base = declarative_base()

Table(
    "memberships",
    Base.metadata,
    Column("person_id", Integer, ForeignKey("people.id", ondelete="CASCADE"), primary_key=True),
    Column("club_id", Integer, ForeignKey("clubs.id", ondelete="CASCADE"), primary_key=True),
)


class Person(Base):
    __tablename__ = "people"
    id = Column(Integer, primary_key=True)
    name = Column(String(30))
    clubs = relationship("Club", secondary="memberships", backref="members", collection_class=set)

    def __repr__(self):
        return self.name


class Club(Base):
    __tablename__ = "clubs"
    id = Column(Integer, primary_key=True)
    name = Column(String(30))

    def __repr__(self):
        return self.name


engine = create_engine(os.environ["CONFORMANCE_DB_URL"])
Base.metadata.create_all(engine)
memberships = Base.metadata.tables["memberships"]

with Session(engine) as session:
    chess, golf, choir = Club(name="chess"), Club(name="golf"), Club(name="choir")
    ann = Person(name="ann", clubs={chess, golf})
    bob = Person(name="bob", clubs={chess})
    cy = Person(name="cy")
    session.add_all([ann, bob, cy, choir])
    print("backref list in memory:", sorted(p.name for p in chess.members))
    session.commit()

    print("-- set operations")
    ann.clubs.add(chess)  # already there: no second row
    ann.clubs.add(choir)
    bob.clubs.discard(chess)
    cy.clubs |= {golf, choir}
    session.commit()
    print(session.scalar(select(func.count()).select_from(memberships)))
    for p in session.scalars(select(Person).order_by(Person.name)):
        print(p, sorted(c.name for c in p.clubs))

    print("-- queries across the association")
    q = select(Person.name).join(Person.clubs).where(Club.name == "golf").order_by(Person.name)
    print("golfers:", session.scalars(q).all())
    q = (
        select(Club.name, func.count(Person.id))
        .outerjoin(Club.members)
        .group_by(Club.name)
        .order_by(Club.name)
    )
    print("members per club:", [tuple(r) for r in session.execute(q)])
    print("contains:", session.scalars(select(Club.name).where(Club.members.contains(ann)).order_by(Club.name)).all())
    print("any:", session.scalars(select(Person.name).where(~Person.clubs.any()).order_by(Person.name)).all())

    print("-- deleting a club removes its memberships")
    session.delete(golf)
    session.commit()
    print(session.scalar(select(func.count()).select_from(memberships)), sorted(c.name for c in ann.clubs))
