"""The generated row loaders (``tether.orm.loading._generate``), on SQLite and PostgreSQL:
an object a loader makes is indistinguishable from one made the general way, whatever
the row shape: one or more key columns, the entity at an offset in a wider row, deferred
columns left out, a NULL key from an outer join, ``Session.get``, selectin children,
attribute keys that are not the column names."""

from __future__ import annotations

import linecache
from typing import Any

import pytest

from tether import Column, ForeignKey, Integer, String, inspect, select
from tether.orm import Session, declarative_base, defer, relationship, selectinload
from tether.orm.loading import _plan, row_loader
from tether.orm.state import (
    NO_CHANGES,
    STATE_KEY,
    InstanceState,
    LoadedMark,
    instance_state,
)

Base = declarative_base()


class Owner(Base):
    __tablename__ = "genload_owners"
    id = Column(Integer, primary_key=True)
    full_name = Column("the name", String(30))  # attribute key differs from the column
    note = Column(String(30), nullable=True)
    pets = relationship("Pet", back_populates="owner", order_by="Pet.id")


class Pet(Base):
    __tablename__ = "genload_pets"
    id = Column(Integer, primary_key=True)
    owner_id = Column(Integer, ForeignKey("genload_owners.id"))
    name = Column(String(30))
    owner = relationship("Owner", back_populates="pets")


class Slot(Base):
    __tablename__ = "genload_slots"
    a = Column(Integer, primary_key=True)
    b = Column(String(10), primary_key=True)
    label = Column(String(30), nullable=True)


@pytest.fixture
def db(engine: Any) -> Any:
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all([Owner(id=i, full_name=f"o{i}", note=None if i % 2 else f"n{i}")
                   for i in range(1, 5)])
        s.flush()
        s.add_all([Pet(id=i, owner_id=1 + i % 3, name=f"p{i}") for i in range(1, 10)])
        s.add_all([Slot(a=i // 3, b=f"k'{i}", label=None if i == 4 else f"s{i}")
                   for i in range(6)])
        s.commit()
    return engine


def _slots(state: InstanceState) -> dict[str, Any]:
    return {name: getattr(state, name) for name in InstanceState.__slots__}


def _assert_like_init(obj: Any, session: Session) -> None:
    """A loaded object holds its session's shared mark of its mapper, and the state made
    from the mark when first needed holds what ``InstanceState.__init__`` would store."""
    mark = obj.__dict__[STATE_KEY]
    if type(mark) is LoadedMark:
        assert mark.session is session and mark.mapper is type(obj).__mapper__
        assert not mark
    state = instance_state(obj)
    assert obj.__dict__[STATE_KEY] is state and instance_state(obj) is state
    made = InstanceState(obj, state.mapper, state.key, session)
    assert _slots(state) == _slots(made)
    assert state.session is session and state.committed is NO_CHANGES
    assert state.persistent and not state.modified and not state.expired


def test_loaded_state_matches_init(db: Any) -> None:
    with Session(db) as s:
        owners = s.scalars(select(Owner).order_by(Owner.id)).all()
        assert [(o.id, o.full_name, o.note) for o in owners][:2] == [(1, "o1", None), (2, "o2", "n2")]
        for o in owners:
            _assert_like_init(o, s)
        assert inspect(owners[0]).identity_key == (Owner, (1,))
        assert s.get(Owner, 1) is owners[0]
        slots = s.scalars(select(Slot).order_by(Slot.a, Slot.b)).all()
        assert [(x.a, x.b, x.label) for x in slots][3:5] == [(1, "k'3", "s3"), (1, "k'4", None)]
        for x in slots:
            _assert_like_init(x, s)
        assert inspect(slots[1]).identity_key == (Slot, (0, "k'1"))
    with Session(db) as s:
        got = s.get(Owner, 3)  # Session.get: the generated create()
        assert (got.id, got.full_name, got.note) == (3, "o3", None)
        _assert_like_init(got, s)
        assert s.get(Slot, (1, "k'5")).label == "s5"
        assert s.get(Owner, 99) is None


def test_offset_rows_outer_join_and_deferred(db: Any) -> None:
    with Session(db) as s:
        s.add(Owner(id=9, full_name="lonely"))
        s.flush()
        rows = s.execute(select(Owner, Pet).outerjoin(Pet, Pet.owner_id == Owner.id)
                         .order_by(Owner.id, Pet.id)).all()
        by_owner: dict[int, list[Any]] = {}
        for owner, pet in rows:
            if owner.id != 9:  # added in this session, not loaded
                _assert_like_init(owner, s)
            by_owner.setdefault(owner.id, []).append(pet)
        assert by_owner[9] == [None]  # NULL key of the outer join: no object
        assert [p.name for p in by_owner[2]] == ["p1", "p4", "p7"]
        assert all(p.owner_id == 2 and instance_state(p).key == (Pet, (p.id,))
                   for p in by_owner[2])
    with Session(db) as s:
        o = s.scalars(select(Owner).options(defer(Owner.note)).where(Owner.id == 2)).one()
        assert "note" not in o.__dict__ and o.full_name == "o2"
        assert o.note == "n2"  # loads on access


def test_selectin_children_and_plan_cache(db: Any) -> None:
    with Session(db) as s:
        owners = s.scalars(select(Owner).options(selectinload(Owner.pets))
                           .order_by(Owner.id)).all()
        assert [[p.id for p in o.pets] for o in owners] == [[3, 6, 9], [1, 4, 7], [2, 5, 8], []]
        for o in owners:
            for p in o.pets:
                _assert_like_init(p, s)
                assert p.owner is o  # many-to-one found in the identity map
    mapper = Owner.__mapper__
    first = _plan(mapper, 0, mapper.deferred_keys)
    assert _plan(mapper, 0, mapper.deferred_keys) is first  # compiled once per shape
    assert _plan(mapper, 3, mapper.deferred_keys)[0] == [
        (k, i + 3) for k, i in first[0]
    ]
    with Session(db) as s:
        load = row_loader(s, mapper)
        with pytest.raises(IndexError) as info:
            load((5,))  # a row too short for the mapper
        where = info.traceback[-1]
        assert "row[" in linecache.getline(str(where.path), where.lineno + 1)


def test_loader_kept_per_session_and_identity_map(db: Any) -> None:
    """A session reuses one loader per shape (every lazy load asks for it); one that
    was cleared (close, expunge_all) gets a new identity map and new loaders, so objects
    loaded afterwards land in the new map, bound to the session."""
    mapper = Pet.__mapper__
    with Session(db) as s:
        load = row_loader(s, mapper)
        assert row_loader(s, mapper) is load
        assert row_loader(s, mapper, populate_existing=True) is not load
        assert row_loader(s, mapper, 2) is not load
        with Session(db) as other:
            assert row_loader(other, mapper) is not load
        owner = s.get(Owner, 2)
        assert [p.id for p in owner.pets] == [1, 4, 7]  # a lazy load
        pet = owner.pets[0]
        pet.name = "changed"
        s.expunge_all()
        assert row_loader(s, mapper) is not load
        owner = s.get(Owner, 2)
        again = owner.pets[0]
        assert again is not pet and again.name == "p1" and again.owner is owner
        assert s.identity_map[(Pet, (1,))] is again
        _assert_like_init(again, s)
        s.close()
        owner = s.get(Owner, 1)
        assert [p.id for p in owner.pets] == [3, 6, 9]
        assert all(p in s and instance_state(p).session is s for p in owner.pets)
        s.expire(owner.pets[0])
        assert s.scalars(select(Pet).where(Pet.id == 3)).one() is owner.pets[0]
        assert owner.pets[0].name == "p3"


def test_row_for_an_object_already_loaded(db: Any) -> None:
    """A row for an object already in the identity map: a fully loaded object keeps its
    values and local changes (the loader skips the fill); a missing key (a deferred
    column the query undefers, an attribute expired alone) or an expired object is
    filled from the row; populate_existing overwrites everything."""
    with Session(db) as s:
        first = s.scalars(select(Owner).order_by(Owner.id)).all()
        one = first[0]
        one.full_name = "local"  # a change, kept by a repeat of the query
        with s.no_autoflush:  # the change stays unflushed: the row does not win
            again = s.scalars(select(Owner).order_by(Owner.id)).all()
        assert again == first and one.full_name == "local" and s.is_modified(one)
        assert type(first[1].__dict__[STATE_KEY]) is LoadedMark  # untouched: still a mark
        s.expire(first[1], ["note"])
        assert "note" not in first[1].__dict__
        assert s.scalars(select(Owner).where(Owner.id == 2)).one() is first[1]
        assert first[1].__dict__["note"] == "n2" and not instance_state(first[1]).expired
        s.expire(first[3])
        assert s.scalars(select(Owner).where(Owner.id == 4)).one() is first[3]
        assert not instance_state(first[3]).expired and first[3].__dict__["note"] == "n4"
        deferred = s.scalars(select(Pet).options(defer(Pet.name)).where(Pet.id == 1)).one()
        assert "name" not in deferred.__dict__
        assert s.scalars(select(Pet).where(Pet.id == 1)).one() is deferred
        assert deferred.__dict__["name"] == "p1"
        one.full_name = "unflushed"
        with s.no_autoflush:  # (the later queries flushed "local")
            refreshed = s.scalars(select(Owner).where(Owner.id == 1)
                                  .execution_options(populate_existing=True)).one()
        assert refreshed is one and one.full_name == "local"


def test_loader_found_by_mapper_follows_a_reconfigured_mapper(engine: Any) -> None:
    """A plain ``select(Class)`` finds its session's loader by mapper alone; once the
    mapper's columns change (``add_property``) the same session gets a loader of the new
    column plan, not the one made before."""
    from tether.orm.mapper import ColumnProperty

    base: Any = declarative_base()

    class Thing(base):  # type: ignore[misc, valid-type]
        __tablename__ = "genload_reconf"
        id = Column(Integer, primary_key=True)
        a = Column(String(10))

    base.metadata.create_all(engine)
    try:
        with Session(engine) as s:
            s.add(Thing(id=1, a="x"))
            s.commit()
            mapper = Thing.__mapper__
            load = row_loader(s, mapper)
            assert row_loader(s, mapper) is load  # found again, by mapper
            assert s.scalars(select(Thing)).one().__dict__["a"] == "x"
            s.expunge_all()
            load = row_loader(s, mapper)
            # column a is now loaded as attribute "a2": a new plan, so a new loader
            mapper.add_property("a2", ColumnProperty("a2", Thing.__table__.c.a))
            assert row_loader(s, mapper) is not load
            d = s.scalars(select(Thing)).one().__dict__
            assert d["a2"] == "x" and "a" not in d
    finally:
        base.metadata.drop_all(engine)
