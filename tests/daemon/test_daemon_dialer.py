"""The autodialer end to end: campaigns through the daemon's real HTTP API, leads through the in-process broker
(RabbitMQ: tests/daemon/test_daemon_dialer_rabbit.py), calls through the PBX simulator, operators on
pre-connected lines. The simulator's ledger is the oracle: every attempt in the store is one Originate on the
wire with the attempt id as ActionID, and the other way round; outcomes agree."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from daemon_rig import SECRET, TIME_SCALE, Hub, database, env_for, until

from tests.conftest import require_service
from vssd.adapters.store_users import add_user
from vssd.app import Daemon, SlotPlan
from vssd.config.loader import load_config
from vssd.sim.adb import AdbSimulator
from vssd.sim.pbx import HOLD, Endpoint, PbxConfig, PbxSimulator

SLOTS = [f"60{i:02d}" for i in range(1, 21)]
AGENTS = ["1001", "1002", "1003", "1004"]
WEIGHTS = {"answered": 6, "busy": 2, "no_answer": 1, "rejected": 1, "congestion": 0, "unavailable": 0}


class Api:
    def __init__(self, session: aiohttp.ClientSession, base: str, token: str) -> None:
        self.session, self.base = session, base
        self.headers = {"Authorization": f"Bearer {token}"}

    async def call(self, method: str, path: str, **kw: Any) -> tuple[int, Any]:
        async with self.session.request(method, self.base + path, headers=self.headers, **kw) as resp:
            return resp.status, await resp.json(content_type=None)


@contextlib.asynccontextmanager
async def dialer_hub(tmp_path: Path, *, slots: list[str] = SLOTS, agents: list[str] = AGENTS,
                     time_scale: float = TIME_SCALE, talk_mean_s: float = 60.0,
                     **over: str) -> AsyncIterator[tuple[Hub, Api]]:
    require_service("PostgreSQL", 5432)
    async with contextlib.AsyncExitStack() as stack:
        pbx = PbxSimulator(PbxConfig(secret=SECRET, seed=11, time_scale=time_scale, ring_mean_s=3.0,
                                     talk_mean_s=talk_mean_s, endpoints=[Endpoint(e) for e in slots],
                                     agent_endpoints=[Endpoint(a) for a in agents], outcome_weights=WEIGHTS))
        await pbx.start(port=0)
        stack.push_async_callback(pbx.stop)
        adb = AdbSimulator(phones=1, seed=3, time_scale=TIME_SCALE)
        await adb.start(port=0)
        stack.push_async_callback(adb.stop)
        dsn = await stack.enter_async_context(database())
        env = env_for(dsn, pbx, adb, tmp_path / f"state-{uuid.uuid4().hex[:6]}", VSSD_RATE_LIMITS__ENABLED="false",
                      **over)
        daemon = Daemon(load_config(None, env), slot_plan=[SlotPlan(e, "AUTO", enroll_trunk="t") for e in slots],
                        ami_secret=SECRET)
        stack.push_async_callback(daemon.stop)
        await daemon.start()
        hub = Hub(daemon, pbx, adb, dsn, [])
        listen = daemon.config.http.listen[0]
        session = await stack.enter_async_context(aiohttp.ClientSession())
        base = f"http://{listen.host}:{listen.port}"
        async with session.post(base + "/api/auth/login", json={"username": "admin", "password": "admin123"}) as r:
            token = (await r.json())["token"]
        yield hub, Api(session, base, token)


async def operators_online(hub: Hub, api: Api, count: int, agents: list[str] = AGENTS) -> list[str]:
    ids = []
    for ext in agents[:count]:
        user_id = await add_user(hub.daemon.store, f"op{ext}", "op-password", role="operator")
        await hub.query("UPDATE users SET extension = $1 WHERE id = $2::uuid", ext, user_id)
        status, body = await api.call("PUT", f"/api/operators/{user_id}/status", json={"status": "online"})
        assert status == 200, body
        ids.append(user_id)
    await until(lambda: hub.daemon.operators.free_count() == count, 10.0)
    return ids


async def run_campaign(api: Api, numbers: list[str], settings: dict[str, Any]) -> str:
    leads = [{"phone": n, "name": f"Client {i}"} if i % 2 else {"number": n, "name": f"Client {i}"}
             for i, n in enumerate(numbers)]
    status, body = await api.call("POST", "/api/autodialer/campaigns",
                                  json={"name": "e2e", "leads": leads, "settings": settings})
    assert status == 201, body
    assert body["leads_total"] == len(numbers) and body["leads_rejected"] == []
    status, body = await api.call("POST", "/api/autodialer/run-campaign", json={"campaign_id": body["id"]})
    assert status == 200, body
    return str(body["campaign_id"])


async def finished(api: Api, campaign_id: str, timeout_s: float = 90.0) -> dict[str, Any]:
    """Poll the campaign's status until no lead is pending and no call is live; its last status."""
    last: dict[str, Any] = {}

    async def poll() -> None:
        nonlocal last
        while True:
            _, last = await api.call("GET", f"/api/autodialer/campaigns/{campaign_id}/status")
            if last["pending"] == 0 and last["live_calls"] == 0:
                return
            await asyncio.sleep(0.2)

    await asyncio.wait_for(poll(), timeout_s)
    return last


async def test_progressive_campaign_ends_with_every_lead_final_and_the_ledger_agrees(tmp_path: Path) -> None:
    async with dialer_hub(tmp_path) as (hub, api):
        operators = await operators_online(hub, api, 4)
        numbers = [f"+7999{n:07d}" for n in range(1000, 1040)]
        campaign = await run_campaign(api, numbers, {"policy": "none", "mode": "progressive", "retry_count": 1,
                                                     "retry_delay": 0.3, "ring_timeout_s": 15})
        status = await finished(api, campaign)
        await hub.flush()
        leads = await hub.query("SELECT id, phone_e164, status, attempts FROM autodialer_leads WHERE campaign_id=$1",
                                campaign)
        attempts = await hub.query("SELECT * FROM dial_attempts WHERE campaign_id = $1", campaign)
        originates = {o.action_id: o for o in hub.pbx.ledger.originates}

        assert len(leads) == 40 and {r["status"] for r in leads} <= {"done", "failed"}
        assert {a["attempt_id"] for a in attempts} == set(originates), "store attempts = Originates on the wire"
        per_lead = Counter(a["lead_id"] for a in attempts)
        assert max(per_lead.values()) <= 2 and sum(per_lead.values()) == status["attempts"] == len(attempts)
        for a in attempts:
            o = originates[a["attempt_id"]]
            assert o.number == a["number"].lstrip("+") or o.number == a["number"]
            assert a["state"] == "final" and (a["outcome"] == "answered") == (o.outcome == "answered")
        answered = [a for a in attempts if a["answered"]]
        assert status["answered"] == len(answered) > 0
        # progressive: never more calls in flight than free operators, so every answered call got one
        assert status["abandoned"] == 0 and not hub.pbx.ledger.abandons
        bridged = {b.call_channel_id for b in hub.pbx.ledger.agent_bridges}
        # (a customer who hangs up within 0.5 s real time may beat the Bridge on a loaded machine)
        quick = {f"{o.action_id}-1" for o in originates.values()
                 if o.answered_at and o.ended_at and (o.ended_at - o.answered_at) / TIME_SCALE < 0.5}
        missed = {f"{a['attempt_id']}-1" for a in answered} - bridged - quick
        assert not missed, f"answered {len(answered)}, bridged {len(bridged)}, missed {sorted(missed)}"
        done = {r["id"] for r in leads if r["status"] == "done"}
        assert done == {a["lead_id"] for a in answered}
        code, page = await api.call("GET", f"/api/calls?campaign_id={campaign}&limit=100")
        assert code == 200 and page["total"] == len(attempts)
        assert {c["campaign_id"] for c in page["items"]} == {campaign}
        await operators_figures_match_the_store(api, operators, attempts)


async def operators_figures_match_the_store(api: Api, operators: list[str], attempts: list[Any]) -> None:
    """Each operator's calls today (list) and calls handled today (stats) are the stored attempts bridged to
    them; every bridged answered call is someone's."""
    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    bridged = [a for a in attempts if a["answered"] and not a["abandoned"] and a["operator_id"] is not None]
    handled = Counter(a["operator_id"] for a in bridged if a["reserved_at"] >= midnight)
    before = Counter(a["operator_id"] for a in bridged if a["reserved_at"] < midnight)  # a run across midnight
    _, listed = await api.call("GET", "/api/operators?limit=50")
    assert (await api.call("GET", "/api/operators?limit=2&offset=1"))[1] == listed[1:3]
    assert {o["id"]: o["calls_today"] for o in listed if o["id"] in operators} == \
        {op: handled.get(op, 0) for op in operators}
    for op in operators:
        code, stats = await api.call("GET", f"/api/operators/{op}/stats?period=today")
        assert code == 200 and stats["calls_handled"] == handled.get(op, 0), stats
        talk = sum(a["talk_s"] or 0 for a in bridged if a["operator_id"] == op and a["reserved_at"] >= midnight)
        assert stats["total_talk_time"] == round(talk) and stats["period"] == "today"
        _, yesterday = await api.call("GET", f"/api/operators/{op}/stats?period=yesterday")
        assert yesterday["calls_handled"] == before.get(op, 0)
    assert sum(handled[op] + before[op] for op in operators) == len(bridged) > 0
    code, body = await api.call("GET", f"/api/operators/{operators[0]}/stats?period=decade")
    assert code == 422 and body["code"] == "INVALID_PARAMS"


async def operators_customer_hangs_up_last(pbx: PbxSimulator) -> None:
    """The customer talking to the (one) operator hangs up only once every other call of the round is over (they
    found the operator busy: the message, then the hangup), so the operator stays busy while they are decided."""
    while True:
        live = [o for o in pbx.ledger.originates if o.ended_at is None]
        bridged = {b.call_channel_id for b in pbx.ledger.agent_bridges if b.left_at is None}
        if len(live) == 1 and live[0].channel_id in bridged:
            pbx.settle(live[0].channel_id)
        await asyncio.sleep(0.02)


async def test_ratio_dialing_with_one_operator_abandons_with_the_message_and_counts_it(tmp_path: Path) -> None:
    async with dialer_hub(tmp_path) as (hub, api):
        await operators_online(hub, api, 1)
        numbers = [f"+7998{n:07d}" for n in range(2000, 2008)]
        for n in numbers:  # all answer at once and talk until settled: the one operator stays busy
            hub.pbx.script(n, "answered", ring_s=1.0, talk_s=HOLD)
        campaign = await run_campaign(api, numbers, {"policy": "none", "mode": "ratio", "ratio": 4,
                                                     "retry_count": 0, "ring_timeout_s": 15})
        hangups = asyncio.ensure_future(operators_customer_hangs_up_last(hub.pbx))
        try:
            status = await finished(api, campaign)
        finally:
            hangups.cancel()
        attempts = await hub.query("SELECT * FROM dial_attempts WHERE campaign_id = $1", campaign)
        abandoned = {a["attempt_id"] for a in attempts if a["abandoned"]}
        assert abandoned, "four calls per operator, all answered: some found nobody"
        assert status["abandoned"] == len(abandoned) and status["answered"] == len(attempts)
        played = {r.channel_id for r in hub.pbx.ledger.abandons}
        assert {f"{a}-1" for a in abandoned} == played, "every abandoned call heard the message, no other did"
        _, ledger = await api.call("GET", f"/api/autodialer/campaigns/{campaign}/ledger")
        assert ledger["periods"][0]["abandoned"] == len(abandoned)
        assert ledger["violations"] == 0  # policy none: no cap to violate


async def test_dnc_and_bad_input(tmp_path: Path) -> None:
    async with dialer_hub(tmp_path) as (hub, api):
        await operators_online(hub, api, 2)
        status, body = await api.call("POST", "/api/autodialer/dnc", json={"number": "+79990001111"})
        assert status == 201, body
        status, body = await api.call("POST", "/api/autodialer/campaigns",
                                      json={"name": "x", "settings": {"mode": "turbo"}})
        assert status == 422 and body["code"] == "INVALID_PARAMS" and body["details"][0]["loc"][:2] == ["body",
                                                                                                        "settings"]
        status, body = await api.call("POST", "/api/autodialer/run-campaign", json={"campaign_id": "nope"})
        assert status == 404 and body["error"] is True
        campaign = await run_campaign(api, ["+79990001111", "+79990002222"], {"policy": "none", "retry_count": 0})
        await finished(api, campaign)
        leads = {r["phone_e164"]: r["status"] for r in await hub.query(
            "SELECT phone_e164, status FROM autodialer_leads WHERE campaign_id = $1", campaign)}
        assert leads["+79990001111"] == "dnc"
        assert all(o.number != "+79990001111" and o.number != "79990001111" for o in hub.pbx.ledger.originates)
        status, body = await api.call("POST", "/api/autodialer/dispositions", json={"call_id": "c_1", "code": "zzz"})
        assert status == 422


async def test_invalid_numbers_are_rejected_at_import_per_row_with_the_reason(tmp_path: Path) -> None:
    """The dial gate's own `invalid_number` rule, at import: 200 numbers that are not valid numbers never
    become leads that fail one by one a minute later."""
    bad = [f"+999{i:07d}" for i in range(100)] + [f"12{i:04d}" for i in range(100)]
    async with dialer_hub(tmp_path) as (hub, api):
        leads = [{"phone": n} for n in bad[:100]] + ["+79990003333"] + [{"number": n} for n in bad[100:]]
        status, body = await api.call("POST", "/api/autodialer/campaigns", json={"name": "bad", "leads": leads})
        assert status == 201, body
        assert body["leads_total"] == 1 and len(body["leads_rejected"]) == 200
        assert {r["reason"] for r in body["leads_rejected"]} == {"invalid_number"}
        assert [r["phone"] for r in body["leads_rejected"]] == bad
        assert [r["index"] for r in body["leads_rejected"]] == [*range(100), *range(101, 201)]
        stored = await hub.query("SELECT phone FROM autodialer_leads WHERE campaign_id = $1", body["id"])
        assert [r["phone"] for r in stored] == ["+79990003333"]
        status, more = await api.call("POST", f"/api/autodialer/campaigns/{body['id']}/leads",
                                      json={"leads": ["+1000", {"phone": "+79990004444"}, {"name": "no phone"}]})
        assert status == 201, more
        assert more["imported"] == 1
        assert [(r["index"], r["reason"]) for r in more["rejected"]] == [(0, "invalid_number"), (2, "invalid_lead")]
        status, lax = await api.call("POST", "/api/autodialer/campaigns",
                                     json={"name": "lax", "leads": ["120001"], "settings": {"policy": "none"}})
        assert status == 201 and lax["leads_total"] == 1, lax  # the `none` policy dials any dialable string


pytestmark = pytest.mark.timeout(240)


async def test_poison_messages_broker_events_and_retries_after_their_due_time(tmp_path: Path) -> None:
    async with dialer_hub(tmp_path) as (hub, api):
        await operators_online(hub, api, 2)
        bus = hub.daemon.bus
        await bus.publish_leads([("poison-1", b"\xff not json"), ("poison-2", b'{"lead_id": "x"}')])
        published: list[tuple[float, list[str]]] = []
        publish = bus.publish_leads

        async def spy(messages: Any) -> None:
            now = (await hub.query("SELECT extract(epoch FROM now())::float8 AS t"))[0]["t"]
            published.append((now, [m[0] for m in messages]))
            await publish(messages)

        bus.publish_leads = spy
        for form in ("79970000001", "+79970000001"):
            hub.pbx.script(form, "busy", ring_s=1.0)
        campaign = await run_campaign(api, ["+79970000001"], {"policy": "none", "retry_count": 1,
                                                              "retry_delay": 2.0})
        await finished(api, campaign)
        dead = await hub.query("SELECT message_id, reason FROM dead_letters ORDER BY message_id")
        assert [(r["message_id"], r["reason"].split(":")[0]) for r in dead] == [("poison-1", "poison"),
                                                                                ("poison-2", "poison")]
        attempts = await hub.query("SELECT attempt_no, extract(epoch FROM ended_at)::float8 AS ended FROM "
                                   "dial_attempts WHERE campaign_id = $1 ORDER BY attempt_no", campaign)
        leads = await hub.query("SELECT status, final_reason, defer_reason, attempts FROM autodialer_leads")
        assert [a["attempt_no"] for a in attempts] == [1, 2], (attempts, leads)
        lead_id = str((await hub.query("SELECT id FROM autodialer_leads WHERE campaign_id = $1", campaign))[0]["id"])
        republished = [t for t, ids in published if lead_id in ids][1:]  # the first is the run's own publish
        assert len(republished) == 1 and republished[0] >= attempts[0]["ended"] + 2.0 - 0.05, "not before due"
        names = bus.names
        events = [await bus.fetch(names.slot_status) for _ in range(3)]
        assert all(e is not None and e[0].startswith("slot.") for e in events)
        _, status = await api.call("GET", f"/api/autodialer/campaigns/{campaign}/status")
        assert status["dead_lettered"] == 0  # the poison carried no lead of this campaign
        async with api.session.get(api.base + "/metrics") as resp:
            text = await resp.text()
        assert "vssd_dialer_poison_total 2.0" in text and "vssd_dialer_attempts_total 2.0" in text
        assert 'vssd_service_healthy{service="api"} 1.0' in text  # the readiness checks, read at scrape time


async def test_preview_mode_dials_only_what_an_operator_confirmed(tmp_path: Path) -> None:
    async with dialer_hub(tmp_path) as (hub, api):
        await operators_online(hub, api, 2)
        numbers = ["+79960000001", "+79960000002", "+79960000003"]
        campaign = await run_campaign(api, numbers, {"policy": "none", "mode": "preview", "retry_count": 0})

        async def held() -> int:
            _, body = await api.call("GET", f"/api/autodialer/campaigns/{campaign}/preview")
            return len(body["leads"])

        while await held() < 3:  # noqa: ASYNC110 (polling the API, as a client does)
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)  # several dial rounds: none may place a call unconfirmed
        assert not hub.pbx.ledger.originates
        status, body = await api.call("POST", f"/api/autodialer/campaigns/{campaign}/preview/confirm", json={})
        assert status == 200 and body["confirmed"] == 1
        await until(lambda: len(hub.pbx.ledger.originates) == 1, 10.0)
        await asyncio.sleep(0.5)
        assert len(hub.pbx.ledger.originates) == 1
        status, body = await api.call("POST", f"/api/autodialer/campaigns/{campaign}/preview/confirm",
                                      json={"count": 5})
        assert status == 200 and body["confirmed"] <= 2
        await finished(api, campaign)
        assert sorted(o.number.lstrip("+") for o in hub.pbx.ledger.originates) == [n[1:] for n in numbers]


async def test_stall_watchdog_alerts_while_leads_wait_and_the_sweep_recovers(tmp_path: Path) -> None:
    """The broker refuses every publish: leads stay pending with READY slots and free operators → one
    `system.alert`; once the broker takes messages again the periodic sweep publishes them and they are dialled."""
    async with dialer_hub(tmp_path) as (hub, api):
        await operators_online(hub, api, 2)
        dialer, bus = hub.daemon.dialer, hub.daemon.bus
        dialer.stall_after_s, dialer.watchdog_every_s = 1.0, 0.2
        alerts = hub.daemon.events.subscribe(["system.alert"], maxsize=10)
        publish = bus.publish_leads

        async def refuse(messages: Any) -> None:
            raise ConnectionError("the broker refuses publishes")

        bus.publish_leads = refuse
        campaign = await run_campaign(api, ["+79950000001", "+79950000002"], {"policy": "none", "retry_count": 0})
        event = await asyncio.wait_for(alerts.get(), 20.0)
        assert event.data["type"] == "dialer_stalled" and not hub.pbx.ledger.originates
        assert alerts.get_nowait() is None, "one alert per stall"
        bus.publish_leads = publish
        await finished(api, campaign)
        assert len(hub.pbx.ledger.originates) == 2 and dialer.counters.stalls == 1
        alerts.close()
