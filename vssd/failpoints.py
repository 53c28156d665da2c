"""Named failpoints for crash tests: `VSSD_FAILPOINTS="after_reservation_commit:3,before_ack"` makes the daemon
SIGKILL itself the 3rd time it passes `after_reservation_commit` (the 1st time for a name without a count).

Used by the at-most-once tests: a crash at each point of the dial path, then a restart, must never dial a
number twice and never leave a lead without a state. Unset in production; `hit()` is then one dict lookup.
"""

from __future__ import annotations

import logging
import os
import signal

log = logging.getLogger("vssd.failpoints")
POINTS = ("after_reservation_commit", "after_originate_write", "before_ack", "after_outcome_stored")


def _parse(spec: str) -> dict[str, int]:
    armed: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, _, count = item.partition(":")
        if name not in POINTS:
            raise ValueError(f"unknown failpoint {name!r}; known: {', '.join(POINTS)}")
        armed[name] = int(count) if count else 1
    return armed


_armed = _parse(os.environ.get("VSSD_FAILPOINTS", ""))
_hits: dict[str, int] = {}


def arm(spec: str) -> None:
    """Replace the armed set (tests in-process use this; the daemon reads the environment)."""
    _armed.clear()
    _armed.update(_parse(spec))
    _hits.clear()


def hit(name: str) -> None:
    """Pass failpoint `name`: kill this process (SIGKILL, no cleanup) when it is armed and its count is reached."""
    if name not in _armed:
        return
    _hits[name] = _hits.get(name, 0) + 1
    if _hits[name] >= _armed[name]:
        log.critical("failpoint %s reached (hit %d): SIGKILL", name, _hits[name])
        os.kill(os.getpid(), signal.SIGKILL)
