# conformance: mapper events (before_insert/before_update setting columns that are written, after_insert seeing the new key, before_delete/after_delete) on a mapped class, one listener on the Mapper class for every class; named=True
# requires: issue-3
import os

from sqlalchemy import Column, ForeignKey, Integer, String, create_engine, event, select
from sqlalchemy.orm import Mapper, Session, declarative_base, relationship

Base = declarative_base()


class Doc(Base):
    __tablename__ = "docs"
    id = Column(Integer, primary_key=True)
    title = Column(String(30))
    slug = Column(String(30))
    revision = Column(Integer, default=0)
    pages = relationship("Page", cascade="all, delete-orphan", order_by="Page.id")


class Page(Base):
    __tablename__ = "pages"
    id = Column(Integer, primary_key=True)
    doc_id = Column(ForeignKey("docs.id"))
    n = Column(Integer)


log = []


@event.listens_for(Doc, "before_insert")
def make_slug(mapper, connection, target):
    target.slug = target.title.lower().replace(" ", "-")


@event.listens_for(Doc, "before_update")
def bump(mapper, connection, target):
    target.revision = (target.revision or 0) + 1
    target.slug = target.title.lower().replace(" ", "-")


@event.listens_for(Doc, "after_insert")
def inserted(mapper, connection, target):
    log.append(f"inserted doc {target.id is not None}")


@event.listens_for(Mapper, "before_delete")
def deleting(mapper, connection, target):
    log.append(f"deleting {mapper.class_.__name__}")


@event.listens_for(Page, "after_delete", named=True)
def page_gone(**kw):
    log.append(f"page gone {sorted(kw)}")


engine = create_engine(os.environ["CONFORMANCE_DB_URL"])
Base.metadata.create_all(engine)

with Session(engine) as session:
    doc = Doc(title="Hello World", pages=[Page(n=1), Page(n=2)])
    session.add(doc)
    session.commit()
    print(doc.slug, doc.revision)
    doc.title = "Second Draft"
    session.commit()
    print(doc.slug, doc.revision)
    print(session.execute(select(Doc.slug, Doc.revision)).all())
    session.delete(doc)
    session.commit()
    print(sorted(log))
