# conformance: Session.merge: detached objects copied onto the session's instance, new keys inserted, merge cascades along relationships
# requires: issue-3
import os

from sqlalchemy import Column, ForeignKey, Integer, String, create_engine, select
from sqlalchemy.orm import Session, declarative_base, relationship

Base = declarative_base()


class Shelf(Base):
    __tablename__ = "shelves"
    id = Column(Integer, primary_key=True, autoincrement=False)
    label = Column(String(20))
    boxes = relationship("Box", back_populates="shelf", order_by="Box.id")


class Box(Base):
    __tablename__ = "boxes"
    id = Column(Integer, primary_key=True, autoincrement=False)
    content = Column(String(20))
    shelf_id = Column(Integer, ForeignKey("shelves.id"))
    shelf = relationship("Shelf", back_populates="boxes")


engine = create_engine(os.environ["CONFORMANCE_DB_URL"])
Base.metadata.create_all(engine)

with Session(engine) as session:
    session.add(Shelf(id=1, label="top", boxes=[Box(id=1, content="nails"), Box(id=2, content="screws")]))
    session.commit()

# A detached graph built by hand, as if it came from a form or a cache.
incoming = Shelf(id=1, label="TOP", boxes=[Box(id=2, content="bolts"), Box(id=3, content="glue")])

with Session(engine) as session:
    existing = session.get(Shelf, 1)
    merged = session.merge(incoming)
    print("same instance as the loaded one:", merged is existing, merged is incoming)
    print("incoming stays outside the session:", incoming in session, merged in session)
    print("label:", merged.label, "| dirty:", session.is_modified(merged))
    print("boxes:", [(b.id, b.content) for b in merged.boxes])
    session.commit()
    rows = session.execute(select(Box.id, Box.content, Box.shelf_id).order_by(Box.id)).all()
    print("rows:", [tuple(r) for r in rows])

with Session(engine) as session:
    new = session.merge(Shelf(id=2, label="bottom"))
    print("merge of an unknown key:", new in session, new in session.new)
    session.commit()
    print(session.scalars(select(Shelf.label).order_by(Shelf.id)).all())

    loaded = session.merge(Box(id=1), load=True)
    print("merge with only a key keeps other loaded values:", loaded.content)
