"""PostgreSQL's catalogue, read for :mod:`tether.engine.reflection`.

Queries go to ``pg_catalog`` directly (not ``information_schema``): it is faster, it keeps
constraint names and column order, and ``format_type`` spells a column's type with its
arguments. A ``schema`` of ``None`` means the connection's ``current_schema()``.

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

_SYSTEM = "nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') " \
          "AND nspname NOT LIKE 'pg\\_temp\\_%' AND nspname NOT LIKE 'pg\\_toast\\_temp\\_%'"


def _ns(schema: str | None) -> tuple[str, tuple[Any, ...]]:
    """A condition on ``n.nspname`` and its parameters."""
    if schema is None:
        return "n.nspname = current_schema()", ()
    return "n.nspname = %s", (schema,)


def _rel_oid(conn: Any, table: str, schema: str | None) -> int | None:
    cond, params = _ns(schema)
    row = conn.exec_driver_sql(
        "SELECT c.oid FROM pg_catalog.pg_class c "
        "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        f"WHERE c.relname = %s AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND {cond}",
        (table, *params),
    ).first()
    return int(row[0]) if row is not None else None


def _oid_or_raise(conn: Any, table: str, schema: str | None) -> int:
    oid = _rel_oid(conn, table, schema)
    if oid is None:
        from tether import exc

        where = f"schema {schema!r}" if schema else "the current schema"
        raise exc.NoSuchTableError(f"table {table!r} does not exist in {where}")
    return oid


# --- types -------------------------------------------------------------------------------
_TYPE_RE = re.compile(r"^(?P<name>[a-z_][a-z0-9_ ]*?)\s*(?:\((?P<args>[^)]*)\))?"
                      r"(?P<rest>(?: with(?:out)? time zone)?)(?P<array>(?:\[\])*)$")

_NAMES: dict[str, Any] = {
    "integer": sqltypes.Integer, "int": sqltypes.Integer, "int4": sqltypes.Integer,
    "smallint": sqltypes.SmallInteger, "int2": sqltypes.SmallInteger,
    "bigint": sqltypes.BigInteger, "int8": sqltypes.BigInteger,
    "character varying": sqltypes.String, "varchar": sqltypes.String,
    "character": sqltypes.String, "char": sqltypes.String, "bpchar": sqltypes.String,
    "text": sqltypes.Text, "name": sqltypes.String,
    "real": sqltypes.Float, "float4": sqltypes.Float,
    "double precision": sqltypes.Double, "float8": sqltypes.Double,
    "numeric": sqltypes.Numeric, "decimal": sqltypes.Numeric,
    "boolean": sqltypes.Boolean, "bool": sqltypes.Boolean,
    "date": sqltypes.Date, "interval": sqltypes.Interval,
    "bytea": sqltypes.LargeBinary, "json": sqltypes.JSON, "jsonb": sqltypes.JSONB,
    "uuid": sqltypes.Uuid,
}


def column_type(text: str, enum_labels: list[str] | None = None,
                enum_name: str | None = None) -> sqltypes.TypeEngine:
    """The tether type for ``format_type()`` output (``character varying(50)`` -> String(50))."""
    if enum_labels is not None:
        return sqltypes.Enum(*enum_labels, name=enum_name)
    text = text.strip().lower()
    match = _TYPE_RE.match(text)
    if match is None:
        return sqltypes.NullType()
    name, rest, array = match.group("name").strip(), match.group("rest"), match.group("array")
    nums = [int(a) for a in (match.group("args") or "").split(",") if a.strip().isdigit()]
    type_: sqltypes.TypeEngine
    if name in ("timestamp", "timestamp without time zone", "timestamp with time zone"):
        type_ = sqltypes.DateTime(timezone="with time zone" in (name + rest)
                                  and "without" not in (name + rest))
    elif name in ("time", "time without time zone", "time with time zone"):
        type_ = sqltypes.Time(timezone="with time zone" in (name + rest)
                              and "without" not in (name + rest))
    else:
        cls = _NAMES.get(name)
        if cls is None:
            return sqltypes.NullType()
        if cls is sqltypes.String:
            type_ = sqltypes.String(nums[0] if nums else None)
        elif cls is sqltypes.Numeric:
            type_ = sqltypes.Numeric(nums[0] if nums else None,
                                     nums[1] if len(nums) > 1 else None)
        else:
            type_ = cls()
    for _ in range(len(array) // 2):
        type_ = sqltypes.ARRAY(type_)
    return type_


# --- catalogue ---------------------------------------------------------------------------
def default_schema_name(conn: Any) -> str:
    return str(conn.exec_driver_sql("SELECT current_schema()").scalar())


def get_schema_names(conn: Any) -> list[str]:
    rows = conn.exec_driver_sql(
        f"SELECT nspname FROM pg_catalog.pg_namespace WHERE {_SYSTEM} ORDER BY nspname"
    ).all()
    return [r[0] for r in rows]


def has_table(conn: Any, table: str, schema: str | None) -> bool:
    return _rel_oid(conn, table, schema) is not None


def get_table_names(conn: Any, schema: str | None) -> list[str]:
    cond, params = _ns(schema)
    rows = conn.exec_driver_sql(
        "SELECT c.relname FROM pg_catalog.pg_class c "
        "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        f"WHERE c.relkind IN ('r', 'p') AND {cond} ORDER BY c.relname",
        params,
    ).all()
    return [r[0] for r in rows]


def get_columns(conn: Any, table: str, schema: str | None) -> list[dict[str, Any]]:
    oid = _oid_or_raise(conn, table, schema)
    rows = conn.exec_driver_sql(
        "SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull, "
        "pg_catalog.pg_get_expr(d.adbin, d.adrelid), a.attidentity, t.typtype, t.typname, "
        "(SELECT array_agg(e.enumlabel ORDER BY e.enumsortorder) FROM pg_catalog.pg_enum e "
        " WHERE e.enumtypid = a.atttypid) "
        "FROM pg_catalog.pg_attribute a "
        "JOIN pg_catalog.pg_type t ON t.oid = a.atttypid "
        "LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
        "WHERE a.attrelid = %s AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
        (oid,),
    ).all()
    out = []
    for name, formatted, notnull, default, identity, typtype, typname, labels in rows:
        enum_labels = list(labels) if typtype == "e" and labels is not None else None
        type_ = column_type(formatted, enum_labels, typname if enum_labels is not None else None)
        serial = default is not None and default.startswith("nextval(")
        out.append({
            "name": name,
            "type": type_,
            "nullable": not notnull,
            # An identity column has no default expression; a serial one has nextval(...).
            "default": None if serial else default,
            "autoincrement": bool(identity) or serial,
            "identity": identity or None,
        })
    return out


def _constraint_rows(conn: Any, oid: int, kind: str) -> list[Any]:
    return list(conn.exec_driver_sql(
        "SELECT con.conname, "
        " (SELECT array_agg(a.attname ORDER BY k.i) FROM unnest(con.conkey) WITH ORDINALITY "
        "  AS k(n, i) JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid "
        "  AND a.attnum = k.n), "
        " (SELECT array_agg(a.attname ORDER BY k.i) FROM unnest(con.confkey) WITH ORDINALITY "
        "  AS k(n, i) JOIN pg_catalog.pg_attribute a ON a.attrelid = con.confrelid "
        "  AND a.attnum = k.n), "
        " rn.nspname, rc.relname, con.confdeltype, con.confupdtype "
        "FROM pg_catalog.pg_constraint con "
        "LEFT JOIN pg_catalog.pg_class rc ON rc.oid = con.confrelid "
        "LEFT JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace "
        "WHERE con.conrelid = %s AND con.contype = %s ORDER BY con.conname",
        (oid, kind),
    ).all())


def get_pk_constraint(conn: Any, table: str, schema: str | None) -> dict[str, Any]:
    rows = _constraint_rows(conn, _oid_or_raise(conn, table, schema), "p")
    if not rows:
        return {"constrained_columns": [], "name": None}
    return {"constrained_columns": list(rows[0][1] or []), "name": rows[0][0]}


_ACTIONS = {"a": None, "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}


def get_foreign_keys(conn: Any, table: str, schema: str | None) -> list[dict[str, Any]]:
    rows = _constraint_rows(conn, _oid_or_raise(conn, table, schema), "f")
    default = default_schema_name(conn)
    out = []
    for name, cols, refcols, ref_schema, ref_table, deltype, updtype in rows:
        entry = {
            "name": name,
            "constrained_columns": list(cols or []),
            # Like a model's ForeignKey("table.col"): no schema when it is the default one.
            "referred_schema": None if ref_schema == default else ref_schema,
            "referred_table": ref_table,
            "referred_columns": list(refcols or []),
            "ondelete": _ACTIONS.get(deltype),
            "onupdate": _ACTIONS.get(updtype),
        }
        entry["options"] = {k: entry[k] for k in ("ondelete", "onupdate") if entry[k]}
        out.append(entry)
    return out


def get_unique_constraints(conn: Any, table: str, schema: str | None) -> list[dict[str, Any]]:
    rows = _constraint_rows(conn, _oid_or_raise(conn, table, schema), "u")
    return [{"name": r[0], "column_names": list(r[1] or [])} for r in rows]


def get_indexes(conn: Any, table: str, schema: str | None) -> list[dict[str, Any]]:
    oid = _oid_or_raise(conn, table, schema)
    rows = conn.exec_driver_sql(
        "SELECT ic.relname, i.indisunique, "
        " (SELECT array_agg(a.attname ORDER BY k.i) FROM unnest(i.indkey) WITH ORDINALITY "
        "  AS k(n, i) LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid "
        "  AND a.attnum = k.n) "
        "FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid "
        "WHERE i.indrelid = %s AND NOT i.indisprimary AND NOT EXISTS ("
        " SELECT 1 FROM pg_catalog.pg_constraint con WHERE con.conindid = i.indexrelid "
        " AND con.conrelid = i.indrelid) "
        "ORDER BY ic.relname",
        (oid,),
    ).all()
    return [{"name": name, "column_names": list(cols or []), "unique": bool(unique)}
            for name, unique, cols in rows]
