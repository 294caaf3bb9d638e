"""Property test of the unit of work: random sequences of add, append, move, remove,
delete, flush, commit and rollback on a parent/child model; after every commit the
database must hold exactly what a plain-Python model of the same steps says."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tether import Column, ForeignKey, Integer, String, create_engine, select
from tether.orm import Session, declarative_base, relationship

Base = declarative_base()


class Parent(Base):
    __tablename__ = "h_parents"
    id = Column(Integer, primary_key=True)
    name = Column(String(10), unique=True)
    children = relationship("Child", back_populates="parent")


class Child(Base):
    __tablename__ = "h_children"
    id = Column(Integer, primary_key=True)
    name = Column(String(10), unique=True)
    parent_id = Column(Integer, ForeignKey("h_parents.id"))
    parent = relationship("Parent", back_populates="children")


OPS = st.lists(
    st.one_of(
        st.tuples(st.just("add_parent")),
        st.tuples(st.just("add_child"), st.integers(0, 5)),
        st.tuples(st.just("append"), st.integers(0, 9), st.integers(0, 5)),
        st.tuples(st.just("move"), st.integers(0, 9), st.integers(0, 5)),
        st.tuples(st.just("remove"), st.integers(0, 9)),
        st.tuples(st.just("orphan"), st.integers(0, 9)),
        st.tuples(st.just("delete_child"), st.integers(0, 9)),
        st.tuples(st.just("delete_parent"), st.integers(0, 5)),
        st.tuples(st.just("flush")),
        st.tuples(st.just("commit")),
        st.tuples(st.just("rollback")),
    ),
    max_size=30,
)


class Model:
    """What the database should contain: parent names, and child name -> parent name."""

    def __init__(self) -> None:
        self.parents: set[str] = set()
        self.children: dict[str, str | None] = {}

    def copy(self) -> Model:
        m = Model()
        m.parents = set(self.parents)
        m.children = dict(self.children)
        return m


def _db_state(session: Session) -> tuple[set[str], dict[str, str | None]]:
    parents = set(session.execute(select(Parent.__table__.c.name)).scalars().all())
    rows = session.execute(
        select(Child.__table__.c.name, Parent.__table__.c.name).select_from(
            Child.__table__.outerjoin(Parent.__table__)
        )
    ).all()
    return parents, {c: p for c, p in rows}


def run_program(engine: Any, ops: list[tuple[Any, ...]]) -> None:
    model, committed = Model(), Model()
    handles: dict[str, Any] = {}
    counter = [0]

    def live(kind: str, prefix: str, index: int) -> Any:
        names = sorted(n for n in handles if n.startswith(prefix) and (
            n in model.parents if prefix == "p" else n in model.children))
        if not names:
            return None, None
        name = names[index % len(names)]
        return name, handles[name]

    with Session(engine) as s:
        for op in ops:
            kind = op[0]
            if kind == "add_parent":
                name = f"p{counter[0]}"
                counter[0] += 1
                handles[name] = Parent(name=name)
                s.add(handles[name])
                model.parents.add(name)
            elif kind == "add_child":
                name = f"c{counter[0]}"
                counter[0] += 1
                pname, parent = live("parent", "p", op[1])
                child = Child(name=name, parent=parent)
                handles[name] = child
                s.add(child)
                model.children[name] = pname
            elif kind in ("append", "move"):
                cname, child = live("child", "c", op[1])
                pname, parent = live("parent", "p", op[2])
                if child is None or parent is None:
                    continue
                if kind == "append":
                    if child not in parent.children:
                        parent.children.append(child)
                else:
                    child.parent = parent
                model.children[cname] = pname
            elif kind == "remove":
                cname, child = live("child", "c", op[1])
                if child is None or model.children[cname] is None:
                    continue
                parent = handles[model.children[cname]]
                if child in parent.children:
                    parent.children.remove(child)
                else:
                    child.parent = None
                model.children[cname] = None
            elif kind == "orphan":
                cname, child = live("child", "c", op[1])
                if child is None:
                    continue
                child.parent = None
                model.children[cname] = None
            elif kind == "delete_child":
                cname, child = live("child", "c", op[1])
                if child is None:
                    continue
                if child in s.new:
                    s.expunge(child)
                    parent = child.parent
                    if parent is not None and child in parent.children:
                        parent.children.remove(child)
                else:
                    s.delete(child)
                del model.children[cname]
            elif kind == "delete_parent":
                pname, parent = live("parent", "p", op[1])
                if parent is None:
                    continue
                if parent in s.new:
                    continue
                # Links made since the last flush are written first: like SQLAlchemy, a
                # flush would otherwise write them pointing at the deleted row
                # (IntegrityError), which is the program's mistake, not the ORM's.
                s.flush()
                s.delete(parent)
                model.parents.discard(pname)
                for c, p in model.children.items():
                    if p == pname:
                        model.children[c] = None
            elif kind == "flush":
                s.flush()
            elif kind == "commit":
                s.commit()
                committed = model.copy()
                assert _db_state(s) == (model.parents, model.children)
            elif kind == "rollback":
                s.rollback()
                model = committed.copy()
                for name in [n for n in handles if n not in model.parents
                             and n not in model.children]:
                    del handles[name]
        s.commit()
        assert _db_state(s) == (model.parents, model.children)


@pytest.mark.parametrize("backend", ["sqlite"])
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=OPS)
def test_random_operations_match_model_sqlite(backend: str, ops: list[tuple[Any, ...]]) -> None:
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    run_program(engine, ops)
    engine.dispose()


@pytest.mark.postgresql_only
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=OPS)
def test_random_operations_match_model_both(engine: Any, ops: list[tuple[Any, ...]]) -> None:
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    run_program(engine, ops)
