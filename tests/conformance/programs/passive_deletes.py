# conformance: passive_deletes=True with ON DELETE CASCADE leaves unloaded child rows to the database; without it the ORM loads and deletes them
# requires: issue-3, issue-4
import os

from sqlalchemy import Column, ForeignKey, Integer, String, create_engine, func, select
from sqlalchemy.orm import Session, declarative_base, relationship

Base = declarative_base()


class Album(Base):
    __tablename__ = "albums"
    id = Column(Integer, primary_key=True)
    title = Column(String(20))
    photos = relationship("Photo", back_populates="album", cascade="all, delete-orphan", passive_deletes=True)
    comments = relationship("Comment", cascade="all, delete", passive_deletes=True)


class Photo(Base):
    __tablename__ = "photos"
    id = Column(Integer, primary_key=True)
    name = Column(String(20))
    album_id = Column(Integer, ForeignKey("albums.id", ondelete="CASCADE"), nullable=False)
    album = relationship("Album", back_populates="photos")


class Comment(Base):
    __tablename__ = "comments"
    id = Column(Integer, primary_key=True)
    text = Column(String(20))
    album_id = Column(Integer, ForeignKey("albums.id", ondelete="SET NULL"))


engine = create_engine(os.environ["CONFORMANCE_DB_URL"])
Base.metadata.create_all(engine)


def counts(session):
    return [session.scalar(select(func.count()).select_from(t)) for t in (Album, Photo, Comment)]


with Session(engine) as session:
    for title in ("summer", "winter"):
        session.add(
            Album(
                title=title,
                photos=[Photo(name=f"{title}{i}") for i in range(3)],
                comments=[Comment(text=f"nice {title}")],
            )
        )
    session.commit()
    print("albums, photos, comments:", counts(session))

with Session(engine) as session:
    summer = session.scalars(select(Album).where(Album.title == "summer")).one()
    # the photos are not loaded: the database's ON DELETE CASCADE removes them
    session.delete(summer)
    session.commit()
    print("after deleting summer:", counts(session))
    print("comment kept, key set null by the database:", session.execute(select(Comment.text, Comment.album_id).where(Comment.text == "nice summer")).one())

with Session(engine) as session:
    winter = session.scalars(select(Album).where(Album.title == "winter")).one()
    loaded = list(winter.photos)  # loaded photos are deleted by the ORM itself
    session.delete(winter)
    session.commit()
    print("after deleting winter:", counts(session), len(loaded))
    print("comments:", sorted((t, a) for t, a in session.execute(select(Comment.text, Comment.album_id))))

print("-- passive_deletes=True versus 'all' for loaded children without a delete cascade")


class Poster(Base):
    __tablename__ = "posters"
    id = Column(Integer, primary_key=True)
    stickers = relationship("Sticker", passive_deletes=True)
    labels = relationship("Label", passive_deletes="all")


class Sticker(Base):
    __tablename__ = "stickers"
    id = Column(Integer, primary_key=True)
    poster_id = Column(Integer, ForeignKey("posters.id", ondelete="CASCADE"))


class Label(Base):
    __tablename__ = "labels"
    id = Column(Integer, primary_key=True)
    poster_id = Column(Integer, ForeignKey("posters.id", ondelete="CASCADE"))


Base.metadata.create_all(engine)
with Session(engine) as session:
    session.add(Poster(id=1, stickers=[Sticker(), Sticker()], labels=[Label(), Label()]))
    session.commit()
with Session(engine) as session:
    poster = session.get(Poster, 1)
    loaded = (list(poster.stickers), list(poster.labels))
    session.delete(poster)
    session.commit()
    # True: the ORM nulls the loaded stickers' keys before the delete, so they survive;
    # 'all': the ORM leaves the loaded labels alone and the database's cascade removes them
    print("stickers:", session.execute(select(Sticker.id, Sticker.poster_id).order_by(Sticker.id)).all())
    print("labels:", session.execute(select(Label.id)).all())
