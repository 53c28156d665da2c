"""Logging setup: structlog in front, the stdlib `logging` tree routed through the same renderer.

On a TTY lines are human-readable (`ConsoleRenderer`, key=value); otherwise one JSON object per line, which
is what journald keeps (`journalctl -u vssd -o cat | jq`). `slot_id`, `call_id` and the like bound with
`bound_context(...)`/`bind_context(...)` (contextvars) appear in every line logged inside that context,
from structlog and stdlib loggers alike.
"""

from __future__ import annotations

import logging
import sys
from typing import Any, TextIO

import orjson
import structlog
from structlog.contextvars import bind_contextvars, bound_contextvars, clear_contextvars, unbind_contextvars

__all__ = ["bind_context", "bound_context", "clear_context", "configure_logging", "get_logger", "unbind_context"]

bind_context = bind_contextvars
bound_context = bound_contextvars
unbind_context = unbind_contextvars
clear_context = clear_contextvars

_HANDLER_MARK = "_vssd_handler"


def _json_dumps(obj: Any, default: Any = None) -> str:
    return orjson.dumps(obj, default=default or str).decode()


def _renderer(json: bool, colors: bool) -> list[Any]:
    if json:
        return [structlog.processors.format_exc_info, structlog.processors.JSONRenderer(serializer=_json_dumps)]
    return [structlog.dev.ConsoleRenderer(colors=colors)]


def configure_logging(level: str | int = "info", json: bool | None = None, stream: TextIO | None = None) -> None:
    """Configure structlog and stdlib logging once for the process (calling again replaces the setup).

    `json=None` picks JSON unless `stream` (default stderr) is a TTY.
    """
    stream = stream if stream is not None else sys.stderr
    tty = bool(getattr(stream, "isatty", lambda: False)())
    as_json = (not tty) if json is None else json
    numeric = logging.getLevelName(level.upper()) if isinstance(level, str) else level
    if not isinstance(numeric, int):
        raise ValueError(f"unknown log level {level!r}")
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
    ]
    structlog.configure(
        processors=[structlog.stdlib.filter_by_level, *shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *_renderer(as_json, tty)],
    )
    _install_handler(formatter, stream, numeric)


def _install_handler(formatter: logging.Formatter, stream: TextIO, level: int) -> None:
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _HANDLER_MARK, False)]:
        root.removeHandler(old)
    handler = logging.StreamHandler(stream)
    setattr(handler, _HANDLER_MARK, True)
    handler.setFormatter(formatter)
    root.addHandler(handler)
    root.setLevel(level)


def get_logger(name: str | None = None, **initial: Any) -> Any:
    """A structlog logger (stdlib-backed once `configure_logging` ran), optionally pre-bound."""
    logger = structlog.get_logger(name)
    return logger.bind(**initial) if initial else logger
