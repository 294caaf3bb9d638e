"""N+1 detection: with it switched on (``Session(..., detect_n_plus_one="warn"|"raise")``,
``create_engine(url, execution_options={"detect_n_plus_one": "warn"})`` or
``TETHER_NPLUSONE=warn|raise`` in the environment), objects returned together by one
query remember their batch, and when the same lazy loader fires for a second object of a
batch tether warns once per relationship (or raises), naming the relationship, how many
objects the query returned, and the loader option that loads them all at once."""

from __future__ import annotations

import os
import warnings
from typing import Any

from tether.exc import NPlusOneWarning
from tether.orm.exc import NPlusOneError
from tether.orm.state import instance_state

__all__ = ["Batch", "engine_mode", "mode_from_environment", "note_lazy_load", "tag"]

_MODES = ("warn", "raise")


def mode_from_environment() -> str | None:
    value = os.environ.get("TETHER_NPLUSONE", "").strip().lower()
    return value if value in _MODES else None


def engine_mode(bind: Any) -> str | None:
    """The ``detect_n_plus_one`` execution option of the session's engine, if any."""
    getter = getattr(bind, "get_execution_options", None)
    if getter is None:
        return None
    value = str(getter().get("detect_n_plus_one") or "").strip().lower()
    if value and value not in _MODES:
        raise ValueError(f"detect_n_plus_one must be 'warn' or 'raise', not {value!r}")
    return value or None


class Batch:
    """Objects one query returned, and how often each lazy loader fired among them."""

    __slots__ = ("size", "fired")

    def __init__(self, size: int) -> None:
        self.size = size
        self.fired: dict[Any, int] = {}


def tag(objects: list[Any]) -> None:
    """Mark ``objects`` as returned together (only batches of two or more matter)."""
    objs = [o for o in objects if o is not None]
    if len(objs) < 2:
        return
    batch = Batch(len(objs))
    for obj in objs:
        instance_state(obj).load_batch = batch


def note_lazy_load(session: Any, state: Any, prop: Any) -> None:
    """Called before a lazy load; warns or raises on the second load of a batch."""
    batch = state.load_batch
    if batch is None:
        return
    count = batch.fired.get(prop, 0) + 1
    batch.fired[prop] = count
    if count != 2:
        return
    cls = prop.parent.class_.__name__
    message = (
        f"N+1 queries: {cls}.{prop.key} is being lazy-loaded one object at a time for the "
        f"{batch.size} {cls} objects one query returned (one SELECT each). Load it with "
        f"the query instead: select({cls}).options(selectinload({cls}.{prop.key})), or "
        f"relationship(..., lazy=\"selectin\")."
    )
    if session._nplusone == "raise":
        raise NPlusOneError(message)
    warned = session._nplusone_warned
    if warned is None:
        warned = session._nplusone_warned = set()
    if prop not in warned:
        warned.add(prop)
        warnings.warn(message, NPlusOneWarning, stacklevel=4)
