"""The Session: identity map, object lifecycle, transactions, and the public operations
(add, delete, flush, commit, rollback, get, merge, refresh, expire, execute, ...).

The session owns one connection and transaction at a time, begun on first use (autobegin);
until something needs a Connection object, ``get`` reads on the pooled DB-API connection
itself (a lease, ``tether.engine.lease``).
Writing is delegated to the unit of work (``unitofwork.flush``); row-to-object conversion to
``loading``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from operator import attrgetter, itemgetter
from typing import Any

from tether.engine import lease
from tether.engine.base import Engine
from tether.exc import InvalidRequestError, PendingRollbackError

# imported here, not inside the methods that use them: an import statement in a function
# costs about two microseconds per call, which Session() and every query would pay
from tether.orm import (
    bulk,
    deletecascade,
    loading,
    nplusone,
    session_execute,
    session_plans,
    unitofwork,
)
from tether.orm.exc import ObjectDeletedError, UnmappedClassError, UnmappedInstanceError
from tether.orm.identity import IdentityMap
from tether.orm.mapper import Mapper
from tether.orm.session_expiry import ExpiryMixin
from tether.orm.session_transaction import SessionTransaction
from tether.orm.state import (
    _REASON_BITS,
    _REASON_MASK,
    DETACHED_CLOSED,
    DETACHED_EXPUNGED,
    NO_MODIFIED,
    NO_PENDING,
    NO_VALUE,
    STATE_KEY,
    InstanceState,
    LoadedMark,
    add_modified,
    detach,
    expire_all_by_commit,
    instance_state,
)
from tether.util import events

__all__ = [
    "Session",
    "SessionTransaction",
]

_UNRESOLVED = object()
#: the shared empty containers a session's transaction records and pending delete
#: cascades start as (never written: see Session._tx_inserted)
_NO_TX_RECORDS: dict[Any, Any] = {}
_NO_CASCADES: list[Any] = []
_dict_of = attrgetter("__dict__")
#: what Session.get reads a primary key of several values from
_KEY_CONTAINERS = (dict, tuple, list)
_state_of = itemgetter(STATE_KEY)
# close()'s change of each object's flags: its detach reason becomes DETACHED_CLOSED
_KEEP_FLAGS, _CLOSED_BITS = ~_REASON_MASK, _REASON_BITS[DETACHED_CLOSED]


def _exit_by_close(session: Session, *exc_info: Any) -> None:  # (see __init_subclass__)
    session.close()


def _mapper_of(entity: Any) -> Mapper:
    mapper = getattr(entity, "__mapper__", None)
    if mapper is None:
        if isinstance(entity, Mapper):
            return entity
        raise UnmappedClassError(
            f"{getattr(entity, '__name__', entity)!r} is not a mapped class"
        )
    mapper.registry.configure_if_needed()
    return mapper  # type: ignore[no-any-return]


class Session(ExpiryMixin):
    """A workspace of objects and the transaction that persists them."""

    # Scalar state starts as these class attributes; an instance stores its own value once
    # it changes (so Session(), made once per lookup in some programs, sets only the rest).
    _connection_: Any = None
    #: The transaction's pooled DB-API connection while no Connection was needed yet
    #: (``tether.engine.lease``); ``_connection()`` turns it into ``_connection_``.
    _lease_: Any = None
    _db_transaction: Any = None
    _transaction: SessionTransaction | None = None
    _failed: BaseException | None = None
    _flushing = False
    _no_autoflush = 0
    _cascade_resolving = False
    #: the sessionmaker that made this session (its event listeners hear this session)
    _tether_maker: Any = None
    #: the flush whose after_flush listeners are running (``new`` answers from it)
    _flush_in_event: Any = None
    # Rarely used containers start as these shared empty ones, never mutated: the first
    # savepoint / N+1 warning gives the session its own (most sessions use neither).
    _savepoints: list[SessionTransaction] = []
    # Likewise what a transaction wrote and deleted, deletes waiting for their cascade, and
    # (__init__: state.NO_PENDING, NO_MODIFIED) objects added, deleted and modified: shared
    # and empty until written, which gives the session its own (``_own_tx_records``,
    # deletecascade.mark, _save_or_update, add_modified). __init__ sets them all as instance
    # attributes: get() and close() read them, and instance attributes read faster.
    _tx_inserted: dict[InstanceState, Any] = _NO_TX_RECORDS
    _tx_deleted: dict[InstanceState, Any] = _NO_TX_RECORDS
    _cascade_pending: list[Any] = _NO_CASCADES
    _nplusone_warned: set[Any] | None = None
    _info: dict[str, Any] | None = None
    #: N+1 detection's mode is resolved on first use (see _nplusone): reading the engine's
    #: options and the environment costs more than the rest of Session().
    _nplusone_flag: str | None = None
    _nplusone_mode: Any = _UNRESOLVED

    def __init__(
        self,
        bind: Any = None,
        *,
        autoflush: bool = True,
        expire_on_commit: bool = True,
        autobegin: bool = True,
        info: dict[str, Any] | None = None,
        twophase: bool = False,
        binds: Any = None,
        enable_baked_queries: bool = True,
        join_transaction_mode: Any = None,
        query_cls: Any = None,
        detect_n_plus_one: str | None = None,
    ) -> None:
        self.bind = bind
        # read by every get() and close(): instance attributes read faster than class ones
        self._connection_ = None
        self._lease_ = None
        self._transaction = None
        self._failed = None
        self._tx_inserted = self._tx_deleted = _NO_TX_RECORDS
        self._cascade_pending = _NO_CASCADES
        self.autoflush = autoflush
        self.expire_on_commit = expire_on_commit
        self.autobegin = autobegin
        if info:
            self._info = info
        # its slots set here as IdentityMap.reset sets them (no call per session)
        self.identity_map = identity_map = IdentityMap()
        identity_map._maps = {}
        identity_map.loaders = identity_map.marks = None
        self._new: dict[InstanceState, Any] = NO_PENDING
        self._deleted: dict[InstanceState, Any] = NO_PENDING
        self._modified: set[InstanceState] = NO_MODIFIED
        if detect_n_plus_one is not None:
            self._nplusone_flag = detect_n_plus_one

    @property
    def info(self) -> dict[str, Any]:
        """A dict for the application's own data about this session (made on first use)."""
        info = self._info
        if info is None:
            info = self._info = {}
        return info

    @info.setter
    def info(self, value: dict[str, Any]) -> None:
        self._info = value

    @property
    def hash_key(self) -> int:
        """A number identifying this session among the live ones."""
        return id(self)

    @property
    def _nplusone(self) -> str | None:
        """"warn" / "raise" / None: N+1 detection (see tether.orm.nplusone); the session's
        flag, else the engine's ``execution_options(detect_n_plus_one=...)``, else the
        TETHER_NPLUSONE environment variable."""
        mode = self._nplusone_mode
        if mode is _UNRESOLVED:
            mode = self._nplusone_mode = (
                self._nplusone_flag or nplusone.engine_mode(self.bind)
                or nplusone.mode_from_environment())
        return mode  # type: ignore[no-any-return]

    # --- context manager -------------------------------------------------------------------
    def __enter__(self) -> Session:
        return self

    def __init_subclass__(cls, **kw: Any) -> None:
        # a subclass's own close() ends its ``with`` blocks (Session's __exit__ is _close)
        super().__init_subclass__(**kw)
        if "close" in cls.__dict__ and "__exit__" not in cls.__dict__:
            cls.__exit__ = _exit_by_close  # type: ignore[assignment]

    def __del__(self) -> None:
        # A session garbage-collected without close() gives its leased connection back,
        # as a forgotten Connection does (a Connection it made gives back its own).
        if self._lease_ is not None:
            lease.release_forgotten(self._lease_)

    # --- transactions ------------------------------------------------------------------------
    def _own_tx_records(self) -> None:
        """Give the session its own ``_tx_inserted`` / ``_tx_deleted`` (the objects whose
        rows the current transaction wrote / deleted; a rollback turns them back: new ->
        transient, deleted -> persistent) before something records into them."""
        if self._tx_inserted is _NO_TX_RECORDS:
            self._tx_inserted = {}
            self._tx_deleted = {}

    def _check_failed(self) -> None:
        if self._failed is not None:
            raise PendingRollbackError(
                "This session's transaction was rolled back because a flush failed "
                f"({type(self._failed).__name__}: {str(self._failed).splitlines()[0]}). "
                "The database kept nothing from that transaction. Call session.rollback() "
                "before using the session again; objects added since the last commit then "
                "become transient and changed objects reload their database values."
            ) from self._failed

    def _autobegin(self) -> SessionTransaction:
        if self._transaction is None:
            # a session holding a lease began its transaction already (see get_transaction)
            if not self.autobegin and self._lease_ is None:
                raise InvalidRequestError(
                    "autobegin is disabled on this session; call session.begin() first"
                )
            self._transaction = SessionTransaction(self)
        return self._transaction

    def begin(self, nested: bool = False) -> SessionTransaction:
        """Start a transaction explicitly; ``with session.begin():`` commits at the end.

        Raises InvalidRequestError if one is already in progress.
        """
        self._check_failed()
        if nested:
            return self._begin_savepoint()
        if self._transaction is not None or self._lease_ is not None:
            raise InvalidRequestError(
                "A transaction is already begun on this session (it begins automatically "
                "on first use); commit() or rollback() it before calling begin()"
            )
        self._transaction = SessionTransaction(self)
        return self._transaction

    def begin_nested(self) -> SessionTransaction:
        """Flush, then start a SAVEPOINT; ``with session.begin_nested():`` releases it at the
        end of the block, or rolls back to it (only) when the block raises."""
        return self.begin(nested=True)

    def _begin_savepoint(self) -> SessionTransaction:
        self._autobegin()
        self.flush()
        tx = SessionTransaction(self, nested=True)
        tx._savepoint = self._connection().begin_nested()
        tx._inserted_before = set(self._tx_inserted)
        tx._deleted_before = set(self._tx_deleted)
        self._savepoints = [*self._savepoints, tx]
        return tx

    def _close_savepoints_from(self, tx: SessionTransaction) -> None:
        if tx in self._savepoints:
            index = self._savepoints.index(tx)
            for inner in self._savepoints[index:]:
                inner._closed = True
            del self._savepoints[index:]

    def _release_savepoint(self, tx: SessionTransaction) -> None:
        if tx._closed:
            raise InvalidRequestError("this savepoint is already committed or rolled back")
        self.flush()
        tx._savepoint.commit()
        self._close_savepoints_from(tx)

    def _rollback_savepoint(self, tx: SessionTransaction) -> None:
        if tx._closed:
            return
        try:
            tx._savepoint.rollback()
        finally:
            self._close_savepoints_from(tx)
        # The database now holds the savepoint's state; undo in memory what came since.
        self._failed = None
        self._restore_after_rollback(tx._inserted_before, tx._deleted_before)

    def in_transaction(self) -> bool:
        return self._transaction is not None or self._lease_ is not None

    def get_transaction(self) -> SessionTransaction | None:
        # Session.get's first read of a transaction takes a lease without making the
        # SessionTransaction (a session made per lookup never asks for it): made here.
        if self._transaction is None and self._lease_ is not None:
            self._transaction = SessionTransaction(self)
        return self._transaction

    @property
    def is_active(self) -> bool:
        return self._failed is None

    def get_bind(self, mapper: Any = None, clause: Any = None, **kw: Any) -> Any:
        if self.bind is None:
            raise InvalidRequestError(
                "This session is not bound to an engine; create it with Session(engine) or "
                "sessionmaker(bind=engine)"
            )
        return self.bind

    def connection(self, **kw: Any) -> Any:
        """The connection of the current transaction (begun if needed)."""
        self._check_failed()
        self._autobegin()
        return self._connection()

    def _connection(self) -> Any:
        if self._cascade_pending:
            self._resolve_cascades()
        conn = self._connection_
        if conn is None:
            leased = self._lease_
            if leased is not None:
                if self._transaction is None:
                    self._transaction = SessionTransaction(self)
                self._lease_ = None
                conn = self._connection_ = lease.adopt(leased)
                self._db_transaction = conn.get_transaction()
                return conn
            self._autobegin()
            bind = self.get_bind()
            if hasattr(bind, "connect"):
                conn = bind.connect()
                self._db_transaction = conn.begin()
            else:
                # Session(connection): join the caller's transaction if one is open (the
                # caller commits it), else run our own on that connection
                conn = bind
                in_tx = getattr(conn, "in_transaction", None)
                self._db_transaction = None if in_tx is not None and in_tx() else conn.begin()
            self._connection_ = conn
        return conn

    def _end_db_transaction(self, commit: bool) -> None:
        if self._savepoints:
            for tx in self._savepoints:
                tx._closed = True
            self._savepoints.clear()
        conn = self._connection_
        if conn is None:
            leased = self._lease_
            if leased is None:
                return
            self._lease_ = None
            if leased[1].end(leased[2], commit):  # the pool ends the lease (tether.engine.lease)
                return
            # the driver failed: end it through a Connection, which wraps the error
            conn = self._connection_ = lease.adopt(leased)
            self._db_transaction = conn.get_transaction()
        trans = self._db_transaction
        self._connection_ = None
        self._db_transaction = None
        try:
            if trans is not None:
                if commit:
                    trans.commit()
                else:
                    trans.rollback()
        finally:
            if hasattr(conn, "close") and conn is not self.bind:
                conn.close()

    def commit(self) -> None:
        """Flush, commit the transaction, and (by default) expire every object."""
        self._check_failed()
        if self._transaction is None:
            self._autobegin()
        if events.active:
            self._fire("before_commit", self)
        self.flush()
        self._end_db_transaction(commit=True)
        self._transaction = None
        self._tx_inserted.clear()
        if self._tx_deleted:
            detach(list(self._tx_deleted), DETACHED_EXPUNGED, deleted=True)
            self._tx_deleted.clear()
        if self.expire_on_commit:
            self._expire_all_by_commit()
        if events.active:
            self._fire("after_commit", self)

    def _fire(self, identifier: str, *values: Any) -> None:
        """Run the listeners of this session, its class and its sessionmaker (``event``)."""
        targets = events.class_targets(self)
        if self._tether_maker is not None:
            targets += (self._tether_maker,)
        events.fire(targets, identifier, *values)

    def _expire_all_by_commit(self) -> None:
        """``_expire_state(state, None, by_commit=True)`` for every object in the identity
        map (``state.expire_all_by_commit``)."""
        expire_all_by_commit(list(self.identity_map.values()), self._modified)

    def rollback(self) -> None:
        """Roll back the transaction: new objects become transient again, changed objects
        reload their database values on next access."""
        try:
            self._end_db_transaction(commit=False)
        finally:
            self._transaction = None
            self._failed = None
            self._restore_after_rollback()
        if events.active:
            self._fire("after_rollback", self)

    def _restore_after_rollback(self, inserted_before: Iterable[Any] = (),
                                deleted_before: Iterable[Any] = ()) -> None:
        """Undo in memory what the rolled-back transaction (or savepoint) did: objects
        written or added in it become transient, objects deleted in it come back, and every
        object reloads its values on next access. ``inserted_before``/``deleted_before``: the
        states a savepoint found already written/deleted, which it leaves alone."""
        keep_inserted, keep_deleted = set(inserted_before), set(deleted_before)
        for state in [st for st in self._tx_inserted if st not in keep_inserted] + list(
                self._new):
            if state.key is not None:
                self.identity_map.pop(state.key, None)
            state.key = None
            state.session = None
            state.reset_history()
            self._tx_inserted.pop(state, None)
        self._new.clear()
        for state, obj in [(st, o) for st, o in self._tx_deleted.items()
                           if st not in keep_deleted]:
            state.marked_deleted = False
            state.flushed_deleted = False
            state.was_deleted = False
            if state.key is not None:
                self.identity_map[state.key] = obj
                state.session = self
            del self._tx_deleted[state]
        for state in list(self._deleted):
            state.marked_deleted = False
        self._deleted.clear()
        self._cascade_pending.clear()
        self._modified.clear()
        for obj in list(self.identity_map.values()):
            self._expire_state(instance_state(obj), None)

    def close(self) -> None:
        """Roll back any transaction and detach every object."""
        self._close()

    def _close(self, exc_type: Any = None, exc: Any = None, tb: Any = None) -> None:
        leased = self._lease_
        if leased is not None:
            # a lease (no Connection, hence no savepoint) ends without the general path
            self._lease_ = None
            if not leased[1].end(leased[2], False):
                self._lease_ = leased
                self._end_db_transaction(commit=False)
        elif self._connection_ is not None or self._savepoints:
            self._end_db_transaction(commit=False)
        self._transaction = None
        if self._failed is not None:
            self._failed = None
        if self._tx_inserted:
            self._tx_inserted.clear()
        if self._tx_deleted:
            self._tx_deleted.clear()
        # expunge_all() and detach() inline (C-level maps, no comprehension's frame)
        identity_map = self.identity_map
        maps = identity_map._maps
        if maps:
            for objs, _ in maps.values():
                for st in map(_state_of, map(_dict_of, objs.values())):
                    st.session = None
                    st._flags = (st._flags & _KEEP_FLAGS) | _CLOSED_BITS
            identity_map._maps = {}  # IdentityMap.reset, inline
            identity_map.loaders = identity_map.marks = None
        if self._new or self._deleted or self._modified or self._cascade_pending:
            self._forget_pending(DETACHED_CLOSED)

    __exit__ = _close  # close()'s body itself: one call fewer per ``with Session(...)``

    def reset(self) -> None:
        self.close()

    # --- flush -------------------------------------------------------------------------------
    def flush(self, objects: Any = None) -> None:
        """Write pending changes to the database.

        Raises the database error if a statement fails; the transaction is then rolled back
        and the session raises PendingRollbackError until ``rollback()``.
        """
        self._check_failed()
        if self._flushing:
            raise InvalidRequestError("Session is already flushing")
        if self._cascade_pending:
            self._resolve_cascades()
        if not (self._new or self._deleted or self._modified):
            return
        if events.active:
            self._fire("before_flush", self, None, objects)
            if not (self._new or self._deleted or self._modified):
                return
        self._own_tx_records()
        self._flushing = True
        try:
            work = unitofwork.flush(self, self._after_flush if events.active else None)
        except BaseException as err:
            self._failed = err
            try:
                self._end_db_transaction(commit=False)
            except Exception:  # pragma: no cover - the original error matters more
                pass
            raise
        finally:
            self._flushing = False
        if events.active:
            self._fire("after_flush_postexec", self, work)

    def _after_flush(self, work: Any) -> None:
        # Every statement ran; as in SQLAlchemy the listeners still see the inserted
        # objects in session.new (the flush already took them out of the pending dict).
        self._flush_in_event = work
        try:
            self._fire("after_flush", self, work)
        finally:
            self._flush_in_event = None

    def _autoflush(self) -> None:
        if self.autoflush and not self._flushing and not self._no_autoflush:
            if self._new or self._deleted or self._modified:
                self.flush()

    @property
    @contextmanager
    def no_autoflush(self) -> Iterator[Session]:
        """``with session.no_autoflush:`` suspends autoflush inside the block."""
        self._no_autoflush += 1
        try:
            yield self
        finally:
            self._no_autoflush -= 1

    # --- adding and removing objects --------------------------------------------------------
    def add(self, instance: Any, _warn: bool = True) -> None:
        """Place ``instance`` (and, by cascade, related objects) in the session."""
        if self._failed is not None:
            self._check_failed()
        if self._cascade_pending:
            self._resolve_cascades()
        state = self._state(instance)
        self._save_or_update(state, instance)
        self._cascade_from(state, instance)

    def add_all(self, instances: Iterable[Any]) -> None:
        for obj in instances:
            self.add(obj)

    def _state(self, instance: Any) -> InstanceState:
        try:
            return instance_state(instance)
        except UnmappedInstanceError:
            raise
        except AttributeError:
            raise UnmappedInstanceError(
                f"{instance!r} is not a mapped object; only instances of mapped classes "
                "can be added to a session"
            ) from None

    def _save_or_update(self, state: InstanceState, obj: Any) -> bool:
        """Attach one object; True when it was not in this session before."""
        owner = state.session
        if owner is self:
            if state.flushed_deleted:
                raise InvalidRequestError(
                    f"{type(obj).__name__} object has been deleted (its DELETE already ran in "
                    "this transaction); make_transient() it to add it as a new row"
                )
            if state.marked_deleted and state in self._deleted:
                # add() after delete() before flush: undo the delete
                del self._deleted[state]
                state.marked_deleted = False
            return False
        if owner is not None:
            raise InvalidRequestError(
                f"{type(obj).__name__} object is already attached to another session; "
                "expunge it there (or close that session) first, or use merge()"
            )
        if state.ident is None:  # (the identity key, without making its tuple)
            state.session = self
            new = self._new
            if new is NO_PENDING:
                new = self._new = {}
            new[state] = obj
            if self._transaction is None:
                self._autobegin()
        else:
            if state.marked_deleted or state.was_deleted:
                raise InvalidRequestError(
                    f"{type(obj).__name__} object was deleted; make_transient() it to add it again"
                )
            key = state.key
            assert key is not None  # (ident is set)
            existing = self.identity_map.get(key)
            if existing is not None and existing is not obj:
                raise InvalidRequestError(
                    f"Can't attach {type(obj).__name__} with identity {key[1]!r}: another "
                    "object with that key is already in this session; use merge() instead"
                )
            self.identity_map[key] = obj
            state.session = self
            state.detached_reason = None
            if state.modified:
                add_modified(self, state)
        return True

    def _cascade_add(self, obj: Any) -> None:
        """save-update cascade from an attribute event: ``obj`` joins this session."""
        state = instance_state(obj)
        if state.session is self:
            return
        if self._save_or_update(state, obj):
            self._cascade_from(state, obj)

    def _cascade_from(self, state: InstanceState, obj: Any) -> None:
        # breadth first, so objects get their insert order level by level as SQLAlchemy
        # users see it (parents, then all their children, then grandchildren); the list
        # grows while it is walked
        queue = [state]
        seen = {id(obj)}
        joined = {state}  # states this walk attached (the first one by the caller)
        new = self._new
        if new is NO_PENDING:
            new = self._new = {}
        see, join, walk = seen.add, joined.add, queue.append
        for st in queue:
            d = st.obj.__dict__
            mapper = st.mapper
            keys = mapper.__dict__.get("_save_update_keys")
            if keys is None:
                keys = session_plans.save_update_keys(mapper)
            for key, uselist in keys:
                value = d.get(key)
                if value is None:
                    # A collection not loaded (or never loaded: lazy="dynamic") may have
                    # gained members in memory while its object was outside the session;
                    # they join with it. (An object already in the session cascaded its
                    # members as they came, so its history is not walked again.)
                    colls = st.collections
                    hist = colls.get(key) if colls and st in joined else None
                    if hist is None or not hist.added:
                        continue
                    value = list(hist.added.values())
                elif not uselist:
                    if id(value) in seen:  # (the usual many-to-one: back where we came from)
                        continue
                    value = (value,)
                for item in value:
                    if item is None:
                        continue
                    i = id(item)
                    if i in seen:
                        continue
                    see(i)
                    try:
                        ist = item.__dict__[STATE_KEY]
                    except (KeyError, AttributeError):
                        ist = None
                    if not ist:  # none yet, or a loaded object's (falsy) mark
                        ist = instance_state(item)
                    if ist.session is not self:
                        join(ist)
                        if (ist.session is None and ist.ident is None
                                and self._transaction is not None):
                            # a transient object becomes pending, as _save_or_update does
                            ist.session = self
                            new[ist] = item
                        else:
                            self._save_or_update(ist, item)
                    walk(ist)

    def delete(self, instance: Any) -> None:
        """Mark a persistent object for deletion at the next flush (cascading ``delete``).

        Relationships the cascade has to load are loaded for all objects deleted in a row at
        once, before the session's next other operation (``tether.orm.deletecascade``).
        Raises InvalidRequestError for an object that was never saved.
        """
        self._check_failed()
        state = self._state(instance)
        if state.key is None:
            raise InvalidRequestError(
                f"{type(instance).__name__} object is not persisted (it was never flushed), "
                "so it cannot be deleted; use expunge() to remove a pending object"
            )
        if state.session is None:
            self._save_or_update(state, instance)
        elif state.session is not self:
            raise InvalidRequestError("object is attached to another session")
        deletecascade.mark(self, [instance], set())

    def _resolve_cascades(self) -> None:
        """Finish the cascades ``delete()`` left waiting (loading their relationships)."""
        if self._cascade_resolving or not self._cascade_pending:
            return
        self._cascade_resolving = True
        try:
            # loading the children to cascade to must not flush a half-marked graph
            with self.no_autoflush:
                deletecascade.resolve(self)
        finally:
            self._cascade_resolving = False

    def expunge(self, instance: Any) -> None:
        """Remove ``instance`` from the session (it becomes detached, or transient if new)."""
        if self._cascade_pending:
            self._resolve_cascades()
        state = self._state(instance)
        if state.session is not self:
            raise InvalidRequestError(f"{type(instance).__name__} object is not in this session")
        self._expunge_state(state, DETACHED_EXPUNGED)
        for prop in state.mapper.relationships.values():
            if "expunge" in prop.cascade:
                value = instance.__dict__.get(prop.key)
                items = list(value) if prop.uselist and value is not None else (
                    [value] if value is not None else []
                )
                for item in items:
                    if instance_state(item).session is self:
                        self.expunge(item)

    def _expunge_state(self, state: InstanceState, reason: str) -> None:
        self._new.pop(state, None)
        self._deleted.pop(state, None)
        self._modified.discard(state)
        if state.key is not None and self.identity_map.get(state.key) is state.obj:
            del self.identity_map[state.key]
        state.session = None
        state.detached_reason = reason

    def expunge_all(self) -> None:
        """Detach every object (the transaction goes on)."""
        identity_map = self.identity_map
        detach(map(_state_of, map(_dict_of, identity_map.values())), DETACHED_EXPUNGED)
        identity_map.reset()
        self._forget_pending(DETACHED_EXPUNGED)

    def _forget_pending(self, reason: str) -> None:
        """Detach the new and deleted objects and forget every pending change."""
        if self._new:
            detach(self._new, reason)
            self._new.clear()
        if self._deleted:
            for st in self._deleted:
                st.session = None
            self._deleted.clear()
        if self._modified:
            self._modified.clear()
        if self._cascade_pending:
            self._cascade_pending.clear()

    # --- expiry and refresh -----------------------------------------------------------------
    def _load_related(self, statement: Any, params: dict[str, Any], mapper: Mapper) -> list[Any]:
        """Run a lazy-load statement and turn its rows into objects (autoflushes first)."""
        self._check_failed()
        self._autoflush()
        objs = loading.instances(self, mapper, self._connection()._rows(statement, params))
        if objs and loading.has_eager(mapper):
            from tether.orm.options import apply_loading

            with self.no_autoflush:
                apply_loading(self, mapper, objs, {}, 1)
        return objs

    # --- reading --------------------------------------------------------------------------
    def get(self, entity: Any, ident: Any, *, options: Any = None, populate_existing: bool = False,
            with_for_update: Any = None, identity_token: Any = None,
            execution_options: Any = None) -> Any:
        """The object with primary key ``ident`` (from the identity map if present), or None."""
        try:  # (a try costs nothing until it catches; getattr's call with a default does)
            mapper: Mapper | None = entity.__mapper__
        except AttributeError:
            mapper = None
        if mapper is None or mapper.registry._dirty:
            mapper = _mapper_of(entity)
        if type(ident) is not tuple:
            if not isinstance(ident, _KEY_CONTAINERS):
                # one value: right when the key has one column (no tuple lengths to compare)
                ident = (ident,)
                count_ok = mapper.single_pk
            else:
                # map, not a generator expression (which would make ``ident`` a closure cell)
                ident = (tuple(map(ident.__getitem__, mapper.pk_keys))
                         if isinstance(ident, dict) else tuple(ident))
                count_ok = len(ident) == len(mapper.primary_key)
        else:
            count_ok = len(ident) == len(mapper.primary_key)
        if not count_ok:
            raise InvalidRequestError(
                f"get() of {mapper.class_.__name__} needs {len(mapper.primary_key)} primary key "
                f"value(s) ({', '.join(mapper.pk_keys)}); got {len(ident)}"
            )
        if self._cascade_pending:
            self._resolve_cascades()
        # the identity map's probe inlined (Session.get is its hottest caller)
        entry = self.identity_map._maps.get(mapper.identity_class)
        if entry is not None:
            try:
                obj = entry[0].get(ident[0] if entry[1] else ident)
            except TypeError:  # an unhashable key is in no map
                obj = None
            if obj is not None and not populate_existing:
                state = obj.__dict__[STATE_KEY]
                if state.__class__ is LoadedMark:  # loaded and untouched since: persistent
                    return obj
                if state.marked_deleted:
                    return None
                if state.expired:
                    try:
                        self._load_unloaded(state)
                    except ObjectDeletedError:
                        return None
                return obj
        if self._failed is not None:
            self._check_failed()
        if self._new or self._deleted or self._modified:
            self._autoflush()
        plan = mapper.statement_cache.get("get_plan") or session_plans.get_plan(mapper)
        if options or plan[2]:
            # loader options or eager lazy= defaults: the ORM select path loads them
            stmt = plan[0].options(*options) if options else plan[0]
            return self.execute(stmt, dict(zip(plan[1], ident))).scalars().unique().first()
        # The plan's compiled SELECT runs on the session's Connection, or else on its lease,
        # taken when this begins the transaction on an engine that needs no Connection
        # (``lease.take``; no SessionTransaction made, see get_transaction).
        conn = self._connection_
        if conn is None:
            leased = self._lease_
            if leased is None:
                bind = self.bind
                if (self._transaction is not None or self.autobegin) and isinstance(
                        bind, Engine):
                    leased = self._lease_ = lease.take(bind)
            if leased is not None:
                dialect = leased[0].dialect
                compiled, args = (plan[3].get(dialect)
                                  or session_plans.get_compiled(plan, dialect))
                args = ident if args is None else args(ident)
                try:
                    row = lease.first_row(leased, compiled, args)
                except Exception as error:  # wrapped by a Connection (which may invalidate)
                    raise self._connection()._wrap(error, compiled.string, args) from error
                return None if row is None else plan[4](self, row)
            # a Connection (it raises as before when autobegin is off and no transaction
            # was begun, or the session has no bind)
            conn = self._connection()
        compiled, args = plan[3].get(conn.dialect) or session_plans.get_compiled(
            plan, conn.dialect)
        rows = conn._compiled_rows(compiled, ident if args is None else args(ident))
        return plan[4](self, rows[0]) if rows else None

    def get_one(self, entity: Any, ident: Any, **kw: Any) -> Any:
        obj = self.get(entity, ident, **kw)
        if obj is None:
            from tether.exc import NoResultFound

            raise NoResultFound(f"No {getattr(entity, '__name__', entity)} with primary key {ident!r}")
        return obj

    def execute(self, statement: Any, params: Any = None, *, execution_options: Any = None,
                bind_arguments: Any = None, **kw: Any) -> Any:
        """Run a statement; a select of mapped classes returns objects."""
        conn, mapper, objects = session_execute.execute_plain(self, statement, params)
        if mapper is None:
            return session_execute.execute_general(self, conn, statement, params)
        orm_result = loading.ORMResult(None, [mapper.class_.__name__], objects)
        orm_result._groups = [(mapper, objects)]
        return orm_result

    def bulk_insert_mappings(self, mapper: Any, mappings: Iterable[dict[str, Any]],
                             return_defaults: bool = False, render_nulls: bool = False) -> None:
        """INSERT a row per dict, without making objects (legacy bulk API)."""
        self._check_failed()
        bulk.bulk_insert_mappings(self, _mapper_of(mapper), mappings, return_defaults)

    def bulk_update_mappings(self, mapper: Any, mappings: Iterable[dict[str, Any]]) -> None:
        """Write each dict's values to the row its primary key names (legacy bulk API)."""
        self._check_failed()
        bulk.update_by_primary_key(self, _mapper_of(mapper), list(mappings))

    def bulk_save_objects(self, objects: Iterable[Any], return_defaults: bool = False,
                          update_changed_only: bool = True, preserve_order: bool = True) -> None:
        """Write the objects' rows without adding them to the session (legacy bulk API)."""
        self._check_failed()
        bulk.bulk_save_objects(self, objects, return_defaults, update_changed_only)

    def scalars(self, statement: Any, params: Any = None, **kw: Any) -> Any:
        conn, mapper, objects = session_execute.execute_plain(self, statement, params)
        if mapper is None:
            return session_execute.execute_general(self, conn, statement, params).scalars()
        return loading.ScalarResult(objects)

    def scalar(self, statement: Any, params: Any = None, **kw: Any) -> Any:
        return self.execute(statement, params, **kw).scalar()

    def query(self, *entities: Any, **kw: Any) -> Any:
        """The legacy ``session.query(...)`` API (see ``tether.orm.query``)."""
        from tether.orm.query import Query

        return Query(entities, self)

    # --- merge ----------------------------------------------------------------------------------
    def merge(self, instance: Any, *, load: bool = True, options: Any = None) -> Any:
        """Copy ``instance``'s state onto the persistent object with the same identity
        (loaded or created) and return that object."""
        self._check_failed()
        if self._cascade_pending:
            self._resolve_cascades()  # the identity map as delete() would have left it
        from tether.orm.merge import merge_into

        return merge_into(self, instance, load, {})

    # --- inspection -----------------------------------------------------------------------------
    def __contains__(self, instance: Any) -> bool:
        state = instance.__dict__.get(STATE_KEY)
        if state.__class__ is LoadedMark:
            return state.session is self  # type: ignore[no-any-return]
        return state is not None and state.session is self and not state.flushed_deleted

    def __iter__(self) -> Iterator[Any]:
        self._resolve_cascades()
        return iter(list(self._new.values()) + list(self.identity_map.values()))

    @property
    def new(self) -> list[Any]:
        work = self._flush_in_event
        if work is not None:  # in after_flush: the objects this flush inserted
            return [st.obj for st in work.inserted]
        return list(self._new.values())

    @property
    def deleted(self) -> list[Any]:
        self._resolve_cascades()
        return list(self._deleted.values())

    @property
    def dirty(self) -> list[Any]:
        self._resolve_cascades()
        return [s.obj for s in self._modified if s.key is not None and not s.marked_deleted]

    def is_modified(self, instance: Any, include_collections: bool = True) -> bool:
        state = self._state(instance)
        d = instance.__dict__
        for key, old in state.committed.items():
            if old is NO_VALUE or d.get(key, NO_VALUE) is not old and d.get(key) != old:
                return True
        if include_collections and state.collections:
            return any(h.added or h.removed for h in state.collections.values())
        return False

    def close_all(self) -> None:
        self.close()

    def enable_relationship_loading(self, obj: Any) -> None:
        raise InvalidRequestError("enable_relationship_loading() is not supported")

