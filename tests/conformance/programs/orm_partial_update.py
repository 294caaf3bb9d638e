# conformance: attribute history: a flush updates only the changed columns, no-op assignments write nothing, and lazy="joined" defaults
# requires: issue-3
import os

from sqlalchemy import Column, ForeignKey, Integer, String, create_engine, select, update
from sqlalchemy.orm import Session, declarative_base, relationship

Base = declarative_base()


class Owner(Base):
    __tablename__ = "owners"
    id = Column(Integer, primary_key=True)
    name = Column(String(20))


class Car(Base):
    __tablename__ = "cars"
    id = Column(Integer, primary_key=True)
    plate = Column(String(10))
    color = Column(String(10))
    km = Column(Integer)
    owner_id = Column(Integer, ForeignKey("owners.id"))
    owner = relationship(Owner, lazy="joined")


engine = create_engine(os.environ["CONFORMANCE_DB_URL"])
Base.metadata.create_all(engine)


def elsewhere(**values):
    with engine.begin() as conn:
        conn.execute(update(Car).values(**values))


def row():
    with engine.connect() as conn:
        return tuple(conn.execute(select(Car.plate, Car.color, Car.km)).one())


with Session(engine) as session:
    session.add(Car(plate="AB-1", color="red", km=10, owner=Owner(name="ann")))
    session.commit()

with Session(engine) as session:
    car = session.scalars(select(Car)).one()
    print("lazy='joined' loaded the owner with the car:", "owner" in car.__dict__, car.owner.name)
    elsewhere(color="blue")  # another connection changes a column this session does not touch
    car.km = 20
    session.commit()
    print("only km written:", row())

    car.plate = car.plate  # assigning the same value is not a change
    print("no-op assignment is not a change:", session.is_modified(car))
    elsewhere(plate="ZZ-9")
    session.commit()
    print("nothing written:", row())

    session.refresh(car)
    car.color = "green"
    car.color = "blue"  # back to the loaded value: no net change
    print("changed and changed back:", session.is_modified(car))
    car.plate = "CD-2"
    elsewhere(km=99, color="white")
    session.commit()
    print("plate written, km and color kept:", row())

    car.owner = Owner(name="bob")
    session.commit()
    print("new owner:", car.owner.name, session.scalars(select(Owner.name).order_by(Owner.name)).all())
