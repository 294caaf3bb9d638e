# conformance: bulk Query.update/delete with synchronize_session, ORM-enabled insert/update/delete statements with returning
# requires: issue-3, issue-5
import os

from sqlalchemy import Column, Integer, String, create_engine, delete, insert, select, update
from sqlalchemy.orm import Session, declarative_base

Base = declarative_base()


class Item(Base):
    __tablename__ = "items"
    id = Column(Integer, primary_key=True)
    name = Column(String(20), unique=True)
    qty = Column(Integer, default=0)

    def __repr__(self):
        return f"Item({self.name}, {self.qty})"


engine = create_engine(os.environ["CONFORMANCE_DB_URL"])
Base.metadata.create_all(engine)

with Session(engine) as s:
    s.execute(insert(Item), [{"name": n, "qty": q} for n, q in [("a", 1), ("b", 5), ("c", 10), ("d", 0)]])
    s.commit()
    items = s.scalars(select(Item).order_by(Item.name)).all()
    print("bulk insert:", items)

    n = s.query(Item).filter(Item.qty < 5).update({Item.qty: Item.qty + 100}, synchronize_session="evaluate")
    print("query.update evaluate:", n, items)
    n = s.query(Item).filter(Item.name == "b").update({"qty": 7}, synchronize_session="fetch")
    print("query.update fetch:", n, items[1])
    n = s.query(Item).filter(Item.qty > 100).delete(synchronize_session="fetch")
    print("query.delete:", n, [i in s for i in items])
    s.commit()
    print("left:", s.scalars(select(Item).order_by(Item.name)).all())

    rows = s.execute(update(Item).where(Item.name == "c").values(qty=Item.qty * 2).returning(Item.name, Item.qty)).all()
    print("update returning:", [tuple(r) for r in rows], items[2].qty)
    new = s.scalars(insert(Item).returning(Item), [{"name": "e", "qty": 3}]).all()
    print("insert returning an entity:", new, new[0] in s)
    gone = s.execute(delete(Item).where(Item.qty == 3).returning(Item.name)).scalars().all()
    print("delete returning:", gone)
    s.commit()
    print("final:", s.scalars(select(Item).order_by(Item.name)).all())
