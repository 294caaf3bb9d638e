"""Selectin loads of one-to-many collections group the children by the key each child's
row has (the key as the database has it), on both databases: one-column and composite
keys, a key column whose attribute key differs from its column name and which is not the
first column, a child whose key was changed and not flushed, joined steps below the
selectin level; and the cyclic GC pause of a big batch ends with the load, even on
error."""

from __future__ import annotations

import gc
from typing import Any

import pytest

from tether import Column, ForeignKey, ForeignKeyConstraint, Integer, String, select
from tether.orm import Session, declarative_base, relationship, selectinload
from tether.orm.strategies import SelectInLoader

Base = declarative_base()


class Shelf(Base):
    __tablename__ = "selgrp_shelves"
    id = Column(Integer, primary_key=True)
    name = Column(String(20))
    books = relationship("Book", order_by="Book.id")


class Book(Base):
    __tablename__ = "selgrp_books"
    id = Column(Integer, primary_key=True)
    title = Column(String(20))
    # not the first column, attribute key differs from the column name
    shelf = Column("shelf_ref", Integer, ForeignKey("selgrp_shelves.id"), nullable=True)
    notes = relationship("Note", order_by="Note.id")


class Note(Base):
    __tablename__ = "selgrp_notes"
    id = Column(Integer, primary_key=True)
    book_id = Column(Integer, ForeignKey("selgrp_books.id"))
    text = Column(String(20))


class Box(Base):
    __tablename__ = "selgrp_boxes"
    a = Column(Integer, primary_key=True)
    b = Column(String(10), primary_key=True)
    items = relationship("Item", order_by="Item.id")


class Item(Base):
    __tablename__ = "selgrp_items"
    id = Column(Integer, primary_key=True)
    label = Column(String(10))
    box_b = Column(String(10), nullable=True)
    box_a = Column(Integer, nullable=True)
    __table_args__ = (ForeignKeyConstraint(["box_a", "box_b"],
                                           ["selgrp_boxes.a", "selgrp_boxes.b"]),)


@pytest.fixture
def db(engine: Any) -> Any:
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all([Shelf(id=i, name=f"s{i}") for i in range(1, 5)])
        s.add_all([Box(a=i // 2, b=f"x{i}") for i in range(4)])
        s.flush()
        s.add_all([Book(id=i, title=f"b{i}", shelf=None if i == 9 else 1 + i % 3)
                   for i in range(1, 10)])
        s.add_all([Item(id=i, label=f"i{i}", box_a=None if i == 7 else (i % 4) // 2,
                        box_b=f"x{i % 4}") for i in range(1, 8)])
        s.flush()
        s.add_all([Note(id=i, book_id=1 + i % 4, text=f"n{i}") for i in range(1, 9)])
        s.commit()
    return engine


def test_one_column_key_grouped_as_the_database_has_it(db: Any) -> None:
    with Session(db, autoflush=False) as s:
        moved = s.get(Book, 1)
        assert moved is not None and moved.shelf == 2
        moved.shelf = 3  # not flushed: the database still has it on shelf 2
        shelves = s.scalars(select(Shelf).options(selectinload(Shelf.books))
                            .order_by(Shelf.id)).all()
        assert [[b.id for b in sh.books] for sh in shelves] == [
            [3, 6], [1, 4, 7], [2, 5, 8], []]
        assert moved in shelves[1].books and moved.shelf == 3


def test_composite_key_grouped_as_the_database_has_it(db: Any) -> None:
    with Session(db, autoflush=False) as s:
        moved = s.get(Item, 1)
        assert moved is not None and (moved.box_a, moved.box_b) == (0, "x1")
        moved.box_a, moved.box_b = 1, "x2"
        boxes = s.scalars(select(Box).options(selectinload(Box.items))
                          .order_by(Box.a, Box.b)).all()
        assert [(bx.a, bx.b, [i.id for i in bx.items]) for bx in boxes] == [
            (0, "x0", [4]), (0, "x1", [1, 5]), (1, "x2", [2, 6]), (1, "x3", [3])]


def test_joined_step_below_selectin_rows_repeat_children(db: Any) -> None:
    with Session(db) as s:
        shelves = s.scalars(select(Shelf).options(
            selectinload(Shelf.books).joinedload(Book.notes)).order_by(Shelf.id)).all()
        assert [[b.id for b in sh.books] for sh in shelves] == [
            [3, 6], [1, 4, 7], [2, 5, 8], []]
        assert [[n.id for n in b.notes] for b in shelves[0].books] == [[2, 6], []]
        assert [[n.id for n in b.notes] for b in shelves[1].books] == [[4, 8], [3, 7], []]


@pytest.fixture
def many(engine: Any) -> Any:
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all([Shelf(id=i, name=f"s{i}") for i in range(1, 1101)])
        s.flush()
        s.add_all([Book(id=i, title=f"b{i}", shelf=1 + i % 1100) for i in range(1, 2201)])
        s.commit()
    return engine


def test_gc_pause_of_a_big_batch_ends_with_the_load(many: Any, monkeypatch: Any) -> None:
    seen: list[bool] = []
    fetch = SelectInLoader._fetch

    def spy(self: Any, *args: Any) -> Any:
        seen.append(gc.isenabled())
        return fetch(self, *args)

    monkeypatch.setattr(SelectInLoader, "_fetch", spy)
    assert gc.isenabled()
    with Session(many) as s:
        shelves = s.scalars(select(Shelf).options(selectinload(Shelf.books))).all()
        assert len(shelves) == 1100 and all(len(sh.books) == 2 for sh in shelves)
        assert seen and not any(seen) and gc.isenabled()
    # a program that switched the collector off keeps it off
    gc.disable()
    try:
        with Session(many) as s:
            assert len(s.scalars(select(Shelf).options(selectinload(Shelf.books))).all()) \
                == 1100
            assert not gc.isenabled()
    finally:
        gc.enable()

    def fail(self: Any, *args: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(SelectInLoader, "_fetch", fail)
    with Session(many) as s:
        with pytest.raises(RuntimeError, match="boom"):
            s.scalars(select(Shelf).options(selectinload(Shelf.books))).all()
        assert gc.isenabled()
        s.rollback()
        monkeypatch.setattr(SelectInLoader, "_fetch", fetch)
        shelf = s.scalars(select(Shelf).options(selectinload(Shelf.books))
                          .where(Shelf.id == 5)).one()
        assert sorted(b.id for b in shelf.books) == [4, 1104]
