# conformance: tutorial 5 (association tables): backref on Post.owner, and a one-to-one through backref(uselist=False)
# requires: issue-3, issue-4, issue-5
"""`owner = relationship(User, backref=backref("posts", uselist=True))` places User.posts;
`user = relationship(User, backref=backref("address", uselist=False))` makes User.address a scalar.
"""

import os

from sqlalchemy import Column, ForeignKey, Integer, String, create_engine
from sqlalchemy.orm import backref, declarative_base, relationship, sessionmaker

Base = declarative_base()


class User(Base):
    __tablename__ = "user"
    id = Column(Integer, primary_key=True)
    name = Column(String)

    def __repr__(self):
        return f"User({self.name})"


class Post(Base):
    __tablename__ = "post"
    id = Column(Integer, primary_key=True)
    owner_id = Column(Integer, ForeignKey("user.id"))
    content = Column(String)
    owner = relationship(User, backref=backref("posts", uselist=True))

    def __repr__(self):
        return f"Post({self.content!r})"


class Address(Base):
    __tablename__ = "address"
    id = Column(Integer, primary_key=True)
    address = Column(String)
    user_id = Column(Integer, ForeignKey("user.id"))
    user = relationship(User, backref=backref("address", uselist=False))

    def __repr__(self):
        return f"Address({self.address!r})"


engine = create_engine(os.environ["CONFORMANCE_DB_URL"])
Base.metadata.create_all(engine)
session = sessionmaker(bind=engine)()

print("-- backref: one-to-many")
u = User(name="user")
session.add(u)
p1 = Post(content="first", owner=u)
p2 = Post(content="second", owner=u)
print("posts in memory:", u.posts)
session.add_all([p1, p2])
session.commit()
print("owner:", p1.owner, "| posts:", sorted(p.content for p in u.posts))
print("post owners from the query:", [p.owner.name for p in session.query(Post).order_by(Post.content)])

print("-- one-to-one")
print("no address yet:", u.address)
a = Address(address="1 Main St", user=u)
print("scalar backref:", u.address)
session.add(a)
session.commit()
print(u.address, u.address.user)

print("-- replacing the address detaches the old one (its key is nulled)")
u.address = Address(address="2 Side St")
session.commit()
rows = session.query(Address.address, Address.user_id.is_(None)).order_by(Address.address).all()
print([tuple(r) for r in rows])
print(u.address)

print("-- user from the address side, and a user without an address")
other = User(name="other")
session.add(other)
session.commit()
print(other.address, session.query(User).filter(User.address.has(Address.address.like("2%"))).one())
session.close()
