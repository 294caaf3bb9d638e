# conformance: tutorial 4 (many-to-many): Left/Right and students/courses through association tables, join query
# requires: issue-3, issue-4, issue-5
"""The tutorial's Left/Right example, and Student/Course through students_courses_association.

The tutorial's Student.courses is used but never declared; here it is the other side of
Course.students (back_populates), so both sides stay in sync.  The query is the tutorial's:
`session.query(Student).join(Course, Student.courses).filter(Course.name == 'Mathematics')`.
"""

import os

from sqlalchemy import Column, ForeignKey, Integer, String, Table, create_engine, select
from sqlalchemy.ext.declarative import declarative_base
from sqlalchemy.orm import relationship, sessionmaker

Base = declarative_base()
engine = create_engine(os.environ["CONFORMANCE_DB_URL"])

association_table = Table(
    "association",
    Base.metadata,
    Column("left_id", Integer, ForeignKey("left.id")),
    Column("right_id", Integer, ForeignKey("right.id")),
)


class Left(Base):
    __tablename__ = "left"
    id = Column(Integer, primary_key=True)
    rights = relationship("Right", secondary=association_table)


class Right(Base):
    __tablename__ = "right"
    id = Column(Integer, primary_key=True)


students_courses_association = Table(
    "students_courses_association",
    Base.metadata,
    Column("student_id", Integer, ForeignKey("student.id")),
    Column("course_id", Integer, ForeignKey("course.id")),
)


class Student(Base):
    __tablename__ = "student"
    id = Column(Integer, primary_key=True)
    name = Column(String)
    courses = relationship("Course", secondary=students_courses_association, back_populates="students")

    def __repr__(self):
        return f"Student({self.name!r})"


class Course(Base):
    __tablename__ = "course"
    id = Column(Integer, primary_key=True)
    name = Column(String)
    students = relationship("Student", secondary=students_courses_association, back_populates="courses")

    def __repr__(self):
        return f"Course({self.name!r})"


Base.metadata.create_all(engine)
Session = sessionmaker(bind=engine)
session = Session()

print("-- left/right (one direction only)")
left = Left(rights=[Right(), Right()])
session.add(left)
session.commit()
print(len(left.rights), session.execute(select(association_table.c.left_id)).scalars().all() == [left.id] * 2)

# Insert students
alice = Student(name="Alice")
bob = Student(name="Bob")
session.add_all([alice, bob])
session.commit()

# Insert courses
math = Course(name="Mathematics")
physics = Course(name="Physics")
session.add_all([math, physics])
session.commit()

# Creating associations
alice.courses.append(math)
bob.courses.extend([math, physics])
print("other side in sync before commit:", sorted(s.name for s in math.students), physics.students)
session.commit()

print("-- the tutorial's query")
for student in session.query(Student).join(Course, Student.courses).filter(Course.name == "Mathematics").order_by(Student.name):
    print(student.name)

print("-- association rows by name")
rows = session.execute(
    select(Student.name, Course.name)
    .select_from(students_courses_association)
    .join(Student, Student.id == students_courses_association.c.student_id)
    .join(Course, Course.id == students_courses_association.c.course_id)
    .order_by(Student.name, Course.name)
).all()
print([tuple(r) for r in rows])

print("-- from the course side")
session.expire_all()
for course in session.query(Course).order_by(Course.name):
    print(course, sorted(s.name for s in course.students))

print("-- Bob drops Physics")
bob.courses.remove(physics)
session.commit()
print(sorted(c.name for c in bob.courses), physics.students)
print("association rows:", session.query(students_courses_association).count())
session.close()
