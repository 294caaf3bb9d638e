"""``tether.Database``: the Flask-style facade running the 4Degrees blog tutorial (users
and blog posts, the foreign-key violation, the join query) on SQLite and PostgreSQL, plus
table naming, ``db.Table``, the thread-scoped session and ``drop_all``."""

from __future__ import annotations

import threading
from typing import Any, Optional

import pytest

import tether
from tether.database import table_name_for
from tether.exc import IntegrityError
from tether.orm import Mapped, mapped_column


@pytest.fixture
def db(db_url: str) -> Any:
    database = tether.Database(db_url)
    yield database
    database.dispose()


def _blog_models(db: Any) -> tuple[Any, Any]:
    class user(db.Model):  # noqa: N801 - the tutorial's names
        id = db.Column(db.Integer, primary_key=True)
        username = db.Column(db.String)
        email = db.Column(db.String)
        blog_posts = db.relationship("user_blog_post", backref="user")

    class user_blog_post(db.Model):  # noqa: N801
        id = db.Column(db.Integer, primary_key=True)
        title = db.Column(db.String)
        body = db.Column(db.String)
        user_id = db.Column(db.Integer, db.ForeignKey("user.id"))

    return user, user_blog_post


def test_blog_tutorial(db: Any) -> None:
    user, post = _blog_models(db)
    db.create_all()
    moshe = user(username="Moshe", email="moshe@example.com")
    assert repr(moshe).startswith("<user (transient ")
    moshe.blog_posts = [
        post(title="first", body="first post body"),
        post(title="second", body="all about machine learning"),
    ]
    ada = user(username="Ada", email="ada@example.com")
    ada.blog_posts = [post(title="engines", body="analytical engines")]
    db.session.add_all([moshe, ada])
    db.session.commit()
    assert [p.user_id for p in moshe.blog_posts] == [moshe.id, moshe.id]
    assert moshe.blog_posts[0].user is moshe
    assert repr(moshe) == f"<user {moshe.id}>"

    db.session.add(post(title="orphan", body="x", user_id=55))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()

    assert [u.email for u in user.query.filter_by(username="Moshe").all()] == [
        "moshe@example.com"]
    emails = (user.query.with_entities(user.email).join(post)
              .filter(post.body.like("%machine learning%")).all())
    assert [tuple(r) for r in emails] == [("moshe@example.com",)]
    explicit = (user.query.with_entities(user.email)
                .join(post, user.id == post.user_id)
                .filter(post.body.like("%machine learning%")).all())
    assert [tuple(r) for r in explicit] == [("moshe@example.com",)]
    assert user.query.count() == 2
    assert db.session.scalar(db.select(db.func.count(post.id))) == 3
    titles = db.session.scalars(db.select(post.title).order_by(post.id)).all()
    assert titles == ["first", "second", "engines"]


def test_table_names_and_names(db: Any) -> None:
    assert table_name_for("UserBlogPost") == "user_blog_post"
    assert table_name_for("HTTPRequest") == "http_request"
    assert table_name_for("user_blog_post") == "user_blog_post"
    assert table_name_for("Address2") == "address2"

    post_tags = db.Table(
        "post_tags",
        db.Column("post_id", db.Integer, db.ForeignKey("blog_entry.id"), primary_key=True),
        db.Column("tag_id", db.Integer, db.ForeignKey("tag_word.id"), primary_key=True),
    )

    class BlogEntry(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        tags = db.relationship("TagWord", secondary=post_tags, backref=db.backref("entries"))

    class TagWord(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        word = db.Column(db.String(20), nullable=False, unique=True)

    class Named(db.Model):
        __tablename__ = "explicit_name"
        id = db.Column(db.Integer, primary_key=True)

    assert BlogEntry.__tablename__ == "blog_entry"
    assert TagWord.__table__.name == "tag_word"
    assert Named.__table__.name == "explicit_name"
    assert post_tags.metadata is db.metadata
    for name in ("Integer", "String", "Text", "Boolean", "DateTime", "Float", "Numeric",
                 "ForeignKey", "relationship", "backref", "select", "func", "and_", "or_"):
        assert getattr(db, name) is not None
    with pytest.raises(AttributeError):
        db.no_such_name  # noqa: B018

    db.create_all()
    entry = BlogEntry(tags=[TagWord(word="orm"), TagWord(word="sql")])
    db.session.add(entry)
    db.session.commit()
    assert sorted(t.word for t in BlogEntry.query.one().tags) == ["orm", "sql"]
    assert [e.id for e in TagWord.query.filter_by(word="sql").one().entries] == [entry.id]
    db.session.remove()
    db.drop_all()
    with tether.create_engine(str(db.engine.url)).connect() as conn:
        assert not tether.inspect(conn).get_table_names()


def test_session_is_per_thread(db: Any) -> None:
    user, _ = _blog_models(db)
    db.create_all()
    main = db.session()
    assert db.session() is main
    seen: list[Any] = []

    def work() -> None:
        seen.append(db.session())
        db.session.add(user(username="thread", email="t@example.com"))
        db.session.commit()
        db.session.remove()

    t = threading.Thread(target=work)
    t.start()
    t.join()
    assert seen and seen[0] is not main
    assert [u.username for u in user.query.all()] == ["thread"]
    db.session.remove()
    assert db.session() is not main


def test_typed_models_and_engine_options(db_url: str) -> None:
    db = tether.Database(db_url, engine_options={"pool_pre_ping": True})
    try:
        class BlogAuthor(db.Model):
            id: Mapped[int] = mapped_column(primary_key=True)
            name: Mapped[str] = mapped_column(db.String(20))
            posts: Mapped[list[BlogPost]] = db.relationship(back_populates="author")

        class BlogPost(db.Model):
            id: Mapped[int] = mapped_column(primary_key=True)
            author_id: Mapped[Optional[int]] = mapped_column(  # noqa: UP045 - runtime name
                db.ForeignKey("blog_author.id"))
            author: Mapped[Optional[BlogAuthor]] = db.relationship(  # noqa: UP045
                back_populates="posts")

        db.create_all()
        db.session.add(BlogAuthor(name="a", posts=[BlogPost(), BlogPost()]))
        db.session.commit()
        assert BlogPost.__table__.name == "blog_post"
        authors = BlogAuthor.query.options(db.selectinload(BlogAuthor.posts)).all()
        assert [len(a.posts) for a in authors] == [2]
        assert db.session.scalars(db.select(BlogPost.author_id).distinct()).all() == [1]
    finally:
        db.dispose()
