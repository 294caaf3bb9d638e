"""The Session's expiry and reloading: ``expire()``, ``expire_all()``, ``refresh()``, and
the one-SELECT reload of an object's unloaded column attributes that a read of an expired
(or deferred) attribute and ``get()`` of an expired object run.

A mixin of :class:`tether.orm.session.Session`, kept apart because it is one concern with
its own rules (which columns a reload reads: see :meth:`ExpiryMixin._load_unloaded`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from tether.exc import InvalidRequestError
from tether.orm import session_plans
from tether.orm.exc import ObjectDeletedError
from tether.orm.state import InstanceState, instance_state

__all__ = ["ExpiryMixin"]


class ExpiryMixin:
    """Expiry, refresh and reloading of one session's objects."""

    if TYPE_CHECKING:  # provided by Session
        _modified: Any
        identity_map: Any

        def _state(self, instance: Any) -> InstanceState: ...
        def _check_failed(self) -> None: ...
        def _autoflush(self) -> None: ...
        def _connection(self) -> Any: ...

    def _expire_state(
        self, state: InstanceState, keys: Iterable[str] | None, by_commit: bool = False
    ) -> None:
        d = state.obj.__dict__
        if keys is None:
            for key in state.mapper.attrs.keys():
                d.pop(key, None)
            state.reset_history()
            self._modified.discard(state)
        else:
            for key in keys:
                d.pop(key, None)
                state.forget(key)
                if state.collections:
                    state.collections.pop(key, None)
        state.expired = True
        if by_commit:
            state.expired_by_commit = True

    def expire(self, instance: Any, attribute_names: Iterable[str] | None = None) -> None:
        """Drop loaded values so they are re-read from the database on next access
        (cascading along ``refresh-expire`` relationships)."""
        state = self._state(instance)
        if state.session is not self:
            raise InvalidRequestError(f"{type(instance).__name__} object is not in this session")
        related = self._refresh_cascade(instance) if not attribute_names else []
        self._expire_state(state, list(attribute_names) if attribute_names else None)
        for st in related:
            self._expire_state(st, None)

    def _refresh_cascade(self, obj: Any) -> list[InstanceState]:
        """Loaded objects reachable from ``obj`` along ``refresh-expire`` cascades."""
        out: list[InstanceState] = []
        seen = {id(obj)}
        stack = [obj]
        while stack:
            current = stack.pop()
            d = current.__dict__
            for prop in instance_state(current).mapper.relationships.values():
                if "refresh-expire" not in prop.cascade or prop.key not in d:
                    continue
                value = d[prop.key]
                items = list(value) if prop.uselist else ([value] if value is not None else [])
                for item in items:
                    if id(item) in seen:
                        continue
                    seen.add(id(item))
                    st = instance_state(item)
                    if st.session is self and st.key is not None:
                        out.append(st)
                        stack.append(item)
        return out

    def expire_all(self) -> None:
        for obj in list(self.identity_map.values()):
            self._expire_state(instance_state(obj), None)

    def refresh(self, instance: Any, attribute_names: Iterable[str] | None = None,
                with_for_update: Any = None) -> None:
        """Re-read ``instance``'s row now. Raises InvalidRequestError if it is not persistent."""
        state = self._state(instance)
        if state.session is not self or state.key is None:
            raise InvalidRequestError(
                f"Could not refresh {type(instance).__name__} object: it is not persistent "
                "in this session"
            )
        names = list(attribute_names) if attribute_names else None
        related = self._refresh_cascade(instance) if not names else []
        self._expire_state(state, names)
        keys = None
        if names:
            # refresh(obj, [...]) loads exactly the named columns, deferred ones included
            columns = state.mapper.key_to_column
            keys = tuple(k for k in names if k in columns) or None
        self._load_unloaded(state, autoflush=False, keys=keys)
        # Along refresh-expire cascades the related objects are only expired (they reload
        # on next access), as SQLAlchemy users expect; reloading them all here would cost a
        # SELECT per object that may never be read again.
        for st in related:
            self._expire_state(st, None)

    def _load_unloaded(self, state: InstanceState, autoflush: bool = True,
                       key: str | None = None, keys: tuple[str, ...] | None = None) -> None:
        """Load unloaded column attributes of a persistent object with one SELECT.

        Which columns, as SQLAlchemy users expect of ``deferred()``: reading an unloaded
        deferred attribute (``key``) loads that column alone; anything else (an expired
        attribute, ``get()`` of an expired object, ``refresh()``) loads every unloaded
        column that is not deferred, so a deferred column stays unread until asked for.
        ``keys``: exactly these columns (``refresh(obj, names)``)."""
        if state.session is not self:
            return
        self._check_failed()
        if autoflush:
            self._autoflush()
        mapper = state.mapper
        d = state.obj.__dict__
        deferred = mapper.deferred_keys
        whole = keys is None and (key is None or key not in deferred)
        if keys is None:
            if whole:
                keys = tuple(k for k in mapper.load_keys
                             if k is not None and k not in d and k not in deferred)
            else:
                keys = (key,)  # type: ignore[assignment]
        if not keys:
            keys = tuple(mapper.pk_keys)  # nothing to fill: still check the row exists
        stmt = session_plans.columns_statement(mapper, keys)  # type: ignore[arg-type]
        params = dict(zip(mapper._get_bind_names, state.key[1]))  # type: ignore[attr-defined, index]
        rows = self._connection().execute(stmt, params).fetchall()
        if not rows:
            raise ObjectDeletedError(
                f"{type(state.obj).__name__} object with identity {state.key[1]!r} was "  # type: ignore[index]
                "deleted from the database (or its primary key changed) since it was loaded"
            )
        for k, value in zip(keys, rows[0]):  # type: ignore[arg-type]
            if k not in d:
                d[k] = value
        if whole:
            state.expired = False
            state.expired_by_commit = False
