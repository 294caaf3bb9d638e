"""Instrumented attributes without a database: history, collections, and keeping both
sides of a relationship in step in memory."""

from __future__ import annotations

import pytest

from tether import Column, ForeignKey, Integer, String
from tether.orm import (
    InstrumentedList,
    InstrumentedSet,
    backref,
    configure_mappers,
    declarative_base,
    get_history,
    instance_state,
    relationship,
    validates,
)

Base = declarative_base()


class Parent(Base):
    __tablename__ = "parents"
    id = Column(Integer, primary_key=True)
    name = Column(String)
    children = relationship("Child", back_populates="parent")
    tags = relationship("Tag", backref="owner", collection_class=set)


class Child(Base):
    __tablename__ = "children"
    id = Column(Integer, primary_key=True)
    parent_id = Column(Integer, ForeignKey("parents.id"))
    name = Column(String)
    parent = relationship("Parent", back_populates="children")

    @validates("name")
    def _strip(self, key: str, value: str) -> str:
        return value.strip() if isinstance(value, str) else value


class Tag(Base):
    __tablename__ = "tags"
    id = Column(Integer, primary_key=True)
    owner_id = Column(Integer, ForeignKey("parents.id"))


class Single(Base):
    __tablename__ = "single"
    id = Column(Integer, primary_key=True)
    parent_id = Column(Integer, ForeignKey("parents.id"))
    parent = relationship("Parent", backref=backref("single", uselist=False))


configure_mappers()


def test_reads_are_plain_dict_reads() -> None:
    c = Child(name="a")
    assert c.__dict__["name"] == "a"
    # a column attribute is a non-data descriptor: the instance dict wins on read
    assert not hasattr(type(Child.__dict__["name"]), "__set__")


def test_column_history_records_old_value_once() -> None:
    c = Child(name="a")
    state = instance_state(c)
    assert state.transient
    c.name = "b"
    c.name = "c"
    added, unchanged, deleted = get_history(c, "name")
    assert added == ["c"]
    assert state.modified


def test_validator_runs_on_set() -> None:
    assert Child(name="  x ").name == "x"


def test_append_sets_parent_and_setting_parent_appends() -> None:
    p = Parent(name="p")
    c1 = Child(name="c1")
    p.children.append(c1)
    assert c1.parent is p
    c2 = Child(name="c2")
    c2.parent = p
    assert p.children == [c1, c2]
    assert isinstance(p.children, InstrumentedList)


def test_moving_child_removes_it_from_old_collection() -> None:
    p1, p2 = Parent(name="1"), Parent(name="2")
    c = Child(name="c", parent=p1)
    assert p1.children == [c]
    p2.children.append(c)
    assert c.parent is p2
    assert p1.children == [] and p2.children == [c]
    c.parent = p1
    assert p1.children == [c] and p2.children == []
    c.parent = None
    assert p1.children == []


def test_remove_and_collection_operations_keep_backref() -> None:
    p = Parent()
    kids = [Child(name=str(i)) for i in range(4)]
    p.children.extend(kids)
    assert all(k.parent is p for k in kids)
    p.children.remove(kids[0])
    assert kids[0].parent is None
    popped = p.children.pop()
    assert popped.parent is None
    del p.children[0]
    assert kids[1].parent is None
    p.children[0:1] = [kids[0]]
    assert kids[0].parent is p and kids[2].parent is None
    p.children = [kids[3]]
    assert kids[3].parent is p and kids[0].parent is None
    p.children.clear()
    assert kids[3].parent is None


def test_constructor_with_relationship_keywords() -> None:
    c = Child(name="c")
    p = Parent(name="p", children=[c])
    assert c.parent is p
    c2 = Child(name="d", parent=p)
    assert p.children == [c, c2]


def test_set_collection_and_backref_string() -> None:
    p = Parent()
    t = Tag()
    p.tags.add(t)
    assert isinstance(p.tags, InstrumentedSet)
    assert t.owner is p
    p.tags.discard(t)
    assert t.owner is None
    t.owner = p
    assert p.tags == {t}


def test_one_to_one_backref_is_scalar() -> None:
    p = Parent()
    s1, s2 = Single(), Single()
    p.single = s1
    assert s1.parent is p
    p.single = s2
    assert s2.parent is p and s1.parent is None
    assert p.single is s2


def test_collection_history_added_and_removed() -> None:
    p = Parent()
    a, b = Child(), Child()
    p.children.append(a)
    p.children.append(b)
    p.children.remove(a)
    hist = instance_state(p).collections["children"]
    assert list(hist.added.values()) == [b]
    assert not hist.removed


def test_unknown_attribute_on_instance_is_plain_python() -> None:
    c = Child()
    c.scratch = 5
    assert c.scratch == 5 and "scratch" in c.__dict__
    with pytest.raises(AttributeError):
        _ = c.nothing_here


def test_constructor_plain_columns_and_validated_ones() -> None:
    # plain columns are stored as given; a validated column still goes through its
    # validator, in keyword order with the relationship keywords
    c = Child(name="  x  ", parent_id=3)
    assert c.name == "x" and c.parent_id == 3
    assert get_history(c, "parent_id") == ((), [3], ())
    with pytest.raises(TypeError, match="invalid keyword argument"):
        Child(name="a", nonsense=1)
    with pytest.raises(TypeError, match="invalid keyword argument"):
        Parent(nonsense=1)


def test_initial_collection_sets_reverse_with_history() -> None:
    a, b = Child(name="a"), Child(name="b")
    p = Parent(name="p", children=[a, b])
    assert a.parent is p and b.parent is p
    assert get_history(a, "parent") == ([p], (), ())
    assert instance_state(a).modified
    hist = instance_state(p).collections["children"]
    assert list(hist.added.values()) == [a, b]


def test_initial_collection_takes_members_from_their_old_parent() -> None:
    old = Parent(name="old")
    a = Child(name="a", parent=old)
    assert old.children == [a]
    new = Parent(name="new", children=[a])
    assert a.parent is new
    assert old.children == []
    assert get_history(a, "parent") == ([new], (), ())
    # the same parent again: nothing changes
    again = Child(name="b")
    p = Parent(children=[again])
    p.children = [again]
    assert again.parent is p and p.children == [again]


def test_initial_collection_of_members_in_a_session_cascades_the_parent() -> None:
    from tether import create_engine
    from tether.orm import Session

    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        a = Child(name="a")
        session.add(a)
        p = Parent(name="p", children=[a])
        assert p in session  # save-update cascade along Child.parent
        session.flush()
        assert a.parent_id == p.id is not None


def test_column_attribute_keeps_column_methods_only() -> None:
    # Class.attr.like etc. are the column's own methods, kept on the attribute after the
    # first use; values that may change (the type a foreign key gives) are asked anew.
    attr = Child.parent_id
    first = attr.like
    assert attr.__dict__["like"] == first and attr.like.__self__ is attr.column
    assert str(attr.like("a%").left) == str(attr.column)
    assert attr.type is attr.column.type
    assert "type" not in attr.__dict__ and "name" not in attr.__dict__


def test_collection_history_makes_its_removed_dict_on_first_removal() -> None:
    from tether.orm.collections import CollectionHistory

    a, b = Child(name="a"), Child(name="b")
    first, second = CollectionHistory(), CollectionHistory()
    first.add(a)
    first.remove(b)  # not added here: recorded as removed, in this history only
    assert first.removed == {id(b): b} and first.added == {id(a): a}
    assert not second.removed
    second.remove(a)
    second.add(a)  # the removal is taken back
    assert not second.removed and not second.added
    assert first.removed == {id(b): b}


def test_new_parent_collection_history_then_removal_after_reset() -> None:
    a, b = Child(name="a"), Child(name="b")
    p = Parent(children=[a, b])
    other = Parent(children=[Child(name="c")])
    assert get_history(p, "children") == ([a, b], (), ())
    instance_state(p).collections = None  # as a flush leaves it
    p.children.remove(a)
    assert get_history(p, "children") == ((), [b], [a])
    assert a.parent is None
    assert get_history(other, "children").deleted == ()


def test_constructor_plan_follows_properties_added_later() -> None:
    # the constructor's per-class plan is made again when configuring a class declared
    # after the first object was built adds a backref (the configure runs inside the
    # constructor of the object whose keywords name the new backref)
    LateBase = declarative_base()

    class Owner(LateBase):
        __tablename__ = "late_owners"
        id = Column(Integer, primary_key=True)
        name = Column(String)

    first = Owner(name="a")
    assert first.name == "a"

    class Item(LateBase):
        __tablename__ = "late_items"
        id = Column(Integer, primary_key=True)
        owner_id = Column(Integer, ForeignKey("late_owners.id"))
        owner = relationship("Owner", backref="items")

    o = Owner(name="b", items=[])
    item = Item(owner=o)
    assert o.name == "b" and o.items == [item] and item.owner is o
    assert get_history(item, "owner") == ([o], (), ())
    with pytest.raises(TypeError, match="invalid keyword argument"):
        Owner(nonsense=1)


def test_initial_collection_history_in_one_pass_keeps_order_and_duplicates() -> None:
    # a new object's first members are recorded as the list itself: order kept, a
    # duplicate listed twice in the collection and once (at its first place) in history
    a, b, c = Child(name="a"), Child(name="b"), Child(name="c")
    p = Parent(name="p", children=[b, a, b, c])
    assert p.children == [b, a, b, c]
    assert list(instance_state(p).collections["children"].added.values()) == [b, a, c]
    assert get_history(p, "children") == ([b, a, c], (), ())
    assert a.parent is p and b.parent is p and c.parent is p
    # a set collection, from a generator
    t1, t2 = Tag(), Tag()
    q = Parent(tags=(t for t in [t1, t2, t1]))
    assert q.tags == {t1, t2}
    assert set(instance_state(q).collections["tags"].added.values()) == {t1, t2}
    assert t1.owner is q and t2.owner is q
    # empty and None
    assert Parent(children=[]).children == [] and Parent(children=None).children == []


def test_initial_collection_after_earlier_changes_records_each_member() -> None:
    # history already holding a removal: the members are recorded one by one, so a
    # member removed earlier and given back cancels out
    a, b = Child(name="a"), Child(name="b")
    p = Parent(children=[a])
    instance_state(p).collections = None  # as a flush leaves it
    p.children = []
    assert get_history(p, "children").deleted == [a]
    p.children = [a, b]
    hist = instance_state(p).collections["children"]
    assert hist.added == {id(b): b} and not hist.removed
    assert a.parent is p and b.parent is p


def test_initial_collection_runs_a_relationship_validator_per_member() -> None:
    Vbase = declarative_base()
    seen: list[str] = []

    class VParent(Vbase):
        __tablename__ = "vparents"
        id = Column(Integer, primary_key=True)
        kids = relationship("VKid", back_populates="parent")

        @validates("kids")
        def _check(self, key: str, kid: VKid) -> VKid:
            seen.append(kid.name)
            if kid.name == "bad":
                raise ValueError("bad kid")
            return kid

    class VKid(Vbase):
        __tablename__ = "vkids"
        id = Column(Integer, primary_key=True)
        parent_id = Column(Integer, ForeignKey("vparents.id"))
        name = Column(String)
        parent = relationship("VParent", back_populates="kids")

    configure_mappers()
    x, y = VKid(name="x"), VKid(name="y")
    p = VParent(kids=[x, y, x])
    assert seen == ["x", "y", "x"] and p.kids == [x, y, x]
    assert list(instance_state(p).collections["kids"].added.values()) == [x, y]
    with pytest.raises(ValueError, match="bad kid"):
        VParent(kids=[VKid(name="ok"), VKid(name="bad")])


def test_initial_collection_moves_a_member_from_its_old_parent_in_both_histories() -> None:
    a, b = Child(name="a"), Child(name="b")
    old = Parent(name="old", children=[a, b])
    new = Parent(name="new", children=[b])
    assert old.children == [a] and new.children == [b] and b.parent is new
    assert get_history(new, "children") == ([b], (), ())
    assert get_history(old, "children") == ([a], (), ())  # b left before any flush
