"""The SQL layer against real databases: DDL, every type's round trip, expressions,
joins, subqueries and DML, each on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime
import decimal
import enum
import uuid

import pytest

from tether import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    PickleType,
    SmallInteger,
    String,
    Table,
    Text,
    Time,
    Unicode,
    UniqueConstraint,
    Uuid,
    and_,
    case,
    create_engine,
    delete,
    exc,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    union_all,
    update,
)


class Mood(enum.Enum):
    happy = "h"
    sad = "s"


def blog(metadata: MetaData) -> tuple[Table, Table]:
    users = Table(
        "users", metadata,
        Column("id", Integer, primary_key=True),
        Column("name", String(50), nullable=False, unique=True),
        Column("email", String(100)),
    )
    posts = Table(
        "posts", metadata,
        Column("id", Integer, primary_key=True),
        Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"),
               nullable=False, index=True),
        Column("title", String(100), nullable=False),
        Column("body", Text),
        Column("score", Integer, default=0),
    )
    return users, posts


@pytest.fixture
def blog_db(engine):
    m = MetaData()
    users, posts = blog(m)
    m.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(users), [
            {"name": "ann", "email": "ann@x.org"},
            {"name": "bob", "email": None},
            {"name": "cy", "email": "cy@y.org"},
        ])
        conn.execute(insert(posts), [
            {"user_id": 1, "title": "machine learning at scale", "body": "ml", "score": 5},
            {"user_id": 1, "title": "cooking", "body": "pasta", "score": 1},
            {"user_id": 2, "title": "Machine Learning basics", "body": "intro", "score": 3},
        ])
    return engine, users, posts


def test_create_all_is_idempotent_and_drop_all_removes(engine):
    m = MetaData()
    users, posts = blog(m)
    m.create_all(engine)
    m.create_all(engine)
    with engine.connect() as conn:
        assert engine.dialect.has_table(conn, "users")
        assert engine.dialect.has_table(conn, "posts")
        assert engine.dialect.has_index(conn, "posts", "ix_posts_user_id")
    m.drop_all(engine)
    with engine.connect() as conn:
        assert not engine.dialect.has_table(conn, "users")
    m.drop_all(engine)


def test_foreign_key_is_enforced_and_named_in_the_error(blog_db):
    engine, users, posts = blog_db
    with engine.connect() as conn:
        with pytest.raises(exc.IntegrityError) as err:
            conn.execute(insert(posts).values(user_id=55, title="orphan"))
        assert "posts" in str(err.value)
        assert err.value.orig is not None
        conn.rollback()
        assert conn.execute(select(func.count()).select_from(posts)).scalar() == 3


def test_on_delete_cascade(blog_db):
    engine, users, posts = blog_db
    with engine.begin() as conn:
        conn.execute(delete(users).where(users.c.name == "ann"))
    with engine.connect() as conn:
        assert conn.execute(select(posts.c.title)).scalars().all() == ["Machine Learning basics"]


def test_unique_violation_is_integrity_error(blog_db):
    engine, users, _ = blog_db
    with engine.connect() as conn:
        with pytest.raises(exc.IntegrityError):
            conn.execute(insert(users).values(name="ann"))


def test_join_filter_distinct_like_the_blog_tutorial(blog_db):
    engine, users, posts = blog_db
    stmt = (select(users.c.email).join(posts)
            .where(posts.c.title.ilike("%machine learning%")).distinct()
            .order_by(users.c.email))
    with engine.connect() as conn:
        assert conn.execute(stmt).scalars().all() == ["ann@x.org", None] or \
            conn.execute(stmt).scalars().all() == [None, "ann@x.org"]
        explicit = select(users.c.name).join(posts, users.c.id == posts.c.user_id).where(
            posts.c.body.like("%pasta%"))
        assert conn.execute(explicit).scalars().all() == ["ann"]


def test_group_by_having_order_limit_offset(blog_db):
    engine, users, posts = blog_db
    n = func.count(posts.c.id).label("n")
    stmt = (select(users.c.name, n).outerjoin(posts).group_by(users.c.name)
            .order_by(n.desc(), users.c.name))
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
        assert [(r.name, r.n) for r in rows] == [("ann", 2), ("bob", 1), ("cy", 0)]
        having = stmt.having(func.count(posts.c.id) >= 1)
        assert [r.name for r in conn.execute(having)] == ["ann", "bob"]
        page = select(users.c.name).order_by(users.c.name).limit(1).offset(1)
        assert conn.execute(page).scalars().all() == ["bob"]
        assert conn.execute(select(users.c.name).order_by(users.c.name).offset(2)).scalars() \
            .all() == ["cy"]


def test_subqueries_exists_in_and_scalar(blog_db):
    engine, users, posts = blog_db
    with engine.connect() as conn:
        has_posts = exists().where(posts.c.user_id == users.c.id)
        assert conn.execute(select(users.c.name).where(has_posts).order_by(users.c.name)) \
            .scalars().all() == ["ann", "bob"]
        assert conn.execute(select(users.c.name).where(~has_posts)).scalars().all() == ["cy"]
        ids = select(posts.c.user_id).where(posts.c.score > 2)
        assert conn.execute(select(users.c.name).where(users.c.id.in_(ids))
                            .order_by(users.c.name)).scalars().all() == ["ann", "bob"]
        total = (select(func.coalesce(func.sum(posts.c.score), 0))
                 .where(posts.c.user_id == users.c.id).scalar_subquery())
        rows = conn.execute(select(users.c.name, total.label("total")).order_by(users.c.id))
        assert [tuple(r) for r in rows] == [("ann", 6), ("bob", 3), ("cy", 0)]
        sub = (select(posts.c.user_id, func.max(posts.c.score).label("best"))
               .group_by(posts.c.user_id).subquery())
        rows = conn.execute(select(users.c.name, sub.c.best).join(
            sub, sub.c.user_id == users.c.id).order_by(sub.c.best))
        assert [tuple(r) for r in rows] == [("bob", 3), ("ann", 5)]


def test_union_case_and_literal(blog_db):
    engine, users, posts = blog_db
    with engine.connect() as conn:
        u = union_all(select(users.c.name).where(users.c.id == 1),
                      select(users.c.name).where(users.c.id == 3))
        assert sorted(conn.execute(u).scalars().all()) == ["ann", "cy"]
        label = case((posts.c.score >= 3, "good"), else_="meh")
        rows = conn.execute(select(posts.c.id, label).order_by(posts.c.id)).all()
        assert [r[1] for r in rows] == ["good", "meh", "good"]
        assert conn.execute(select(literal(5) + 2)).scalar() == 7


def test_self_join_with_alias(engine):
    m = MetaData()
    emp = Table("emp", m, Column("id", Integer, primary_key=True),
                Column("boss_id", Integer, ForeignKey("emp.id")), Column("name", String(20)))
    m.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(emp), [{"id": 1, "name": "ceo", "boss_id": None},
                                   {"id": 2, "name": "cto", "boss_id": 1},
                                   {"id": 3, "name": "dev", "boss_id": 2}])
        boss = emp.alias("boss")
        rows = conn.execute(select(emp.c.name, boss.c.name).join(
            boss, emp.c.boss_id == boss.c.id).order_by(emp.c.id)).all()
        assert [tuple(r) for r in rows] == [("cto", "ceo"), ("dev", "cto")]


def test_update_and_delete_with_returning_and_rowcount(blog_db):
    engine, users, posts = blog_db
    with engine.begin() as conn:
        result = conn.execute(update(posts).where(posts.c.score < 4)
                              .values(score=posts.c.score + 10))
        assert result.rowcount == 2
        ids = conn.execute(delete(posts).where(posts.c.score > 12).returning(posts.c.id))
        assert ids.scalars().all() == [3]
        new_id = conn.execute(insert(users).values(name="dee").returning(users.c.id)).scalar()
        assert new_id == 4
    with engine.connect() as conn:
        assert conn.execute(select(posts.c.score).order_by(posts.c.id)).scalars().all() == [5, 11]


def test_executemany_with_defaults_and_python_callables(engine):
    m = MetaData()
    counter = iter(range(100, 200))
    t = Table("t", m, Column("id", Integer, primary_key=True),
              Column("name", String(10)),
              Column("seq", Integer, default=lambda: next(counter)),
              Column("upper", String(10), default=lambda ctx: ctx.current_parameters["name"]
                     .upper()),
              Column("touched", Integer, onupdate=7))
    m.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(t), [{"name": "a"}, {"name": "b"}])
        conn.execute(update(t).where(t.c.name == "a").values(name="aa"))
        rows = conn.execute(select(t.c.name, t.c.seq, t.c.upper, t.c.touched)
                            .order_by(t.c.id)).all()
    assert [tuple(r) for r in rows] == [("aa", 100, "A", 7), ("b", 101, "B", None)]


def test_sql_expression_defaults_with_bound_literals(engine):
    """A column default or onupdate that is a SQL expression with a literal argument
    (``func.lower("ABC")``) is rendered into the statement with that literal bound; a
    value given for the column wins over it, in single rows, executemany and RETURNING."""
    m = MetaData()
    t = Table("sqldef", m, Column("id", Integer, primary_key=True),
              Column("name", String(20), default=func.lower("ABC")),
              Column("tag", String(20), onupdate=func.upper("tagged")),
              Column("n", Integer))
    m.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(t), {"n": 1})
        conn.execute(insert(t), [{"n": 2}, {"n": 3}])
        conn.execute(insert(t), {"n": 4, "name": "given"})
        ids = conn.execute(insert(t).returning(t.c.id), [{"n": 5}, {"n": 6}]).scalars().all()
        conn.execute(update(t).where(t.c.n == 1).values(n=10))
        rows = conn.execute(select(t.c.n, t.c.name, t.c.tag).order_by(t.c.id)).all()
    assert len(ids) == 2
    assert [tuple(r) for r in rows] == [
        (10, "abc", "TAGGED"), (2, "abc", None), (3, "abc", None), (4, "given", None),
        (5, "abc", None), (6, "abc", None)]


def test_text_with_bound_parameters(blog_db):
    engine, _, _ = blog_db
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT name FROM users WHERE id > :low ORDER BY id"),
                            {"low": 1}).all()
        assert [r.name for r in rows] == ["bob", "cy"]
        with pytest.raises(exc.ArgumentError, match="text"):
            conn.execute("SELECT 1")  # type: ignore[arg-type]


ROUND_TRIP = [
    (Integer, 2**31 - 1),
    (BigInteger, 2**62),
    (SmallInteger, -7),
    (String(20), "héllo wörld"),
    (Unicode(10), "日本語"),
    (Text, "x" * 5000),
    (Boolean, True),
    (Boolean, False),
    (Float, 1.5),
    (Numeric(12, 2), decimal.Decimal("1234567890.12")),
    (Numeric(10, 4), decimal.Decimal("0.1000")),
    (Date, datetime.date(1999, 12, 31)),
    (DateTime, datetime.datetime(2024, 2, 29, 23, 59, 58, 123456)),
    (DateTime(timezone=True),
     datetime.datetime(2024, 1, 1, 12, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))),
    (Time, datetime.time(13, 14, 15, 16)),
    (LargeBinary, b"\x00\xffbinary"),
    (PickleType, {"a": [1, 2, (3, 4)], "b": {5}}),
    (JSON, {"k": [1, 2.5, None, True, "s"], "n": {"x": 1}}),
    (JSON, [1, "two"]),
    (Enum(Mood), Mood.sad),
    (Enum("small", "large", name="size"), "large"),
    (Uuid, uuid.UUID("12345678-1234-5678-1234-567812345678")),
]


@pytest.mark.parametrize("type_, value", ROUND_TRIP,
                         ids=[f"{i}-{t if isinstance(t, type) else type(t)}".split(".")[-1]
                              for i, (t, _) in enumerate(ROUND_TRIP)])
def test_type_round_trip(engine, type_, value):
    m = MetaData()
    t = Table("rt", m, Column("id", Integer, primary_key=True), Column("v", type_))
    m.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(t), [{"v": value}, {"v": None}])
    with engine.connect() as conn:
        got = conn.execute(select(t.c.v).order_by(t.c.id)).scalars().all()
        assert got[0] == value
        assert type(got[0]) is type(value)
        assert got[1] is None
        # The value also works as a filter.
        if not isinstance(value, (dict, list, set)) and type_ not in (PickleType, JSON):
            assert conn.execute(select(t.c.id).where(t.c.v == value)).scalar() == 1


def test_datetime_order_and_comparison(engine):
    m = MetaData()
    t = Table("ev", m, Column("id", Integer, primary_key=True), Column("at", DateTime))
    m.create_all(engine)
    stamps = [datetime.datetime(2024, 1, d, h) for d, h in [(3, 1), (1, 23), (2, 0)]]
    with engine.begin() as conn:
        conn.execute(insert(t), [{"at": s} for s in stamps])
        later = conn.execute(select(t.c.at).where(t.c.at > datetime.datetime(2024, 1, 1, 23))
                             .order_by(t.c.at)).scalars().all()
    assert later == sorted(stamps)[1:]


def test_composite_primary_and_unique_constraint(engine):
    m = MetaData()
    t = Table("pair", m, Column("a", Integer, primary_key=True),
              Column("b", Integer, primary_key=True), Column("c", String(5)),
              UniqueConstraint("c", name="uq_pair_c"))
    m.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(t), [{"a": 1, "b": 1, "c": "x"}, {"a": 1, "b": 2, "c": "y"}])
    with engine.connect() as conn:
        with pytest.raises(exc.IntegrityError):
            conn.execute(insert(t).values(a=1, b=1, c="z"))
        conn.rollback()
        with pytest.raises(exc.IntegrityError):
            conn.execute(insert(t).values(a=2, b=1, c="x"))


def test_foreign_key_cycle_is_created_and_dropped(engine):
    m = MetaData()
    Table("a", m, Column("id", Integer, primary_key=True),
          Column("b_id", Integer, ForeignKey("b.id")))
    Table("b", m, Column("id", Integer, primary_key=True),
          Column("a_id", Integer, ForeignKey("a.id")))
    m.create_all(engine)
    m.create_all(engine)
    a, b = m.tables["a"], m.tables["b"]
    with engine.begin() as conn:
        conn.execute(insert(a).values(id=1, b_id=None))
        conn.execute(insert(b).values(id=1, a_id=1))
        conn.execute(update(a).values(b_id=1))
    with engine.connect() as conn:
        with pytest.raises(exc.IntegrityError):
            conn.execute(insert(b).values(id=2, a_id=99))
    with engine.begin() as conn:
        conn.execute(update(a).values(b_id=None))
        conn.execute(delete(b))
        conn.execute(delete(a))
    m.drop_all(engine)
    with engine.connect() as conn:
        assert not engine.dialect.has_table(conn, "a")


def test_schema_tables(engine, db_url):
    m = MetaData()
    teams = Table("teams", m, Column("id", Integer, primary_key=True),
                  Column("name", String(20)), schema="example")
    players = Table("players", m, Column("id", Integer, primary_key=True),
                    Column("team_id", Integer, ForeignKey("example.teams.id"), nullable=False),
                    schema="example")
    if not engine.dialect.supports_schemas:
        with pytest.raises(exc.OperationalError, match="sqlite_attach"):
            m.create_all(engine)
        return
    m.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(teams).values(id=1, name="Piggers"))
        conn.execute(insert(players).values(team_id=1))
        rows = conn.execute(select(players.c.id, teams.c.name).join(teams)).all()
        assert [tuple(r) for r in rows] == [(1, "Piggers")]


def test_and_or_in_where(blog_db):
    engine, users, posts = blog_db
    with engine.connect() as conn:
        stmt = select(posts.c.id).where(or_(and_(posts.c.score > 2, posts.c.user_id == 2),
                                            posts.c.title == "cooking")).order_by(posts.c.id)
        assert conn.execute(stmt).scalars().all() == [2, 3]


def test_engine_from_url_string_runs_sqlite_memory():
    engine = create_engine("sqlite://")
    m = MetaData()
    users, _ = blog(m)
    m.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(users).values(name="z"))
    with engine.connect() as conn:
        assert conn.execute(select(users.c.name)).scalar_one() == "z"
    engine.dispose()


def test_subquery_reached_only_through_its_columns_keeps_its_values(blog_db):
    engine, users, posts = blog_db
    good = select(posts.c.id, posts.c.user_id).where(posts.c.score >= 3).subquery()
    with engine.connect() as conn:
        ids = conn.execute(select(posts.c.id).where(posts.c.id.in_(select(good.c.id)))
                           .order_by(posts.c.id)).scalars().all()
        assert ids == [1, 3]
        names = conn.execute(select(users.c.name).where(users.c.id == good.c.user_id)
                             .order_by(users.c.name)).scalars().all()
        assert names == ["ann", "bob"]


class _Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


def test_expanding_in_lists_one_slot_each(engine):
    """An expanding IN list compiles to one slot giving all its values (processed per
    item): lists of several lengths, a processed type, the same list twice, an empty
    list, a textual IN, a long list, and the displayed SQL."""
    from tether import bindparam, text

    md = MetaData()
    t = Table("expand_in", md, Column("id", Integer, primary_key=True),
              Column("color", Enum(_Color)), Column("day", Date))
    md.create_all(engine)
    day = datetime.date(2024, 1, 1)
    with engine.begin() as conn:
        conn.execute(t.insert(), [
            {"id": i, "color": _Color.RED if i % 2 else _Color.BLUE,
             "day": day + datetime.timedelta(days=i)} for i in range(1, 701)])
    with engine.connect() as conn:
        def ids(stmt, params=None):
            return [r[0] for r in conn.execute(stmt, params)]

        assert ids(select(t.c.id).where(t.c.id.in_([3, 1, 2])).order_by(t.c.id)) == [1, 2, 3]
        assert ids(select(t.c.id).where(t.c.id.in_([5])).order_by(t.c.id)) == [5]
        assert ids(select(t.c.id).where(t.c.id.in_([])).order_by(t.c.id)) == []
        assert ids(select(t.c.id).where(t.c.id.in_(list(range(1, 600)))).order_by(t.c.id)) \
            == list(range(1, 600))
        both = select(t.c.id).where(t.c.color.in_([_Color.BLUE]), t.c.id.in_([2, 3, 4]),
                                    t.c.day.in_([day + datetime.timedelta(days=4)]))
        assert ids(both) == [4]
        p = bindparam("ks", expanding=True)
        again = select(t.c.id).where(t.c.id.in_(p), t.c.id.notin_(p)).order_by(t.c.id)
        assert ids(again, {"ks": [1, 2]}) == []
        assert ids(select(t.c.id).where(t.c.id.in_(p)).order_by(t.c.id), {"ks": [7, 8]}) \
            == [7, 8]
        assert ids(select(t.c.id).where(t.c.id.in_(p)).order_by(t.c.id), {"ks": [9]}) == [9]
        txt = text("SELECT id FROM expand_in WHERE id IN :ks ORDER BY id").bindparams(
            bindparam("ks", expanding=True))
        assert ids(txt, {"ks": [10, 12]}) == [10, 12]
        assert ids(txt, {"ks": [11, 12, 13]}) == [11, 12, 13]
    shown = select(t.c.id).where(t.c.id.in_([1, 2])).compile()
    assert list(shown.params.values()).count(1) == 1 and 2 in shown.params.values()


def test_column_compared_with_a_plain_literal(blog_db):
    """``column <op> str/int/float`` (the builders' lean path) against each operator and
    literal type, beside the cases it leaves to the general path (None, a bindparam, a
    SQL expression)."""
    from tether import bindparam

    engine, users, posts = blog_db
    cases = [
        (posts.c.score == 5, [1]), (posts.c.score != 5, [2, 3]), (posts.c.score < 3, [2]),
        (posts.c.score <= 3, [2, 3]), (posts.c.score > 1.5, [1, 3]),
        (posts.c.score >= 3.0, [1, 3]), (posts.c.title.like("%ing%"), [1, 2, 3]),
        (posts.c.title.not_like("c%"), [1, 3]), (posts.c.title.ilike("machine%"), [1, 3]),
        (posts.c.title.like("a/_%", escape="/"), []), (posts.c.body == None, []),  # noqa: E711
        (posts.c.score == bindparam("s", 1), [2]), (posts.c.score == posts.c.user_id + 1, [3]),
        (posts.c.score.is_distinct_from(3), [1, 2]),
    ]
    with engine.connect() as conn:
        for criterion, ids in cases:
            got = conn.execute(select(posts.c.id).where(criterion).order_by(posts.c.id))
            assert got.scalars().all() == ids, str(criterion)
        # the same statement shape with another literal: the cached SQL, new value
        for title, ids in (("cooking", [2]), ("nothing", [])):
            stmt = select(posts.c.id).where(posts.c.title == title)
            assert conn.execute(stmt).scalars().all() == ids


def test_a_comparison_compared_again_is_parenthesised(blog_db):
    # SQL does not chain comparisons (PostgreSQL rejects ``a = b = true``): a comparison on
    # the left of another is grouped, as on the right; arithmetic keeps its own grouping.
    engine, users, posts = blog_db
    checks = [
        ((posts.c.score > 2) == True, {1, 3}),  # noqa: E712 - the SQL comparison is the point
        ((posts.c.score > 2) != False, {1, 3}),  # noqa: E712
        (((posts.c.score > 2) == True) == False, {2}),  # noqa: E712
        ((posts.c.score > 2) == (posts.c.user_id == 1), {1}),
        ((posts.c.score + 1) * 2 == 12, {1}),
        (posts.c.score - (posts.c.user_id - 1) == 2, {3}),
    ]
    with engine.connect() as conn:
        for criterion, expected in checks:
            got = set(conn.execute(select(posts.c.id).where(criterion)).scalars())
            assert got == expected, str(criterion)
    sql = str(select(posts.c.id).where(((posts.c.score > 2) == True) == False)  # noqa: E712
              .compile(engine))
    assert "((posts.score > " in sql and ") = " in sql
