"""The daemon's event loop choice (`runtime.event_loop`, vssd/loop.py)."""

from __future__ import annotations

import asyncio

import pytest
import uvloop

from vssd.config.errors import ConfigError
from vssd.config.loader import load_config
from vssd.loop import loop_factory, run


async def _loop_module() -> str:
    await asyncio.sleep(0)
    return type(asyncio.get_running_loop()).__module__


def test_uvloop_is_the_default_and_asyncio_can_be_chosen() -> None:
    assert load_config(None, {}).runtime.event_loop == "uvloop"
    assert loop_factory("uvloop") is uvloop.new_event_loop
    assert run(_loop_module()).startswith("uvloop")
    assert run(_loop_module(), "asyncio").startswith("asyncio")
    assert load_config(None, {"VSSD_RUNTIME__EVENT_LOOP": "asyncio"}).runtime.event_loop == "asyncio"


def test_an_unknown_loop_is_refused_with_its_key_path() -> None:
    with pytest.raises(ConfigError) as err:
        load_config(None, {"VSSD_RUNTIME__EVENT_LOOP": "trio"})
    assert any("runtime.event_loop" in issue.render() for issue in err.value.issues)
