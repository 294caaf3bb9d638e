"""SQLite's catalogue, read for :mod:`tether.engine.reflection`.

Everything comes from ``PRAGMA`` statements (``table_xinfo``, ``foreign_key_list``,
``index_list``, ``index_info``) and, for constraint names SQLite keeps nowhere else, from the
``CREATE TABLE`` text in ``sqlite_master``. A "schema" on SQLite is an attached database
(``main`` is the default one).

Each function takes a tether Connection and returns plain dicts in the shape the Inspector
documents; column types are tether type instances.
"""

from __future__ import annotations

import re
from typing import Any

from tether.sql import types as sqltypes

__all__ = [
    "column_type",
    "default_schema_name",
    "get_columns",
    "get_foreign_keys",
    "get_indexes",
    "get_pk_constraint",
    "get_schema_names",
    "get_table_names",
    "get_unique_constraints",
    "has_table",
]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _pragma(conn: Any, pragma: str, arg: str, schema: str | None) -> list[Any]:
    prefix = f"{_quote(schema)}." if schema else ""
    return list(conn.exec_driver_sql(f"PRAGMA {prefix}{pragma}({_quote(arg)})").all())


def _master(schema: str | None) -> str:
    return f"{_quote(schema)}.sqlite_master" if schema else "sqlite_master"


# --- types -------------------------------------------------------------------------------
_TYPE_RE = re.compile(r"^\s*(?P<name>[A-Za-z_][\w ]*?)\s*(?:\((?P<args>[^)]*)\))?\s*$")

_NAMES: dict[str, Any] = {
    "INTEGER": sqltypes.Integer, "INT": sqltypes.Integer, "MEDIUMINT": sqltypes.Integer,
    "TINYINT": sqltypes.SmallInteger, "SMALLINT": sqltypes.SmallInteger,
    "BIGINT": sqltypes.BigInteger, "INT8": sqltypes.BigInteger,
    "VARCHAR": sqltypes.String, "CHARACTER VARYING": sqltypes.String,
    "NVARCHAR": sqltypes.String, "CHAR": sqltypes.String, "CHARACTER": sqltypes.String,
    "NCHAR": sqltypes.String, "TEXT": sqltypes.Text, "CLOB": sqltypes.Text,
    "STRING": sqltypes.String,
    "FLOAT": sqltypes.Float, "REAL": sqltypes.Float, "DOUBLE": sqltypes.Double,
    "DOUBLE PRECISION": sqltypes.Double,
    "NUMERIC": sqltypes.Numeric, "DECIMAL": sqltypes.Numeric,
    "BOOLEAN": sqltypes.Boolean, "BOOL": sqltypes.Boolean,
    "DATETIME": sqltypes.DateTime, "TIMESTAMP": sqltypes.DateTime,
    "DATE": sqltypes.Date, "TIME": sqltypes.Time,
    "BLOB": sqltypes.LargeBinary, "BINARY": sqltypes.LargeBinary,
    "VARBINARY": sqltypes.LargeBinary,
    "JSON": sqltypes.JSON,
}


def column_type(declared: str) -> sqltypes.TypeEngine:
    """The tether type for a column's declared SQLite type (``VARCHAR(50)`` -> String(50))."""
    if not declared or not declared.strip():
        return sqltypes.NullType()
    match = _TYPE_RE.match(declared)
    if match is None:
        return sqltypes.NullType()
    name = " ".join(match.group("name").upper().split())
    args = [a.strip() for a in (match.group("args") or "").split(",") if a.strip()]
    nums = [int(a) for a in args if a.isdigit()]
    cls = _NAMES.get(name)
    if cls is None:
        # SQLite's own affinity rules, so an unusual spelling still gets a sensible type.
        if "INT" in name:
            cls = sqltypes.Integer
        elif any(k in name for k in ("CHAR", "CLOB", "TEXT")):
            cls = sqltypes.String
        elif any(k in name for k in ("REAL", "FLOA", "DOUB")):
            cls = sqltypes.Float
        elif "BLOB" in name:
            cls = sqltypes.LargeBinary
        else:
            return sqltypes.NullType()
    if cls is sqltypes.String and nums:
        return sqltypes.String(nums[0])
    if cls is sqltypes.Numeric and nums:
        return sqltypes.Numeric(nums[0], nums[1] if len(nums) > 1 else None)
    return cls()  # type: ignore[no-any-return]


# --- names kept only in the CREATE TABLE text ----------------------------------------------
_IDENT = r'(?:"(?:[^"]|"")+"|`[^`]+`|\[[^\]]+\]|[\w$]+)'
_NAMED_RE = re.compile(
    rf"CONSTRAINT\s+(?P<name>{_IDENT})\s+(?P<kind>UNIQUE|FOREIGN\s+KEY|PRIMARY\s+KEY)\s*"
    r"\((?P<cols>[^)]*)\)",
    re.IGNORECASE,
)


def _unquote(name: str) -> str:
    name = name.strip()
    if name[:1] in ('"', "`", "["):
        return name[1:-1].replace('""', '"')
    return name


def _named_constraints(conn: Any, table: str, schema: str | None) -> dict[tuple[str, tuple[str, ...]], str]:
    """``{(kind, columns): name}`` for the constraints the table's SQL names."""
    row = conn.exec_driver_sql(
        f"SELECT sql FROM {_master(schema)} WHERE type = 'table' AND name = ?", (table,)
    ).first()
    out: dict[tuple[str, tuple[str, ...]], str] = {}
    if row is None or not row[0]:
        return out
    for m in _NAMED_RE.finditer(row[0]):
        kind = " ".join(m.group("kind").upper().split())
        cols = tuple(_unquote(c) for c in m.group("cols").split(","))
        out[(kind, cols)] = _unquote(m.group("name"))
    return out


# --- catalogue ---------------------------------------------------------------------------
def default_schema_name(conn: Any) -> str:
    return "main"


def get_schema_names(conn: Any) -> list[str]:
    return [r[1] for r in conn.exec_driver_sql("PRAGMA database_list").all() if r[1] != "temp"]


def has_table(conn: Any, table: str, schema: str | None) -> bool:
    return bool(conn.dialect.has_table(conn, table, schema))


def get_table_names(conn: Any, schema: str | None) -> list[str]:
    rows = conn.exec_driver_sql(
        f"SELECT name FROM {_master(schema)} WHERE type = 'table' "
        "AND name NOT LIKE 'sqlite~_%' ESCAPE '~' ORDER BY name"
    ).all()
    return [r[0] for r in rows]


def get_columns(conn: Any, table: str, schema: str | None) -> list[dict[str, Any]]:
    rows = _pragma(conn, "table_xinfo", table, schema)
    pk_cols = [r for r in rows if r[5]]
    out = []
    for _cid, name, declared, notnull, default, pk, *rest in rows:
        hidden = rest[0] if rest else 0
        if hidden in (1,):  # columns of virtual tables' internals
            continue
        type_ = column_type(declared)
        # An INTEGER PRIMARY KEY is the rowid: SQLite numbers new rows itself.
        rowid = (len(pk_cols) == 1 and pk and (declared or "").strip().upper() == "INTEGER")
        out.append({
            "name": name,
            "type": type_,
            "nullable": not notnull,  # as PRAGMA table_info says (INTEGER PRIMARY KEY: 0)
            "default": default,
            "autoincrement": bool(rowid),
        })
    return out


def get_pk_constraint(conn: Any, table: str, schema: str | None) -> dict[str, Any]:
    rows = sorted((r for r in _pragma(conn, "table_info", table, schema) if r[5]),
                  key=lambda r: r[5])
    cols = [r[1] for r in rows]
    name = _named_constraints(conn, table, schema).get(("PRIMARY KEY", tuple(cols)))
    return {"constrained_columns": cols, "name": name}


_ACTION = {"NO ACTION": None, "": None, None: None}


def get_foreign_keys(conn: Any, table: str, schema: str | None) -> list[dict[str, Any]]:
    groups: dict[int, dict[str, Any]] = {}
    for row in _pragma(conn, "foreign_key_list", table, schema):
        fk_id, _seq, target, local, remote, on_update, on_delete = row[:7]
        entry = groups.get(fk_id)
        if entry is None:
            entry = groups[fk_id] = {
                "name": None,
                "constrained_columns": [],
                "referred_schema": schema if schema and schema != "main" else None,
                "referred_table": target,
                "referred_columns": [],
                "ondelete": _ACTION.get(on_delete, on_delete),
                "onupdate": _ACTION.get(on_update, on_update),
            }
        entry["constrained_columns"].append(local)
        entry["referred_columns"].append(remote)
    names = _named_constraints(conn, table, schema)
    out = []
    for fk_id in sorted(groups):
        entry = groups[fk_id]
        if any(c is None for c in entry["referred_columns"]):
            # "REFERENCES parent" without columns means the parent's primary key.
            pk = get_pk_constraint(conn, entry["referred_table"], schema)["constrained_columns"]
            entry["referred_columns"] = pk
        entry["name"] = names.get(("FOREIGN KEY", tuple(entry["constrained_columns"])))
        entry["options"] = {k: entry[k] for k in ("ondelete", "onupdate") if entry[k]}
        out.append(entry)
    return out


def _index_columns(conn: Any, index: str, schema: str | None) -> list[str | None]:
    rows = sorted(_pragma(conn, "index_info", index, schema), key=lambda r: r[0])
    return [r[2] for r in rows]


def get_indexes(conn: Any, table: str, schema: str | None) -> list[dict[str, Any]]:
    out = []
    for row in _pragma(conn, "index_list", table, schema):
        name, unique, origin = row[1], row[2], row[3]
        if origin != "c":  # 'u' and 'pk' back constraints, reported elsewhere
            continue
        out.append({"name": name, "column_names": _index_columns(conn, name, schema),
                    "unique": bool(unique)})
    return sorted(out, key=lambda i: i["name"])


def get_unique_constraints(conn: Any, table: str, schema: str | None) -> list[dict[str, Any]]:
    names = _named_constraints(conn, table, schema)
    out = []
    for row in _pragma(conn, "index_list", table, schema):
        if row[3] != "u":
            continue
        cols = _index_columns(conn, row[1], schema)
        out.append({"name": names.get(("UNIQUE", tuple(c or "" for c in cols))),
                    "column_names": cols})
    return sorted(out, key=lambda u: [c or "" for c in u["column_names"]])
