# conformance: typed 2.x association object with a composite primary key, Python Enum column, get() by composite key, select() across the association
# requires: issue-3, issue-4, issue-5
from __future__ import annotations

import enum
import os
from datetime import date
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String, create_engine, func, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class Role(enum.Enum):
    lead = "lead"
    member = "member"
    guest = "guest"


class Project(Base):
    __tablename__ = "projects"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(20), unique=True)
    budget: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    memberships: Mapped[list[Membership]] = relationship(back_populates="project", cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"Project({self.name})"


class Person(Base):
    __tablename__ = "people"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(20), unique=True)
    memberships: Mapped[list[Membership]] = relationship(back_populates="person", cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"Person({self.name})"


class Membership(Base):
    __tablename__ = "memberships"
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True)
    role: Mapped[Role]
    since: Mapped[date]
    project: Mapped[Project] = relationship(back_populates="memberships")
    person: Mapped[Person] = relationship(back_populates="memberships")

    def __repr__(self) -> str:
        return f"Membership({self.person.name} in {self.project.name} as {self.role.name})"


engine = create_engine(os.environ["CONFORMANCE_DB_URL"])
Base.metadata.create_all(engine)

with Session(engine) as session:
    apollo = Project(name="apollo", budget=Decimal("1000.50"))
    gemini = Project(name="gemini", budget=Decimal("250.00"))
    ann, bob, cy = Person(name="ann"), Person(name="bob"), Person(name="cy")
    apollo.memberships = [
        Membership(person=ann, role=Role.lead, since=date(2020, 1, 1)),
        Membership(person=bob, role=Role.member, since=date(2021, 6, 1)),
    ]
    gemini.memberships.append(Membership(person=ann, role=Role.member, since=date(2022, 3, 3)))
    gemini.memberships.append(Membership(person=cy, role=Role.guest, since=date(2023, 9, 9)))
    session.add_all([apollo, gemini])
    session.commit()
    ids = {p.name: p.id for p in (apollo, gemini)} | {p.name: p.id for p in (ann, bob, cy)}

with Session(engine) as session:
    m = session.get(Membership, (ids["apollo"], ids["bob"]))
    print("get by tuple:", m, m.role, type(m.role).__name__, m.since.isoformat())
    same = session.get(Membership, {"project_id": ids["apollo"], "person_id": ids["bob"]})
    print("get by dict is the same object:", same is m)
    print("missing:", session.get(Membership, (ids["gemini"], ids["bob"])))

    rows = session.execute(
        select(Person.name, Project.name, Membership.role)
        .join(Membership, Membership.person_id == Person.id)
        .join(Membership.project)
        .order_by(Person.name, Project.name)
    ).all()
    print("who is where:", [(p, j, r.value) for p, j, r in rows])
    leads = session.scalars(select(Person.name).join(Person.memberships).where(Membership.role == Role.lead)).all()
    print("leads:", leads)
    counts = session.execute(
        select(Project.name, func.count(Membership.person_id), Project.budget)
        .join(Project.memberships)
        .group_by(Project.name, Project.budget)
        .order_by(Project.name)
    ).all()
    print("team sizes:", [tuple(r) for r in counts])
    print("people in more than one project:", session.scalars(
        select(Person.name).join(Person.memberships).group_by(Person.name).having(func.count() > 1)
    ).all())

    print("-- promote, remove, delete")
    m.role = Role.lead
    ann = session.scalars(select(Person).where(Person.name == "ann")).one()
    gone = [x for x in ann.memberships if x.project.name == "gemini"][0]
    ann.memberships.remove(gone)  # delete-orphan removes the row
    session.delete(session.scalars(select(Person).where(Person.name == "cy")).one())
    session.commit()
    rows = session.execute(select(Membership.project_id, Membership.person_id, Membership.role).order_by(Membership.project_id, Membership.person_id)).all()
    print("memberships left:", [(r.role.name, r.project_id == ids["apollo"]) for r in rows])
    gemini = session.scalars(select(Project).where(Project.name == "gemini")).one()
    print("gemini members:", gemini.memberships)
