"""BatchWriter: COPY batches, CDR merging, validation, outages (terminated backend, blocked database),
spill to disk and replay, close() flushing — all against the real PostgreSQL on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import socket
from datetime import UTC, datetime

import asyncpg
import pytest

from tests.store.conftest import fast_writer, transition
from vssd.adapters.store import Store, StoreAuthFailed, StoreError, StoreNotReady


async def until(predicate, what: str, limit_s: float = 20.0) -> None:
    """Poll a condition (bounded, so a broken writer fails the test instead of hanging it)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit_s
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"never happened: {what}")
        await asyncio.sleep(0.01)


async def block_database(admin: asyncpg.Connection, dsn: str, application: str = "vssd-writer") -> None:
    """An outage for this database only: refuse new connections and kill the writer's backend."""
    name = dsn.rsplit("/", 1)[1]
    await admin.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS false")
    await admin.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = $2",
        name, application,
    )


async def unblock_database(admin: asyncpg.Connection, dsn: str) -> None:
    await admin.execute(f"ALTER DATABASE {dsn.rsplit('/', 1)[1]} ALLOW_CONNECTIONS true")


async def test_rows_are_batched_with_copy_not_inserted_one_by_one(store):
    slot = await store.upsert_slot(internal_sip_number="6001", type="AUTO")
    for n in range(1000):
        store.writer.submit_transition(transition(slot, n))
    for n in range(10):
        store.writer.submit_call(f"act-{n}", slot_id=slot, number=f"+7999000{n:04d}", originated_at=1.7e9 + n)
    await store.writer.flush()
    stats = store.writer.stats
    assert await store.count_transitions(slot) == 1000
    assert await store.count_calls(slot_id=slot) == 10
    assert stats.rows_written == 1010
    # 1010 rows took a handful of COPY commands (one per table per batch), not 1010 statements.
    assert stats.copy_calls <= 2 * stats.batches and stats.batches <= 1010 // 200 + 1
    causes = [t["cause"] for t in await store.list_transitions(slot, limit=2000)]
    assert causes == [f"seq={n}" for n in range(1000)]


async def test_interval_flush_without_explicit_flush(store):
    store.writer.submit_transition(transition(7, 0))  # one row, far below batch_rows
    await until(lambda: store.writer.backlog == 0, "the interval flush")
    assert await store.count_transitions(7) == 1
    assert store.writer.ready


async def test_call_record_is_created_then_completed(store):
    w = store.writer
    w.submit_call("A1", call_id="c_1", slot_id=3, number="+79991234567", originated_at=1_700_000_000.0)
    w.submit_leg("A1", "1700000000.1", channel="PJSIP/6001-00000001", role="slot", created_at=1_700_000_000.0)
    await w.flush()
    row = await store.get_call(call_id="c_1")
    assert (row["status"], row["direction"], row["outcome"]) == ("CALLING", "outbound", None)
    w.submit_call("A1", status="ACTIVE_CALL", answered_at=1_700_000_004.0, answer_evidence="DialEnd ANSWER")
    w.submit_call("A1", status="ENDED", outcome="answered", hangup_cause=16, ended_at=1_700_000_034.0,
                  ring_s=4.0, talk_s=30.0)
    w.submit_leg("A1", "1700000000.1", ended_at=1_700_000_034.0, cause=16)
    await w.flush()
    row = await store.get_call(attempt_id="A1")
    assert row["number"] == "+79991234567" and row["call_id"] == "c_1"
    assert (row["status"], row["outcome"], row["hangup_cause"]) == ("ENDED", "answered", 16)
    assert row["answered_at"] == datetime.fromtimestamp(1_700_000_004, UTC)
    assert (row["ring_s"], row["talk_s"]) == (4.0, 30.0)
    [leg] = await store.list_legs("A1")
    assert (leg["channel"], leg["role"], leg["cause"]) == ("PJSIP/6001-00000001", "slot", 16)


async def test_unfinished_calls(store):
    store.writer.submit_call("B1", call_id="c_9", number="+1", originated_at=1.7e9)
    store.writer.submit_call("B2", call_id="c_12", number="+2", originated_at=1.7e9 + 1, ended_at=1.7e9 + 9)
    store.writer.submit_call("B3", call_id="x_99", number="+3", originated_at=1.7e9 + 2)
    await store.writer.flush()
    assert [c["attempt_id"] for c in await store.unfinished_calls()] == ["B1", "B3"]
    assert await store.count_calls(date_from=datetime.fromtimestamp(1.7e9 + 1, UTC)) == 2


async def test_bad_values_fail_in_the_caller(store):
    with pytest.raises(ValueError, match="outcome"):
        store.writer.submit_call("A2", outcome="maybe")
    with pytest.raises(ValueError, match="slot_id"):
        store.writer.submit_call("A2", slot_id="six")
    with pytest.raises(ValueError, match="no column"):
        store.writer.submit_call("A2", colour="red")
    assert store.writer.backlog == 0


async def test_row_refused_by_postgres_is_isolated_not_the_batch(store, tmp_path):
    for n in range(50):
        store.writer.submit_transition(transition(1, n))
    store.writer.submit_call("A3", hangup_cause=2**40)  # passes Python, overflows the integer column
    await store.writer.flush()
    assert await store.count_transitions(1) == 50
    assert store.writer.stats.rejected_rows == 1
    [rejected] = (tmp_path / "spill").glob("rejected-*.jsonl")
    assert json.loads(rejected.read_text())["r"]["attempt_id"] == "A3"


async def test_terminated_backend_and_blocked_database_lose_nothing(store, admin, migrated_db):
    w = store.writer
    for n in range(100):
        w.submit_transition(transition(2, n))
    await w.flush()
    await block_database(admin, migrated_db)
    try:
        for n in range(100, 300):
            w.submit_transition(transition(2, n))
        await until(lambda: not w.ready, "ready goes false during the outage")
        assert w.backlog == 200
    finally:
        await unblock_database(admin, migrated_db)
    await until(lambda: w.ready and w.backlog == 0, "recovery")
    assert w.stats.failures >= 1
    causes = [t["cause"] for t in await store.list_transitions(2, limit=1000)]
    assert causes == [f"seq={n}" for n in range(300)]


async def test_buffer_overflow_spills_to_disk_in_order_and_replays(migrated_db, admin, tmp_path):
    store = await Store.connect(migrated_db, spill_dir=tmp_path / "spill", writer=fast_writer(buffer_rows=50))
    w = store.writer
    try:
        await block_database(admin, migrated_db)
        try:
            for n in range(500):
                w.submit_transition(transition(4, n))
            w.submit_call("A4", number="+1", originated_at=1.7e9)
            await until(lambda: w.stats.spilled_rows == 451, "overflow written to the spill file")
            await until(lambda: not w.ready, "ready goes false")
            assert w.spilling and w.backlog == 501
            assert any((tmp_path / "spill").glob("*.jsonl"))
        finally:
            await unblock_database(admin, migrated_db)
        w.submit_call("A4", outcome="busy", ended_at=1.7e9 + 3)  # newer than the spilled row: must win
        await w.flush()
        assert not w.spilling and w.stats.dropped_rows == 0 and w.stats.replayed_rows == 452
        causes = [t["cause"] for t in await store.list_transitions(4, limit=1000)]
        assert causes == [f"seq={n}" for n in range(500)]
        call = await store.get_call(attempt_id="A4")
        assert (call["number"], call["outcome"]) == ("+1", "busy")
        assert not list((tmp_path / "spill").glob("spill-*"))
    finally:
        await store.close()


async def test_close_spills_what_it_cannot_write_and_next_start_replays(migrated_db, admin, tmp_path):
    spill_dir = tmp_path / "spill"
    store = await Store.connect(migrated_db, spill_dir=spill_dir, writer=fast_writer(close_timeout_s=0.3))
    await block_database(admin, migrated_db)
    try:
        for n in range(120):
            store.writer.submit_transition(transition(5, n))
        await store.close()
        assert store.writer.stats.spilled_rows == 120
        with pytest.raises(StoreError):
            store.writer.submit_transition(transition(5, 999))
    finally:
        await unblock_database(admin, migrated_db)
    again = await Store.connect(migrated_db, spill_dir=spill_dir, writer=fast_writer())
    try:
        assert again.writer.backlog == 120
        await again.writer.flush()
        assert await again.count_transitions(5) == 120
    finally:
        await again.close()


async def test_close_flushes_everything(migrated_db, tmp_path):
    writer = fast_writer(flush_interval_ms=60_000)
    store = await Store.connect(migrated_db, spill_dir=tmp_path / "spill", writer=writer)
    for n in range(150):  # below batch_rows and a minute before the interval: only close() writes them
        store.writer.submit_transition(transition(6, n))
    await store.close()
    conn = await asyncpg.connect(migrated_db)
    try:
        assert await conn.fetchval("SELECT count(*) FROM slot_transitions WHERE slot_id = 6") == 150
    finally:
        await conn.close()
    assert store.writer.stats.spilled_rows == 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_unreachable_server_is_not_ready(tmp_path):
    with pytest.raises(StoreNotReady):
        await Store.connect(f"postgresql://postgres@127.0.0.1:{free_port()}/x", spill_dir=tmp_path,
                            connect_timeout_s=2)


async def test_refused_role_is_auth_failure(admin, tmp_path):
    with pytest.raises(StoreAuthFailed):
        await Store.connect("postgresql://no_such_role_vssd@127.0.0.1:5432/test", spill_dir=tmp_path)


async def test_slot_helpers(store):
    sid = await store.upsert_slot(internal_sip_number="7001", type="MF", name="Slot 01", device_id="R58M")
    again = await store.upsert_slot(internal_sip_number="7001", type="MF", fsm_state="READY", battery_pct=81.5)
    assert sid == again
    [slot] = await store.list_slots(type="MF")
    assert (slot["name"], slot["fsm_state"], slot["battery_pct"]) == ("Slot 01", "READY", 81.5)
    assert await store.list_slots(type="LS") == []
    assert await store.delete_slot(sid) and await store.get_slot(sid) is None
    with pytest.raises(ValueError):
        await store.upsert_slot(internal_sip_number="7002", type="MF", colour="red")


async def test_large_backlog_is_written_in_bounded_transactions(store, monkeypatch):
    from vssd.adapters import store_writer

    monkeypatch.setattr(store_writer, "MAX_TRANSACTION_ROWS", 100)
    store.writer.batch_rows = 10_000  # let the backlog build up: one flush takes all 450 rows
    for n in range(450):
        store.writer.submit_transition(transition(8, n))
    await store.writer.flush()
    assert store.writer.stats.batches == 5
    causes = [t["cause"] for t in await store.list_transitions(8, limit=1000)]
    assert causes == [f"seq={n}" for n in range(450)]
