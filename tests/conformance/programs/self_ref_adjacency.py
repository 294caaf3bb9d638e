# conformance: self-referential adjacency list: parent with remote_side, children backref, tree walks, cascade delete of a subtree
# requires: issue-3, issue-4, issue-5
import os

from sqlalchemy import Column, ForeignKey, Integer, String, create_engine, select
from sqlalchemy.orm import Session, aliased, backref, declarative_base, relationship

Base = declarative_base()


class Node(Base):
    __tablename__ = "nodes"
    id = Column(Integer, primary_key=True)
    parent_id = Column(Integer, ForeignKey("nodes.id"))
    name = Column(String(30))
    parent = relationship(
        "Node",
        remote_side=[id],
        backref=backref("children", cascade="all, delete-orphan", order_by="Node.name"),
    )

    def __repr__(self):
        return f"Node({self.name})"


engine = create_engine(os.environ["CONFORMANCE_DB_URL"])
Base.metadata.create_all(engine)


def dump(node, depth=0):
    print("  " * depth + node.name)
    for child in node.children:
        dump(child, depth + 1)


with Session(engine) as session:
    root = Node(name="root")
    usr = Node(name="usr", parent=root)
    Node(name="bin", parent=usr)
    Node(name="lib", parent=usr)
    etc = Node(name="etc", parent=root)
    Node(name="hosts", parent=etc)
    session.add(root)
    session.commit()

with Session(engine) as session:
    root = session.scalars(select(Node).where(Node.parent_id.is_(None))).one()
    dump(root)
    lib = session.scalars(select(Node).where(Node.name == "lib")).one()
    print("ancestors of lib:", lib.parent, lib.parent.parent, lib.parent.parent.parent)

    print("-- self join with aliased: (child, parent) pairs")
    parent = aliased(Node)
    rows = session.execute(
        select(Node.name, parent.name).join(parent, Node.parent).order_by(Node.name)
    ).all()
    print([tuple(r) for r in rows])

    print("-- grandchildren of root")
    grand = aliased(Node)
    q = select(Node.name).join(grand, Node.parent).where(grand.parent_id == root.id).order_by(Node.name)
    print(session.scalars(q).all())

    print("-- move a subtree")
    etc = session.scalars(select(Node).where(Node.name == "etc")).one()
    etc.parent = lib
    session.commit()
    dump(root)

    print("-- delete a subtree (delete-orphan on children)")
    usr = session.scalars(select(Node).where(Node.name == "usr")).one()
    session.delete(usr)
    session.commit()
    print(session.scalars(select(Node.name).order_by(Node.name)).all())
