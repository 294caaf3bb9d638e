# conformance: tutorial 1 (join tables): the Vapor game store with a user_library association object
# requires: issue-3, issue-4, issue-5
"""Users buy games; each purchase is a UserLibrary row with data of its own (hours played).

The tutorial maps user_library as a class with foreign keys to users and games and relationships
to both, each with back_populates to a `user_library` collection on User and Game.
"""

import os

from sqlalchemy import Column, ForeignKey, Integer, String, create_engine, func
from sqlalchemy.ext.declarative import declarative_base
from sqlalchemy.orm import relationship, sessionmaker

Base = declarative_base()


class User(Base):
    __tablename__ = "users"

    id = Column(Integer, primary_key=True)
    username = Column(String(50), nullable=False, unique=True)
    wallet = Column(Integer, nullable=False, default=0)

    user_library = relationship("User_library", back_populates="user")

    def __repr__(self):
        return f"<User {self.username} wallet={self.wallet}>"


class Game(Base):
    __tablename__ = "games"

    id = Column(Integer, primary_key=True)
    title = Column(String(100), nullable=False)
    genre = Column(String(50))
    price = Column(Integer, nullable=False)

    user_library = relationship("User_library", back_populates="game")

    def __repr__(self):
        return f"<Game {self.title} ({self.genre}) ${self.price}>"


class User_library(Base):
    __tablename__ = "user_library"

    id = Column(Integer, primary_key=True)
    user_id = Column(Integer, ForeignKey("users.id"), nullable=False)
    game_id = Column(Integer, ForeignKey("games.id"), nullable=False)
    hours_played = Column(Integer, nullable=False, default=0)

    user = relationship("User", back_populates="user_library")
    game = relationship("Game", back_populates="user_library")

    def __repr__(self):
        return f"<Library {self.user.username} owns {self.game.title}: {self.hours_played}h>"


engine = create_engine(os.environ["CONFORMANCE_DB_URL"])
Base.metadata.create_all(engine)
Session = sessionmaker(bind=engine)
session = Session()

alice = User(username="alice", wallet=100)
bob = User(username="bob", wallet=30)
carol = User(username="carol", wallet=5)
games = {
    "Portal": Game(title="Portal", genre="puzzle", price=10),
    "Hades": Game(title="Hades", genre="roguelike", price=25),
    "Celeste": Game(title="Celeste", genre="platformer", price=20),
    "Tetris": Game(title="Tetris", genre="puzzle", price=5),
}
session.add_all([alice, bob, carol, *games.values()])
session.commit()


def buy(user, title, hours):
    game = session.query(Game).filter_by(title=title).one()
    if user.wallet < game.price:
        print(f"{user.username} cannot afford {title}")
        return
    user.wallet -= game.price
    # The association object links both ends; its two relationships fill both foreign keys.
    session.add(User_library(user=user, game=game, hours_played=hours))


buy(alice, "Portal", 12)
buy(alice, "Hades", 40)
buy(alice, "Celeste", 3)
buy(bob, "Hades", 55)
buy(bob, "Celeste", 1)
buy(bob, "Tetris", 7)
buy(carol, "Tetris", 0)
session.commit()

print("-- libraries (through the association object)")
for user in session.query(User).order_by(User.username):
    owned = sorted((entry.game.title, entry.hours_played) for entry in user.user_library)
    print(user, owned)

print("-- owners per game")
for game in session.query(Game).order_by(Game.title):
    print(game.title, sorted(entry.user.username for entry in game.user_library))

print("-- who owns what (join query)")
rows = (
    session.query(User.username, Game.title, User_library.hours_played)
    .join(User_library, User.id == User_library.user_id)
    .join(Game, Game.id == User_library.game_id)
    .order_by(User.username, Game.title)
    .all()
)
for row in rows:
    print(tuple(row))

print("-- hours per game")
hours = (
    session.query(Game.title, func.sum(User_library.hours_played), func.count(User_library.id))
    .join(Game.user_library)
    .group_by(Game.title)
    .order_by(Game.title)
    .all()
)
for title, total, owners in hours:
    print(title, int(total), owners)

print("-- most played game")
title, total = (
    session.query(Game.title, func.sum(User_library.hours_played).label("total"))
    .join(User_library)
    .group_by(Game.title)
    .order_by(func.sum(User_library.hours_played).desc())
    .first()
)
print(title, int(total))

print("-- library entries of puzzle games")
entries = (
    session.query(User_library)
    .join(User_library.game)
    .filter(Game.genre == "puzzle")
    .order_by(User_library.hours_played)
    .all()
)
print(entries)

print("-- a user sells a game back")
entry = session.query(User_library).join(User).join(Game).filter(
    User.username == "bob", Game.title == "Tetris"
).one()
bob.wallet += entry.game.price
session.delete(entry)
session.commit()
print(bob, sorted(e.game.title for e in bob.user_library))
print("library rows:", session.query(User_library).count())
session.close()
