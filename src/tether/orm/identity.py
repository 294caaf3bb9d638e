"""The identity map: one object per database row inside a session.

Keys are ``(base class, primary-key tuple)``. The map is a plain ``dict`` subclass so the
loader's hot path (one ``get`` and at most one store per row) costs what a dict costs.
"""

from __future__ import annotations

from typing import Any


def identity_key(mapper: Any, pk: tuple[Any, ...]) -> tuple[Any, tuple[Any, ...]]:
    """The identity-map key of the row of ``mapper``'s table whose primary key is ``pk``."""
    return (mapper.identity_class, pk)


class IdentityMap(dict[tuple[Any, tuple[Any, ...]], Any]):
    """Identity key -> object. Objects are held strongly for the session's lifetime."""

    def all_states(self) -> list[Any]:
        from tether.orm.state import STATE_KEY

        return [obj.__dict__[STATE_KEY] for obj in self.values()]
