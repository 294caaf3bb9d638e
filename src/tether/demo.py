"""The main job: the game store of the first tutorial, run on the embedded SQLite.

``make demo`` (or ``python -m tether.demo``) builds users, games and a ``user_library``
association object that carries data of its own (hours played, a rating), lets users buy
games, queries across the join, shows the database enforcing the foreign keys, and shows
what tether says about a broken variant of the model. Every line of the model and the
queries is ordinary SQLAlchemy declarative code with ``tether`` in the imports.
"""

from __future__ import annotations

import sys
import textwrap
from decimal import Decimal
from typing import Any

from tether import (
    Column,
    ForeignKey,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
    create_engine,
    desc,
    func,
    select,
)
from tether import exc as tether_exc
from tether.orm import Session, declarative_base, relationship

Base: Any = declarative_base()


class User(Base):
    __tablename__ = "users"

    id = Column(Integer, primary_key=True)
    username = Column(String(50), nullable=False, unique=True)
    user_library = relationship("UserLibrary", back_populates="user")

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class Game(Base):
    __tablename__ = "games"

    id = Column(Integer, primary_key=True)
    title = Column(String(100), nullable=False)
    genre = Column(String(30), nullable=False)
    price = Column(Numeric(6, 2), nullable=False)
    user_library = relationship("UserLibrary", back_populates="game")

    def __repr__(self) -> str:
        return f"<Game {self.title}>"


class UserLibrary(Base):
    """The join table, mapped as a class because it carries data of its own."""

    __tablename__ = "user_library"
    __table_args__ = (UniqueConstraint("user_id", "game_id"),)

    id = Column(Integer, primary_key=True)
    user_id = Column(Integer, ForeignKey("users.id"), nullable=False)
    game_id = Column(Integer, ForeignKey("games.id"), nullable=False)
    hours_played = Column(Integer, nullable=False, default=0)
    rating = Column(Integer)

    user = relationship("User", back_populates="user_library")
    game = relationship("Game", back_populates="user_library")

    def __repr__(self) -> str:
        return f"<UserLibrary {self.user.username} owns {self.game.title}>"


def heading(text: str) -> None:
    print()
    print(text)
    print("-" * len(text))


def table(rows: list[tuple[Any, ...]], headers: tuple[str, ...]) -> None:
    shown = [tuple("" if v is None else str(v) for v in row) for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in shown)) if shown else len(h)
              for i, h in enumerate(headers)]
    print(("  " + "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))).rstrip())
    for row in shown:
        print(("  " + "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True))).rstrip())


def build_store(session: Session) -> None:
    games = {
        "Celeste": Game(title="Celeste", genre="platformer", price=Decimal("19.99")),
        "Hades": Game(title="Hades", genre="roguelike", price=Decimal("24.99")),
        "Stardew Valley": Game(title="Stardew Valley", genre="farming", price=Decimal("14.99")),
        "Factorio": Game(title="Factorio", genre="automation", price=Decimal("35.00")),
    }
    purchases: dict[str, list[tuple[str, int, int | None]]] = {
        "ada": [("Hades", 120, 5), ("Celeste", 35, 4), ("Factorio", 410, 5)],
        "brook": [("Stardew Valley", 260, 5), ("Hades", 15, 3)],
        "cyd": [("Factorio", 95, 4), ("Stardew Valley", 40, None)],
    }
    for username, owned in purchases.items():
        user = User(username=username)
        for title, hours, rating in owned:
            # Building the association object fills both foreign keys and puts the entry
            # into user.user_library and game.user_library (back_populates).
            UserLibrary(user=user, game=games[title], hours_played=hours, rating=rating)
        session.add(user)  # cascades to the library entries and their games
    session.add(games["Celeste"])
    session.commit()


def show_queries(session: Session) -> None:
    heading("Who owns what (users JOIN user_library JOIN games)")
    stmt = (select(User.username, Game.title, UserLibrary.hours_played).select_from(User)
            .join(UserLibrary).join(Game).order_by(User.username, Game.title))
    table([tuple(r) for r in session.execute(stmt)], ("user", "game", "hours"))

    heading("Hours played per game")
    hours = func.sum(UserLibrary.hours_played).label("hours")
    owners = func.count(UserLibrary.user_id).label("owners")
    stmt = (select(Game.title, owners, hours).outerjoin(UserLibrary)
            .group_by(Game.title).order_by(desc(hours), Game.title))
    table([tuple(r) for r in session.execute(stmt)], ("game", "owners", "hours"))

    top = session.execute(stmt.limit(1)).one()
    print(f"\n  Most played game: {top.title} ({top.hours} hours by {top.owners} players)")

    heading("Walking the relationships of one object")
    ada = session.scalars(select(User).where(User.username == "ada")).one()
    for entry in sorted(ada.user_library, key=lambda e: -e.hours_played):
        others = sorted(e.user.username for e in entry.game.user_library if e.user is not ada)
        print(f"  {ada.username} played {entry.game.title} for {entry.hours_played} h; "
              f"also owned by: {', '.join(others) or 'nobody else'}")

    heading("Average rating per genre (NULL ratings left out, as SQL does)")
    avg = func.avg(UserLibrary.rating)
    stmt = select(Game.genre, avg).join(UserLibrary).group_by(Game.genre).order_by(Game.genre)
    table([(g, "-" if a is None else f"{float(a):.2f}") for g, a in session.execute(stmt)],
          ("genre", "avg rating"))


def show_integrity(session: Session) -> None:
    heading("The database enforces the foreign keys")
    session.add(UserLibrary(user_id=999, game_id=1, hours_played=1))
    try:
        session.commit()
    except tether_exc.IntegrityError as err:
        lines = [ln for ln in str(err).splitlines() if not ln.startswith("[")]
        print(f"  IntegrityError: {lines[0]}")
        for line in lines[1:]:
            print(f"    {line}")
        session.rollback()
        count = session.scalar(select(func.count()).select_from(UserLibrary))
        print(f"  after rollback() the session works again; library entries: {count}")


BROKEN_MODEL = '''
class Owner(Base):
    __tablename__ = "owners"
    id = Column(Integer, primary_key=True)
    pets = relationship("Pet", back_populates="owner")

class Pet(Base):
    __tablename__ = "pets"
    id = Column(Integer, primary_key=True)
    owner_id = Column(Integer)                      # no ForeignKey("owners.id")
    owner = relationship("Owner", back_populates="pet")   # and the wrong name
'''


def show_diagnostics() -> None:
    heading("A broken variant of a model, and what tether says about it")
    print(textwrap.indent(BROKEN_MODEL.strip("\n"), "  "))
    from tether.orm import clear_mappers, configure_mappers

    namespace: dict[str, Any] = {"Base": declarative_base(), "Column": Column,
                                 "Integer": Integer, "relationship": relationship}
    exec(compile(BROKEN_MODEL, "broken_models.py", "exec"), namespace)
    try:
        configure_mappers()
    except tether_exc.ArgumentError as err:
        print()
        print(textwrap.indent(str(err), "  "))
    finally:
        clear_mappers_of(namespace["Base"], clear_mappers)


def clear_mappers_of(base: Any, clear_mappers: Any) -> None:
    """Forget the broken classes so that they do not affect the rest of the program."""
    dispose = getattr(getattr(base, "registry", None), "dispose", None)
    if dispose is not None:
        dispose()
    else:  # pragma: no cover - depends on the ORM's registry API
        clear_mappers()


def main(url: str = "sqlite://") -> int:
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    print(f"tether demo: the game store on {engine.url}")
    print("Tables: " + ", ".join(t.name for t in Base.metadata.sorted_tables))
    with Session(engine) as session:
        build_store(session)
        show_queries(session)
        show_integrity(session)
    show_diagnostics()
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
