# conformance: tutorial 2 (managing relationships): the association table whose foreign key points at the non-unique players.team_id
# requires: issue-2, issue-3, issue-4
"""The tutorial's many-to-many "association" table has a column referring to
sqlalchemy_tutorial_players.team_id, which is neither a primary key nor unique.

The mapping itself configures (the relationship joins players.team_id to association.team_id and
teams.id to association.id).  What the database does with the table differs: PostgreSQL refuses
the CREATE TABLE, SQLite (with foreign keys enforced) accepts the DDL and refuses the first write
that touches the table ("foreign key mismatch").  The program prints the exception class names.
"""

import os

from sqlalchemy import Column, ForeignKey, Integer, String, Table, create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.declarative import declarative_base
from sqlalchemy.orm import relationship, sessionmaker

URL = os.environ["CONFORMANCE_DB_URL"]
SCHEMA = "example" if URL.startswith("postgresql") else None
PREFIX = f"{SCHEMA}." if SCHEMA else ""

Base = declarative_base()

association_table = Table(
    "association",
    Base.metadata,
    Column("team_id", Integer, ForeignKey(PREFIX + "sqlalchemy_tutorial_players.team_id")),
    Column("id", Integer, ForeignKey(PREFIX + "sqlalchemy_tutorial_teams.id")),
)


class PlayerModel(Base):
    """Data model for players."""

    __tablename__ = "sqlalchemy_tutorial_players"
    __table_args__ = {"schema": SCHEMA}

    id = Column(Integer, primary_key=True, unique=True, nullable=False)
    team_id = Column(Integer, ForeignKey(PREFIX + "sqlalchemy_tutorial_teams.id"), nullable=False)
    name = Column(String(100), nullable=False)
    position = Column(String(100), nullable=False)

    # Relationships
    teams = relationship("TeamModel", secondary=association_table, backref="player")

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

print("association columns:", [c.name for c in association_table.columns])
print("foreign keys:", sorted(fk.target_fullname for fk in association_table.foreign_keys))

try:
    Base.metadata.create_all(engine)
    print("create_all: ok")
except DBAPIError as exc:
    print("create_all failed:", type(exc).__name__)

with engine.connect() as conn:
    # the database's own catalog says which tables exist
    if SCHEMA:
        names = conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = :s"), {"s": SCHEMA})
    else:
        names = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'"))
    print("tables:", sorted(names.scalars().all()))

session = sessionmaker(bind=engine)()
piggers = TeamModel(name="The Piggers", city="Austin, TX")
session.add(piggers)
try:
    session.commit()
    print("team saved")
except DBAPIError as exc:
    print("saving a team failed:", type(exc).__name__)
    session.rollback()

joe = PlayerModel(name="Joe McMan", position="Quarterback", team_id=1, teams=[piggers])
session.add(joe)
print("in memory:", len(joe.teams), joe.teams[0] is piggers)
try:
    session.commit()
    print("player with teams saved")
except DBAPIError as exc:
    print("saving the association failed:", type(exc).__name__)
    session.rollback()
session.close()
