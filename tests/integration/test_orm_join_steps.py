"""``select(A).join(A.rel)`` reuses one ON clause per configured relationship (built on
first use, see ``comparators.join_path``): repeated statements share it, get the same SQL
and the right rows for their own parameters; aliased joins keep their own adapted clause."""

from __future__ import annotations

from tether import Column, ForeignKey, Integer, String, Table, select
from tether.orm import Session, aliased, declarative_base, relationship


def build():
    Base = declarative_base()
    tagging = Table(
        "js_tagging", Base.metadata,
        Column("card_id", ForeignKey("js_cards.id"), primary_key=True),
        Column("tag_id", ForeignKey("js_tags.id"), primary_key=True))

    class Board(Base):
        __tablename__ = "js_boards"
        id = Column(Integer, primary_key=True)
        title = Column(String(20))
        cards = relationship("Card", back_populates="board")
        big_cards = relationship(
            "Card", primaryjoin="and_(Board.id == Card.board_id, Card.rank > 2)",
            viewonly=True)

    class Card(Base):
        __tablename__ = "js_cards"
        id = Column(Integer, primary_key=True)
        rank = Column(Integer)
        board_id = Column(Integer, ForeignKey("js_boards.id"))
        board = relationship("Board", back_populates="cards")
        tags = relationship("Tag", secondary=tagging)

    class Tag(Base):
        __tablename__ = "js_tags"
        id = Column(Integer, primary_key=True)
        word = Column(String(20))

    return Base, Board, Card, Tag


def seed(engine, Base, Board, Card, Tag):
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        red, blue = Tag(word="red"), Tag(word="blue")
        s.add_all([
            Board(title="a", cards=[Card(rank=1, tags=[red]), Card(rank=3, tags=[red, blue])]),
            Board(title="b", cards=[Card(rank=2, tags=[blue])]),
            Board(title="c"),
        ])
        s.commit()


def test_repeated_joins_share_the_on_clause_and_bind_their_own_values(engine):
    Base, Board, Card, Tag = build()
    seed(engine, Base, Board, Card, Tag)
    stmts = [select(Board).join(Board.cards).where(Card.rank >= n).distinct() for n in (1, 2, 3, 4)]
    assert all(s._joins[0][1] is stmts[0]._joins[0][1] for s in stmts)
    assert len({str(s) for s in stmts}) == 1
    with Session(engine) as s:
        got = [sorted(b.title for b in s.scalars(stmt)) for stmt in stmts]
    assert got == [["a", "b"], ["a", "b"], ["a"], []]


def test_extra_criteria_secondary_and_outer_joins_repeat_correctly(engine):
    Base, Board, Card, Tag = build()
    seed(engine, Base, Board, Card, Tag)
    with Session(engine) as s:
        for _ in range(2):
            assert s.scalars(select(Board.title).join(Board.big_cards)).all() == ["a"]
            words = s.scalars(select(Tag.word).join(Card.tags).where(Card.rank == 3)
                              .order_by(Tag.word)).all()
            assert words == ["blue", "red"]
            rows = s.execute(select(Board.title, Card.rank).outerjoin(Board.cards)
                             .order_by(Board.title, Card.rank)).all()
            assert [tuple(r) for r in rows] == [("a", 1), ("a", 3), ("b", 2), ("c", None)]
            ranks = s.scalars(select(Card.rank).join_from(Board, Board.cards)
                              .where(Board.title == "a").order_by(Card.rank)).all()
            assert ranks == [1, 3]


def test_aliased_join_next_to_the_shared_one_keeps_its_own_clause(engine):
    Base, Board, Card, Tag = build()
    seed(engine, Base, Board, Card, Tag)
    other = aliased(Card)
    stmt = (select(Board.title, Card.rank, other.rank).join(Board.cards)
            .join(Board.cards.of_type(other)).where(Card.rank < other.rank))
    plain = select(Board).join(Board.cards)
    assert stmt._joins[0][1] is plain._joins[0][1]
    assert stmt._joins[1][1] is not plain._joins[0][1]
    with Session(engine) as s:
        assert [tuple(r) for r in s.execute(stmt).all()] == [("a", 1, 3)]


def test_on_clause_shape_kept_only_when_nothing_in_it_depends_on_the_statement(engine):
    """A join's ON clause keeps its cache-key shape when it has no bind parameter and no
    anonymous alias; one with either is walked each time, and every statement still runs
    its own SQL with its own values."""
    from tether import and_

    Base, Board, Card, Tag = build()
    seed(engine, Base, Board, Card, Tag)
    plain_on = Board.id == Card.board_id
    bound_on = and_(Board.id == Card.board_id, Card.rank > 1)
    anon = aliased(Card)
    anon_on = Board.id == anon.board_id
    with Session(engine) as s:
        for _ in range(2):
            assert sorted(s.scalars(select(Card.rank).join(Board, plain_on)
                                    .where(Board.title == "a")).all()) == [1, 3]
            assert sorted(s.scalars(select(Board.title).join(Card, bound_on)).all()) == ["a", "b"]
            assert sorted(s.scalars(select(anon.rank).join(Board, anon_on)
                                    .where(Board.title == "b")).all()) == [2]
        # a second anonymous alias of the same table gets its own name in the same statement
        other = aliased(Card)
        stmt = (select(Board.title, anon.rank, other.rank).join(anon, anon_on)
                .join(other, Board.id == other.board_id).where(anon.rank < other.rank))
        assert [tuple(r) for r in s.execute(stmt).all()] == [("a", 1, 3)]
    assert "_tether_on_shape" in plain_on.__dict__
    assert "_tether_on_shape" not in bound_on.__dict__
    assert "_tether_on_shape" not in anon_on.__dict__
    assert str(select(Card.rank).join(Board, plain_on)) == str(
        select(Card.rank).join(Board, Board.id == Card.board_id))


def test_a_copy_of_an_on_clause_with_other_children_walks_its_own_shape(engine):
    """An ON clause whose shape was kept, copied with other children (the way bound
    values and adapted columns are put into a clause), must not carry the original's
    shape: two statements joining on the original and on the copy run their own SQL."""
    from tether import and_, func
    from tether.sql.visitors import replace

    Base, Board, Card, Tag = build()
    seed(engine, Base, Board, Card, Tag)
    card_table = Card.__table__
    anon = aliased(Card)
    on = Board.id == Card.board_id
    on_fn = and_(Board.id == Card.board_id, func.abs(Card.rank) == func.abs(Card.rank))
    with Session(engine) as s:
        for _ in range(2):
            assert sorted(s.scalars(select(Board.title).join(Card, on)).all()) == ["a", "a", "b"]
            assert sorted(s.scalars(select(Board.title).join(Card, on_fn)).all()) == [
                "a", "a", "b"]
        assert "_tether_on_shape" in on.__dict__ and "_tether_on_shape" in on_fn.__dict__

        def to_anon(element):
            if getattr(element, "table", None) is card_table:
                return getattr(anon, element.key).expression
            return None

        for original in (on, on_fn):
            copied = replace(original, to_anon)
            assert copied is not original and "_tether_on_shape" not in copied.__dict__
            stmt = select(Board.title, anon.rank).join(anon, copied).where(anon.rank > 1)
            assert sorted(tuple(r) for r in s.execute(stmt).all()) == [("a", 3), ("b", 2)]
            assert str(stmt.compile(engine)).count("js_cards AS") == 1
