"""``aliased(User)``: the same mapped class under another name in one statement (self
joins, two joins to one table). Its attributes are the class's, bound to the alias's
columns; selecting it gives ordinary identity-mapped objects."""

from __future__ import annotations

from typing import Any

from tether.orm.attributes import ColumnAttribute
from tether.orm.exc import UnmappedClassError

__all__ = ["AliasedClass", "aliased"]


class AliasedClass:
    """A mapped class seen through a table alias."""

    def __init__(self, cls: Any, name: str | None = None) -> None:
        mapper = getattr(cls, "__mapper__", None)
        if mapper is None:
            raise UnmappedClassError(f"aliased() needs a mapped class, not {cls!r}")
        mapper.registry.configure_if_needed()
        self.__mapper__ = mapper
        self._alias = mapper.local_table.alias(name)
        self._attrs: dict[str, Any] = {}
        for prop in mapper.column_attrs:
            column = self._alias.c[prop.column.key]
            self._attrs[prop.key] = ColumnAttribute(mapper.class_, prop.key, prop, column)
        for key, prop in mapper.relationships.items():
            self._attrs[key] = AliasedRelationship(self, prop)

    @property
    def class_(self) -> Any:
        return self.__mapper__.class_

    @property
    def mapper(self) -> Any:
        return self.__mapper__

    def __clause_element__(self) -> Any:
        return self._alias

    def __getattr__(self, key: str) -> Any:
        try:
            return self.__dict__["_attrs"][key]
        except KeyError:
            raise AttributeError(
                f"aliased({self.class_.__name__}) has no attribute {key!r}"
            ) from None

    def adapt(self, column: Any) -> Any:
        """The alias's column for a column of the class's table (others unchanged)."""
        if getattr(column, "table", None) is self.__mapper__.local_table:
            return self._alias.c[column.key]
        return column

    def __repr__(self) -> str:
        return f"aliased({self.class_.__name__})"


class AliasedRelationship:
    """A relationship of an aliased class: usable as a join path from the alias."""

    def __init__(self, owner: AliasedClass, prop: Any) -> None:
        self.owner = owner
        self.prop = prop
        self.key = prop.key
        self.class_ = owner.class_

    def _tether_join_path(self, explicit: Any = None) -> list[tuple[Any, Any]]:
        from tether.orm.comparators import join_path

        return join_path(self.prop, explicit, parent_alias=self.owner)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.prop.attr, name)


def aliased(element: Any, alias: Any = None, name: str | None = None, flat: bool = False,
            **kw: Any) -> Any:
    """An alias of a mapped class (or of a table/selectable, which gets ``.alias()``)."""
    if hasattr(element, "__mapper__") and isinstance(element, type):
        return AliasedClass(element, name)
    if isinstance(element, AliasedClass):
        return AliasedClass(element.class_, name)
    return element.alias(name)
