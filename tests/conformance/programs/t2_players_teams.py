# conformance: tutorial 2 (managing relationships): players and teams, many-to-one with backref, join example
# requires: issue-2, issue-3, issue-5
"""PlayerModel.team is a many-to-one relationship to TeamModel with backref "player".

On PostgreSQL both tables live in the schema "example" (the foreign key names
'example.sqlalchemy_tutorial_teams.id'); on SQLite they live in the main database.
"""

import os

from sqlalchemy import Column, ForeignKey, Integer, String, create_engine, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.declarative import declarative_base
from sqlalchemy.orm import relationship, sessionmaker

URL = os.environ["CONFORMANCE_DB_URL"]
SCHEMA = "example" if URL.startswith("postgresql") else None
PREFIX = f"{SCHEMA}." if SCHEMA else ""

Base = declarative_base()


class PlayerModel(Base):
    """Data model for players."""

    __tablename__ = "sqlalchemy_tutorial_players"
    __table_args__ = {"schema": SCHEMA}

    id = Column(Integer, primary_key=True, nullable=False)
    team_id = Column(Integer, ForeignKey(PREFIX + "sqlalchemy_tutorial_teams.id"), nullable=False)
    name = Column(String(100), nullable=False)
    position = Column(String(100), nullable=False)

    # Relationships
    team = relationship("TeamModel", backref="player")

    def __repr__(self):
        return "<Person model {}>".format(self.name)


class TeamModel(Base):
    """Data model for people."""

    __tablename__ = "sqlalchemy_tutorial_teams"
    __table_args__ = {"schema": SCHEMA}

    id = Column(Integer, primary_key=True, nullable=False)
    name = Column(String(100), nullable=False)
    city = Column(String(100), nullable=False)

    def __repr__(self):
        return "<Team model {}>".format(self.name)


engine = create_engine(URL)
if SCHEMA:
    # SQLAlchemy's create_all does not create a missing schema (tether's does); create it first
    # so that the program means the same thing on both.
    with engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}"))
Base.metadata.create_all(engine)
session = sessionmaker(bind=engine)()

piggers = TeamModel(name="The Piggers", city="Austin, TX")
hawks = TeamModel(name="Hawks", city="Boise, ID")
joe = PlayerModel(name="Joe McMan", position="Quarterback", team=piggers)
session.add(joe)  # the team comes along through the relationship
session.add_all(
    [
        PlayerModel(name="Ann Field", position="Kicker", team=piggers),
        PlayerModel(name="Bo Lee", position="Receiver", team=hawks),
    ]
)
print("backref before flush:", piggers.player)
session.commit()


def join_example():
    records = (
        session.query(PlayerModel)
        .join(TeamModel, TeamModel.id == PlayerModel.team_id)
        .order_by(PlayerModel.name)
        .all()
    )
    for record in records:
        recordObject = {
            "name": record.name,
            "position": record.position,
            "team_name": record.team.name,
            "team_city": record.team.city,
        }
        print(recordObject)


join_example()

print("-- players of a team through the backref")
for team in session.query(TeamModel).order_by(TeamModel.name):
    print(team, sorted(p.name for p in team.player))

print("-- a join using the relationship, filtered on the team")
print(session.query(PlayerModel.name).join(PlayerModel.team).filter(TeamModel.city.like("Austin%")).order_by(PlayerModel.name).all())

print("-- a player moves to another team")
joe.team = hawks
print("in memory:", sorted(p.name for p in hawks.player), sorted(p.name for p in piggers.player))
session.commit()
print("team_id follows:", joe.team_id == hawks.id)

print("-- a player without a team")
try:
    session.add(PlayerModel(name="Nobody", position="Bench"))
    session.commit()
except IntegrityError as exc:
    print(type(exc).__name__)
    session.rollback()
print("players:", session.query(PlayerModel).count())
session.close()
