"""The identity map on SQLite and PostgreSQL: kept per class under the bare identity, it
still answers as a map of identity keys ``(class, pk tuple)`` -- one-column and composite
keys, expunge, delete, rollback, merge, refresh, make_transient, ``inspect().identity_key``,
and one object per row whichever way (get, query, relationship) it is reached."""

from __future__ import annotations

from typing import Any

import pytest

from tether import Column, ForeignKey, ForeignKeyConstraint, Integer, String, inspect, select
from tether.orm import (
    Session,
    declarative_base,
    make_transient,
    make_transient_to_detached,
    relationship,
)

Base = declarative_base()


class Owner(Base):
    __tablename__ = "im_owners"
    id = Column(Integer, primary_key=True)
    name = Column(String(20))
    pets = relationship("Pet", back_populates="owner", order_by="Pet.id")
    slots = relationship("Slot", back_populates="owner", order_by="Slot.b")


class Pet(Base):
    __tablename__ = "im_pets"
    id = Column(Integer, primary_key=True)
    owner_id = Column(Integer, ForeignKey("im_owners.id"))
    owner = relationship("Owner", back_populates="pets")


class Slot(Base):
    __tablename__ = "im_slots"
    a = Column(Integer, primary_key=True)
    b = Column(String(10), primary_key=True)
    owner_id = Column(Integer, ForeignKey("im_owners.id"))
    label = Column(String(20))
    owner = relationship("Owner", back_populates="slots")
    tags = relationship("Tag", back_populates="slot")


class Tag(Base):
    __tablename__ = "im_tags"
    id = Column(Integer, primary_key=True)
    slot_a = Column(Integer)
    slot_b = Column(String(10))
    slot = relationship("Slot", back_populates="tags")
    __table_args__ = (ForeignKeyConstraint(["slot_a", "slot_b"], ["im_slots.a", "im_slots.b"]),)


@pytest.fixture
def db(engine: Any) -> Any:
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        o = Owner(id=1, name="o1")
        s.add_all([o, Pet(id=10, owner=o), Pet(id=11, owner=o),
                   Slot(a=1, b="x", owner=o, label="s1"), Slot(a=1, b="y", label="s2")])
        s.flush()
        s.add(Tag(id=5, slot_a=1, slot_b="x"))
        s.commit()
    return engine


def test_keys_and_mapping_interface(db: Any) -> None:
    with Session(db) as s:
        o = s.get(Owner, 1)
        slot = s.get(Slot, (1, "x"))
        m = s.identity_map
        assert (Owner, (1,)) in m and m[(Owner, (1,))] is o and m.get((Owner, (1,))) is o
        assert m[(Slot, (1, "x"))] is slot and (Slot, (1, "y")) not in m
        assert m.get((Slot, (1, "y"))) is None and m.get((Owner, (2,)), "d") == "d"
        assert (Pet, (10,)) not in m and 1 not in m and (Owner, 1) not in m
        with pytest.raises(KeyError):
            m[(Owner, (2,))]
        assert set(m) == {(Owner, (1,)), (Slot, (1, "x"))} == set(m.keys())
        assert len(m) == 2 and m
        assert {id(v) for v in m.values()} == {id(o), id(slot)}
        assert dict(m.items()) == {(Owner, (1,)): o, (Slot, (1, "x")): slot}
        assert inspect(o).identity_key == (Owner, (1,)) and inspect(o).key == (Owner, (1,))
        assert inspect(slot).identity_key == (Slot, (1, "x"))
        assert inspect(slot).identity == (1, "x") and inspect(o).identity == (1,)


def test_one_object_per_row_every_way(db: Any) -> None:
    with Session(db) as s:
        pets = s.scalars(select(Pet).order_by(Pet.id)).all()
        o = pets[0].owner
        assert o is pets[1].owner is s.get(Owner, 1)
        assert o.pets == pets and s.get(Pet, 11) is pets[1]
        slots = s.scalars(select(Slot).order_by(Slot.b)).all()
        assert o.slots == [slots[0]] and s.get(Slot, (1, "x")) is slots[0]
        tag = s.get(Tag, 5)
        assert tag.slot is slots[0] and slots[0].tags == [tag]
        assert s.scalars(select(Slot).where(Slot.label == "s2")).one() is slots[1]


def test_new_objects_get_identity_on_flush(db: Any) -> None:
    with Session(db) as s:
        p = Pet(owner_id=1)
        t = Slot(a=2, b="z")
        s.add_all([p, t])
        assert inspect(p).identity_key is None and inspect(p).pending
        s.flush()
        assert inspect(p).identity_key == (Pet, (p.id,)) and s.identity_map[(Pet, (p.id,))] is p
        assert inspect(t).identity_key == (Slot, (2, "z")) and s.get(Slot, (2, "z")) is t
        s.rollback()
        assert inspect(p).transient and inspect(t).identity_key is None
        assert (Pet, (p.id,)) not in s.identity_map and (Slot, (2, "z")) not in s.identity_map


def test_expunge_delete_rollback(db: Any) -> None:
    with Session(db) as s:
        o, slot = s.get(Owner, 1), s.get(Slot, (1, "y"))
        s.expunge(o)
        assert (Owner, (1,)) not in s.identity_map and inspect(o).detached
        assert inspect(o).identity_key == (Owner, (1,))
        again = s.get(Owner, 1)
        assert again is not o
        s.delete(slot)
        s.flush()
        assert (Slot, (1, "y")) not in s.identity_map and inspect(slot).deleted
        s.rollback()
        assert s.identity_map[(Slot, (1, "y"))] is slot and inspect(slot).persistent
        assert slot.label == "s2"
        s.expunge_all()
        assert len(s.identity_map) == 0 and not s.identity_map
        assert inspect(again).detached and s.get(Slot, (1, "y")) is not slot


def test_primary_key_change_moves_identity(db: Any) -> None:
    with Session(db) as s:
        pet = s.get(Pet, 11)
        pet.id = 12
        s.flush()
        assert inspect(pet).identity_key == (Pet, (12,))
        assert (Pet, (11,)) not in s.identity_map and s.get(Pet, 12) is pet
        slot = s.get(Slot, (1, "y"))
        slot.b = "w"
        s.flush()
        assert inspect(slot).identity_key == (Slot, (1, "w")) and s.get(Slot, (1, "w")) is slot


def test_merge_refresh_transient(db: Any) -> None:
    with Session(db) as s:
        o = s.get(Owner, 1)
        merged = s.merge(Owner(id=1, name="changed"))
        assert merged is o and o.name == "changed"
        s.refresh(o)
        assert o.name == "o1" and s.identity_map[(Owner, (1,))] is o
        m2 = s.merge(Slot(a=1, b="y", label="m"))
        assert m2 is s.get(Slot, (1, "y")) and m2.label == "m"
        s.expunge(o)
        make_transient(o)
        assert inspect(o).transient and inspect(o).identity_key is None
        make_transient_to_detached(o)
        assert inspect(o).detached and inspect(o).identity_key == (Owner, (1,))
        s.add(o)
        assert s.identity_map[(Owner, (1,))] is o and inspect(o).persistent


def test_identity_map_set_and_pop(db: Any) -> None:
    with Session(db) as s:
        o = s.get(Owner, 1)
        m = s.identity_map
        assert m.pop((Owner, (1,))) is o and m.pop((Owner, (1,)), None) is None
        with pytest.raises(KeyError):
            del m[(Owner, (1,))]
        m[(Owner, (1,))] = o
        assert s.get(Owner, 1) is o
        m.clear()
        assert not m and list(m) == []
