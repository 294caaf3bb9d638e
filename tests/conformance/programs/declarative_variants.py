# conformance: declarative forms: __table__ mapping, registry.mapped, __table_args__ tuple+dict, user __init__/__repr__, relationship(Class)/(lambda), viewonly, o2m collection_class=set
# requires: issue-3
import os

from sqlalchemy import (
    Column,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    create_engine,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, declarative_base, registry, relationship

metadata = MetaData()
Base = declarative_base(metadata=metadata)
mapper_registry = registry(metadata=metadata)

cities = Table(
    "cities",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(30), nullable=False),
)


class City(Base):
    __table__ = cities  # mapping an existing Table
    # a read-only view of the streets, never written through
    street_set = relationship("Street", viewonly=True, collection_class=set)

    def __repr__(self):
        return f"City({self.name})"


@mapper_registry.mapped
class Note:
    __tablename__ = "notes"
    id = Column(Integer, primary_key=True)
    text = Column(String(30))


class Street(Base):
    __tablename__ = "streets"
    __table_args__ = (UniqueConstraint("city_id", "name"), {"comment": "streets of a city"})

    id = Column(Integer, primary_key=True)
    name = Column(String(30))
    city_id = Column(ForeignKey("cities.id"))
    city = relationship(City, backref="streets")

    def __init__(self, name, city=None):
        # a user-defined constructor is kept as written
        self.name = name.title()
        self.city = city

    def __repr__(self):
        return f"<{self.name} street>"


class House(Base):
    __tablename__ = "houses"
    id = Column(Integer, primary_key=True)
    number = Column(Integer)
    street_id = Column(ForeignKey("streets.id"))
    street = relationship(lambda: Street, backref="houses")


class Mayor(Base):
    __tablename__ = "mayors"
    id = Column(Integer, primary_key=True)
    name = Column(String(30))
    city_id = Column(ForeignKey("cities.id"))
    city = relationship(City)


engine = create_engine(os.environ["CONFORMANCE_DB_URL"])
metadata.create_all(engine)

with Session(engine) as session:
    oslo = City(name="Oslo")
    main = Street("main street", oslo)
    Street("harbour road", oslo)
    House(number=1, street=main)
    House(number=3, street=main)
    session.add(oslo)
    session.add(Mayor(name="mo", city=oslo))
    session.commit()
    print(oslo, sorted(oslo.streets, key=lambda s: s.name), sorted(h.number for h in main.houses))
    mayor = session.scalars(select(Mayor)).one()
    print("viewonly set:", isinstance(mayor.city.street_set, set), sorted(s.name for s in mayor.city.street_set))
    session.add(Note(text="registry.mapped works"))
    session.commit()
    print(session.scalars(select(Note.text)).one())
    print("class attribute is an expression:", session.scalars(select(Street.name).where(Street.name == "Main Street")).all())
    print("mapped table:", City.__table__ is cities, Street.__table__.name, sorted(Base.metadata.tables))

    session.add(Street("main street", oslo))
    try:
        session.commit()
    except IntegrityError as exc:
        print("__table_args__ unique constraint:", type(exc).__name__)
        session.rollback()
    try:
        House(number=5, colour="red")
    except TypeError:
        print("unknown keyword: TypeError")
