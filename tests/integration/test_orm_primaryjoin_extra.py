"""A ``primaryjoin`` with a condition beyond the keys (``Card.archived == False``) filters
every way of loading and joining along the relationship."""

from __future__ import annotations

from tether import Boolean, Column, ForeignKey, Integer, String, select
from tether.orm import Session, declarative_base, joinedload, relationship, selectinload


def build():
    Base = declarative_base()

    class Board(Base):
        __tablename__ = "boards"
        id = Column(Integer, primary_key=True)
        title = Column(String(20))
        cards = relationship("Card", back_populates="board", order_by="Card.rank")
        active_cards = relationship(
            "Card", primaryjoin="and_(Board.id == Card.board_id, Card.archived == False)",
            order_by="desc(Card.rank)", viewonly=True)

    class Card(Base):
        __tablename__ = "cards"
        id = Column(Integer, primary_key=True)
        rank = Column(Integer)
        archived = Column(Boolean, default=False)
        board_id = Column(Integer, ForeignKey("boards.id"))
        board = relationship("Board", back_populates="cards")

    return Base, Board, Card


def test_extra_condition_applies_to_every_loader_and_join(engine):
    Base, Board, Card = build()
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all([
            Board(title="a", cards=[Card(rank=1), Card(rank=2, archived=True), Card(rank=3)]),
            Board(title="b", cards=[Card(rank=4, archived=True)]),
        ])
        s.commit()
    with Session(engine) as s:
        a = s.scalars(select(Board).where(Board.title == "a")).one()
        assert [c.rank for c in a.active_cards] == [3, 1]           # lazy
        assert [c.rank for c in a.cards] == [1, 2, 3]
    for option in (selectinload, joinedload):
        with Session(engine) as s:
            boards = s.scalars(select(Board).options(option(Board.active_cards))
                               .order_by(Board.title)).unique().all()
            assert [[c.rank for c in b.active_cards] for b in boards] == [[3, 1], []]
    with Session(engine) as s:
        titles = s.scalars(select(Board.title).join(Board.active_cards)
                           .where(Card.rank > 0).distinct().order_by(Board.title)).all()
        assert titles == ["a"]
        assert s.scalars(select(Board.title).where(Board.active_cards.any())
                         .order_by(Board.title)).all() == ["a"]
        assert s.scalars(select(Board.title).where(Board.cards.any())
                         .order_by(Board.title)).all() == ["a", "b"]
