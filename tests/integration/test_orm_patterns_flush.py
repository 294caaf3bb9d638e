"""Issue 4's relationship patterns, checked statement by statement on SQLite (foreign keys
enforced) and PostgreSQL: many-to-many writes exactly the association rows that changed,
``passive_deletes`` leaves child rows to ``ON DELETE``, ``passive_updates`` (True: the
database's ``ON UPDATE CASCADE``; False: tether moves every referring row itself, loaded or
not), ``post_update`` for rows pointing at each other, and failed flushes that leave the
database unchanged and the session usable after ``rollback()``.

The behaviour compared with SQLAlchemy lives in ``test_orm_patterns_differential.py``;
these tests pin what SQLAlchemy cannot show (it fails the update cascade when foreign keys
are enforced) and the statements tether emits.
"""

from __future__ import annotations

import ast
import logging
from contextlib import AbstractContextManager as ContextManager
from typing import Any

import pytest
from test_orm_support import engine_log

from tether import Column, ForeignKey, Integer, String, Table, select
from tether.exc import IntegrityError, PendingRollbackError
from tether.orm import Session, backref, declarative_base, relationship


class _Writes(logging.Handler):
    """Statements (verb, table, parameter rows) logged by ``tether.engine``."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.entries: list[tuple[str, str, list[tuple[Any, ...]]]] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("[") and self.entries:
            text = message.split("] ", 1)[1] if "] " in message else ""
            try:
                params = ast.literal_eval(text)
            except (ValueError, SyntaxError):
                return
            rows = params if isinstance(params, list) else [params]
            self.entries[-1][2].extend(tuple(r) for r in rows)
            return
        words = message.replace('"', "").split()
        if not words or words[0] not in ("SELECT", "INSERT", "UPDATE", "DELETE"):
            return
        verb = words[0]
        marker = {"SELECT": "FROM", "INSERT": "INTO", "DELETE": "FROM"}.get(verb)
        table = words[words.index(marker) + 1] if marker in words else words[1]
        self.entries.append((verb, table, []))

    def on(self, table: str, verb: str | None = None) -> list[tuple[str, str, list[Any]]]:
        return [e for e in self.entries if e[1] == table and (verb is None or e[0] == verb)]

    def rows(self, verb: str, table: str) -> set[tuple[Any, ...]]:
        return {r for e in self.on(table, verb) for r in e[2]}

    def clear(self) -> None:
        self.entries.clear()


def writes() -> ContextManager[_Writes]:
    return engine_log(_Writes())


def table_rows(session: Session, table: Any) -> list[tuple[Any, ...]]:
    return sorted(tuple(r) for r in session.execute(select(table)).all())


# --- many-to-many ------------------------------------------------------------------------


def _m2m_model(by_name: bool) -> tuple[Any, Any, Any, Any]:
    Base = declarative_base()
    link = Table(
        "item_tag", Base.metadata,
        Column("item_id", ForeignKey("item.id"), primary_key=True),
        Column("tag_id", ForeignKey("tag.id"), primary_key=True),
    )
    secondary: Any = "item_tag" if by_name else link

    class Item(Base):
        __tablename__ = "item"
        id = Column(Integer, primary_key=True)
        tags = relationship("Tag", secondary=secondary, back_populates="items")

    class Tag(Base):
        __tablename__ = "tag"
        id = Column(Integer, primary_key=True)
        items = relationship("Item", secondary=secondary, back_populates="tags")

    return Base, Item, Tag, link


@pytest.mark.parametrize("by_name", [False, True], ids=["table", "name"])
def test_many_to_many_writes_exactly_the_changed_rows(engine: Any, by_name: bool) -> None:
    Base, Item, Tag, link = _m2m_model(by_name)
    Base.metadata.create_all(engine)
    with Session(engine) as s, writes() as log:
        t = [Tag(id=i) for i in range(1, 8)]
        a = Item(id=1, tags=t[:4])
        s.add(a)
        s.add_all(t)
        s.flush()
        assert log.rows("INSERT", "item_tag") == {(1, 1), (1, 2), (1, 3), (1, 4)}

        steps: list[tuple[Any, set[Any], set[Any]]] = [
            (lambda: a.tags.append(t[4]), set(), {(1, 5)}),
            (lambda: a.tags.extend([t[5], t[6]]), set(), {(1, 6), (1, 7)}),
            (lambda: a.tags.remove(t[0]), {(1, 1)}, set()),
            # [2,3,4,5,6,7] -> slice 1:3 replaced by [1, 3]: 3 stays, 4 goes, 1 comes back
            (lambda: a.tags.__setitem__(slice(1, 3), [t[0], t[2]]), {(1, 4)}, {(1, 1)}),
            (lambda: setattr(a, "tags", [t[0], t[1], t[6]]), {(1, 3), (1, 5), (1, 6)}, set()),
            (lambda: t[1].items.remove(a), {(1, 2)}, set()),
            # removed and re-added in one flush: nothing to write
            (lambda: (a.tags.remove(t[6]), a.tags.append(t[6])), set(), set()),
            (lambda: a.tags.clear(), {(1, 1), (1, 7)}, set()),
        ]
        for change, deleted, inserted in steps:
            before = set(table_rows(s, link))
            log.clear()
            change()
            s.flush()
            # a DELETE may name the columns in either order: compare the key pairs sorted
            assert {tuple(sorted(r)) for r in log.rows("DELETE", "item_tag")} == deleted
            assert {tuple(sorted(r)) for r in log.rows("INSERT", "item_tag")} == inserted
            assert not log.on("item_tag", "UPDATE")
            assert set(table_rows(s, link)) == (before - deleted) | inserted
            # both sides agree in memory
            for tag in t:
                assert (a in tag.items) == (tag in a.tags)
        s.rollback()


def test_many_to_many_deleting_either_end_deletes_its_rows(engine: Any) -> None:
    Base, Item, Tag, link = _m2m_model(False)
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        tags = [Tag(id=i) for i in range(1, 4)]
        items = [Item(id=1, tags=tags[:2]), Item(id=2, tags=tags[1:])]
        s.add_all(items)
        s.commit()
        s.expire_all()  # nothing loaded: tether reads nothing it does not need
        with writes() as log:
            s.delete(tags[1])
            s.commit()
        assert log.rows("DELETE", "item_tag") == {(2,)}
        assert table_rows(s, link) == [(1, 1), (2, 3)]
        assert tags[1] not in items[0].tags
        s.delete(items[1])
        s.commit()
        assert table_rows(s, link) == [(1, 1)]
        assert [i.id for i in tags[0].items] == [1]


def test_many_to_many_collection_class_set(engine: Any) -> None:
    Base = declarative_base()
    link = Table("pt", Base.metadata, Column("p", ForeignKey("post.id"), primary_key=True),
                 Column("k", ForeignKey("keyword.id"), primary_key=True))

    class Post(Base):
        __tablename__ = "post"
        id = Column(Integer, primary_key=True)
        keywords = relationship("Keyword", secondary=link, collection_class=set,
                                backref=backref("posts", collection_class=set))

    class Keyword(Base):
        __tablename__ = "keyword"
        id = Column(Integer, primary_key=True)

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        k1, k2 = Keyword(id=1), Keyword(id=2)
        p = Post(id=1, keywords={k1, k2})
        assert isinstance(p.keywords, set) and k1.posts == {p}
        s.add(p)
        s.commit()
        p.keywords.discard(k1)
        p.keywords.add(k2)  # already there: no second row
        s.commit()
        assert table_rows(s, link) == [(1, 2)]
        s.expire_all()
        assert p.keywords == {k2} and isinstance(k2.posts, set)


def test_self_referential_many_to_many_queries(engine: Any) -> None:
    Base = declarative_base()
    follows = Table("follows", Base.metadata,
                    Column("follower", ForeignKey("person.id"), primary_key=True),
                    Column("followed", ForeignKey("person.id"), primary_key=True))

    class Person(Base):
        __tablename__ = "person"
        id = Column(Integer, primary_key=True)
        name = Column(String(10))
        following = relationship(
            "Person", secondary=follows, primaryjoin=id == follows.c.follower,
            secondaryjoin=id == follows.c.followed, backref="followers")

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        a, b, c = Person(name="a"), Person(name="b"), Person(name="c")
        a.following = [b, c]
        b.following = [c]
        s.add(a)
        s.commit()
        assert table_rows(s, follows) == [(1, 2), (1, 3), (2, 3)]

        def names(criterion: Any) -> list[str]:
            return list(s.scalars(select(Person.name).where(criterion).order_by(Person.name)))

        # the related side gets its own alias: "c" is followed by a and b, follows nobody
        assert names(Person.followers.any(Person.name == "a")) == ["b", "c"]
        assert names(Person.following.any(Person.name == "c")) == ["a", "b"]
        assert names(Person.following.any(name="a")) == []
        assert names(Person.following.contains(c)) == ["a", "b"]
        assert names(~Person.followers.any()) == ["a"]


# --- passive_deletes ----------------------------------------------------------------------


@pytest.mark.parametrize("mode", [True, "all"])
def test_passive_deletes_leave_children_to_on_delete(engine: Any, mode: Any) -> None:
    Base = declarative_base()

    class Parent(Base):
        __tablename__ = "parent"
        id = Column(Integer, primary_key=True)
        kids = relationship("Kid", cascade="all, delete-orphan" if mode is True else "save-update",
                            passive_deletes=mode)

    class Kid(Base):
        __tablename__ = "kid"
        id = Column(Integer, primary_key=True)
        parent_id = Column(ForeignKey("parent.id", ondelete="CASCADE"))

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all([Parent(id=1, kids=[Kid(), Kid()]), Parent(id=2, kids=[Kid()])])
        s.commit()
        s.expunge_all()
        with writes() as log:
            s.delete(s.get(Parent, 1))
            s.commit()
        assert not log.on("kid"), log.entries  # no SELECT, UPDATE or DELETE of children
        assert table_rows(s, Kid.__table__) == [(3, 2)]
        if mode == "all":
            # "all": even loaded children are left to the database
            p2 = s.get(Parent, 2)
            assert len(p2.kids) == 1
            with writes() as log:
                s.delete(p2)
                s.commit()
            assert not log.on("kid"), log.entries
            assert table_rows(s, Kid.__table__) == []


# --- update cascades ----------------------------------------------------------------------


def _update_model(passive: bool) -> tuple[Any, Any, Any, Any]:
    Base = declarative_base()
    onupdate = "CASCADE" if passive else None
    user_tag = Table(
        "user_tag", Base.metadata,
        Column("username", ForeignKey("users.username", onupdate=onupdate), primary_key=True),
        Column("tag", String(10), ForeignKey("tag.name", onupdate=onupdate), primary_key=True),
        Column("since", Integer),
    )

    class User(Base):
        __tablename__ = "users"
        username = Column(String(20), primary_key=True)
        fullname = Column(String(50), unique=True)
        addresses = relationship("Address", passive_updates=passive, back_populates="user")
        tags = relationship("Tag", secondary=user_tag, passive_updates=passive,
                            backref=backref("users", passive_updates=passive))

    class Address(Base):
        __tablename__ = "address"
        email = Column(String(50), primary_key=True)
        username = Column(String(20), ForeignKey("users.username", onupdate=onupdate))
        user = relationship("User", back_populates="addresses")

    class Tag(Base):
        __tablename__ = "tag"
        name = Column(String(10), primary_key=True)

    return Base, User, Address, user_tag


def _fill(engine: Any, Base: Any, User: Any, Address: Any, tags: Any) -> None:
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(User(username="jack", fullname="Jack",
                   addresses=[Address(email=f"{i}@x") for i in range(3)]))
        s.add(User(username="other", fullname="Other", addresses=[Address(email="o@x")]))
        s.commit()
        with engine.begin() as conn:
            conn.execute(tags.metadata.tables["tag"].insert(), [{"name": "a"}, {"name": "b"}])
            conn.execute(tags.insert(), [{"username": "jack", "tag": "a", "since": 1},
                                         {"username": "jack", "tag": "b", "since": 2},
                                         {"username": "other", "tag": "a", "since": 3}])


def test_passive_updates_false_moves_unloaded_rows_with_foreign_keys_enforced(
        engine: Any) -> None:
    Base, User, Address, tags = _update_model(passive=False)
    _fill(engine, Base, User, Address, tags)
    with Session(engine) as s:
        with pytest.raises(IntegrityError):  # the foreign keys really are enforced
            s.execute(Address.__table__.insert().values(email="z", username="nobody"))
        s.rollback()
        jack = s.get(User, "jack")  # addresses and tags not loaded
        with writes() as log:
            jack.username = "ed"
            s.commit()
        # the children were read (not loaded before), let go of the old key, took the new
        assert log.on("address", "SELECT") and log.on("address", "UPDATE")
        assert table_rows(s, Address.__table__) == [
            ("0@x", "ed"), ("1@x", "ed"), ("2@x", "ed"), ("o@x", "other")]
        # association rows keep their own data
        assert table_rows(s, tags) == [("ed", "a", 1), ("ed", "b", 2), ("other", "a", 3)]
        assert [a.user.username for a in jack.addresses] == ["ed"] * 3

        # loaded children: their attributes follow in memory too
        addresses = list(jack.addresses)
        jack.username = "jo"
        s.commit()
        assert {a.username for a in addresses} == {"jo"}
        assert table_rows(s, tags)[:2] == [("jo", "a", 1), ("jo", "b", 2)]
        assert sorted(t.name for t in jack.tags) == ["a", "b"]
        assert s.get(User, "jo") is jack and s.get(User, "jack") is None

        # the other end of the many-to-many moves its rows as well
        tag_a = s.get(type(jack.tags[0]), "a")
        tag_a.name = "z"
        s.commit()
        assert table_rows(s, tags) == [("jo", "b", 2), ("jo", "z", 1), ("other", "z", 3)]


def test_passive_updates_true_relies_on_on_update_cascade(engine: Any) -> None:
    Base, User, Address, tags = _update_model(passive=True)
    _fill(engine, Base, User, Address, tags)
    with Session(engine) as s:
        jack = s.get(User, "jack")
        with writes() as log:
            jack.username = "ed"
            s.commit()
        assert not log.on("address") and not log.on("user_tag")
        assert table_rows(s, Address.__table__)[:3] == [("0@x", "ed"), ("1@x", "ed"), ("2@x", "ed")]
        assert table_rows(s, tags)[:2] == [("ed", "a", 1), ("ed", "b", 2)]
        assert [a.username for a in jack.addresses] == ["ed"] * 3


def test_failed_key_change_leaves_database_unchanged(engine: Any) -> None:
    Base, User, Address, tags = _update_model(passive=False)
    _fill(engine, Base, User, Address, tags)
    with Session(engine) as s:
        jack = s.get(User, "jack")
        addresses = list(jack.addresses)
        jack.username = "ed"
        jack.fullname = "Other"  # unique: the flush fails after the children let go
        with pytest.raises(IntegrityError):
            s.commit()
        with pytest.raises(PendingRollbackError):
            s.execute(select(User)).all()
        s.rollback()
        assert table_rows(s, Address.__table__)[:3] == [
            ("0@x", "jack"), ("1@x", "jack"), ("2@x", "jack")]
        assert table_rows(s, tags)[:2] == [("jack", "a", 1), ("jack", "b", 2)]
        assert jack.username == "jack" and {a.username for a in addresses} == {"jack"}
        jack.username = "ed"
        s.commit()
        assert {a.username for a in addresses} == {"ed"}


# --- post_update ---------------------------------------------------------------------------


def _cycle_model() -> tuple[Any, Any, Any]:
    Base = declarative_base()

    class Widget(Base):
        __tablename__ = "widget"
        id = Column(Integer, primary_key=True)
        favorite_id = Column(Integer, ForeignKey("entry.id", use_alter=True, name="fk_fav"))
        entries = relationship("Entry", primaryjoin="Widget.id == Entry.widget_id",
                               back_populates="widget")
        favorite = relationship("Entry", primaryjoin="Entry.id == Widget.favorite_id",
                                post_update=True)

    class Entry(Base):
        __tablename__ = "entry"
        id = Column(Integer, primary_key=True)
        widget_id = Column(Integer, ForeignKey("widget.id"))
        widget = relationship("Widget", primaryjoin="Widget.id == Entry.widget_id",
                              back_populates="entries")

    return Base, Widget, Entry


def _create_cycle(engine: Any, Base: Any) -> None:
    """The two tables refer to each other: create them, then add the closing key."""
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE widget (id INTEGER PRIMARY KEY, favorite_id INTEGER"
            + (" REFERENCES entry (id))" if engine.dialect.name == "sqlite" else ")"))
        conn.exec_driver_sql(
            "CREATE TABLE entry (id INTEGER PRIMARY KEY, "
            "widget_id INTEGER REFERENCES widget (id))")
        if engine.dialect.name != "sqlite":
            conn.exec_driver_sql("ALTER TABLE widget ADD CONSTRAINT fk_fav "
                                 "FOREIGN KEY (favorite_id) REFERENCES entry (id)")


def test_post_update_two_tables_pointing_at_each_other(engine: Any) -> None:
    Base, Widget, Entry = _cycle_model()
    _create_cycle(engine, Base)
    with Session(engine) as s:
        w = Widget(id=1)
        e1, e2 = Entry(id=1, widget=w), Entry(id=2, widget=w)
        w.favorite = e2
        with writes() as log:
            s.add(w)
            s.commit()
        # rows first, then the key that closes the cycle
        assert [e[0] for e in log.entries if e[0] != "SELECT"][-1] == "UPDATE"
        assert table_rows(s, Widget.__table__) == [(1, 2)]
        assert table_rows(s, Entry.__table__) == [(1, 1), (2, 1)]
        w.favorite = e1
        s.commit()
        assert table_rows(s, Widget.__table__) == [(1, 1)]
        s.expire_all()
        s.delete(w)
        s.delete(e1)
        s.delete(e2)
        s.commit()
        assert table_rows(s, Widget.__table__) == [] == table_rows(s, Entry.__table__)


def test_post_update_rows_of_one_table_pointing_at_each_other(engine: Any) -> None:
    Base = declarative_base()

    class Person(Base):
        __tablename__ = "person"
        id = Column(Integer, primary_key=True)
        spouse_id = Column(ForeignKey("person.id"))
        spouse = relationship("Person", remote_side=[id], post_update=True)

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        a, b = Person(id=1), Person(id=2)
        a.spouse, b.spouse = b, a
        s.add_all([a, b])
        s.commit()
        assert table_rows(s, Person.__table__) == [(1, 2), (2, 1)]
        s.delete(a)
        s.delete(b)  # both expired: their keys are read, set to NULL, then the rows go
        s.commit()
        assert table_rows(s, Person.__table__) == []
        c, d = Person(id=3), Person(id=4)
        c.spouse, d.spouse = d, c
        s.add_all([c, d])
        s.commit()
        s.delete(c)  # d still points at c: the database refuses, nothing changes
        with pytest.raises(IntegrityError):
            s.commit()
        s.rollback()
        assert table_rows(s, Person.__table__) == [(3, 4), (4, 3)]
        d.spouse = None
        s.delete(c)
        s.commit()
        assert table_rows(s, Person.__table__) == [(4, None)]


# --- failed flushes -------------------------------------------------------------------------


def test_failed_many_to_many_flush_leaves_database_unchanged(engine: Any) -> None:
    Base, Item, Tag, link = _m2m_model(False)
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        t1, t2 = Tag(id=1), Tag(id=2)
        a = Item(id=1, tags=[t1])
        s.add(a)
        s.commit()
        a.tags.append(t2)
        a.tags.remove(t1)
        s.add(Item(id=1))  # duplicate key: the flush fails
        with pytest.raises(IntegrityError):
            s.commit()
        s.rollback()
        assert table_rows(s, link) == [(1, 1)]
        assert [t.id for t in a.tags] == [1]
        a.tags.append(t2)
        s.commit()
        assert table_rows(s, link) == [(1, 1), (1, 2)]


def test_passive_updates_false_key_change_with_collection_changes(engine: Any) -> None:
    Base, User, Address, tags = _update_model(passive=False)
    _fill(engine, Base, User, Address, tags)
    Tag = Base.metadata.tables["tag"]
    with Session(engine) as s:
        s.execute(Tag.insert().values(name="c"))
        jack = s.get(User, "jack")
        tag_cls = type(jack.tags[0])
        a_tag = s.get(tag_cls, "a")
        jack.username = "ed"
        jack.tags.remove(a_tag)
        jack.tags.append(s.get(tag_cls, "c"))
        jack.addresses.append(Address(email="new@x"))
        s.commit()
        assert table_rows(s, tags) == [("ed", "b", 2), ("ed", "c", None), ("other", "a", 3)]
        assert table_rows(s, Address.__table__) == [
            ("0@x", "ed"), ("1@x", "ed"), ("2@x", "ed"), ("new@x", "ed"), ("o@x", "other")]


def test_passive_updates_false_self_referential(engine: Any) -> None:
    Base = declarative_base()

    class Node(Base):
        __tablename__ = "node"
        name = Column(String(10), primary_key=True)
        parent_name = Column(ForeignKey("node.name"))
        children = relationship("Node", passive_updates=False, backref="parent")

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(Node(name="r", children=[Node(name="a", children=[Node(name="b")]), Node(name="c")]))
        s.commit()
        s.expunge_all()
        s.get(Node, "a").name = "A"  # its child is not loaded
        s.commit()
        s.expunge_all()
        s.get(Node, "r").name = "R"
        s.commit()
        assert table_rows(s, Node.__table__) == [
            ("A", "R"), ("R", None), ("b", "A"), ("c", "R")]


# --- one-to-one ---------------------------------------------------------------------------


def test_one_to_one_replacement_with_unique_key(engine: Any) -> None:
    """A replaced one-to-one child lets go of the unique foreign key before its replacement
    takes it: nulled (plain) or deleted (delete-orphan), in the same flush."""
    Base = declarative_base()

    class Person(Base):
        __tablename__ = "person"
        id = Column(Integer, primary_key=True)
        passport = relationship("Passport", uselist=False, back_populates="owner")
        profile = relationship("Profile", uselist=False, cascade="all, delete-orphan",
                               backref=backref("person", uselist=False))

    class Passport(Base):
        __tablename__ = "passport"
        id = Column(Integer, primary_key=True)
        owner_id = Column(ForeignKey("person.id"), unique=True)
        owner = relationship("Person", back_populates="passport")

    class Profile(Base):
        __tablename__ = "profile"
        id = Column(Integer, primary_key=True)
        person_id = Column(ForeignKey("person.id"), unique=True)

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        p = Person(id=1, passport=Passport(id=1), profile=Profile(id=1))
        s.add(p)
        s.commit()
        old_passport, old_profile = p.passport, p.profile
        p.passport = Passport(id=2)
        p.profile = Profile(id=2)
        assert old_passport.owner is None and p.passport.owner is p
        s.commit()
        assert table_rows(s, Passport.__table__) == [(1, None), (2, 1)]
        assert table_rows(s, Profile.__table__) == [(2, 1)]
        assert old_profile not in s and p.profile.person is p
        p.profile = None
        s.commit()
        assert table_rows(s, Profile.__table__) == []


# --- adjacency list -------------------------------------------------------------------------


def test_deep_tree_in_one_flush_batched_per_level(engine: Any) -> None:
    Base = declarative_base()

    class Node(Base):
        __tablename__ = "node"
        id = Column(Integer, primary_key=True)
        parent_id = Column(ForeignKey("node.id"))
        name = Column(String(20))
        children = relationship("Node", backref=backref("parent", remote_side=[id]),
                                cascade="all, delete-orphan")

    Base.metadata.create_all(engine)
    depth, fanout = 8, 3
    with Session(engine) as s:
        root = Node(name="r")
        level = [root]
        for _level in range(1, depth):
            level = [Node(name=f"{n.name}.{i}", parent=n) for n in level[:4] for i in range(fanout)]
        s.add(root)
        with writes() as log:
            s.commit()
        # one batched INSERT per tree level, not one per row
        assert len(log.on("node", "INSERT")) == depth
        rows = s.execute(select(Node.__table__.c.name, Node.__table__.c.parent_id)).all()
        by_id = {n.id: n.name for n in s.scalars(select(Node))}
        assert all(name.rsplit(".", 1)[0] == by_id[pid] for name, pid in rows if pid is not None)
        leaf = s.scalars(select(Node).where(Node.name == level[0].name)).one()
        chain = []
        while leaf is not None:
            chain.append(leaf.name)
            leaf = leaf.parent
        assert len(chain) == depth and chain[-1] == "r"
        s.delete(root)
        s.commit()
        assert table_rows(s, Node.__table__) == []
