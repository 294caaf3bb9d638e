"""The SQL layer: types, schema objects, expressions, statements and their compiler.

Pure: nothing here opens a connection. ``MetaData.create_all`` and friends receive a bind
(an Engine or Connection) from the caller and only call its methods.
"""

from tether.sql.compound import CompoundSelect, except_, intersect, union, union_all
from tether.sql.ddl import (
    AddConstraint,
    CreateIndex,
    CreateSchema,
    CreateTable,
    DropConstraint,
    DropIndex,
    DropSchema,
    DropTable,
)
from tether.sql.dml import Delete, Insert, Update, delete, insert, update
from tether.sql.elements import (
    BindParameter,
    ColumnElement,
    Label,
    TextClause,
    and_,
    bindparam,
    column,
    false,
    literal,
    literal_column,
    not_,
    null,
    or_,
    text,
    true,
)
from tether.sql.expressions import (
    asc,
    between,
    case,
    cast,
    collate,
    desc,
    distinct,
    extract,
    nulls_first,
    nulls_last,
    tuple_,
    type_coerce,
)
from tether.sql.functions import func
from tether.sql.schema import (
    CheckConstraint,
    Column,
    ColumnDefault,
    Computed,
    DefaultClause,
    FetchedValue,
    ForeignKey,
    ForeignKeyConstraint,
    Identity,
    Index,
    MetaData,
    PrimaryKeyConstraint,
    Sequence,
    Table,
    UniqueConstraint,
    table,
)
from tether.sql.selectable import (
    Alias,
    Exists,
    FromClause,
    Join,
    Select,
    Subquery,
    alias,
    exists,
    join,
    outerjoin,
    select,
)

__all__ = [
    "AddConstraint", "Alias", "BindParameter", "CheckConstraint", "Column", "ColumnDefault",
    "ColumnElement", "CompoundSelect", "Computed", "CreateIndex", "CreateSchema", "CreateTable",
    "DefaultClause", "Delete", "DropConstraint", "DropIndex", "DropSchema", "DropTable",
    "Exists", "FetchedValue", "ForeignKey", "ForeignKeyConstraint", "FromClause", "Identity",
    "Index", "Insert", "Join", "Label", "MetaData", "PrimaryKeyConstraint", "Select",
    "Sequence", "Subquery", "Table", "TextClause", "UniqueConstraint", "Update", "alias",
    "and_", "asc", "between", "bindparam", "case", "cast", "collate", "column", "delete",
    "desc", "distinct", "except_", "exists", "extract", "false", "func", "insert", "intersect",
    "join", "literal", "literal_column", "not_", "null", "nulls_first", "nulls_last", "or_",
    "outerjoin", "select", "table", "text", "true", "tuple_", "type_coerce", "union",
    "union_all", "update",
]
