"""The Flask-style facade: ``db = tether.Database(url)`` gives the ``db.Model``,
``db.Column``, ``db.relationship``, ``db.session`` and ``Model.query`` names that
Flask-SQLAlchemy programs use, without any web framework.

This module owns only the wiring: one engine, one MetaData, one declarative base whose
classes get a ``__tablename__`` from their class name when they leave it out, a
thread-scoped session, and the Core/ORM names re-exported as attributes.
"""

from __future__ import annotations

import re
from typing import Any

import tether
from tether.orm import decl_base
from tether.orm.query import Query
from tether.orm.scoping import scoped_session
from tether.orm.sessionmaker import sessionmaker

__all__ = ["Database", "table_name_for"]

# A boundary before an upper-case letter that follows a lower-case letter or digit, or
# before the last capital of a run that starts a new word ("HTTPRequest" -> "http_request").
_WORD_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def table_name_for(class_name: str) -> str:
    """``UserBlogPost`` -> ``user_blog_post``; names already in snake case stay as they are."""
    return _WORD_BOUNDARY.sub("_", class_name).lower().lstrip("_")


def _needs_table_name(cls: type, ns: dict[str, Any]) -> bool:
    if ns.get("__abstract__") or "__tablename__" in ns or "__table__" in ns:
        return False
    inherited_table = any(
        getattr(base, "__table__", None) is not None for base in cls.__mro__[1:]
    )
    columns = [v for v in ns.values() if isinstance(v, tether.Column | decl_base.MappedColumn)]
    if not inherited_table:
        return bool(columns) or any(
            isinstance(v, decl_base.declared_attr) for v in ns.values()
        )
    # A subclass of a mapped class gets its own table only when it names its own primary
    # key (joined inheritance); otherwise it shares the parent's (single-table).
    return any(getattr(c, "primary_key", False) for c in columns)


class _ModelMeta(decl_base.DeclarativeMeta):
    """Names the table from the class name before the class is mapped."""

    def __init__(cls, name: str, bases: tuple[type, ...], ns: dict[str, Any], **kw: Any) -> None:
        if not isinstance(ns.get("registry"), decl_base.registry) and _needs_table_name(cls, ns):
            type.__setattr__(cls, "__tablename__", table_name_for(name))
        super().__init__(name, bases, ns, **kw)


class _ModelBase:
    """What every ``db.Model`` class has besides its columns: a short repr naming the
    class and primary key (or whether the object is still transient/pending)."""

    def __repr__(self) -> str:
        state = tether.inspect(self)
        if state.transient:
            key = f"(transient {id(self)})"
        elif state.pending:
            key = f"(pending {id(self)})"
        else:
            key = ", ".join(str(v) for v in state.identity or ())
        return f"<{type(self).__name__} {key}>"


class _QueryProperty:
    """``Model.query``: a legacy Query of the class bound to the facade's current session."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def __get__(self, obj: Any, cls: Any) -> Query:
        return self._db.session().query(cls)


class Database:
    """``db = Database("sqlite:///app.db")``: an engine, ``db.Model``, ``db.session`` (one
    session per thread), ``db.create_all()``/``db.drop_all()`` and every Core and ORM name a
    Flask-SQLAlchemy program reaches through ``db.`` (``db.Column``, ``db.Integer``,
    ``db.relationship``, ``db.select``, ...). ``engine_options`` (a dict) and extra keyword
    arguments go to :func:`tether.create_engine`; ``session_options`` to the session
    factory."""

    def __init__(self, url: Any, *, metadata: Any = None,
                 session_options: dict[str, Any] | None = None,
                 engine_options: dict[str, Any] | None = None, **engine_kw: Any) -> None:
        # Flask-SQLAlchemy spells the engine's options as one dict; keywords work too.
        self.engine = tether.create_engine(url, **{**(engine_options or {}), **engine_kw})
        self.metadata = metadata if metadata is not None else tether.MetaData()
        self.Model = self._make_model()
        self.session = scoped_session(
            sessionmaker(bind=self.engine, **(session_options or {}))
        )

    def _make_model(self) -> Any:
        base = decl_base.declarative_base(
            metadata=self.metadata, name="Model", metaclass=_ModelMeta, cls=_ModelBase
        )
        base.query = _QueryProperty(self)
        base.query_class = Query
        return base

    def __getattr__(self, name: str) -> Any:
        # db.Integer, db.select, db.relationship, ...: the public Core and ORM names.
        if not name.startswith("_"):
            import tether.orm as orm

            for module in (tether, orm):
                if name in getattr(module, "__all__", ()):
                    return getattr(module, name)
        raise AttributeError(f"Database has no attribute {name!r}")

    def create_all(self) -> None:
        """Create every table of ``db.Model`` classes and ``db.Table`` tables that is missing."""
        self.metadata.create_all(self.engine)

    def drop_all(self) -> None:
        """Drop every table this database's metadata knows."""
        self.metadata.drop_all(self.engine)

    def Table(self, name: str, *args: Any, **kw: Any) -> Any:  # noqa: N802 - mirrors db.Table
        """``db.Table("tags", db.Column(...))``: a Table on this database's metadata."""
        if args and isinstance(args[0], tether.MetaData):
            return tether.Table(name, *args, **kw)
        return tether.Table(name, self.metadata, *args, **kw)

    def dispose(self) -> None:
        """Close the current thread's session and every pooled connection."""
        self.session.remove()
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"<Database {self.engine.url!r}>"
