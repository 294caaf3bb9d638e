# conformance: Core statements: Table, insert (single, executemany, returning), select/where/order_by/limit, update, delete, text() with bound parameters, operators
# requires: issue-2
import os

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    bindparam,
    case,
    cast,
    create_engine,
    delete,
    func,
    insert,
    literal,
    not_,
    or_,
    select,
    text,
    update,
)

metadata = MetaData()
people = Table(
    "people",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(30), nullable=False),
    Column("age", Integer),
    Column("city", String(30)),
)

engine = create_engine(os.environ["CONFORMANCE_DB_URL"])
metadata.create_all(engine)

with engine.begin() as conn:
    result = conn.execute(insert(people).values(name="ann", age=31, city="Oslo"))
    print("inserted_primary_key:", tuple(result.inserted_primary_key))
    conn.execute(
        insert(people),
        [
            {"name": "bob", "age": 25, "city": "Rome"},
            {"name": "cy", "age": 40, "city": "Oslo"},
            {"name": "dee", "age": None, "city": "Lima"},
            {"name": "o'hara", "age": 52, "city": None},
        ],
    )
    row = conn.execute(insert(people).values(name="eve", age=19, city="Rome").returning(people.c.id, people.c.name)).one()
    print("returning:", row.name, row.id == 6)

with engine.connect() as conn:
    p = people.c
    def names(stmt):
        return conn.execute(stmt).scalars().all()

    print("all:", names(select(p.name).order_by(p.id)))
    print("where ==:", names(select(p.name).where(p.city == "Oslo").order_by(p.name)))
    print("!= and None:", names(select(p.name).where(p.city != "Oslo").order_by(p.name)))
    print("is_(None):", names(select(p.name).where(p.age.is_(None))), names(select(p.name).where(p.city.is_not(None)).order_by(p.name.desc())))
    print("< <= > >=:", names(select(p.name).where(p.age < 25)), names(select(p.name).where(p.age <= 25).order_by(p.name)), names(select(p.name).where(and_(p.age > 30, p.age >= 40))))
    print("arithmetic:", tuple(conn.execute(select(p.name, p.age + 1, p.age * 2, p.age - 1, p.age % 7).where(p.name == "ann")).one()))
    print("in_/not_in:", names(select(p.name).where(p.name.in_(["ann", "cy", "zz"])).order_by(p.name)), names(select(p.name).where(p.city.not_in(["Oslo", "Rome"])).order_by(p.name)))
    print("empty in_:", names(select(p.name).where(p.name.in_([]))))
    print("like/ilike:", names(select(p.name).where(p.name.like("%e%")).order_by(p.name)), names(select(p.name).where(p.city.ilike("o%")).order_by(p.name)))
    print("startswith/endswith/contains:", names(select(p.name).where(p.name.startswith("d"))), names(select(p.name).where(p.name.endswith("n")).order_by(p.name)), names(select(p.name).where(p.name.contains("'"))))
    print("between:", names(select(p.name).where(p.age.between(20, 35)).order_by(p.name)))
    print("or_/not_/~:", names(select(p.name).where(or_(p.age > 50, p.city == "Lima")).order_by(p.name)), names(select(p.name).where(not_(p.city == "Oslo")).order_by(p.name)), names(select(p.name).where(~(p.age > 20)).order_by(p.name)))
    print("order desc nulls:", names(select(p.name).order_by(p.age.desc().nulls_last(), p.name)), names(select(p.name).order_by(p.age.asc().nulls_first(), p.name)))
    print("limit/offset:", names(select(p.name).order_by(p.name).limit(2).offset(1)))
    print("distinct:", names(select(p.city).distinct().where(p.city.is_not(None)).order_by(p.city)))
    print("label:", [r._mapping["n"] for r in conn.execute(select(p.name.label("n")).where(p.id < 3).order_by(p.id))])
    print("cast:", conn.execute(select(cast(p.age, String)).where(p.name == "ann")).scalar())
    print("case:", conn.execute(select(p.name, case((p.age < 30, "young"), (p.age < 50, "mid"), else_="other")).order_by(p.name)).all())
    print("literal:", conn.execute(select(literal(5) + p.age).where(p.name == "bob")).scalar())
    print("func:", tuple(conn.execute(select(func.count(), func.max(p.age), func.min(p.age), func.sum(p.age), func.lower("ABC"))).one()))
    print("count column skips NULL:", conn.execute(select(func.count(p.age))).scalar())
    print("group_by:", conn.execute(select(p.city, func.count(p.id)).group_by(p.city).having(func.count(p.id) > 1).order_by(p.city)).all())
    print("text:", conn.execute(text("SELECT name FROM people WHERE age > :a ORDER BY name"), {"a": 30}).scalars().all())
    stmt = text("SELECT name, age FROM people WHERE name = :n").bindparams(n="o'hara")
    print("text bindparams:", tuple(conn.execute(stmt).one()))
    print("bindparam:", conn.execute(select(p.name).where(p.age > bindparam("min_age")).order_by(p.name), {"min_age": 39}).scalars().all())
    print("first/one_or_none:", tuple(conn.execute(select(p.name).order_by(p.name)).first()), conn.execute(select(p.name).where(p.name == "zz")).one_or_none())
    print("mappings:", conn.execute(select(p.name, p.city).where(p.name == "bob")).mappings().one() == {"name": "bob", "city": "Rome"})
    print("row access:", (lambda r: (r[0], r.name, r._mapping["age"]))(conn.execute(select(p.name, p.age).where(p.name == "cy")).one()))

with engine.begin() as conn:
    r = conn.execute(update(people).where(people.c.city == "Oslo").values(age=people.c.age + 1))
    print("update rowcount:", r.rowcount)
    r = conn.execute(update(people).where(people.c.name == "bob").values(city="Paris").returning(people.c.name, people.c.city))
    print("update returning:", tuple(r.one()))
    conn.execute(update(people).where(people.c.name == bindparam("who")).values(age=bindparam("new_age")), [{"who": "dee", "new_age": 60}, {"who": "eve", "new_age": 20}])
    r = conn.execute(delete(people).where(people.c.age > 55))
    print("delete rowcount:", r.rowcount)
    print("after:", conn.execute(select(people.c.name, people.c.age, people.c.city).order_by(people.c.name)).all())
