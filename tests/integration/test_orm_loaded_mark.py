"""Loaded objects carry their session's shared mark of their mapper instead of a state of
their own until something needs the state, on SQLite and PostgreSQL. Every lifecycle edge
must behave as with a state made on load: changes, detaching by close/expunge, adding to
another session, expiry, refresh, delete, merge, the identity map, composite keys and
``Session.get``."""

from __future__ import annotations

from typing import Any

import pytest

from tether import Column, ForeignKey, Integer, String, inspect, select, text
from tether.exc import IntegrityError
from tether.orm import (
    Session,
    declarative_base,
    defer,
    deferred,
    load_only,
    object_session,
    relationship,
    undefer,
)
from tether.orm.attributes import get_history
from tether.orm.exc import DetachedInstanceError
from tether.orm.state import (
    DETACHED_CLOSED,
    DETACHED_EXPUNGED,
    STATE_KEY,
    InstanceState,
    LoadedMark,
)

Base = declarative_base()


class Box(Base):
    __tablename__ = "mark_boxes"
    id = Column(Integer, primary_key=True)
    name = Column(String(30), nullable=True)
    items = relationship("Item", back_populates="box", cascade="all, delete-orphan")


class Item(Base):
    __tablename__ = "mark_items"
    id = Column(Integer, primary_key=True)
    box_id = Column(Integer, ForeignKey("mark_boxes.id"))
    label = Column(String(30))
    box = relationship("Box", back_populates="items")


class Cell(Base):
    __tablename__ = "mark_cells"
    row = Column(Integer, primary_key=True)
    col = Column(String(5), primary_key=True)
    value = Column(String(30), nullable=True)


@pytest.fixture
def db(engine: Any) -> Any:
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all([Box(id=i, name=None if i == 3 else f"b{i}") for i in range(1, 6)])
        s.flush()
        s.add_all([Item(id=i, box_id=1 + i % 2, label=f"i{i}") for i in range(1, 5)])
        s.add_all([Cell(row=r, col=c, value=f"{r}{c}") for r in range(3) for c in "ab"])
        s.commit()
    return engine


def _marked(obj: Any) -> bool:
    return type(obj.__dict__[STATE_KEY]) is LoadedMark


def _boxes(s: Session) -> list[Any]:
    return s.scalars(select(Box).order_by(Box.id)).all()


def test_loaded_objects_share_one_mark_per_session_and_mapper(db: Any) -> None:
    with Session(db) as s, Session(db) as s2:
        boxes = _boxes(s)
        assert all(_marked(b) for b in boxes)
        assert len({id(b.__dict__[STATE_KEY]) for b in boxes}) == 1
        other = _boxes(s2)
        assert other[0] is not boxes[0]
        assert other[0].__dict__[STATE_KEY] is not boxes[0].__dict__[STATE_KEY]
        assert all(b in s and b not in s2 for b in boxes)
        assert object_session(boxes[0]) is s and len(s.identity_map) == 5
        assert s.get(Box, 2) is boxes[1] and _marked(boxes[1])  # identity hit keeps the mark
        st = inspect(boxes[1])
        assert isinstance(st, InstanceState) and st.persistent and st.session is s
        assert st.identity == (2,) and st.key == (Box, (2,)) and inspect(boxes[1]) is st
        s.close()
        assert all(inspect(b).detached for b in boxes) and boxes[0] not in s
        assert inspect(boxes[0]).detached_reason == DETACHED_CLOSED
        assert object_session(boxes[2]) is None
        assert all(o in s2 for o in other)  # the other session's objects stay


def test_change_after_load_and_after_close(db: Any) -> None:
    with Session(db) as s:
        boxes = _boxes(s)
        boxes[0].name = "changed"
        assert not _marked(boxes[0]) and _marked(boxes[1])
        assert s.dirty == [boxes[0]] or list(s.dirty) == [boxes[0]]
        assert get_history(boxes[0], "name").deleted == ["b1"]
        s.commit()
        assert boxes[0].name == "changed" and boxes[1].name == "b2"
        b4 = s.get(Box, 4)
        s.close()
    b4.name = "detached"  # a detached object can still be written...
    assert inspect(b4).detached and inspect(b4).modified
    with pytest.raises(DetachedInstanceError):
        _ = b4.items  # ...but not load


def test_expunge_one_of_many_and_add_to_another_session(db: Any) -> None:
    with Session(db) as s:
        boxes = _boxes(s)
        s.expunge(boxes[1])
        assert boxes[1] not in s and all(b in s for b in boxes if b is not boxes[1])
        assert inspect(boxes[1]).detached_reason == DETACHED_EXPUNGED
        assert inspect(boxes[0]).persistent and len(s.identity_map) == 4
        with pytest.raises(DetachedInstanceError, match=r"removed from its session \(expunge\)"):
            _ = boxes[1].items
        s.expunge_all()
        assert not any(b in s for b in boxes) and inspect(boxes[2]).detached
        assert inspect(boxes[2]).detached_reason == DETACHED_EXPUNGED
        again = _boxes(s)
        assert again[0] is not boxes[0] and _marked(again[0]) and again[0] in s
    with Session(db) as s1:
        b = s1.get(Box, 5)
        s1.close()
    with Session(db) as s2:
        s2.add(b)
        assert b in s2 and inspect(b).persistent and object_session(b) is s2
        b.name = "moved"
        s2.commit()
    with Session(db) as s3:
        assert s3.get(Box, 5).name == "moved"


def test_expiry_commit_refresh_and_populate_existing(db: Any) -> None:
    with Session(db) as s:
        boxes = _boxes(s)
        s.execute(text("UPDATE mark_boxes SET name = 'w' WHERE id = 5"))
        got = s.scalars(select(Box).where(Box.id == 5)
                        .execution_options(populate_existing=True)).one()
        assert got is boxes[4] and got.name == "w" and _marked(got)
        s.execute(text("UPDATE mark_boxes SET name = 'x' WHERE id = 2"))
        assert boxes[1].name == "b2"
        s.expire_all()
        assert "name" not in boxes[1].__dict__ and boxes[1].name == "x"
        s.execute(text("UPDATE mark_boxes SET name = 'y' WHERE id = 3"))
        s.refresh(boxes[2])
        assert boxes[2].name == "y"
        s.execute(text("UPDATE mark_boxes SET name = 'z' WHERE id = 4"))
        s.expire(boxes[3], ["name"])
        assert boxes[3].name == "z" and boxes[3].id == 4
        s.commit()
        assert inspect(boxes[0]).expired and boxes[0].name == "b1"
        assert inspect(boxes[0]).identity == (1,)
        s.close()
        with pytest.raises(DetachedInstanceError):
            _ = boxes[1].name  # expired by the commit, then closed


def test_delete_merge_and_relationships_of_loaded_objects(db: Any) -> None:
    with Session(db) as s:
        box = s.get(Box, 1)
        assert _marked(box) and [i.id for i in box.items] == [2, 4]
        assert all(_marked(i) for i in box.items)
        s.delete(box)
        s.commit()
        assert s.get(Box, 1) is None and s.get(Item, 2) is None
        b2 = s.get(Box, 2)
        s.close()
    with Session(db) as s:
        b2.name = "merged"
        merged = s.merge(b2)
        assert merged is not b2 and merged.name == "merged" and merged in s
        s.commit()
        item = s.get(Item, 1)
        assert item.box.name == "merged"
        item.box = s.get(Box, 3)
        s.commit()
        assert [i.id for i in s.get(Box, 3).items] == [1]


def test_composite_key_and_identity_map(db: Any) -> None:
    with Session(db) as s:
        cells = s.scalars(select(Cell).order_by(Cell.row, Cell.col)).all()
        assert all(_marked(c) for c in cells) and len(s.identity_map) == 6
        assert s.get(Cell, (1, "b")) is cells[3]
        assert inspect(cells[3]).identity == (1, "b")
        assert inspect(cells[3]).key == (Cell, (1, "b"))
        states = s.identity_map.all_states()
        assert len(states) == 6 and all(isinstance(st, InstanceState) for st in states)
        assert {st.identity for st in states} == {(r, c) for r in range(3) for c in "ab"}
        cells[0].value = "new"
        cells[1].col = "z"  # a key change: the state knows the old identity
        s.commit()
        assert s.get(Cell, (0, "z")).value == "0b" and s.get(Cell, (0, "a")).value == "new"
        assert s.get(Cell, (0, "b")) is None


def test_failed_flush_leaves_loaded_objects_usable(db: Any) -> None:
    with Session(db) as s:
        boxes = _boxes(s)
        boxes[0].name = "ok"
        s.add(Box(id=2, name="duplicate"))
        with pytest.raises(IntegrityError):
            s.flush()
        s.rollback()
        assert boxes[0].name == "b1" and boxes[1].name == "b2"
        assert all(b in s for b in boxes)


def test_deferred_primary_key_gets_a_state_on_load(db: Any) -> None:
    with Session(db) as s:
        boxes = s.scalars(select(Box).options(defer(Box.id)).order_by(Box.id)).all()
        assert "id" not in boxes[0].__dict__
        assert type(boxes[0].__dict__[STATE_KEY]) is InstanceState
        assert inspect(boxes[0]).identity == (1,) and boxes[0].id == 1
        boxes[1].name = "deferred"
        s.commit()
        assert s.get(Box, 2).name == "deferred"


class Note(Base):
    """A mapper whose rows Session.get cannot build with its one-object builder (a
    deferred column): it loads through the general loader."""

    __tablename__ = "mark_notes"
    id = Column(Integer, primary_key=True)
    title = Column(String(30))
    body = deferred(Column(String(30), nullable=True))


def test_get_builds_the_object_a_query_loads(db: Any) -> None:
    with Session(db) as s:
        got = {i: s.get(Box, i) for i in range(1, 6)}
        assert s.get(Box, 99) is None
        assert all(_marked(b) for b in got.values())
        assert len({id(b.__dict__[STATE_KEY]) for b in got.values()}) == 1
        assert got[3].name is None and got[1].name == "b1"
        assert _boxes(s) == [got[i] for i in range(1, 6)]
        assert s.get(Box, 2) is got[2]
        built = {k: v for k, v in got[2].__dict__.items() if k != STATE_KEY}
    with Session(db) as s:
        queried = s.scalars(select(Box).where(Box.id == 2)).one()
        assert {k: v for k, v in queried.__dict__.items() if k != STATE_KEY} == built
    with Session(db) as s:
        first = s.get(Box, 1)
        s.close()
        again = s.get(Box, 1)
        assert again is not first and inspect(first).detached and object_session(again) is s
        assert again.__dict__[STATE_KEY] is not first.__dict__[STATE_KEY]


def test_get_of_composite_key_and_deferred_column(db: Any) -> None:
    with Session(db) as s:
        s.add(Note(id=1, title="t", body="b"))
        s.commit()
    with Session(db) as s:
        cell = s.get(Cell, (2, "a"))
        assert cell.value == "2a" and inspect(cell).identity == (2, "a")
        note = s.get(Note, 1)
        assert note.title == "t" and "body" not in note.__dict__
        assert note.body == "b"
        assert s.get(Note, 2) is None


def test_get_makes_the_mark_a_query_makes(db: Any) -> None:
    # Session.get's one-row loader makes its map's mark inline (tether.orm.loading); a
    # query's loaders make it through loaded_mark. Both must fill every slot alike, and a
    # get after a query (or a query after a get) must share the one mark of the map.
    def slots(mark: Any) -> dict[str, Any]:
        return {name: getattr(mark, name) for name in LoadedMark.__slots__}

    with Session(db) as by_get, Session(db) as by_query:
        got = by_get.get(Box, 2)
        queried = by_query.scalars(select(Box).where(Box.id == 2)).one()
        a, b = got.__dict__[STATE_KEY], queried.__dict__[STATE_KEY]
        assert type(a) is LoadedMark and type(b) is LoadedMark
        sa, sb = slots(a), slots(b)
        assert sa.pop("session") is by_get and sb.pop("session") is by_query
        assert sa == sb
        assert sa["mapper"] is Box.__mapper__ and sa["pk_key"] == "id" and sa["_flags"] == 0
        assert list(sa["pk_keys"]) == ["id"]
        # one mark per map and mapper, whichever loader made it first
        assert by_get.get(Box, 4).__dict__[STATE_KEY] is a
        assert all(o.__dict__[STATE_KEY] is a for o in _boxes(by_get) if _marked(o))
        assert by_query.get(Box, 5).__dict__[STATE_KEY] is b
    with Session(db) as s:
        cell = s.get(Cell, (1, "a"))
        mark = cell.__dict__[STATE_KEY]
        assert type(mark) is LoadedMark and mark.pk_key is None
        assert list(mark.pk_keys) == ["row", "col"]
        assert s.scalars(select(Cell).where(Cell.row == 2)).first().__dict__[STATE_KEY] is mark


def test_each_loaded_key_set_has_its_own_mark(db: Any) -> None:
    # A row of an object already mapped is filled only where it must be; an object that
    # still holds the mark of the loader reading the row needs no test of its keys, so a
    # mark stands for one key set: a narrower load (load_only, a deferred column) gets a
    # mark of its own, and a wider load then fills the missing values.
    with Session(db) as s:
        narrow = s.scalars(select(Box).options(load_only(Box.id)).order_by(Box.id)).all()
        assert all(_marked(b) and "name" not in b.__dict__ for b in narrow)
        narrow_mark = narrow[0].__dict__[STATE_KEY]
        assert all(b.__dict__[STATE_KEY] is narrow_mark for b in narrow)
        wide = _boxes(s)
        assert wide == narrow and wide[0].__dict__["name"] == "b1"
        assert "name" in wide[2].__dict__ and wide[2].name is None
        assert all(b.__dict__[STATE_KEY] is narrow_mark for b in wide)  # a hit keeps it
        s.execute(text("UPDATE mark_boxes SET name = 'u' WHERE id = 1"))
        assert _boxes(s)[0].name == "b1"  # loaded values stay
        assert s.scalars(select(Box).options(load_only(Box.id)).order_by(Box.id)).all() == wide
        # a later object loaded by the full shape holds the other mark
        s.add(Box(id=6, name="b6"))
        s.commit()  # (every object expired: each now has a state)
        assert all(type(b.__dict__[STATE_KEY]) is InstanceState for b in wide)
        assert _boxes(s)[0].name == "u" and not inspect(wide[0]).expired
    with Session(db) as s:
        full = _boxes(s)
        full_mark = full[0].__dict__[STATE_KEY]
        assert len(s.identity_map.marks) == 1 and s.identity_map.marks[Box.__mapper__] is full_mark
        assert s.get(Box, 6).__dict__[STATE_KEY] is full_mark
        narrow = s.scalars(select(Box).options(load_only(Box.id)).order_by(Box.id)).all()
        assert narrow == full and all(b.__dict__[STATE_KEY] is full_mark for b in narrow)
        assert narrow[0].name == "u"
        assert s.scalars(select(Box).options(load_only(Box.id)).where(Box.id > 10)).all() == []
        s.add(Box(id=7, name="b7"))
        s.flush()
        s.expunge(s.get(Box, 7))
        seven = s.scalars(select(Box).options(load_only(Box.id)).where(Box.id == 7)).one()
        assert seven.__dict__[STATE_KEY] is not full_mark and "name" not in seven.__dict__
        assert _boxes(s)[-1] is seven and seven.__dict__["name"] == "b7"
        s.close()
        assert inspect(seven).detached and inspect(full[0]).detached
        assert inspect(seven).detached_reason == DETACHED_CLOSED


def test_a_mark_of_a_deferred_column_shape(db: Any) -> None:
    with Session(db) as s:
        s.add_all([Note(id=i, title=f"t{i}", body=f"b{i}") for i in (1, 2)])
        s.commit()
    with Session(db) as s:
        notes = s.scalars(select(Note).order_by(Note.id)).all()
        assert all(_marked(n) and "body" not in n.__dict__ for n in notes)
        again = s.scalars(select(Note).options(undefer(Note.body)).order_by(Note.id)).all()
        assert again == notes and notes[1].__dict__["body"] == "b2"
        assert notes[0].__dict__[STATE_KEY] is s.identity_map.marks[Note.__mapper__]
    with Session(db) as s:
        full = s.scalars(select(Note).options(undefer(Note.body)).order_by(Note.id)).all()
        plain = s.scalars(select(Note).order_by(Note.id)).all()
        assert plain == full and plain[0].__dict__["body"] == "b1"
        assert full[0].__dict__[STATE_KEY] is not s.identity_map.marks.get(Note.__mapper__)


def test_repeated_rows_of_expired_and_changed_objects(db: Any) -> None:
    with Session(db, autoflush=False) as s:
        boxes = _boxes(s)
        s.execute(text("UPDATE mark_boxes SET name = 'e' WHERE id IN (1, 2, 3)"))
        s.expire(boxes[0])
        s.expire(boxes[1], ["name"])
        boxes[2].name = "local"
        again = _boxes(s)
        assert again == boxes
        assert boxes[0].__dict__["name"] == "e" and not inspect(boxes[0]).expired
        assert boxes[1].__dict__["name"] == "e" and not inspect(boxes[1]).expired
        assert boxes[2].name == "local" and inspect(boxes[2]).modified  # a change stays
        assert boxes[3].name == "b4" and _marked(boxes[3])
        s.execute(text("UPDATE mark_boxes SET name = 'p' WHERE id = 4"))
        got = s.scalars(select(Box).execution_options(populate_existing=True)
                        .order_by(Box.id)).all()
        assert got[3].name == "p" and _marked(got[3])
        assert got[2].name == "e"  # populate_existing: the row wins over the change
