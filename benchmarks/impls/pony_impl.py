"""Pony ORM code for the nine workloads, written the way Pony's users write it.

Entities are mapped onto the suite's existing tables (``_table_``, ``column=``, the
``enrollments`` many-to-many table) with ``create_tables=False``.  Every workload runs in
one ``db_session`` (which commits on exit) and queries with generator ``select``;
get_by_pk opens a new ``db_session`` per lookup.  ``prefetch`` is Pony's eager loading,
``cascade_delete=True`` its cascade (also Pony's default for a ``Required`` back side).
"""

# Pony's query language iterates entity classes and indexes them by key (``User[uid]``),
# which its metaclass allows but a type checker cannot see.
# mypy: disable-error-code="attr-defined,type-arg,valid-type,name-defined"

from __future__ import annotations

from typing import Any

from pony.orm import (
    Database,
    PrimaryKey,
    Required,
    Set,
    db_session,
    select,
)

from benchmarks import workloads as w
from benchmarks.dbs import Target

db = Database()


class User(db.Entity):
    _table_ = "users"
    id = PrimaryKey(int, auto=True)
    name = Required(str, 50)
    email = Required(str, 100)
    posts = Set("Post", cascade_delete=True)


class Post(db.Entity):
    _table_ = "posts"
    id = PrimaryKey(int, auto=True)
    user = Required(User, column="user_id")
    title = Required(str, 100)
    body = Required(str)


class Student(db.Entity):
    _table_ = "students"
    id = PrimaryKey(int, auto=True)
    name = Required(str, 50)
    courses = Set("Course", table="enrollments", column="course_id")


class Course(db.Entity):
    _table_ = "courses"
    id = PrimaryKey(int, auto=True)
    title = Required(str, 100)
    students = Set(Student, table="enrollments", column="student_id")


class Item(db.Entity):
    _table_ = "items"
    id = PrimaryKey(int, auto=True)
    name = Required(str, 50)
    category = Required(str, 20)
    qty = Required(int)
    price = Required(float)


@db.on_connect(provider="sqlite")
def _sqlite_foreign_keys_on(database: Any, connection: Any) -> None:
    # Make sure every connection Pony opens enforces foreign keys, like the other runs.
    connection.cursor().execute("PRAGMA foreign_keys = ON")


class Impl:
    def __init__(self, target: Target, params: w.Params) -> None:
        self.p = params
        if target.db == "sqlite":
            db.bind(provider="sqlite", filename=target.sqlite_path, create_db=False)
        else:
            parts = target.pg_parts()
            db.bind(provider="postgres", database=parts.dbname, **parts.kwargs())
        db.generate_mapping(create_tables=False)
        with db_session:
            if target.db == "sqlite":
                if db.execute("PRAGMA foreign_keys").fetchone()[0] != 1:
                    raise RuntimeError("foreign keys are off")
            else:
                db.select("SELECT 1")

    def close(self) -> None:
        db.disconnect()

    def insert_graph(self) -> None:
        p = self.p
        with db_session:
            for i in range(p.users):
                user = User(name=w.user_name(i), email=w.user_email(i))
                for j in range(p.posts_per_user):
                    Post(user=user, title=w.post_title(i, j), body=w.post_body(i, j))

    def m2m_link(self) -> None:
        p = self.p
        with db_session:
            courses = select(c for c in Course).order_by(Course.id)[:]
            for i in range(p.students):
                student = Student(name=w.student_name(i))
                for c in w.student_course_indexes(i):
                    student.courses.add(courses[c])

    def load_eager(self) -> Any:
        with db_session:
            users = select(u for u in User).prefetch(User.posts)[:]
            return _checksum_users(users)

    def load_lazy(self) -> Any:
        with db_session:
            users = select(u for u in User)[:]
            return _checksum_users(users)

    def full_objects(self) -> Any:
        with db_session:
            items = select(i for i in Item)[:]
            n = s_id = s_qty = s_len = 0
            s_price = 0.0
            for item in items:
                n += 1
                s_id += item.id
                s_qty += item.qty
                s_len += len(item.name) + len(item.category)
                s_price += item.price
            return (n, s_id, s_qty, s_len, s_price)

    def get_by_pk(self) -> Any:
        total = 0
        for uid in w.lookup_ids(self.p):
            with db_session:
                user = User[uid]
                total += user.id + len(user.name) + len(user.email)
        return (self.p.lookups, total)

    def join_filter(self) -> Any:
        n = s_id = s_len = 0
        with db_session:
            for prefix in w.join_prefixes(self.p):
                # startswith() is how Pony spells a prefix LIKE; the suite's patterns end in %.
                start = prefix.rstrip("%")
                query = select(u for u in User for p in u.posts if p.title.startswith(start))
                for user in query.distinct():
                    n += 1
                    s_id += user.id
                    s_len += len(user.name)
        return (n, s_id, s_len)

    def update_many(self) -> None:
        with db_session:
            for item in select(i for i in Item)[:]:
                item.qty = item.qty + 1

    def delete_cascade(self) -> None:
        with db_session:
            for user in select(u for u in User if u.id <= self.p.delete_users)[:]:
                user.delete()


def _checksum_users(users: Any) -> Any:
    return w.checksum_eager(
        (user.id, [(post.id, post.title, post.body) for post in user.posts]) for user in users
    )
