"""Statement counts of every loader option and ``lazy=`` default, on SQLite and PostgreSQL:
joined loading is ONE statement (chained, self-referential, many-to-many, collections under
LIMIT/OFFSET), selectin one more per relationship level and batched for many keys;
detached objects keep what was loaded eagerly; N+1 detection from the session, the engine
and the environment."""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from test_orm_support import count_statements

from tether import (
    Column,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    String,
    Table,
    Text,
    create_engine,
    select,
)
from tether.exc import InvalidRequestError, NPlusOneWarning
from tether.orm import (
    DetachedInstanceError,
    NPlusOneError,
    Session,
    aliased,
    contains_eager,
    declarative_base,
    defer,
    deferred,
    joinedload,
    lazyload,
    load_only,
    noload,
    raiseload,
    relationship,
    selectinload,
    strategies,
    subqueryload,
    undefer,
)

Base = declarative_base()

shelf_tags = Table(
    "c_shelf_tags", Base.metadata,
    Column("shelf_id", ForeignKey("c_shelves.id"), primary_key=True),
    Column("tag_id", ForeignKey("c_tags.id"), primary_key=True),
)


class Shelf(Base):
    __tablename__ = "c_shelves"
    id = Column(Integer, primary_key=True)
    name = Column(String(20))
    note = deferred(Column(Text))
    books = relationship("Volume", back_populates="shelf", order_by="Volume.id")
    tags = relationship("Tag", secondary=shelf_tags, order_by="Tag.id")
    # one relationship per lazy= default, all to the same rows
    b_select = relationship("Volume", lazy="select", viewonly=True, order_by="Volume.id")
    b_selectin = relationship("Volume", lazy="selectin", viewonly=True, order_by="Volume.id")
    b_joined = relationship("Volume", lazy="joined", viewonly=True, order_by="Volume.id")
    b_raise = relationship("Volume", lazy="raise", viewonly=True)
    b_noload = relationship("Volume", lazy="noload", viewonly=True)


class Volume(Base):
    __tablename__ = "c_volumes"
    id = Column(Integer, primary_key=True)
    title = Column(String(20))
    shelf_id = Column(Integer, ForeignKey("c_shelves.id"))
    shelf = relationship("Shelf", back_populates="books")
    pages = relationship("Page", order_by="Page.id")


class Page(Base):
    __tablename__ = "c_pages"
    id = Column(Integer, primary_key=True)
    volume_id = Column(Integer, ForeignKey("c_volumes.id"))


class Tag(Base):
    __tablename__ = "c_tags"
    id = Column(Integer, primary_key=True)
    word = Column(String(20))


class Node(Base):
    __tablename__ = "c_nodes"
    id = Column(Integer, primary_key=True)
    parent_id = Column(Integer, ForeignKey("c_nodes.id"))
    children = relationship("Node", order_by="Node.id")


class Bin(Base):
    __tablename__ = "c_bins"
    a = Column(Integer, primary_key=True)
    b = Column(Integer, primary_key=True)
    items = relationship("BinItem", order_by="BinItem.id")


class BinItem(Base):
    __tablename__ = "c_bin_items"
    id = Column(Integer, primary_key=True)
    bin_a = Column(Integer)
    bin_b = Column(Integer)
    __table_args__ = (ForeignKeyConstraint(["bin_a", "bin_b"], ["c_bins.a", "c_bins.b"]),)


# The lazy= defaults other than the one under test must stay out of the counts.
_DEFAULTS_OFF = [noload(Shelf.b_selectin), noload(Shelf.b_joined)]


@pytest.fixture
def db(engine: Any) -> Any:
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        tags = [Tag(word=w) for w in ("red", "blue")]
        for i in range(4):
            s.add(Shelf(
                id=i + 1, name=f"s{i}", note="long",
                books=[Volume(title=f"s{i}v{j}", pages=[Page() for _ in range(j)])
                       for j in range(i)],
                tags=tags[: i % 3],
            ))
        s.add(Node(id=1, children=[Node(id=2, children=[Node(id=4)]), Node(id=3)]))
        s.commit()
    return engine


def _shape(shelves: list[Any]) -> list[Any]:
    return [(s.name, [(b.title, len(b.pages)) for b in s.books]) for s in shelves]


EXPECTED = [("s0", []), ("s1", [("s1v0", 0)]), ("s2", [("s2v0", 0), ("s2v1", 1)]),
            ("s3", [("s3v0", 0), ("s3v1", 1), ("s3v2", 2)])]


def test_joined_is_one_statement_for_chains(db: Any) -> None:
    with Session(db) as s, count_statements() as log:
        shelves = s.scalars(
            select(Shelf).options(joinedload(Shelf.books).joinedload(Volume.pages),
                                  joinedload(Shelf.tags), *_DEFAULTS_OFF)
            .order_by(Shelf.id)).unique().all()
        assert _shape(shelves) == EXPECTED
        assert [[t.word for t in sh.tags] for sh in shelves] == [
            [], ["red"], ["red", "blue"], []]
    assert log.count == 1
    assert log.statements[0].count("LEFT OUTER JOIN") == 4  # books, pages, assoc, tags
    with Session(db) as s, count_statements() as log:
        volumes = s.query(Volume).options(
            joinedload(Volume.shelf).noload(Shelf.b_selectin),
            joinedload(Volume.shelf).noload(Shelf.b_joined)).order_by(Volume.id).all()
        assert [v.shelf.name for v in volumes] == ["s1", "s2", "s2", "s3", "s3", "s3"]
    assert log.count == 1


def test_joined_self_referential_is_one_statement(db: Any) -> None:
    with Session(db) as s, count_statements() as log:
        root = s.scalars(select(Node).where(Node.id == 1).options(
            joinedload(Node.children).joinedload(Node.children))).unique().one()
        tree = [(c.id, [g.id for g in c.children]) for c in root.children]
    assert tree == [(2, [4]), (3, [])]
    assert log.count == 1


def test_joined_collection_under_limit_offset(db: Any) -> None:
    with Session(db) as s, count_statements() as log:
        shelves = s.scalars(select(Shelf).options(joinedload(Shelf.books), *_DEFAULTS_OFF)
                            .order_by(Shelf.id.desc()).limit(2).offset(1)).unique().all()
        assert [(sh.name, len(sh.books)) for sh in shelves] == [("s2", 2), ("s1", 1)]
    assert log.count == 1
    assert "LIMIT" in log.statements[0] and "JOIN" in log.statements[0]
    with Session(db) as s, count_statements() as log:
        q = s.query(Shelf).options(joinedload(Shelf.books), *_DEFAULTS_OFF).order_by(Shelf.id)
        assert [(sh.name, len(sh.books)) for sh in q[2:4]] == [("s2", 2), ("s3", 3)]
        assert q.first().name == "s0"
        assert [sh.name for sh in q.limit(3).all()] == ["s0", "s1", "s2"]
    assert log.count == 3


def test_selectin_subquery_and_chains(db: Any) -> None:
    for option in (selectinload, subqueryload):
        with Session(db) as s, count_statements() as log:
            shelves = s.scalars(select(Shelf).options(
                option(Shelf.books).selectinload(Volume.pages), *_DEFAULTS_OFF)
                .order_by(Shelf.id)).all()
            assert _shape(shelves) == EXPECTED
        assert log.count == 3  # shelves, books, pages: one per level


def _key_batches(engine: Any) -> int:
    """Statements for between ``_BATCH`` and twice as many integer keys: PostgreSQL binds the key list as one
    array (one statement whatever its length), SQLite a placeholder per key (batches)."""
    return 1 if engine.dialect.name == "postgresql" else 2


def test_selectin_batches_many_keys(engine: Any) -> None:
    Base.metadata.create_all(engine)
    n = strategies._BATCH + 100  # more than _BATCH shelves with books, and without
    with Session(engine) as s:
        s.add_all([Shelf(id=i, name="x", books=[Volume(title=f"v{i}")] if i % 7 else [])
                   for i in range(1, n + 1)])
        s.commit()
    expected = {i: ([f"v{i}"] if i % 7 else []) for i in range(1, n + 1)}
    with Session(engine) as s, count_statements() as log:
        shelves = s.scalars(select(Shelf).options(selectinload(Shelf.books),
                                                  *_DEFAULTS_OFF)).all()
        assert {sh.id: [b.title for b in sh.books] for sh in shelves} == expected
    assert log.count == 1 + _key_batches(engine)  # the shelves, then the keys
    # many-to-one: each volume's shelf, keys taken from the volumes' foreign keys
    with Session(engine) as s, count_statements() as log:
        volumes = s.scalars(select(Volume).options(
            selectinload(Volume.shelf).noload(Shelf.b_selectin),
            selectinload(Volume.shelf).noload(Shelf.b_joined))).all()
        assert sorted((v.title, v.shelf.id) for v in volumes) == sorted(
            (f"v{i}", i) for i in range(1, n + 1) if i % 7)
    assert log.count == 1 + _key_batches(engine)
    # a NULL foreign key loads no shelf and sends no key
    with Session(engine) as s:
        s.add(Volume(id=10_000, title="loose"))
        s.commit()
    with Session(engine) as s, count_statements() as log:
        loose = s.scalars(select(Volume).where(Volume.id == 10_000)
                          .options(selectinload(Volume.shelf))).one()
        assert loose.shelf is None
    assert log.count == 1


def test_selectin_batches_composite_keys(engine: Any) -> None:
    Base.metadata.create_all(engine)
    n = strategies._BATCH + 20
    with Session(engine) as s:
        s.add_all([Bin(a=i % 3, b=i) for i in range(1, n + 1)])
        s.flush()
        s.add_all([BinItem(id=i, bin_a=i % 3, bin_b=i) for i in range(1, n + 1) if i % 5])
        s.commit()
    with Session(engine) as s, count_statements() as log:
        bins = s.scalars(select(Bin).options(selectinload(Bin.items))).all()
        assert {(b.a, b.b): [it.id for it in b.items] for b in bins} == {
            (i % 3, i): ([i] if i % 5 else []) for i in range(1, n + 1)}
    assert log.count == 1 + 2  # a tuple IN has a placeholder per value: batches everywhere


def test_lazy_raise_noload_and_contains_eager(db: Any) -> None:
    with Session(db) as s, count_statements() as log:
        shelves = s.scalars(select(Shelf).options(lazyload(Shelf.books), *_DEFAULTS_OFF)
                            .order_by(Shelf.id)).all()
        assert [len(sh.books) for sh in shelves] == [0, 1, 2, 3]
    assert log.count == 1 + 4  # one SELECT per shelf: the N+1 that eager loading avoids
    with Session(db) as s, count_statements() as log:
        shelf = s.scalars(select(Shelf).where(Shelf.id == 2)
                          .options(raiseload(Shelf.books), *_DEFAULTS_OFF)).one()
        with pytest.raises(InvalidRequestError, match="Shelf.books"):
            _ = shelf.books
        shelf3 = s.scalars(select(Shelf).where(Shelf.id == 3)
                           .options(noload(Shelf.books), *_DEFAULTS_OFF)).one()
        assert shelf3.books == []
    assert log.count == 2
    with Session(db) as s, count_statements() as log:
        shelves = s.scalars(select(Shelf).join(Shelf.books).where(Volume.title.like("%v1"))
                            .options(contains_eager(Shelf.books), *_DEFAULTS_OFF)
                            .order_by(Shelf.id)).unique().all()
        assert [(sh.name, [b.title for b in sh.books]) for sh in shelves] == [
            ("s2", ["s2v1"]), ("s3", ["s3v1"])]
    assert log.count == 1
    with Session(db) as s, count_statements() as log:
        nested = aliased(Volume)
        shelves = s.scalars(select(Shelf).join(Shelf.books.of_type(nested))
                            .where(nested.title == "s3v2")
                            .options(contains_eager(Shelf.books.of_type(nested)),
                                     *_DEFAULTS_OFF)).unique().all()
        assert [[b.title for b in sh.books] for sh in shelves] == [["s3v2"]]
    assert log.count == 1


def test_column_options_counts(db: Any) -> None:
    with Session(db) as s, count_statements() as log:
        shelf = s.scalars(select(Shelf).where(Shelf.id == 1).options(*_DEFAULTS_OFF)).one()
        assert "note" not in shelf.__dict__
        assert shelf.note == "long"
    assert log.count == 2  # the deferred column loads on first access
    with Session(db) as s, count_statements() as log:
        shelf = s.scalars(select(Shelf).where(Shelf.id == 1)
                          .options(undefer(Shelf.note), *_DEFAULTS_OFF)).one()
        assert shelf.note == "long"
        vol = s.scalars(select(Volume).where(Volume.title == "s1v0")
                        .options(load_only(Volume.title))).one()
        assert vol.title == "s1v0" and "shelf_id" not in vol.__dict__
        vol2 = s.scalars(select(Volume).where(Volume.title == "s2v0")
                         .options(defer(Volume.title))).one()
        assert "title" not in vol2.__dict__
    assert log.count == 3
    with Session(db) as s, count_statements() as log:
        assert vol2 is not None and s.get(Volume, vol2.id).title == "s2v0"
    assert log.count == 1  # a new load without the option brings the column


def test_deferred_column_stays_unloaded_until_read(db: Any) -> None:
    # As in SQLAlchemy: expiry, refresh() and get() of an expired object reload the
    # columns that are not deferred; reading a deferred column loads that column alone.
    with Session(db) as s, count_statements() as log:
        shelf = s.get(Shelf, 1)
        assert shelf is not None and "note" not in shelf.__dict__
        s.expire(shelf)
        assert shelf.name == "s0" and "note" not in shelf.__dict__
        s.refresh(shelf)
        assert "note" not in shelf.__dict__
        s.expire(shelf)
        assert shelf.note == "long"
        assert "name" not in shelf.__dict__  # still expired: it loads on its own read
        note_select = log.statements[-1]
        assert "c_shelves.note" in note_select and "c_shelves.name" not in note_select
        assert shelf.name == "s0"
        s.refresh(shelf, ["note"])
        assert shelf.__dict__["note"] == "long"
    assert log.count == 7  # six loads, and get() runs b_selectin's eager SELECT
    with Session(db) as s, count_statements() as log:
        loaded = s.scalars(select(Shelf).order_by(Shelf.id).options(*_DEFAULTS_OFF)).all()
        first = loaded[0]
        first.name = "changed"
        s.scalars(select(Shelf).options(undefer(Shelf.note), *_DEFAULTS_OFF)).all()
        # an object already loaded gets the undeferred column; its own change stays
        assert first.__dict__["note"] == "long" and first.name == "changed"
    assert log.count == 3  # the second SELECT autoflushes the change first


def test_lazy_defaults(db: Any) -> None:
    with Session(db) as s, count_statements() as log:
        shelves = s.scalars(select(Shelf).order_by(Shelf.id)).unique().all()
    # one statement with the lazy="joined" collection, one for lazy="selectin"
    assert log.count == 2
    assert "LEFT OUTER JOIN" in log.statements[0]
    assert [len(sh.b_joined) for sh in shelves] == [0, 1, 2, 3]
    assert [len(sh.b_selectin) for sh in shelves] == [0, 1, 2, 3]
    assert [sh.b_noload for sh in shelves] == [[], [], [], []]
    for sh in shelves:  # detached now: lazy="select" cannot load any more
        with pytest.raises(DetachedInstanceError, match="b_select"):
            _ = sh.b_select
    with Session(db) as s:
        shelf = s.get(Shelf, 2)
        with count_statements() as log:
            assert len(shelf.b_select) == 1
        assert log.count == 1
        with pytest.raises(InvalidRequestError, match="b_raise"):
            _ = shelf.b_raise


def test_detached_objects_keep_eager_values(db: Any) -> None:
    with Session(db) as s:
        shelves = s.scalars(select(Shelf).options(
            selectinload(Shelf.books).joinedload(Volume.pages), *_DEFAULTS_OFF)
            .order_by(Shelf.id)).all()
    assert _shape(shelves) == EXPECTED  # all loaded before the session closed
    with pytest.raises(DetachedInstanceError) as info:
        _ = shelves[1].tags  # never loaded
    message = str(info.value)
    assert "Shelf.tags" in message and "session" in message.lower()
    with pytest.raises(DetachedInstanceError):
        _ = shelves[1].books[0].shelf  # many-to-one not loaded either (shelf not in dict)


def _lazy_loop(session: Session) -> list[str]:
    shelves = session.scalars(select(Shelf).options(*_DEFAULTS_OFF).order_by(Shelf.id)).all()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for sh in shelves:
            _ = sh.books
        for sh in shelves:
            _ = sh.tags
    return [str(w.message) for w in caught if issubclass(w.category, NPlusOneWarning)]


def test_n_plus_one_detection(db: Any, db_url: str, monkeypatch: Any) -> None:
    monkeypatch.delenv("TETHER_NPLUSONE", raising=False)
    with Session(db) as s:
        assert _lazy_loop(s) == []  # off by default
    with Session(db, detect_n_plus_one="warn") as s:
        messages = _lazy_loop(s)
        assert len(messages) == 2  # once per relationship, not once per object
        assert "Shelf.books" in messages[0] and "4 Shelf objects" in messages[0]
        assert "selectinload(Shelf.books)" in messages[0]
        assert "Shelf.tags" in messages[1]
        assert _lazy_loop(s) == []  # each relationship warned about once per session
    flagged = create_engine(db_url, execution_options={"detect_n_plus_one": "raise"})
    try:
        with Session(flagged) as s:
            shelves = s.scalars(select(Shelf).options(*_DEFAULTS_OFF)).all()
            _ = shelves[0].books
            with pytest.raises(NPlusOneError, match="Shelf.books"):
                _ = shelves[1].books
    finally:
        flagged.dispose()
    monkeypatch.setenv("TETHER_NPLUSONE", "warn")
    with Session(db) as s:
        assert len(_lazy_loop(s)) == 2
    with Session(db, detect_n_plus_one="raise") as s:
        eager = s.scalars(select(Shelf).options(selectinload(Shelf.books), *_DEFAULTS_OFF)).all()
        assert sum(len(sh.books) for sh in eager) == 6  # eager loading never trips it


def test_joined_below_selectin_rides_in_the_batch(db: Any) -> None:
    with Session(db) as s, count_statements() as log:
        shelves = s.scalars(select(Shelf).options(
            selectinload(Shelf.books).joinedload(Volume.pages), *_DEFAULTS_OFF)
            .order_by(Shelf.id)).all()
        assert _shape(shelves) == EXPECTED
    assert log.count == 2  # shelves; books joined to their pages
    with Session(db) as s, count_statements() as log:
        root = s.scalars(select(Node).where(Node.id == 1).options(
            selectinload(Node.children).joinedload(Node.children))).one()
        assert [(c.id, [g.id for g in c.children]) for c in root.children] == [(2, [4]), (3, [])]
    assert log.count == 2
    with Session(db) as s, count_statements() as log:
        volumes = s.scalars(select(Volume).options(
            selectinload(Volume.shelf).joinedload(Shelf.tags),
            selectinload(Volume.shelf).noload(Shelf.b_selectin),
            selectinload(Volume.shelf).noload(Shelf.b_joined)).order_by(Volume.id)).all()
        assert [(v.shelf.name, [t.word for t in v.shelf.tags]) for v in volumes][:3] == [
            ("s1", ["red"]), ("s2", ["red", "blue"]), ("s2", ["red", "blue"])]
    assert log.count == 2  # volumes; shelves joined through the association to tags


def test_get_runs_eager_defaults_and_options(db: Any) -> None:
    with Session(db) as s, count_statements() as log:
        shelf = s.get(Shelf, 3)
        assert s.get(Shelf, 3) is shelf  # the identity map: no statement
        assert s.get(Shelf, 99) is None
    assert log.count == 3  # shelf with b_joined in one statement, b_selectin; the miss
    assert "LEFT OUTER JOIN" in log.statements[0]
    assert [v.title for v in shelf.b_joined] == ["s2v0", "s2v1"]  # readable detached
    assert [v.title for v in shelf.b_selectin] == ["s2v0", "s2v1"]
    with Session(db) as s, count_statements() as log:
        volume = s.get(Volume, 3, options=[joinedload(Volume.pages)])
    assert log.count == 1 and len(volume.pages) == 1


def test_scalars_of_a_plain_entity_match_execute(db: Any) -> None:
    """``session.scalars(select(Class))`` of a class with no eager loads hands its objects
    straight to the ScalarResult: the same objects, result methods, autoflush and N+1
    tagging as ``session.execute(...).scalars()``."""
    with Session(db, detect_n_plus_one="warn") as s:
        via_execute = s.execute(select(Volume).order_by(Volume.id)).scalars().all()
        direct = s.scalars(select(Volume).order_by(Volume.id))
        assert direct.all() == via_execute and len(via_execute) == 6
        assert s.scalars(select(Volume).where(Volume.id == -1)).first() is None
        assert s.scalars(select(Tag).where(Tag.word == "red")).one().word == "red"
        assert s.scalars(select(Tag).order_by(Tag.id)).unique().all() == \
            s.execute(select(Tag).order_by(Tag.id)).scalars().unique().all()
        s.add(Tag(word="green"))  # autoflushed before the query, as execute() does
        assert "green" in [t.word for t in s.scalars(select(Tag))]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for v in s.scalars(select(Volume)):
                _ = v.pages
        assert any(issubclass(w.category, NPlusOneWarning) and "Volume.pages" in str(w.message)
                   for w in caught)
        s.rollback()
