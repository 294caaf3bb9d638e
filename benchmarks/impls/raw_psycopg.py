"""Raw psycopg 3: the baseline on PostgreSQL, the same work written well by hand.

One connection opened in setup (autocommit, so reads need no transaction bookkeeping and
each write workload is exactly one explicit transaction).  New rows get their keys from one
pipelined ``executemany(..., returning=True)``; other rows go in with plain ``executemany``,
which psycopg also pipelines.  Rows stay tuples.
"""

from __future__ import annotations

from typing import Any

import psycopg

from benchmarks import workloads as w
from benchmarks.dbs import Target


def _returned_ids(cur: psycopg.Cursor[Any]) -> list[int]:
    """The ids of an ``executemany(..., returning=True)``, one result set per row."""
    ids = []
    while True:
        row = cur.fetchone()
        assert row is not None
        ids.append(row[0])
        if not cur.nextset():
            return ids


class Impl:
    def __init__(self, target: Target, params: w.Params) -> None:
        self.p = params
        self.conn = psycopg.connect(target.pg_url or "", autocommit=True)
        self.conn.execute("SELECT 1").fetchone()

    def close(self) -> None:
        self.conn.close()

    def insert_graph(self) -> None:
        p, conn = self.p, self.conn
        with conn.transaction(), conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO users (name, email) VALUES (%s, %s) RETURNING id",
                [(w.user_name(i), w.user_email(i)) for i in range(p.users)],
                returning=True,
            )
            ids = _returned_ids(cur)
            cur.executemany(
                "INSERT INTO posts (user_id, title, body) VALUES (%s, %s, %s)",
                [
                    (ids[i], w.post_title(i, j), w.post_body(i, j))
                    for i in range(p.users)
                    for j in range(p.posts_per_user)
                ],
            )

    def m2m_link(self) -> None:
        p, conn = self.p, self.conn
        with conn.transaction(), conn.cursor() as cur:
            courses = cur.execute("SELECT id, title FROM courses ORDER BY id").fetchall()
            cur.executemany(
                "INSERT INTO students (name) VALUES (%s) RETURNING id",
                [(w.student_name(i),) for i in range(p.students)],
                returning=True,
            )
            ids = _returned_ids(cur)
            cur.executemany(
                "INSERT INTO enrollments (student_id, course_id) VALUES (%s, %s)",
                [
                    (ids[i], courses[c][0])
                    for i in range(p.students)
                    for c in w.student_course_indexes(i)
                ],
            )

    def load_eager(self) -> Any:
        conn = self.conn
        users = conn.execute("SELECT id, name, email FROM users").fetchall()
        by_user: dict[int, list[tuple[Any, ...]]] = {u[0]: [] for u in users}
        for post in conn.execute("SELECT id, user_id, title, body FROM posts").fetchall():
            by_user[post[1]].append(post)
        return w.checksum_eager((u[0], [(p[0], p[2], p[3]) for p in by_user[u[0]]]) for u in users)

    def load_lazy(self) -> Any:
        conn = self.conn
        users = conn.execute("SELECT id, name, email FROM users").fetchall()
        out = []
        for u in users:
            posts = conn.execute(
                "SELECT id, user_id, title, body FROM posts WHERE user_id = %s", (u[0],)
            ).fetchall()
            out.append((u[0], [(p[0], p[2], p[3]) for p in posts]))
        return w.checksum_eager(out)

    def full_objects(self) -> Any:
        rows = self.conn.execute("SELECT id, name, category, qty, price FROM items").fetchall()
        n = s_id = s_qty = s_len = 0
        s_price = 0.0
        for id_, name, category, qty, price in rows:
            n += 1
            s_id += id_
            s_qty += qty
            s_len += len(name) + len(category)
            s_price += price
        return (n, s_id, s_qty, s_len, s_price)

    def get_by_pk(self) -> Any:
        conn = self.conn
        total = 0
        for uid in w.lookup_ids(self.p):
            u = conn.execute("SELECT id, name, email FROM users WHERE id = %s", (uid,)).fetchone()
            assert u is not None
            total += u[0] + len(u[1]) + len(u[2])
        return (self.p.lookups, total)

    def join_filter(self) -> Any:
        conn = self.conn
        n = s_id = s_len = 0
        for prefix in w.join_prefixes(self.p):
            rows = conn.execute(
                "SELECT DISTINCT u.id, u.name, u.email FROM users u "
                "JOIN posts p ON p.user_id = u.id WHERE p.title LIKE %s",
                (prefix,),
            ).fetchall()
            for r in rows:
                n += 1
                s_id += r[0]
                s_len += len(r[1])
        return (n, s_id, s_len)

    def update_many(self) -> None:
        conn = self.conn
        with conn.transaction(), conn.cursor() as cur:
            rows = cur.execute("SELECT id, name, category, qty, price FROM items").fetchall()
            cur.executemany(
                "UPDATE items SET qty = %s WHERE id = %s", [(r[3] + 1, r[0]) for r in rows]
            )

    def delete_cascade(self) -> None:
        conn = self.conn
        with conn.transaction(), conn.cursor() as cur:
            ids = [
                (r[0],)
                for r in cur.execute(
                    "SELECT id FROM users WHERE id <= %s", (self.p.delete_users,)
                ).fetchall()
            ]
            cur.executemany("DELETE FROM posts WHERE user_id = %s", ids)
            cur.executemany("DELETE FROM users WHERE id = %s", ids)
