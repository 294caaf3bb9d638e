# conformance: ORM column defaults (value, callable, server_default fetched on access), onupdate at flush, and string expressions in relationship() arguments
# requires: issue-3, issue-4
import os

from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, create_engine, select, text
from sqlalchemy.orm import Session, declarative_base, relationship

Base = declarative_base()
serial = iter(range(1000, 2000))


class Board(Base):
    __tablename__ = "boards"
    id = Column(Integer, primary_key=True)
    title = Column(String(20), default="untitled")
    code = Column(Integer, default=lambda: next(serial))
    state = Column(String(10), server_default=text("'open'"))
    revision = Column(Integer, default=1, onupdate=lambda: next(serial))
    cards = relationship("Card", order_by="desc(Card.rank)", back_populates="board")
    active_cards = relationship(
        "Card",
        primaryjoin="and_(Board.id == Card.board_id, Card.archived == False)",
        order_by="Card.rank",
        viewonly=True,
    )


class Card(Base):
    __tablename__ = "cards"
    id = Column(Integer, primary_key=True)
    rank = Column(Integer)
    archived = Column(Boolean, default=False)
    board_id = Column(Integer, ForeignKey("boards.id"))
    board = relationship("Board", back_populates="cards")


engine = create_engine(os.environ["CONFORMANCE_DB_URL"])
Base.metadata.create_all(engine)

with Session(engine) as session:
    board = Board()
    print("defaults are applied at flush, not at construction:", board.title, board.code)
    session.add(board)
    session.flush()
    print("after flush:", board.title, board.code, board.revision)
    print("server default loaded on access:", board.state)
    board.cards = [Card(rank=r, archived=(r == 2)) for r in (1, 2, 3)]
    session.commit()
    board.title = "renamed"
    session.commit()
    print("onupdate:", board.revision)
    print("order_by string with desc():", [c.rank for c in board.cards])
    print("primaryjoin string with and_():", [c.rank for c in board.active_cards])
    print(tuple(session.execute(select(Board.title, Board.code, Board.state, Board.revision)).one()))
