# conformance: tutorial 3 (table relationships): `user.query.with_entities(...)` through a scoped session's query_property
# requires: issue-3, issue-5
"""The tutorial queries with `user.query.with_entities(...)`.  Outside Flask the same spelling comes
from a scoped_session and `Base.query = db_session.query_property()`.
"""

import os

from sqlalchemy import Column, ForeignKey, Integer, String, create_engine
from sqlalchemy.orm import declarative_base, relationship, scoped_session, sessionmaker

engine = create_engine(os.environ["CONFORMANCE_DB_URL"])
db_session = scoped_session(sessionmaker(bind=engine))
Base = declarative_base()
Base.query = db_session.query_property()


class user(Base):
    __tablename__ = "user"
    id = Column(Integer, primary_key=True)
    username = Column(String)
    email = Column(String)
    blog_posts = relationship("user_blog_post", backref="user")


class user_blog_post(Base):
    __tablename__ = "user_blog_post"
    id = Column(Integer, primary_key=True)
    title = Column(String)
    body = Column(String)
    user_id = Column(Integer, ForeignKey("user.id"))


Base.metadata.create_all(engine)

for name, bodies in [
    ("moshe", ["intro to machine learning", "hiring"]),
    ("ada", ["machine learning at scale"]),
    ("grace", ["compilers"]),
    ("linus", []),
]:
    author = user(username=name, email=f"{name}@example.com")
    author.blog_posts = [user_blog_post(title=f"{name}-{i}", body=b) for i, b in enumerate(bodies)]
    db_session.add(author)
db_session.commit()

theEmails = (
    user.query.with_entities(user.email)
    .join(user_blog_post)
    .filter(user_blog_post.body.like("%machine learning%"))
    .order_by(user.email)
    .all()
)
print("emails:", [e for (e,) in theEmails])

theEmails = (
    user.query.with_entities(user.email)
    .join(user_blog_post, user.id == user_blog_post.user_id)
    .filter(user_blog_post.body.like("%machine learning%"))
    .order_by(user.email)
    .all()
)
print("explicit ON:", [e for (e,) in theEmails])

print("filter_by:", user.query.filter_by(username="ada").one().email)
print("count:", user.query.count(), user_blog_post.query.count())
print("users without posts:", [u.username for u in user.query.filter(~user.blog_posts.any()).all()])
print("post authors:", sorted({p.user.username for p in user_blog_post.query.all()}))
print("same session:", user.query.session is db_session())
db_session.remove()
