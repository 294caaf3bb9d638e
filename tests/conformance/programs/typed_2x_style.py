# conformance: typed 2.x style: DeclarativeBase, Mapped, mapped_column, Optional for nullable, Mapped[list[...]] collections, select()
# requires: issue-3, issue-5
from __future__ import annotations

import os
from datetime import date
from decimal import Decimal
from typing import Optional

from sqlalchemy import ForeignKey, Numeric, String, create_engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    nickname: Mapped[Optional[str]]
    since: Mapped[date]
    orders: Mapped[list[Order]] = relationship(back_populates="customer", order_by="Order.id")

    def __repr__(self) -> str:
        return f"Customer({self.name!r}, nickname={self.nickname!r})"


class Order(Base):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    total: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    note: Mapped[str | None] = mapped_column(String(50))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    customer: Mapped[Customer] = relationship(back_populates="orders")

    def __repr__(self) -> str:
        return f"Order({self.total}, {self.note!r})"


engine = create_engine(os.environ["CONFORMANCE_DB_URL"])
Base.metadata.create_all(engine)

print("columns:", [(c.name, c.nullable) for c in Customer.__table__.columns])
print("columns:", [(c.name, c.nullable) for c in Order.__table__.columns])

with Session(engine) as session:
    ann = Customer(name="ann", since=date(2020, 5, 17))
    ann.orders.append(Order(total=Decimal("19.99")))
    ann.orders.append(Order(total=Decimal("5.00"), note="gift"))
    bob = Customer(name="bob", nickname="bobby", since=date(2021, 1, 1), orders=[Order(total=Decimal("100.10"))])
    session.add_all([ann, bob])
    session.commit()

with Session(engine) as session:
    for c in session.scalars(select(Customer).order_by(Customer.name)):
        print(c, c.since.isoformat(), c.orders, [o.customer is c for o in c.orders])
    big = session.scalars(select(Order).where(Order.total > Decimal("10")).order_by(Order.total)).all()
    print("big orders:", big, [type(o.total).__name__ for o in big])
    print("scalar_one:", session.execute(select(Customer).where(Customer.nickname.is_not(None))).scalar_one())
    print("scalar:", session.scalar(select(Customer.name).where(Customer.name.startswith("a"))))
    print("rows:", [tuple(r) for r in session.execute(select(Customer.name, Order.total).join(Customer.orders).order_by(Order.total))])

with Session(engine) as session:
    session.add(Customer(name="nobody"))  # `since` is Mapped[date], so NOT NULL
    try:
        session.commit()
    except IntegrityError as exc:
        print("not-null from Mapped[date]:", type(exc).__name__)

try:
    Customer(name="x", age=3)
except TypeError:
    print("unknown keyword: TypeError")
