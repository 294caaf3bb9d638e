"""``import tether`` loads only what every program needs; optional features (and the
standard library modules only they use) load on first use, and their public names still
work exactly as eager imports did. Each check runs in a fresh interpreter, since this test
process has long since imported everything."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

#: modules a program that only maps classes, queries and writes must not load
OPTIONAL = [
    "tether.database", "tether.event", "tether.engine.reflection", "tether.orm.dynamic",
    "tether.orm.query", "tether.orm.scoping", "tether.orm.dataclass_mapping",
    "tether.orm.joins",  # explicit primaryjoin= only, not every join along a relationship
    "tether.tools", "tether.cli", "tether.demo", "tether.dialects.postgresql",
    "tether.dialects.sqlite_reflection", "psycopg", "sqlalchemy",
    "logging", "uuid", "decimal", "pickle", "difflib", "heapq",
]


def _run(code: str) -> object:
    env = dict(os.environ)
    src = os.path.join(os.path.dirname(__file__), "..", "..", "src")
    env["PYTHONPATH"] = os.pathsep.join([os.path.abspath(src), env.get("PYTHONPATH", "")])
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True, text=True, env=env, check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_loads_no_optional_module() -> None:
    loaded = _run(f"""
        import json, sys
        import tether, tether.orm
        print(json.dumps([m for m in {OPTIONAL!r} if m in sys.modules]))
    """)
    assert loaded == []


def test_a_read_and_write_program_loads_no_optional_module() -> None:
    loaded = _run(f"""
        import json, sys
        from tether import ForeignKey, String, create_engine, select
        from tether.orm import (DeclarativeBase, Mapped, Session, joinedload,
                                mapped_column, relationship, selectinload)

        class Base(DeclarativeBase):
            pass

        class User(Base):
            __tablename__ = "users"
            id: Mapped[int] = mapped_column(primary_key=True)
            name: Mapped[str] = mapped_column(String(20))
            posts: Mapped[list["Post"]] = relationship(back_populates="user")

        class Post(Base):
            __tablename__ = "posts"
            id: Mapped[int] = mapped_column(primary_key=True)
            user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
            user: Mapped[User] = relationship(back_populates="posts")

        engine = create_engine("sqlite://")
        Base.metadata.create_all(engine)
        with Session(engine) as s:
            s.add(User(name="a", posts=[Post(), Post()]))
            s.commit()
            users = s.scalars(select(User).options(selectinload(User.posts))).all()
            assert len(users[0].posts) == 2
            joined = select(User).join(User.posts).where(Post.id > 0).distinct()
            assert s.scalars(joined).all() == users
            assert s.scalars(select(Post).where(Post.user.has(name="a"))).all() == users[0].posts
            s.expunge_all()
            assert len(s.scalars(select(User).options(joinedload(User.posts))).unique().one().posts) == 2
            users = s.scalars(select(User)).all()
            s.delete(users[0].posts[0])
            s.commit()
        print(json.dumps([m for m in {OPTIONAL!r} if m in sys.modules]))
    """)
    assert loaded == []


def test_lazy_public_names_resolve_and_are_listed() -> None:
    result = _run("""
        import json, sys
        import tether, tether.orm, tether.engine
        names = {
            "tether": sorted(set(tether.__all__) - set(dir(tether))),
            "tether.orm": sorted(set(tether.orm.__all__) - set(dir(tether.orm))),
            "tether.engine": sorted(set(tether.engine.__all__) - set(dir(tether.engine))),
        }
        from tether import Database, event
        from tether.orm import MappedAsDataclass, Query, scoped_session
        from tether.engine import Inspector
        import tether.event, tether.orm.query
        same = [tether.event is event, Query is tether.orm.query.Query,
                tether.Database is Database, tether.orm.scoping.scoped_session is scoped_session,
                MappedAsDataclass.__name__ == "MappedAsDataclass",
                Inspector.__module__ == "tether.engine.reflection"]
        for mod in (tether, tether.orm, tether.engine):
            for name in mod.__all__:
                getattr(mod, name)
        try:
            tether.no_such_name
        except AttributeError as e:
            missing = str(e)
        print(json.dumps([names, same, missing]))
    """)
    names, same, missing = result  # type: ignore[misc]
    assert names == {"tether": [], "tether.orm": [], "tether.engine": []}
    assert all(same)
    assert "no_such_name" in missing


def test_inspect_engine_loads_reflection_on_first_use() -> None:
    result = _run("""
        import json, sys
        from tether import create_engine, inspect, text
        engine = create_engine("sqlite://")
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY)"))
        before = "tether.engine.reflection" in sys.modules
        names = inspect(engine).get_table_names()
        with engine.connect() as conn:
            conn_names = inspect(conn).get_table_names()
        print(json.dumps([before, names, conn_names]))
    """)
    assert result == [False, ["t"], ["t"]]


def test_logger_configured_after_import_is_honoured() -> None:
    # Until logging is imported nothing can be enabled; a program importing it later and
    # setting the tether.engine logger to INFO sees the statements from then on.
    result = _run("""
        import json, sys
        from tether import create_engine, text
        engine = create_engine("sqlite://")
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        before = "logging" in sys.modules
        import logging
        records = []

        class Keep(logging.Handler):
            def emit(self, record):
                records.append(record.getMessage())

        logger = logging.getLogger("tether.engine")
        logger.addHandler(Keep())
        logger.setLevel(logging.INFO)
        with engine.connect() as conn:
            conn.execute(text("SELECT 2"))
        logger.setLevel(logging.WARNING)
        with engine.connect() as conn:
            conn.execute(text("SELECT 3"))
        print(json.dumps([before, [r for r in records if r.startswith("SELECT")]]))
    """)
    assert result == [False, ["SELECT 2"]]


@pytest.mark.parametrize("module, cls", [("decimal", "Decimal"), ("uuid", "UUID")])
def test_optional_python_types_known_once_imported(module: str, cls: str) -> None:
    # Literal values and Mapped[...] annotations of classes from modules tether leaves to
    # programs still get their types.
    result = _run(f"""
        import json
        from {module} import {cls}
        from tether import literal, Numeric, Uuid
        from tether.orm import DeclarativeBase, Mapped, mapped_column
        value = {cls}("1.5") if "{cls}" == "Decimal" else {cls}(int=7)

        class Base(DeclarativeBase):
            pass

        class T(Base):
            __tablename__ = "t"
            id: Mapped[int] = mapped_column(primary_key=True)
            v: Mapped[{cls}]

        print(json.dumps([type(literal(value).type).__name__,
                          type(T.__table__.c.v.type).__name__,
                          T.__table__.c.v.type.python_type is {cls}]))
    """)
    expected = "Numeric" if cls == "Decimal" else "Uuid"
    assert result == [expected, expected, True]
