"""Property test for many-to-many collections: random sequences of list operations
(append, extend, remove, insert, pop, slice assignment, item assignment, del, clear,
replacement) on both sides of a bidirectional ``secondary=`` relationship, flushed at random
points; after every flush the association table holds exactly the pairs of a plain-Python
model, the two sides agree in memory, and each flush wrote only the rows that changed.
Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_orm_patterns_flush import table_rows, writes

from tether import Column, ForeignKey, Integer, Table
from tether.orm import Session, declarative_base, relationship

N_TAGS = 5

_op = st.one_of(
    st.tuples(st.just("append"), st.integers(0, N_TAGS - 1)),
    st.tuples(st.just("extend"), st.lists(st.integers(0, N_TAGS - 1), max_size=3)),
    st.tuples(st.just("remove"), st.integers(0, N_TAGS - 1)),
    st.tuples(st.just("insert"), st.integers(0, 6), st.integers(0, N_TAGS - 1)),
    st.tuples(st.just("pop"), st.integers(0, 6)),
    st.tuples(st.just("slice"), st.integers(0, 6), st.integers(0, 6),
              st.lists(st.integers(0, N_TAGS - 1), max_size=3)),
    st.tuples(st.just("setitem"), st.integers(0, 6), st.integers(0, N_TAGS - 1)),
    st.tuples(st.just("delitem"), st.integers(0, 6)),
    st.tuples(st.just("clear"),),
    st.tuples(st.just("replace"), st.lists(st.integers(0, N_TAGS - 1), max_size=4)),
    st.tuples(st.just("other_side_remove"), st.integers(0, N_TAGS - 1)),
    st.tuples(st.just("flush"),),
)


def _model() -> tuple[Any, Any, Any, Any]:
    Base = declarative_base()
    link = Table("it", Base.metadata,
                 Column("item_id", ForeignKey("item.id"), primary_key=True),
                 Column("tag_id", ForeignKey("tag.id"), primary_key=True))

    class Item(Base):
        __tablename__ = "item"
        id = Column(Integer, primary_key=True)
        tags = relationship("Tag", secondary=link, back_populates="items")

    class Tag(Base):
        __tablename__ = "tag"
        id = Column(Integer, primary_key=True)
        items = relationship("Item", secondary=link, back_populates="tags")

    return Base, Item, Tag, link


def _apply(op: tuple[Any, ...], tags_list: list[Any], tags: list[Any], item: Any) -> None:
    """Apply ``op`` to the ORM collection ``tags_list`` (a many-to-many list without
    duplicates: operations that would add a duplicate are skipped, as a set-like
    association table cannot hold one)."""
    kind = op[0]
    present = {id(t) for t in tags_list}
    if kind == "append" and id(tags[op[1]]) not in present:
        tags_list.append(tags[op[1]])
    elif kind == "extend":
        new = []
        for i in dict.fromkeys(op[1]):
            if id(tags[i]) not in present:
                new.append(tags[i])
        tags_list.extend(new)
    elif kind == "remove" and id(tags[op[1]]) in present:
        tags_list.remove(tags[op[1]])
    elif kind == "insert" and id(tags[op[2]]) not in present:
        tags_list.insert(op[1], tags[op[2]])
    elif kind == "pop" and tags_list:
        tags_list.pop(op[1] % len(tags_list))
    elif kind == "slice":
        lo, hi = sorted((op[1], op[2]))
        kept = [t for k, t in enumerate(tags_list) if not lo <= k < hi]
        new = [tags[i] for i in dict.fromkeys(op[3]) if all(tags[i] is not t for t in kept)]
        tags_list[lo:hi] = new
    elif kind == "setitem" and tags_list:
        k = op[1] % len(tags_list)
        if id(tags[op[2]]) not in present or tags_list[k] is tags[op[2]]:
            tags_list[k] = tags[op[2]]
    elif kind == "delitem" and tags_list:
        del tags_list[op[1] % len(tags_list)]
    elif kind == "clear":
        tags_list.clear()
    elif kind == "other_side_remove" and id(tags[op[1]]) in present:
        tags[op[1]].items.remove(item)


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(_op, max_size=25))
def test_many_to_many_matches_model(engine: Any, ops: list[tuple[Any, ...]]) -> None:
    Base, Item, Tag, link = _model()
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    # no autoflush: every write happens in the flushes the test observes (and the lazy
    # loads in between must see the pending changes of the other side in memory)
    with Session(engine, autoflush=False) as s:
        tags = [Tag(id=i + 1) for i in range(N_TAGS)]
        item = Item(id=1)
        s.add_all([item, *tags])
        s.flush()
        committed: set[tuple[int, int]] = set()
        for op in ops + [("flush",)]:
            if op[0] == "replace":
                item.tags = [tags[i] for i in dict.fromkeys(op[1])]
            elif op[0] == "flush":
                expected = {(1, t.id) for t in item.tags}
                with writes() as log:
                    s.flush()
                deleted = {tuple(sorted(r)) for r in log.rows("DELETE", "it")}
                inserted = {tuple(sorted(r)) for r in log.rows("INSERT", "it")}
                assert set(table_rows(s, link)) == expected
                assert deleted == committed - expected
                assert inserted == expected - committed
                committed = expected
            else:
                _apply(op, item.tags, tags, item)
            for tag in tags:
                assert (item in tag.items) == any(t is tag for t in item.tags)
        s.rollback()
