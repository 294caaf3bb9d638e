# conformance: moving children between parents, removing a child nulls its key, setting the parent to None
# requires: issue-3
import os

from sqlalchemy import Column, ForeignKey, Integer, String, create_engine, select
from sqlalchemy.orm import Session, declarative_base, relationship

Base = declarative_base()


class Folder(Base):
    __tablename__ = "folders"
    id = Column(Integer, primary_key=True)
    name = Column(String(30), unique=True)
    files = relationship("File", back_populates="folder")


class File(Base):
    __tablename__ = "files"
    id = Column(Integer, primary_key=True)
    name = Column(String(30))
    folder_id = Column(Integer, ForeignKey("folders.id"), nullable=True)
    folder = relationship("Folder", back_populates="files")


engine = create_engine(os.environ["CONFORMANCE_DB_URL"])
Base.metadata.create_all(engine)


def names(files):
    return sorted(f.name for f in files)


def table(session):
    rows = session.execute(
        select(File.name, Folder.name).outerjoin(File.folder).order_by(File.name)
    ).all()
    return [tuple(r) for r in rows]


with Session(engine) as session:
    docs = Folder(name="docs", files=[File(name="a.txt"), File(name="b.txt"), File(name="c.txt")])
    music = Folder(name="music", files=[File(name="song.mp3")])
    session.add_all([docs, music])
    session.commit()
    print(table(session))

    print("-- move by appending to the other parent")
    a = [f for f in docs.files if f.name == "a.txt"][0]
    music.files.append(a)
    print(names(docs.files), names(music.files), a.folder.name)
    session.commit()
    print(table(session))

    print("-- move by setting the parent")
    b = session.scalars(select(File).where(File.name == "b.txt")).one()
    b.folder = music
    print(names(docs.files), names(music.files))
    session.commit()
    print(table(session))

    print("-- remove from the collection: the key is nulled, the row stays")
    c = docs.files[0]
    docs.files.remove(c)
    print(c.folder)
    session.commit()
    print(table(session))

    print("-- set the parent to None")
    song = session.scalars(select(File).where(File.name == "song.mp3")).one()
    song.folder = None
    print(names(music.files))
    session.commit()
    print(table(session))

    print("-- replace the whole collection")
    docs.files = [a, song]
    session.commit()
    print(table(session))
    print("music:", names(music.files))

    print("-- deleting a parent nulls its children's keys (default cascade)")
    session.delete(docs)
    session.commit()
    print(table(session), session.scalar(select(File.folder_id).where(File.name == "a.txt")))
