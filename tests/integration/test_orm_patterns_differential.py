"""Issue 4's relationship patterns, differential: each program runs on SQLAlchemy (the
oracle) and on tether, on SQLite (foreign keys on in both) and on PostgreSQL, and must print
the same thing: the rows of the association/child tables after every step, the objects in
memory on both sides of each relationship, and (for cascades) which kinds of statements a
delete emitted.

Programs: many-to-many (``secondary=`` Table and name; append/extend/remove/clear/slice/
replacement; ``collection_class=set``; deleting either end), self-referential many-to-many,
association objects beside viewonly/overlapping ``secondary=`` relationships, one-to-one,
adjacency lists and two foreign keys to one table, and every cascade option with
``passive_deletes``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_orm_differential import run_both

M2M = r"""import os
from sqlalchemy import Column, ForeignKey, Integer, String, Table, create_engine, select
from sqlalchemy.orm import Session, declarative_base, relationship, backref

Base = declarative_base()
item_tag = Table("item_tag", Base.metadata,
    Column("item_id", ForeignKey("item.id"), primary_key=True),
    Column("tag_id", ForeignKey("tag.id"), primary_key=True))
Table("item_cat", Base.metadata,
    Column("item_id", ForeignKey("item.id"), primary_key=True),
    Column("cat_id", ForeignKey("cat.id"), primary_key=True))

class Item(Base):
    __tablename__ = "item"
    id = Column(Integer, primary_key=True)
    name = Column(String(20))
    tags = relationship("Tag", secondary=item_tag, back_populates="items", order_by="Tag.id")
    cats = relationship("Cat", secondary="item_cat", backref=backref("items", collection_class=set), order_by="Cat.id")
    def __repr__(self): return f"Item({self.name})"

class Tag(Base):
    __tablename__ = "tag"
    id = Column(Integer, primary_key=True)
    name = Column(String(20))
    items = relationship("Item", secondary=item_tag, back_populates="tags", order_by="Item.id")
    def __repr__(self): return f"Tag({self.name})"

class Cat(Base):
    __tablename__ = "cat"
    id = Column(Integer, primary_key=True)
    name = Column(String(20))
    def __repr__(self): return f"Cat({self.name})"

engine = create_engine(os.environ["DIFF_DB_URL"])
Base.metadata.create_all(engine)

def rows(s, t):
    return sorted(tuple(r) for r in s.execute(select(Base.metadata.tables[t])).all())

with Session(engine) as s:
    tags = [Tag(name=f"t{i}") for i in range(6)]
    a = Item(name="a", tags=tags[:3])
    b = Item(name="b")
    b.tags.append(tags[0])
    print(tags[0].items, a.tags, b.tags)
    s.add_all([a, b] + tags)
    s.commit()
    print(rows(s, "item_tag"))
    a.tags.extend([tags[3], tags[4]]); s.flush(); print("extend", rows(s, "item_tag"), tags[4].items)
    a.tags.remove(tags[1]); s.flush(); print("remove", rows(s, "item_tag"), tags[1].items)
    a.tags[1:3] = [tags[5], tags[1]]; s.flush(); print("slice", a.tags, rows(s, "item_tag"), tags[2].items, tags[5].items)
    a.tags[0] = tags[2]; s.flush(); print("setitem", a.tags, rows(s, "item_tag"))
    del a.tags[0]; s.flush(); print("delitem", a.tags, rows(s, "item_tag"))
    a.tags = [tags[0], tags[1]]; s.flush(); print("replace", a.tags, rows(s, "item_tag"), tags[5].items)
    tags[0].items.remove(a); s.flush(); print("other side", a.tags, rows(s, "item_tag"))
    b.tags.clear(); s.flush(); print("clear", rows(s, "item_tag"), tags[0].items)
    popped = a.tags.pop(); s.flush(); print("pop", popped, rows(s, "item_tag"))
    a.tags.insert(0, tags[3]); a.tags.append(tags[4]); s.commit(); print("insert", a.tags, rows(s, "item_tag"))
    s.delete(tags[3]); s.commit(); print("del tag", a.tags, rows(s, "item_tag"))
    s.delete(a); s.commit(); print("del item", rows(s, "item_tag"), tags[4].items)
    c1, c2 = Cat(name="c1"), Cat(name="c2")
    b.cats = [c1, c2]
    print(type(c1.items).__name__, c1.items)
    s.commit(); print(rows(s, "item_cat"))
    c1.items.discard(b); s.commit(); print(rows(s, "item_cat"), b.cats)
    c2.items.add(Item(name="d")); s.commit(); print(rows(s, "item_cat"), sorted(c2.items, key=lambda i: i.name))
    s.delete(c2); s.commit(); print(rows(s, "item_cat"), b.cats)
    print(s.scalars(select(Item).join(Item.tags).where(Tag.name == "t4")).all())
    print(s.scalars(select(Tag).where(Tag.items.any(Item.name == "b"))).all())
"""

SELFM2M = r"""import os
from sqlalchemy import Column, ForeignKey, Integer, String, Table, create_engine, select
from sqlalchemy.orm import Session, declarative_base, relationship

Base = declarative_base()
followers = Table("followers", Base.metadata,
    Column("follower_id", Integer, ForeignKey("users.id"), primary_key=True),
    Column("followed_id", Integer, ForeignKey("users.id"), primary_key=True))

class User(Base):
    __tablename__ = "users"
    id = Column(Integer, primary_key=True)
    name = Column(String(20))
    following = relationship("User", secondary=followers,
        primaryjoin=id == followers.c.follower_id,
        secondaryjoin=id == followers.c.followed_id,
        backref="followers", order_by="User.id")
    def __repr__(self): return self.name

class Node(Base):
    __tablename__ = "node"
    id = Column(Integer, primary_key=True)
    name = Column(String(20))
    links = relationship("Node", secondary="node_link",
        primaryjoin="Node.id == node_link.c.src", secondaryjoin="Node.id == node_link.c.dst",
        order_by="Node.id")
    def __repr__(self): return self.name

Table("node_link", Base.metadata,
    Column("src", ForeignKey("node.id"), primary_key=True),
    Column("dst", ForeignKey("node.id"), primary_key=True))

engine = create_engine(os.environ["DIFF_DB_URL"])
Base.metadata.create_all(engine)
def rows(s, t):
    return sorted(tuple(r) for r in s.execute(select(Base.metadata.tables[t])).all())
with Session(engine) as s:
    a, b, c = User(name="a"), User(name="b"), User(name="c")
    a.following = [b, c]
    c.following.append(a)
    print(b.followers, a.followers, c.followers)
    s.add(a); s.commit()
    print(rows(s, "followers"))
    a.following.remove(c); s.commit()
    print(rows(s, "followers"), c.followers)
    s.delete(b); s.commit()
    print(rows(s, "followers"), a.following)
    print(s.scalars(select(User).where(User.followers.any(User.name == "c"))).all())
    n1, n2, n3 = Node(name="n1"), Node(name="n2"), Node(name="n3")
    n1.links = [n2, n3]; n2.links = [n1]
    s.add_all([n1]); s.commit()
    print(rows(s, "node_link"))
    s.expire_all()
    print(n1.links, n2.links, n3.links)
    n1.links[0:1] = []; s.commit(); print(rows(s, "node_link"))
"""

ASSOC = r"""import os
from sqlalchemy import Column, ForeignKey, Integer, String, create_engine, select, func
from sqlalchemy.orm import Session, declarative_base, relationship

Base = declarative_base()

class DepartmentEmployeeLink(Base):
    __tablename__ = "department_employee_link"
    department_id = Column(Integer, ForeignKey("department.id"), primary_key=True)
    employee_id = Column(Integer, ForeignKey("employee.id"), primary_key=True)
    extra_data = Column(String(50))
    department = relationship("Department", back_populates="employee_links")
    employee = relationship("Employee", back_populates="department_links")
    def __repr__(self): return f"Link({self.department.name},{self.employee.name},{self.extra_data})"

class Department(Base):
    __tablename__ = "department"
    id = Column(Integer, primary_key=True)
    name = Column(String(50))
    employees = relationship("Employee", secondary="department_employee_link", back_populates="departments", viewonly=True, order_by="Employee.id")
    employee_links = relationship("DepartmentEmployeeLink", back_populates="department", cascade="all, delete-orphan")

class Employee(Base):
    __tablename__ = "employee"
    id = Column(Integer, primary_key=True)
    name = Column(String(50))
    departments = relationship("Department", secondary="department_employee_link", back_populates="employees", viewonly=True, order_by="Department.id")
    department_links = relationship("DepartmentEmployeeLink", back_populates="employee")

# game store style: plain secondary beside, with overlaps
class User(Base):
    __tablename__ = "user"
    id = Column(Integer, primary_key=True)
    name = Column(String(20))
    games = relationship("Game", secondary="user_library", back_populates="players", overlaps="library,user,game,owners")
    library = relationship("UserLibrary", back_populates="user", overlaps="games,players")

class Game(Base):
    __tablename__ = "game"
    id = Column(Integer, primary_key=True)
    title = Column(String(20))
    players = relationship("User", secondary="user_library", back_populates="games", overlaps="library,user,game,owners")
    owners = relationship("UserLibrary", back_populates="game", overlaps="games,players")

class UserLibrary(Base):
    __tablename__ = "user_library"
    user_id = Column(ForeignKey("user.id"), primary_key=True)
    game_id = Column(ForeignKey("game.id"), primary_key=True)
    hours = Column(Integer, default=0)
    user = relationship("User", back_populates="library", overlaps="games,players")
    game = relationship("Game", back_populates="owners", overlaps="games,players")

engine = create_engine(os.environ["DIFF_DB_URL"])
Base.metadata.create_all(engine)
with Session(engine) as s:
    it = Department(name="IT"); hr = Department(name="HR")
    john = Employee(name="john"); jane = Employee(name="jane")
    l1 = DepartmentEmployeeLink(department=it, employee=john, extra_data="part-time")
    l2 = DepartmentEmployeeLink(department=hr, employee=john, extra_data="full-time")
    l3 = DepartmentEmployeeLink(department=it, employee=jane)
    print(it.employee_links, john.department_links)
    s.add_all([it, hr]); s.commit()
    print(s.execute(select(DepartmentEmployeeLink.department_id, DepartmentEmployeeLink.employee_id, DepartmentEmployeeLink.extra_data).order_by(DepartmentEmployeeLink.department_id, DepartmentEmployeeLink.employee_id)).all())
    s.expire_all()
    print([e.name for e in it.employees], [d.name for d in john.departments])
    print(s.scalars(select(Employee.name).join(Employee.department_links).join(DepartmentEmployeeLink.department).where(Department.name == "IT").order_by(Employee.name)).all())
    print(s.scalars(select(Department.name).join(Department.employees).where(Employee.name == "john").order_by(Department.name)).all())
    print(s.execute(select(Department.name, DepartmentEmployeeLink.extra_data).join(Department.employee_links).where(DepartmentEmployeeLink.employee == john).order_by(Department.name)).all())
    it.employee_links.remove(l3); s.commit()
    print(s.execute(select(func.count()).select_from(DepartmentEmployeeLink)).scalar(), jane.department_links)
    s.delete(it); s.commit()
    print(s.execute(select(DepartmentEmployeeLink.department_id, DepartmentEmployeeLink.employee_id)).all())

    u = User(name="ann"); g1 = Game(title="g1"); g2 = Game(title="g2")
    u.library.append(UserLibrary(game=g1, hours=10))
    u.library.append(UserLibrary(game=g2, hours=3))
    s.add(u); s.commit()
    s.expire_all()
    print([g.title for g in u.games], [x.name for x in g1.players])
    print(s.execute(select(Game.title, func.sum(UserLibrary.hours)).join(Game.owners).group_by(Game.title).order_by(func.sum(UserLibrary.hours).desc())).first())
    g3 = Game(title="g3"); u.games.append(g3); s.commit()
    print(s.execute(select(UserLibrary.user_id, UserLibrary.game_id, UserLibrary.hours).order_by(UserLibrary.game_id)).all())
"""

O2O = r"""import os
from sqlalchemy import Column, ForeignKey, Integer, String, create_engine, select
from sqlalchemy.orm import Session, declarative_base, relationship, backref

Base = declarative_base()

class Person(Base):
    __tablename__ = "person"
    id = Column(Integer, primary_key=True)
    name = Column(String(20))
    passport = relationship("Passport", uselist=False, back_populates="owner")
    profile = relationship("Profile", uselist=False, back_populates="person", cascade="all, delete-orphan")
    def __repr__(self): return f"Person({self.name})"

class Passport(Base):
    __tablename__ = "passport"
    id = Column(Integer, primary_key=True)
    number = Column(String(20))
    owner_id = Column(ForeignKey("person.id"), unique=True)
    owner = relationship("Person", back_populates="passport")
    def __repr__(self): return f"Passport({self.number})"

class Profile(Base):
    __tablename__ = "profile"
    id = Column(Integer, primary_key=True)
    bio = Column(String(20))
    person_id = Column(ForeignKey("person.id"), unique=True)
    person = relationship("Person", back_populates="profile")
    def __repr__(self): return f"Profile({self.bio})"

class Car(Base):
    __tablename__ = "car"
    id = Column(Integer, primary_key=True)
    name = Column(String(20))
    engine_id = Column(ForeignKey("motor.id"), unique=True)
    motor = relationship("Motor", backref=backref("car", uselist=False))
    def __repr__(self): return f"Car({self.name})"

class Motor(Base):
    __tablename__ = "motor"
    id = Column(Integer, primary_key=True)
    hp = Column(Integer)
    def __repr__(self): return f"Motor({self.hp})"

engine = create_engine(os.environ["DIFF_DB_URL"])
Base.metadata.create_all(engine)
def rows(s, t):
    return sorted(tuple(r) for r in s.execute(select(Base.metadata.tables[t])).all())
with Session(engine) as s:
    p = Person(name="ann")
    print(p.passport, p.profile)
    p.passport = Passport(number="X1")
    p.profile = Profile(bio="hi")
    print(p.passport.owner, p.profile.person)
    s.add(p); s.commit()
    print(rows(s, "passport"), rows(s, "profile"))
    old = p.passport
    p.passport = Passport(number="X2")
    print(old.owner, p.passport.owner)
    s.commit()
    print(rows(s, "passport"))
    # (replacing a delete-orphan child with a unique key in one flush: SQLAlchemy inserts
    # the new row first and fails; tether succeeds -- see test_orm_patterns_flush.py)
    old = p.profile
    p.profile = None
    s.flush()
    print(rows(s, "profile"), old in s)
    p.profile = Profile(bio="new")
    s.commit()
    print(rows(s, "profile"))
    p.passport = None; s.commit(); print(rows(s, "passport"), p.passport)
    m = Motor(hp=100); c = Car(name="c", motor=m)
    print(m.car, type(m.car).__name__)
    s.add(c); s.commit()
    m.car = Car(name="d"); s.commit()
    print(rows(s, "car"), c.motor)
    s.expire_all()
    print(m.car, s.get(Person, 1).passport)
    print(s.scalars(select(Person).where(Person.passport.has(number="X2"))).all())
    print(s.scalars(select(Person).join(Person.profile).where(Profile.bio == "new")).all())
    s.delete(p); s.commit(); print(rows(s, "profile"), rows(s, "passport"))
"""

ADJ = r"""import os
from sqlalchemy import Column, ForeignKey, Integer, String, create_engine, select
from sqlalchemy.orm import Session, declarative_base, relationship, backref, aliased

Base = declarative_base()

class Node(Base):
    __tablename__ = "node"
    id = Column(Integer, primary_key=True)
    parent_id = Column(Integer, ForeignKey("node.id"))
    name = Column(String(20))
    parent = relationship("Node", remote_side=[id], back_populates="children")
    children = relationship("Node", back_populates="parent", cascade="all, delete-orphan", order_by="Node.id")
    def __repr__(self): return self.name

class Emp(Base):
    __tablename__ = "emp"
    id = Column(Integer, primary_key=True)
    boss_id = Column(Integer, ForeignKey("emp.id"))
    name = Column(String(20))
    reports = relationship("Emp", backref=backref("boss", remote_side="Emp.id"), order_by="Emp.id")
    def __repr__(self): return self.name

class User(Base):
    __tablename__ = "users"
    id = Column(Integer, primary_key=True)
    name = Column(String(20))
    def __repr__(self): return self.name

class Message(Base):
    __tablename__ = "message"
    id = Column(Integer, primary_key=True)
    body = Column(String(20))
    sender_id = Column(ForeignKey("users.id"))
    recipient_id = Column(ForeignKey("users.id"))
    sender = relationship("User", primaryjoin="Message.sender_id == User.id", backref="sent")
    recipient = relationship(User, primaryjoin=recipient_id == User.id, backref="received")
    def __repr__(self): return self.body

class Order(Base):
    __tablename__ = "orders"
    id = Column(Integer, primary_key=True)
    bill_id = Column(ForeignKey("users.id"))
    ship_id = Column(ForeignKey("users.id"))
    def __repr__(self): return f"Order({self.id})"
    bill = relationship("User", foreign_keys=[bill_id])
    ship = relationship("User", foreign_keys="Order.ship_id", backref="shipments")

engine = create_engine(os.environ["DIFF_DB_URL"])
Base.metadata.create_all(engine)
def rows(s, t):
    return sorted(tuple(r) for r in s.execute(select(Base.metadata.tables[t])).all())
with Session(engine) as s:
    root = Node(name="root")
    cur = root
    for i in range(6):
        kid = Node(name=f"n{i}", parent=cur)
        Node(name=f"leaf{i}", parent=cur)
        cur = kid
    s.add(root); s.commit()
    print(rows(s, "node"))
    n3 = s.scalars(select(Node).where(Node.name == "n3")).one()
    print(n3.parent, n3.parent.parent, n3.children)
    print(s.scalars(select(Node).where(Node.parent.has(Node.name == "n1"))).all())
    print(s.scalars(select(Node).where(Node.children.any(Node.name == "leaf2"))).all())
    P = aliased(Node)
    print(s.execute(select(Node.name, P.name).join(P, Node.parent).order_by(Node.id)).all())
    n3.parent.children.remove(n3); s.commit()
    print(rows(s, "node"))
    a = Emp(name="a"); b = Emp(name="b", boss=a); c = Emp(name="c", boss=b)
    s.add(c); s.commit(); print(rows(s, "emp"), a.reports)
    c.boss = a; s.commit(); print(rows(s, "emp"), a.reports, b.reports)
    u1, u2 = User(name="u1"), User(name="u2")
    m = Message(body="hi", sender=u1, recipient=u2)
    m2 = Message(body="yo", sender=u2, recipient=u1)
    o = Order(bill=u1, ship=u2)
    s.add_all([m, m2, o]); s.commit()
    print(rows(s, "message"), rows(s, "orders"))
    s.expire_all()
    print(u1.sent, u1.received, u2.shipments, o.bill, o.ship)
    print(s.scalars(select(Message.body).join(Message.sender).where(User.name == "u1")).all())
    print(s.scalars(select(User.name).join(User.received).where(Message.body == "hi")).all())
    print(s.scalars(select(Message.body).where(Message.recipient == u1)).all())
"""

CASC = r"""import os, logging, re
from sqlalchemy import Column, ForeignKey, Integer, String, create_engine, select, inspect
from sqlalchemy.orm import Session, declarative_base, relationship

LOG = []
class H(logging.Handler):
    def emit(self, r):
        msg = r.msg if isinstance(r.msg, str) else ""
        m = re.match(r"\s*(SELECT|INSERT|UPDATE|DELETE)\b.*?\b(?:FROM|INTO|UPDATE|DELETE FROM)?\s*\"?(\w+)\"?", msg, re.S)
        if m and msg.split()[0] in ("SELECT", "INSERT", "UPDATE", "DELETE"):
            verb = msg.split()[0]
            if verb == "SELECT":
                t = re.search(r"\bFROM\s+\"?(\w+)", msg).group(1)
            elif verb == "INSERT":
                t = re.search(r"INTO\s+\"?(\w+)", msg).group(1)
            elif verb == "UPDATE":
                t = re.search(r"UPDATE\s+\"?(\w+)", msg).group(1)
            else:
                t = re.search(r"FROM\s+\"?(\w+)", msg).group(1)
            LOG.append(f"{verb} {t}")
for name in ("sqlalchemy.engine", "tether.engine"):
    lg = logging.getLogger(name); lg.setLevel(logging.INFO); lg.addHandler(H()); lg.propagate = False
def stmts():
    out = sorted(set(LOG)); LOG.clear(); return out

Base = declarative_base()

def parent(name, cascade, **kw):
    cls = type(name, (Base,), {
        "__tablename__": name.lower(),
        "id": Column(Integer, primary_key=True),
        "name": Column(String(20)),
        "kids": relationship(name + "Kid", back_populates="parent", cascade=cascade, order_by=name + "Kid.id", **kw),
        "__repr__": lambda self: f"{name}({self.name})",
    })
    kid = type(name + "Kid", (Base,), {
        "__tablename__": name.lower() + "_kid",
        "id": Column(Integer, primary_key=True),
        "name": Column(String(20)),
        "parent_id": Column(ForeignKey(name.lower() + ".id", ondelete="CASCADE")),
        "parent": relationship(name, back_populates="kids"),
        "__repr__": lambda self: f"Kid({self.name})",
    })
    return cls, kid

A, AK = parent("All", "all")
SU, SUK = parent("Su", "save-update")
NO, NOK = parent("No", "")
DE, DEK = parent("De", "save-update, delete")
DO, DOK = parent("Do", "all, delete-orphan")
M, MK = parent("Me", "save-update, merge")
EX, EXK = parent("Ex", "save-update, expunge")
RE, REK = parent("Re", "save-update, refresh-expire")
PD, PDK = parent("Pd", "all, delete-orphan", passive_deletes=True)
PA, PAK = parent("Pa", "save-update", passive_deletes="all")
PN, PNK = parent("Pn", "save-update", passive_deletes=True)

engine = create_engine(os.environ["DIFF_DB_URL"])
Base.metadata.create_all(engine)
def rows(s, t):
    return sorted(tuple(r) for r in s.execute(select(Base.metadata.tables[t])).all())
import warnings
warnings.simplefilter("ignore")

for P, K in [(A, AK), (SU, SUK), (NO, NOK), (DE, DEK), (DO, DOK), (M, MK), (EX, EXK), (RE, REK), (PD, PDK), (PA, PAK), (PN, PNK)]:
    t = P.__tablename__; kt = K.__tablename__
    print("==", t)
    with Session(engine) as s:
        p = P(name="p", kids=[K(name="k1"), K(name="k2")])
        kids = list(p.kids)
        s.add(p)
        print("in session", [k in s for k in kids])
        s.commit()
        print(rows(s, kt))
        for k in kids:
            if k not in s:
                s.add(k)
        s.commit()
        print(rows(s, kt))
        # orphan
        k1 = kids[0]
        p.kids.remove(k1)
        s.commit()
        print("orphan", rows(s, kt), inspect(k1).deleted, inspect(k1).detached)
        kids = [k for k in kids if k in s]
        # refresh / expire
        print([k.name for k in p.kids])
        s.execute(Base.metadata.tables[kt].update().values(name="db"))
        s.refresh(p)
        print("refresh", [str(k.__dict__.get("name")) for k in kids])
        s.expire(p)
        print("expire", [str(k.__dict__.get("name")) for k in kids])
        s.rollback()
        # expunge
        print([k.name for k in p.kids])
        s.expunge(p)
        print("expunge", [k in s for k in kids])
        s.add(p)
        for k in kids:
            if k not in s: s.add(k)
        s.commit()
        # merge
        with Session(engine) as s2:
            det = P(id=p.id, name="merged", kids=[K(id=kids[0].id, name="mk")])
            mp = s2.merge(det)
            print("merge", [k in s2 for k in mp.kids], [k.name for k in mp.kids], mp.name)
            s2.commit()
            print(rows(s2, kt))
        # delete with kids not loaded
        pid = p.id
        s.expunge_all()
        p = s.get(P, pid)
        stmts()
        s.delete(p)
        try:
            s.commit()
        except Exception as e:
            print("delete error", type(e).__name__); s.rollback()
        print("delete unloaded", stmts(), rows(s, kt))
    with Session(engine) as s:
        p = P(name="q", kids=[K(name="k3")])
        s.add_all([p] + p.kids); s.commit()
        kids = list(p.kids)  # loaded
        stmts()
        s.delete(p)
        try:
            s.commit()
        except Exception as e:
            print("delete error", type(e).__name__); s.rollback()
        print("delete loaded", stmts(), rows(s, kt))
"""

ORPHAN_BY_SCALAR = r"""import os
from sqlalchemy import Column, ForeignKey, Integer, String, create_engine, select, inspect
from sqlalchemy.orm import Session, declarative_base, relationship
Base = declarative_base()
class P(Base):
    __tablename__ = "p"
    id = Column(Integer, primary_key=True)
    kids = relationship("K", back_populates="parent", cascade="all, delete-orphan")
class K(Base):
    __tablename__ = "k"
    id = Column(Integer, primary_key=True)
    parent_id = Column(ForeignKey("p.id"))
    parent = relationship("P", back_populates="kids")
engine = create_engine(os.environ["DIFF_DB_URL"])
Base.metadata.create_all(engine)
with Session(engine) as s:
    p = P(kids=[K(), K(), K()]); s.add(p); s.commit()
    k1, k2, k3 = p.kids  # loaded
    k1.parent = None; s.commit()
    print(sorted(tuple(r) for r in s.execute(select(K.__table__))), inspect(k1).detached)
    s.expire_all()
    k2.parent = None; s.commit()   # collection not loaded
    print(sorted(tuple(r) for r in s.execute(select(K.__table__))), inspect(k2).detached)
    s.expire_all()
    k3.parent  # many-to-one loaded, collection not
    k3.parent = None; s.commit()
    print(sorted(tuple(r) for r in s.execute(select(K.__table__))), inspect(k3).detached)
"""


PROGRAMS = {
    "many_to_many": M2M,
    "self_referential_many_to_many": SELFM2M,
    "association_object": ASSOC,
    "one_to_one": O2O,
    "adjacency_and_two_foreign_keys": ADJ,
    "cascades": CASC,
    "delete_orphan_by_many_to_one": ORPHAN_BY_SCALAR,
}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_same_as_sqlalchemy(name: str, db_url: str, tmp_path: Path) -> None:
    oracle, mine = run_both(PROGRAMS[name], db_url, tmp_path)
    assert "[exit" not in oracle, oracle
    assert mine == oracle
