# conformance: one flush of a large object graph: keys returned per row reach the right children, self-referential chains ordered row by row, batched updates and deletes
# requires: issue-3, issue-4, issue-5
import os

from sqlalchemy import Column, ForeignKey, Integer, String, create_engine, func, select
from sqlalchemy.orm import Session, declarative_base, relationship

Base = declarative_base()


class Customer(Base):
    __tablename__ = "customers"
    id = Column(Integer, primary_key=True)
    name = Column(String(20), unique=True)
    note = Column(String(20))  # only some rows set it: rows with different column sets
    orders = relationship("Order", back_populates="customer", cascade="all, delete-orphan")


class Order(Base):
    __tablename__ = "orders"
    id = Column(Integer, primary_key=True)
    label = Column(String(30))
    customer_id = Column(Integer, ForeignKey("customers.id"), nullable=False)
    customer = relationship("Customer", back_populates="orders")


class Step(Base):
    __tablename__ = "steps"
    id = Column(Integer, primary_key=True)
    name = Column(String(10))
    next_id = Column(Integer, ForeignKey("steps.id"))
    next = relationship("Step", remote_side=[id])


engine = create_engine(os.environ["CONFORMANCE_DB_URL"])
Base.metadata.create_all(engine)

with Session(engine) as session:
    customers = []
    for c in range(300):
        customer = Customer(name=f"c{c:03}", note="vip" if c % 7 == 0 else None)
        customer.orders = [Order(label=f"c{c:03}-o{o}") for o in range(c % 4)]
        customers.append(customer)
    # a chain built from its end: each step points at the one created before it
    step = None
    for n in range(60):
        step = Step(name=f"s{n:02}", next=step)
    session.add_all(customers[::-1])  # added in reverse order on purpose
    session.add(step)
    session.commit()

with Session(engine) as session:
    print("customers, orders, steps:", [session.scalar(select(func.count()).select_from(t)) for t in (Customer, Order, Step)])
    mismatched = session.scalar(
        select(func.count()).select_from(Order).join(Order.customer).where(func.substr(Order.label, 1, 4) != Customer.name)
    )
    print("orders attached to the wrong customer:", mismatched)
    print("vip notes:", session.scalar(select(func.count()).where(Customer.note == "vip")))
    steps = session.scalars(select(Step)).all()
    pairs = [(s.name, s.next.name) for s in steps if s.next is not None]
    print("chain links correct:", len(pairs), all(int(a[1:]) == int(b[1:]) + 1 for a, b in pairs))

    # batched updates with different column sets, and deletes
    for customer in session.scalars(select(Customer).where(Customer.name < "c050")):
        if int(customer.name[1:]) % 2:
            customer.note = "odd"
        else:
            customer.name = customer.name.upper()
    for order in session.scalars(select(Order).where(Order.label.like("%-o2"))):
        session.delete(order)
    session.commit()
    print("odd notes:", session.scalar(select(func.count()).where(Customer.note == "odd")))
    print("upper names:", session.scalar(select(func.count()).where(func.substr(Customer.name, 1, 1) == "C")))
    print("orders left:", session.scalar(select(func.count()).select_from(Order)))

    doomed = session.scalars(select(Customer).where(Customer.name >= "c250")).all()
    for customer in doomed:
        session.delete(customer)
    session.commit()
    print("after deleting 50 customers:", [session.scalar(select(func.count()).select_from(t)) for t in (Customer, Order)])
