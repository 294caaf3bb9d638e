# conformance: rows that point at each other: post_update=True breaks the cycle; CircularDependencyError without it
# requires: issue-3, issue-4
import os

from sqlalchemy import Column, ForeignKey, Integer, String, create_engine, select
from sqlalchemy.exc import CircularDependencyError
from sqlalchemy.orm import Session, declarative_base, relationship

engine = create_engine(os.environ["CONFORMANCE_DB_URL"])


def build(post_update):
    Base = declarative_base()

    class Widget(Base):
        __tablename__ = "widgets"
        id = Column(Integer, primary_key=True)
        name = Column(String(20))
        favorite_entry_id = Column(Integer, ForeignKey("entries.id", name="fk_favorite_entry", use_alter=True))
        entries = relationship("Entry", primaryjoin="Widget.id == Entry.widget_id", back_populates="widget")
        favorite_entry = relationship(
            "Entry", primaryjoin="Entry.id == Widget.favorite_entry_id", post_update=post_update
        )

    class Entry(Base):
        __tablename__ = "entries"
        id = Column(Integer, primary_key=True)
        name = Column(String(20))
        widget_id = Column(Integer, ForeignKey("widgets.id"))
        widget = relationship("Widget", primaryjoin="Widget.id == Entry.widget_id", back_populates="entries")

    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    return Widget, Entry


Widget, Entry = build(post_update=True)
with Session(engine) as session:
    w = Widget(name="w1")
    e1, e2 = Entry(name="e1"), Entry(name="e2")
    w.entries = [e1, e2]
    w.favorite_entry = e2
    session.add(w)
    session.commit()
    print("favorite:", w.favorite_entry.name, [e.name for e in w.entries])
    w.favorite_entry = e1
    session.commit()
    print(session.execute(select(Widget.name, Entry.name).join(Entry, Entry.id == Widget.favorite_entry_id)).all())
    session.delete(w)
    session.commit()
    print("after delete:", session.scalars(select(Widget)).all(), session.execute(select(Entry.name, Entry.widget_id).order_by(Entry.name)).all())

Widget, Entry = build(post_update=False)
with Session(engine) as session:
    w = Widget(name="w2")
    e = Entry(name="e3", widget=w)
    w.favorite_entry = e
    session.add(w)
    try:
        session.flush()
    except CircularDependencyError as exc:
        print("without post_update:", type(exc).__name__)
