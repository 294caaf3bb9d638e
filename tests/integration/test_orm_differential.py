"""Differential tests: the same program runs on SQLAlchemy (the oracle, a test dependency)
and on tether, in subprocesses, and prints the same thing.

:func:`run_both` takes a program written with ``sqlalchemy`` imports, runs it once as is
and once with ``sqlalchemy`` replaced by ``tether`` in its import lines, each on an empty
database, and returns both outputs. Programs read their URL from ``DIFF_DB_URL``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("sqlalchemy")

ROOT = Path(__file__).resolve().parents[2]

# SQLAlchemy leaves SQLite foreign keys off; tether turns them on. The oracle gets the
# pragma so both runs enforce the same constraints.
_SA_SQLITE_BOOTSTRAP = """
from sqlalchemy import event as _ev
from sqlalchemy.engine import Engine as _Engine

@_ev.listens_for(_Engine, "connect")
def _fk_on(dbapi_connection, record):
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        dbapi_connection.execute("PRAGMA foreign_keys=ON")
"""

_IMPORT = re.compile(r"^(\s*)(from|import)\s+sqlalchemy\b", re.MULTILINE)


def to_tether(source: str) -> str:
    """``sqlalchemy`` -> ``tether`` in import lines only."""
    return _IMPORT.sub(lambda m: f"{m.group(1)}{m.group(2)} tether", source)


def _clean_pg(url: str) -> None:
    import psycopg

    from tether.engine.url import make_url

    u = make_url(url)
    args: dict[str, Any] = u.translate_connect_args()
    args.update({k: (v[-1] if isinstance(v, tuple) else v) for k, v in u.query.items()})
    with psycopg.connect(autocommit=True, **args) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")


def _run(source: str, url: str) -> str:
    env = dict(os.environ, DIFF_DB_URL=url, PYTHONPATH=str(ROOT / "src"))
    proc = subprocess.run(
        [sys.executable, "-c", source], capture_output=True, text=True, env=env, timeout=120
    )
    out = proc.stdout
    if proc.returncode:
        last = proc.stderr.strip().splitlines()[-1:] or [""]
        out += f"[exit {proc.returncode}: {last[0]}]\n"
    return out


def run_both(program: str, db_url: str, tmp_path: Path) -> tuple[str, str]:
    """(SQLAlchemy output, tether output) of ``program`` on empty databases."""
    program = textwrap.dedent(program)
    if db_url.startswith("sqlite"):
        sa_url = f"sqlite:///{tmp_path / 'oracle.db'}"
        te_url = f"sqlite:///{tmp_path / 'tether.db'}"
        sa_source = _SA_SQLITE_BOOTSTRAP + program
    else:
        sa_url = db_url.replace("postgresql://", "postgresql+psycopg://", 1)
        te_url = db_url
        sa_source = program
        _clean_pg(db_url)
    oracle = _run(sa_source, sa_url)
    if not db_url.startswith("sqlite"):
        _clean_pg(db_url)
    mine = _run(to_tether(program), te_url)
    return oracle, mine


ONE_TO_MANY = """
import os
from sqlalchemy import Column, ForeignKey, Integer, String, create_engine, select
from sqlalchemy.orm import Session, declarative_base, relationship

Base = declarative_base()

class Team(Base):
    __tablename__ = "teams"
    id = Column(Integer, primary_key=True)
    name = Column(String(30))
    players = relationship("Player", backref="team", order_by="Player.id")
    def __repr__(self):
        return f"Team({self.name})"

class Player(Base):
    __tablename__ = "players"
    id = Column(Integer, primary_key=True)
    name = Column(String(30))
    team_id = Column(Integer, ForeignKey("teams.id"))
    def __repr__(self):
        return f"Player({self.name}, team_id={self.team_id})"

engine = create_engine(os.environ["DIFF_DB_URL"])
Base.metadata.create_all(engine)

def rows(s):
    return [tuple(r) for r in s.execute(
        select(Player.name, Team.name).outerjoin(Player.team).order_by(Player.id)).all()]

with Session(engine) as s:
    reds = Team(name="reds", players=[Player(name="ann"), Player(name="bo")])
    blues = Team(name="blues")
    cy = Player(name="cy", team=blues)
    print(reds.players, blues.players, cy.team)
    s.add_all([reds, blues])
    print(sorted(repr(o) for o in s.new))
    s.commit()
    print(rows(s))
    bo = reds.players[1]
    blues.players.append(bo)
    print(reds.players, blues.players, bo.team)
    s.commit()
    print(rows(s))
    reds.players.remove(reds.players[0])
    cy.team = None
    s.commit()
    print(rows(s))
    s.delete(blues)
    s.commit()
    print(rows(s))
    print(s.scalars(select(Player).order_by(Player.name)).all())
"""

ROLLBACK = """
import os
from sqlalchemy import Column, ForeignKey, Integer, String, create_engine, select
from sqlalchemy.exc import IntegrityError, PendingRollbackError
from sqlalchemy.orm import Session, declarative_base, relationship

Base = declarative_base()

class User(Base):
    __tablename__ = "user"
    id = Column(Integer, primary_key=True)
    username = Column(String(30))
    blog_posts = relationship("Post", backref="user")

class Post(Base):
    __tablename__ = "user_blog_post"
    id = Column(Integer, primary_key=True)
    title = Column(String(30))
    user_id = Column(Integer, ForeignKey("user.id"))
    def __repr__(self):
        return f"Post({self.title!r}, {self.user_id})"

engine = create_engine(os.environ["DIFF_DB_URL"])
Base.metadata.create_all(engine)
with Session(engine) as s:
    u = User(username="ann", blog_posts=[Post(title="a")])
    s.add(u)
    s.commit()
    bad = Post(title="bad", user_id=42)
    s.add(bad)
    u.username = "changed"
    try:
        s.commit()
    except IntegrityError as e:
        print("IntegrityError", type(e.orig).__name__ != "")
    try:
        s.execute(select(Post)).all()
    except PendingRollbackError:
        print("PendingRollbackError")
    s.rollback()
    print(u.username, bad in s, bad.id)
    print(s.scalars(select(Post).order_by(Post.id)).all())
    s.add(Post(title="b", user=u))
    s.commit()
    print(s.scalars(select(Post).order_by(Post.id)).all(), [p.title for p in u.blog_posts])
"""

TYPED = """
import os
from typing import Optional
from sqlalchemy import ForeignKey, String, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship

class Base(DeclarativeBase):
    pass

class Node(Base):
    __tablename__ = "nodes"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(20))
    note: Mapped[Optional[str]]
    parent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("nodes.id"))
    parent: Mapped[Optional["Node"]] = relationship(back_populates="children", remote_side=[id])
    children: Mapped[list["Node"]] = relationship(back_populates="parent", order_by="Node.id")
    def __repr__(self):
        return f"Node({self.name}, parent_id={self.parent_id})"

engine = create_engine(os.environ["DIFF_DB_URL"])
Base.metadata.create_all(engine)
print([(c.name, c.nullable) for c in Node.__table__.c])
with Session(engine) as s:
    root = Node(name="root")
    a = Node(name="a", parent=root)
    b = Node(name="b", parent=root)
    Node(name="a1", parent=a)
    Node(name="b1", parent=b, note="x")
    s.add(root)
    s.commit()
    print(s.scalars(select(Node).order_by(Node.id)).all())
    b1 = s.scalars(select(Node).where(Node.name == "b1")).one()
    b1.parent = a
    s.commit()
    print([n.name for n in a.children], [n.name for n in b.children])
    print(s.get(Node, 1).children, s.get(Node, 99))
    try:
        Node(nme="x")
    except TypeError:
        print("TypeError")
"""


@pytest.mark.parametrize("program", [ONE_TO_MANY, ROLLBACK, TYPED], ids=["o2m", "rollback", "typed"])
def test_same_output_as_sqlalchemy(program: str, db_url: str, tmp_path: Path) -> None:
    oracle, mine = run_both(program, db_url, tmp_path)
    assert "[exit" not in oracle, oracle
    assert mine == oracle
