# conformance: contains_eager with an explicit join, Query.options, filtered eager collections, and populate_existing
# requires: issue-3, issue-5
import os

from sqlalchemy import Column, ForeignKey, Integer, String, create_engine, select
from sqlalchemy.orm import (
    Session,
    aliased,
    contains_eager,
    declarative_base,
    joinedload,
    relationship,
    selectinload,
)

Base = declarative_base()


class Shop(Base):
    __tablename__ = "shops"
    id = Column(Integer, primary_key=True)
    name = Column(String(20))
    items = relationship("Item", back_populates="shop", order_by="Item.name")


class Item(Base):
    __tablename__ = "items"
    id = Column(Integer, primary_key=True)
    name = Column(String(20))
    price = Column(Integer)
    shop_id = Column(Integer, ForeignKey("shops.id"))
    shop = relationship("Shop", back_populates="items")


engine = create_engine(os.environ["CONFORMANCE_DB_URL"])
Base.metadata.create_all(engine)

with Session(engine) as s:
    s.add_all(
        [
            Shop(name="north", items=[Item(name="apple", price=3), Item(name="melon", price=9), Item(name="pear", price=4)]),
            Shop(name="south", items=[Item(name="fig", price=12), Item(name="kiwi", price=2)]),
            Shop(name="empty"),
        ]
    )
    s.commit()

print("-- contains_eager: the collection holds only the joined rows")
with Session(engine) as s:
    stmt = (
        select(Shop)
        .join(Shop.items)
        .where(Item.price >= 4)
        .options(contains_eager(Shop.items))
        .order_by(Shop.name, Item.name)
    )
    shops = s.scalars(stmt).unique().all()
    print([(shop.name, [i.name for i in shop.items]) for shop in shops])

print("-- contains_eager for a many-to-one, from an aliased join")
with Session(engine) as s:
    shop_alias = aliased(Shop)
    stmt = (
        select(Item)
        .join(shop_alias, Item.shop)
        .where(shop_alias.name == "south")
        .options(contains_eager(Item.shop.of_type(shop_alias)))
        .order_by(Item.name)
    )
    items = s.scalars(stmt).all()
print("read after the session closed:", [(i.name, i.shop.name) for i in items])

print("-- legacy Query.options")
with Session(engine) as s:
    shops = s.query(Shop).options(selectinload(Shop.items)).order_by(Shop.name).all()
    items = s.query(Item).options(joinedload(Item.shop)).filter(Item.price < 4).order_by(Item.name).all()
print([(shop.name, len(shop.items)) for shop in shops], [(i.name, i.shop.name) for i in items])

print("-- populate_existing overwrites what the identity map holds")
with Session(engine) as s:
    apple = s.scalars(select(Item).where(Item.name == "apple")).one()
    apple.price = 100
    with s.no_autoflush:
        again = s.scalars(select(Item).where(Item.name == "apple")).one()
        print("identity map keeps the change:", again is apple, again.price)
        again = s.scalars(select(Item).where(Item.name == "apple").execution_options(populate_existing=True)).one()
        print("populate_existing reloads:", again is apple, again.price)
