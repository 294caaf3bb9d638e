"""Database URLs: parsing ``dialect+driver://user:password@host:port/database?key=value``.

:class:`URL` is an immutable value; :func:`make_url` builds one from a string (or returns a
URL unchanged). Percent-escapes in the user name, password and database are decoded, so a
password containing ``@`` or ``/`` is written ``%40`` / ``%2F``. SQLite URLs carry a file
path as the database: ``sqlite:///relative.db``, ``sqlite:////absolute/path.db``,
``sqlite:///:memory:`` and ``sqlite://`` (both in memory).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, quote, unquote

from tether import exc

__all__ = ["URL", "make_url"]

# Everything after "scheme://" is split by hand: urllib's parser mangles SQLite paths and
# empty hosts, which are both normal here.
_URL_RE = re.compile(
    r"""
    ^(?P<name>[\w+.\-]+)://
    (?:
        (?P<username>[^:/@]*)
        (?::(?P<password>[^@]*))?
    @)?
    (?:
        \[(?P<ipv6host>[^\]]+)\]
        |
        (?P<host>[^/:?]*)
    )?
    (?::(?P<port>[^/?]*))?
    (?:/(?P<database>[^?]*))?
    (?:\?(?P<query>.*))?
    $
    """,
    re.VERBOSE | re.DOTALL,
)


class URL(NamedTuple):
    """The parts of a database URL. Build with :meth:`create` or :func:`make_url`."""

    drivername: str
    username: str | None
    password: str | None
    host: str | None
    port: int | None
    database: str | None
    #: Query-string options; a key given several times maps to a tuple of its values.
    query: Mapping[str, str | tuple[str, ...]]

    @classmethod
    def create(
        cls,
        drivername: str,
        username: str | None = None,
        password: str | None = None,
        host: str | None = None,
        port: int | None = None,
        database: str | None = None,
        query: Mapping[str, str | Sequence[str]] | None = None,
    ) -> URL:
        """Build a URL from its parts; raises ArgumentError on a bad drivername or port."""
        if not isinstance(drivername, str) or not drivername:
            raise exc.ArgumentError("A URL needs a drivername such as 'sqlite' or 'postgresql'.")
        if port is not None:
            port = _port(port)
        return cls(
            drivername,
            username,
            password,
            host,
            port,
            database,
            _freeze_query(query or {}),
        )

    # --- derived views ----------------------------------------------------------------
    def get_backend_name(self) -> str:
        """``"postgresql"`` for ``postgresql+psycopg``."""
        return self.drivername.split("+", 1)[0]

    def get_driver_name(self) -> str:
        """The part after ``+``, or ``""`` when the URL names no driver."""
        parts = self.drivername.split("+", 1)
        return parts[1] if len(parts) == 2 else ""

    def set(self, **parts: Any) -> URL:
        """A copy with some parts replaced (``drivername``, ``username``, ..., ``query``)."""
        unknown = set(parts) - set(self._fields)
        if unknown:
            raise exc.ArgumentError(f"URL has no part named {sorted(unknown)[0]!r}")
        if "query" in parts:
            parts["query"] = _freeze_query(parts["query"] or {})
        if parts.get("port") is not None:
            parts["port"] = _port(parts["port"])
        return self._replace(**parts)

    def update_query_dict(self, query: Mapping[str, str | Sequence[str]]) -> URL:
        """A copy whose query has these keys added or replaced."""
        merged: dict[str, Any] = dict(self.query)
        merged.update(query)
        return self.set(query=merged)

    def difference_update_query(self, names: Sequence[str]) -> URL:
        """A copy without these query keys."""
        return self.set(query={k: v for k, v in self.query.items() if k not in names})

    def translate_connect_args(self) -> dict[str, Any]:
        """The non-empty parts as driver keyword arguments (``user``, ``dbname``, ...)."""
        out: dict[str, Any] = {}
        for part, name in (
            ("host", "host"),
            ("port", "port"),
            ("username", "user"),
            ("password", "password"),
            ("database", "dbname"),
        ):
            value = getattr(self, part)
            if value is not None and value != "":
                out[name] = value
        return out

    def render_as_string(self, hide_password: bool = True) -> str:
        """The URL as text; the password shows as ``***`` unless ``hide_password=False``."""
        text = self.drivername + "://"
        if self.username is not None:
            text += quote(self.username, safe=" +")
            if self.password is not None:
                text += ":" + ("***" if hide_password else quote(self.password, safe=" +"))
            text += "@"
        if self.host is not None:
            text += f"[{self.host}]" if ":" in self.host else self.host
        if self.port is not None:
            text += f":{self.port}"
        if self.database is not None:
            text += "/" + self.database
        if self.query:
            pairs = []
            for key in sorted(self.query):
                value = self.query[key]
                for item in value if isinstance(value, tuple) else (value,):
                    pairs.append(f"{quote(key, safe='')}={quote(item, safe='/')}")
            text += "?" + "&".join(pairs)
        return text

    def __str__(self) -> str:
        return self.render_as_string(hide_password=True)

    def __repr__(self) -> str:
        return self.render_as_string(hide_password=True)

    def __hash__(self) -> int:
        return hash(self.render_as_string(hide_password=False))


def _port(value: Any) -> int:
    try:
        port = int(value)
    except (TypeError, ValueError):
        raise exc.ArgumentError(f"URL port must be a number, not {value!r}") from None
    if not 0 <= port <= 65535:
        raise exc.ArgumentError(f"URL port {port} is outside 0-65535")
    return port


def _freeze_query(query: Mapping[str, Any]) -> Mapping[str, str | tuple[str, ...]]:
    frozen: dict[str, str | tuple[str, ...]] = {}
    for key, value in query.items():
        if isinstance(value, str):
            frozen[key] = value
        else:
            frozen[key] = tuple(str(v) for v in value)
    return _FrozenDict(frozen)


class _FrozenDict(dict):  # type: ignore[type-arg]
    """A read-only dict, so a URL stays a value (and hashable by its text)."""

    def _readonly(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("URL.query is read-only; use URL.update_query_dict()")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _readonly  # type: ignore[assignment]


def make_url(name_or_url: str | URL) -> URL:
    """Parse a database URL string; a :class:`URL` is returned as it is.

    Raises ArgumentError when the text is not a URL.
    """
    if isinstance(name_or_url, URL):
        return name_or_url
    if not isinstance(name_or_url, str):
        raise exc.ArgumentError(
            f"Expected a database URL string or URL object, got {type(name_or_url).__name__}"
        )
    match = _URL_RE.match(name_or_url.strip())
    if match is None:
        raise exc.ArgumentError(
            f"Could not parse a database URL from {name_or_url!r}; expected "
            "'dialect+driver://user:password@host:port/database', for example "
            "'sqlite:///app.db' or 'postgresql://user@localhost/app'."
        )
    parts = match.groupdict()

    query: dict[str, Any] = {}
    if parts["query"]:
        for key, value in parse_qsl(parts["query"], keep_blank_values=True):
            if key in query:
                previous = query[key]
                query[key] = (*previous, value) if isinstance(previous, tuple) else (previous, value)
            else:
                query[key] = value

    username = unquote(parts["username"]) if parts["username"] is not None else None
    password = unquote(parts["password"]) if parts["password"] is not None else None
    host = parts["ipv6host"] or parts["host"] or None
    port = parts["port"] or None
    database = parts["database"]
    if database is not None:
        database = unquote(database) if database else None
    return URL.create(
        parts["name"],
        username=username,
        password=password,
        host=host,
        port=int(port) if port and port.isdigit() else (_port(port) if port else None),
        database=database,
        query=query,
    )
