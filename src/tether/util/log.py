"""Loggers that do not import :mod:`logging` until a program does.

Until something imports ``logging`` no logger can have been configured (no level set, no
handler added), so nothing tether would log is enabled: :class:`Logger` answers
``isEnabledFor`` with False without importing the module. Once ``logging`` is imported
(by the program, a driver, or tether's own ``echo``), the stand-in binds the real logger's
methods onto itself, so a hot path's ``log.isEnabledFor(INFO)`` costs the same as on a
real logger from then on.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["DEBUG", "INFO", "Logger"]

# logging's level numbers, fixed by the logging module's documented API
DEBUG = 10
INFO = 20


class Logger:
    """The ``logging`` logger called ``name``, imported when it can first matter."""

    def __init__(self, name: str) -> None:
        self.name = name

    def isEnabledFor(self, level: int) -> bool:  # noqa: N802 (logging's name)
        if "logging" not in sys.modules:
            return False
        return self._adopt().isEnabledFor(level)

    def _log(self, level: int, msg: str, args: Any) -> None:
        self._adopt()._log(level, msg, args)

    def real(self) -> Any:
        """The ``logging.Logger`` itself (importing ``logging``)."""
        import logging

        return logging.getLogger(self.name)

    def _adopt(self) -> Any:
        logger = self.real()
        # Instance attributes shadow the methods above: later calls go straight to logging.
        self.isEnabledFor = logger.isEnabledFor  # type: ignore[method-assign]
        self._log = logger._log  # type: ignore[method-assign]
        return logger
