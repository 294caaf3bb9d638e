"""Association rows of a many-to-many flush (one parameter builder per relationship) and
the in-memory bookkeeping of appending to one side of a ``back_populates`` pair.

Checked on both databases: a link appended from either side (or both) is one row; the
reverse side's unloaded collection stays unloaded and records the change; keys of
expired objects are loaded for the row; composite keys on both sides; a link removed
again before the flush writes nothing; a failing flush leaves the database unchanged and
the session usable after rollback().
"""

from __future__ import annotations

from typing import Any

import pytest

from tether import (
    Column,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    String,
    Table,
    exc,
    select,
)
from tether.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship


class Base(DeclarativeBase):
    pass


links = Table(
    "ml_links", Base.metadata,
    Column("student_id", Integer, ForeignKey("ml_student.id"), primary_key=True),
    Column("course_id", Integer, ForeignKey("ml_course.id"), primary_key=True),
)


class Student(Base):
    __tablename__ = "ml_student"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(20))
    courses: Mapped[list[Course]] = relationship(secondary=links, back_populates="students")


class Course(Base):
    __tablename__ = "ml_course"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(20))
    students: Mapped[list[Student]] = relationship(secondary=links, back_populates="courses")


tags = Table(
    "ml_tags", Base.metadata,
    Column("doc_a", Integer, primary_key=True),
    Column("doc_b", Integer, primary_key=True),
    Column("tag_a", Integer, primary_key=True),
    Column("tag_b", Integer, primary_key=True),
    ForeignKeyConstraint(["doc_a", "doc_b"], ["ml_doc.a", "ml_doc.b"]),
    ForeignKeyConstraint(["tag_a", "tag_b"], ["ml_tag.a", "ml_tag.b"]),
)


class Doc(Base):
    __tablename__ = "ml_doc"
    a: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    b: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    tags: Mapped[list[Tag]] = relationship(secondary=tags, back_populates="docs")


class Tag(Base):
    __tablename__ = "ml_tag"
    a: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    b: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    docs: Mapped[list[Doc]] = relationship(secondary=tags, back_populates="tags")


@pytest.fixture
def eng(engine: Any) -> Any:
    Base.metadata.create_all(engine)
    return engine


def _links(eng: Any) -> list[tuple[Any, ...]]:
    with Session(eng) as s:
        rows = s.execute(select(links.c.student_id, links.c.course_id)
                         .order_by(links.c.student_id, links.c.course_id))
        return [tuple(r) for r in rows]


def _courses(eng: Any, n: int) -> list[int]:
    with Session(eng) as s:
        cs = [Course(title=f"c{i}") for i in range(n)]
        s.add_all(cs)
        s.commit()
        return [c.id for c in cs]


def test_appends_to_loaded_courses_leave_their_collections_unloaded(eng: Any) -> None:
    ids = _courses(eng, 3)
    with Session(eng) as s:
        courses = s.scalars(select(Course).order_by(Course.id)).all()
        st = Student(name="s")
        for c in courses:
            st.courses.append(c)
        for c in courses:
            assert "students" not in c.__dict__  # recorded, not loaded
        s.add(st)
        s.commit()
        sid = st.id
        assert [c.title for c in courses[1].students[0].courses] == ["c0", "c1", "c2"]
    assert _links(eng) == [(sid, cid) for cid in ids]


def test_links_from_both_sides_and_expired_keys(eng: Any) -> None:
    ids = _courses(eng, 2)
    with Session(eng) as s:
        a, b = s.scalars(select(Course).order_by(Course.id)).all()
        old = Student(name="old")
        s.add(old)
        s.commit()  # every object expired: the row's keys are loaded for it
        new = Student(name="new", courses=[a])
        b.students.append(new)
        old.courses.append(b)
        s.add(new)
        s.commit()
        assert sorted(c.title for c in new.courses) == ["c0", "c1"]
        assert sorted(x.name for x in b.students) == ["new", "old"]
        assert _links(eng) == sorted([(old.id, ids[1]), (new.id, ids[0]), (new.id, ids[1])])


def test_link_removed_before_the_flush_writes_nothing(eng: Any) -> None:
    _courses(eng, 1)
    with Session(eng) as s:
        (c,) = s.scalars(select(Course)).all()
        st = Student(name="s")
        s.add(st)
        s.flush()
        st.courses.append(c)
        st.courses.remove(c)
        s.commit()
    assert _links(eng) == []


def test_composite_keys_on_both_sides(eng: Any) -> None:
    with Session(eng) as s:
        t1, t2 = Tag(a=1, b=2), Tag(a=3, b=4)
        d = Doc(a=5, b=6, tags=[t1])
        t2.docs.append(d)
        s.add_all([d, t2])
        s.commit()
    with Session(eng) as s:
        rows = s.execute(select(tags.c.doc_a, tags.c.doc_b, tags.c.tag_a, tags.c.tag_b)
                         .order_by(tags.c.tag_a))
        assert [tuple(r) for r in rows] == [(5, 6, 1, 2), (5, 6, 3, 4)]


def test_failing_flush_leaves_links_unchanged(eng: Any) -> None:
    ids = _courses(eng, 2)
    with Session(eng) as s:
        a, b = s.scalars(select(Course).order_by(Course.id)).all()
        st = Student(name="s", courses=[a])
        s.add(st)
        s.commit()
        sid = st.id
    with Session(eng) as s:
        a, b = s.scalars(select(Course).order_by(Course.id)).all()
        st = s.get(Student, sid)
        # the link's row appears behind the session's back: its INSERT fails
        s.execute(links.insert().values(student_id=sid, course_id=ids[1]))
        st.courses.append(b)
        with pytest.raises(exc.IntegrityError):
            s.flush()
        s.rollback()
        assert [c.title for c in st.courses] == ["c0"]
        other = Student(name="t", courses=[b])
        s.add(other)
        s.commit()
        assert _links(eng) == [(sid, ids[0]), (other.id, ids[1])]


graded = Table(
    "ml_graded", Base.metadata,
    Column("pupil_id", Integer, ForeignKey("ml_pupil.id"), primary_key=True),
    Column("club_id", Integer, ForeignKey("ml_club.id"), primary_key=True),
    Column("grade", String(5), default="none"),
)


class Pupil(Base):
    __tablename__ = "ml_pupil"
    id: Mapped[int] = mapped_column(primary_key=True)
    clubs: Mapped[list[Club]] = relationship(secondary=graded, back_populates="pupils")


class Club(Base):
    __tablename__ = "ml_club"
    id: Mapped[int] = mapped_column(primary_key=True)
    pupils: Mapped[list[Pupil]] = relationship(secondary=graded, back_populates="clubs")


def test_association_rows_as_tuples_single_and_with_python_default(eng: Any) -> None:
    # rows go to the driver as tuples in the plan's column order; one link, and a table
    # whose other column takes a Python default (the rows become parameter sets again)
    with Session(eng) as s:
        one = Student(name="one", courses=[Course(title="solo")])
        s.add(one)
        s.commit()
        assert _links(eng) == [(one.id, one.courses[0].id)]
        clubs = [Club(), Club()]
        pupils = [Pupil(clubs=clubs), Pupil(clubs=clubs[:1])]
        s.add_all(pupils)
        s.commit()
        got = s.execute(select(graded.c.pupil_id, graded.c.club_id, graded.c.grade)
                        .order_by(graded.c.pupil_id, graded.c.club_id)).all()
        p0, p1 = pupils[0].id, pupils[1].id
        c0, c1 = clubs[0].id, clubs[1].id
        assert [tuple(r) for r in got] == [(p0, c0, "none"), (p0, c1, "none"), (p1, c0, "none")]
