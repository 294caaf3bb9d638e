"""URL parsing and rendering (no database)."""

from __future__ import annotations

import pytest

from tether import exc
from tether.engine.url import URL, make_url


@pytest.mark.parametrize(
    ("text", "database"),
    [
        ("sqlite://", None),
        ("sqlite:///:memory:", ":memory:"),
        ("sqlite:///relative/app.db", "relative/app.db"),
        ("sqlite:////abs/path/app.db", "/abs/path/app.db"),
    ],
)
def test_sqlite_urls(text: str, database: str | None) -> None:
    url = make_url(text)
    assert url.drivername == "sqlite"
    assert url.get_backend_name() == "sqlite"
    assert url.get_driver_name() == ""
    assert url.host is None and url.username is None and url.port is None
    assert url.database == database
    assert str(url) == text


def test_full_postgresql_url() -> None:
    url = make_url("postgresql+psycopg://scott:ti%40g%2Fer@db.example.com:6543/shop?sslmode=require")
    assert url.drivername == "postgresql+psycopg"
    assert url.get_backend_name() == "postgresql"
    assert url.get_driver_name() == "psycopg"
    assert (url.username, url.password) == ("scott", "ti@g/er")
    assert (url.host, url.port, url.database) == ("db.example.com", 6543, "shop")
    assert dict(url.query) == {"sslmode": "require"}
    # The password never shows by accident, but can be rendered on request.
    assert "ti@g" not in str(url) and "***" in str(url) and "***" in repr(url)
    assert make_url(url.render_as_string(hide_password=False)) == url


def test_socket_url_as_the_test_harness_makes_it() -> None:
    url = make_url("postgresql://postgres@/tether_test?host=/tmp/tether-pg.abc&port=31234")
    assert url.host is None and url.port is None
    assert url.database == "tether_test"
    assert url.query == {"host": "/tmp/tether-pg.abc", "port": "31234"}
    assert url.translate_connect_args() == {"user": "postgres", "dbname": "tether_test"}


def test_repeated_query_keys_and_ipv6() -> None:
    url = make_url("postgresql://u@[::1]:5433/db?opt=a&opt=b")
    assert url.host == "::1" and url.port == 5433
    assert url.query["opt"] == ("a", "b")
    assert str(url) == "postgresql://u@[::1]:5433/db?opt=a&opt=b"


def test_url_is_an_immutable_hashable_value() -> None:
    a = make_url("postgresql://u:p@h/db")
    b = make_url("postgresql://u:p@h/db")
    assert a == b and hash(a) == hash(b)
    assert make_url(a) is a
    with pytest.raises(TypeError):
        a.query["x"] = "y"  # type: ignore[index]
    c = a.set(database="other", port=7)
    assert (c.database, c.port, a.database, a.port) == ("other", 7, "db", None)
    d = a.update_query_dict({"sslmode": "disable"})
    assert d.query == {"sslmode": "disable"} and a.query == {}
    assert d.difference_update_query(["sslmode"]) == a


def test_create() -> None:
    url = URL.create("postgresql", username="u", host="h", port=5432, database="d")
    assert str(url) == "postgresql://u@h:5432/d"
    with pytest.raises(exc.ArgumentError):
        URL.create("")


@pytest.mark.parametrize("bad", ["", "not a url", "sqlite:/missing-slash", "postgresql://h:notaport/db"])
def test_malformed_urls_raise_argument_error(bad: str) -> None:
    with pytest.raises(exc.ArgumentError):
        make_url(bad)


def test_unknown_dialect_names_the_known_ones() -> None:
    from tether.engine import create_engine

    with pytest.raises(exc.NoSuchModuleError) as info:
        create_engine("postgres://u@h/db")
    assert "postgresql://" in str(info.value)
    with pytest.raises(exc.NoSuchModuleError):
        create_engine("mysql://u@h/db")


def test_unknown_create_engine_option_is_an_error() -> None:
    from tether.engine import create_engine

    with pytest.raises(exc.ArgumentError) as info:
        create_engine("sqlite://", pool_sise=3)
    assert "pool_sise" in str(info.value)
