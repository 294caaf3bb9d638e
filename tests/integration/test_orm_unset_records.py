"""New objects share read-only "had no value" history records (``state.unset_record``):
a backref setting a new member's many-to-one and a flush copying a key into a new row
record NO_VALUE without a dict per object. Every later write gives the object its own
record, and the history APIs, the flush and a failed flush's rollback behave as before.
Checked on both databases.
"""

from __future__ import annotations

from typing import Any

import pytest

from tether import event, exc, inspect
from tether.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    attributes,
    get_history,
    mapped_column,
    relationship,
)
from tether.sql import ForeignKey, select
from tether.sql.types import String


class Base(DeclarativeBase):
    pass


class Owner(Base):
    __tablename__ = "ur_owner"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(20))
    pets: Mapped[list[Pet]] = relationship(back_populates="owner",
                                           cascade="all, delete-orphan")


class Pet(Base):
    __tablename__ = "ur_pet"
    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("ur_owner.id"))
    name: Mapped[str] = mapped_column(String(20), unique=True)
    owner: Mapped[Owner | None] = relationship(back_populates="pets")


@pytest.fixture
def eng(engine: Any) -> Any:
    Base.metadata.create_all(engine)
    return engine


def test_new_members_share_one_record_and_keep_their_history(eng: Any) -> None:
    a, b = Pet(name="a"), Pet(name="b")
    o = Owner(name="o", pets=[a, b])
    ra, rb = inspect(a).committed, inspect(b).committed
    assert ra is rb and type(ra) is not dict  # shared, read-only
    assert get_history(a, "owner").added == [o]
    assert get_history(b, "owner").added == [o]
    # a later write of another attribute gives the object its own record
    a.name = "a2"
    assert type(inspect(a).committed) is dict
    assert inspect(b).committed is rb
    assert get_history(a, "owner").added == [o]
    assert get_history(a, "name").added == ["a2"]
    # flag_modified on a shared record: another shared record, the other object unchanged
    attributes.flag_modified(b, "name")
    assert inspect(b).committed is not rb and type(inspect(b).committed) is not dict
    assert set(inspect(b).committed) == {"owner", "name"}
    assert set(rb) == {"owner"}
    with Session(eng) as s:
        s.add(o)
        s.commit()
        assert [p.owner_id for p in s.scalars(select(Pet).order_by(Pet.name))] == [o.id] * 2
        assert {p.name for p in o.pets} == {"a2", "b"}


def test_flush_key_copy_history_and_a_later_change(eng: Any) -> None:
    seen: list[Any] = []
    o = Owner(name="o", pets=[Pet(name="a"), Pet(name="b")])
    with Session(eng) as s:
        s.add(o)

        @event.listens_for(Pet, "before_insert")
        def before(mapper: Any, conn: Any, target: Any) -> None:
            seen.append((get_history(target, "owner_id").added, type(
                inspect(target).committed) is dict))

        try:
            s.flush()
        finally:
            event.remove(Pet, "before_insert", before)
        assert seen == [([o.id], False), ([o.id], False)]
        # after the flush: no history, and a change is recorded in the object's own dict
        p, q = o.pets
        assert get_history(p, "owner_id").added == ()
        p.owner = None
        assert get_history(p, "owner").deleted == [o]
        assert type(inspect(p).committed) is dict
        o2 = Owner(name="o2")
        q.owner = o2
        s.commit()
        assert s.scalar(select(Pet.owner_id).where(Pet.name == "b")) == o2.id


def test_failed_flush_leaves_db_unchanged_and_session_usable(eng: Any) -> None:
    with Session(eng) as s:
        s.add(Owner(name="first", pets=[Pet(name="dup")]))
        s.commit()
    with Session(eng) as s:
        o = Owner(name="o", pets=[Pet(name="x"), Pet(name="dup")])
        s.add(o)
        with pytest.raises(exc.IntegrityError):
            s.flush()
        s.rollback()
        assert s.scalars(select(Owner.name)).all() == ["first"]
        assert get_history(o.pets[0], "owner").added == ()
        o.pets[1].name = "y"
        s.add(o)
        s.commit()
        names = s.scalars(select(Pet.name).order_by(Pet.name)).all()
        assert names == ["dup", "x", "y"]


def test_constructed_object_state_matches_init(eng: Any) -> None:
    """The constructor fills a new object's state slot by slot (``state.new_state``):
    the same slots as ``InstanceState.__init__`` stores for an object with no identity."""
    from tether.orm.state import InstanceState

    pet = Pet(name="p")
    state = inspect(pet)
    made = InstanceState(pet, Pet.__mapper__)
    assert {n: getattr(state, n) for n in InstanceState.__slots__} == {
        n: getattr(made, n) for n in InstanceState.__slots__}
    assert state.transient and not state.modified
