# conformance: tutorial 5 (association tables): DepartmentEmployeeLink with extra_data and backrefs beside plain secondary relationships
# requires: issue-3, issue-4, issue-5
"""Department and Employee are linked through department_employee_link, mapped as the class
DepartmentEmployeeLink with an extra_data column and relationships `department` and `employee`
(backrefs "employee_assoc" and "department_assoc").  Department.employees and
Employee.departments are plain `secondary=` relationships over the same table (`overlaps=` tells
the mapper they share it).
"""

import os

from sqlalchemy import Column, ForeignKey, Integer, String, create_engine
from sqlalchemy.ext.declarative import declarative_base
from sqlalchemy.orm import backref, relationship, sessionmaker

Base = declarative_base()


class Department(Base):
    __tablename__ = "department"
    id = Column(Integer, primary_key=True)
    name = Column(String)
    employees = relationship(
        "Employee",
        secondary="department_employee_link",
        back_populates="departments",
        overlaps="department_assoc,employee_assoc,department,employee",
    )

    def __repr__(self):
        return f"Department({self.name})"


class Employee(Base):
    __tablename__ = "employee"
    id = Column(Integer, primary_key=True)
    name = Column(String)
    departments = relationship(
        Department,
        secondary="department_employee_link",
        back_populates="employees",
        overlaps="department_assoc,employee_assoc,department,employee",
    )

    def __repr__(self):
        return f"Employee({self.name})"


class DepartmentEmployeeLink(Base):
    __tablename__ = "department_employee_link"
    department_id = Column(Integer, ForeignKey("department.id"), primary_key=True)
    employee_id = Column(Integer, ForeignKey("employee.id"), primary_key=True)
    extra_data = Column(String(256))
    department = relationship(Department, backref=backref("employee_assoc"), overlaps="employees,departments")
    employee = relationship(Employee, backref=backref("department_assoc"), overlaps="employees,departments")

    def __repr__(self):
        return f"Link({self.department.name}, {self.employee.name}, {self.extra_data!r})"


engine = create_engine(os.environ["CONFORMANCE_DB_URL"])
Base.metadata.create_all(engine)
session = sessionmaker(bind=engine)()

IT = Department(name="IT")
John = Employee(name="John")
John_working_part_time_at_IT = DepartmentEmployeeLink(department=IT, employee=John, extra_data="part-time")
session.add(John_working_part_time_at_IT)
session.commit()
print("link keys filled:", John_working_part_time_at_IT.department_id == IT.id, John_working_part_time_at_IT.employee_id == John.id)

print("-- find John through the IT department")
print(session.query(Employee).filter(Employee.departments.any(Department.name == "IT")).one())
print(session.query(Department).filter(Department.name == "IT").one().employees)

print("-- find John through the link")
link = session.query(DepartmentEmployeeLink).filter(DepartmentEmployeeLink.extra_data == "part-time").one()
print(link, link.employee)

print("-- the link from both ends")
print(IT.employee_assoc, John.department_assoc)
print([(a.department.name, a.extra_data) for a in John.department_assoc])

print("-- adding an IT employee through Department.employees still works")
Bill = Employee(name="Bill")
IT.employees.append(Bill)
session.add(Bill)
session.commit()
print(sorted(e.name for e in IT.employees))
print(Bill.departments)
bills_link = session.query(DepartmentEmployeeLink).filter(DepartmentEmployeeLink.employee_id == Bill.id).one()
print(bills_link)

print("-- a second department with full-time links, queried across the link")
HR = Department(name="HR")
session.add_all(
    [
        DepartmentEmployeeLink(department=HR, employee=John, extra_data="full-time"),
        DepartmentEmployeeLink(department=HR, employee=Employee(name="Ann"), extra_data="full-time"),
    ]
)
session.commit()
rows = (
    session.query(Employee.name, Department.name, DepartmentEmployeeLink.extra_data)
    .join(DepartmentEmployeeLink, DepartmentEmployeeLink.employee_id == Employee.id)
    .join(Department, Department.id == DepartmentEmployeeLink.department_id)
    .order_by(Employee.name, Department.name)
    .all()
)
for row in rows:
    print(tuple(row))
session.expire_all()
print("John's departments:", sorted(d.name for d in John.departments))
print("HR:", sorted(e.name for e in HR.employees))
session.close()
