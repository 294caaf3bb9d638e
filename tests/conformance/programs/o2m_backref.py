# conformance: one-to-many with backref="name" and backref(backref(...)) options: order_by, collection_class=set, lazy loading
# requires: issue-3, issue-5
import os

from sqlalchemy import Column, ForeignKey, Integer, String, create_engine
from sqlalchemy.orm import Session, backref, declarative_base, relationship

Base = declarative_base()


class Team(Base):
    __tablename__ = "teams"
    id = Column(Integer, primary_key=True)
    name = Column(String(50))

    def __repr__(self):
        return f"Team({self.name})"


class Player(Base):
    __tablename__ = "players"
    id = Column(Integer, primary_key=True)
    name = Column(String(50))
    number = Column(Integer)
    team_id = Column(Integer, ForeignKey("teams.id"))
    team = relationship(Team, backref=backref("players", order_by=number.desc()))

    def __repr__(self):
        return f"Player({self.name}#{self.number})"


class Fan(Base):
    __tablename__ = "fans"
    id = Column(Integer, primary_key=True)
    name = Column(String(50))
    team_id = Column(Integer, ForeignKey("teams.id"))
    team = relationship("Team", backref=backref("fans", collection_class=set))

    def __repr__(self):
        return f"Fan({self.name})"


class Coach(Base):
    __tablename__ = "coaches"
    id = Column(Integer, primary_key=True)
    name = Column(String(50))
    team_id = Column(Integer, ForeignKey("teams.id"))
    team = relationship("Team", backref="coaches")


engine = create_engine(os.environ["CONFORMANCE_DB_URL"])
Base.metadata.create_all(engine)

with Session(engine) as session:
    reds = Team(name="Reds")
    Player(name="Ann", number=7, team=reds)
    Player(name="Bo", number=23, team=reds)
    reds.players.append(Player(name="Cy", number=11))
    Fan(name="Dee", team=reds)
    reds.fans.add(Fan(name="Eve"))
    Coach(name="Flo", team=reds)
    print("collection types:", isinstance(reds.players, list), isinstance(reds.fans, set), isinstance(reds.coaches, list))
    print("in memory (append order):", reds.players)
    session.add(reds)  # players, fans and the coach come along through the backref collections
    print("pending:", len(session.new))
    session.commit()

with Session(engine) as session:
    reds = session.query(Team).one()
    print("ordered by number desc:", reds.players)
    print("fans (a set):", sorted(f.name for f in reds.fans), isinstance(reds.fans, set))
    print("coach:", [c.name for c in reds.coaches], reds.coaches[0].team is reds)
    print("backref attributes exist:", hasattr(Team, "players"), hasattr(Team, "fans"), hasattr(Team, "coaches"))
    print("filter through a backref:", session.query(Team).filter(Team.players.any(Player.number > 20)).count())
