"""The basic legacy Query on SQLite and PostgreSQL: filter/filter_by/join/order_by/limit,
one/first/scalar/count, slicing, with_entities, bulk update/delete keeping the session in
step, and scoped_session.query_property()."""

from __future__ import annotations

from typing import Any

import pytest

from tether import Column, ForeignKey, Integer, String, func
from tether.exc import MultipleResultsFound, NoResultFound
from tether.orm import Session, declarative_base, relationship, scoped_session, sessionmaker

Base = declarative_base()


class Team(Base):
    __tablename__ = "q_teams"
    id = Column(Integer, primary_key=True)
    name = Column(String(20))
    city = Column(String(20))
    players = relationship("Player", backref="team", order_by="Player.number")


class Player(Base):
    __tablename__ = "q_players"
    id = Column(Integer, primary_key=True)
    name = Column(String(20))
    number = Column(Integer)
    team_id = Column(Integer, ForeignKey("q_teams.id"))


@pytest.fixture
def session(engine: Any) -> Any:
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all([
            Team(name="reds", city="Austin", players=[Player(name="ann", number=7),
                                                      Player(name="bo", number=23)]),
            Team(name="blues", city="Boise", players=[Player(name="cy", number=11)]),
        ])
        s.commit()
        yield s


def test_filters_joins_and_terminals(session: Session) -> None:
    q = session.query(Player)
    assert [p.name for p in q.order_by(Player.name)] == ["ann", "bo", "cy"]
    assert q.filter(Player.number > 10).count() == 2
    assert q.filter_by(name="cy").one().team.name == "blues"
    joined = q.join(Player.team).filter_by(city="Austin").order_by(Player.number).all()
    assert [p.name for p in joined] == ["ann", "bo"]
    assert [p.name for p in q.join(Team, Player.team_id == Team.id)
            .filter(Team.name == "blues")] == ["cy"]
    rows = session.query(Player.name, Team.name).join(Player.team).order_by(Player.name).all()
    assert [tuple(r) for r in rows] == [("ann", "reds"), ("bo", "reds"), ("cy", "blues")]
    assert session.query(func.max(Player.number)).scalar() == 23
    assert q.order_by(Player.number).first().name == "ann"
    assert [p.name for p in q.order_by(Player.number)[1:3]] == ["cy", "bo"]
    assert q.filter(Player.name == "zed").one_or_none() is None
    with pytest.raises(NoResultFound):
        q.filter(Player.name == "zed").one()
    with pytest.raises(MultipleResultsFound):
        q.one()
    assert q.filter_by(name="ann").with_entities(Player.number).scalar() == 7
    assert session.query(q.filter(Player.name == "ann").exists()).scalar() is True
    assert session.query(Team).get(1).name == "reds"


def test_bulk_update_and_delete_keep_session_in_step(session: Session) -> None:
    ann = session.query(Player).filter_by(name="ann").one()
    assert session.query(Player).filter(Player.number < 20).update(
        {Player.number: Player.number + 100}) == 2
    assert ann.number == 107
    assert session.query(Player).filter(Player.number > 100).delete() == 2
    assert ann not in session
    session.commit()
    assert [p.name for p in session.query(Player)] == ["bo"]


def test_query_property_on_scoped_session(engine: Any) -> None:
    Base.metadata.create_all(engine)
    db = scoped_session(sessionmaker(bind=engine))
    Team.query = db.query_property()
    try:
        db.add(Team(name="x", city="y"))
        db.commit()
        assert [t.name for t in Team.query.all()] == ["x"]
    finally:
        del Team.query
        db.remove()
