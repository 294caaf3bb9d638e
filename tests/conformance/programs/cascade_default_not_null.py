# conformance: default cascade when the parent is deleted: children's keys nulled, and IntegrityError when the key is NOT NULL
# requires: issue-3, issue-4
import os

from sqlalchemy import Column, ForeignKey, Integer, String, create_engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, declarative_base, relationship

Base = declarative_base()


class Customer(Base):
    __tablename__ = "customers"
    id = Column(Integer, primary_key=True)
    name = Column(String(30))
    invoices = relationship("Invoice", backref="customer")
    tickets = relationship("Ticket", backref="customer")


class Invoice(Base):
    __tablename__ = "invoices"
    id = Column(Integer, primary_key=True)
    number = Column(String(10))
    customer_id = Column(Integer, ForeignKey("customers.id"), nullable=False)


class Ticket(Base):
    __tablename__ = "tickets"
    id = Column(Integer, primary_key=True)
    subject = Column(String(30))
    customer_id = Column(Integer, ForeignKey("customers.id"), nullable=True)


engine = create_engine(os.environ["CONFORMANCE_DB_URL"])
Base.metadata.create_all(engine)

with Session(engine) as session:
    acme = Customer(name="acme", invoices=[Invoice(number="I-1")], tickets=[Ticket(subject="login")])
    solo = Customer(name="solo", tickets=[Ticket(subject="billing"), Ticket(subject="refund")])
    session.add_all([acme, solo])
    session.commit()

    print("-- deleting a customer whose tickets may have no customer")
    session.delete(solo)
    session.commit()
    print(session.execute(select(Ticket.subject, Ticket.customer_id).order_by(Ticket.subject)).all())

    print("-- deleting a customer whose invoices must have one")
    session.delete(acme)
    try:
        session.commit()
    except IntegrityError as exc:
        print(type(exc).__name__)
        session.rollback()
    print("customers:", session.scalars(select(Customer.name)).all())
    print("invoice still linked:", session.scalars(select(Invoice)).one().customer.name)

    print("-- removing the invoice from the collection would null a NOT NULL key")
    acme = session.scalars(select(Customer)).one()
    acme.invoices.clear()
    try:
        session.flush()
    except IntegrityError as exc:
        print(type(exc).__name__)
        session.rollback()
    print("invoices:", len(session.scalars(select(Customer)).one().invoices))
