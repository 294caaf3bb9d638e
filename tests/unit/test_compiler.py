"""Compiled SQL for both dialects, without a database."""

from __future__ import annotations

import datetime
import decimal

import pytest

from tether import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Enum,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    UniqueConstraint,
    and_,
    bindparam,
    case,
    cast,
    delete,
    desc,
    exc,
    exists,
    func,
    insert,
    literal,
    not_,
    or_,
    select,
    text,
    tuple_,
    union,
    update,
)
from tether.dialects.postgresql import PGDialect
from tether.dialects.sqlite import SQLiteDialect
from tether.sql.compiler import compile_statement, in_list_binds_as_array
from tether.sql.ddl import CreateTable, DropTable

SQLITE = SQLiteDialect()
PG = PGDialect()


def sql(stmt, dialect=SQLITE, params=None):
    return compile_statement(stmt, dialect, params)[0].string


def params(stmt, dialect=SQLITE, exec_params=None):
    compiled, bound = compile_statement(stmt, dialect, exec_params)
    return compiled.construct_params(bound, exec_params)


@pytest.fixture
def tables():
    m = MetaData()
    users = Table(
        "users", m,
        Column("id", Integer, primary_key=True),
        Column("name", String(50), nullable=False),
        Column("active", Boolean, default=True),
    )
    posts = Table(
        "posts", m,
        Column("id", Integer, primary_key=True),
        Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE")),
        Column("title", String(100)),
        Column("created", DateTime, default=lambda: datetime.datetime(2024, 1, 1)),
    )
    return m, users, posts


def test_select_where_qmark_and_format(tables):
    _, users, _ = tables
    stmt = select(users.c.id, users.c.name).where(users.c.name == "ann")
    assert sql(stmt) == "SELECT users.id, users.name FROM users WHERE users.name = ?"
    assert sql(stmt, PG) == "SELECT users.id, users.name FROM users WHERE users.name = %s"
    assert params(stmt) == ("ann",)


def test_comparison_with_none_renders_is_null(tables):
    _, users, _ = tables
    assert sql(select(users.c.id).where(users.c.name == None)).endswith(  # noqa: E711
        "WHERE users.name IS NULL")
    assert sql(select(users.c.id).where(users.c.name != None)).endswith(  # noqa: E711
        "WHERE users.name IS NOT NULL")


def test_join_infers_on_clause_from_foreign_key(tables):
    _, users, posts = tables
    stmt = select(users.c.name, posts.c.title).join(posts)
    assert sql(stmt) == ("SELECT users.name, posts.title FROM users "
                         "JOIN posts ON users.id = posts.user_id")
    stmt = select(users.c.name).outerjoin(posts)
    assert "LEFT OUTER JOIN posts ON users.id = posts.user_id" in sql(stmt)


def test_join_without_foreign_key_names_tables():
    m = MetaData()
    a = Table("a", m, Column("id", Integer, primary_key=True))
    b = Table("b", m, Column("id", Integer, primary_key=True))
    with pytest.raises(exc.NoForeignKeysError) as err:
        sql(select(a).join(b))
    assert "'a'" in str(err.value) and "'b'" in str(err.value)
    assert isinstance(err.value, exc.ArgumentError)


def test_join_with_two_foreign_keys_lists_candidates():
    m = MetaData()
    users = Table("users", m, Column("id", Integer, primary_key=True))
    msgs = Table("msgs", m, Column("id", Integer, primary_key=True),
                 Column("sender_id", ForeignKey("users.id")),
                 Column("recipient_id", ForeignKey("users.id")))
    with pytest.raises(exc.AmbiguousForeignKeysError) as err:
        sql(select(users).join(msgs))
    text_ = str(err.value)
    assert "msgs.sender_id -> users.id" in text_ and "msgs.recipient_id -> users.id" in text_
    stmt = select(users).join(msgs, msgs.c.sender_id == users.c.id)
    assert "JOIN msgs ON msgs.sender_id = users.id" in sql(stmt)


def test_operators(tables):
    _, users, _ = tables
    c = users.c
    cases = [
        (c.id.in_([1, 2]), "users.id IN (?, ?)"),
        (c.id.not_in([1]), "users.id NOT IN (?)"),
        (c.id.in_([]), "1 != 1"),
        (c.name.like("a%"), "users.name LIKE ?"),
        (c.name.not_like("a%"), "users.name NOT LIKE ?"),
        (c.name.ilike("a%"), "lower(users.name) LIKE lower(?)"),
        (c.name.startswith("a"), "users.name LIKE ?"),
        (c.id.between(1, 5), "users.id BETWEEN ? AND ?"),
        (c.name.is_(None), "users.name IS NULL"),
        (c.name.is_not(None), "users.name IS NOT NULL"),
        (~(c.id > 5), "users.id <= ?"),
        (not_(c.name.like("x")), "users.name NOT LIKE ?"),
        (or_(c.id == 1, and_(c.id > 2, c.id < 4)),
         "users.id = ? OR users.id > ? AND users.id < ?"),
        (and_(or_(c.id == 1, c.id == 2), c.name == "x"),
         "(users.id = ? OR users.id = ?) AND users.name = ?"),
        ((c.id + 1) * 2 > 4, "(users.id + ?) * ? > ?"),
        (c.id - (c.id - 1) == 1, "users.id - (users.id - ?) = ?"),
        (c.name + "x" == "ax", "users.name || ? = ?"),
    ]
    for expr, expected in cases:
        assert sql(select(c.id).where(expr)).endswith("WHERE " + expected), expected
    assert sql(select(c.id).where(c.name.ilike("a")), PG).endswith("users.name ILIKE %s")


def test_like_pattern_values(tables):
    _, users, _ = tables
    c = users.c
    assert params(select(c.id).where(c.name.startswith("ab"))) == ("ab%",)
    assert params(select(c.id).where(c.name.endswith("ab"))) == ("%ab",)
    assert params(select(c.id).where(c.name.contains("ab"))) == ("%ab%",)
    assert params(select(c.id).where(c.name.contains("5%", autoescape=True))) == ("%5/%%",)


def test_percent_is_escaped_for_format_paramstyle(tables):
    _, users, _ = tables
    stmt = select(users.c.id % 2).where(text("name LIKE 'a%'"))
    assert sql(stmt, PG) == "SELECT users.id %% %s FROM users WHERE name LIKE 'a%%'"
    assert sql(stmt) == "SELECT users.id % ? FROM users WHERE name LIKE 'a%'"


def test_boolean_literal_rendering(tables):
    _, users, _ = tables
    stmt = select(users.c.id).where(users.c.active == True)  # noqa: E712
    assert sql(stmt).endswith("users.active = 1")
    assert sql(stmt, PG).endswith("users.active = true")
    stmt = select(users.c.id).where(users.c.active == bindparam("a", True))
    assert params(stmt) == (1,)
    assert params(stmt, PG) == (True,)


def test_functions_labels_group_having_order_limit(tables):
    _, users, posts = tables
    n = func.count(posts.c.id).label("n")
    stmt = (select(users.c.name, n).join(posts).group_by(users.c.name)
            .having(func.count(posts.c.id) > 1).order_by(desc(n)).limit(5).offset(2))
    assert sql(stmt) == (
        "SELECT users.name, count(posts.id) AS n FROM users JOIN posts ON users.id = "
        "posts.user_id GROUP BY users.name HAVING count(posts.id) > ? ORDER BY n DESC "
        "LIMIT ? OFFSET ?")
    assert params(stmt) == (1, 5, 2)
    assert sql(select(func.count()).select_from(users)) == "SELECT count(*) FROM users"
    assert sql(select(users.c.id).offset(3)).endswith("LIMIT -1 OFFSET ?")
    assert sql(select(users.c.id).offset(3), PG).endswith("OFFSET %s")


def test_func_now_differs_by_dialect(tables):
    assert sql(select(func.now())) == "SELECT CURRENT_TIMESTAMP"
    assert sql(select(func.now()), PG) == "SELECT now()"


def test_subquery_exists_and_correlation(tables):
    _, users, posts = tables
    sub = select(posts.c.user_id, func.count().label("n")).group_by(posts.c.user_id).subquery()
    stmt = select(users.c.name, sub.c.n).join(sub, sub.c.user_id == users.c.id)
    assert sql(stmt) == (
        "SELECT users.name, anon_1.n FROM users JOIN (SELECT posts.user_id, count(*) AS n "
        "FROM posts GROUP BY posts.user_id) AS anon_1 ON users.id = anon_1.user_id")
    stmt = select(users.c.name).where(exists().where(posts.c.user_id == users.c.id))
    assert sql(stmt) == ("SELECT users.name FROM users WHERE EXISTS (SELECT * FROM posts "
                         "WHERE posts.user_id = users.id)")
    scalar = select(func.count(posts.c.id)).where(posts.c.user_id == users.c.id)
    stmt = select(users.c.name, scalar.scalar_subquery().label("posts"))
    assert sql(stmt) == ("SELECT users.name, (SELECT count(posts.id) FROM posts WHERE "
                         "posts.user_id = users.id) AS posts FROM users")
    stmt = select(users.c.name).where(users.c.id.in_(select(posts.c.user_id)))
    assert sql(stmt).endswith("WHERE users.id IN (SELECT posts.user_id FROM posts)")


def test_alias_self_join():
    m = MetaData()
    emp = Table("emp", m, Column("id", Integer, primary_key=True),
                Column("boss_id", ForeignKey("emp.id")), Column("name", String))
    boss = emp.alias()
    stmt = select(emp.c.name, boss.c.name).join(boss, emp.c.boss_id == boss.c.id)
    assert sql(stmt) == ("SELECT emp.name, emp_1.name FROM emp JOIN emp AS emp_1 "
                         "ON emp.boss_id = emp_1.id")


def test_case_cast_union_tuple(tables):
    _, users, _ = tables
    stmt = select(case((users.c.id > 1, "big"), else_="small"), cast(users.c.id, String))
    assert sql(stmt) == ("SELECT CASE WHEN users.id > ? THEN ? ELSE ? END, "
                         "CAST(users.id AS VARCHAR) FROM users")
    u = union(select(users.c.id).where(users.c.id == 1), select(users.c.id).where(users.c.id == 2))
    assert sql(u) == ("SELECT users.id FROM users WHERE users.id = ? UNION "
                      "SELECT users.id FROM users WHERE users.id = ?")
    t = select(users.c.id).where(tuple_(users.c.id, users.c.name).in_([(1, "a"), (2, "b")]))
    assert sql(t).endswith("(users.id, users.name) IN (VALUES (?, ?), (?, ?))")
    assert sql(t, PG).endswith("(users.id, users.name) IN ((%s, %s), (%s, %s))")


def test_insert_update_delete(tables):
    _, users, posts = tables
    assert sql(insert(users), params={"name": "x"}) == \
        "INSERT INTO users (name, active) VALUES (?, ?)"
    assert params(insert(users), exec_params={"name": "x"}) == ("x", 1)
    stmt = insert(posts).values(user_id=1, title="t").returning(posts.c.id)
    assert sql(stmt, PG) == ("INSERT INTO posts (user_id, title, created) VALUES (%s, %s, %s) "
                             "RETURNING posts.id".replace("posts.id", "id"))
    assert params(stmt, PG)[2] == datetime.datetime(2024, 1, 1)
    stmt = update(users).where(users.c.id == 5).values(name=users.c.name + "!")
    assert sql(stmt) == "UPDATE users SET name=users.name || ? WHERE users.id = ?"
    stmt = delete(posts).where(posts.c.user_id == 3)
    assert sql(stmt) == "DELETE FROM posts WHERE posts.user_id = ?"
    assert sql(insert(users)) == "INSERT INTO users (active) VALUES (?)"


def test_update_executemany_with_bindparam(tables):
    _, users, _ = tables
    stmt = update(users).where(users.c.id == bindparam("uid"))
    assert sql(stmt, params={"uid": 1, "name": "z"}) == \
        "UPDATE users SET name=? WHERE users.id = ?"
    assert params(stmt, exec_params={"uid": 1, "name": "z"}) == ("z", 1)


def test_text_binds(tables):
    stmt = text("SELECT * FROM users WHERE id = :id AND name = :name AND x::text = 'a'")
    assert sql(stmt) == "SELECT * FROM users WHERE id = ? AND name = ? AND x::text = 'a'"
    assert params(stmt, exec_params={"id": 1, "name": "n"}) == (1, "n")
    with pytest.raises(exc.InvalidRequestError, match="'name'"):
        params(stmt, exec_params={"id": 1})


def test_plain_string_criterion_is_refused(tables):
    _, users, _ = tables
    with pytest.raises(exc.ArgumentError, match="text"):
        select(users).where("id = 1")


def test_compiled_form_is_cached_by_shape(tables):
    _, users, _ = tables
    dialect = SQLiteDialect()
    a, bound_a = compile_statement(select(users).where(users.c.id == 1), dialect)
    b, bound_b = compile_statement(select(users).where(users.c.id == 2), dialect)
    assert a is b
    assert a.construct_params(bound_a, None) == (1,)
    assert b.construct_params(bound_b, None) == (2,)
    c, _ = compile_statement(select(users).where(users.c.id.in_([1, 2])), dialect)
    assert c is not a


def test_rarely_set_select_parts_each_change_the_cached_form(tables):
    # Select's cache key reads group_by ... correlate_except only when the statement has
    # one of them: each still gives its own compiled form, with its own parameters
    _, users, posts = tables
    dialect = SQLiteDialect()
    base = select(users).where(users.c.name == "a").distinct()
    plain = compile_statement(base, dialect)[0]
    variants = [
        base.group_by(users.c.id), base.group_by(users.c.id).having(users.c.id > 1),
        base.order_by(users.c.id), base.limit(2), base.offset(3), base.limit(2).offset(3),
        base.with_for_update(),
    ]
    forms = [compile_statement(v, dialect)[0] for v in variants]
    assert all(f is not plain for f in forms)
    assert len({id(f) for f in forms}) == len(forms)
    assert params(base.limit(2).offset(3)) == ("a", 2, 3)
    assert params(base.group_by(users.c.id).having(users.c.id > 7)) == ("a", 7)
    # a part set back to its default renders (and caches) as the plain statement
    assert compile_statement(base.group_by(users.c.id).group_by(None), dialect)[0] is plain
    assert compile_statement(base.order_by(users.c.id).order_by(None), dialect)[0] is plain
    assert compile_statement(select(users).where(users.c.name == "a"), dialect)[0] is not plain
    # correlation of a subquery keys its own form
    inner = select(posts.c.id).where(posts.c.user_id == users.c.id)
    sub_a = select(users).where(inner.exists())
    sub_b = select(users).where(inner.correlate_except(posts).exists())
    sub_c = select(users).where(inner.correlate(None).exists())
    strings = {compile_statement(s, dialect)[0].string for s in (sub_a, sub_b, sub_c)}
    assert sql(sub_a) == compile_statement(sub_a, dialect)[0].string
    assert len(strings) >= 2


def test_a_select_subclass_with_other_defaults_keys_them():
    m = MetaData()
    t = Table("t", m, Column("id", Integer, primary_key=True))

    class Limited(type(select(t))):  # type: ignore[misc]
        _limit = select(t).limit(5)._limit  # a default the instance's dict never holds

    dialect = SQLiteDialect()
    stmt = Limited(t)
    assert "_limit" not in stmt.__dict__
    assert "LIMIT" in compile_statement(stmt, dialect)[0].string
    assert params(stmt) == (5,)
    assert compile_statement(stmt, dialect)[0] is not compile_statement(select(t), dialect)[0]


def test_anonymous_aliases_with_same_shape_stay_apart():
    m = MetaData()
    emp = Table("emp", m, Column("id", Integer, primary_key=True),
                Column("boss_id", ForeignKey("emp.id")))
    dialect = SQLiteDialect()
    a1, a2 = emp.alias(), emp.alias()
    two = select(a1.c.id, a2.c.id).where(a1.c.boss_id == a2.c.id)
    one = select(a1.c.id, a1.c.id).where(a1.c.boss_id == a1.c.id)
    assert compile_statement(two, dialect)[0].string != compile_statement(one, dialect)[0].string


def test_create_table_ddl():
    m = MetaData()
    Table("parent", m, Column("id", Integer, primary_key=True), schema="s")
    child = Table(
        "child", m,
        Column("id", Integer, primary_key=True),
        Column("parent_id", Integer, ForeignKey("s.parent.id", ondelete="CASCADE",
                                                onupdate="CASCADE"), nullable=False),
        Column("code", String(10), unique=True, server_default="x"),
        Column("price", Numeric(10, 2)),
        Column("kind", Enum("a", "b", name="kind", create_constraint=True)),
        CheckConstraint("price > 0", name="positive_price"),
        UniqueConstraint("parent_id", "code"),
    )
    Index("ix_child_price", child.c.price)
    ddl = sql(CreateTable(child), PG)
    assert '"id" INTEGER GENERATED BY DEFAULT AS IDENTITY NOT NULL'.replace('"id"', "id") in ddl
    assert "FOREIGN KEY(parent_id) REFERENCES s.parent (id) ON DELETE CASCADE " \
           "ON UPDATE CASCADE" in ddl
    assert "code VARCHAR(10) DEFAULT 'x'" in ddl
    assert "price NUMERIC(10, 2)" in ddl
    assert "CONSTRAINT positive_price CHECK (price > 0)" in ddl
    assert "UNIQUE (parent_id, code)" in ddl
    assert "CHECK (kind IN ('a', 'b'))" in ddl
    lite = sql(CreateTable(child))
    assert "id INTEGER NOT NULL" in lite and "PRIMARY KEY (id)" in lite
    assert sql(DropTable(child)) == "DROP TABLE child"


def test_bigint_primary_key_is_still_a_rowid_on_sqlite():
    from tether import BigInteger

    m = MetaData()
    t = Table("t", m, Column("id", BigInteger, primary_key=True))
    assert "id INTEGER NOT NULL" in sql(CreateTable(t))
    assert "id BIGINT GENERATED BY DEFAULT AS IDENTITY NOT NULL" in sql(CreateTable(t), PG)


def test_quoting_of_reserved_and_mixed_case_names():
    m = MetaData()
    t = Table("user", m, Column("Order", Integer, primary_key=True), Column("from", String))
    assert sql(select(t)) == 'SELECT "user"."Order", "user"."from" FROM "user"'


def test_numeric_and_literal_binds_keep_types():
    stmt = select(literal(decimal.Decimal("1.5"), Numeric(10, 2)))
    assert params(stmt) == ("1.5",)
    assert params(stmt, PG) == (decimal.Decimal("1.5"),)


def test_str_of_statement_uses_named_placeholders(tables):
    _, users, _ = tables
    compiled = select(users.c.id).where(users.c.name == "x").compile()
    assert str(compiled) == "SELECT users.id FROM users WHERE users.name = :param_1"
    assert compiled.params == {"param_1": "x"}


def test_foreign_key_to_unknown_table_explains():
    m = MetaData()
    t = Table("t", m, Column("id", Integer, primary_key=True),
              Column("u_id", ForeignKey("userz.id")))
    Table("users", m, Column("id", Integer, primary_key=True))
    with pytest.raises(exc.NoReferencedTableError, match="userz"):
        t.c.u_id.foreign_keys[0].column  # noqa: B018


def test_composite_foreign_key_constraint():
    m = MetaData()
    Table("p", m, Column("a", Integer, primary_key=True), Column("b", Integer, primary_key=True))
    c = Table("c", m, Column("id", Integer, primary_key=True), Column("pa", Integer),
              Column("pb", Integer), ForeignKeyConstraint(["pa", "pb"], ["p.a", "p.b"]))
    assert "FOREIGN KEY(pa, pb) REFERENCES p (a, b)" in sql(CreateTable(c))
    p = m.tables["p"]
    assert sql(select(p).join(c)).endswith("JOIN c ON p.a = c.pa AND p.b = c.pb")


@pytest.mark.parametrize("dialect", [SQLITE, PG], ids=["sqlite", "postgresql"])
def test_construct_many_matches_construct_params(dialect):
    """The executemany fast path (one itemgetter per row) gives what construct_params
    gives, falling back to it per row for defaults and missing keys."""
    m = MetaData()
    counter = iter(range(100))
    t = Table(
        "t", m,
        Column("id", Integer, primary_key=True),
        Column("name", String(20)),
        Column("flag", Boolean, default=True),
        Column("n", Integer, default=lambda: next(counter)),
    )
    rows = [{"name": "a", "flag": False, "n": 1}, {"name": None, "flag": None, "n": None},
            {"name": "c"}, {"name": "d", "flag": True, "n": 4}]
    stmt = insert(t)
    compiled, bound = compile_statement(stmt, dialect, rows[0], executemany=True)
    many = compiled.construct_many(bound, rows)
    assert many[0] == compiled.construct_params(bound, rows[0])
    assert many[1] == compiled.construct_params(bound, rows[1])
    assert many[2][0] == "c" and many[2][2] is not None  # defaults computed per row
    assert many[3] == compiled.construct_params(bound, rows[3])
    upd = update(t).where(t.c.id == bindparam("k")).values(name=bindparam("v"))
    compiled, bound = compile_statement(upd, dialect, {"k": 1, "v": "x"}, executemany=True)
    assert compiled.construct_many(bound, [{"k": 1, "v": "x"}, {"k": 2, "v": None}]) == [
        compiled.construct_params(bound, {"k": 1, "v": "x"}),
        compiled.construct_params(bound, {"k": 2, "v": None}),
    ]
    with pytest.raises(exc.InvalidRequestError):
        compiled.construct_many(bound, [{"k": 1, "v": "x"}, {"k": 2}])


def test_many_values_only_for_positional_single_row_insert(tables):
    users = tables[1]
    compiled, _ = compile_statement(insert(users).returning(users.c.id), SQLITE,
                                    {"name": "a"}, executemany=True)
    prefix, group = compiled.many_values
    assert prefix == "INSERT INTO users (name, active) VALUES "
    assert group == "(?, ?)"
    assert compiled.string == prefix + group + " RETURNING id"
    compiled, _ = compile_statement(insert(users).returning(users.c.id), PG,
                                    {"name": "a"}, executemany=True)
    assert compiled.many_values[1] == "(%s, %s)"
    compiled, _ = compile_statement(insert(users).values(name="a"), SQLITE, None)
    assert compiled.many_values == ("INSERT INTO users (name, active) VALUES ", "(?, ?)")


def test_expanding_in_is_one_array_parameter_on_postgresql() -> None:
    """A list of the column's own keys (the ORM's batch loads and deletes) travels as one
    array on PostgreSQL."""
    from tether.sql.elements import BindParameter

    def keys(name: str) -> BindParameter:
        return BindParameter(name, expanding=True, key_list=True)

    t = Table("users", MetaData(), Column("id", Integer), Column("name", String(20)))
    stmt = select(t.c.id).where(t.c.id.in_(keys("ks")))
    assert sql(stmt, PG, {"ks": [1, 2, 3]}).endswith("WHERE users.id = ANY(CAST(%s AS INTEGER[]))")
    assert params(stmt, PG, {"ks": (1, 2, 3)}) == ([1, 2, 3],)
    not_in = select(t.c.id).where(t.c.name.not_in(keys("ns")))
    assert sql(not_in, PG, {"ns": ["a"]}).endswith("WHERE users.name <> ALL(CAST(%s AS TEXT[]))")
    # SQLite keeps one placeholder per item; an empty list is still no match at all.
    assert sql(stmt, SQLITE, {"ks": [1, 2]}).endswith("WHERE users.id IN (?, ?)")
    assert params(stmt, SQLITE, {"ks": [4, 5]}) == (4, 5)
    assert sql(stmt, PG, {"ks": []}).endswith("WHERE 1 != 1")
    # What the selectin loaders read to send all keys in one statement.
    assert in_list_binds_as_array(PG, t.c.id) and in_list_binds_as_array(PG, t.c.name)
    assert not in_list_binds_as_array(SQLITE, t.c.id)


def test_a_users_in_list_keeps_one_placeholder_per_item_on_postgresql() -> None:
    """A user's values are coerced by the database one by one, as in ``IN (...)`` (a
    float is not rounded into an integer array, a string may match an integer)."""
    t = Table("users", MetaData(), Column("id", Integer))
    stmt = select(t.c.id).where(t.c.id.in_(bindparam("ks", expanding=True)))
    assert sql(stmt, PG, {"ks": [1.5, 2]}).endswith("WHERE users.id IN (%s, %s)")
    assert sql(select(t.c.id).where(t.c.id.in_([1, 2])), PG).endswith(" IN (%s, %s)")


def test_expanding_in_of_an_untyped_expression_keeps_the_list_on_postgresql() -> None:
    from tether.sql import literal_column

    x = literal_column("x")
    stmt = select(x).where(x.in_(bindparam("ks", expanding=True)))
    assert sql(stmt, PG, {"ks": [1, 2]}).endswith(" IN (%s, %s)")


def test_select_params_binds_values_in_every_clause() -> None:
    from tether import bindparam

    users = Table("pu", MetaData(), Column("id", Integer, primary_key=True),
                  Column("name", String(20)))
    stmt = (select(users.c.id, (users.c.id + bindparam("k")).label("k1"))
            .where(users.c.name == bindparam("n"))
            .order_by(users.c.id - bindparam("k"))
            .params(n="ann", k=3))
    assert params(stmt) == (3, "ann", 3)
    nested = select(users.c.id).where(users.c.id.in_(
        select(users.c.id).where(users.c.name == bindparam("n")).params(n="bob")))
    assert params(nested) == ("bob",)
    count = select(func.count()).select_from(stmt.order_by(None).subquery())
    assert params(count) == (3, "ann")


def test_identity_options_and_computed_columns_ddl() -> None:
    from tether import Computed, Identity

    t = Table(
        "gen", MetaData(),
        Column("id", Integer, Identity(always=True, start=100, increment=5, cycle=False),
               primary_key=True),
        Column("qty", Integer),
        Column("double", Integer, Computed("qty * 2")),
        Column("stored", Integer, Computed("qty + 1", persisted=True)),
    )
    pg = sql(CreateTable(t), PG)
    assert ("id INTEGER GENERATED ALWAYS AS IDENTITY (START WITH 100 INCREMENT BY 5 "
            "NO CYCLE) NOT NULL") in pg
    # PostgreSQL stores every generated column; SQLite computes it on read unless persisted
    assert 'double INTEGER GENERATED ALWAYS AS (qty * 2) STORED' in pg
    lite = sql(CreateTable(t))
    assert 'double INTEGER GENERATED ALWAYS AS (qty * 2),' in lite
    assert "stored INTEGER GENERATED ALWAYS AS (qty + 1) STORED" in lite
    assert "id INTEGER NOT NULL" in lite  # SQLite's rowid needs no identity clause


def test_type_cache_key_follows_attribute_changes() -> None:
    # The key is kept on the type; setting an attribute drops it, so a changed type
    # never reuses the compiled form of the old one.
    t = String(10)
    first = t._cache_key()
    assert t._cache_key() is first
    assert repr(t) == "String(length=10)"
    t.length = 20
    assert t._cache_key() != first
    assert t._cache_key() == String(20)._cache_key()
    assert repr(t) == "String(length=20)"
    copy = t.copy()
    assert copy._cache_key() == t._cache_key()


def test_literals_and_select_defaults() -> None:
    t = Table("lit", MetaData(), Column("id", Integer, primary_key=True), Column("s", String(5)),
              Column("b", Boolean))
    stmt = select(t).where(t.c.s == "x", t.c.id > 3, t.c.id < 2.5, t.c.b.is_(True),
                           t.c.b == False)  # noqa: E712
    assert params(stmt) == ("x", 3, 2.5)
    assert sql(stmt).endswith("lit.id > ? AND lit.id < ? AND lit.b IS 1 AND lit.b = 0")
    # Parts a select leaves unset are shared defaults; setting one on a copy leaves the
    # original as it was.
    base = select(t)
    assert "_where" not in base.__dict__
    assert sql(base.where(t.c.id == 1).distinct().limit(2)) != sql(base)
    assert sql(base) == "SELECT lit.id, lit.s, lit.b FROM lit"


def test_column_compared_with_literals() -> None:
    t = Table("cmp", MetaData(), Column("id", Integer, primary_key=True), Column("s", String(5)),
              Column("n", Numeric(5, 2)))
    crit = [t.c.s.like("a%", escape="/"), t.c.s.ilike("B%"), t.c.id != 3, t.c.n >= 1.5,
            t.c.s.is_distinct_from("x"), t.c.id == None, t.c.s != None]  # noqa: E711
    stmt = select(t.c.id).where(*crit)
    assert sql(stmt) == (
        "SELECT cmp.id FROM cmp WHERE cmp.s LIKE ? ESCAPE '/' AND lower(cmp.s) LIKE lower(?) "
        "AND cmp.id != ? AND cmp.n >= ? AND cmp.s IS DISTINCT FROM ? AND cmp.id IS NULL "
        "AND cmp.s IS NOT NULL")
    assert params(stmt) == ("a%", "B%", 3, decimal.Decimal("1.5"), "x")
    assert sql(stmt, PG).startswith(
        "SELECT cmp.id FROM cmp WHERE cmp.s LIKE %s ESCAPE '/' AND cmp.s ILIKE %s")
    # The bind takes the column's type (its bind processing included).
    assert all(c.right.type is c.left.type for c in crit[:5])


def test_column_compared_with_a_literal_is_what_the_constructors_build():
    """The lean ``column <op> literal`` path sets exactly the attributes
    ``BinaryExpression(col, BindParameter(None, value, col.type), op, BOOLEANTYPE)`` does."""
    from tether import Column, Integer, MetaData, String, Table
    from tether.sql import types as sqltypes
    from tether.sql.elements import BinaryExpression, BindParameter, Grouping, and_

    t = Table("t", MetaData(), Column("n", Integer), Column("s", String(20)))
    for expr, op, value, col in (
        (t.c.n == 3, "=", 3, t.c.n), (t.c.n > 2.5, ">", 2.5, t.c.n),
        (t.c.s.like("a%", escape="/"), "like", "a%", t.c.s),
        (t.c.s.not_ilike("b"), "not_ilike", "b", t.c.s),
    ):
        built = BinaryExpression(col, BindParameter(None, value, col.type), op,
                                 sqltypes.BOOLEANTYPE, escape=expr.escape)
        assert type(expr) is BinaryExpression and type(expr.right) is BindParameter
        assert vars(expr.right) == vars(built.right)
        assert {k: v for k, v in vars(expr).items() if k != "right"} == \
            {k: v for k, v in vars(built).items() if k != "right"}
    # a left side of lower precedence is grouped, as the constructor groups it
    both = and_(t.c.n == 1, t.c.s == "x")
    built = BinaryExpression(both, BindParameter(None, 1, both.type), "=", sqltypes.BOOLEANTYPE)
    lean = both == 1
    assert type(lean.left) is type(built.left) is Grouping and lean.left.element is both
    assert vars(lean.right) == vars(built.right)


@pytest.mark.parametrize("count", [1, 2, 500])
def test_expanding_in_renders_one_placeholder_per_item_in_each_paramstyle(tables, count):
    # The list's placeholders are rendered in one step (SQLCompiler._placeholders): same
    # text and names as one placeholder per item, after and before other binds.
    _, users, _ = tables
    keys = list(range(count))
    stmt = (select(users.c.id)
            .where(users.c.name == bindparam("ks"))
            .where(users.c.id.in_(bindparam("ks", expanding=True)))
            .where(users.c.id.in_(keys))
            .where(users.c.name == "x"))
    exec_params = {"ks": keys}
    qmark = ", ".join(["?"] * count)
    assert sql(stmt, SQLITE, exec_params) == (
        "SELECT users.id FROM users WHERE users.name = ? AND users.id IN (" + qmark
        + ") AND users.id IN (" + qmark + ") AND users.name = ?")
    assert list(params(stmt, SQLITE, exec_params)) == [keys, *keys, *keys, "x"]
    assert sql(stmt.where(users.c.id.in_(bindparam("u", expanding=True))), PG,
               {**exec_params, "u": keys}).count("%s") == 2 * count + 2 + count
    ks = ", ".join(f":ks_{n}" for n in range(2, count + 2))
    literal = ", ".join(f":param_{n}" for n in range(1, count + 1))
    assert str(stmt.params(ks=keys)) == (
        f"SELECT users.id FROM users WHERE users.name = :ks AND users.id IN ({ks})"
        f" AND users.id IN ({literal}) AND users.name = :param_{count + 1}")


def test_placeholders_match_one_placeholder_call_per_item() -> None:
    from tether.sql.compiler import SQLCompiler

    t = Table("t", MetaData(), Column("id", Integer, primary_key=True))
    for dialect in (SQLITE, PG, None):
        for name, seen, count in [("k", 0, 1), ("k", 0, 3), ("k", 2, 2), (None, 0, 2),
                                  (None, 4, 3), ("k", 0, 0)]:
            made = []
            for one_step in (False, True):
                compiler = SQLCompiler(dialect or SQLITE, select(t.c.id), [], None)
                if dialect is None:
                    compiler.flags.paramstyle = "named"
                    compiler._format = False
                compiler._bind_names = {name or "param": seen} if seen else {}
                compiler.compiled.positional_names = []
                texts = (compiler._placeholders(name, count) if one_step
                         else [compiler.placeholder(name) for _ in range(count)])
                made.append((texts, compiler._bind_names, compiler.compiled.positional_names))
            assert made[0] == made[1]


def test_like_builds_what_operate_builds():
    """``ColumnElement.like`` goes straight to the lean literal path for str/int/float and
    to the general operator path otherwise: the same element either way."""
    from tether import Column, Integer, MetaData, String, Table, literal_column
    from tether.sql.elements import _build_operation, and_, null

    t = Table("lk", MetaData(), Column("n", Integer), Column("s", String(20)))

    def same(a, b):
        assert type(a) is type(b)
        if not hasattr(a, "__dict__"):
            return
        assert a.__dict__.keys() == b.__dict__.keys()
        for k, v in vars(a).items():
            w = vars(b)[k]
            if hasattr(v, "_shape") and not getattr(v, "_is_from", False) and v is not w:
                same(v, w)
            else:
                assert v is w or v == w, k

    grouped = and_(t.c.n == 1, t.c.s == "x")
    for left, other, escape in (
        (t.c.s, "a%", None), (t.c.s, "a/%", "/"), (t.c.n, 5, None), (t.c.n, 2.5, None),
        (t.c.s, bindparam("p", "z%"), None), (t.c.s, t.c.s + "%", None),
        (t.c.s, None, None), (t.c.s, literal_column("'q%'"), "!"), (grouped, "y", None),
        (t.c.s + "x", "a%", None), (t.c.s, null(), None),
    ):
        fast = left.like(other, escape=escape)
        general = _build_operation(left, "like", other, escape=escape)
        same(fast, general)
        assert compile_statement(select(t.c.n).where(fast), SQLiteDialect())[0].string == \
            compile_statement(select(t.c.n).where(general), SQLiteDialect())[0].string
    assert "WHERE (lk.n = ? AND lk.s = ?) LIKE ?" in compile_statement(
        select(t.c.n).where(grouped.like("y")), SQLiteDialect())[0].string


def test_tables_key_themselves_in_statement_shapes():
    """A table (and its columns) stand for themselves in a cache key, beside aliases of
    the same table, named or anonymous; a column of a subquery compared with a value
    still brings the subquery's own bind values."""
    from tether.sql.elements import ShapeContext

    m = MetaData()
    t = Table("kt", m, Column("id", Integer, primary_key=True), Column("n", Integer))
    named, anon = t.alias("k2"), t.alias()
    dialect = SQLiteDialect()
    ctx = ShapeContext()
    shape = select(t).where(t.c.n == 3)._shape(ctx)
    assert shape[1] == ("from", t) and shape[3][4] == ("tcol", t, "n")
    assert t.c.n._shape(ShapeContext()) == ("tcol", t, "n") == t.c.n._shape([])
    strings = set()
    for from_ in (t, named, anon):
        for stmt in (select(from_).where(from_.c.n == 3),
                     select(t.c.id).join(from_, from_.c.id == t.c.n).where(from_.c.n == 3)):
            if from_ is t and stmt._joins:
                continue
            compiled, bound = compile_statement(stmt, dialect)
            assert compiled.construct_params(bound, None) == (3,)
            strings.add(compiled.string)
    assert len(strings) == 5
    # a subquery reached only through a column in WHERE: its bind comes first
    sub = select(t.c.id, t.c.n).where(t.c.n > 7).subquery()
    stmt = select(t.c.id).where(sub.c.n == 9)
    compiled, bound = compile_statement(stmt, dialect)
    assert compiled.construct_params(bound, None) == (7, 9)
    other = select(t.c.id).where(select(t.c.id, t.c.n).where(t.c.n > 8).subquery().c.n == 9)
    compiled2, bound2 = compile_statement(other, dialect)
    assert compiled2 is compiled and compiled2.construct_params(bound2, None) == (8, 9)


def test_bind_values_at_each_execution():
    """A bind's value is read at each execution: its callable is called then (a value of
    None included), a plain value is taken as it is, an execution parameter wins over
    both; a required bind with neither says so."""
    from tether import exc

    m = MetaData()
    t = Table("bv", m, Column("id", Integer, primary_key=True), Column("n", Integer))
    dialect = SQLiteDialect()
    calls = iter([4, None, 6])
    stmt = select(t.c.id).where(t.c.n == bindparam("n", callable_=lambda: next(calls)),
                                t.c.id > bindparam("lo", 1), t.c.id < 9)
    compiled, bound = compile_statement(stmt, dialect)
    assert compiled.construct_params(bound, None) == (4, 1, 9)
    assert compiled.construct_params(bound, None) == (None, 1, 9)
    assert compiled.construct_params(bound, {"lo": 2}) == (6, 2, 9)
    assert compiled.construct_params(bound, {"n": 7, "lo": 3}) == (7, 3, 9)
    required, rbound = compile_statement(select(t.c.id).where(t.c.n == bindparam("r")),
                                         dialect)
    with pytest.raises(exc.InvalidRequestError, match="'r'"):
        required.construct_params(rbound, None)
    assert required.construct_params(rbound, {"r": 1}) == (1,)


def test_str_of_a_statement_with_typed_values_needs_no_database() -> None:
    # str(statement) compiles for display without a dialect: boolean, datetime, decimal
    # and uuid values are shown as Python holds them (it failed on a Boolean bind before).
    import datetime
    import decimal
    import uuid

    from tether import Boolean, DateTime, Numeric, Uuid, and_

    t = Table("disp", MetaData(), Column("n", Integer), Column("s", String(20)),
              Column("b", Boolean), Column("d", DateTime(timezone=True)),
              Column("x", Numeric(10, 2)), Column("u", Uuid))
    assert str(select(t.c.n).where(t.c.n == True)) == (  # noqa: E712
        "SELECT disp.n FROM disp WHERE disp.n = true")
    assert str(select(t.c.n).where(and_(t.c.n == 1, t.c.s == "x").like("y"))) == (
        "SELECT disp.n FROM disp WHERE (disp.n = :param_1 AND disp.s = :param_2)"
        " LIKE :param_3")
    when = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    compiled = select(t.c.n).where(t.c.b == False, t.c.d > when,  # noqa: E712
                                   t.c.x == decimal.Decimal("1.5"),
                                   t.c.u == uuid.UUID(int=1)).compile()
    assert str(compiled) == (
        "SELECT disp.n FROM disp WHERE disp.b = false AND disp.d > :param_1"
        " AND disp.x = :param_2 AND disp.u = :param_3")
    assert compiled.params == {"param_1": when, "param_2": decimal.Decimal("1.5"),
                               "param_3": uuid.UUID(int=1)}


def test_aliases_reached_only_through_the_where_are_keyed_with_their_values(tables):
    # Select's cache key adds the aliases the WHERE's columns reach (their binds too) only
    # when its walk met an alias: each form below must be told apart, share its compiled
    # form with the same statement made with other values, and bind those values.
    _, users, posts = tables
    dialect = SQLiteDialect()

    def sub(title, op="eq"):
        crit = posts.c.title == title if op == "eq" else posts.c.title != title
        return select(posts.c.user_id).where(crit).subquery()

    named = users.alias("u2")
    forms = {
        "sub": lambda v: select(users.c.name).where(users.c.id == sub(v).c.user_id),
        "sub_ne": lambda v: select(users.c.name).where(users.c.id == sub(v, "ne").c.user_id),
        "sub_and": lambda v: select(users.c.name).where(
            users.c.name == "n", and_(users.c.id > 0, users.c.id == sub(v).c.user_id)),
        "sub_func": lambda v: select(users.c.name).where(
            not_(func.lower(cast(sub(v).c.user_id, String)) == "1")),
        "sub_case": lambda v: select(users.c.id).where(
            case((users.c.id == sub(v).c.user_id, 1), else_=0) == 1),
        "named": lambda v: select(users.c.name).where(users.c.id == named.c.id,
                                                      named.c.name == v),
        "in_cols_too": lambda v: select(named.c.name).where(named.c.id == sub(v).c.user_id),
        "exists": lambda v: select(named.c.name).where(
            exists().where(posts.c.user_id == named.c.id, posts.c.title == v)),
        "join": lambda v: select(users.c.name).join(named, named.c.id == users.c.id)
        .where(named.c.name == v),
    }
    compiled = {}
    for name, make in forms.items():
        one, bound_one = compile_statement(make("x"), dialect)
        two, bound_two = compile_statement(make("y"), dialect)
        assert one is two, name
        fresh = compile_statement(make("x"), SQLiteDialect())[0]
        assert fresh.string == one.string, name
        assert "x" in one.construct_params(bound_one, None), name
        assert "y" in two.construct_params(bound_two, None), name
        assert "x" not in two.construct_params(bound_two, None), name
        compiled[name] = one
    assert len({id(c) for c in compiled.values()}) == len(compiled)
    assert "FROM users, (SELECT posts.user_id FROM posts WHERE posts.title = ?) AS anon_1 " \
        "WHERE users.id = anon_1.user_id" in compiled["sub"].string
    assert params(forms["sub_and"]("x")) == ("x", "n", 0)
    assert "FROM users, users AS u2" in compiled["named"].string
    # two anonymous subqueries of the same shape, or one met twice, stay apart
    s1, s2 = sub("a"), sub("b")
    twice = select(users.c.name).where(users.c.id == s1.c.user_id, users.c.id == s1.c.user_id)
    both = select(users.c.name).where(users.c.id == s1.c.user_id, users.c.id == s2.c.user_id)
    assert sql(twice) != sql(both)
    assert params(both) == ("a", "b")
    # a walk into a plain list (no ShapeContext) still keys the WHERE's aliases
    plain = forms["named"]("x")._shape([])
    assert "WA" in plain and ("alias", "u2", users) in plain
    assert "WA" not in select(users.c.name).where(users.c.id == 1)._shape([])


def test_an_aliased_entity_reached_only_through_the_where():
    from tether.orm import aliased, declarative_base

    Base = declarative_base()

    class Person(Base):
        __tablename__ = "person"
        id = Column(Integer, primary_key=True)
        name = Column(String(20))
        boss_id = Column(Integer, ForeignKey("person.id"))

    dialect = SQLiteDialect()
    boss = aliased(Person)

    def make(v):
        return select(Person).where(Person.boss_id == boss.id, boss.name == v)

    one, bound_one = compile_statement(make("x"), dialect)
    two, bound_two = compile_statement(make("y"), dialect)
    assert one is two and one.string == compile_statement(make("x"), SQLiteDialect())[0].string
    assert "FROM person, person AS person_1" in one.string
    assert one.construct_params(bound_one, None) == ("x",)
    assert two.construct_params(bound_two, None) == ("y",)
    other = aliased(Person)
    three = compile_statement(select(Person).where(Person.boss_id == other.id,
                                                   boss.name == "x"), dialect)[0]
    assert three is not one
