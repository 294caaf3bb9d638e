"""peewee 3/4 code for the nine workloads, written the way peewee's users write it.

Choices (peewee has no unit of work, so "objects built and related, one commit" means
model instances saved inside one ``db.atomic()`` block):

- insert_graph / m2m_link build model instances and ``save()`` them, relating posts through
  the ``ForeignKeyField`` and students to courses through ``ManyToManyField.add``.  We do not
  use ``insert_many``: it takes dicts or tuples rather than related objects, and a user who
  starts from objects does not usually rewrite the code around it.
- update_many changes each loaded instance and calls ``save()`` (peewee's ordinary way;
  ``bulk_update`` exists but is a batch API most code does not reach for).
- load_eager uses ``prefetch``; load_lazy iterates each user's ``posts`` back-reference.
- delete_cascade is ``delete_instance(recursive=True)``: peewee's own cascade, which deletes
  the dependent rows first (the schema has no ON DELETE action).
- get_by_pk: peewee has no session or identity map, so each lookup is ``get_by_id``.
"""

from __future__ import annotations

from typing import Any

from peewee import (
    AutoField,
    CharField,
    CompositeKey,
    DatabaseProxy,
    DeferredThroughModel,
    FloatField,
    ForeignKeyField,
    IntegerField,
    ManyToManyField,
    Model,
    PostgresqlDatabase,
    SqliteDatabase,
    TextField,
    prefetch,
)

from benchmarks import workloads as w
from benchmarks.dbs import Target

database = DatabaseProxy()


class BaseModel(Model):
    class Meta:
        database = database


class User(BaseModel):
    id = AutoField()
    name = CharField(max_length=50)
    email = CharField(max_length=100)

    class Meta:
        table_name = "users"


class Post(BaseModel):
    id = AutoField()
    user = ForeignKeyField(User, backref="posts", column_name="user_id")
    title = CharField(max_length=100)
    body = TextField()

    class Meta:
        table_name = "posts"


class Course(BaseModel):
    id = AutoField()
    title = CharField(max_length=100)

    class Meta:
        table_name = "courses"


EnrollmentThrough = DeferredThroughModel()


class Student(BaseModel):
    id = AutoField()
    name = CharField(max_length=50)
    courses = ManyToManyField(Course, backref="students", through_model=EnrollmentThrough)

    class Meta:
        table_name = "students"


class Enrollment(BaseModel):
    student = ForeignKeyField(Student, column_name="student_id")
    course = ForeignKeyField(Course, column_name="course_id")

    class Meta:
        table_name = "enrollments"
        primary_key = CompositeKey("student", "course")


EnrollmentThrough.set_model(Enrollment)


class Item(BaseModel):
    id = AutoField()
    name = CharField(max_length=50)
    category = CharField(max_length=20)
    qty = IntegerField()
    price = FloatField()

    class Meta:
        table_name = "items"


class Impl:
    def __init__(self, target: Target, params: w.Params) -> None:
        self.p = params
        if target.db == "sqlite":
            self.db: Any = SqliteDatabase(target.sqlite_path, pragmas={"foreign_keys": 1})
        else:
            parts = target.pg_parts()
            self.db = PostgresqlDatabase(parts.dbname, **parts.kwargs())
        # peewee spells LIKE as ``%``, but renders it as GLOB on SQLite (and ``**``, ILIKE, as
        # LIKE there), so the SQL stays a plain LIKE on both databases only this way.
        self._like = (lambda f, v: f**v) if target.db == "sqlite" else (lambda f, v: f % v)
        database.initialize(self.db)
        self.db.connect()
        if target.db == "sqlite":
            if self.db.execute_sql("PRAGMA foreign_keys").fetchone()[0] != 1:
                raise RuntimeError("foreign keys are off")
        else:
            self.db.execute_sql("SELECT 1").fetchone()

    def close(self) -> None:
        self.db.close()

    def insert_graph(self) -> None:
        p = self.p
        with self.db.atomic():
            for i in range(p.users):
                user = User(name=w.user_name(i), email=w.user_email(i))
                user.save()
                for j in range(p.posts_per_user):
                    Post(user=user, title=w.post_title(i, j), body=w.post_body(i, j)).save()

    def m2m_link(self) -> None:
        p = self.p
        with self.db.atomic():
            courses = list(Course.select().order_by(Course.id))
            for i in range(p.students):
                student = Student(name=w.student_name(i))
                student.save()
                student.courses.add([courses[c] for c in w.student_course_indexes(i)])

    def load_eager(self) -> Any:
        users = prefetch(User.select(), Post.select())
        return _checksum_users(users)

    def load_lazy(self) -> Any:
        return _checksum_users(User.select())

    def full_objects(self) -> Any:
        items = list(Item.select())
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
            user = User.get_by_id(uid)
            total += user.id + len(user.name) + len(user.email)
        return (self.p.lookups, total)

    def join_filter(self) -> Any:
        n = s_id = s_len = 0
        for prefix in w.join_prefixes(self.p):
            query = User.select().join(Post).where(self._like(Post.title, prefix)).distinct()
            for user in query:
                n += 1
                s_id += user.id
                s_len += len(user.name)
        return (n, s_id, s_len)

    def update_many(self) -> None:
        with self.db.atomic():
            for item in list(Item.select()):
                item.qty = item.qty + 1
                item.save()

    def delete_cascade(self) -> None:
        with self.db.atomic():
            for user in list(User.select().where(User.id <= self.p.delete_users)):
                user.delete_instance(recursive=True)


def _checksum_users(users: Any) -> Any:
    return w.checksum_eager(
        (user.id, [(post.id, post.title, post.body) for post in user.posts]) for user in users
    )
