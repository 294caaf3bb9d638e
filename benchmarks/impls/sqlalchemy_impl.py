"""SQLAlchemy 2.x declarative code for the nine workloads -- and, rewritten, tether's.

This module is written the way a SQLAlchemy user writes it, restricted to the declarative
subset tether targets (DeclarativeBase, Mapped, mapped_column, relationship, Table/Column,
Session, select, selectinload, text).  The tether implementation is this very source with ``sqlalchemy`` replaced by ``tether`` in its import
lines (see ``benchmarks.impls.load_tether_module``), so only import SQLAlchemy in
``from sqlalchemy... import`` / ``import sqlalchemy`` lines, never reach into private API,
and keep each workload in ORM object style.
"""

from typing import Any

from sqlalchemy import (
    Column,
    Float,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    create_engine,
    select,
    text,
)
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    mapped_column,
    relationship,
)

from benchmarks import workloads as w


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    email: Mapped[str] = mapped_column(String(100))
    posts: Mapped[list["Post"]] = relationship(back_populates="user", cascade="all, delete-orphan")


class Post(Base):
    __tablename__ = "posts"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    user: Mapped[User] = relationship(back_populates="posts")


enrollments = Table(
    "enrollments",
    Base.metadata,
    Column("student_id", Integer, ForeignKey("students.id"), primary_key=True),
    Column("course_id", Integer, ForeignKey("courses.id"), primary_key=True),
)


class Student(Base):
    __tablename__ = "students"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    courses: Mapped[list["Course"]] = relationship(secondary=enrollments, back_populates="students")


class Course(Base):
    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    students: Mapped[list[Student]] = relationship(secondary=enrollments, back_populates="courses")


class Item(Base):
    __tablename__ = "items"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    category: Mapped[str] = mapped_column(String(20))
    qty: Mapped[int] = mapped_column(Integer)
    price: Mapped[float] = mapped_column(Float)


ENGINE_HOOKS: list[Any] = []
"""Called with each new engine.  SQLAlchemy leaves SQLite foreign keys off, so its runner
adds a connect-event hook here (``benchmarks.impls.sqlalchemy_runner``); tether turns them
on itself, and keeping the event API out of this shared source measures tether on the
declarative subset alone.  Setup checks ``PRAGMA foreign_keys`` either way."""


class Impl:
    def __init__(self, target: Any, params: w.Params) -> None:
        self.p = params
        url = target.sqlalchemy_url()
        self.engine = create_engine(url)
        self.sqlite = url.startswith("sqlite")
        for hook in ENGINE_HOOKS:
            hook(self.engine, self.sqlite)
        # Opens the pooled connection now, so the workload does not pay for connecting.
        with Session(self.engine) as session:
            if self.sqlite:
                if session.execute(text("PRAGMA foreign_keys")).scalar() != 1:
                    raise RuntimeError("foreign keys are off")
            else:
                session.execute(text("SELECT 1")).scalar()

    def close(self) -> None:
        self.engine.dispose()

    def insert_graph(self) -> None:
        p = self.p
        with Session(self.engine) as session:
            for i in range(p.users):
                user = User(
                    name=w.user_name(i),
                    email=w.user_email(i),
                    posts=[
                        Post(title=w.post_title(i, j), body=w.post_body(i, j))
                        for j in range(p.posts_per_user)
                    ],
                )
                session.add(user)
            session.commit()

    def m2m_link(self) -> None:
        p = self.p
        with Session(self.engine) as session:
            courses = session.scalars(select(Course).order_by(Course.id)).all()
            for i in range(p.students):
                student = Student(name=w.student_name(i))
                for c in w.student_course_indexes(i):
                    student.courses.append(courses[c])
                session.add(student)
            session.commit()

    def load_eager(self) -> Any:
        # Imported here rather than at the top so that, while tether is being built, a
        # missing loader option fails this workload alone instead of the whole module.
        from sqlalchemy.orm import selectinload

        with Session(self.engine) as session:
            users = session.scalars(select(User).options(selectinload(User.posts))).all()
            return _checksum_users(users)

    def load_lazy(self) -> Any:
        with Session(self.engine) as session:
            users = session.scalars(select(User)).all()
            return _checksum_users(users)

    def full_objects(self) -> Any:
        with Session(self.engine) as session:
            items = session.scalars(select(Item)).all()
            n = s_id = s_qty = s_len = 0
            s_price = 0.0
            for item in items:
                n += 1
                s_id += item.id
                s_qty += item.qty
                s_len += len(item.name) + len(item.category)
                s_price += item.price
            return (n, s_id, s_qty, s_len, s_price)

    def get_by_pk(self) -> Any:
        total = 0
        for uid in w.lookup_ids(self.p):
            with Session(self.engine) as session:
                user = session.get(User, uid)
                assert user is not None
                total += user.id + len(user.name) + len(user.email)
        return (self.p.lookups, total)

    def join_filter(self) -> Any:
        n = s_id = s_len = 0
        with Session(self.engine) as session:
            for prefix in w.join_prefixes(self.p):
                stmt = select(User).join(User.posts).where(Post.title.like(prefix)).distinct()
                for user in session.scalars(stmt):
                    n += 1
                    s_id += user.id
                    s_len += len(user.name)
        return (n, s_id, s_len)

    def update_many(self) -> None:
        with Session(self.engine) as session:
            for item in session.scalars(select(Item)).all():
                item.qty = item.qty + 1
            session.commit()

    def delete_cascade(self) -> None:
        with Session(self.engine) as session:
            doomed = session.scalars(select(User).where(User.id <= self.p.delete_users)).all()
            for user in doomed:
                session.delete(user)
            session.commit()


def _checksum_users(users: Any) -> Any:
    return w.checksum_eager(
        (user.id, [(post.id, post.title, post.body) for post in user.posts]) for user in users
    )
