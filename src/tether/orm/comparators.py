"""Class-level expressions of relationships: ``Post.author == user``,
``User.posts.any(...)``, ``Post.author.has(...)``, ``User.posts.contains(post)``, and the
join path ``select(User).join(User.posts)`` asks for."""

from __future__ import annotations

from typing import Any

from tether.exc import ArgumentError, InvalidRequestError
from tether.orm.relationships import (
    MANYTOMANY,
    MANYTOONE,
    RelationshipProperty,
    extra_criteria,
)
from tether.orm.state import instance_state
from tether.sql.visitors import adapt_to_alias

__all__ = ["RelationshipComparator", "join_path"]


def _values_of(prop: RelationshipProperty, obj: Any, cols: list[Any], mapper: Any) -> list[Any]:
    state = instance_state(obj)
    d = obj.__dict__
    out = []
    for col in cols:
        key = mapper.columntoproperty[col].key
        if key not in d and state.session is not None and state.ident is not None:
            getattr(obj, key)
        out.append(d.get(key))
    return out


def join_path(prop: RelationshipProperty, explicit: Any = None,
              parent_alias: Any = None) -> list[tuple[Any, Any]]:
    """The steps ``[(from, onclause), ...]`` that join ``prop``'s parent to its target;
    ``explicit`` (an ``aliased()`` class) stands for the target, ``parent_alias`` for the
    parent.

    The plain join (no aliases) is the same for every statement, and clause elements never
    change once built, so it is built once per configured relationship and shared: every
    ``select(A).join(A.rel)`` then skips rebuilding its ON clause. Callers must not mutate
    the returned list."""
    if explicit is None and parent_alias is None:
        steps = prop.join_steps
        if steps is None:
            steps = _build_join_path(prop, None, None)
            if prop.configured:
                prop.join_steps = steps
        return steps
    return _build_join_path(prop, explicit, parent_alias)


def _build_join_path(prop: RelationshipProperty, explicit: Any,
                     parent_alias: Any) -> list[tuple[Any, Any]]:
    from tether.sql.elements import and_

    # The plain join's target is the table the class stands for in a statement (what
    # ``select().join()`` makes of the class), found once here, not by every statement.
    target = explicit if explicit is not None else prop.mapper.local_table

    def remote_side(col: Any) -> Any:
        adapt = getattr(explicit, "adapt", None)
        return adapt(col) if adapt is not None else col

    def local_side(col: Any) -> Any:
        adapt = getattr(parent_alias, "adapt", None)
        return adapt(col) if adapt is not None else col

    extra = extra_criteria(prop, lambda col: remote_side(local_side(col)))
    if prop.direction is MANYTOMANY:
        assert prop.join is not None
        first = and_(*(local_side(p) == s for p, s in prop.join.pairs))
        second = and_(*(remote_side(t) == s for t, s in prop.join.secondary_pairs), *extra)
        return [(prop.secondary, first), (target, second)]
    return [(target, and_(*(local_side(local) == remote_side(remote)
                             for local, remote in prop.local_remote_pairs), *extra))]


def _identity(element: Any) -> Any:
    return element


class RelationshipComparator:
    """What ``User.posts`` offers in expressions."""

    def __init__(self, prop: RelationshipProperty, attr: Any) -> None:
        self.prop = prop
        self.attr = attr

    def _criterion_for(self, other: Any) -> Any:
        from tether.sql.elements import and_

        prop = self.prop
        if prop.direction is not MANYTOONE:
            raise InvalidRequestError(
                f"{prop.parent.class_.__name__}.{prop.key} is a collection; compare it with "
                f".contains(obj) or .any(...), not =="
            )
        assert prop.join is not None
        if other is None:
            return and_(*(fk.is_(None) for _, fk in prop.join.pairs))
        refs = [ref for ref, _ in prop.join.pairs]
        values = _values_of(prop, other, refs, prop.mapper)
        return and_(*(fk == v for (_, fk), v in zip(prop.join.pairs, values)))

    def __eq__(self, other: Any) -> Any:  # type: ignore[override]
        return self._criterion_for(other)

    def __ne__(self, other: Any) -> Any:  # type: ignore[override]
        from tether.sql.elements import not_

        return not_(self._criterion_for(other))

    def __hash__(self) -> int:
        return id(self)

    def _exists(self, criterion: Any, kwargs: dict[str, Any]) -> Any:
        from tether.sql.elements import and_
        from tether.sql.selectable import exists

        prop = self.prop
        target = prop.target
        adapt = _identity
        if target is prop.parent.local_table:
            # Self-reference: the outer query's rows and the related rows come from one
            # table, so the related side gets an alias of its own; otherwise the EXISTS
            # would correlate both sides to the outer row.
            alias = target.alias()
            target = alias

            def adapt(element: Any) -> Any:
                return adapt_to_alias(element, prop.target, alias)

        crit: list[Any] = []
        if prop.direction is MANYTOMANY:
            assert prop.join is not None
            crit.extend(p == s for p, s in prop.join.pairs)
            crit.extend(adapt(t) == s for t, s in prop.join.secondary_pairs)
            froms = [prop.secondary, target]
        else:
            crit.extend(local == adapt(remote) for local, remote in prop.local_remote_pairs)
            froms = [target]
            crit.extend(adapt(e) for e in extra_criteria(prop))
        if criterion is not None:
            crit.append(adapt(criterion))
        for key, value in kwargs.items():
            crit.append(adapt(getattr(prop.mapper.class_, key) == value))
        return exists().select_from(*froms).where(and_(*crit)).correlate_except(*froms)

    def any(self, criterion: Any = None, **kwargs: Any) -> Any:
        if not self.prop.uselist:
            raise ArgumentError(f"{self.prop}.any() is for collections; use .has()")
        return self._exists(criterion, kwargs)

    def has(self, criterion: Any = None, **kwargs: Any) -> Any:
        if self.prop.uselist:
            raise ArgumentError(f"{self.prop}.has() is for scalar relationships; use .any()")
        return self._exists(criterion, kwargs)

    def contains(self, other: Any) -> Any:
        from tether.sql.elements import and_

        prop = self.prop
        assert prop.join is not None
        if prop.direction is MANYTOMANY:
            return self._exists(
                and_(*(t == v for (t, _), v in zip(
                    prop.join.secondary_pairs,
                    _values_of(prop, other, [t for t, _ in prop.join.secondary_pairs], prop.mapper),
                ))),
                {},
            )
        remotes = [remote for _, remote in prop.local_remote_pairs]
        locals_ = [local for local, _ in prop.local_remote_pairs]
        values = _values_of(prop, other, remotes, prop.mapper)
        return and_(*(lc == v for lc, v in zip(locals_, values)))

    def of_type(self, cls: Any) -> Any:
        return self.attr
