"""Declarative mapping without a database: tables built from classes, annotations,
constructors, class-level expressions, relationship inference and its errors."""

from __future__ import annotations

from typing import Optional

import pytest

from tether import Column, ForeignKey, Integer, MetaData, String, Table, UniqueConstraint, select
from tether.exc import (
    AmbiguousForeignKeysError,
    ArgumentError,
    InvalidRequestError,
    NoForeignKeysError,
)
from tether.ext.declarative import declarative_base as legacy_declarative_base
from tether.orm import (
    MANYTOONE,
    ONETOMANY,
    DeclarativeBase,
    Mapped,
    backref,
    configure_mappers,
    declarative_base,
    mapped_column,
    registry,
    relationship,
)
from tether.orm.relationships import infer_join


def test_declarative_base_builds_table_and_metadata() -> None:
    Base = declarative_base()

    class User(Base):
        __tablename__ = "users"
        id = Column(Integer, primary_key=True)
        name = Column(String(50), nullable=False)

    assert User.__table__ is Base.metadata.tables["users"]
    assert [c.name for c in User.__table__.c] == ["id", "name"]
    assert User.__table__.c.name.nullable is False
    assert User.__mapper__.class_ is User
    assert legacy_declarative_base is declarative_base


def test_table_args_dict_tuple_and_tuple_with_dict() -> None:
    Base = declarative_base()

    class A(Base):
        __tablename__ = "a"
        __table_args__ = {"comment": "dict form"}
        id = Column(Integer, primary_key=True)

    class B(Base):
        __tablename__ = "b"
        __table_args__ = (UniqueConstraint("x", "y"),)
        id = Column(Integer, primary_key=True)
        x = Column(Integer)
        y = Column(Integer)

    class C(Base):
        __tablename__ = "c"
        __table_args__ = (UniqueConstraint("x"), {"schema": "example"})
        id = Column(Integer, primary_key=True)
        x = Column(Integer)

    assert A.__table__.comment == "dict form"
    assert any(isinstance(c, UniqueConstraint) for c in B.__table__.constraints)
    assert C.__table__.schema == "example"
    assert "example.c" in Base.metadata.tables


def test_map_existing_table() -> None:
    metadata = MetaData()
    users = Table("users", metadata, Column("id", Integer, primary_key=True), Column("name", String))
    Base = declarative_base(metadata=metadata)

    class User(Base):
        __table__ = users

    assert User.__table__ is users
    assert set(User.__mapper__.attrs.keys()) == {"id", "name"}
    u = User(name="x")
    assert u.name == "x"


def test_typed_declarative_optional_means_nullable() -> None:
    class Base(DeclarativeBase):
        pass

    class Customer(Base):
        __tablename__ = "customers"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(30))
        nickname: Mapped[Optional[str]]  # noqa: UP045 - testing the Optional spelling
        note: Mapped[str | None] = mapped_column(String(100))
        orders: Mapped[list[Order]] = relationship(back_populates="customer")

    class Order(Base):
        __tablename__ = "orders"
        id: Mapped[int] = mapped_column(primary_key=True)
        customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
        customer: Mapped[Customer] = relationship(back_populates="orders")

    t = Customer.__table__
    assert [(c.name, c.nullable) for c in t.c] == [
        ("id", False), ("name", False), ("nickname", True), ("note", True)
    ]
    assert isinstance(t.c.nickname.type, String)
    configure_mappers()
    assert Customer.orders.prop.uselist is True
    assert Order.customer.prop.uselist is False
    assert Customer.orders.prop.direction is ONETOMANY
    assert Order.customer.prop.direction is MANYTOONE
    assert Base.metadata.tables["orders"] is Order.__table__


def test_registry_generate_base_and_mapped_decorator() -> None:
    reg = registry()
    Base = reg.generate_base()

    class T(Base):
        __tablename__ = "t"
        id = Column(Integer, primary_key=True)

    assert T.__table__.metadata is reg.metadata

    @reg.mapped
    class U:
        __tablename__ = "u"
        id = Column(Integer, primary_key=True)
        name = Column(String)

    u = U(name="z")
    assert u.name == "z" and U.__mapper__.local_table.name == "u"


def test_default_constructor_rejects_unknown_keyword_naming_attributes() -> None:
    Base = declarative_base()

    class User(Base):
        __tablename__ = "users"
        id = Column(Integer, primary_key=True)
        name = Column(String)

    with pytest.raises(TypeError) as info:
        User(nmae="x")
    message = str(info.value)
    assert "nmae" in message and "User" in message and "id" in message and "name" in message


def test_user_init_and_repr_left_alone() -> None:
    Base = declarative_base()

    class User(Base):
        __tablename__ = "users"
        id = Column(Integer, primary_key=True)
        name = Column(String)

        def __init__(self, name: str) -> None:
            self.name = name.upper()

        def __repr__(self) -> str:
            return f"<U {self.name}>"

    u = User("ann")
    assert repr(u) == "<U ANN>"


def test_class_attributes_are_sql_expressions() -> None:
    Base = declarative_base()

    class User(Base):
        __tablename__ = "users"
        id = Column(Integer, primary_key=True)
        name = Column(String)

    t = User.__table__
    assert str(User.name == "x") == str(t.c.name == "x")
    assert User.name.__clause_element__() is t.c.name
    # select(User) asks the class for its table through one callable kept per mapper
    assert User.__clause_element__() is t
    assert User.__clause_element__ is User.__clause_element__
    with pytest.raises(AttributeError):
        User(id=2).__clause_element__  # noqa: B018 (an instance is not a table)
    assert str(select(User).where(User.name.like("a%"))) == str(
        select(t).where(t.c.name.like("a%"))
    )
    assert str(User.id.desc()) == str(t.c.id.desc())
    u = User(id=1, name="x")
    assert u.name == "x" and u.id == 1
    assert User(name="y").id is None


def _two_tables() -> tuple[Table, Table]:
    md = MetaData()
    users = Table("users", md, Column("id", Integer, primary_key=True))
    posts = Table(
        "posts", md, Column("id", Integer, primary_key=True),
        Column("author_id", Integer, ForeignKey("users.id")),
        Column("editor_id", Integer, ForeignKey("users.id")),
    )
    return users, posts


def test_infer_join_directions_and_ambiguity() -> None:
    users, posts = _two_tables()
    with pytest.raises(AmbiguousForeignKeysError) as info:
        infer_join(users, posts)
    assert "author_id" in str(info.value) and "foreign_keys" in str(info.value)
    j = infer_join(users, posts, foreign_keys=[posts.c.author_id])
    assert j.direction is ONETOMANY
    assert j.pairs == [(users.c.id, posts.c.author_id)]
    j = infer_join(posts, users, foreign_keys=[posts.c.editor_id])
    assert j.direction is MANYTOONE
    md = MetaData()
    a = Table("a", md, Column("id", Integer, primary_key=True))
    b = Table("b", md, Column("id", Integer, primary_key=True))
    with pytest.raises(NoForeignKeysError) as info2:
        infer_join(a, b)
    assert "ForeignKey" in str(info2.value)


def test_self_referential_direction_from_remote_side() -> None:
    md = MetaData()
    nodes = Table(
        "nodes", md, Column("id", Integer, primary_key=True),
        Column("parent_id", Integer, ForeignKey("nodes.id")),
    )
    assert infer_join(nodes, nodes).direction is ONETOMANY
    assert infer_join(nodes, nodes, remote_side=[nodes.c.id]).direction is MANYTOONE


def test_backref_creates_other_side_and_string_resolution_errors() -> None:
    Base = declarative_base()

    class Team(Base):
        __tablename__ = "teams"
        id = Column(Integer, primary_key=True)

    class Player(Base):
        __tablename__ = "players"
        id = Column(Integer, primary_key=True)
        team_id = Column(Integer, ForeignKey("teams.id"))
        team = relationship("Team", backref=backref("players", order_by="Player.id"))

    configure_mappers()
    assert Team.players.prop.direction is ONETOMANY
    assert Team.players.prop.reverse_property is Player.team.prop
    assert Player.team.prop.reverse_property is Team.players.prop

    Base2 = declarative_base()

    class Owner(Base2):
        __tablename__ = "owners"
        id = Column(Integer, primary_key=True)
        pets = relationship("Pett")

    with pytest.raises(InvalidRequestError) as info:
        Base2.registry.configure()
    assert "Pett" in str(info.value) and "Owner" in str(info.value)
    Owner.__mapper__.registry.dispose()


def test_back_populates_to_missing_attribute_is_reported() -> None:
    Base = declarative_base()

    class P(Base):
        __tablename__ = "p"
        id = Column(Integer, primary_key=True)
        kids = relationship("K", back_populates="parnt")

    class K(Base):
        __tablename__ = "k"
        id = Column(Integer, primary_key=True)
        p_id = Column(Integer, ForeignKey("p.id"))
        parent = relationship("P", back_populates="kids")

    with pytest.raises(ArgumentError) as info:
        Base.registry.configure()
    assert "parnt" in str(info.value) and "parent" in str(info.value)
    P.__mapper__.registry.dispose()


def test_mixins_abstract_bases_and_declared_attr() -> None:
    from tether import DateTime
    from tether.orm import declared_attr

    class Stamped:
        created = Column(DateTime)

        @declared_attr
        def __tablename__(cls) -> str:  # noqa: N805 - declared_attr passes the class
            return cls.__name__.lower()

    Base = declarative_base()

    class Thing(Stamped, Base):
        id = Column(Integer, primary_key=True)

    class Other(Stamped, Base):
        id = Column(Integer, primary_key=True)
        thing_id = Column(ForeignKey("thing.id"))

        @declared_attr
        def thing(cls) -> object:  # noqa: N805
            return relationship("Thing")

    assert [c.name for c in Thing.__table__.c] == ["created", "id"]
    assert Thing.__table__.c.created is not Other.__table__.c.created
    Base.registry.configure()
    assert Other.thing.prop.mapper is Thing.__mapper__

    class TypedBase(DeclarativeBase):
        pass

    class WithId(TypedBase):
        __abstract__ = True
        id: Mapped[int] = mapped_column(primary_key=True)

    class Row(WithId):
        __tablename__ = "rows"
        value: Mapped[str]

    assert [c.name for c in Row.__table__.c] == ["id", "value"]
    assert not hasattr(WithId, "__table__")


def test_string_annotations_with_none() -> None:
    class Base(DeclarativeBase):
        pass

    class Node(Base):
        __tablename__ = "nodes"
        id: Mapped[int] = mapped_column(primary_key=True)
        parent_id: Mapped[int | None] = mapped_column(ForeignKey("nodes.id"))
        parent: Mapped[Node | None] = relationship(remote_side=[id])
        other: Mapped[Optional[Node]] = relationship(remote_side=[id], viewonly=True)  # noqa: UP045

    Base.registry.configure()
    assert Node.parent.prop.direction is MANYTOONE and not Node.parent.prop.uselist
    assert Node.other.prop.mapper is Node.__mapper__
    assert Node.__table__.c.parent_id.nullable


def test_join_on_relationship_before_any_object_exists() -> None:
    Base = declarative_base()

    class U(Base):
        __tablename__ = "u"
        id = Column(Integer, primary_key=True)
        posts = relationship("P")

    class P(Base):
        __tablename__ = "p"
        id = Column(Integer, primary_key=True)
        u_id = Column(Integer, ForeignKey("u.id"))

    sql = str(select(U).join(U.posts))
    assert "JOIN p ON u.id = p.u_id" in sql


def test_mapped_class_inheritance_is_refused_with_the_way_out() -> None:
    import pytest as _pytest

    from tether import Column, Integer, String
    from tether.exc import InvalidRequestError
    from tether.orm import declarative_base

    base = declarative_base()

    class Employee(base):
        __tablename__ = "inh_employees"
        id = Column(Integer, primary_key=True)
        kind = Column(String(20))
        __mapper_args__ = {"polymorphic_on": kind, "polymorphic_identity": "employee"}

    with _pytest.raises(InvalidRequestError,
                        match=r"class Manager inherits from the mapped class Employee: tether "
                              r"does not map class hierarchies .* __abstract__ = True base"):
        class Manager(Employee):
            __mapper_args__ = {"polymorphic_identity": "manager"}


def test_column_property_over_an_expression_is_refused_with_alternatives() -> None:
    import pytest as _pytest

    from tether import Column, Integer, String
    from tether.exc import ArgumentError
    from tether.orm import column_property, declarative_base

    base = declarative_base()
    with _pytest.raises(ArgumentError, match=r"column_property\(\) of a BinaryExpression: tether maps a "
                                             r"table's own columns only; .* hybrid_property"):
        class Person(base):
            __tablename__ = "cp_people"
            id = Column(Integer, primary_key=True)
            first = Column(String(20))
            last = Column(String(20))
            full = column_property(first + " " + last)


def test_configuring_the_last_dirty_registry_clears_the_process_wide_flag(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Every query checks needs_configure() first; configuring a registry on its own (the
    # route a session's first query takes) must lower the flag once nothing else is dirty,
    # or every later query keeps asking each entity's registry.
    import weakref

    from tether.orm import mapper as mapper_module

    monkeypatch.setattr(mapper_module, "_registries", weakref.WeakSet())
    monkeypatch.setattr(mapper_module, "_new_mappers", False)

    class A(DeclarativeBase):
        pass

    class B(DeclarativeBase):
        pass

    class Parent(A):
        __tablename__ = "parent"
        id: Mapped[int] = mapped_column(primary_key=True)
        kids: Mapped[list[Kid]] = relationship(back_populates="parent")

    class Kid(A):
        __tablename__ = "kid"
        id: Mapped[int] = mapped_column(primary_key=True)
        parent_id: Mapped[int] = mapped_column(ForeignKey("parent.id"))
        parent: Mapped[Parent] = relationship(back_populates="kids")

    class Other(B):
        __tablename__ = "other"
        id: Mapped[int] = mapped_column(primary_key=True)

    assert mapper_module.needs_configure()
    A.registry.configure()
    assert mapper_module.needs_configure()  # B's registry is still to be configured
    B.registry.configure()
    assert not mapper_module.needs_configure()
    assert Parent.kids.property.mapper.class_ is Kid

    class Late(B):
        __tablename__ = "late"
        id: Mapped[int] = mapped_column(primary_key=True)
        other_id: Mapped[int] = mapped_column(ForeignKey("other.id"))
        other: Mapped[Other] = relationship()

    assert mapper_module.needs_configure()
    configure_mappers()
    assert not mapper_module.needs_configure()
    assert Late.other.property.mapper.class_ is Other


def test_attribute_property_is_the_mapped_property() -> None:
    # ``Class.attr.property`` as SQLAlchemy programs use it: a relationship's target
    # mapper and direction (configured on access), a column attribute's columns.
    class Base(DeclarativeBase):
        pass

    class Parent(Base):
        __tablename__ = "parent"
        id: Mapped[int] = mapped_column(primary_key=True)
        kids: Mapped[list[Kid]] = relationship(back_populates="parent")

    class Kid(Base):
        __tablename__ = "kid"
        id: Mapped[int] = mapped_column(primary_key=True)
        parent_id: Mapped[int] = mapped_column(ForeignKey("parent.id"))
        parent: Mapped[Parent] = relationship(back_populates="kids")

    assert Parent.kids.property.mapper.class_ is Kid
    assert Parent.kids.property.direction is ONETOMANY
    assert Kid.parent.property.direction is MANYTOONE
    assert Parent.kids.property.key == "kids"
    assert Parent.kids.property is Parent.kids.prop
    assert [c.name for c in Kid.parent_id.property.columns] == ["parent_id"]
