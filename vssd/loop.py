"""The event loop the daemon runs on: uvloop (libuv) by default, asyncio's own loop on request.

Why uvloop: the dialer is CPU-bound on the loop's own machinery — every AMI frame, AMQP confirm, asyncpg reply
and slot step is a read callback, a `call_soon` and a task switch. Under `bench/dialer.py` the daemon spent
5.97 ms of CPU per attempt on asyncio's loop and 2.95 ms on uvloop's, same code (bench/README.md). The test
suite runs most code on asyncio's loop (pytest-asyncio) and the daemon subprocesses on uvloop, so both are
exercised. `runtime.event_loop = "asyncio"` (or VSSD_RUNTIME__EVENT_LOOP=asyncio) picks asyncio's loop, e.g.
to debug with `PYTHONASYNCIODEBUG=1`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any, Literal, TypeVar

log = logging.getLogger("vssd.loop")

T = TypeVar("T")
LoopKind = Literal["uvloop", "asyncio"]


def loop_factory(kind: LoopKind = "uvloop") -> Callable[[], asyncio.AbstractEventLoop]:
    """A factory for `asyncio.Runner`: uvloop's loop if asked for and importable, else asyncio's."""
    if kind == "uvloop":
        try:
            import uvloop
        except ImportError:  # a platform without a uvloop wheel: run, but say so
            log.warning("uvloop is not installed: running on asyncio's own event loop")
        else:
            return uvloop.new_event_loop
    return asyncio.new_event_loop


def run(main: Coroutine[Any, Any, T], kind: LoopKind = "uvloop") -> T:
    """`asyncio.run(main)` on the chosen loop."""
    with asyncio.Runner(loop_factory=loop_factory(kind)) as runner:
        return runner.run(main)
