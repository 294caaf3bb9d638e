# conformance: session states (transient, pending, persistent, detached, deleted), identity map, get twice is the same object
# requires: issue-3
import os

from sqlalchemy import Column, Integer, String, create_engine, inspect, select
from sqlalchemy.orm import Session, declarative_base

Base = declarative_base()


class Item(Base):
    __tablename__ = "items"
    id = Column(Integer, primary_key=True)
    name = Column(String(20))

    def __repr__(self):
        return f"Item({self.name})"


engine = create_engine(os.environ["CONFORMANCE_DB_URL"])
Base.metadata.create_all(engine)


def state(obj):
    i = inspect(obj)
    for name in ("transient", "pending", "persistent", "deleted", "detached"):
        if getattr(i, name):
            return name
    return "?"


session = Session(engine)
item = Item(name="pen")
print("new object:", state(item), item in session)
session.add(item)
print("after add:", state(item), item in session, list(session.new))
session.flush()
print("after flush:", state(item), list(session.new), item.id is not None)
session.commit()
print("after commit:", state(item))

a = session.get(Item, item.id)
b = session.get(Item, item.id)
print("get twice:", a is b, a is item)
c = session.scalars(select(Item).where(Item.name == "pen")).one()
print("query returns the same object:", c is item)
print("get of a missing key:", session.get(Item, 999))

item.name = "pencil"
print("dirty:", list(session.dirty), session.is_modified(item))
session.commit()
print("clean:", list(session.dirty))

item_id = item.id
session.expunge(item)
print("after expunge:", state(item), item in session)
again = session.get(Item, item_id)
print("a new object after expunge:", again is item, again.name)
session.close()
print("after close:", state(again))

session = Session(engine)
merged = session.merge(again)
print("merge gives the session's copy:", merged is again, state(merged))
session.delete(merged)
print("after delete():", state(merged), list(session.deleted))
session.flush()
print("after flush:", state(merged))
session.commit()
print("after commit:", state(merged))
session.close()

with Session(engine) as s1, Session(engine) as s2:
    s1.add_all([Item(name="a"), Item(name="b")])
    s1.commit()
    x1 = s1.scalars(select(Item).where(Item.name == "a")).one()
    x2 = s2.scalars(select(Item).where(Item.name == "a")).one()
    print("two sessions, two objects:", x1 is x2, x1.id == x2.id)
    s1.expunge_all()
    print("expunge_all:", state(x1), len(list(s1)))
