# conformance: tutorial 2 (managing relationships): the players/teams many-to-many as the tutorial means it, keys to both primary keys, tables in schema "example" on PostgreSQL
# requires: issue-2, issue-3, issue-4, issue-5
"""The tutorial's association table points one column at the non-unique players.team_id
(t2_association_nonunique_fk shows what that does).  What it means is an association between
players and teams: one key to each primary key.  Here it is, with the secondary table named by
a string and everything in the schema "example" on PostgreSQL.
"""

import os

from sqlalchemy import Column, ForeignKey, Integer, String, Table, create_engine, func, text
from sqlalchemy.ext.declarative import declarative_base
from sqlalchemy.orm import relationship, sessionmaker

URL = os.environ["CONFORMANCE_DB_URL"]
SCHEMA = "example" if URL.startswith("postgresql") else None
PREFIX = f"{SCHEMA}." if SCHEMA else ""

Base = declarative_base()

association_table = Table(
    "association",
    Base.metadata,
    Column("player_id", Integer, ForeignKey(PREFIX + "sqlalchemy_tutorial_players.id"), primary_key=True),
    Column("team_id", Integer, ForeignKey(PREFIX + "sqlalchemy_tutorial_teams.id"), primary_key=True),
    schema=SCHEMA,
)


class PlayerModel(Base):
    """Data model for players."""

    __tablename__ = "sqlalchemy_tutorial_players"
    __table_args__ = {"schema": SCHEMA}

    id = Column(Integer, primary_key=True, unique=True, nullable=False)
    name = Column(String(100), nullable=False)
    position = Column(String(100), nullable=False)

    # Relationships
    teams = relationship("TeamModel", secondary=PREFIX + "association", backref="player", order_by="TeamModel.name")

    def __repr__(self):
        return "<Player model {}>".format(self.name)


class TeamModel(Base):
    """Data model for people."""

    __tablename__ = "sqlalchemy_tutorial_teams"
    __table_args__ = {"schema": SCHEMA}

    id = Column(Integer, primary_key=True, unique=True, nullable=False)
    name = Column(String(100), nullable=False)
    city = Column(String(100), nullable=False)

    def __repr__(self):
        return "<Team model {}>".format(self.name)


engine = create_engine(URL)
if SCHEMA:
    with engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}"))
Base.metadata.create_all(engine)
session = sessionmaker(bind=engine)()

piggers = TeamModel(name="The Piggers", city="Austin, TX")
hawks = TeamModel(name="Hawks", city="Boise, ID")
joe = PlayerModel(name="Joe McMan", position="Quarterback", teams=[piggers, hawks])
ann = PlayerModel(name="Ann Field", position="Kicker", teams=[piggers])
print("backref in memory:", piggers.player, hawks.player)
session.add_all([joe, ann])
session.commit()

for player in session.query(PlayerModel).order_by(PlayerModel.name):
    print(player, player.teams)
print("players per team:", session.query(TeamModel.name, func.count(PlayerModel.id)).join(TeamModel.player).group_by(TeamModel.name).order_by(TeamModel.name).all())
print("joined through the association:", session.query(PlayerModel.name).join(PlayerModel.teams).filter(TeamModel.city.like("Boise%")).all())
joe.teams.remove(piggers)
session.commit()
print("after leaving:", sorted(p.name for p in piggers.player), session.query(association_table).count())
session.close()
