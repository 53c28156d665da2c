"""Webhooks against a real aiohttp receiver and the real PostgreSQL: signed bodies, retries with backoff, dead
after N, a 4xx that is not retried, a restart that resumes what was pending, the intake's overflow policy."""

from __future__ import annotations

from tests.notifier.conftest import SECRET, Receiver
from vssd.events import SlotUpdate, SystemAlert


def alert(n: int = 1, severity: str = "info") -> SystemAlert:
    return SystemAlert(type="test", severity=severity, message=f"alert {n}", timestamp=1.0, details={"n": n})


async def subscribe(rig, receiver: Receiver, events: list[str]) -> dict:
    return await rig.desk.create_webhook({"url": receiver.url, "events": events, "secret": SECRET}, "admin")


async def test_a_subscribed_event_reaches_the_receiver_signed_with_its_idempotency_key(make_rig, receiver):
    rig = await make_rig()
    hook = await subscribe(rig, receiver, ["system.alert"])
    rig.events.emit(alert(1))
    rig.events.emit(SlotUpdate({"id": 1, "to_state": "READY"}))  # not subscribed: no delivery
    assert await rig.engine.step() == 1
    [got] = receiver.got
    assert got["verified"], got["headers"]
    assert got["headers"]["X-VSSD-Event"] == "system.alert"
    assert got["headers"]["Idempotency-Key"] == got["headers"]["X-VSSD-Delivery"] == got["body"]["id"]
    assert got["body"]["event"] == "system.alert" and got["body"]["data"]["message"] == "alert 1"
    [row] = await rig.states(webhook_id=hook["id"])
    assert (row["state"], row["attempts"], row["last_error"], row["channel"]) == ("sent", 1, None, "webhook")


async def test_a_wrong_secret_fails_the_receivers_check(make_rig, receiver):
    rig = await make_rig()
    await rig.desk.create_webhook({"url": receiver.url, "events": ["system.alert"], "secret": "x" * 20}, None)
    rig.events.emit(alert())
    await rig.engine.step()
    assert [g["verified"] for g in receiver.got] == [False]


async def test_failures_are_retried_with_growing_jittered_delays_then_sent(make_rig, receiver):
    rig = await make_rig(retry_base_s=10.0, retry_cap_s=1000.0)
    await subscribe(rig, receiver, ["system.alert"])
    receiver.failures = 2
    rig.events.emit(alert())
    waits = []
    for _ in range(2):
        assert await rig.engine.step() == 1
        [row] = await rig.states()
        assert row["state"] == "retrying" and "HTTP 503" in row["last_error"]
        wait = rig.engine._wait_s()
        waits.append(wait)
        assert await rig.engine.step() == 0  # not due yet: nothing is sent early
        rig.clock.advance(wait)
    assert 5.0 <= waits[0] <= 10.0 and 10.0 <= waits[1] <= 20.0
    assert await rig.engine.step() == 1
    [row] = await rig.states()
    assert (row["state"], row["attempts"], row["last_error"]) == ("sent", 3, None)
    keys = {g["headers"]["Idempotency-Key"] for g in receiver.got}
    assert len(receiver.got) == 3 and len(keys) == 1 and all(g["verified"] for g in receiver.got)


async def test_a_delivery_is_dead_after_max_attempts(make_rig, receiver):
    rig = await make_rig(max_attempts=3, retry_base_s=1.0)
    await subscribe(rig, receiver, ["system.alert"])
    receiver.failures = 10
    rig.events.emit(alert())
    for _ in range(3):
        assert await rig.engine.step() == 1
        rig.clock.advance(100.0)
    assert await rig.engine.step() == 0
    [row] = await rig.states()
    assert (row["state"], row["attempts"]) == ("dead", 3)
    assert len(receiver.got) == 3 and rig.engine.pending == 0


async def test_a_refusing_receiver_4xx_fails_without_retry(make_rig, receiver):
    rig = await make_rig()
    await subscribe(rig, receiver, ["system.alert"])
    receiver.failures, receiver.fail_status = 1, 400
    rig.events.emit(alert())
    await rig.engine.step()
    [row] = await rig.states()
    assert (row["state"], row["attempts"]) == ("failed", 1) and "HTTP 400" in row["last_error"]


async def test_an_unreachable_receiver_is_retried(make_rig, receiver):
    rig = await make_rig()
    await rig.desk.create_webhook({"url": "http://127.0.0.1:9/nothing", "events": ["system.alert"]}, None)
    rig.events.emit(alert())
    await rig.engine.step()
    [row] = await rig.states()
    assert row["state"] == "retrying" and row["last_error"].startswith("WebhookUnreachable")


async def test_a_restart_resumes_the_pending_deliveries(make_rig, receiver):
    first = await make_rig()
    await subscribe(first, receiver, ["system.alert"])
    receiver.failures = 1
    first.events.emit(alert(1))
    first.events.emit(alert(2))
    await first.engine.step()
    assert {r["state"] for r in await first.states()} == {"sent", "retrying"}
    # a new engine over the same database: what was pending is read back and sent when due
    second = await make_rig()
    assert second.engine.pending == 1
    second.clock.now = first.clock.now + 3600
    assert await second.engine.step() == 1
    assert [r["state"] for r in await second.states()] == ["sent", "sent"]
    bodies = [g["body"]["data"]["message"] for g in receiver.got]
    assert sorted(bodies) == ["alert 1", "alert 2", "alert 2"] or sorted(bodies) == ["alert 1", "alert 1", "alert 2"]


async def test_a_full_intake_refuses_the_newest_event_and_counts_it(make_rig, receiver):
    rig = await make_rig(queue_size=2)
    await subscribe(rig, receiver, ["system.alert"])
    for n in range(3):
        rig.events.emit(alert(n))
    assert rig.engine.dropped == 1
    assert await rig.engine.step() == 2
    assert sorted(g["body"]["data"]["message"] for g in receiver.got) == ["alert 0", "alert 1"]


async def test_a_deleted_subscription_hears_nothing_more(make_rig, receiver):
    rig = await make_rig()
    hook = await subscribe(rig, receiver, ["system.alert"])
    await rig.desk.delete_webhook(hook["id"])
    rig.events.emit(alert())
    assert await rig.engine.step() == 0 and receiver.got == []
