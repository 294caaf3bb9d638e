"""tether.ext.hybrid: the class-level SQL a hybrid builds, and its errors."""

from __future__ import annotations

from typing import Any

import pytest

from tether import Column, Integer, String, func, select
from tether.dialects.postgresql import PGDialect
from tether.dialects.sqlite import SQLiteDialect
from tether.ext.hybrid import hybrid_method, hybrid_property
from tether.orm import declarative_base
from tether.sql.compiler import compile_statement

Base = declarative_base()


class Person(Base):
    __tablename__ = "h_people"
    id = Column(Integer, primary_key=True)
    first = Column(String(20))
    last = Column(String(20))
    age = Column(Integer)

    @hybrid_property
    def full(self) -> Any:
        """First and last name."""
        return self.first + " " + self.last

    @hybrid_property
    def initial(self) -> Any:
        return self.first[0]

    @initial.inplace.expression
    @classmethod
    def _initial_sql(cls) -> Any:
        return func.substr(cls.first, 1, 1)

    @hybrid_property
    def decade(self) -> Any:
        return self.age // 10

    @decade.setter
    def decade(self, value: int) -> None:
        self.age = value * 10

    @decade.deleter
    def decade(self) -> None:
        self.age = None

    @hybrid_method
    def older_than(self, years: int) -> Any:
        return self.age > years


def _sql(stmt: Any, dialect: Any = None) -> str:
    return compile_statement(stmt, dialect or SQLiteDialect(), None)[0].string


def test_class_level_expressions_compile_on_both_dialects() -> None:
    stmt = select(Person.full, Person.initial).where(Person.older_than(30))
    assert _sql(stmt) == (
        "SELECT h_people.\"first\" || ? || h_people.\"last\" AS \"full\", "
        "substr(h_people.\"first\", ?, ?) AS initial FROM h_people WHERE h_people.age > ?"
    )
    assert "AS \"full\"" in _sql(stmt, PGDialect())  # FULL is a reserved word
    # in WHERE and ORDER BY the expression stands without its label
    where = _sql(select(Person.id).where(Person.full == "a b").order_by(Person.initial.desc()))
    assert " AS " not in where and "ORDER BY substr(" in where


def test_object_level_values_setter_and_deleter() -> None:
    p = Person(first="Ann", last="Lee", age=42)
    assert (p.full, p.initial, p.decade, p.older_than(40)) == ("Ann Lee", "A", 4, True)
    p.decade = 7
    assert p.age == 70
    del p.decade
    assert p.age is None
    assert Person.__dict__["full"].__doc__ == "First and last name."


def test_mistakes_say_what_to_do() -> None:
    p = Person(first="Ann", last="Lee")
    with pytest.raises(AttributeError, match=r"Person.full has no setter; define one with "
                                             r"@full.setter"):
        p.full = "x"
    with pytest.raises(AttributeError, match="no deleter"):
        del p.full
    with pytest.raises(TypeError, match=r"Person.full is a SQL expression .* compare it"):
        bool(Person.full)
    assert str(Person.full) == "Person.full"
