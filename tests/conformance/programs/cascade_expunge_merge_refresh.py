# conformance: the expunge, merge and refresh-expire cascades, and what cascade="save-update" alone leaves out
# requires: issue-3, issue-4
import os

from sqlalchemy import Column, ForeignKey, Integer, String, create_engine, select, update
from sqlalchemy.orm import Session, declarative_base, relationship

Base = declarative_base()


class Trip(Base):
    __tablename__ = "trips"
    id = Column(Integer, primary_key=True, autoincrement=False)
    name = Column(String(20))
    stops = relationship("Stop", back_populates="trip", cascade="all", order_by="Stop.id")
    notes = relationship("TripNote", cascade="save-update", order_by="TripNote.id")


class Stop(Base):
    __tablename__ = "stops"
    id = Column(Integer, primary_key=True, autoincrement=False)
    city = Column(String(20))
    trip_id = Column(Integer, ForeignKey("trips.id"))
    trip = relationship("Trip", back_populates="stops")


class TripNote(Base):
    __tablename__ = "trip_notes"
    id = Column(Integer, primary_key=True, autoincrement=False)
    text = Column(String(20))
    trip_id = Column(Integer, ForeignKey("trips.id"))


engine = create_engine(os.environ["CONFORMANCE_DB_URL"])
Base.metadata.create_all(engine)

with Session(engine) as session:
    session.add(Trip(id=1, name="loop", stops=[Stop(id=1, city="Oslo"), Stop(id=2, city="Bergen")], notes=[TripNote(id=1, text="pack")]))
    session.commit()

print("-- expunge cascades along cascade='all', not along save-update only")
with Session(engine) as session:
    trip = session.get(Trip, 1)
    stops, notes = list(trip.stops), list(trip.notes)
    session.expunge(trip)
    print("trip:", trip in session, "| stops:", [s in session for s in stops], "| notes:", [n in session for n in notes])

print("-- refresh-expire cascades: refreshing the trip refreshes its loaded stops")
with Session(engine) as session:
    trip = session.get(Trip, 1)
    stop, note = trip.stops[0], trip.notes[0]
    with engine.begin() as conn:
        conn.execute(update(Stop).values(city="OSLO").where(Stop.id == 1))
        conn.execute(update(TripNote).values(text="PACK").where(TripNote.id == 1))
        conn.execute(update(Trip).values(name="LOOP"))
    print("before:", trip.name, stop.city, note.text)
    session.refresh(trip)
    print("after refresh(trip):", trip.name, stop.city, note.text)
    session.expire(trip)
    print("after expire(trip):", trip.name, stop.city, note.text)
    session.expire_all()
    print("after expire_all():", note.text)

print("-- merge cascades along cascade='all', not along save-update only")
detached = Trip(id=1, name="grand loop", stops=[Stop(id=1, city="Oslo"), Stop(id=3, city="Tromso")], notes=[TripNote(id=1, text="changed")])
with Session(engine) as session:
    merged = session.merge(detached)
    print([(s.id, s.city) for s in merged.stops], [(n.id, n.text) for n in merged.notes])
    session.commit()
    print("stops in the database:", session.execute(select(Stop.id, Stop.city, Stop.trip_id).order_by(Stop.id)).all())
    print("note in the database:", session.execute(select(TripNote.text)).scalars().all())
