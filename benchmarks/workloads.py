"""The nine workloads' shared definition: sizes, data, schema, seeding and verification.

Every implementation works on the same schema (created here with plain DDL, so no ORM's
own DDL choices leak into the timing), the same seed rows and the same parameters, and
every run is checked afterwards against the database with raw SQL.  Nothing in this module
is timed.

Sizes are those of issue 7 at ``scale=1.0``; ``--quick`` and ``--selfcheck`` shrink them.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

WORKLOADS: tuple[str, ...] = (
    "insert_graph",
    "m2m_link",
    "load_eager",
    "load_lazy",
    "full_objects",
    "get_by_pk",
    "join_filter",
    "update_many",
    "delete_cascade",
)

DESCRIPTIONS: dict[str, str] = {
    "insert_graph": "{users:,} users x {posts_per_user} posts built as objects, one commit",
    "m2m_link": "{students:,} students each appended to {links_per_student} of {courses} courses, one commit",
    "load_eager": "all {users:,} users with their posts, eager loading",
    "load_lazy": "all {users:,} users, then each user's posts lazily",
    "full_objects": "{items_full:,} rows of a 5-column table as objects",
    "get_by_pk": "{lookups:,} lookups by primary key, a new session each",
    "join_filter": "{queries} queries, users joined to posts, LIKE filter, distinct",
    "update_many": "load {items_update:,} objects, change one column each, one commit",
    "delete_cascade": "delete {delete_users:,} users, their posts by the ORM's cascade",
}

POSTS_PER_USER = 5
COURSES = 50
LINKS_PER_STUDENT = 5
CATEGORIES = ("alpha", "beta", "gamma", "delta")


@dataclass(frozen=True)
class Params:
    """Sizes of one run; identical for every implementation at a given scale."""

    scale: float
    users: int
    posts_per_user: int
    students: int
    courses: int
    links_per_student: int
    items_full: int
    items_update: int
    lookups: int
    queries: int
    delete_users: int

    @classmethod
    def for_scale(cls, scale: float) -> Params:
        def n(base: int, minimum: int) -> int:
            return max(minimum, int(round(base * scale)))

        # users must be a multiple of 10 so that each join_filter prefix selects 10 users.
        users = max(20, int(round(2000 * scale / 10)) * 10)
        return cls(
            scale=scale,
            users=users,
            posts_per_user=POSTS_PER_USER,
            students=n(1000, 10),
            courses=COURSES,
            links_per_student=LINKS_PER_STUDENT,
            items_full=n(100_000, 100),
            items_update=n(10_000, 50),
            lookups=n(10_000, 50),
            queries=n(200, 5),
            delete_users=users // 2,
        )

    def describe(self, workload: str) -> str:
        return DESCRIPTIONS[workload].format(**self.__dict__)


# ---------------------------------------------------------------------------------------
# Data: pure functions of an index, so that seeding, the workloads and the verification
# agree without sharing state.


def user_name(i: int) -> str:
    return f"user{i:05d}"


def user_email(i: int) -> str:
    return f"user{i:05d}@example.com"


def post_title(i: int, j: int) -> str:
    return f"{user_name(i)} post {j}"


def post_body(i: int, j: int) -> str:
    return f"Body of post {j} written by {user_name(i)}; nothing to see here."


def student_name(i: int) -> str:
    return f"student{i:05d}"


def course_title(c: int) -> str:
    return f"course{c:02d}"


def student_course_indexes(i: int) -> list[int]:
    """The courses (0-based, in seed order) student ``i`` joins; always distinct."""
    return [(i + k * (COURSES // LINKS_PER_STUDENT)) % COURSES for k in range(LINKS_PER_STUDENT)]


def item_row(i: int) -> tuple[str, str, int, float]:
    # Prices are multiples of 0.25 so float sums are exact in any order.
    return (f"item{i:06d}", CATEGORIES[i % 4], i % 100, (i % 1000) * 0.25)


def lookup_ids(p: Params) -> list[int]:
    """Primary keys for get_by_pk: a scattered, repeating walk over all users (ids 1..N)."""
    return [(k * 7919) % p.users + 1 for k in range(p.lookups)]


def join_prefixes(p: Params) -> list[str]:
    """One LIKE pattern per join_filter query; each matches the posts of ten users."""
    groups = p.users // 10
    return [f"user{(q * 7) % groups:04d}%" for q in range(p.queries)]


# ---------------------------------------------------------------------------------------
# Schema

_TABLES = ("enrollments", "posts", "users", "students", "courses", "items")


def ddl(db: str) -> list[str]:
    """CREATE statements for ``db`` ('sqlite' or 'postgresql').

    Foreign keys have no ON DELETE action on purpose: delete_cascade must be done by each
    ORM's own cascade, and the database refuses an orphaned post.
    """
    pk = "INTEGER PRIMARY KEY" if db == "sqlite" else "SERIAL PRIMARY KEY"
    real = "REAL" if db == "sqlite" else "DOUBLE PRECISION"
    return [
        f"CREATE TABLE users (id {pk}, name VARCHAR(50) NOT NULL, email VARCHAR(100) NOT NULL)",
        f"CREATE TABLE posts (id {pk}, user_id INTEGER NOT NULL REFERENCES users (id), "
        "title VARCHAR(100) NOT NULL, body TEXT NOT NULL)",
        "CREATE INDEX ix_posts_user_id ON posts (user_id)",
        f"CREATE TABLE students (id {pk}, name VARCHAR(50) NOT NULL)",
        f"CREATE TABLE courses (id {pk}, title VARCHAR(100) NOT NULL)",
        "CREATE TABLE enrollments (student_id INTEGER NOT NULL REFERENCES students (id), "
        "course_id INTEGER NOT NULL REFERENCES courses (id), PRIMARY KEY (student_id, course_id))",
        "CREATE INDEX ix_enrollments_course_id ON enrollments (course_id)",
        f"CREATE TABLE items (id {pk}, name VARCHAR(50) NOT NULL, category VARCHAR(20) NOT NULL, "
        f"qty INTEGER NOT NULL, price {real} NOT NULL)",
    ]


def drop_statements() -> list[str]:
    return [f"DROP TABLE IF EXISTS {t} CASCADE" for t in _TABLES]


# ---------------------------------------------------------------------------------------
# Seeding: which tables a workload needs filled before it starts.


def _users(p: Params) -> Iterator[tuple[str, str]]:
    return ((user_name(i), user_email(i)) for i in range(p.users))


def _posts(p: Params) -> Iterator[tuple[int, str, str]]:
    # Users are seeded in order into an empty table, so user i has id i + 1.
    return (
        (i + 1, post_title(i, j), post_body(i, j))
        for i in range(p.users)
        for j in range(p.posts_per_user)
    )


def seed_rows(
    workload: str, p: Params
) -> list[tuple[str, tuple[str, ...], Iterator[tuple[Any, ...]]]]:
    """(table, columns, rows) in insertion order for ``workload``'s starting state."""
    users = ("users", ("name", "email"), _users(p))
    posts = ("posts", ("user_id", "title", "body"), _posts(p))
    if workload == "insert_graph":
        return []
    if workload == "m2m_link":
        return [("courses", ("title",), ((course_title(c),) for c in range(p.courses)))]
    if workload in ("load_eager", "load_lazy", "join_filter", "delete_cascade"):
        return [users, posts]
    if workload == "get_by_pk":
        return [users]
    if workload == "full_objects":
        return [
            (
                "items",
                ("name", "category", "qty", "price"),
                (item_row(i) for i in range(p.items_full)),
            )
        ]
    if workload == "update_many":
        return [
            (
                "items",
                ("name", "category", "qty", "price"),
                (item_row(i) for i in range(p.items_update)),
            )
        ]
    raise ValueError(f"unknown workload {workload!r}")


# ---------------------------------------------------------------------------------------
# Verification: `fetch(sql)` runs raw SQL on a fresh connection and returns all rows.
# A workload that reads returns a checksum built from the objects it loaded; one that
# writes returns None and is judged by the database contents alone.


class VerificationError(AssertionError):
    """The database or the returned checksum does not match the workload's definition."""


def _check(cond: bool, what: str) -> None:
    if not cond:
        raise VerificationError(what)


def expected_checksum(workload: str, p: Params, fetch: Any) -> Any:
    """The checksum a correct read workload returns, computed from the database."""
    if workload in ("load_eager", "load_lazy"):
        (nu,) = fetch("SELECT count(*) FROM users")[0]
        np_, s_idprod, s_len = fetch(
            "SELECT count(*), sum(CAST(p.id AS BIGINT) * u.id), sum(length(p.title) + length(p.body)) "
            "FROM posts p JOIN users u ON u.id = p.user_id"
        )[0]
        return (int(nu), int(np_), int(s_idprod), int(s_len))
    if workload == "full_objects":
        c, s_id, s_qty, s_len, s_price = fetch(
            "SELECT count(*), sum(id), sum(qty), sum(length(name) + length(category)), sum(price) "
            "FROM items"
        )[0]
        # (rows, sum of ids, sum of qty, total text length, sum of prices): every column read.
        return (int(c), int(s_id), int(s_qty), int(s_len), float(s_price))
    if workload == "get_by_pk":
        users = {r[0]: r for r in fetch("SELECT id, name, email FROM users")}
        total = 0
        for uid in lookup_ids(p):
            u = users[uid]
            total += u[0] + len(u[1]) + len(u[2])
        return (p.lookups, total)
    if workload == "join_filter":
        n = s_id = s_len = 0
        rows_by_prefix: dict[str, list[Any]] = {}
        for prefix in join_prefixes(p):
            if prefix not in rows_by_prefix:
                sql = (
                    "SELECT DISTINCT u.id, u.name FROM users u JOIN posts p ON p.user_id = u.id "
                    f"WHERE p.title LIKE '{prefix}'"
                )
                rows_by_prefix[prefix] = fetch(sql)
            for uid, name in rows_by_prefix[prefix]:
                n += 1
                s_id += uid
                s_len += len(name)
        return (n, s_id, s_len)
    return None


def checksum_eager(users: Any) -> tuple[int, int, int, int]:
    """Helper for ORMs and raw code alike: (users, posts, sum(user.id*post.id), text length)."""
    nu = np_ = s_idprod = s_len = 0
    for uid, posts in users:
        nu += 1
        for pid, title, body in posts:
            np_ += 1
            s_idprod += uid * pid
            s_len += len(title) + len(body)
    return (nu, np_, s_idprod, s_len)


def verify(workload: str, p: Params, result: Any, fetch: Any) -> None:
    """Raise VerificationError unless ``workload`` did all of its work."""
    expected = expected_checksum(workload, p, fetch)
    if expected is not None:
        if workload == "full_objects" and result is not None:
            ok = tuple(result[:4]) == expected[:4] and math.isclose(result[4], expected[4])
        else:
            ok = result is not None and tuple(result) == expected
        _check(ok, f"checksum {result!r} != expected {expected!r}")
        if workload == "join_filter":
            _check(expected[0] == 10 * p.queries, f"join_filter found {expected[0]} users")
        return
    if workload == "insert_graph":
        names = [r[0] for r in fetch("SELECT name FROM users ORDER BY name")]
        _check(names == [user_name(i) for i in range(p.users)], f"users wrong ({len(names)} rows)")
        pairs = sorted(
            fetch("SELECT u.name, p.title, p.body FROM posts p JOIN users u ON u.id = p.user_id")
        )
        want = sorted(
            (user_name(i), post_title(i, j), post_body(i, j))
            for i in range(p.users)
            for j in range(p.posts_per_user)
        )
        _check(pairs == want, f"posts wrong ({len(pairs)} rows joined to users)")
        (n_posts,) = fetch("SELECT count(*) FROM posts")[0]
        _check(n_posts == len(want), f"{n_posts} posts, want {len(want)}")
    elif workload == "m2m_link":
        names = [r[0] for r in fetch("SELECT name FROM students ORDER BY name")]
        _check(
            names == [student_name(i) for i in range(p.students)], f"students wrong ({len(names)})"
        )
        (n_courses,) = fetch("SELECT count(*) FROM courses")[0]
        _check(n_courses == p.courses, f"{n_courses} courses, want {p.courses}")
        links = sorted(
            fetch(
                "SELECT s.name, c.title FROM enrollments e JOIN students s ON s.id = e.student_id "
                "JOIN courses c ON c.id = e.course_id"
            )
        )
        links_want = sorted(
            (student_name(i), course_title(c))
            for i in range(p.students)
            for c in student_course_indexes(i)
        )
        _check(
            links == links_want, f"enrollments wrong ({len(links)} rows, want {len(links_want)})"
        )
    elif workload == "update_many":
        rows = sorted(fetch("SELECT name, category, qty, price FROM items"))
        rows_want = []
        for i in range(p.items_update):
            name, cat, qty, price = item_row(i)
            rows_want.append((name, cat, qty + 1, price))
        _check(rows == rows_want, "items not all updated exactly once")
    elif workload == "delete_cascade":
        names = [r[0] for r in fetch("SELECT name FROM users ORDER BY name")]
        want_names = [user_name(i) for i in range(p.delete_users, p.users)]
        _check(names == want_names, f"{len(names)} users left, want {len(want_names)}")
        titles = sorted(
            fetch("SELECT u.name, p.title FROM posts p JOIN users u ON u.id = p.user_id")
        )
        want_titles = sorted(
            (user_name(i), post_title(i, j))
            for i in range(p.delete_users, p.users)
            for j in range(p.posts_per_user)
        )
        _check(titles == want_titles, f"{len(titles)} posts left, want {len(want_titles)}")
        (n_posts,) = fetch("SELECT count(*) FROM posts")[0]
        _check(n_posts == len(want_titles), "orphaned posts left behind")
    else:
        raise ValueError(f"unknown workload {workload!r}")
