"""Raw stdlib ``sqlite3``: the baseline on SQLite, the same work written well by hand.

One connection opened in setup with foreign keys on, one transaction per write workload,
``executemany`` wherever rows share a statement.  Rows stay tuples: that is what an ORM's
objects are measured against.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from benchmarks import workloads as w
from benchmarks.dbs import Target


class Impl:
    def __init__(self, target: Target, params: w.Params) -> None:
        self.p = params
        # isolation_level=None: transactions are opened explicitly, exactly once per workload.
        self.conn = sqlite3.connect(target.sqlite_path or "", isolation_level=None)
        self.conn.execute("PRAGMA foreign_keys = ON")
        (fk,) = self.conn.execute("PRAGMA foreign_keys").fetchone()
        if fk != 1:
            raise RuntimeError("foreign keys are off")

    def close(self) -> None:
        self.conn.close()

    def insert_graph(self) -> None:
        p, conn = self.p, self.conn
        conn.execute("BEGIN")
        cur = conn.cursor()
        posts: list[tuple[int, str, str]] = []
        for i in range(p.users):
            cur.execute(
                "INSERT INTO users (name, email) VALUES (?, ?)", (w.user_name(i), w.user_email(i))
            )
            uid = cur.lastrowid
            assert uid is not None
            for j in range(p.posts_per_user):
                posts.append((uid, w.post_title(i, j), w.post_body(i, j)))
        cur.executemany("INSERT INTO posts (user_id, title, body) VALUES (?, ?, ?)", posts)
        conn.execute("COMMIT")

    def m2m_link(self) -> None:
        p, conn = self.p, self.conn
        conn.execute("BEGIN")
        courses = conn.execute("SELECT id, title FROM courses ORDER BY id").fetchall()
        cur = conn.cursor()
        links: list[tuple[int, int]] = []
        for i in range(p.students):
            cur.execute("INSERT INTO students (name) VALUES (?)", (w.student_name(i),))
            sid = cur.lastrowid
            assert sid is not None
            for c in w.student_course_indexes(i):
                links.append((sid, courses[c][0]))
        cur.executemany("INSERT INTO enrollments (student_id, course_id) VALUES (?, ?)", links)
        conn.execute("COMMIT")

    def load_eager(self) -> Any:
        conn = self.conn
        users = conn.execute("SELECT id, name, email FROM users").fetchall()
        by_user: dict[int, list[tuple[Any, ...]]] = {u[0]: [] for u in users}
        for post in conn.execute("SELECT id, user_id, title, body FROM posts"):
            by_user[post[1]].append(post)
        return w.checksum_eager((u[0], [(p[0], p[2], p[3]) for p in by_user[u[0]]]) for u in users)

    def load_lazy(self) -> Any:
        conn = self.conn
        users = conn.execute("SELECT id, name, email FROM users").fetchall()
        out = []
        for u in users:
            posts = conn.execute(
                "SELECT id, user_id, title, body FROM posts WHERE user_id = ?", (u[0],)
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
            u = conn.execute("SELECT id, name, email FROM users WHERE id = ?", (uid,)).fetchone()
            total += u[0] + len(u[1]) + len(u[2])
        return (self.p.lookups, total)

    def join_filter(self) -> Any:
        conn = self.conn
        n = s_id = s_len = 0
        for prefix in w.join_prefixes(self.p):
            rows = conn.execute(
                "SELECT DISTINCT u.id, u.name, u.email FROM users u "
                "JOIN posts p ON p.user_id = u.id WHERE p.title LIKE ?",
                (prefix,),
            ).fetchall()
            for r in rows:
                n += 1
                s_id += r[0]
                s_len += len(r[1])
        return (n, s_id, s_len)

    def update_many(self) -> None:
        conn = self.conn
        conn.execute("BEGIN")
        rows = conn.execute("SELECT id, name, category, qty, price FROM items").fetchall()
        conn.executemany("UPDATE items SET qty = ? WHERE id = ?", [(r[3] + 1, r[0]) for r in rows])
        conn.execute("COMMIT")

    def delete_cascade(self) -> None:
        conn = self.conn
        conn.execute("BEGIN")
        ids = [
            (r[0],)
            for r in conn.execute("SELECT id FROM users WHERE id <= ?", (self.p.delete_users,))
        ]
        conn.executemany("DELETE FROM posts WHERE user_id = ?", ids)
        conn.executemany("DELETE FROM users WHERE id = ?", ids)
        conn.execute("COMMIT")
