"""Legacy import path: ``from tether.ext.declarative import declarative_base`` (as in
``sqlalchemy.ext.declarative``)."""

from __future__ import annotations

from tether.orm.decl_base import DeclarativeMeta, declarative_base, declared_attr

__all__ = ["DeclarativeMeta", "declarative_base", "declared_attr"]
