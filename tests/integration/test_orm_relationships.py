"""One-to-many and many-to-one relationships on SQLite and PostgreSQL: the tutorials'
examples, two-way sync and keys at flush, lazy loading, order_by, foreign_keys, set
collections, viewonly, cascades of the default kind, self-reference ordered row by row,
post_update and the circular-dependency error, and batched statements."""

from __future__ import annotations

from typing import Any

import pytest
from test_orm_support import count_statements

from tether import Column, DateTime, ForeignKey, Integer, String, Text, select
from tether.exc import CircularDependencyError, IntegrityError
from tether.orm import Session, backref, declarative_base, relationship


# --- the first tutorial: players and teams in the `example` schema --------------------------
def _player_models(schema: str | None) -> tuple[Any, Any, Any]:
    Base = declarative_base()
    prefix = f"{schema}." if schema else ""

    class PlayerModel(Base):
        __tablename__ = "sqlalchemy_tutorial_players"
        __table_args__ = {"schema": schema} if schema else {}
        id = Column(Integer, primary_key=True, autoincrement="auto")
        team_id = Column(Integer, ForeignKey(f"{prefix}sqlalchemy_tutorial_teams.id"), nullable=False)
        name = Column(String(100), nullable=False)
        position = Column(String(100), nullable=False)
        team = relationship("TeamModel", backref="player")

        def __repr__(self) -> str:
            return f"<Player {self.name}>"

    class TeamModel(Base):
        __tablename__ = "sqlalchemy_tutorial_teams"
        __table_args__ = {"schema": schema} if schema else {}
        id = Column(Integer, primary_key=True, autoincrement="auto")
        name = Column(String(100), nullable=False)
        city = Column(String(100), nullable=False)

        def __repr__(self) -> str:
            return f"<Team {self.name}>"

    return Base, PlayerModel, TeamModel


def test_players_and_teams_tutorial(engine: Any) -> None:
    schema = "example" if engine.dialect.supports_schemas else None
    if schema:
        from tether import text

        with engine.begin() as conn:
            conn.execute(text("CREATE SCHEMA IF NOT EXISTS example"))
    Base, PlayerModel, TeamModel = _player_models(schema)
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        knicks = TeamModel(name="Knicks", city="New York")
        session.add_all([
            PlayerModel(name="Julius", position="PF", team=knicks),
            PlayerModel(name="Jalen", position="PG", team=knicks),
        ])
        session.commit()
        records = session.execute(
            select(PlayerModel).join(TeamModel, PlayerModel.team_id == TeamModel.id)
            .order_by(PlayerModel.id)
        ).scalars().all()
        assert [(p.name, p.team.name) for p in records] == [("Julius", "Knicks"), ("Jalen", "Knicks")]
        assert [p.name for p in knicks.player] == ["Julius", "Jalen"]
        assert records[0].team is knicks


# --- the third tutorial: users and blog posts, and the foreign-key violation -------------
BlogBase = declarative_base()


class BlogUser(BlogBase):
    __tablename__ = "user"
    id = Column(Integer, primary_key=True)
    username = Column(String(50))
    email = Column(String(100))
    blog_posts = relationship("UserBlogPost", backref="user")


class UserBlogPost(BlogBase):
    __tablename__ = "user_blog_post"
    id = Column(Integer, primary_key=True)
    title = Column(String(100))
    body = Column(Text)
    user_id = Column(Integer, ForeignKey("user.id"))


def test_blog_posts_tutorial_and_foreign_key_violation(engine: Any) -> None:
    BlogBase.metadata.create_all(engine)
    with Session(engine) as session:
        ann = BlogUser(username="ann", email="ann@x")
        ann.blog_posts.append(UserBlogPost(title="ML", body="machine learning is fun"))
        session.add(ann)
        session.commit()
        post = session.scalars(select(UserBlogPost)).one()
        assert post.user is ann
        emails = session.scalars(
            select(BlogUser.email).join(BlogUser.blog_posts)
            .where(UserBlogPost.body.like("%machine learning%"))
        ).all()
        assert emails == ["ann@x"]
        session.add(UserBlogPost(title="orphan", body="x", user_id=999))
        with pytest.raises(IntegrityError):
            session.commit()
        session.rollback()
        assert session.scalars(select(UserBlogPost.title)).all() == ["ML"]
        session.add(UserBlogPost(title="second", body="y", user=ann))
        session.commit()
        assert sorted(p.title for p in ann.blog_posts) == ["ML", "second"]


# --- a richer model --------------------------------------------------------------------------
Base = declarative_base()


class Author(Base):
    __tablename__ = "authors"
    id = Column(Integer, primary_key=True)
    name = Column(String(50))
    books = relationship(
        "Book", back_populates="author", order_by="Book.title", foreign_keys="Book.author_id"
    )
    book_set = relationship(
        "Book", collection_class=set, viewonly=True, foreign_keys="[Book.author_id]"
    )


class Book(Base):
    __tablename__ = "books"
    id = Column(Integer, primary_key=True)
    title = Column(String(50))
    author_id = Column(Integer, ForeignKey("authors.id"))
    reviewer_id = Column(Integer, ForeignKey("authors.id"))
    author = relationship("Author", back_populates="books", foreign_keys=[author_id])
    reviewer = relationship("Author", foreign_keys=[reviewer_id], backref="reviewed")


class Node(Base):
    __tablename__ = "nodes"
    id = Column(Integer, primary_key=True)
    name = Column(String(20))
    parent_id = Column(Integer, ForeignKey("nodes.id"))
    children = relationship("Node", backref=backref("parent", remote_side=[id]), order_by="Node.id")


class Person(Base):
    __tablename__ = "people"
    id = Column(Integer, primary_key=True)
    name = Column(String(20))
    best_friend_id = Column(Integer, ForeignKey("pets.id"))
    best_friend = relationship("Pet", foreign_keys=[best_friend_id], post_update=True)
    pets = relationship("Pet", foreign_keys="Pet.owner_id", back_populates="owner")


class Pet(Base):
    __tablename__ = "pets"
    id = Column(Integer, primary_key=True)
    name = Column(String(20))
    owner_id = Column(Integer, ForeignKey("people.id"))
    owner = relationship("Person", foreign_keys=[owner_id], back_populates="pets")


@pytest.fixture
def db(engine: Any) -> Any:
    Base.metadata.create_all(engine)
    return engine


def _rows(session: Session, stmt: Any) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in session.execute(stmt).all()]


def test_keys_filled_at_flush_and_lazy_loading_ordered(db: Any) -> None:
    with Session(db) as s:
        a = Author(name="Le Guin")
        b1, b2 = Book(title="Dispossessed"), Book(title="A Wizard")
        a.books.append(b1)
        b2.author = a
        assert b1.author_id is None
        s.add(a)  # cascades to both books
        assert b2 in s
        s.flush()
        assert b1.author_id == a.id == b2.author_id
        s.commit()
        with count_statements() as log:
            titles = [b.title for b in a.books]
        assert titles == ["A Wizard", "Dispossessed"]
        assert len(log.of_kind("SELECT")) == 2  # the expired author, then the books
        assert a.book_set == set(a.books)
        with count_statements() as log:
            assert all(b.author is a for b in a.books)
        assert log.count == 0  # many-to-one found in the identity map


def test_move_remove_and_none_null_keys(db: Any) -> None:
    with Session(db) as s:
        x, y = Author(name="x"), Author(name="y")
        b = Book(title="b", author=x)
        c = Book(title="c", author=x)
        s.add_all([x, y])
        s.commit()
        y.books.append(b)
        assert b.author is y and b not in x.books
        s.commit()
        assert _rows(s, select(Book.title, Book.author_id).order_by(Book.title)) == [
            ("b", y.id), ("c", x.id)
        ]
        x.books.remove(c)
        s.commit()
        assert s.get(Book, c.id).author_id is None
        b.author = None
        s.commit()
        assert _rows(s, select(Book.title, Book.author_id).order_by(Book.title)) == [
            ("b", None), ("c", None)
        ]


def test_deleting_parent_nulls_children(db: Any) -> None:
    with Session(db) as s:
        a = Author(name="a", books=[Book(title="1"), Book(title="2")])
        s.add(a)
        s.commit()
        s.delete(a)
        s.commit()
        assert _rows(s, select(Book.title, Book.author_id).order_by(Book.title)) == [
            ("1", None), ("2", None)
        ]


def test_two_foreign_keys_to_one_table(db: Any) -> None:
    with Session(db) as s:
        a, r = Author(name="writer"), Author(name="critic")
        book = Book(title="t", author=a, reviewer=r)
        s.add(book)
        s.commit()
        assert (book.author_id, book.reviewer_id) == (a.id, r.id)
        assert r.reviewed == [book] and a.reviewed == []


def test_self_referential_rows_ordered_by_level(db: Any) -> None:
    with Session(db) as s:
        root = Node(name="root")
        for i in range(3):
            child = Node(name=f"c{i}", parent=root)
            for j in range(2):
                Node(name=f"c{i}g{j}", parent=child)
        s.add(root)
        with count_statements() as log:
            s.flush()
        inserts = log.of_kind("INSERT")
        # one statement per level: root, its children, their children
        assert len(inserts) == 3
        s.commit()
        tree = _rows(s, select(Node.name, Node.parent_id).order_by(Node.id))
        ids = dict(_rows(s, select(Node.name, Node.id)))
        assert all(parent is None or parent in ids.values() for _, parent in tree)
        assert len(tree) == 10
        c0 = s.scalars(select(Node).where(Node.name == "c0")).one()
        assert c0.parent.name == "root"
        assert [n.name for n in c0.children] == ["c0g0", "c0g1"]
        # deleting a subtree: children before parents
        for g in list(c0.children):
            s.delete(g)
        s.delete(c0)
        s.commit()
        assert s.scalar(select(Node.id).where(Node.name == "c0")) is None


def test_post_update_rows_pointing_at_each_other(db: Any) -> None:
    with Session(db) as s:
        p = Person(name="ann")
        rex = Pet(name="rex", owner=p)
        p.best_friend = rex
        s.add(p)
        with count_statements() as log:
            s.commit()
        assert len(log.of_kind("UPDATE")) == 1  # the post_update
        assert p.best_friend_id == rex.id and rex.owner_id == p.id
        s.delete(rex)
        s.delete(p)
        s.commit()
        assert s.scalar(select(Person.id)) is None


def test_circular_dependency_names_relationships_and_suggests_post_update() -> None:
    from tether import create_engine

    B2 = declarative_base()

    class A(B2):
        __tablename__ = "a"
        id = Column(Integer, primary_key=True)
        b_id = Column(Integer, ForeignKey("b.id"))
        b = relationship("B", foreign_keys=[b_id])

    class B(B2):
        __tablename__ = "b"
        id = Column(Integer, primary_key=True)
        a_id = Column(Integer, ForeignKey("a.id"))
        a = relationship("A", foreign_keys=[a_id])

    eng = create_engine("sqlite://")
    B2.metadata.create_all(eng)
    with Session(eng) as s:
        a, b = A(), B()
        a.b = b
        b.a = a
        s.add(a)
        with pytest.raises(CircularDependencyError) as info:
            s.flush()
    msg = str(info.value)
    assert "A.b" in msg and "B.a" in msg and "post_update=True" in msg


def test_batched_inserts_updates_and_deletes(db: Any) -> None:
    with Session(db) as s:
        authors = [Author(name=f"a{i}", books=[Book(title=f"b{i}{j}") for j in range(3)])
                   for i in range(20)]
        s.add_all(authors)
        with count_statements() as log:
            s.flush()
        assert len(log.of_kind("INSERT")) == 2  # one per table
        for a in authors:
            a.name = a.name.upper()
        with count_statements() as log:
            s.flush()
        assert len(log.of_kind("UPDATE")) == 1
        for a in authors:
            for b in a.books:
                s.delete(b)
        with count_statements() as log:
            s.flush()
        assert len(log.of_kind("DELETE")) == 1
        s.commit()
        assert s.scalar(select(Book.id)) is None


def test_relationship_target_forms() -> None:
    B3 = declarative_base()

    class Owner(B3):
        __tablename__ = "owners"
        id = Column(Integer, primary_key=True)

    class Thing(B3):
        __tablename__ = "things"
        id = Column(Integer, primary_key=True)
        owner_id = Column(Integer, ForeignKey("owners.id"))
        o1 = relationship(Owner, viewonly=True)
        o2 = relationship(lambda: Owner, viewonly=True)
        o3 = relationship("Owner", viewonly=True)
        created = Column(DateTime)

    from tether.orm import configure_mappers

    configure_mappers()
    assert Thing.o1.prop.mapper is Thing.o2.prop.mapper is Thing.o3.prop.mapper is Owner.__mapper__


def test_existing_table_set_collection_and_merge_with_children(engine: Any) -> None:
    from tether import MetaData, Table

    md = MetaData()
    groups = Table("groups", md, Column("id", Integer, primary_key=True), Column("name", String(20)))
    B4 = declarative_base(metadata=md)

    class Group(B4):
        __table__ = groups
        members = relationship("Member", collection_class=set, backref="group")

    class Member(B4):
        __tablename__ = "members"
        id = Column(Integer, primary_key=True)
        name = Column(String(20))
        group_id = Column(Integer, ForeignKey("groups.id"))

    md.create_all(engine)
    with Session(engine) as s:
        g = Group(name="g", members={Member(name="a"), Member(name="b")})
        s.add(g)
        s.commit()
        assert {m.name for m in g.members} == {"a", "b"}
        assert isinstance(g.members, set)
        gid = g.id
    detached = Group(id=gid, name="renamed", members={Member(name="c")})
    with Session(engine) as s:
        merged = s.merge(detached)
        assert merged.name == "renamed" and {m.name for m in merged.members} == {"c"}
        s.commit()
        rows = _rows(s, select(Member.name, Member.group_id).order_by(Member.name))
        assert rows == [("a", None), ("b", None), ("c", gid)]


def test_lazy_load_autoflushes_pending_changes(db: Any) -> None:
    with Session(db) as s:
        a = Author(name="a")
        s.add(a)
        s.commit()
        s.add(Book(title="new", author_id=a.id))  # not through the relationship
        with count_statements() as log:
            titles = [b.title for b in a.books]
        assert titles == ["new"]
        assert log.of_kind("INSERT")  # the pending book was flushed before the load


def test_passive_updates_false_carries_a_changed_key_to_unloaded_children(engine: Any) -> None:
    B5 = declarative_base()

    class Account(B5):
        __tablename__ = "accounts"
        code = Column(String(10), primary_key=True)
        entries = relationship("Entry", passive_updates=False, backref="account")

    class Entry(B5):
        __tablename__ = "entries"
        id = Column(Integer, primary_key=True)
        # deferred so the parent's key can change first on both databases
        account_code = Column(String(10), ForeignKey(
            "accounts.code", deferrable=True, initially="DEFERRED"))

    B5.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(Account(code="A", entries=[Entry(), Entry()]))
        s.commit()
    with Session(engine) as s:
        acct = s.get(Account, "A")
        acct.code = "B"  # entries not loaded
        s.commit()
        assert _rows(s, select(Entry.account_code)) == [("B",), ("B",)]


def test_delete_orphan_deletes_removed_children_but_not_moved_ones(engine: Any) -> None:
    B6 = declarative_base()

    class Folder(B6):
        __tablename__ = "folders"
        id = Column(Integer, primary_key=True)
        name = Column(String(10))
        parent_id = Column(Integer, ForeignKey("folders.id"))
        parent = relationship("Folder", remote_side=[id], backref=backref(
            "children", cascade="all, delete-orphan", order_by="Folder.id"))

    B6.metadata.create_all(engine)
    with Session(engine) as s:
        root = Folder(name="root")
        a = Folder(name="a", parent=root)
        b = Folder(name="b", parent=root)
        Folder(name="a1", parent=a)
        s.add(root)
        s.commit()
        b.children.append(a.children[0])  # moved: kept
        s.commit()
        assert _rows(s, select(Folder.name).order_by(Folder.id)) == [
            ("root",), ("a",), ("b",), ("a1",)]
        root.children.remove(a)  # orphaned: deleted
        s.commit()
        assert _rows(s, select(Folder.name).order_by(Folder.id)) == [
            ("root",), ("b",), ("a1",)]
        s.delete(b)  # cascades to a1
        s.commit()
        assert _rows(s, select(Folder.name)) == [("root",)]
