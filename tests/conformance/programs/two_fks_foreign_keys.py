# conformance: two foreign keys to the same table, disambiguated with foreign_keys= and with a primaryjoin string; AmbiguousForeignKeysError without them
# requires: issue-3, issue-4, issue-5
import os

from sqlalchemy import Column, ForeignKey, Integer, String, create_engine, select
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, aliased, configure_mappers, declarative_base, relationship

Base = declarative_base()


class Account(Base):
    __tablename__ = "accounts"
    id = Column(Integer, primary_key=True)
    owner = Column(String(20))
    sent = relationship("Transfer", foreign_keys="Transfer.from_id", back_populates="source")
    received = relationship(
        "Transfer",
        primaryjoin="Account.id == Transfer.to_id",
        back_populates="target",
        order_by="Transfer.amount",
    )

    def __repr__(self):
        return self.owner


class Transfer(Base):
    __tablename__ = "transfers"
    id = Column(Integer, primary_key=True)
    amount = Column(Integer)
    from_id = Column(Integer, ForeignKey("accounts.id"))
    to_id = Column(Integer, ForeignKey("accounts.id"))
    source = relationship("Account", foreign_keys=[from_id], back_populates="sent")
    target = relationship("Account", foreign_keys=[to_id], back_populates="received")

    def __repr__(self):
        return f"{self.source}->{self.target}:{self.amount}"


engine = create_engine(os.environ["CONFORMANCE_DB_URL"])
Base.metadata.create_all(engine)

with Session(engine) as session:
    ann, bob, cy = Account(owner="ann"), Account(owner="bob"), Account(owner="cy")
    session.add_all([ann, bob, cy])
    Transfer(amount=10, source=ann, target=bob)
    Transfer(amount=5, source=ann, target=cy)
    t = Transfer(amount=7)
    bob.sent.append(t)
    cy.received.append(t)
    print("in memory:", ann.sent, bob.received, cy.received)
    session.add_all(ann.sent + bob.sent)
    session.commit()

with Session(engine) as session:
    for acct in session.scalars(select(Account).order_by(Account.owner)):
        print(acct, "sent", sorted(x.amount for x in acct.sent), "received", acct.received)
    src, dst = aliased(Account), aliased(Account)
    rows = session.execute(
        select(src.owner, dst.owner, Transfer.amount)
        .join(src, Transfer.source)
        .join(dst, Transfer.target)
        .order_by(Transfer.amount)
    ).all()
    print([tuple(r) for r in rows])

print("-- without foreign_keys the mapping is ambiguous")
Broken = declarative_base()


class Wallet(Broken):
    __tablename__ = "wallets"
    id = Column(Integer, primary_key=True)


class Payment(Broken):
    __tablename__ = "payments"
    id = Column(Integer, primary_key=True)
    payer_id = Column(Integer, ForeignKey("wallets.id"))
    payee_id = Column(Integer, ForeignKey("wallets.id"))
    payer = relationship("Wallet")


try:
    configure_mappers()
except ArgumentError as exc:
    print("ArgumentError raised:", isinstance(exc, ArgumentError))
