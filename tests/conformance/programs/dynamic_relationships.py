# conformance: lazy="dynamic" (AppenderQuery: append, extend by assignment, remove, filter, count, slices, on a transient parent) and lazy="write_only" (add, add_all, select/insert/update/delete statements, no iteration), one-to-many and many-to-many, backrefs into them, a join from the relationship side that selects only the target
# requires: issue-4
import os

from sqlalchemy import Column, ForeignKey, Integer, String, Table, create_engine, func, select
from sqlalchemy.orm import Session, declarative_base, relationship

Base = declarative_base()
link = Table("link", Base.metadata, Column("u_id", ForeignKey("u.id"), primary_key=True), Column("g_id", ForeignKey("g.id"), primary_key=True))
class U(Base):
    __tablename__ = "u"
    id = Column(Integer, primary_key=True)
    name = Column(String(20))
    posts = relationship("P", lazy="dynamic", back_populates="u", order_by="P.id", cascade="all, delete-orphan")
    tags = relationship("T", lazy="write_only", cascade="all, delete-orphan", passive_deletes=True)
    groups = relationship("G", secondary=link, lazy="dynamic", back_populates="users", order_by="G.id")
    def __repr__(self): return f"U({self.name})"
class P(Base):
    __tablename__ = "p"
    id = Column(Integer, primary_key=True)
    u_id = Column(ForeignKey("u.id"))
    title = Column(String(20))
    u = relationship("U", back_populates="posts")
    def __repr__(self): return f"P({self.title})"
class T(Base):
    __tablename__ = "t"
    id = Column(Integer, primary_key=True)
    u_id = Column(ForeignKey("u.id", ondelete="CASCADE"))
    word = Column(String(20))
class G(Base):
    __tablename__ = "g"
    id = Column(Integer, primary_key=True)
    name = Column(String(20))
    users = relationship("U", secondary=link, back_populates="groups")
    def __repr__(self): return f"G({self.name})"
e = create_engine(os.environ["CONFORMANCE_DB_URL"])
Base.metadata.create_all(e)
with Session(e) as s:
    u = U(name="a", posts=[P(title="p0")])
    u.posts.append(P(title="p1"))
    print("transient:", u.posts.all(), u.posts.count(), u.posts[0])
    u.tags.add(T(word="w1"))
    u.tags.add_all([T(word="w2"), T(word="w3")])
    s.add(u)
    print("pending count:", u.posts.count())
    P(title="p2", u=u)
    s.commit()
    print(u.posts.all(), u.posts.count(), [p.title for p in u.posts.filter(P.title > "p0")], u.posts.first(), u.posts[1:3])
    print(sorted(s.scalars(u.tags.select()).all(), key=lambda t: t.id)[0].word, len(s.scalars(u.tags.select()).all()))
    try:
        list(u.tags)
    except TypeError:
        print("iterate write-only: TypeError")
    s.execute(u.tags.insert().values(word="w4"))
    print(sorted(s.scalars(select(T.word).where(T.u_id == u.id)).all()))
    s.execute(u.tags.update().values(word="x").where(T.word == "w4"))
    s.execute(u.tags.delete().where(T.word == "w1"))
    print(sorted(s.scalars(select(T.word)).all()))
    p1 = u.posts.filter_by(title="p1").one()
    u.posts.remove(p1)
    s.flush()
    print("after remove:", u.posts.all(), s.get(P, p1.id) is None)
    g1, g2 = G(name="g1"), G(name="g2")
    u.groups.append(g1)
    g2.users.append(u)
    s.commit()
    print(u.groups.all(), u.groups.count(), g1.users)
    u.groups.remove(g1)
    s.commit()
    print(u.groups.all(), s.scalar(select(func.count()).select_from(link)))
    u.posts = [P(title="n1"), u.posts.first()]
    s.commit()
    print(u.posts.all(), s.scalars(select(P.title).order_by(P.id)).all())
    print(s.scalars(select(U).where(U.posts.any(P.title == "n1"))).all(), s.scalars(select(P.title).join(U.posts).order_by(P.id)).all())
    s.delete(u)
    s.commit()
    print(s.scalar(select(func.count()).select_from(P)))
