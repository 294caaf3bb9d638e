# conformance: self-referential many-to-many (followers) with primaryjoin/secondaryjoin and back_populates
# requires: issue-3, issue-4, issue-5
import os

from sqlalchemy import Column, ForeignKey, Integer, String, Table, create_engine, func, select
from sqlalchemy.orm import Session, declarative_base, relationship

Base = declarative_base()

follows = Table(
    "follows",
    Base.metadata,
    Column("follower_id", Integer, ForeignKey("users.id"), primary_key=True),
    Column("followed_id", Integer, ForeignKey("users.id"), primary_key=True),
)


class User(Base):
    __tablename__ = "users"
    id = Column(Integer, primary_key=True)
    name = Column(String(20), unique=True)
    following = relationship(
        "User",
        secondary=follows,
        primaryjoin=id == follows.c.follower_id,
        secondaryjoin=id == follows.c.followed_id,
        back_populates="followers",
        order_by="User.name",
    )
    followers = relationship(
        "User",
        secondary=follows,
        primaryjoin="User.id == follows.c.followed_id",
        secondaryjoin="User.id == follows.c.follower_id",
        back_populates="following",
        order_by="User.name",
    )

    def __repr__(self):
        return self.name


engine = create_engine(os.environ["CONFORMANCE_DB_URL"])
Base.metadata.create_all(engine)

with Session(engine) as session:
    ann, bob, cy, dee = (User(name=n) for n in ("ann", "bob", "cy", "dee"))
    ann.following = [bob, cy]
    bob.following.append(cy)
    dee.followers.append(cy)
    cy.following.append(ann)
    print("in memory:", cy.followers, dee.followers, cy.following)
    session.add_all([ann, bob, cy, dee])
    session.commit()

with Session(engine) as session:
    for u in session.scalars(select(User).order_by(User.name)):
        print(u, "follows", u.following, "followed by", u.followers)
    print("mutual:", session.execute(
        select(follows.c.follower_id, follows.c.followed_id)
    ).all().__len__())
    q = (
        select(User.name, func.count(follows.c.follower_id))
        .outerjoin(follows, follows.c.followed_id == User.id)
        .group_by(User.name)
        .order_by(func.count(follows.c.follower_id).desc(), User.name)
    )
    print("follower counts:", [tuple(r) for r in session.execute(q)])
    cy = session.scalars(select(User).where(User.name == "cy")).one()
    ann = session.scalars(select(User).where(User.name == "ann")).one()
    cy.following.remove(ann)
    session.commit()
    print("after unfollow:", ann.followers, cy.following)
