# conformance: many-to-many append/extend/remove/clear/slice assignment/replacement, back_populates keeps both sides in sync
# requires: issue-3, issue-4
import os

from sqlalchemy import Column, ForeignKey, Integer, String, Table, create_engine, select
from sqlalchemy.orm import Session, declarative_base, relationship

Base = declarative_base()

post_tags = Table(
    "post_tags",
    Base.metadata,
    Column("post_id", ForeignKey("posts.id"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id"), primary_key=True),
)


class Post(Base):
    __tablename__ = "posts"
    id = Column(Integer, primary_key=True)
    title = Column(String(30))
    tags = relationship("Tag", secondary=post_tags, back_populates="posts", order_by="Tag.name")


class Tag(Base):
    __tablename__ = "tags"
    id = Column(Integer, primary_key=True)
    name = Column(String(30), unique=True)
    posts = relationship("Post", secondary=post_tags, back_populates="tags")

    def __repr__(self):
        return self.name


engine = create_engine(os.environ["CONFORMANCE_DB_URL"])
Base.metadata.create_all(engine)


def links(session):
    rows = session.execute(
        select(Post.title, Tag.name)
        .join(post_tags, post_tags.c.post_id == Post.id)
        .join(Tag, Tag.id == post_tags.c.tag_id)
        .order_by(Post.title, Tag.name)
    ).all()
    return " ".join(f"{p}:{t}" for p, t in rows)


def sides(post, *tags):
    return [t.name for t in post.tags], {t.name: sorted(p.title for p in t.posts) for t in tags}


with Session(engine) as session:
    py, db, orm, web, perf = (Tag(name=n) for n in ("py", "db", "orm", "web", "perf"))
    p1 = Post(title="p1")
    p2 = Post(title="p2")
    session.add_all([p1, p2, py, db, orm, web, perf])

    print("-- append / extend")
    p1.tags.append(py)
    p1.tags.extend([db, orm])
    p2.tags.append(py)
    print(sides(p1, py, db))
    session.commit()
    print(links(session))

    print("-- remove")
    p1.tags.remove(db)
    print(sides(p1, db))
    session.commit()
    print(links(session))

    print("-- slice assignment")
    p1.tags[0:1] = [web, perf]
    print(sides(p1, py, web))
    session.commit()
    print(links(session))

    print("-- item assignment and del")
    p1.tags[0] = db
    del p1.tags[-1]
    print(sides(p1, web, db))
    session.commit()
    print(links(session))

    print("-- the other side")
    orm.posts.append(p2)
    print(sides(p2, orm))
    session.commit()
    print(links(session))

    print("-- replace the collection")
    p2.tags = [perf, py]
    session.commit()
    print(links(session))

    print("-- clear")
    p1.tags.clear()
    print(sides(p1, db, perf))
    session.commit()
    print(links(session) or "(p1 has no tags)")

    print("-- deleting either end deletes its association rows")
    session.delete(py)
    session.commit()
    print(links(session), [t.name for t in p2.tags])
    session.delete(p2)
    session.commit()
    print(repr(links(session)), session.scalars(select(Tag.name).order_by(Tag.name)).all())
