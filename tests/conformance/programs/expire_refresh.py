# conformance: expire_on_commit and reload on access, expire(), refresh(), changes made elsewhere, DetachedInstanceError class name
# requires: issue-3
import os

from sqlalchemy import Column, ForeignKey, Integer, String, create_engine, text, update
from sqlalchemy.orm import Session, declarative_base, relationship, sessionmaker
from sqlalchemy.orm.exc import DetachedInstanceError

Base = declarative_base()


class Account(Base):
    __tablename__ = "accounts"
    id = Column(Integer, primary_key=True)
    owner = Column(String(20))
    balance = Column(Integer)
    entries = relationship("Entry")


class Entry(Base):
    __tablename__ = "entries"
    id = Column(Integer, primary_key=True)
    account_id = Column(Integer, ForeignKey("accounts.id"))
    amount = Column(Integer)


engine = create_engine(os.environ["CONFORMANCE_DB_URL"])
Base.metadata.create_all(engine)


def change_elsewhere(value):
    with engine.begin() as conn:
        conn.execute(update(Account).values(balance=value))


with Session(engine) as session:
    acct = Account(owner="ann", balance=10, entries=[Entry(amount=10)])
    session.add(acct)
    session.commit()
    print("expired after commit:", "balance" not in acct.__dict__)
    print("reloaded on access:", acct.balance)

    change_elsewhere(20)
    print("still the loaded value:", acct.balance)
    session.expire(acct)
    print("after expire():", acct.balance)

    change_elsewhere(30)
    session.refresh(acct)
    print("after refresh():", acct.balance, "balance" in acct.__dict__)

    change_elsewhere(40)
    session.expire(acct, ["balance"])
    print("expire one attribute:", acct.balance, acct.owner)

    acct.balance = 41
    session.expire_all()
    print("expire_all discards an unflushed change:", acct.balance)

print("-- detached after commit with expire_on_commit (the default)")
with Session(engine) as session:
    acct = session.get(Account, 1)
    session.commit()
try:
    acct.balance
except DetachedInstanceError as exc:
    print(type(exc).__name__)

print("-- expire_on_commit=False keeps values readable after close")
NoExpire = sessionmaker(bind=engine, expire_on_commit=False)
with NoExpire() as session:
    acct = session.get(Account, 1)
    acct.balance = 50
    session.commit()
print(acct.owner, acct.balance)

print("-- an unloaded relationship on a detached object")
try:
    print(len(acct.entries))
except DetachedInstanceError as exc:
    print(type(exc).__name__)

with Session(engine) as session:
    print("raw row:", session.execute(text("SELECT owner, balance FROM accounts")).one())
