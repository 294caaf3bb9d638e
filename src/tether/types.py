"""Column types, importable as ``tether.types`` (SQLAlchemy's ``sqlalchemy.types``)."""

from tether.sql.types import *  # noqa: F403
from tether.sql.types import __all__  # noqa: F401
