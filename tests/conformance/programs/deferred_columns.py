# conformance: deferred() columns stay unloaded through expiry, refresh and get; reading one loads it alone; undefer() fills objects already loaded; refresh of a deleted row
# requires: issue-5
import os

from sqlalchemy import Column, Integer, String, Text, create_engine, delete, select
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    declarative_base,
    deferred,
    mapped_column,
    undefer,
)

Base = declarative_base()


class Article(Base):
    __tablename__ = "articles"
    id = Column(Integer, primary_key=True)
    title = Column(String(40))
    body = deferred(Column(Text))
    notes = deferred(Column(Text))


class TypedBase(DeclarativeBase):
    pass


class Page(TypedBase):
    __tablename__ = "pages"
    id: Mapped[int] = mapped_column(primary_key=True)
    body: Mapped[str] = mapped_column(Text, deferred=True)
    summary: Mapped[str] = deferred(mapped_column(String(40)))


def loaded(obj):
    return sorted(k for k in vars(obj) if not k.startswith("_"))


engine = create_engine(os.environ["CONFORMANCE_DB_URL"])
Base.metadata.create_all(engine)
TypedBase.metadata.create_all(engine)

with Session(engine) as session:
    session.add_all([
        Article(id=1, title="one", body="long text 1", notes="n1"),
        Article(id=2, title="two", body="long text 2", notes="n2"),
    ])
    session.commit()

with Session(engine) as session:
    a = session.scalars(select(Article).where(Article.id == 1)).one()
    print("loaded by select:", loaded(a))
    print("body:", a.body)
    print("after reading body:", loaded(a))
    session.refresh(a)
    print("after refresh:", loaded(a))
    session.expire(a)
    print("notes of an expired object:", a.notes)
    print("after reading notes:", loaded(a))
    print("title:", a.title)
    print("after reading title:", loaded(a))
    session.refresh(a, ["body"])
    print("after refresh(body):", loaded(a))
    session.commit()
    a2 = session.get(Article, 1)
    print("get after commit:", a2 is a, loaded(a))
    everything = session.scalars(select(Article).options(undefer(Article.body))).all()
    print("after an undefer query:", loaded(a), len(everything))
    b = session.get(Article, 2)
    print("second article:", b.title, loaded(b))
    b.title = "changed"
    session.scalars(select(Article).options(undefer(Article.notes))).all()
    print("a local change survives a query:", b.title, loaded(b))
    session.rollback()
    c = session.get(Article, 2)
    session.execute(delete(Article).where(Article.id == 2)
                    .execution_options(synchronize_session=False))
    try:
        session.refresh(c)
    except InvalidRequestError as error:
        print("refresh of a deleted row:", type(error).__name__ in ("InvalidRequestError",
                                                                     "ObjectDeletedError"))
    session.rollback()
    print("titles:", session.scalars(select(Article.title).order_by(Article.id)).all())

with Session(engine) as session:
    session.add(Page(id=1, body="text", summary="short"))
    session.commit()
    page = session.scalars(select(Page)).one()
    print("typed deferred:", loaded(page), page.body, loaded(page), page.summary)
