"""configure_logging: JSON lines off a TTY, readable key=value on one, stdlib routed through, contextvars bound."""

from __future__ import annotations

import io
import json
import logging
import re

import pytest
import structlog

from vssd.log import bind_context, bound_context, clear_context, configure_logging, get_logger

ANSI = re.compile(r"\x1b\[[0-9;]*m")


class FakeTty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def _restore_logging():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.reset_defaults()
    clear_context()


def lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_json_lines_carry_context_from_structlog_and_stdlib() -> None:
    out = io.StringIO()
    configure_logging("info", stream=out)  # not a TTY: JSON
    with bound_context(slot_id="slot-3", call_id="c_17"):
        get_logger("vssd.test").info("call answered", agent="op-1")
        logging.getLogger("aiormq.connection").warning("link %s lost", "amqp")
    get_logger("vssd.test").info("outside")
    first, second, third = lines(out)
    assert first["event"] == "call answered" and first["level"] == "info" and first["agent"] == "op-1"
    assert (first["slot_id"], first["call_id"], first["logger"]) == ("slot-3", "c_17", "vssd.test")
    assert first["timestamp"].endswith("Z")
    assert second["event"] == "link amqp lost" and second["level"] == "warning" and second["slot_id"] == "slot-3"
    assert second["logger"] == "aiormq.connection"
    assert "slot_id" not in third


def test_level_filters_both_kinds_of_logger() -> None:
    out = io.StringIO()
    configure_logging("warning", json=True, stream=out)
    get_logger("a").info("dropped")
    logging.getLogger("b").info("dropped too")
    get_logger("a").error("kept")
    assert [e["event"] for e in lines(out)] == ["kept"]


def test_exceptions_are_rendered_into_the_json_line() -> None:
    out = io.StringIO()
    configure_logging(json=True, stream=out)
    try:
        raise ValueError("bad frame")
    except ValueError:
        logging.getLogger("vssd.ami").exception("parse failed")
    (entry,) = lines(out)
    assert "ValueError: bad frame" in entry["exception"]


def test_a_tty_gets_readable_key_value_lines() -> None:
    out = FakeTty()
    configure_logging("debug", stream=out)
    bind_context(slot_id="slot-9")
    get_logger("vssd.test", call_id="c_2").debug("ringing", ring_s=45)
    text = ANSI.sub("", out.getvalue())
    assert "ringing" in text and not text.lstrip().startswith("{")
    for pair in ("slot_id=slot-9", "call_id=c_2", "ring_s=45"):
        assert pair in text


def test_configuring_twice_keeps_one_handler() -> None:
    out = io.StringIO()
    configure_logging(json=True, stream=io.StringIO())
    configure_logging(json=True, stream=out)
    logging.getLogger("x").warning("once")
    assert [e["event"] for e in lines(out)] == ["once"]
    with pytest.raises(ValueError):
        configure_logging("loud")
