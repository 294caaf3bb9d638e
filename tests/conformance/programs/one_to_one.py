# conformance: one-to-one with uselist=False on the parent side; replacing the child nulls or deletes (delete-orphan) the old one
# requires: issue-3, issue-4
import os

from sqlalchemy import Column, ForeignKey, Integer, String, create_engine, select
from sqlalchemy.orm import Session, declarative_base, relationship

Base = declarative_base()


class Person(Base):
    __tablename__ = "people"
    id = Column(Integer, primary_key=True)
    name = Column(String(20))
    passport = relationship("Passport", uselist=False, back_populates="holder")
    profile = relationship("Profile", uselist=False, back_populates="person", cascade="all, delete-orphan")

    def __repr__(self):
        return self.name


class Passport(Base):
    __tablename__ = "passports"
    id = Column(Integer, primary_key=True)
    number = Column(String(10))
    person_id = Column(Integer, ForeignKey("people.id"), unique=True)
    holder = relationship("Person", back_populates="passport")

    def __repr__(self):
        return f"Passport({self.number})"


class Profile(Base):
    __tablename__ = "profiles"
    id = Column(Integer, primary_key=True)
    bio = Column(String(30))
    person_id = Column(Integer, ForeignKey("people.id"), nullable=False)
    person = relationship("Person", back_populates="profile")

    def __repr__(self):
        return f"Profile({self.bio})"


engine = create_engine(os.environ["CONFORMANCE_DB_URL"])
Base.metadata.create_all(engine)

with Session(engine) as session:
    ann = Person(name="ann", passport=Passport(number="P1"), profile=Profile(bio="hello"))
    bob = Person(name="bob")
    print("scalar attributes:", ann.passport, ann.profile, bob.passport, ann.passport.holder)
    session.add_all([ann, bob])
    session.commit()

    print("-- replace the passport: the old one loses its holder")
    old = ann.passport
    ann.passport = Passport(number="P2")
    print(old.holder, ann.passport.holder)
    session.commit()
    print(session.execute(select(Passport.number, Passport.person_id.is_(None)).order_by(Passport.number)).all())

    print("-- move a passport to another person")
    old.holder = bob
    session.commit()
    print(bob.passport, ann.passport)

    print("-- replace the profile: the old one is deleted (delete-orphan)")
    ann.profile = Profile(bio="second")
    session.commit()
    print(session.scalars(select(Profile.bio)).all())

    print("-- set to None")
    ann.profile = None
    ann.passport = None
    session.commit()
    print(session.scalars(select(Profile.bio)).all(), ann.passport, ann.profile)
    print(session.execute(select(Passport.number, Passport.person_id.is_(None)).order_by(Passport.number)).all())
