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


def test_aliased_self_join_and_contains_eager(session: Session) -> None:
    from tether import select
    from tether.orm import aliased, contains_eager

    other = aliased(Player)
    rows = session.execute(
        select(Player.name, other.name)
        .join(other, Player.team_id == other.team_id)
        .where(Player.number < other.number)
        .order_by(Player.name)
    ).all()
    assert [tuple(r) for r in rows] == [("ann", "bo")]
    t = aliased(Team)
    players = session.scalars(
        select(Player).join(t, Player.team).where(t.city == "Boise")
        .options(contains_eager(Player.team.of_type(t)))
    ).all()
    assert [(p.name, p.__dict__["team"].name) for p in players] == [("cy", "blues")]
    teams = session.scalars(
        select(Team).join(Team.players).where(Player.number > 10)
        .options(contains_eager(Team.players)).order_by(Team.name)
    ).unique().all()
    assert [(tm.name, [p.name for p in tm.players]) for tm in teams] == [
        ("blues", ["cy"]), ("reds", ["bo"])]


def test_orm_enabled_dml_and_populate_existing(session: Session) -> None:
    from tether import delete, insert, select, update

    ann = session.scalars(select(Player).where(Player.name == "ann")).one()
    session.execute(update(Player).where(Player.name == "ann").values(number=99))
    assert ann.number == 99
    new = session.scalars(insert(Player).returning(Player),
                          [{"name": "dee", "number": 1, "team_id": 1}]).all()
    assert new[0] in session and new[0].name == "dee"
    gone = session.execute(delete(Player).where(Player.name == "dee")
                           .returning(Player.name)).scalars().all()
    assert gone == ["dee"]
    ann.number = 5
    with session.no_autoflush:
        again = session.scalars(select(Player).where(Player.name == "ann")
                                .execution_options(populate_existing=True)).one()
    assert again is ann and ann.number == 99
