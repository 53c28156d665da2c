"""What `POST /api/slots/{id}/adb-command` may run on a phone: an argv, never a shell line.

The command arrives as the seeds' string (`{"command": "input tap 200 400"}`) or as `{"argv": [...]}`. A
string is split on whitespace only — no quoting, no expansion — and any shell metacharacter anywhere refuses
the whole request (an attempt to inject is answered 400, never "cleaned up" and run). Every word must then
match the allowlist below: a command prefix and, for each argument, a pattern of harmless characters. adb
quotes each element again on the device, so even an allowed word is never interpreted by a shell.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MAX_COMMAND_CHARS = 512
MAX_ARGS = 24
METACHARACTERS = frozenset(";&|$`<>(){}[]\\'\"*?!~#\n\r\t\x00^")

_WORD = re.compile(r"[A-Za-z0-9._:/=@%+,-]{1,200}\Z")
_INT = re.compile(r"-?[0-9]{1,6}\Z")
_NAME = re.compile(r"[A-Za-z0-9._-]{1,128}\Z")
_KEY = re.compile(r"[A-Z0-9_]{1,64}\Z")
_TEXT = re.compile(r"[A-Za-z0-9@._+%,:=/-]{1,200}\Z")
_COMPONENT = re.compile(r"[A-Za-z0-9._]{1,100}/[A-Za-z0-9._]{1,100}\Z")  # am start -n only: no intents (tel:)
_SERVICE = re.compile(r"[a-z0-9._]{1,64}\Z")


class Refused(ValueError):
    """The command is not allowed; `reason` says why (shown to the caller and recorded in the audit)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Rule:
    """A command prefix and what its remaining arguments may be."""

    prefix: tuple[str, ...]
    args: Callable[[list[str]], bool]


def _all(pattern: re.Pattern[str], low: int = 0, high: int = MAX_ARGS) -> Callable[[list[str]], bool]:
    return lambda rest: low <= len(rest) <= high and all(pattern.match(a) for a in rest)


def _ints(*counts: int) -> Callable[[list[str]], bool]:
    return lambda rest: len(rest) in counts and all(_INT.match(a) for a in rest)


RULES: tuple[Rule, ...] = (
    Rule(("input", "tap"), _ints(2)),
    Rule(("input", "swipe"), _ints(4, 5)),
    Rule(("input", "keyevent"), _all(_KEY, 1, 4)),
    Rule(("input", "text"), _all(_TEXT, 1, 1)),
    Rule(("am", "start"), lambda rest: len(rest) == 2 and rest[0] == "-n" and bool(_COMPONENT.match(rest[1]))),
    Rule(("am", "force-stop"), _all(_NAME, 1, 1)),
    Rule(("am", "kill"), _all(_NAME, 1, 1)),
    Rule(("pm", "list", "packages"), _all(_WORD, 0, 3)),
    Rule(("pm", "list", "features"), _all(_WORD, 0, 0)),
    Rule(("dumpsys",), _all(_SERVICE, 0, 2)),
    Rule(("getprop",), _all(_NAME, 0, 1)),
    Rule(("settings", "get", "system"), _all(_NAME, 1, 1)),
    Rule(("settings", "get", "secure"), _all(_NAME, 1, 1)),
    Rule(("settings", "get", "global"), _all(_NAME, 1, 1)),
    Rule(("reboot",), _all(_NAME, 0, 0)),
    Rule(("wm", "size"), _all(_WORD, 0, 0)),
    Rule(("uptime",), _all(_WORD, 0, 0)),
)


def words_of(body: dict[str, Any]) -> list[str]:
    """The argv of a request body (`command` string or `argv` list); `Refused` for anything else."""
    command, argv = body.get("command"), body.get("argv")
    if (command is None) == (argv is None):
        raise Refused("give exactly one of command (a string) or argv (a list of strings)")
    if argv is not None:
        if not isinstance(argv, list) or not argv or not all(isinstance(a, str) for a in argv):
            raise Refused("argv must be a non-empty list of strings")
        words = list(argv)
    else:
        if not isinstance(command, str) or not command.strip():
            raise Refused("command must be a non-empty string")
        words = command.split(" ")
        words = [w for w in words if w]
    text = " ".join(words)
    if len(text) > MAX_COMMAND_CHARS or len(words) > MAX_ARGS:
        raise Refused(f"command too long (at most {MAX_COMMAND_CHARS} characters, {MAX_ARGS} words)")
    found = sorted({c for c in (command if isinstance(command, str) else "".join(words)) if c in METACHARACTERS})
    if found or any(not w.isprintable() or w.strip() != w or not w for w in words):
        shown = ", ".join(repr(c) for c in found) or "control or blank characters"
        raise Refused(f"shell metacharacters are not allowed ({shown})")
    return words


def allowed_argv(body: dict[str, Any]) -> list[str]:
    """The validated argv, or `Refused`."""
    words = words_of(body)
    for rule in RULES:
        n = len(rule.prefix)
        if tuple(words[:n]) == rule.prefix:
            if rule.args(words[n:]):
                return words
            raise Refused(f"arguments not allowed for {' '.join(rule.prefix)!r}")
    allowed = sorted({" ".join(r.prefix[:2]) for r in RULES})
    raise Refused(f"command {words[0]!r} is not allowed; allowed: {', '.join(allowed)}")
