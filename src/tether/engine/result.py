"""Results of executed statements: :class:`Result`, :class:`Row`, :class:`ScalarResult`,
:class:`MappingResult` and :class:`RowMapping`.

Rows are cheap because everything about a result's *shape* is worked out once: for each
tuple of column keys there is one ``tuple`` subclass whose attributes are ``itemgetter``
properties, and for each compiled statement one generated function turns a driver row into
that class, running the type result processors only on the columns that have one (and never
on NULL). A ``Row`` is therefore a real tuple with no per-row dictionary.

The engine fetches a statement's rows from the driver at once and closes the cursor (the
drivers tether uses buffer client-side anyway); the result then hands them out in any of the
styles below. Methods that return one row (``first``, ``one``, ``scalar``, ...) close the
result, as SQLAlchemy's do.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import partial
from operator import itemgetter
from typing import Any

from tether import exc

__all__ = [
    "MappingResult",
    "Result",
    "ResultMetaData",
    "Row",
    "RowMapping",
    "ScalarResult",
    "row_class",
]

_AMBIGUOUS = -1


def _rebuild_row(keys: tuple[str, ...], values: tuple[Any, ...]) -> Row:
    return tuple.__new__(row_class(keys), values)  # type: ignore[no-any-return]


class Row(tuple):  # type: ignore[type-arg]
    """One result row: a tuple whose values are also attributes named by column key."""

    __slots__ = ()
    #: The column keys, in order (may repeat when two columns share a name).
    _fields: tuple[str, ...] = ()
    #: key -> position; ``-1`` for a key that two columns share.
    _key_index: dict[str, int] = {}

    @property
    def _mapping(self) -> RowMapping:
        """The row as a read-only mapping of column key -> value."""
        return RowMapping(self)

    @property
    def _t(self) -> tuple[Any, ...]:
        """The row as a plain tuple."""
        return tuple(self)

    def _tuple(self) -> tuple[Any, ...]:
        return tuple(self)

    def _asdict(self) -> dict[str, Any]:
        """A new dict of column key -> value."""
        return dict(zip(self._fields, self))

    def __getattr__(self, name: str) -> Any:
        # Only reached when no per-shape property matched.
        if self._key_index.get(name) == _AMBIGUOUS:
            raise exc.InvalidRequestError(_ambiguous_message(name, self._fields))
        raise AttributeError(
            f"Row has no column {name!r}; its columns are: {', '.join(self._fields) or '(none)'}"
        )

    def __reduce__(self) -> Any:
        return (_rebuild_row, (self._fields, tuple(self)))

    def __repr__(self) -> str:
        return tuple.__repr__(self)


def _ambiguous_message(name: str, fields: Sequence[str]) -> str:
    return (
        f"Column key {name!r} is ambiguous in this row: {list(fields).count(name)} columns "
        f"share it. Read it by position (row[i]) or give the columns distinct labels "
        f"with .label()."
    )


def _ambiguous_property(name: str, fields: tuple[str, ...]) -> property:
    def get(row: Row) -> Any:
        raise exc.InvalidRequestError(_ambiguous_message(name, fields))

    return property(get)


_ROW_CLASSES: dict[tuple[str, ...], type[Row]] = {}
_RESERVED = frozenset(dir(Row))


def row_class(keys: Sequence[str]) -> type[Row]:
    """The Row subclass for these column keys (made once per distinct tuple of keys)."""
    keys = tuple(keys)
    cls = _ROW_CLASSES.get(keys)
    if cls is not None:
        return cls
    index: dict[str, int] = {}
    for i, key in enumerate(keys):
        index[key] = _AMBIGUOUS if key in index else i
    namespace: dict[str, Any] = {"__slots__": (), "_fields": keys, "_key_index": index}
    for key, i in index.items():
        if not isinstance(key, str) or key in _RESERVED:
            continue  # tuple methods and Row's own names win; use row._mapping[key]
        namespace[key] = (
            _ambiguous_property(key, keys) if i == _AMBIGUOUS else property(itemgetter(i))
        )
    cls = type("Row", (Row,), namespace)
    cls.__module__ = __name__
    # Several threads may race here; any of the identical classes is fine.
    return _ROW_CLASSES.setdefault(keys, cls)


class RowMapping(Mapping[Any, Any]):
    """A row seen as a mapping: ``row._mapping["name"]`` or ``row._mapping[table.c.name]``."""

    __slots__ = ("_row",)

    def __init__(self, row: Row) -> None:
        self._row = row

    def _index(self, key: Any) -> int:
        index = self._row._key_index
        if isinstance(key, str):
            i = index.get(key)
        else:
            # A Column or labelled expression: find it by its key, then by its name.
            i = None
            for attr in ("key", "name"):
                name = getattr(key, attr, None)
                if isinstance(name, str) and name in index:
                    i = index[name]
                    break
        if i is None:
            raise exc.NoSuchColumnError(
                f"No column {key!r} in this row; its columns are: "
                f"{', '.join(self._row._fields) or '(none)'}"
            )
        if i == _AMBIGUOUS:
            raise exc.InvalidRequestError(_ambiguous_message(str(key), self._row._fields))
        return i

    def __getitem__(self, key: Any) -> Any:
        return self._row[self._index(key)]

    def __contains__(self, key: object) -> bool:
        return key in self._row._key_index

    def __iter__(self) -> Iterator[str]:
        return iter(self._row._key_index)

    def __len__(self) -> int:
        return len(self._row._key_index)

    def __repr__(self) -> str:
        return repr(dict(self.items()))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return dict(self.items()) == dict(other.items())
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._row)


class ResultMetaData:
    """What one result shape needs: keys, Row class, and the driver-row -> Row function."""

    __slots__ = ("keys", "row_cls", "make_row", "processors", "processes")

    def __init__(
        self, keys: Sequence[str], processors: Sequence[Callable[[Any], Any] | None] | None = None
    ) -> None:
        self.keys: tuple[str, ...] = tuple(keys)
        self.row_cls = row_class(self.keys)
        procs = tuple(processors) if processors else ()
        self.processors: tuple[Callable[[Any], Any] | None, ...] = procs
        #: Whether some column has a processor (else driver rows are already final).
        self.processes = any(procs)
        self.make_row: Callable[[Any], Row] = _row_maker(self.row_cls, procs)

    def value_getter(self, index: int) -> Callable[[Any], Any]:
        """Function: driver row -> processed value of column ``index``."""
        proc = self.processors[index] if index < len(self.processors) else None
        if proc is None:
            return itemgetter(index)

        def get(raw: Any) -> Any:
            value = raw[index]
            return None if value is None else proc(value)

        return get


def _row_maker(cls: type[Row], processors: tuple[Any, ...]) -> Callable[[Any], Row]:
    """A generated function building a ``cls`` from a driver row, applying processors."""
    new = tuple.__new__
    if not any(processors):
        # partial() calls tuple.__new__ without a Python frame per row.
        return partial(new, cls)  # type: ignore[return-value]
    # One expression per column, compiled once per shape: cheaper than a per-row loop.
    names: dict[str, Any] = {"new": new, "cls": cls}
    parts = []
    for i in range(len(cls._fields)):
        proc = processors[i] if i < len(processors) else None
        if proc is None:
            parts.append(f"r[{i}]")
        else:
            names[f"p{i}"] = proc
            parts.append(f"(None if (v{i} := r[{i}]) is None else p{i}(v{i}))")
    source = f"def make_row(r):\n    return new(cls, ({', '.join(parts)},))\n"
    exec(compile(source, "<tether row maker>", "exec"), names)
    return names["make_row"]  # type: ignore[no-any-return]


_NO_ROWS_MESSAGE = (
    "This result does not return rows: the statement was not a SELECT and had no "
    "RETURNING clause. The result has been closed."
)


class _Fetcher:
    """Shared fetch logic: items come from the root result's driver rows through
    ``_transform``, optionally de-duplicated."""

    _source: Result
    _transform: Callable[[Any], Any]
    _unique_key: Callable[[Any], Any] | None = None
    _seen: set[Any] | None = None

    def _take(self, n: int | None) -> list[Any]:
        src = self._source
        raw = src._raw_rows()
        pos = src._pos
        if self._seen is None:
            end = len(raw) if n is None else min(pos + n, len(raw))
            src._pos = end
            if pos == 0 and end == len(raw):
                return list(map(self._transform, raw))
            return list(map(self._transform, itertools.islice(raw, pos, end)))
        out: list[Any] = []
        seen = self._seen
        keyfn = self._unique_key
        transform = self._transform
        total = len(raw)
        while pos < total and (n is None or len(out) < n):
            item = transform(raw[pos])
            pos += 1
            key = keyfn(item) if keyfn is not None else item
            try:
                if key in seen:
                    continue
                seen.add(key)
            except TypeError:
                raise exc.InvalidRequestError(
                    "unique() needs hashable rows, but this row has an unhashable value "
                    f"(such as a list or dict): {item!r}. Pass unique(strategy=...) with a "
                    "function returning a hashable key."
                ) from None
            out.append(item)
        src._pos = pos
        return out

    def _set_unique(self, strategy: Callable[[Any], Any] | None) -> None:
        self._seen = set()
        self._unique_key = strategy

    # --- fetching --------------------------------------------------------------------
    def all(self) -> list[Any]:
        """Every remaining item."""
        return self._take(None)

    def fetchall(self) -> list[Any]:
        return self._take(None)

    def fetchmany(self, size: int | None = None) -> list[Any]:
        """Up to ``size`` items (default 1)."""
        return self._take(size if size is not None else 1)

    def fetchone(self) -> Any:
        """The next item, or None when there is none left."""
        items = self._take(1)
        return items[0] if items else None

    def partitions(self, size: int | None = None) -> Iterator[list[Any]]:
        """Lists of up to ``size`` items (default 100) until none are left."""
        size = size or 100
        while True:
            chunk = self._take(size)
            if not chunk:
                return
            yield chunk

    def first(self) -> Any:
        """The first item or None; closes the result."""
        items = self._take(1)
        self._source.close()
        return items[0] if items else None

    def one_or_none(self) -> Any:
        """The only item, or None when there is none; raises MultipleResultsFound when
        there are several. Closes the result."""
        items = self._take(2)
        self._source.close()
        if len(items) > 1:
            raise exc.MultipleResultsFound(
                "Multiple rows were found when one or none was required."
            )
        return items[0] if items else None

    def one(self) -> Any:
        """The only item; raises NoResultFound or MultipleResultsFound otherwise. Closes
        the result."""
        items = self._take(2)
        self._source.close()
        if not items:
            raise exc.NoResultFound("No row was found when one was required.")
        if len(items) > 1:
            raise exc.MultipleResultsFound(
                "Multiple rows were found when exactly one was required."
            )
        return items[0]

    def __iter__(self) -> Iterator[Any]:
        if self._seen is not None:
            while True:
                items = self._take(1)
                if not items:
                    return
                yield items[0]
        src = self._source
        raw = src._raw_rows()
        transform = self._transform
        while src._pos < len(raw):
            item = raw[src._pos]
            src._pos += 1
            yield transform(item)

    def __next__(self) -> Any:
        items = self._take(1)
        if not items:
            raise StopIteration
        return items[0]


class Result(_Fetcher):
    """The outcome of ``Connection.execute``: rows (if the statement returns any), the
    row count, and for an INSERT the new primary key."""

    def __init__(
        self,
        metadata: ResultMetaData | None,
        rows: list[Any] | None,
        rowcount: int = -1,
        lastrowid: Any = None,
        inserted_primary_key: tuple[Any, ...] | None = None,
        is_insert: bool = False,
        inserted_primary_key_rows: list[tuple[Any, ...]]
        | Callable[[], list[tuple[Any, ...]]] | None = None,
    ) -> None:
        self._metadata = metadata
        self._rows = rows if rows is not None else []
        self._pos = 0
        self._closed = False
        self._source = self
        self._transform = metadata.make_row if metadata is not None else _identity
        self.rowcount = rowcount
        self.lastrowid = lastrowid
        self.is_insert = is_insert
        self._inserted_pk = inserted_primary_key
        self._inserted_pk_rows: Any = inserted_primary_key_rows

    # --- state -----------------------------------------------------------------------
    def _raw_rows(self) -> list[Any]:
        if self._closed:
            if self._metadata is None:
                raise exc.ResourceClosedError(_NO_ROWS_MESSAGE)
            raise exc.ResourceClosedError("This result is closed; it can return no more rows.")
        if self._metadata is None:
            self._closed = True
            raise exc.ResourceClosedError(_NO_ROWS_MESSAGE)
        return self._rows

    @property
    def returns_rows(self) -> bool:
        """True when the statement produced rows (SELECT, or DML with RETURNING)."""
        return self._metadata is not None

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Release the rows; further fetches raise ResourceClosedError."""
        self._closed = True
        self._rows = []

    def __enter__(self) -> Result:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def keys(self) -> list[str]:
        """The column keys, in order (empty for a statement returning no rows)."""
        return list(self._metadata.keys) if self._metadata is not None else []

    @property
    def inserted_primary_key(self) -> tuple[Any, ...]:
        """The primary key of the row a single-row INSERT made, as a Row."""
        if not self.is_insert:
            raise exc.InvalidRequestError(
                "inserted_primary_key is only available after an insert() statement."
            )
        if self._inserted_pk is None:
            raise exc.InvalidRequestError(
                "inserted_primary_key is not available: the insert ran with a list of "
                "parameter sets (executemany); use inserted_primary_key_rows."
            )
        return self._inserted_pk

    @property
    def inserted_primary_key_rows(self) -> list[tuple[Any, ...]]:
        if not self.is_insert:
            raise exc.InvalidRequestError(
                "inserted_primary_key_rows is only available after an insert() statement."
            )
        rows = self._inserted_pk_rows
        if rows is not None:
            if callable(rows):  # made on first use (the ORM's flush never asks)
                rows = self._inserted_pk_rows = rows()
            return rows
        return [self._inserted_pk] if self._inserted_pk is not None else []

    def _raw_all(self) -> list[Any]:
        """Every remaining row as a tuple with result processors applied, for tether's own
        loaders (the ORM), which index rows by position. Without processors this is the
        driver's own list of plain tuples, not copied. The result lets go of its rows, so
        the caller's list is the only one: the ORM may free rows while it turns them into
        objects."""
        raw = self._raw_rows()
        rest = raw if self._pos == 0 else raw[self._pos :]
        self._rows = []
        self._pos = 0
        meta = self._metadata
        if meta is None or not meta.processes:
            return rest
        return list(map(meta.make_row, rest))  # Rows are tuples; made by generated code

    # --- shaping ---------------------------------------------------------------------
    def unique(self, strategy: Callable[[Any], Any] | None = None) -> Result:
        """Drop rows equal to one already returned (or with the same ``strategy(row)``)."""
        self._set_unique(strategy)
        return self

    def columns(self, *cols: int | str) -> Result:
        """Keep only these columns (by position or key), in this order."""
        meta = self._metadata
        if meta is None:
            raise exc.ResourceClosedError(_NO_ROWS_MESSAGE)
        positions = []
        for col in cols:
            if isinstance(col, int):
                positions.append(col)
            else:
                positions.append(RowMapping(tuple.__new__(meta.row_cls, meta.keys))._index(col))
        remaining = self._take(None)
        pick = itemgetter(*positions) if len(positions) != 1 else (lambda r: (r[positions[0]],))
        self._rows = [pick(row) for row in remaining]
        self._pos = 0
        self._metadata = ResultMetaData([meta.keys[i] for i in positions])
        self._transform = self._metadata.make_row
        return self

    def tuples(self) -> Result:
        """The same result; rows are already tuples."""
        return self

    def yield_per(self, num: int) -> Result:
        return self

    def scalars(self, index: int | str = 0) -> ScalarResult:
        """A result of the values of one column (the first by default)."""
        meta = self._metadata
        if meta is None:
            raise exc.ResourceClosedError(_NO_ROWS_MESSAGE)
        if isinstance(index, str):
            index = RowMapping(tuple.__new__(meta.row_cls, meta.keys))._index(index)
        return ScalarResult(self, meta.value_getter(index))

    def mappings(self) -> MappingResult:
        """A result of :class:`RowMapping` objects instead of rows."""
        if self._metadata is None:
            raise exc.ResourceClosedError(_NO_ROWS_MESSAGE)
        make_row = self._metadata.make_row
        return MappingResult(self, lambda raw: RowMapping(make_row(raw)))

    # --- single values ---------------------------------------------------------------
    def first(self) -> Any:
        """The first row or None; closes the result."""
        if self._seen is not None or self._closed or self._metadata is None:
            return _Fetcher.first(self)
        # Fast path (the common ``conn.execute(...).first()``): no filtering to apply.
        rows, pos = self._rows, self._pos
        self._closed = True
        self._rows = []
        return self._transform(rows[pos]) if pos < len(rows) else None

    def scalar(self) -> Any:
        """The first column of the first row, or None; closes the result."""
        row = self.first()
        return row[0] if row is not None else None

    def scalar_one(self) -> Any:
        """The first column of the only row; raises NoResultFound / MultipleResultsFound."""
        return self.scalars().one()

    def scalar_one_or_none(self) -> Any:
        """The first column of the only row, or None; raises MultipleResultsFound."""
        return self.scalars().one_or_none()

    def __repr__(self) -> str:
        return f"<Result keys={self.keys()!r} rowcount={self.rowcount}>"


def _identity(value: Any) -> Any:
    return value


class ScalarResult(_Fetcher):
    """Values of one column of a result."""

    def __init__(self, source: Result, getter: Callable[[Any], Any]) -> None:
        self._source = source
        self._transform = getter

    def unique(self, strategy: Callable[[Any], Any] | None = None) -> ScalarResult:
        self._set_unique(strategy)
        return self

    def close(self) -> None:
        self._source.close()


class MappingResult(_Fetcher):
    """Rows of a result as :class:`RowMapping` objects."""

    def __init__(self, source: Result, transform: Callable[[Any], Any]) -> None:
        self._source = source
        self._transform = transform

    def unique(self, strategy: Callable[[Any], Any] | None = None) -> MappingResult:
        self._set_unique(strategy)
        return self

    def keys(self) -> list[str]:
        return self._source.keys()

    def columns(self, *cols: int | str) -> MappingResult:
        self._source.columns(*cols)
        make_row = self._source._transform
        self._transform = lambda raw: RowMapping(make_row(raw))
        return self

    def close(self) -> None:
        self._source.close()
