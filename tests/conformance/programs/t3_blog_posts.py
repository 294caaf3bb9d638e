# conformance: tutorial 3 (table relationships): users and blog posts, foreign-key violation, backref, querying emails across the join
# requires: issue-2, issue-3, issue-5
"""The tutorial's `user` and `user_blog_post` models in plain declarative form (the tutorial uses
Flask's db.Model, whose table names are the class names: "user" is a reserved word on
PostgreSQL and must be quoted).

* A post whose user_id names no user is refused with IntegrityError.
* `blog_posts = relationship("user_blog_post", backref="user")` gives user.blog_posts and
  user_blog_post.user; assigning a list of new posts writes the user first, then the posts.
* The emails of users who wrote about "machine learning": a join with the ON clause inferred from
  the one foreign key, and the same join with the ON clause spelled out.
"""

import os

from sqlalchemy import Column, ForeignKey, Integer, String, create_engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import declarative_base, relationship, sessionmaker

Base = declarative_base()


class user(Base):
    __tablename__ = "user"

    id = Column(Integer, primary_key=True)
    username = Column(String)
    email = Column(String)

    blog_posts = relationship("user_blog_post", backref="user")

    def __repr__(self):
        return f"<user {self.username}>"


class user_blog_post(Base):
    __tablename__ = "user_blog_post"

    id = Column(Integer, primary_key=True)
    title = Column(String)
    body = Column(String)
    user_id = Column(Integer, ForeignKey("user.id"))

    def __repr__(self):
        return f"<post {self.title!r}>"


engine = create_engine(os.environ["CONFORMANCE_DB_URL"])
Base.metadata.create_all(engine)
session = sessionmaker(bind=engine)()

print("-- a post for a user that does not exist")
session.add(user_blog_post(title="orphan", body="nobody wrote this", user_id=55))
try:
    session.commit()
except IntegrityError as exc:
    print(type(exc).__name__, "| rows kept:", end=" ")
    session.rollback()
    print(session.query(user_blog_post).count())

print("-- a user and posts created through the relationship")
newUser = user(username="Moshe", email="moshe@example.com")
newUser.blog_posts = [
    user_blog_post(title="first", body="first post body"),
    user_blog_post(title="second", body="machine learning for everyone"),
]
print("backref in memory:", [p.user for p in newUser.blog_posts])
session.add(newUser)
session.commit()
print([(p.title, p.user_id == newUser.id) for p in session.query(user_blog_post).order_by(user_blog_post.title)])

print("-- a post pointing at its user by key")
newBlogPost = user_blog_post(title="third", body="plain python", user_id=newUser.id)
session.add(newBlogPost)
session.commit()
print(newBlogPost.user, sorted(p.title for p in newUser.blog_posts))

ada = user(username="ada", email="ada@example.com")
ada.blog_posts.append(user_blog_post(title="notes", body="Notes on Machine Learning engines"))
ada.blog_posts.append(user_blog_post(title="more", body="deep machine learning, again"))
grace = user(username="grace", email="grace@example.com")
grace.blog_posts.append(user_blog_post(title="cobol", body="compilers"))
session.add_all([ada, grace])
session.commit()

print("-- emails of users who wrote about machine learning (ON inferred)")
theEmails = (
    session.query(user.email)
    .join(user_blog_post)
    .filter(user_blog_post.body.like("%machine learning%"))
    .distinct()
    .order_by(user.email)
    .all()
)
print(theEmails)

print("-- the same with the ON clause spelled out, case-insensitive")
theEmails = (
    session.query(user.email)
    .join(user_blog_post, user.id == user_blog_post.user_id)
    .filter(user_blog_post.body.ilike("%machine learning%"))
    .distinct()
    .order_by(user.email)
    .all()
)
print([email for (email,) in theEmails])

print("-- posts per user")
for author in session.query(user).order_by(user.username):
    print(author, len(author.blog_posts), sorted(p.title for p in author.blog_posts))
session.close()
