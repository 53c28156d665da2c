"""At-most-once dialing under crashes (issue 5, "Named failpoints"): `vssd run` as a child process SIGKILLs itself
at each named failpoint of the dial path, is restarted without it on the same database and the same PBX simulator
(its own process, so the calls outlive the daemon), and the campaign runs to its end. Then RabbitMQ and
PostgreSQL are restarted mid-campaign under a daemon that stays up (the PostgreSQL restart only under CI=true or
VSSD_TEST_PG_RESTART=1; every session of the daemon's database terminated for 2 s stands in for it otherwise), and
two in-process tests make the store refuse a reservation / a refusal's record (leads were left `queued` for ever).

The simulator's ledger is the oracle. What each run proves (`check_run`):
- no number reached the wire twice (retry_count 0), and no lead has more than one attempt;
- every Originate on the wire is a reserved attempt of the store (nothing dialled without a reservation);
- every lead is final (done / failed / unknown), every attempt `final` or `unknown`;
- an attempt is `unknown` only if it was `reserved` in the store when the daemon died (snapshot taken between
  the kill and the restart) — for the restarts with the daemon up: no attempt is `unknown` at all;
- a lead is `unknown` exactly when its attempt is;
- the campaign's counts add up: attempts = store rows, answered = final attempts answered = those the ledger
  says were answered, unknown = unknown rows; a final attempt off the wire is one the slot refused;
- after a kill (`check_reconcile`): a reserved attempt whose call the PBX no longer had when the restarted daemon
  listed the live channels is `unknown`, one whose call was still live was adopted and ended `final`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from crash_rig import FINAL_LEAD, CrashRig, SimProcess, poll
from test_daemon_dialer import dialer_hub, finished, operators_online, run_campaign

from tests.conftest import require_service, require_tool, service_up
from tests.pg import scratch_database
from vssd import failpoints
from vssd.adapters.amqp import AmqpSettings, delete_topology
from vssd.adapters.store_errors import StoreNotReady
from vssd.calls.campaign import ReserveAsk
from vssd.calls.model import Call
from vssd.calls.outcomes import Outcome

LEADS = 30
LONG = 3  # the first leads: answered at once and talking until settled: live across the restart
SETTINGS = {"policy": "none", "mode": "ratio", "ratio": 3, "retry_count": 0, "ring_timeout_s": 15}
RABBIT_URL = "amqp://guest:guest@127.0.0.1:5672/"


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimProcess]:
    """One simulator process for the module (each run dials its own numbers)."""
    proc = SimProcess(tmp_path_factory.mktemp("pbx"))
    try:
        proc.wait_ready()
        yield proc
    finally:
        proc.stop()


@contextlib.asynccontextmanager
async def crash_rig(sim: SimProcess, tmp_path: Path, **env: str) -> AsyncIterator[CrashRig]:
    require_service("PostgreSQL", 5432)
    async with scratch_database("vssd_crash") as dsn:
        rig = CrashRig(sim, dsn, tmp_path, extra_env=env)
        try:
            yield rig
        finally:
            await rig.close()


def numbers_for(run: int) -> list[str]:
    return [f"+7993{run:02d}{n:05d}" for n in range(LEADS)]


async def attempts_by_id(rig: CrashRig) -> dict[str, Any]:
    return {r["attempt_id"]: r for r in await rig.query("SELECT * FROM dial_attempts")}


async def check_run(rig: CrashRig, campaign: str, numbers: list[str], status: dict[str, Any],
                    reserved_at_kill: set[str]) -> dict[str, int]:
    ours = {n.lstrip("+") for n in numbers}
    wire = {o["action_id"]: o for o in (await rig.sim.ledger())["originates"] if o["number"].lstrip("+") in ours}
    leads = {r["id"]: r for r in await rig.query(
        "SELECT id, status, attempts, last_attempt_id FROM autodialer_leads WHERE campaign_id = $1", campaign)}
    attempts = {a: r for a, r in (await attempts_by_id(rig)).items() if r["campaign_id"] == campaign}

    dialled = Counter(o["number"].lstrip("+") for o in wire.values())
    assert not [n for n, k in dialled.items() if k > 1], f"dialled twice: {dialled.most_common(3)}"
    # A reservation whose reply the store lost (its connection killed after the commit) is withdrawn: closed as
    # `cancelled`, never dialled, its lead queued again — the one kind of second attempt row a lead may have.
    withdrawn = {a for a, r in attempts.items() if r["outcome"] == "cancelled" and a not in wire}
    assert max(Counter(r["lead_id"] for a, r in attempts.items() if a not in withdrawn).values()) == 1
    assert set(wire) <= set(attempts), f"Originates with no reservation: {sorted(set(wire) - set(attempts))}"
    assert len(leads) == LEADS
    assert {r["status"] for r in leads.values()} <= FINAL_LEAD, Counter(r["status"] for r in leads.values())
    assert {r["state"] for r in attempts.values()} <= {"final", "unknown"}
    unknown = {a for a, r in attempts.items() if r["state"] == "unknown"}
    assert unknown <= reserved_at_kill, f"unknown but not reserved at the kill: {sorted(unknown - reserved_at_kill)}"
    assert {lid for lid, r in leads.items() if r["status"] == "unknown"} == {attempts[a]["lead_id"] for a in unknown}
    final = {a: r for a, r in attempts.items() if r["state"] == "final"}
    off_wire = {a: r["outcome"] for a, r in final.items() if a not in wire}
    assert set(off_wire.values()) <= {"unavailable", "cancelled"}, off_wire
    answered = {a for a, r in final.items() if r["answered"]}
    assert answered == {a for a in final if a in wire and wire[a]["outcome"] == "answered"}
    connected = {final[a]["lead_id"] for a in answered if not final[a]["abandoned"]}
    assert {lid for lid, r in leads.items() if r["status"] == "done"} == connected
    assert (status["attempts"], status["answered"], status["unknown"]) == (len(attempts), len(answered), len(unknown))
    assert status["statuses"]["done"] + status["statuses"]["failed"] + status["statuses"]["unknown"] == LEADS
    return {"attempts": len(attempts), "wire": len(wire), "answered": len(answered), "unknown": len(unknown),
            "reserved_at_kill": len(reserved_at_kill)}


async def script_long_calls(sim: SimProcess, numbers: list[str], talk_s: float | str = "hold") -> None:
    for number in numbers[:LONG]:
        for form in (number, number.lstrip("+")):
            await sim.script(form, "answered", ring_s=1.0, talk_s=talk_s)


async def settle_long_calls(sim: SimProcess, numbers: list[str], old_clients: set[int]) -> None:
    """Once the restarted daemon has asked the PBX for its live channels, the held long calls end (and any
    long call dialled from now on talks briefly)."""

    async def asked() -> bool:
        ledger = await sim.ledger()
        return any(a["client_id"] not in old_clients and a["name"].lower() == "status" for a in ledger["actions"])

    await poll(asked, 60.0, "the restarted daemon's Status action")
    await script_long_calls(sim, numbers, talk_s=2.0)
    for number in numbers[:LONG]:
        for form in {number, number.lstrip("+")}:
            await sim.settle(form)


async def clients(sim: SimProcess) -> set[int]:
    return {a["client_id"] for a in (await sim.ledger())["actions"]}


async def check_reconcile(rig: CrashRig, reserved_at_kill: set[str], old_clients: set[int]) -> dict[str, int]:
    """The `unknown` window, exactly: an attempt reserved at the kill whose call the PBX no longer had when the
    restarted daemon listed the live channels (its `Status` action, at t ∈ [t1, t2] in simulated time) is
    `unknown`; one whose call was still live then was adopted and is final with the ledger's outcome. Calls that
    ended inside [t1, t2] (± 1 simulated second) could go either way and are not judged."""
    ledger = await rig.sim.ledger()
    asked = [a["at"] for a in ledger["actions"] if a["client_id"] not in old_clients and a["name"].lower() == "status"]
    assert asked, "the restarted daemon asked the PBX for its live channels"
    t1, t2 = min(asked) - 1.0, max(asked) + 1.0
    wire = {o["action_id"]: o for o in ledger["originates"]}
    rows = await attempts_by_id(rig)
    gone = {a for a in reserved_at_kill if a not in wire or (wire[a]["ended_at"] or t2 + 1) < t1}
    live = {a for a in reserved_at_kill - gone if wire[a]["ended_at"] is None or wire[a]["ended_at"] > t2}
    assert {rows[a]["state"] for a in gone} <= {"unknown"}, {a: rows[a]["state"] for a in gone}
    assert {rows[a]["state"] for a in live} <= {"final"}, {a: rows[a]["state"] for a in live}
    assert all(rows[a]["answered"] == (wire[a]["outcome"] == "answered") for a in live)
    return {"gone": len(gone), "adopted": len(live), "undecided": len(reserved_at_kill - gone - live)}


@pytest.mark.parametrize("point", failpoints.POINTS)
async def test_sigkill_at_a_failpoint_then_restart_dials_no_number_twice(sim: SimProcess, tmp_path: Path,
                                                                        point: str) -> None:
    run = failpoints.POINTS.index(point) + 1
    numbers = numbers_for(run)
    await script_long_calls(sim, numbers)
    async with crash_rig(sim, tmp_path) as rig:
        await rig.boot(f"{point}:5")
        campaign = await rig.run_campaign(numbers, SETTINGS, may_die=True)
        assert rig.daemon is not None
        assert await rig.daemon.wait_exit(60) == -9, "the failpoint SIGKILLs the daemon"
        old_clients = await clients(sim)
        at_kill = await attempts_by_id(rig)
        reserved_at_kill = {a for a, r in at_kill.items() if r["state"] == "reserved"}
        if point != "after_outcome_stored":
            assert reserved_at_kill, "the kill came with attempts in flight"
        async with asyncio.TaskGroup() as tasks:  # the boot waits for slots that the held calls keep busy
            tasks.create_task(rig.boot())
            tasks.create_task(settle_long_calls(sim, numbers, old_clients))
        status = await rig.finished(campaign)
        figures = await check_run(rig, campaign, numbers, status, reserved_at_kill)
        figures |= await check_reconcile(rig, reserved_at_kill, old_clients)
        print(point, figures)
        assert figures["attempts"] >= 5


async def restart_mid_campaign(rig: CrashRig, numbers: list[str], restart: Any) -> dict[str, int]:
    """Boot, run, restart a service once some attempts are under way; the daemon must stay up to the end."""
    await rig.boot()
    campaign = await rig.run_campaign(numbers, SETTINGS)

    async def some_attempts() -> bool:
        return (await rig.status(campaign))["attempts"] >= 8

    await poll(some_attempts, 30.0, "attempts before the restart")
    await restart()
    assert rig.daemon is not None and rig.daemon.running, "the daemon stays up through the restart"
    status = await rig.finished(campaign, timeout_s=90.0)
    assert rig.daemon.running
    return await check_run(rig, campaign, numbers, status, reserved_at_kill=set())


async def test_database_connections_killed_mid_campaign_dial_no_number_twice(sim: SimProcess, tmp_path: Path) -> None:
    """PostgreSQL's side of an outage without restarting the shared server: for 2 s every backend of the daemon's
    database is terminated as soon as it appears (reservations, outcomes and retries fail mid-statement)."""

    async def outage() -> None:
        conn = await asyncpg.connect(rig.dsn)
        try:
            name = await conn.fetchval("SELECT current_database()")
            end = time.monotonic() + 2.0
            while time.monotonic() < end:
                await conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                   "WHERE datname = $1 AND pid <> pg_backend_pid()", name)
                await asyncio.sleep(0.02)
        finally:
            await conn.close()

    async with crash_rig(sim, tmp_path) as rig:
        figures = await restart_mid_campaign(rig, numbers_for(13), outage)
    print("database connections killed", figures)
    assert figures["unknown"] == 0


async def test_a_reservation_the_store_refuses_is_tried_again_not_lost(tmp_path: Path) -> None:
    """In-process, deterministic: the store refuses the first reservations (StoreNotReady, as on a dead pooled
    connection). The leads must not be left `queued` behind an unsettled message with their number locked."""
    async with dialer_hub(tmp_path) as (hub, api):
        await operators_online(hub, api, 4)
        store = hub.daemon.dialer.store
        reserve_many, refused, statements = store.reserve_many, [], []

        async def flaky(asks: Any) -> Any:  # the first three statements (a batch of reservations each) refused
            statements.append(len(asks))
            if len(statements) <= 3:
                refused.extend(ask.lead_id for ask in asks)
                raise StoreNotReady("dialer write: connection was closed in the middle of operation")
            return await reserve_many(asks)

        store.reserve_many = flaky
        numbers = [f"+7993{15:02d}{n:05d}" for n in range(6)]
        campaign = await run_campaign(api, numbers, SETTINGS)
        status = await finished(api, campaign, timeout_s=30.0)
        leads = {r["id"]: r["status"] for r in await hub.query(
            "SELECT id, status FROM autodialer_leads WHERE campaign_id = $1", campaign)}
        attempts = await hub.query("SELECT lead_id FROM dial_attempts WHERE campaign_id = $1", campaign)
    assert len(statements) > 3 and len(refused) >= 3 and status["pending"] == 0
    assert set(leads.values()) <= FINAL_LEAD, leads
    assert {lead_id for lead_id in refused} <= {a["lead_id"] for a in attempts}, "refused leads dialled later"
    assert max(Counter(a["lead_id"] for a in attempts).values()) == 1


async def test_a_refusal_the_store_fails_to_record_is_tried_again_not_lost(tmp_path: Path) -> None:
    """The gate refuses a DNC number; storing that (`finish_lead` → dnc) fails once. The lead must still end `dnc`
    rather than stay `queued` behind an unsettled message."""
    async with dialer_hub(tmp_path) as (hub, api):
        await operators_online(hub, api, 2)
        dnc = "+79931600000"
        status, body = await api.call("POST", "/api/autodialer/dnc", json={"number": dnc})
        assert status == 201, body
        store = hub.daemon.dialer.store
        finish_lead, refused = store.finish_lead, []

        async def flaky(lead_id: int, status: str, reason: str) -> None:
            if not refused:
                refused.append(lead_id)
                raise StoreNotReady("dialer write: connection was closed in the middle of operation")
            await finish_lead(lead_id, status, reason)

        store.finish_lead = flaky
        campaign = await run_campaign(api, [dnc, "+79931600001"], SETTINGS)
        status = await finished(api, campaign, timeout_s=30.0)
        leads = {r["phone_e164"]: r["status"] for r in await hub.query(
            "SELECT phone_e164, status FROM autodialer_leads WHERE campaign_id = $1", campaign)}
    assert refused and status["pending"] == 0 and leads[dnc] == "dnc", leads


async def rabbitmqctl(*args: str) -> None:
    proc = await asyncio.create_subprocess_exec("rabbitmqctl", *args, stdout=asyncio.subprocess.DEVNULL,
                                                stderr=asyncio.subprocess.PIPE)
    _, err = await proc.communicate()
    assert proc.returncode == 0, f"rabbitmqctl {' '.join(args)}: {err.decode(errors='replace')}"


async def rabbit_back() -> None:
    await rabbitmqctl("start_app")
    await rabbitmqctl("await_startup")
    await poll(lambda: asyncio.sleep(0, service_up(5672)), 30.0, "RabbitMQ accepting connections")


@pytest.mark.broker_restart
async def test_rabbitmq_restart_mid_campaign_dials_no_number_twice(sim: SimProcess, tmp_path: Path) -> None:
    require_service("RabbitMQ", 5672)
    require_tool("rabbitmqctl")

    async def restart() -> None:
        await rabbitmqctl("stop_app")
        await asyncio.sleep(1.0)
        await rabbit_back()

    prefix = f"crash{uuid.uuid4().hex[:8]}."
    try:
        async with crash_rig(sim, tmp_path, VSSD_AMQP_URL=RABBIT_URL, VSSD_AMQP__QUEUE_PREFIX=prefix) as rig:
            figures = await restart_mid_campaign(rig, numbers_for(11), restart)
    finally:
        await rabbit_back()
        with contextlib.suppress(Exception):  # the run's queues and exchanges, not left on the shared broker
            await delete_topology(AmqpSettings(url=RABBIT_URL, prefix=prefix))
    print("rabbitmq restart", figures)
    assert figures["unknown"] == 0


def cluster_version() -> str | None:
    versions = sorted(p.name for p in Path("/etc/postgresql").glob("*")) if Path("/etc/postgresql").is_dir() else []
    return versions[-1] if versions else None


async def pg_restart() -> None:
    proc = await asyncio.create_subprocess_exec("pg_ctlcluster", "--skip-systemctl-redirect", str(cluster_version()),
                                                "main", "restart")
    assert await proc.wait() == 0


@pytest.mark.pg_restart
@pytest.mark.skipif(
    os.environ.get("CI") != "true" and os.environ.get("VSSD_TEST_PG_RESTART") != "1",
    reason="restarts the shared PostgreSQL; set VSSD_TEST_PG_RESTART=1 (CI runs it)",
)
@pytest.mark.skipif(shutil.which("pg_ctlcluster") is None or cluster_version() is None, reason="no pg_ctlcluster")
async def test_postgres_restart_mid_campaign_dials_no_number_twice(sim: SimProcess, tmp_path: Path) -> None:
    async with crash_rig(sim, tmp_path) as rig:
        figures = await restart_mid_campaign(rig, numbers_for(12), pg_restart)
    print("postgres restart", figures)
    assert figures["unknown"] == 0


pytestmark = pytest.mark.timeout(150)


async def test_an_adopted_attempt_whose_call_ended_during_start_up_is_settled(tmp_path: Path) -> None:
    """In-process: reconcile found an attempt's call live on the PBX, and the call ended while the daemon was still
    loading campaigns (before the dialer adopted it). Adopting an already-ended call stores its outcome at once;
    it used to stay in `live` forever, its lead `dialing` and the campaign never finishing."""
    async with dialer_hub(tmp_path) as (hub, api):  # no operator online: nothing of this campaign is dialled
        campaign = await run_campaign(api, ["+79931700000"], {**SETTINGS, "retry_count": 1})
        lead_id = (await hub.query("SELECT id FROM autodialer_leads WHERE campaign_id = $1", campaign))[0]["id"]
        await poll(lambda: _status_is(hub, lead_id, "queued"), 10.0, "the lead queued")
        dialer = hub.daemon.dialer
        won = await dialer.store.reserve_many([ReserveAsk(lead_id, "c_adopted_1", "6001", "+79931700000")])
        row = {"attempt_id": "c_adopted_1", "lead_id": lead_id, "campaign_id": campaign, "slot_id": "6001",
               "number": "+79931700000", "attempt_no": won["c_adopted_1"].attempt_no}
        call = Call(call_id="c_adopted_1", root="c_adopted_1-1")
        call.outcome, call.ended_at = Outcome.BUSY, time.time()  # it ended before adoption
        assert dialer.adopt([(row, call)]) == 1
        await poll(lambda: _status_is(hub, lead_id, "retry"), 10.0, "the adopted attempt's outcome stored")
        attempt = (await hub.query("SELECT state, outcome FROM dial_attempts WHERE attempt_id = 'c_adopted_1'"))[0]
        assert (attempt["state"], attempt["outcome"]) == ("final", "busy")
        assert "c_adopted_1" not in dialer.live and dialer.runs[campaign].calls == 0


async def _status_is(hub: Any, lead_id: int, status: str) -> bool:
    rows = await hub.query("SELECT status FROM autodialer_leads WHERE id = $1", lead_id)
    return bool(rows) and rows[0]["status"] == status
