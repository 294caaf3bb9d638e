# conformance: legacy Query: filter, filter_by, join, order_by, limit/offset, slicing, count, first, one, one_or_none, scalar, exists, distinct, NoResultFound/MultipleResultsFound
# requires: issue-3, issue-5
import os

from sqlalchemy import Column, ForeignKey, Integer, String, and_, create_engine, func, or_
from sqlalchemy.orm import Session, declarative_base, relationship
from sqlalchemy.orm.exc import MultipleResultsFound, NoResultFound

Base = declarative_base()


class Dept(Base):
    __tablename__ = "depts"
    id = Column(Integer, primary_key=True)
    name = Column(String(20))
    staff = relationship("Emp", back_populates="dept")

    def __repr__(self):
        return f"Dept({self.name})"


class Emp(Base):
    __tablename__ = "emps"
    id = Column(Integer, primary_key=True)
    name = Column(String(20))
    salary = Column(Integer)
    dept_id = Column(Integer, ForeignKey("depts.id"))
    dept = relationship("Dept", back_populates="staff")

    def __repr__(self):
        return f"Emp({self.name})"


engine = create_engine(os.environ["CONFORMANCE_DB_URL"])
Base.metadata.create_all(engine)

session = Session(engine)
eng, ops, hr = Dept(name="eng"), Dept(name="ops"), Dept(name="hr")
data = [("ann", 120, eng), ("bob", 100, eng), ("cy", 90, ops), ("dee", 95, ops), ("eve", 80, eng), ("fay", 70, None)]
session.add_all([hr] + [Emp(name=n, salary=s, dept=d) for n, s, d in data])
session.commit()

q = session.query(Emp)
print("all ordered:", q.order_by(Emp.name).all())
print("filter:", q.filter(Emp.salary > 90).order_by(Emp.salary.desc()).all())
print("filter_by:", q.filter_by(name="cy").one())
print("and/or:", q.filter(or_(Emp.salary < 75, and_(Emp.salary > 95, Emp.name != "ann"))).order_by(Emp.name).all())
print("in_ / like:", q.filter(Emp.name.in_(["ann", "zed", "eve"])).order_by(Emp.name).all(), q.filter(Emp.name.like("%e%")).count())
print("limit/offset:", q.order_by(Emp.salary).limit(2).offset(1).all())
print("slice:", q.order_by(Emp.name)[1:3], q.order_by(Emp.name)[0])
print("count:", q.count(), q.filter(Emp.dept_id.is_(None)).count())
print("first:", q.order_by(Emp.salary.desc()).first(), q.filter(Emp.salary > 1000).first())
print("one_or_none:", q.filter_by(name="zed").one_or_none(), q.filter_by(name="bob").one_or_none())
print("scalar:", session.query(func.max(Emp.salary)).scalar())
print("exists:", session.query(q.filter(Emp.name == "ann").exists()).scalar())

try:
    q.filter_by(name="zed").one()
except NoResultFound as exc:
    print("one() on nothing:", type(exc).__name__)
try:
    q.filter(Emp.salary > 90).one()
except MultipleResultsFound as exc:
    print("one() on several:", type(exc).__name__)

print("-- joins")
print("join(Target):", session.query(Emp).join(Dept).filter(Dept.name == "ops").order_by(Emp.name).all())
print("join(rel):", session.query(Emp.name).join(Emp.dept).filter(Dept.name == "eng").order_by(Emp.name).all())
print("join(Target, rel):", session.query(Dept).join(Emp, Dept.staff).filter(Emp.salary < 95).distinct().order_by(Dept.name).all())
print("join(Target, onclause):", session.query(Dept.name).join(Emp, Emp.dept_id == Dept.id).filter(Emp.name == "eve").all())
print("filter_by after join uses the joined entity:", session.query(Emp).join(Emp.dept).filter_by(name="ops").order_by(Emp.name).all())
print("outerjoin:", [(e, d) for e, d in session.query(Emp.name, Dept.name).outerjoin(Emp.dept).order_by(Emp.name)])
print("depts without staff:", session.query(Dept).outerjoin(Dept.staff).filter(Emp.id.is_(None)).all())
rows = (
    session.query(Dept.name, func.count(Emp.id), func.sum(Emp.salary))
    .join(Dept.staff)
    .group_by(Dept.name)
    .having(func.count(Emp.id) > 1)
    .order_by(Dept.name)
    .all()
)
print("group_by/having:", [tuple(r) for r in rows])
print("select_from:", session.query(func.count(Emp.id)).select_from(Dept).join(Dept.staff).filter(Dept.name == "eng").scalar())
print("distinct:", session.query(Emp.dept_id).filter(Emp.dept_id.is_not(None)).distinct().count())
print("with_entities:", q.filter_by(name="ann").with_entities(Emp.name, Emp.salary).one())
print("add_columns:", [(e.name, n) for e, n in session.query(Emp).join(Emp.dept).add_columns(Dept.name).filter(Emp.salary >= 100).order_by(Emp.name)])
sub = session.query(func.avg(Emp.salary)).scalar_subquery()
print("above average:", q.filter(Emp.salary > sub).order_by(Emp.name).all())
rich = session.query(Emp.dept_id).filter(Emp.salary >= 100).subquery()
print("subquery():", session.query(Dept.name).filter(Dept.id.in_(session.query(rich.c.dept_id))).all())
print("iteration:", [e.name for e in session.query(Emp).filter(Emp.dept == eng).order_by(Emp.name)])
session.close()
