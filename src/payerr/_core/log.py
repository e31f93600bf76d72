"""Where payerr's events go: quiet unless the application asks.

When the application has configured structlog (``structlog.configure``), events go through
``structlog.get_logger("payerr")`` with their ``payment.*`` fields, as structlog users expect.
Otherwise payerr behaves as a stdlib-logging library does: events go to
``logging.getLogger("payerr")``, which has only a ``NullHandler``, so nothing is printed unless
the application configured logging, and then only at the levels it enabled (never below its
level, never on stdout by payerr's doing). structlog's own unconfigured default, which prints
every event to stdout, is never used.

structlog is not imported here: an application that configured it has imported it, so it is
looked up where it already is (``import payerr`` and ``payerr explain`` do not pay for it).
"""

from __future__ import annotations

import logging
import sys
from typing import Any

__all__ = ["STDLIB_LOGGER", "emit", "enabled"]

STDLIB_LOGGER = logging.getLogger("payerr")
STDLIB_LOGGER.addHandler(logging.NullHandler())

_proxies: dict[int, Any] = {}
"""structlog's logger named "payerr", made once structlog is seen (keyed by the module's id:
a test that reloads structlog gets a new one)."""


def _configured() -> Any:
    """structlog's logger named "payerr" when the application has configured structlog."""
    module = sys.modules.get("structlog")
    if module is None or not module.is_configured():
        return None
    proxy = _proxies.get(id(module))
    if proxy is None:
        proxy = _proxies[id(module)] = module.get_logger("payerr")
    return proxy


def enabled(level: int) -> bool:
    """Whether an event at ``level`` would be kept (so that the fields are worth building)."""
    struct = _configured()
    if struct is not None:
        try:
            return bool(struct.is_enabled_for(level))
        except Exception:  # a wrapper class without is_enabled_for, or one that fails
            return True
    return STDLIB_LOGGER.isEnabledFor(level)


def emit(level: int, event: str, **fields: Any) -> None:
    """Log ``event`` with its fields at the stdlib ``level``. An ``exc_info`` field (an
    exception) is the traceback: structlog's own key, the stdlib's ``exc_info``."""
    struct = _configured()
    if struct is not None:
        struct.log(level, event, **fields)
        return
    if STDLIB_LOGGER.isEnabledFor(level):
        exc_info = fields.pop("exc_info", None)
        # The message carries the fields as key=value; extra carries them as data
        # (record.payerr) for handlers that format their own.
        pairs = " ".join(f"{key}={value}" for key, value in fields.items())
        STDLIB_LOGGER.log(
            level,
            "%s %s",
            event,
            pairs,
            exc_info=exc_info,
            extra={"payerr": {"event": event, **fields}},
        )
