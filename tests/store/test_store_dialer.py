"""The autodialer's record (vssd/adapters/store_leads.py, store_campaigns.py, store_dnc.py, store_dead_letters.py,
store_operators.py) on the real PostgreSQL (one migrated scratch database for the module, emptied before each
test)."""

from __future__ import annotations

import asyncio
import random
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import asyncpg
import pytest

from tests.conftest import require_service
from tests.pg import SERVER, scratch_database
from vssd.actors.dialer_ports import DeadLetter
from vssd.actors.reservations import ReservationBatcher
from vssd.adapters.store import Store
from vssd.adapters.store_campaigns import StoreCampaigns
from vssd.adapters.store_dead_letters import StoreDeadLetters
from vssd.adapters.store_dialer_sql import LEAD_STATUSES
from vssd.adapters.store_dnc import StoreDnc
from vssd.adapters.store_leads import StoreLeads
from vssd.adapters.store_migrate import apply_migrations, load_migrations, migrations_dir
from vssd.adapters.store_operators import StoreOperators
from vssd.calls.campaign import AttemptEnd, ReserveAsk
from vssd.tasks import TaskSet

T = TypeVar("T")

# One migrated database for the module, emptied before each test: a database per test costs seconds here.
TABLES = ("dispositions", "dead_letters", "dial_attempts", "dnc_numbers", "operators", "autodialer_leads",
          "campaigns", "users")


def _in_thread(work: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine on a private loop in a thread: module fixtures live outside the tests' loops."""
    result: list[T] = []
    thread = threading.Thread(target=lambda: result.append(asyncio.run(work())), name="dialer-db")
    thread.start()
    thread.join(120)
    assert result, "the database set-up did not finish"
    return result[0]


@pytest.fixture(scope="module")
def dialer_db() -> Iterator[str]:
    """A migrated scratch database for this module (created and dropped as tests/pg.py does)."""
    require_service("postgresql", 5432)
    name = f"vssd_td_{uuid.uuid4().hex[:12]}"

    async def admin(sql: str) -> bool:
        conn = await asyncpg.connect(f"{SERVER}/test")
        try:
            await conn.execute(sql)
        finally:
            await conn.close()
        return True

    async def create() -> bool:
        await admin(f'CREATE DATABASE "{name}"')
        conn = await asyncpg.connect(f"{SERVER}/{name}")
        try:
            await apply_migrations(conn, load_migrations(migrations_dir()))
        finally:
            await conn.close()
        return True

    _in_thread(create)
    try:
        yield f"{SERVER}/{name}"
    finally:
        _in_thread(lambda: admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
async def store(dialer_db: str, tmp_path) -> AsyncIterator[Store]:
    s = await Store.connect(dialer_db, spill_dir=tmp_path / "spill", pool_max_size=4)
    try:
        for table in TABLES:  # DELETE: a few rows each, cheaper than TRUNCATE's new files
            await s.pool.execute(f"DELETE FROM {table}")
        yield s
    finally:
        await s.close()


async def add_user(store: Store, username: str, password: str, role: str = "operator", name: str = "") -> str:
    """A user row without the (slow, here irrelevant) argon2 hash."""
    return await store.pool.fetchval(
        "INSERT INTO users (username, name, password_hash, role) VALUES ($1, $2, $3, $4) RETURNING id::text",
        username, name, f"not-a-hash:{password}", role)


async def campaign(store: Store, status: str = "running", settings: str = '{"retry_count": 2}') -> str:
    return await store.pool.fetchval(
        "INSERT INTO campaigns (name, status, settings) VALUES ('c', $1, $2::jsonb) RETURNING id", status, settings)


async def lead(store: Store, campaign_id: str, status: str = "queued", phone: str = "+79990000001") -> int:
    return await store.pool.fetchval(
        "INSERT INTO autodialer_leads (campaign_id, phone, status) VALUES ($1, $2, $3) RETURNING id",
        campaign_id, phone, status)


async def lead_row(store: Store, lead_id: int) -> dict:
    return dict(await store.pool.fetchrow("SELECT * FROM autodialer_leads WHERE id = $1", lead_id))


async def attempt_row(store: Store, attempt_id: str) -> dict:
    return dict(await store.pool.fetchrow("SELECT * FROM dial_attempts WHERE attempt_id = $1", attempt_id))


# ---- LeadStore -------------------------------------------------------------------------------------------------
async def test_reserve_moves_lead_to_dialing_and_reserves_attempt(store):
    leads = StoreLeads(store)
    cid = await campaign(store)
    lid = await lead(store, cid)
    res = await leads.reserve(lid, "c_1", "44", "+79990000001", "8970100")
    assert res is not None
    assert (res.attempt_id, res.lead_id, res.campaign_id, res.phone, res.attempt_no) == \
        ("c_1", lid, cid, "+79990000001", 1)
    assert res.settings == {"retry_count": 2}
    row = await lead_row(store, lid)
    assert (row["status"], row["attempts"], row["last_attempt_id"]) == ("dialing", 1, "c_1")
    att = await attempt_row(store, "c_1")
    assert (att["state"], att["slot_id"], att["sim_key"], att["number"], att["attempt_no"]) == \
        ("reserved", "44", "8970100", "+79990000001", 1)


@pytest.mark.parametrize(("lead_status", "campaign_status"),
                         [("dialing", "running"), ("retry", "running"), ("done", "running"), ("queued", "paused"),
                          ("queued", "stopped")])
async def test_reserve_refuses_unless_queued_and_running(store, lead_status, campaign_status):
    leads = StoreLeads(store)
    lid = await lead(store, await campaign(store, campaign_status), lead_status)
    assert await leads.reserve(lid, "c_1", "44", "+79990000001", None) is None
    assert await store.pool.fetchval("SELECT count(*) FROM dial_attempts") == 0
    # a queued lead whose campaign is not running is parked as pending, for the next run to publish again
    assert (await lead_row(store, lid))["status"] == ("pending" if lead_status == "queued" else lead_status)


async def test_reserve_of_missing_lead_is_none(store):
    assert await StoreLeads(store).reserve(12345, "c_1", "44", "+79990000001", None) is None


async def test_reserve_race_exactly_one_wins(store):
    leads = StoreLeads(store)
    cid = await campaign(store)
    for round_no in range(10):
        lid = await lead(store, cid)
        results = await asyncio.gather(*(leads.reserve(lid, f"c_{round_no}_{i}", str(i), "+7999", None)
                                         for i in range(4)))
        winners = [r for r in results if r is not None]
        assert len(winners) == 1
        assert await store.pool.fetchval("SELECT count(*) FROM dial_attempts WHERE lead_id = $1", lid) == 1
        row = await lead_row(store, lid)
        assert (row["attempts"], row["last_attempt_id"]) == (1, winners[0].attempt_id)


async def test_reserve_many_one_statement_each_lead_once_and_parks_a_stopped_campaigns_lead(store):
    leads = StoreLeads(store)
    running, paused = await campaign(store), await campaign(store, status="paused")
    a, b, done = [await lead(store, running, phone=f"+7999000{i}") for i in range(3)]
    await store.pool.execute("UPDATE autodialer_leads SET status = 'done' WHERE id = $1", done)
    parked = await lead(store, paused)
    asks = [ReserveAsk(a, "c_a1", "1", "+79990000"), ReserveAsk(b, "c_b", "2", "+79990001", "iccid-2"),
            ReserveAsk(a, "c_a2", "3", "+79990000"), ReserveAsk(done, "c_d", "4", "+79990002"),
            ReserveAsk(parked, "c_p", "5", "+79990001")]
    won = await leads.reserve_many(asks)
    assert sorted(won) == ["c_a1", "c_b"]  # a lead asked for twice wins once, with its first ask
    assert (won["c_b"].lead_id, won["c_b"].campaign_id, won["c_b"].attempt_no) == (b, running, 1)
    assert (await attempt_row(store, "c_b"))["sim_key"] == "iccid-2"
    assert await store.pool.fetchval("SELECT count(*) FROM dial_attempts") == 2
    assert [(await lead_row(store, x))["status"] for x in (a, b, done, parked)] == \
        ["dialing", "dialing", "done", "pending"]
    assert await leads.reserve_many([]) == {}


async def test_concurrent_batches_with_overlapping_leads_neither_deadlock_nor_double_reserve(store):
    leads = StoreLeads(store)
    cid = await campaign(store)
    ids = [await lead(store, cid, phone=f"+79991{i:05d}") for i in range(40)]
    batches = [[ReserveAsk(lid, f"c_{n}_{lid}", str(n), "+7999") for lid in (ids if n % 2 else ids[::-1])]
               for n in range(4)]
    results = await asyncio.gather(*(leads.reserve_many(b) for b in batches))
    winners = [attempt for won in results for attempt in won]
    assert len(winners) == len(ids)
    assert await store.pool.fetchval("SELECT count(DISTINCT lead_id) FROM dial_attempts") == len(ids)


async def test_finish_attempt_final_and_retry_idempotent(store):
    leads = StoreLeads(store)
    lid = await lead(store, await campaign(store))
    await leads.reserve(lid, "c_1", "44", "+7999", None)
    due = time.time() + 600
    await leads.finish_attempt("c_1", "busy", answered=False, abandoned=False, operator_id=None, talk_s=None,
                               lead_status="retry", retry_at=due)
    row = await lead_row(store, lid)
    assert (row["status"], row["last_outcome"]) == ("retry", "busy")
    assert row["next_attempt_at"].timestamp() == pytest.approx(due, abs=1e-3)
    att = await attempt_row(store, "c_1")
    assert (att["state"], att["outcome"], att["answered"]) == ("final", "busy", False)
    assert att["ended_at"] is not None
    # the same outcome delivered again (a replayed event) changes nothing, even with other values
    await leads.finish_attempt("c_1", "answered", answered=True, abandoned=False, operator_id="op",
                               talk_s=3.0, lead_status="done", retry_at=None)
    assert (await lead_row(store, lid))["status"] == "retry"
    assert (await attempt_row(store, "c_1"))["outcome"] == "busy"


async def test_finish_attempt_does_not_touch_a_lead_on_a_later_attempt(store):
    leads = StoreLeads(store)
    lid = await lead(store, await campaign(store))
    await leads.reserve(lid, "c_1", "44", "+7999", None)
    await leads.mark_unknown(["c_1"])
    await store.pool.execute("UPDATE autodialer_leads SET status = 'queued' WHERE id = $1", lid)
    await leads.reserve(lid, "c_2", "44", "+7999", None)
    # c_1's late outcome is recorded on c_1 but does not move the lead, which is dialing c_2 now
    await leads.finish_attempt("c_1", "no_answer", answered=False, abandoned=False, operator_id=None, talk_s=None,
                               lead_status="failed", retry_at=None)
    assert (await attempt_row(store, "c_1"))["outcome"] == "no_answer"
    row = await lead_row(store, lid)
    assert (row["status"], row["attempts"], row["last_attempt_id"]) == ("dialing", 2, "c_2")


async def test_finish_attempt_answered_done(store):
    leads = StoreLeads(store)
    lid = await lead(store, await campaign(store))
    await leads.reserve(lid, "c_1", "44", "+7999", None)
    await leads.finish_attempt("c_1", "abandoned", answered=True, abandoned=True, operator_id=None, talk_s=0.5,
                               lead_status="done", retry_at=None)
    row = await lead_row(store, lid)
    assert (row["status"], row["final_reason"], row["next_attempt_at"]) == ("done", "abandoned", None)
    att = await attempt_row(store, "c_1")
    assert (att["answered"], att["abandoned"], att["talk_s"]) == (True, True, 0.5)


async def test_finish_attempt_refuses_bad_arguments(store):
    leads = StoreLeads(store)
    common = {"answered": False, "abandoned": False, "operator_id": None, "talk_s": None}
    with pytest.raises(ValueError):
        await leads.finish_attempt("c_1", "busy", **common, lead_status="retry", retry_at=None)
    with pytest.raises(ValueError):
        await leads.finish_attempt("c_1", "busy", **common, lead_status="queued", retry_at=None)
    with pytest.raises(ValueError):
        await leads.finish_attempt("c_1", "abandoned", answered=False, abandoned=True, operator_id=None,
                                   talk_s=None, lead_status="done", retry_at=None)


async def test_finish_attempts_stores_a_batch_in_one_statement_all_or_none(store):
    leads = StoreLeads(store)
    cid = await campaign(store)
    lids = [await lead(store, cid, phone=f"+7999000{i}") for i in range(3)]
    for i, lid in enumerate(lids):
        await leads.reserve(lid, f"c_{i}", str(i), f"+7999000{i}", None)
    due = time.time() + 60
    bad = AttemptEnd("c_2", "busy", answered=False, abandoned=False, operator_id=None, talk_s=None,
                     lead_status="queued")
    good = [AttemptEnd("c_0", "answered", answered=True, abandoned=False, operator_id="op1", talk_s=4.5,
                       lead_status="done"),
            AttemptEnd("c_1", "busy", answered=False, abandoned=False, operator_id=None, talk_s=None,
                       lead_status="retry", retry_at=due)]
    with pytest.raises(ValueError):
        await leads.finish_attempts([*good, bad])
    assert {r["state"] for r in [await attempt_row(store, f"c_{i}") for i in range(3)]} == {"reserved"}
    await leads.finish_attempts(good)
    await leads.finish_attempts([AttemptEnd("c_0", "busy", answered=False, abandoned=False, operator_id=None,
                                            talk_s=None, lead_status="failed")])  # already final: unchanged
    rows = [await lead_row(store, lid) for lid in lids]
    assert [(r["status"], r["last_outcome"]) for r in rows] == [("done", "answered"), ("retry", "busy"),
                                                              ("dialing", None)]
    assert rows[1]["next_attempt_at"].timestamp() == pytest.approx(due, abs=1e-3)
    first = await attempt_row(store, "c_0")
    assert (first["outcome"], first["operator_id"], first["talk_s"]) == ("answered", "op1", 4.5)
    await leads.finish_attempts([])


async def test_defer_and_finish_lead(store):
    leads = StoreLeads(store)
    cid = await campaign(store)
    lid, other = await lead(store, cid), await lead(store, cid, phone="+7888")
    await leads.defer(lid, time.time() + 60, "window")
    row = await lead_row(store, lid)
    assert (row["status"], row["defer_reason"]) == ("retry", "window")
    await leads.finish_lead(other, "dnc", "dnc_list")
    await leads.defer(other, time.time() + 60, "busy")  # a final lead stays final
    await leads.finish_lead(other, "failed", "invalid_number")
    row = await lead_row(store, other)
    assert (row["status"], row["final_reason"]) == ("dnc", "dnc_list")
    with pytest.raises(ValueError):
        await leads.finish_lead(lid, "queued", "x")


async def test_a_duplicate_message_refused_by_the_gate_leaves_a_dialing_lead_alone(store):
    """Two messages for one lead (a republish after a restart): the first reserves and dials; the gate refuses
    the second (the number is busy with the first call). The lead must stay with its live attempt, or a
    retry would dial an answered lead again."""
    leads = StoreLeads(store)
    lid = await lead(store, await campaign(store))
    await leads.reserve(lid, "c_1", "44", "+7999", None)
    await leads.defer(lid, time.time() - 1, "number_busy")
    await leads.finish_lead(lid, "dnc", "dnc_list")
    assert (await lead_row(store, lid))["status"] == "dialing"
    assert await leads.claim_due(time.time(), 10) == []
    await leads.finish_attempt("c_1", "answered", answered=True, abandoned=False, operator_id=None, talk_s=9.0,
                               lead_status="done", retry_at=None)
    assert (await lead_row(store, lid))["status"] == "done"


async def test_claim_due_and_next_due(store):
    leads = StoreLeads(store)
    cid, paused = await campaign(store), await campaign(store, "paused")
    now = time.time()
    assert await leads.next_due() is None
    ids = [await lead(store, cid) for _ in range(3)]
    paused_lead = await lead(store, paused)
    await leads.defer(paused_lead, now - 100, "window")
    for i, lid in enumerate(ids):
        await leads.defer(lid, now - 10 + i * 10, "window")  # due: -10, 0, +10
    assert await leads.next_due() == pytest.approx(now - 10, abs=1e-3)
    assert await leads.claim_due(now, 10) == [(ids[0], cid), (ids[1], cid)]
    assert await leads.claim_due(now, 10) == []
    assert await leads.next_due() == pytest.approx(now + 10, abs=1e-3)
    assert (await lead_row(store, ids[0]))["status"] == "queued"
    assert (await lead_row(store, paused_lead))["status"] == "retry"


async def test_claim_due_concurrent_never_twice(store):
    leads = StoreLeads(store)
    cid = await campaign(store)
    now = time.time()
    await store.pool.execute(
        "INSERT INTO autodialer_leads (campaign_id, phone, status, next_attempt_at) "
        "SELECT $1, '+7' || g, 'retry', to_timestamp($2) FROM generate_series(1, 300) g", cid, now - 1)
    batches = await asyncio.gather(*(leads.claim_due(now, 40) for _ in range(12)))
    claimed = [lid for batch in batches for lid, _ in batch]
    assert len(claimed) == len(set(claimed)) == 300
    assert await store.pool.fetchval("SELECT count(*) FROM autodialer_leads WHERE status = 'queued'") == 300


async def test_open_attempts_and_mark_unknown(store):
    leads = StoreLeads(store)
    cid = await campaign(store)
    a, b = await lead(store, cid), await lead(store, cid, phone="+7888")
    await leads.reserve(a, "c_1", "44", "+79990000001", "iccid1")
    await leads.reserve(b, "c_2", "45", "+7888", None)
    await leads.finish_attempt("c_2", "busy", answered=False, abandoned=False, operator_id=None, talk_s=None,
                               lead_status="failed", retry_at=None)
    open_ = await leads.open_attempts()
    assert [(o["attempt_id"], o["lead_id"], o["campaign_id"], o["slot_id"], o["number"]) for o in open_] == \
        [("c_1", a, cid, "44", "+79990000001")]
    assert isinstance(open_[0]["reserved_at"], float)
    await leads.mark_unknown(["c_1", "c_2"])
    assert await leads.open_attempts() == []
    assert (await attempt_row(store, "c_1"))["state"] == "unknown"
    assert (await attempt_row(store, "c_2"))["state"] == "final"  # a final attempt is never written off
    assert (await lead_row(store, a))["status"] == "unknown"
    assert (await lead_row(store, b))["status"] == "failed"


async def test_reserve_with_duplicate_attempt_id_is_refused(store):
    leads = StoreLeads(store)
    cid = await campaign(store)
    a, b = await lead(store, cid), await lead(store, cid, phone="+7888")
    await leads.reserve(a, "c_1", "44", "+7999", None)
    with pytest.raises(ValueError, match="CONFLICT"):
        await leads.reserve(b, "c_1", "44", "+7888", None)
    assert (await lead_row(store, b))["status"] == "queued"  # the statement rolled back as a whole


# ---- leads: import, publishing, admin ------------------------------------------------------------------------
async def test_add_leads_ten_thousand_in_one_call(store):
    leads = StoreLeads(store)
    cid = await campaign(store, "draft")
    batch = [{"phone": f"+7999{i:07d}", "name": f"n{i}", "data": {"i": i}, "tz": "Europe/Moscow" if i % 2 else None,
              "phone_e164": f"+7999{i:07d}"} for i in range(10_000)]
    ids = await leads.add_leads(cid, batch)
    assert len(ids) == len(set(ids)) == 10_000
    rows = await store.pool.fetch("SELECT id, phone, name, payload::text, tz, phone_e164, status "
                                  "FROM autodialer_leads WHERE id = ANY($1) ORDER BY id", [ids[0], ids[1], ids[-1]])
    by_id = {r["id"]: r for r in rows}
    assert tuple(by_id[ids[0]]) == (ids[0], "+79990000000", "n0", '{"i": 0}', None, "+79990000000", "pending")
    assert by_id[ids[1]]["tz"] == "Europe/Moscow"
    assert by_id[ids[-1]]["name"] == "n9999"
    # ids keep counting after an import (the sequence was advanced, not bypassed)
    assert await lead(store, cid) > max(ids)


async def test_add_leads_refusals(store):
    leads = StoreLeads(store)
    with pytest.raises(LookupError):
        await leads.add_leads("cmp_missing", [{"phone": "+7999"}])
    cid = await campaign(store, "draft")
    with pytest.raises(ValueError):
        await leads.add_leads(cid, [{"phone": "+7999"}, {"name": "no phone"}])
    assert await leads.add_leads(cid, []) == []
    assert (await leads.add_leads(cid, [{"number": "+7888", "name": "seed shape 2"}]))
    assert await store.pool.fetchval("SELECT count(*) FROM autodialer_leads") == 1


async def test_take_pending_return_and_queued_for(store):
    leads = StoreLeads(store)
    cid = await campaign(store)
    ids = await leads.add_leads(cid, [{"phone": f"+7{i}", "data": {"k": i}} for i in range(5)])
    taken = await leads.take_pending(cid, 3)
    assert [t["id"] for t in taken] == ids[:3]
    assert taken[0]["status"] == "queued" and taken[0]["data"] == {"k": 0} and taken[0]["phone"] == "+70"
    assert [t["id"] for t in await leads.take_pending(cid, 10)] == ids[3:]
    assert await leads.take_pending(cid, 10) == []
    assert [q["id"] for q in await leads.queued_for(cid, 2, after_id=ids[0])] == ids[1:3]
    assert await leads.return_to_pending(ids[:2]) == 2
    assert [t["id"] for t in await leads.take_pending(cid, 10)] == ids[:2]


async def test_take_pending_concurrent_never_twice(store):
    leads = StoreLeads(store)
    cid = await campaign(store)
    await leads.add_leads(cid, [{"phone": f"+7{i}"} for i in range(500)])
    batches = await asyncio.gather(*(leads.take_pending(cid, 60) for _ in range(10)))
    taken = [t["id"] for batch in batches for t in batch]
    assert len(taken) == len(set(taken)) == 500


async def test_list_get_requeue_cancel(store):
    leads = StoreLeads(store)
    cid, other = await campaign(store), await campaign(store)
    ids = await leads.add_leads(cid, [{"phone": f"+7{i}", "phone_e164": f"+70{i}"} for i in range(4)])
    await leads.add_leads(other, [{"phone": "+7x"}])
    rows, total = await leads.list_leads(2, 1, {"campaign_id": cid})
    assert total == 4 and [r["id"] for r in rows] == ids[1:3]
    rows, total = await leads.list_leads(10, 0, {"phone": "+701"})
    assert total == 1 and rows[0]["id"] == ids[1]
    rows, total = await leads.list_leads(10, 0, {"status": "pending", "campaign_id": None})
    assert total == 5
    with pytest.raises(ValueError):
        await leads.list_leads(10, 0, {"colour": "red"})
    assert (await leads.get_lead(ids[0]))["phone_e164"] == "+700"
    assert await leads.get_lead(10**9) is None
    # requeue: only unknown leads
    await leads.take_pending(cid, 1)
    await leads.reserve(ids[0], "c_1", "44", "+700", None)
    with pytest.raises(ValueError, match="LEAD_NOT_UNKNOWN"):
        await leads.requeue_unknown(ids[0])
    await leads.mark_unknown(["c_1"])
    assert (await leads.requeue_unknown(ids[0]))["status"] == "queued"
    with pytest.raises(LookupError):
        await leads.requeue_unknown(10**9)
    await leads.defer(ids[1], time.time(), "window")
    assert await leads.cancel_open(cid) == 4  # queued, retry and two pending
    assert (await leads.list_leads(10, 0, {"campaign_id": cid, "status": "cancelled"}))[1] == 4
    assert (await leads.list_leads(10, 0, {"campaign_id": other, "status": "pending"}))[1] == 1


# ---- the gate's rebuild ----------------------------------------------------------------------------------------
async def test_attempts_since_and_lifetime(store):
    leads = StoreLeads(store)
    cid = await campaign(store)
    ids = await leads.add_leads(cid, [{"phone": "+71"}, {"phone": "+72"}, {"phone": "+73"}])
    await leads.take_pending(cid, 10)
    for n, lid in enumerate(ids):
        await leads.reserve(lid, f"c_{n}", str(n), "+71" if n < 2 else "+73", f"sim{n % 2}")
    await store.pool.execute("UPDATE dial_attempts SET reserved_at = now() - interval '2 days' "
                             "WHERE attempt_id = 'c_0'")
    await leads.finish_attempt("c_1", "answered", answered=True, abandoned=False, operator_id=None, talk_s=42.5,
                               lead_status="done", retry_at=None)
    recent = await leads.attempts_since(time.time() - 86400)
    assert [(r["number"], r["sim_key"], r["slot_id"], r["outcome"], r["talk_s"]) for r in recent] == \
        [("+71", "sim1", "1", "answered", 42.5), ("+73", "sim0", "2", None, None)]
    assert all(isinstance(r["reserved_at"], float) for r in recent)
    assert len(await leads.attempts_since(0)) == 3
    assert await leads.lifetime_attempts(["+71", "+72"]) == {"+71": 2}
    assert await leads.lifetime_attempts() == {"+71": 2, "+73": 1}


# ---- campaigns ---------------------------------------------------------------------------------------------------
async def test_campaign_create_get_list_set_status(store):
    campaigns = StoreCampaigns(store)
    user = await add_user(store, "mgr", "pw", role="manager")
    row = await campaigns.create("spring", {"dial_mode": "predictive", "max_abandon": 0.03}, "mf", user)
    assert (row["name"], row["status"], row["slot_type"], row["created_by"]) == ("spring", "draft", "MF", user)
    assert row["settings"] == {"dial_mode": "predictive", "max_abandon": 0.03}
    assert (await campaigns.get(row["id"]))["settings"]["dial_mode"] == "predictive"
    assert await campaigns.get("cmp_missing") is None
    second = await campaigns.create("summer", {})
    running = await campaigns.set_status(second["id"], "running")
    assert running["started_at"] is not None and running["stopped_at"] is None
    rows, total = await campaigns.list(10, 0)
    assert total == 2 and {r["id"] for r in rows} == {row["id"], second["id"]}
    rows, total = await campaigns.list(10, 0, status="running")
    assert total == 1 and rows[0]["id"] == second["id"]
    assert await campaigns.set_status(second["id"], "completed", only_from=["paused"]) is None
    stopped = await campaigns.set_status(second["id"], "stopped", only_from=["running", "paused"])
    assert stopped["stopped_at"] is not None and stopped["started_at"] == running["started_at"]
    again = await campaigns.set_status(second["id"], "running")
    assert again["started_at"] == running["started_at"] and again["stopped_at"] is None
    with pytest.raises(LookupError):
        await campaigns.set_status("cmp_missing", "running")
    with pytest.raises(ValueError):
        await campaigns.set_status(second["id"], "exploded")
    with pytest.raises(ValueError):
        await campaigns.create("bad", {}, "VOIP")


async def test_status_counts_add_up(store):
    campaigns, leads, dead = StoreCampaigns(store), StoreLeads(store), StoreDeadLetters(store)
    cid = (await campaigns.create("c", {}))["id"]
    assert (await campaigns.status_counts(cid))["abandon_rate"] == 0.0
    await campaigns.set_status(cid, "running")
    ids = await leads.add_leads(cid, [{"phone": f"+7{i}"} for i in range(10)])
    await leads.take_pending(cid, 8)
    outcomes = [("answered", True, False, "done"), ("abandoned", True, True, "done"), ("busy", False, False, "retry"),
                ("no_answer", False, False, "failed"), ("answered", True, False, "done")]
    for n, (outcome, answered, abandoned, status) in enumerate(outcomes):
        await leads.reserve(ids[n], f"c_{n}", "1", f"+7{n}", None)
        await leads.finish_attempt(f"c_{n}", outcome, answered=answered, abandoned=abandoned, operator_id=None,
                                   talk_s=1.0, lead_status=status, retry_at=time.time() + 60)
    await leads.reserve(ids[5], "c_5", "1", "+75", None)
    await leads.mark_unknown(["c_5"])
    await leads.reserve(ids[6], "c_6", "1", "+76", None)  # still dialing
    await dead.add("vss.autodial.leads", "expired", "m7", ids[7], b"{}", {})
    await leads.finish_lead(ids[8], "dnc", "dnc_list")  # a pending lead refused by the gate
    counts = await campaigns.status_counts(cid)
    assert counts["statuses"] == dict.fromkeys(LEAD_STATUSES, 0) | {
        "done": 3, "retry": 1, "failed": 1, "unknown": 1, "dialing": 1, "expired": 1, "dnc": 1, "pending": 1}
    assert (counts["leads_total"], counts["pending"]) == (10, 3)
    assert sum(counts["statuses"].values()) == counts["leads_total"]
    assert (counts["attempts"], counts["answered"], counts["abandoned"], counts["unknown"]) == (7, 3, 1, 1)
    assert counts["abandon_rate"] == pytest.approx(1 / 3)
    assert counts["dead_lettered"] == 1


async def test_ledger_agrees_with_a_naive_recount_over_many_periods(store):
    """300 attempts at random instants over ~130 days (seeded), answered/abandoned at random: every period of the
    store's ledger (successive 30 days from the first attempt up to now, empty ones included) holds what a
    recount by hand finds, and the total is every attempt."""
    rng = random.Random(20261123)
    campaigns, leads = StoreCampaigns(store), StoreLeads(store)
    cid = (await campaigns.create("c", {}))["id"]
    await campaigns.set_status(cid, "running")
    ids = await leads.add_leads(cid, [{"phone": f"+7{i}"} for i in range(300)])
    await leads.take_pending(cid, 300)
    now = float(await store.pool.fetchval("SELECT extract(epoch FROM now())::float8"))
    plan = []
    for n, lead in enumerate(ids):
        ago_s, answered = rng.uniform(0, 130 * 86400), rng.random() < 0.4
        abandoned = answered and rng.random() < 0.1
        plan.append((now - ago_s, answered, abandoned))
        await leads.reserve(lead, f"c_{n}", "1", f"+7{n}", None)
        await leads.finish_attempt(f"c_{n}", "x", answered=answered, abandoned=abandoned, operator_id=None,
                                   talk_s=None, lead_status="done", retry_at=None)
    await store.pool.execute("UPDATE dial_attempts a SET reserved_at = to_timestamp(p.t) FROM "
                             "unnest($1::text[], $2::float8[]) AS p(id, t) WHERE a.attempt_id = p.id",
                             [f"c_{n}" for n in range(len(plan))], [t for t, _, _ in plan])
    period_s, t0 = 30 * 86400, min(t for t, _, _ in plan)
    naive = [[0, 0, 0] for _ in range(int((now - t0) // period_s) + 1)]
    for t, answered, abandoned in plan:
        row = naive[int((t - t0) // period_s)]
        row[0], row[1], row[2] = row[0] + 1, row[1] + answered, row[2] + abandoned
    ledger = await campaigns.ledger(cid, 30, now)
    assert [[p["attempts"], p["answered"], p["abandoned"]] for p in ledger] == naive
    assert [p["abandon_rate"] for p in ledger] == [ab / an if an else 0.0 for _, an, ab in naive]
    assert ledger[0]["period_start"].timestamp() == pytest.approx(t0, abs=1e-3)
    assert sum(p["attempts"] for p in ledger) == 300


async def test_ledger_successive_periods(store):
    campaigns, leads = StoreCampaigns(store), StoreLeads(store)
    cid = (await campaigns.create("c", {}))["id"]
    await campaigns.set_status(cid, "running")
    assert await campaigns.ledger(cid) == []
    ids = await leads.add_leads(cid, [{"phone": f"+7{i}"} for i in range(4)])
    await leads.take_pending(cid, 4)
    plan = [(-65, True, False), (-40, True, True), (-34, True, False), (-1, False, False)]  # days from now
    for n, (days, answered, abandoned) in enumerate(plan):
        await leads.reserve(ids[n], f"c_{n}", "1", f"+7{n}", None)
        await leads.finish_attempt(f"c_{n}", "x", answered=answered, abandoned=abandoned, operator_id=None,
                                   talk_s=None, lead_status="done", retry_at=None)
        await store.pool.execute("UPDATE dial_attempts SET reserved_at = now() + make_interval(days => $2) "
                                 "WHERE attempt_id = $1", f"c_{n}", days)
    ledger = await campaigns.ledger(cid, 30, time.time())
    assert [(p["attempts"], p["answered"], p["abandoned"]) for p in ledger] == [(2, 2, 1), (1, 1, 0), (1, 0, 0)]
    assert [p["abandon_rate"] for p in ledger] == [0.5, 0.0, 0.0]
    assert ledger[1]["period_start"] == ledger[0]["period_end"]
    assert ledger[1]["period_end"] - ledger[1]["period_start"] == timedelta(days=30)
    assert sum(p["attempts"] for p in ledger) == (await campaigns.status_counts(cid))["attempts"]
    with pytest.raises(ValueError):
        await campaigns.ledger(cid, 0)


# ---- DNC -------------------------------------------------------------------------------------------------------
async def test_dnc(store):
    dnc = StoreDnc(store)
    user = await add_user(store, "adm2", "pw", role="admin")
    row = await dnc.add("+79990000001", "manual", "asked", user)
    assert (row["number_e164"], row["source"], row["reason"], row["created_by"]) == \
        ("+79990000001", "manual", "asked", user)
    assert (await dnc.add("+79990000001", "import"))["source"] == "manual"  # the first entry stays
    assert await dnc.add_many(["+71", "+72", "+71", "+79990000001"]) == 2
    assert await dnc.contains("+72") and not await dnc.contains("+73")
    assert await dnc.all_numbers() == {"+79990000001", "+71", "+72"}
    rows, total = await dnc.list(2, 0)
    assert total == 3 and len(rows) == 2
    assert await dnc.remove("+72") and not await dnc.remove("+72")
    with pytest.raises(ValueError):
        await dnc.add("+74", "rumour")


# ---- dead letters ------------------------------------------------------------------------------------------------
async def test_dead_letters(store):
    dead, leads = StoreDeadLetters(store), StoreLeads(store)
    cid = await campaign(store)
    queued, dialing = await lead(store, cid), await lead(store, cid, phone="+7888")
    await leads.reserve(dialing, "c_1", "1", "+7888", None)
    first = await dead.add("vss.autodial.leads", "expired", "m1", queued, b'{"lead_id": 1}',
                           {"x-death": [{"reason": "expired", "count": 1}], "raw": b"\xff\x00"})
    assert first is not None
    assert await dead.add("vss.autodial.leads", "expired", "m1", queued, b"", {}) is None  # redelivered
    assert (await lead_row(store, queued))["status"] == "expired"
    await dead.add("vss.autodial.leads", "expired", "m2", dialing, b"", {})
    assert (await lead_row(store, dialing))["status"] == "dialing"  # only a queued lead expires
    await dead.add("vss.autodial.leads", "poison:bad json", None, None, b"\x00not json", None)
    rows, total = await dead.list(10, 0)
    assert total == 3 and rows[-1]["id"] == first
    assert rows[-1]["headers"]["x-death"][0]["reason"] == "expired" and rows[-1]["campaign_id"] == cid
    assert rows[-1]["headers"]["raw"] == "\ufffd\ufffd"
    assert rows[0]["body"] == "\ufffdnot json" and rows[0]["reason"] == "poison:bad json"
    assert (await dead.list(10, 0, reason="expired"))[1] == 2
    assert (await dead.list(10, 0, campaign_id=cid, reason="expired"))[1] == 2
    assert (await dead.list(10, 0, campaign_id="cmp_other"))[1] == 0


# ---- operators and dispositions ----------------------------------------------------------------------------------
async def test_operators(store):
    ops, leads = StoreOperators(store), StoreLeads(store)
    u1 = await add_user(store, "ivan", "pw", name="Иван Петров")
    u2 = await add_user(store, "olga", "pw")
    op1 = await ops.upsert(u1, "1001", group_id="g1", skills=["ru"])
    assert (op1["user_id"], op1["name"], op1["extension"], op1["status"], op1["skills"], op1["calls_today"]) == \
        (u1, "Иван Петров", "1001", "offline", ["ru"], 0)
    op2 = await ops.upsert(u2, "1002", max_concurrent_calls=2)
    assert op2["name"] == "olga" and op2["max_concurrent_calls"] == 2
    same = await ops.upsert(u1, group_id="g2")  # None leaves the rest as it was
    assert (same["id"], same["extension"], same["group_id"], same["skills"]) == (op1["id"], "1001", "g2", ["ru"])
    with pytest.raises(ValueError, match="CONFLICT"):
        await ops.upsert(u2, "1001")
    with pytest.raises(LookupError):
        await ops.upsert("00000000-0000-0000-0000-000000000000", "1003")
    online = await ops.set_status(op1["id"], "online")
    assert online["status"] == "online" and online["last_activity"] is not None
    with pytest.raises(LookupError):
        await ops.set_status("not-a-uuid", "online")
    with pytest.raises(ValueError):
        await ops.set_status(op1["id"], "asleep")
    assert [o["id"] for o in await ops.list(status="online")] == [op1["id"]]
    assert [o["id"] for o in await ops.list(group_id="g2")] == [op1["id"]]
    assert [o["extension"] for o in await ops.list()] == ["1001", "1002"]
    assert (await ops.by_user(u2))["id"] == op2["id"] and await ops.get("nope") is None
    lid = await lead(store, await campaign(store))
    await leads.reserve(lid, "c_1", "1", "+7999", None)
    await leads.finish_attempt("c_1", "answered", answered=True, abandoned=False, operator_id=u1,
                               talk_s=30.0, lead_status="done", retry_at=None)  # attempts name the user id
    assert (await ops.get(op1["id"]))["calls_today"] == 1 and (await ops.get(op2["id"]))["calls_today"] == 0


async def test_operator_stats_count_the_period_only(store):
    """Calls handled (answered, bridged to the operator, not abandoned) and talk time by when the attempt was
    reserved; dispositions by when they were made; [since, until) bounds; other operators' rows left out."""
    ops, leads = StoreOperators(store), StoreLeads(store)
    u1, u2 = await add_user(store, "ivan", "pw"), await add_user(store, "olga", "pw")
    op1, _ = await ops.upsert(u1, "1001"), await ops.upsert(u2, "1002")
    cid = await campaign(store)
    plan = [(u1, True, False, 30.0, 1), (u1, True, False, 50.0, 1), (u1, True, False, 70.0, 30),
            (u2, True, False, 40.0, 1), (u1, False, False, None, 1), (None, True, True, 5.0, 1)]
    for n, (user, answered, abandoned, talk, hours_ago) in enumerate(plan):
        lid = await lead(store, cid, phone=f"+7999{n}")
        await leads.reserve(lid, f"c_{n}", "1", f"+7999{n}", None)
        await leads.finish_attempt(f"c_{n}", "x", answered=answered, abandoned=abandoned, operator_id=user,
                                   talk_s=talk, lead_status="done", retry_at=None)
        await store.pool.execute("UPDATE dial_attempts SET reserved_at = now() - make_interval(hours => $2) "
                                 "WHERE attempt_id = $1", f"c_{n}", hours_ago)
    for code in ("sale", "callback", "sale"):
        await ops.add_disposition("c_0", None, op1["id"], code)
    await ops.add_disposition("c_3", None, (await ops.by_user(u2))["id"], "dnc")
    now = datetime.now(UTC)
    day = await ops.stats(u1, now - timedelta(hours=24), now + timedelta(seconds=1))
    assert day == {"calls_handled": 2, "talk_s": 80.0, "dispositions": {"sale": 2, "callback": 1}}
    month = await ops.stats(u1, now - timedelta(days=30), now + timedelta(seconds=1))
    assert (month["calls_handled"], month["talk_s"]) == (3, 150.0)
    assert await ops.stats(u1, now - timedelta(hours=48), now - timedelta(hours=24)) == \
        {"calls_handled": 1, "talk_s": 70.0, "dispositions": {}}  # the one 30 h ago; dispositions are of now
    assert await ops.stats(u1, now - timedelta(hours=29), now - timedelta(hours=2)) == \
        {"calls_handled": 0, "talk_s": 0.0, "dispositions": {}}
    assert (await ops.stats(u2, now - timedelta(hours=24), now + timedelta(seconds=1)))["dispositions"] == {"dnc": 1}


async def test_dispositions_dnc_adds_number_atomically(store):
    ops, leads, dnc = StoreOperators(store), StoreLeads(store), StoreDnc(store)
    user = await add_user(store, "ivan", "pw")
    op = await ops.upsert(user, "1001")
    cid = await campaign(store)
    lid = await lead(store, cid, phone="8 999 000-00-01")
    await leads.reserve(lid, "c_1", "1", "+79990000001", None)
    sale = await ops.add_disposition("c_1", lid, op["id"], "sale", "bought two")
    assert (sale["code"], sale["notes"]) == ("sale", "bought two")
    assert not await dnc.contains("+79990000001")
    await ops.add_disposition("c_1", lid, op["id"], "dnc")
    entry = (await dnc.list())[0][0]
    assert (entry["number_e164"], entry["source"], entry["created_by"]) == ("+79990000001", "disposition", user)
    other = await lead(store, cid, phone="+7888")
    await store.pool.execute("UPDATE autodialer_leads SET phone_e164 = '+7888' WHERE id = $1", other)
    await ops.add_disposition(None, other, None, "dnc")  # no attempt: the lead's E.164 number
    assert await dnc.contains("+7888")
    with pytest.raises(ValueError, match="DNC_NO_NUMBER"):
        await ops.add_disposition(None, None, op["id"], "dnc")
    assert len(await ops.dispositions(attempt_id="c_1")) == 2  # the refused one rolled back with its number
    assert len(await ops.dispositions(lead_id=other)) == 1


# ---- migration over existing data ------------------------------------------------------------------------------
async def test_0002_applies_over_0001_with_leads():
    migrations = load_migrations(migrations_dir())
    async with scratch_database() as dsn:
        conn = await asyncpg.connect(dsn)
        try:
            assert await apply_migrations(conn, migrations[:1]) == [1]
            cid = await conn.fetchval("INSERT INTO campaigns (name, status) VALUES ('old', 'running') RETURNING id")
            await conn.execute(
                "INSERT INTO autodialer_leads (campaign_id, phone, status, payload) VALUES "
                "($1, '+71', 'pending', '{\"a\": 1}'), ($1, '+72', 'held', '{}'), ($1, '+73', 'done', '{}')", cid)
            assert await apply_migrations(conn, migrations) == [m.version for m in migrations[1:]]
            rows = await conn.fetch("SELECT phone, status, payload::text, phone_e164 FROM autodialer_leads "
                                    "ORDER BY phone")
            assert [tuple(r) for r in rows] == [("+71", "pending", '{"a": 1}', None), ("+72", "pending", "{}", None),
                                                ("+73", "done", "{}", None)]
            with pytest.raises(asyncpg.CheckViolationError):
                await conn.execute("UPDATE autodialer_leads SET status = 'held'")
            await conn.execute("UPDATE autodialer_leads SET status = 'unknown' WHERE phone = '+73'")
        finally:
            await conn.close()


async def test_the_dialers_campaigns_port(store):
    """What the dialer's `Campaigns` port (vssd/actors/dialer_ports.py) and the app ask of StoreLeads."""
    leads, campaigns, ops = StoreLeads(store), StoreCampaigns(store), StoreOperators(store)
    running = await campaigns.create("r", {"mode": "progressive"})
    await campaigns.set_status(running["id"], "running")
    await campaigns.create("draft", {})
    assert [(c["id"], c["settings"]) for c in await leads.running_campaigns()] == \
        [(running["id"], {"mode": "progressive"})]
    assert (await leads.get_campaign(running["id"]))["status"] == "running"
    ids = await leads.add_leads(running["id"], [{"phone": "+71", "tz": "Asia/Tokyo"}, {"phone": "+72"}])
    await leads.take_pending(running["id"], 10)
    await leads.unqueue([ids[0]])
    assert [r["status"] for r in await leads.lead_rows([ids[1], ids[0], 10**9])] == ["pending", "queued"]
    assert (await leads.lead_rows([ids[0]]))[0]["tz"] == "Asia/Tokyo"
    letter = DeadLetter("expired", "vss.autodial.leads", b'{"lead_id": 2}', "m9", {"x-death": []})
    await leads.add_dead_letter(letter, ids[1])
    assert (await leads.get_lead(ids[1]))["status"] == "expired"
    await ops.upsert(await add_user(store, "ivan", "pw"), "1001")
    await ops.upsert(await add_user(store, "nolines", "pw"))
    assert [o["extension"] for o in await leads.operator_rows()] == ["1001"]


async def test_reservation_batcher_groups_concurrent_asks_into_few_statements(store):
    """The dialer's group commit over the real store: 60 dispatches asking at once share a couple of statements,
    each gets its own reservation (or None for a lead that is not queued); a failed statement fails every ask
    of its batch (the callers withdraw)."""
    leads = StoreLeads(store)
    cid = await campaign(store)
    ids = [await lead(store, cid, phone=f"+79992{i:05d}") for i in range(60)]
    await store.pool.execute("UPDATE autodialer_leads SET status = 'done' WHERE id = $1", ids[7])
    tasks = TaskSet("test")
    batcher = ReservationBatcher(leads, tasks)
    got = await asyncio.gather(*(batcher.reserve(ReserveAsk(lid, f"c_{lid}", "1", "+7999")) for lid in ids))
    assert batcher.batches <= 2
    assert [r.lead_id if r else None for r in got] == [None if lid == ids[7] else lid for lid in ids]
    await store.pool.close()
    outcomes = await asyncio.gather(*(batcher.reserve(ReserveAsk(lid, f"c2_{lid}", "1", "+7999")) for lid in ids[:3]),
                                    return_exceptions=True)
    assert all(isinstance(o, Exception) for o in outcomes), outcomes
    assert batcher.pending() == 0
    await tasks.cancel_all()
