"""The ``delete`` cascade loads what it needs set-based (``tether.orm.deletecascade``): the
unloaded collections of every object deleted in a row are loaded with one ``IN`` statement
per relationship and level, on SQLite (foreign keys enforced) and PostgreSQL. The rows
deleted, the objects the session reports and the errors stay those of loading each
collection in place.
"""

from __future__ import annotations

import logging
from contextlib import AbstractContextManager as ContextManager
from typing import Any

import pytest
from test_orm_support import engine_log

from tether import Column, ForeignKey, ForeignKeyConstraint, Integer, String, Table, select
from tether.exc import IntegrityError, InvalidRequestError
from tether.orm import Session, declarative_base, make_transient, relationship


class _Log(logging.Handler):
    """(verb, table) of every statement ``tether.engine`` logs."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.statements: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        words = record.getMessage().replace('"', "").split()
        if not words or words[0] not in ("SELECT", "INSERT", "UPDATE", "DELETE"):
            return
        marker = {"SELECT": "FROM", "INSERT": "INTO", "DELETE": "FROM"}.get(words[0])
        table = words[words.index(marker) + 1] if marker in words else words[1]
        self.statements.append((words[0], table))

    def count(self, verb: str, table: str) -> int:
        return self.statements.count((verb, table))


def statements() -> ContextManager[_Log]:
    return engine_log(_Log())


def _rows(session: Session, table: Any) -> list[tuple[Any, ...]]:
    return sorted(tuple(r) for r in session.execute(select(table)).all())


def _blog(engine: Any, users: int = 6, posts: int = 3, comments: int = 2) -> Any:
    Base = declarative_base()

    class User(Base):
        __tablename__ = "users"
        id = Column(Integer, primary_key=True)
        name = Column(String(20))
        posts = relationship("Post", back_populates="user", cascade="all, delete-orphan",
                             order_by="Post.id")

    class Post(Base):
        __tablename__ = "posts"
        id = Column(Integer, primary_key=True)
        user_id = Column(ForeignKey("users.id"), nullable=False)
        title = Column(String(20))
        user = relationship("User", back_populates="posts")
        comments = relationship("Comment", cascade="all, delete-orphan")

    class Comment(Base):
        __tablename__ = "comments"
        id = Column(Integer, primary_key=True)
        post_id = Column(ForeignKey("posts.id"), nullable=False)
        text = Column(String(20))

    Table("pin", Base.metadata, Column("post_id", ForeignKey("posts.id")))  # unmapped
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        for u in range(users):
            s.add(User(id=u + 1, name=f"u{u}", posts=[
                Post(title=f"p{u}.{p}", comments=[Comment(text=f"c{u}.{p}.{c}")
                                                  for c in range(comments)])
                for p in range(posts)]))
        s.commit()
    return User, Post, Comment


def test_one_select_per_relationship_and_level(engine: Any) -> None:
    User, Post, Comment = _blog(engine)
    with Session(engine) as s:
        doomed = s.scalars(select(User).where(User.id <= 4)).all()
        with statements() as log:
            for user in doomed:
                s.delete(user)
            s.commit()
        assert log.count("SELECT", "posts") == 1
        assert log.count("SELECT", "comments") == 1
        assert [log.count("DELETE", t) for t in ("comments", "posts", "users")] == [1, 1, 1]
        assert [r[0] for r in _rows(s, User.__table__)] == [5, 6]
        assert len(_rows(s, Post.__table__)) == 6
        assert len(_rows(s, Comment.__table__)) == 12


def test_collections_loaded_as_a_lazy_load_would(engine: Any) -> None:
    User, Post, Comment = _blog(engine)
    with Session(engine) as s:
        users = s.scalars(select(User).order_by(User.id)).all()
        known = s.get(Post, 1)  # already in the identity map
        for user in users[:2]:
            s.delete(user)
        # any other use of the session sees the cascade done
        deleted = s.deleted
        assert {type(o).__name__ for o in deleted} == {"User", "Post", "Comment"}
        assert len(deleted) == 2 + 6 + 12
        assert known in deleted and s.get(Post, 1) is None
        assert users[0].posts[0] is known
        assert [p.title for p in users[1].posts] == ["p1.0", "p1.1", "p1.2"]
        assert all(p.user is users[1] for p in users[1].posts)
        assert known not in s.dirty
        s.commit()
        assert len(_rows(s, Post.__table__)) == 12


def test_reading_the_collection_right_after_delete_does_not_flush(engine: Any) -> None:
    """Reading a deleted object's cascading collection before any other session call gets
    the cascade's own load (no autoflush, no second SELECT), and its members are reported
    deleted, as when delete() loads the collection in place."""
    User, Post, Comment = _blog(engine)
    with Session(engine) as s:
        users = s.scalars(select(User).order_by(User.id)).all()
        s.delete(users[0])
        with statements() as log:
            posts = users[0].posts
            assert [p.title for p in posts] == ["p0.0", "p0.1", "p0.2"]
        assert log.count("SELECT", "posts") == 1
        assert [v for v, _ in log.statements if v == "DELETE"] == []
        assert all(p in s.deleted for p in posts)
        s.commit()
        assert [r[0] for r in _rows(s, User.__table__)] == [2, 3, 4, 5, 6]
        assert len(_rows(s, Post.__table__)) == 15


def test_changes_after_delete_do_not_change_what_the_cascade_deletes(engine: Any) -> None:
    """Moving a child to another parent, or merging a copy of it, after delete() and
    before any other session call: the cascade still takes what the parent had at
    delete(), as when delete() loads the collection in place."""
    User, Post, Comment = _blog(engine)
    with Session(engine) as s:
        moved = s.get(Post, 1)  # user 1's first post, loaded before the delete
        other = s.get(User, 2)
        s.delete(s.get(User, 1))
        moved.user = other
        s.commit()
        assert s.get(Post, 1) is None
        rekeyed = s.get(Post, 4)  # user 2's, its key changed in memory, not flushed
        rekeyed.user_id = 3
        s.delete(other)
        s.commit()
        assert s.get(Post, 4) is None
        assert [r[0] for r in _rows(s, User.__table__)] == [3, 4, 5, 6]
        assert len(_rows(s, Post.__table__)) == 12
    with Session(engine) as s0:
        copy = s0.get(Post, 8)  # user 3's
        s0.expunge(copy)
    with Session(engine) as s:
        s.delete(s.get(User, 3))
        merged = s.merge(copy)
        assert merged in s.deleted
        s.commit()
        assert len(_rows(s, Post.__table__)) == 9


def test_a_cascade_added_later_by_a_backref_is_followed(engine: Any) -> None:
    """A backref declared after the parent's cascades were first used adds a delete
    cascade that the next delete() follows."""
    from tether.orm import backref

    Base = declarative_base()

    class Owner(Base):
        __tablename__ = "owners"
        id = Column(Integer, primary_key=True)

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all([Owner(id=1), Owner(id=2)])
        s.commit()
        s.delete(s.get(Owner, 1))
        s.commit()

    class Pet(Base):
        __tablename__ = "pets"
        id = Column(Integer, primary_key=True)
        owner_id = Column(ForeignKey("owners.id"))
        owner = relationship(Owner, backref=backref("pets", cascade="all, delete-orphan"))

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all([Pet(id=1, owner_id=2), Pet(id=2, owner_id=2)])
        s.commit()
    with Session(engine) as s:
        s.delete(s.get(Owner, 2))
        s.commit()
        assert _rows(s, Pet.__table__) == []


def test_mixed_loaded_and_unloaded_collections(engine: Any) -> None:
    User, Post, Comment = _blog(engine)
    with Session(engine) as s:
        users = s.scalars(select(User).order_by(User.id)).all()
        target = users[5].posts  # loaded first: its lazy load would autoflush the orphan
        loaded = users[0].posts  # loaded and changed
        loaded[0].title = "changed"
        moved = loaded.pop(1)
        target.append(moved)  # survives: it moved to a user that stays
        new = Post(title="new")
        loaded.append(new)  # never flushed: leaves the session instead
        assert len(users[1].posts[0].comments) == 2  # loaded among unloaded ones
        with statements() as log:
            for user in users[:3]:
                s.delete(user)
            s.flush()
        assert log.count("SELECT", "posts") == 1  # user 3's
        assert log.count("SELECT", "comments") == 2  # one per level
        assert new not in s and log.count("INSERT", "posts") == 0
        s.commit()
        left = _rows(s, Post.__table__)
        assert sorted((r[1], r[2]) for r in left if r[1] == 6) == [
            (6, "p0.1"), (6, "p5.0"), (6, "p5.1"), (6, "p5.2")]
        assert {r[1] for r in left} == {4, 5, 6}
        assert len(_rows(s, Comment.__table__)) == 2 * 10


def test_self_referential_tree_one_select_per_level(engine: Any) -> None:
    Base = declarative_base()

    class Node(Base):
        __tablename__ = "node"
        id = Column(Integer, primary_key=True)
        parent_id = Column(ForeignKey("node.id"))
        name = Column(String(30))
        children = relationship("Node", cascade="all, delete-orphan")

    Base.metadata.create_all(engine)
    depth = 4
    with Session(engine) as s:
        roots = [Node(name=f"r{i}") for i in range(3)]
        level = roots
        for _ in range(depth - 1):
            nxt = []
            for n in level:
                n.children = [Node(name=f"{n.name}.{i}") for i in range(2)]
                nxt.extend(n.children)
            level = nxt
        keep = Node(name="keep", children=[Node(name="keep.0")])
        s.add_all([*roots, keep])
        s.commit()
        with statements() as log:
            for root in s.scalars(select(Node).where(Node.name.in_(["r0", "r1", "r2"]))):
                s.delete(root)
            s.commit()
        # one SELECT per level below the roots (the last finds no children); one DELETE
        # per level, leaves first
        assert log.count("SELECT", "node") == 1 + depth
        assert log.count("DELETE", "node") == depth
        assert sorted(r[2] for r in _rows(s, Node.__table__)) == ["keep", "keep.0"]


def test_many_to_many_cascade_and_association_rows(engine: Any) -> None:
    Base = declarative_base()
    link = Table("link", Base.metadata,
                 Column("a_id", ForeignKey("a.id"), primary_key=True),
                 Column("b_id", ForeignKey("b.id"), primary_key=True))
    tagging = Table("tagging", Base.metadata,
                    Column("a_id", ForeignKey("a.id"), primary_key=True),
                    Column("t_id", ForeignKey("t.id"), primary_key=True))

    class A(Base):
        __tablename__ = "a"
        id = Column(Integer, primary_key=True)
        bs = relationship("B", secondary=link, cascade="all")
        tags = relationship("T", secondary=tagging)  # association rows only

    class B(Base):
        __tablename__ = "b"
        id = Column(Integer, primary_key=True)

    class T(Base):
        __tablename__ = "t"
        id = Column(Integer, primary_key=True)

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        tags = [T(id=i) for i in range(3)]
        s.add_all([A(id=i, bs=[B(id=10 * i + j) for j in range(2)], tags=tags[i:])
                   for i in range(3)])
        s.commit()
        with statements() as log:
            for a in s.scalars(select(A).where(A.id < 2)):
                s.delete(a)
            s.commit()
        assert log.count("SELECT", "b") == 1
        assert log.count("SELECT", "t") == 0
        assert _rows(s, A.__table__) == [(2,)]
        assert _rows(s, B.__table__) == [(20,), (21,)]
        assert _rows(s, link) == [(2, 20), (2, 21)]
        assert _rows(s, T.__table__) == [(0,), (1,), (2,)]
        assert _rows(s, tagging) == [(2, 2)]


def test_composite_keys_and_chunks(engine: Any) -> None:
    Base = declarative_base()

    class Parent(Base):
        __tablename__ = "parent"
        a = Column(Integer, primary_key=True)
        b = Column(Integer, primary_key=True)
        kids = relationship("Kid", cascade="all, delete-orphan")

    class Kid(Base):
        __tablename__ = "kid"
        id = Column(Integer, primary_key=True)
        pa = Column(Integer, nullable=False)
        pb = Column(Integer, nullable=False)
        __table_args__ = (ForeignKeyConstraint(["pa", "pb"], ["parent.a", "parent.b"]),)

    Base.metadata.create_all(engine)
    n = 501  # more than one batch of keys
    with Session(engine) as s:
        s.add_all([Parent(a=i, b=i % 7, kids=[Kid()] if i % 2 else []) for i in range(n)])
        s.commit()
        with statements() as log:
            for p in s.scalars(select(Parent)):
                s.delete(p)
            s.commit()
        assert log.count("SELECT", "kid") == 2
        assert log.count("DELETE", "kid") == 1  # composite key: one executemany
        assert log.count("DELETE", "parent") == 1
        assert _rows(s, Parent.__table__) == [] and _rows(s, Kid.__table__) == []


def test_deletes_by_key_in_batches(engine: Any) -> None:
    User, Post, Comment = _blog(engine, users=2, posts=300, comments=0)
    with Session(engine) as s:
        users = s.scalars(select(User)).all()
        with statements() as log:
            for user in users:
                s.delete(user)
            s.commit()
        assert log.count("DELETE", "posts") == 2  # 600 keys: batches of 500
        assert log.count("DELETE", "users") == 1
        assert _rows(s, Post.__table__) == [] and _rows(s, User.__table__) == []


def test_session_operations_after_delete_see_the_cascade(engine: Any) -> None:
    User, Post, Comment = _blog(engine, users=3, comments=0)
    with Session(engine) as s:
        users = s.scalars(select(User).order_by(User.id)).all()
        post = s.get(Post, 4)  # user 2's
        s.delete(users[1])
        s.add(post)  # add() after the cascade reached it: not deleted any more
        assert post not in s.deleted and users[1] in s.deleted
        s.delete(users[2])
        make_transient(users[2])  # its cascade happened before
        with s.no_autoflush:
            titles = [p.title for p in s.scalars(select(Post).order_by(Post.id))]
        assert titles == [f"p{u}.{p}" for u in range(3) for p in range(3)]
        assert len([o for o in s.deleted if isinstance(o, Post)]) == 2 + 3
        with pytest.raises(IntegrityError):
            s.commit()  # post 4 still points at user 2
        s.rollback()
        assert len(_rows(s, Post.__table__)) == 9


def test_failed_flush_leaves_database_unchanged_and_session_usable(engine: Any) -> None:
    User, Post, Comment = _blog(engine, users=4)
    pin = Post.__table__.metadata.tables["pin"]
    with Session(engine) as s:
        s.execute(pin.insert().values(post_id=5))  # user 2's second post: no mapping knows
        s.commit()
    with Session(engine) as s:
        tables = (User.__table__, Post.__table__, Comment.__table__)
        before = [_rows(s, t) for t in tables]
        for user in s.scalars(select(User).where(User.id <= 3)):
            s.delete(user)
        with pytest.raises(IntegrityError):
            s.commit()
        s.rollback()
        assert s.deleted == []
        assert [_rows(s, t) for t in tables] == before
        s.execute(pin.delete())
        for user in s.scalars(select(User)):
            s.delete(user)
        s.commit()
        assert [_rows(s, t) for t in tables] == [[], [], []]


def test_strategies_that_do_not_select(engine: Any) -> None:
    Base = declarative_base()

    class P(Base):
        __tablename__ = "p"
        id = Column(Integer, primary_key=True)
        raising = relationship("C", cascade="all", lazy="raise")

    class C(Base):
        __tablename__ = "c"
        id = Column(Integer, primary_key=True)
        p_id = Column(ForeignKey("p.id"))

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(P(id=1, raising=[C(id=1)]))
        s.commit()
        p = s.get(P, 1)
        with pytest.raises(InvalidRequestError):
            s.delete(p)  # as loading in place: the raise loader refuses at delete()


def test_children_letting_go_of_deleted_parents_load_set_based(engine: Any) -> None:
    Base = declarative_base()

    class Parent(Base):
        __tablename__ = "parent"
        id = Column(Integer, primary_key=True)
        kids = relationship("Kid", back_populates="parent")  # no delete cascade
        notes = relationship("Note", passive_deletes=True)  # ON DELETE does it

    class Kid(Base):
        __tablename__ = "kid"
        id = Column(Integer, primary_key=True)
        parent_id = Column(ForeignKey("parent.id"))
        parent = relationship("Parent", back_populates="kids")

    class Note(Base):
        __tablename__ = "note"
        id = Column(Integer, primary_key=True)
        parent_id = Column(ForeignKey("parent.id", ondelete="CASCADE"))

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all([Parent(id=i, kids=[Kid(id=10 * i + j) for j in range(2)],
                          notes=[Note(id=10 * i)]) for i in range(1, 7)])
        s.commit()
        parents = s.scalars(select(Parent).order_by(Parent.id)).all()
        moved = parents[1].kids[0]
        moved.parent = parents[5]  # leaves a deleted parent for one that stays
        with statements() as log:
            for p in parents[:4]:
                s.delete(p)
            s.commit()
        assert log.count("SELECT", "kid") == 1  # parents 1, 3, 4 (2's is loaded)
        assert log.count("SELECT", "note") == 0
        assert log.count("UPDATE", "kid") == 1
        kids = {r[0]: r[1] for r in _rows(s, Kid.__table__)}
        assert kids == {10: None, 11: None, 20: 6, 21: None, 30: None, 31: None, 40: None,
                        41: None, 50: 5, 51: 5, 60: 6, 61: 6}
        assert [r[0] for r in _rows(s, Note.__table__)] == [50, 60]
