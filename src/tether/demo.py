"""PLACEHOLDER demo (written by the engine work, issue 2; the lead replaces it with the real
ORM demonstration). ``python -m tether.demo`` / ``make demo`` runs it.

For now it shows one line of Core: a table, an insert and a join-free select on SQLite.
"""

from __future__ import annotations

from tether import Column, Integer, MetaData, String, Table, create_engine, insert, select


def main() -> None:
    engine = create_engine("sqlite://")
    metadata = MetaData()
    greetings = Table(
        "greetings",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("text", String(40), nullable=False),
    )
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(greetings), [{"text": "hello"}, {"text": "from tether"}])
    with engine.connect() as conn:
        words = conn.execute(select(greetings.c.text).order_by(greetings.c.id)).scalars().all()
    print("tether Core demo:", " ".join(words))
    engine.dispose()


if __name__ == "__main__":
    main()
