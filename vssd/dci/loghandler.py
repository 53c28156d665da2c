"""The daemon's own warnings and errors into the DCI log: a `logging.Handler` on the root logger (structlog
renders through the stdlib tree, see `vssd.log`), module by logger name, handed to the sink without blocking."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from vssd.dci.logsink import LogSink, log_row

# Logger-name prefixes → the document's modules (first match wins; everything else is the telephony side, OTTB).
MODULE_PREFIXES: tuple[tuple[str, str], ...] = (
    ("vssd.dci", "DCI"), ("vssd.api.dci", "DCI"), ("vssd.store", "DCI"), ("vssd.adapters.store", "DCI"),
    ("vssd.api.auth", "POINT"), ("vssd.api.users", "POINT"), ("vssd.api.audit", "POINT"), ("vssd.users", "POINT"),
    ("vssd.api.crm", "WORKSPACE"), ("vssd.api.notifier", "WORKSPACE"), ("vssd.api.archonts", "WORKSPACE"),
    ("vssd.api.console", "WORKSPACE"), ("vssd.workspace", "WORKSPACE"), ("vssd.notifier", "WORKSPACE"),
)
SKIP = ("vssd.dci.logsink",)  # the sink's own complaints: never fed back into it
_LEVELS = {logging.DEBUG: "debug", logging.INFO: "info", logging.WARNING: "warning", logging.ERROR: "error",
           logging.CRITICAL: "critical"}
_STD_ATTRS = frozenset(vars(logging.makeLogRecord({})))
MAX_MESSAGE = 4000


def module_of(logger_name: str) -> str:
    for prefix, module in MODULE_PREFIXES:
        if logger_name == prefix or logger_name.startswith(prefix + "."):
            return module
    return "OTTB"


def severity_of(levelno: int) -> str:
    return _LEVELS.get(levelno) or ("critical" if levelno > logging.CRITICAL else "warning")


class DciLogHandler(logging.Handler):
    def __init__(self, sink: LogSink, level: int = logging.WARNING) -> None:
        super().__init__(level)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(SKIP):
            return
        try:
            message, context = _message(record)
            if record.exc_info and record.exc_info[1] is not None:
                context["exception"] = repr(record.exc_info[1])
            context["logger"] = record.name
            self.sink.submit(log_row(module_of(record.name), severity_of(record.levelno), message[:MAX_MESSAGE],
                                     context, at=datetime.fromtimestamp(record.created, UTC)))
        except Exception:
            self.handleError(record)


def _message(record: logging.LogRecord) -> tuple[str, dict[str, Any]]:
    """structlog hands the stdlib tree its event dict as `msg`; plain stdlib records carry a format string."""
    if isinstance(record.msg, Mapping):
        event = dict(record.msg)
        message = str(event.pop("event", ""))
        for key in ("level", "logger", "timestamp", "_record", "_from_structlog"):
            event.pop(key, None)
        return message, {k: v for k, v in event.items() if _plain(v)}
    extra = {k: v for k, v in vars(record).items() if k not in _STD_ATTRS and _plain(v)}
    return record.getMessage(), extra


def _plain(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)
