# conformance: 2.x select(): join/join_from, where, group_by/func.count/having, subquery, aliased, any/has/contains, in_(select), scalar_one, unique
# requires: issue-3, issue-5
import os

from sqlalchemy import ForeignKey, String, create_engine, func, select
from sqlalchemy.exc import MultipleResultsFound, NoResultFound
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    aliased,
    joinedload,
    mapped_column,
    relationship,
)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(20))
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    posts: Mapped[list["Post"]] = relationship(back_populates="author")
    manager: Mapped["User | None"] = relationship(remote_side=[id])

    def __repr__(self):
        return f"User({self.name})"


class Post(Base):
    __tablename__ = "posts"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(30))
    likes: Mapped[int] = mapped_column(default=0)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    author: Mapped[User] = relationship(back_populates="posts")

    def __repr__(self):
        return f"Post({self.title})"


engine = create_engine(os.environ["CONFORMANCE_DB_URL"])
Base.metadata.create_all(engine)

with Session(engine) as s:
    boss = User(name="boss")
    ann = User(name="ann", manager=boss)
    bob = User(name="bob", manager=boss)
    cy = User(name="cy", manager=ann)
    ann.posts = [Post(title="orm tips", likes=10), Post(title="sql joins", likes=3)]
    bob.posts = [Post(title="orm pitfalls", likes=7)]
    cy.posts = [Post(title="hello", likes=0)]
    s.add_all([boss, ann, bob, cy])
    s.commit()

with Session(engine) as s:
    print("join rel:", s.scalars(select(Post).join(Post.author).where(User.name == "ann").order_by(Post.title)).all())
    print("join_from:", s.execute(select(User.name, Post.title).join_from(User, Post).where(Post.likes > 5).order_by(Post.title)).all())
    print("select(A, B):", [(u.name, p.title) for u, p in s.execute(select(User, Post).join(User.posts).order_by(Post.id))])
    counts = s.execute(
        select(User.name, func.count(Post.id).label("n"))
        .outerjoin(User.posts)
        .group_by(User.name)
        .having(func.count(Post.id) >= 1)
        .order_by(User.name)
    ).all()
    print("group_by/having:", [tuple(r) for r in counts], counts[0].n)
    totals = select(Post.author_id, func.sum(Post.likes).label("total")).group_by(Post.author_id).subquery()
    rows = s.execute(select(User.name, totals.c.total).join(totals, totals.c.author_id == User.id).order_by(totals.c.total.desc())).all()
    print("subquery:", [tuple(r) for r in rows])
    mgr = aliased(User)
    rows = s.execute(select(User.name, mgr.name).join(mgr, User.manager).order_by(User.name)).all()
    print("aliased self-join:", [tuple(r) for r in rows])
    print("any:", s.scalars(select(User.name).where(User.posts.any(Post.likes > 5)).order_by(User.name)).all())
    print("not any:", s.scalars(select(User.name).where(~User.posts.any()).order_by(User.name)).all())
    print("has:", s.scalars(select(Post.title).where(Post.author.has(User.name == "bob"))).all())
    ann = s.scalars(select(User).where(User.name == "ann")).one()
    post = s.scalars(select(Post).where(Post.title == "hello")).one()
    print("contains:", s.scalars(select(User).where(User.posts.contains(post))).one())
    print("compare to object:", s.scalars(select(Post.title).where(Post.author == ann).order_by(Post.title)).all())
    print("in_(select):", s.scalars(select(User.name).where(User.id.in_(select(Post.author_id).where(Post.likes == 0)))).all())
    print("scalar_one:", s.execute(select(User).where(User.name == "bob")).scalar_one())
    print("scalar_one_or_none:", s.execute(select(User).where(User.name == "zed")).scalar_one_or_none())
    print("scalar:", s.scalar(select(func.count()).select_from(Post)))
    try:
        s.execute(select(User).where(User.name == "zed")).scalar_one()
    except NoResultFound as exc:
        print(type(exc).__name__)
    try:
        s.execute(select(User)).scalar_one()
    except MultipleResultsFound as exc:
        print(type(exc).__name__)
    users = s.execute(select(User).options(joinedload(User.posts)).order_by(User.name)).unique().scalars().all()
    print("unique() with joinedload:", users, [len(u.posts) for u in users])
    print("first():", s.execute(select(User.name).order_by(User.name.desc())).first())
    print("mappings:", [dict(m) for m in s.execute(select(User.name, Post.likes).join(User.posts).where(Post.likes > 5).order_by(Post.likes)).mappings()])
    print("limit/offset/distinct:", s.scalars(select(Post.author_id).distinct().order_by(Post.author_id).limit(2).offset(1)).all() == sorted({p.author_id for p in s.scalars(select(Post))})[1:3])
