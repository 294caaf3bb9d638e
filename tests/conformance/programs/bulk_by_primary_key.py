# conformance: bulk UPDATE by primary key (session.execute(update(Cls), [dicts])), the legacy bulk_insert_mappings / bulk_update_mappings / bulk_save_objects, and aliased() entities in the legacy Query
# requires: issue-5
import os

from sqlalchemy import Column, ForeignKey, Integer, String, create_engine, select, update
from sqlalchemy.orm import Session, aliased, declarative_base, relationship

Base = declarative_base()


class Team(Base):
    __tablename__ = "teams"
    id = Column(Integer, primary_key=True)
    name = Column("team_name", String(20))
    rank = Column(Integer, default=9)
    players = relationship("Player", back_populates="team", order_by="Player.id")

    def __repr__(self):
        return f"Team({self.name}, {self.rank})"


class Player(Base):
    __tablename__ = "players"
    id = Column(Integer, primary_key=True)
    team_id = Column(ForeignKey("teams.id"))
    nick = Column(String(20))
    team = relationship("Team", back_populates="players")


def teams(session):
    return session.execute(select(Team.id, Team.name, Team.rank).order_by(Team.id)).all()


engine = create_engine(os.environ["CONFORMANCE_DB_URL"])
Base.metadata.create_all(engine)

with Session(engine) as session:
    # keys made by the database (explicit ones would collide with PostgreSQL's identity)
    session.bulk_insert_mappings(Team, [{"name": "red"}, {"name": "blue"},
                                        {"name": "green", "rank": 1}])
    fresh = [{"name": "gold"}]
    session.bulk_insert_mappings(Team, fresh, return_defaults=True)
    print("returned key:", fresh[0]["id"])
    session.commit()
    print(teams(session))
    red = session.get(Team, 1)
    session.execute(update(Team), [{"id": 1, "name": "crimson"}, {"id": 2, "name": "navy"},
                                   {"id": 3, "rank": 2}])
    print("object sees the update:", red)
    print(teams(session))
    session.bulk_update_mappings(Team, [{"id": 4, "rank": 4, "name": "amber"}])
    print(teams(session))
    players = [Player(team_id=1 + i % 2, nick=f"p{i}") for i in range(1, 5)]
    session.bulk_save_objects(players)
    print("objects stay out of the session:", all(p not in session for p in players))
    session.commit()
    print([(p.nick, p.team.name) for p in session.scalars(select(Player).order_by(Player.id))])
    keeper = session.scalars(select(Player).where(Player.nick == "p1")).one()
    keeper.nick = "captain"
    session.bulk_save_objects([keeper])
    session.expire(keeper)
    print("saved change:", keeper.nick)
    new_one = Player(team_id=2, nick="late")
    session.bulk_save_objects([new_one], return_defaults=True)
    print("new key:", new_one.id is not None)
    session.commit()
    rival = aliased(Team, name="rival")
    print(session.query(rival).filter(rival.id == 2).one())
    print(session.query(rival).filter_by(name="crimson").one().rank)
    print([t.name for t in session.query(rival).order_by(rival.id)])
    try:
        session.execute(update(Team), [{"name": "nobody"}])
    except Exception as error:
        print("no key:", type(error).__name__)
