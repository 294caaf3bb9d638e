"""The Session on SQLite and PostgreSQL: lifecycle states, identity map, get, history and
minimal UPDATEs, expiry and refresh, detached errors, rollback after a failed flush,
merge, expunge, autoflush, sessionmaker and transactions."""

from __future__ import annotations

from typing import Any

import pytest
from test_orm_support import count_statements

from tether import Column, ForeignKey, Integer, String, inspect, select, text, update
from tether.exc import IntegrityError, InvalidRequestError, PendingRollbackError
from tether.orm import (
    DetachedInstanceError,
    Session,
    declarative_base,
    make_transient,
    make_transient_to_detached,
    object_session,
    relationship,
    sessionmaker,
)

Base = declarative_base()


class User(Base):
    __tablename__ = "users"
    id = Column(Integer, primary_key=True)
    name = Column(String(50), nullable=False)
    email = Column(String(50), unique=True)
    status = Column(String(10), default="new")
    posts = relationship("Post", back_populates="author", order_by="Post.id")

    def __repr__(self) -> str:
        return f"User({self.name!r})"


class Post(Base):
    __tablename__ = "posts"
    id = Column(Integer, primary_key=True)
    title = Column(String(50))
    user_id = Column(Integer, ForeignKey("users.id"))
    author = relationship("User", back_populates="posts")


@pytest.fixture
def db(engine: Any) -> Any:
    Base.metadata.create_all(engine)
    return engine


def test_states_and_identity_map(db: Any) -> None:
    with Session(db) as s:
        u = User(name="ann")
        assert inspect(u).transient
        s.add(u)
        assert inspect(u).pending and u in s and object_session(u) is s
        s.flush()
        assert inspect(u).persistent and u.id is not None
        assert u.status == "new"  # Python-side default is visible on the object
        assert s.get(User, u.id) is u
        s.commit()
        same = s.scalars(select(User).where(User.name == "ann")).one()
        assert same is u
        s.delete(u)
        assert inspect(u).persistent
        s.flush()
        assert inspect(u).deleted
        s.commit()
        assert inspect(u).detached
    with Session(db) as s:
        assert s.get(User, 1) is None


def test_get_twice_is_one_object_and_one_statement(db: Any) -> None:
    with Session(db) as s:
        s.add(User(name="ann"))
        s.commit()
    with Session(db) as s, count_statements() as log:
        a = s.get(User, 1)
        b = s.get(User, 1)
        assert a is b and a.name == "ann"
    assert len(log.of_kind("SELECT")) == 1


def test_only_changed_columns_are_updated(db: Any) -> None:
    with Session(db) as s:
        s.add_all([User(name="ann", email="a@x"), User(name="bob", email="b@x")])
        s.commit()
        users = s.scalars(select(User).order_by(User.id)).all()
        for u in users:
            u.name = u.name.upper()
        users[0].name = users[0].name  # unchanged value: not written
        with count_statements() as log:
            s.flush()
        updates = log.of_kind("UPDATE")
        assert len(updates) == 1  # one executemany for both rows
        assert "email" not in updates[0] and "name" in updates[0]
        s.commit()
        assert s.scalars(select(User.name).order_by(User.id)).all() == ["ANN", "BOB"]


def test_expire_on_commit_reloads_and_refresh(db: Any) -> None:
    with Session(db) as s:
        u = User(name="ann")
        s.add(u)
        s.commit()
        assert "name" not in u.__dict__
        assert u.name == "ann"
        # a Core UPDATE the ORM does not track (through the session's own transaction, so
        # SQLite's locking does not get in the way)
        s.execute(update(User.__table__).values(name="changed"))
        assert u.name == "ann"  # still the loaded value
        s.expire(u)
        assert u.name == "changed"
        s.execute(update(User.__table__).values(name="again"))
        s.refresh(u)
        assert u.__dict__["name"] == "again"
        u.name = "local"
        s.expire(u, ["name"])
        assert u.name == "again"


def test_commit_expires_mapped_values_and_keeps_plain_attributes(db: Any) -> None:
    # the two ways a commit empties an object's __dict__: only mapped values and its
    # state (cleared at once), or a plain attribute as well (which stays)
    with Session(db) as s:
        u = User(name="ann", posts=[Post(title="a")])
        v = User(name="bob")
        v.note = "kept"  # not mapped
        s.add_all([u, v])
        s.commit()
        assert len(u.__dict__) == 1  # (its state)
        assert set(v.__dict__) == set(u.__dict__) | {"note"}
        assert v.note == "kept"
        assert (u.name, v.name, [p.title for p in u.posts]) == ("ann", "bob", ["a"])
        assert not s.dirty


def test_detached_error_explains_commit_expiry(db: Any) -> None:
    with Session(db) as s:
        u = User(name="ann")
        s.add(u)
        s.commit()
    with pytest.raises(DetachedInstanceError) as info:
        _ = u.name
    msg = str(info.value)
    assert "expire_on_commit" in msg and "closed" in msg
    assert "keep the session open" in msg and "expire_on_commit=False" in msg
    assert "eager" in msg


def test_detached_error_for_unloaded_relationship_and_expire_on_commit_false(db: Any) -> None:
    maker = sessionmaker(bind=db, expire_on_commit=False)
    with maker() as s:
        u = User(name="ann")
        s.add(u)
        s.commit()
    assert u.name == "ann"  # values stay readable
    with pytest.raises(DetachedInstanceError) as info:
        _ = u.posts
    assert "posts" in str(info.value) and "closed" in str(info.value)


def test_failed_flush_rolls_back_and_requires_rollback(db: Any) -> None:
    with Session(db) as s:
        ann = User(name="ann", email="a@x")
        s.add(ann)
        s.commit()
        ann.name = "ann2"
        good = User(name="cy", email="c@x")
        dup = User(name="dup", email="a@x")
        s.add_all([good, dup])
        with pytest.raises(IntegrityError):
            s.flush()
        with pytest.raises(PendingRollbackError) as info:
            s.scalars(select(User)).all()
        assert "rollback()" in str(info.value)
        s.rollback()
        assert inspect(good).transient and inspect(dup).transient
        assert good.id is None
        assert ann.name == "ann"  # reloaded from the database
        assert s.scalars(select(User.email)).all() == ["a@x"]
        s.add(good)
        s.commit()
        assert sorted(s.scalars(select(User.email)).all()) == ["a@x", "c@x"]


def test_begin_context_manager_rolls_back_on_error(db: Any) -> None:
    maker = sessionmaker(bind=db)
    with maker.begin() as s:
        s.add(User(name="ann", email="a@x"))
    with pytest.raises(IntegrityError), maker.begin() as s:
        s.add(User(name="bob", email="a@x"))
    with maker() as s:
        with s.begin():
            s.add(User(name="cy", email="c@x"))
        with pytest.raises(InvalidRequestError):
            s.begin()
            s.begin()
        s.rollback()
        assert sorted(s.scalars(select(User.name)).all()) == ["ann", "cy"]


def test_autoflush_and_no_autoflush(db: Any) -> None:
    with Session(db) as s:
        s.add(User(name="ann"))
        assert s.scalar(select(User.id).where(User.name == "ann")) is not None
        with s.no_autoflush:
            s.add(User(name="bob"))
            assert s.scalar(select(User.id).where(User.name == "bob")) is None
        assert s.scalar(select(User.id).where(User.name == "bob")) is not None
    with Session(db, autoflush=False) as s:
        s.add(User(name="cy"))
        assert s.scalar(select(User.id).where(User.name == "cy")) is None
        s.flush()
        assert s.scalar(select(User.id).where(User.name == "cy")) is not None


def test_merge_expunge_and_transient_helpers(db: Any) -> None:
    with Session(db) as s:
        s.add(User(name="ann", email="a@x"))
        s.commit()
    incoming = User(id=1, name="ANN")
    with Session(db) as s:
        merged = s.merge(incoming)
        assert merged is not incoming and merged.name == "ANN" and merged in s
        assert merged.email == "a@x"
        assert incoming not in s
        new = s.merge(User(id=50, name="new"))
        assert inspect(new).pending
        s.commit()
        s.expunge(merged)
        assert inspect(merged).detached
        u = s.get(User, 50)
        make_transient(u)
        assert inspect(u).transient
        s.expunge_all()
        detached = User(id=1, name="ghost")
        make_transient_to_detached(detached)
        assert inspect(detached).detached
        s.add(detached)
        assert inspect(detached).persistent


def test_execute_text_and_rows_of_entities(db: Any) -> None:
    with Session(db) as s:
        u = User(name="ann", posts=[Post(title="p1"), Post(title="p2")])
        s.add(u)
        s.commit()
        rows = s.execute(select(User, Post).join(User.posts).order_by(Post.id)).all()
        assert [(r[0].name, r[1].title) for r in rows] == [("ann", "p1"), ("ann", "p2")]
        assert rows[0].User is u and rows[0][0] is rows[1][0]
        assert s.execute(select(Post.title).order_by(Post.title)).scalars().all() == ["p1", "p2"]
        assert s.execute(text("SELECT count(*) FROM posts")).scalar() == 2
        assert s.scalars(select(User)).unique().all() == [u]


def test_scoped_session_one_per_thread(db: Any) -> None:
    import threading

    from tether.orm import scoped_session

    registry = scoped_session(sessionmaker(bind=db))
    registry.add(User(name="ann"))
    registry.commit()
    assert registry() is registry()
    seen: list[Any] = []
    thread = threading.Thread(target=lambda: seen.append(registry()))
    thread.start()
    thread.join()
    assert seen[0] is not registry()
    assert registry.scalars(select(User.name)).all() == ["ann"]
    registry.remove()
    assert not registry.has()


def test_is_modified_new_dirty_deleted(db: Any) -> None:
    with Session(db) as s:
        a, b = User(name="a"), User(name="b")
        s.add_all([a, b])
        assert set(s.new) == {a, b}
        s.commit()
        a.name = "A"
        assert s.dirty == [a] and s.is_modified(a) and not s.is_modified(b)
        s.delete(b)
        assert s.deleted == [b]
        s.commit()
        assert not s.dirty and not s.deleted


def test_session_on_a_connection_joins_its_transaction(db: Any) -> None:
    with db.connect() as conn:
        trans = conn.begin()
        with Session(conn) as s:
            s.add(User(name="inside"))
            s.commit()  # the caller's transaction stays open
            assert s.scalars(select(User.name)).all() == ["inside"]
        trans.rollback()
    with Session(db) as s:
        assert s.scalars(select(User.name)).all() == []


def test_primary_key_change_updates_row_and_identity(db: Any) -> None:
    with Session(db) as s:
        u = User(id=5, name="ann")
        s.add(u)
        s.commit()
        u.id = 6
        s.commit()
        assert s.get(User, 6) is u and s.get(User, 5) is None
        assert s.scalars(select(User.id)).all() == [6]
