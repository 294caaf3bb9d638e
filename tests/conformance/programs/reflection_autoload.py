# conformance: Table(..., autoload_with=engine) and MetaData.reflect(): columns, keys and foreign keys read from tables made by plain DDL, a given column overriding the reflected one, a declarative class mapped onto a reflected table, NoSuchTableError
# requires: issue-6
import os

from sqlalchemy import Column, MetaData, String, Table, create_engine, insert, select, text
from sqlalchemy.exc import NoSuchTableError
from sqlalchemy.orm import Session, declarative_base

engine = create_engine(os.environ["CONFORMANCE_DB_URL"])
with engine.begin() as conn:
    conn.execute(text("CREATE TABLE shops (id INTEGER PRIMARY KEY, name VARCHAR(30) NOT NULL, "
                      "city VARCHAR(30))"))
    conn.execute(text("CREATE TABLE items (id INTEGER PRIMARY KEY, "
                      "shop_id INTEGER REFERENCES shops (id), label VARCHAR(30), "
                      "status VARCHAR(10))"))
    conn.execute(text("INSERT INTO shops (id, name, city) VALUES (1, 'north', 'Oslo')"))

meta = MetaData()
shops = Table("shops", meta, autoload_with=engine)
print("shops:", [(c.name, c.primary_key, c.nullable) for c in shops.columns])
items = Table("items", meta, Column("status", String(10), default="new"), autoload_with=engine)
print("items:", [c.name for c in items.columns], sorted(k for k in meta.tables))
print("fk:", [fk.target_fullname for fk in items.foreign_keys])
with engine.begin() as conn:
    conn.execute(insert(items).values(id=1, shop_id=1, label="cup"))
    print("default from the given column:", conn.execute(select(items.c.status)).scalar_one())

reflected = MetaData()
reflected.reflect(bind=engine)
print("reflect():", sorted(reflected.tables))
only = MetaData()
only.reflect(engine, only=["items"])
print("only items, its target too:", sorted(only.tables))

Base = declarative_base()


class Shop(Base):
    __table__ = Table("shops", Base.metadata, autoload_with=engine)


with Session(engine) as session:
    shop = session.get(Shop, 1)
    print("mapped:", shop.name, shop.city)
    session.add(Shop(id=2, name="south"))
    session.commit()
    print(session.scalars(select(Shop.name).order_by(Shop.id)).all())

try:
    Table("nowhere", MetaData(), autoload_with=engine)
except NoSuchTableError as error:
    print("missing table:", type(error).__name__)
