# conformance: hybrid_property and hybrid_method: Python values on objects, SQL on the class (select, where, order_by), .expression, .setter, .inplace with classmethod, a subquery hybrid across a relationship
# requires: issue-5
import os

from sqlalchemy import Column, ForeignKey, Integer, String, create_engine, func, select
from sqlalchemy.ext.hybrid import hybrid_method, hybrid_property
from sqlalchemy.orm import Session, declarative_base, relationship

Base = declarative_base()


class Customer(Base):
    __tablename__ = "customers"
    id = Column(Integer, primary_key=True)
    first = Column(String(20))
    last = Column(String(20))
    cents = Column(Integer)
    orders = relationship("Order", back_populates="customer", order_by="Order.id")

    @hybrid_property
    def full_name(self):
        return self.first + " " + self.last

    @hybrid_property
    def name_length(self):
        return len(self.first)

    @name_length.expression
    def name_length(cls):
        return func.length(cls.first)

    @hybrid_property
    def balance(self):
        return self.cents / 100

    @balance.setter
    def balance(self, value):
        self.cents = round(value * 100)

    @hybrid_property
    def order_count(self):
        return len(self.orders)

    @order_count.inplace.expression
    @classmethod
    def _order_count_sql(cls):
        return (select(func.count(Order.id)).where(Order.customer_id == cls.id)
                .scalar_subquery())

    @hybrid_method
    def richer_than(self, cents):
        return self.cents > cents


class Order(Base):
    __tablename__ = "orders"
    id = Column(Integer, primary_key=True)
    customer_id = Column(Integer, ForeignKey("customers.id"))
    customer = relationship("Customer", back_populates="orders")


engine = create_engine(os.environ["CONFORMANCE_DB_URL"])
Base.metadata.create_all(engine)

with Session(engine) as session:
    ann = Customer(first="Ann", last="Lee", cents=1250, orders=[Order(), Order()])
    bob = Customer(first="Robert", last="Ray", cents=300, orders=[Order()])
    cy = Customer(first="Cy", last="Ng", cents=9000)
    session.add_all([ann, bob, cy])
    session.commit()
    print("on objects:", ann.full_name, ann.name_length, ann.balance, ann.order_count,
          ann.richer_than(1000), bob.richer_than(1000))
    bob.balance = 4.5
    session.commit()
    print("setter wrote cents:", bob.cents)
    rows = session.execute(
        select(Customer.full_name, Customer.name_length, Customer.order_count)
        .order_by(Customer.id)
    ).all()
    print("selected:", [tuple(r) for r in rows], rows[0]._fields)
    print("where:", session.scalars(select(Customer.first)
                                    .where(Customer.full_name == "Cy Ng")).all())
    print("method:", session.scalars(select(Customer.first).where(Customer.richer_than(1000))
                                     .order_by(Customer.first)).all())
    print("order_by:", session.scalars(select(Customer.first)
                                       .order_by(Customer.name_length.desc(), Customer.id)).all())
    print("subquery:", session.scalars(select(Customer.first).where(Customer.order_count >= 1)
                                       .order_by(Customer.id)).all())
    print("combined:", session.scalar(select(func.count()).select_from(Customer)
                                      .where(Customer.name_length + Customer.order_count > 4)))
    try:
        ann.full_name = "x"
    except AttributeError:
        print("no setter: AttributeError")
