"""`GET /api/slots` over the daemon's SlotControl (cached views, kept serialised body): an unchanged farm gets the
same bytes, and each kind of change shows in the very next GET — whole list, filtered, paginated and single."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.actors.test_slot_view_cache import ViewRig, settle, started_farm
from tests.api.conftest import Rig, RigFactory
from vssd.api.slots.routes import BODY


@pytest.fixture
async def farm(tmp_path: Path) -> AsyncIterator[ViewRig]:
    async with started_farm(tmp_path, 3) as rig:
        yield rig


@pytest.fixture
async def api(make_rig: RigFactory, farm: ViewRig) -> tuple[Rig, dict[str, str]]:
    rig = await make_rig(slots=farm.control, slot_admin=farm.control, trunks=farm.control)
    return rig, rig.bearer(await rig.token("admin"))


async def _get(api: tuple[Rig, dict[str, str]], path: str = "/api/slots") -> tuple[bytes, Any, str]:
    rig, auth = api
    resp = await rig.client.get(path, headers=auth)
    assert resp.status == 200, await resp.text()
    body = await resp.read()
    return body, await resp.json(), resp.headers["X-Total-Count"]


async def test_an_unchanged_farm_gets_the_kept_body(api: tuple[Rig, dict[str, str]], farm: ViewRig) -> None:
    first, views, total = await _get(api)
    kept = api[0].client.app[BODY].body
    again, _, _ = await _get(api)
    assert again == first and api[0].client.app[BODY].body is kept  # not serialised again
    assert total == "3" and views == farm.truth()


async def test_every_kind_of_change_shows_in_the_next_get(api: tuple[Rig, dict[str, str]], farm: ViewRig) -> None:
    await _get(api)
    await farm.control.enroll("1", "1", "op12")  # FSM transitions
    _, views, _ = await _get(api)
    assert (views[0]["fsm_state"], views[0]["status"], views[0]["trunk_name"]) == ("READY", "free", "gw-1")
    call = await farm.farm.dial("+79001112233", "1")  # a call
    _, views, _ = await _get(api)
    assert (views[0]["status"], views[0]["current_call_id"]) == ("busy", call.call_id)
    farm.hang_up("1")
    await settle()
    _, views, _ = await _get(api)
    assert (views[0]["fsm_state"], views[0]["current_call_id"]) == ("POSTCALL", None)
    endpoint = farm.farm.cores["2"].spec.endpoint  # a health fact
    farm.farm.on_registration({"event": "ContactStatus", "endpointname": endpoint, "contactstatus": "Unreachable"})
    _, views, _ = await _get(api)
    assert views[1]["online"] is False
    rig, auth = api  # an admin edit through the API
    resp = await rig.client.patch("/api/slots/3", json={"device_model": "GoIP-8"}, headers=auth)
    assert resp.status == 200, await resp.text()
    _, views, _ = await _get(api)
    assert views[2]["device"] == "GoIP-8"
    await farm.control.update_trunk(1, {"name": "gw-renamed"})  # a trunk's name
    _, views, _ = await _get(api)
    assert views[0]["trunk_name"] == "gw-renamed"
    assert views == farm.truth()


async def test_filtered_paged_and_single_reads_follow_changes(api: tuple[Rig, dict[str, str]],
                                                               farm: ViewRig) -> None:
    _, free, total = await _get(api, "/api/slots?status=free")
    assert (free, total) == ([], "0")
    await farm.control.enroll("2", "1", None)
    _, free, total = await _get(api, "/api/slots?status=free")
    assert ([v["id"] for v in free], total) == ([2], "1")
    _, page, total = await _get(api, "/api/slots?limit=1&offset=1")
    assert ([v["id"] for v in page], page[0]["fsm_state"], total) == ([2], "READY", "3")
    await farm.control.disable("2")
    _, page, _ = await _get(api, "/api/slots?limit=1&offset=1")
    assert page[0]["fsm_state"] == "IDLE"
    _, one, _ = await _get(api, "/api/slots?limit=2")
    assert [v["id"] for v in one] == [1, 2]
    rig, auth = api
    resp = await rig.client.get("/api/slots/2", headers=auth)
    assert (await resp.json())["fsm_state"] == "IDLE"
    await farm.control.delete_slot("2")
    _, views, total = await _get(api)
    assert ([v["id"] for v in views], total) == ([1, 3], "2")
