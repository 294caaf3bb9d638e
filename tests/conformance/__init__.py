"""Conformance suite: SQLAlchemy-style programs run on SQLAlchemy and on tether, outputs compared."""
