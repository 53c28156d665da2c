"""vssd/metrics.py and GET /metrics: conventional names, bounded labels, the loop-lag monitor."""

from __future__ import annotations

import asyncio

from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from tests.api.conftest import Rig
from vssd.metrics import loop_lag_monitor, make_registry
from vssd.tasks import TaskSet

NAMES = (
    "vssd_slots", "vssd_slot_transitions", "vssd_ami_events", "vssd_ami_reconnects", "vssd_ami_link_up",
    "vssd_call_outcomes", "vssd_actor_inbox_depth", "vssd_actor_restarts", "vssd_writer_backlog_rows",
    "vssd_event_loop_lag_seconds", "vssd_http_requests", "vssd_http_request_duration_seconds", "vssd_service_healthy",
)


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


async def test_metrics_route_exposes_every_name(rig: Rig) -> None:
    rig.metrics.bind_slots(rig.slots.slot_views)
    rig.metrics.bind_writer_backlog(lambda: 17)
    resp = await rig.client.get("/metrics")
    assert resp.status == 200
    assert resp.headers["Content-Type"].startswith("text/plain")
    text = await resp.text()
    families = {f.name for f in text_string_to_metric_families(text)}
    for name in NAMES:
        assert name in families, name
    samples = _samples(text)
    assert samples[("vssd_slots", (("state", "READY"), ("type", "MF")))] == 1
    assert samples[("vssd_slots", (("state", "READY"), ("type", "AUTO")))] == 1
    assert samples[("vssd_slots", (("state", "IDLE"), ("type", "LS")))] == 0
    assert samples[("vssd_writer_backlog_rows", ())] == 17


async def test_http_requests_are_counted_by_route_template(rig: Rig) -> None:
    token = await rig.token("admin")
    for slot_id in ("1", "44", "999"):
        await rig.client.get(f"/api/slots/{slot_id}", headers=rig.bearer(token))
    await rig.client.get("/some/random/path")
    samples = _samples(await (await rig.client.get("/metrics")).text())
    assert samples[("vssd_http_requests_total", (("code", "200"), ("route", "/api/slots/{slot_id}")))] == 2
    assert samples[("vssd_http_requests_total", (("code", "404"), ("route", "/api/slots/{slot_id}")))] == 1
    assert samples[("vssd_http_requests_total", (("code", "404"), ("route", "unmatched")))] == 1
    assert not any("random" in str(key) for key in samples)
    count = samples[("vssd_http_request_duration_seconds_count", (("route", "/api/slots/{slot_id}"),))]
    assert count == 3


def test_label_values_are_bounded() -> None:
    m = make_registry()
    m.slot_transition("READY")
    m.slot_transition("EXPLODED")
    m.ami_event("Newstate")
    for n in range(50):
        m.ami_event(f"Weird{n}")
    m.call_outcome("busy")
    m.call_outcome("on_fire")
    m.ami_link(True)
    m.ami_reconnected()
    m.actor_restarted()
    m.inbox_depth(3)
    samples = _samples(generate_latest(m.registry).decode())
    assert samples[("vssd_slot_transitions_total", (("to_state", "READY"),))] == 1
    assert samples[("vssd_slot_transitions_total", (("to_state", "other"),))] == 1
    assert samples[("vssd_ami_events_total", (("type", "Newstate"),))] == 1
    assert samples[("vssd_ami_events_total", (("type", "other"),))] == 50
    assert samples[("vssd_call_outcomes_total", (("outcome", "other"),))] == 1
    assert samples[("vssd_ami_link_up", ())] == 1
    assert samples[("vssd_ami_reconnects_total", ())] == 1
    assert samples[("vssd_actor_restarts_total", ())] == 1
    assert samples[("vssd_actor_inbox_depth_count", ())] == 1
    ami_series = [k for k in samples if k[0] == "vssd_ami_events_total"]
    assert not any("Weird" in str(k) for k in ami_series)


def test_registries_are_private() -> None:
    a, b = make_registry(), make_registry()
    a.actor_restarted()
    assert _samples(generate_latest(b.registry).decode())[("vssd_actor_restarts_total", ())] == 0


def _lag_count(m) -> float:
    return next(s.value for s in m.event_loop_lag.collect()[0].samples if s.name.endswith("_count"))


async def test_loop_lag_monitor_observes_through_a_taskset() -> None:
    m = make_registry()
    tasks = TaskSet("test-metrics")
    tasks.spawn(loop_lag_monitor(m, 0.01), "loop-lag")
    async with asyncio.timeout(30):
        while _lag_count(m) < 3:  # noqa: ASYNC110 (three observations of the monitor, however slow the loop)
            await asyncio.sleep(0.01)
    await tasks.cancel_all()
    assert len(tasks) == 0


def test_dialer_figures_are_read_once_per_scrape_and_typed() -> None:
    """One read of the dialer's figures per scrape (not one per metric); since-start figures are counters,
    the now ones gauges; before the dialer is bound every figure is 0."""
    metrics = make_registry()
    assert _samples(generate_latest(metrics.registry).decode())[("vssd_dialer_attempts_total", ())] == 0
    reads = []

    def figures() -> dict[str, int]:
        reads.append(1)
        return {"attempts": 7, "poison": 2, "live": 3, "operators_free": 5}

    metrics.bind_dialer(figures)
    text = generate_latest(metrics.registry).decode()
    assert len(reads) == 1
    types = {f.name: f.type for f in text_string_to_metric_families(text) if f.name.startswith("vssd_dialer_")}
    assert types["vssd_dialer_attempts"] == "counter" and types["vssd_dialer_live"] == "gauge"
    samples = _samples(text)
    assert samples[("vssd_dialer_attempts_total", ())] == 7 and samples[("vssd_dialer_poison_total", ())] == 2
    assert samples[("vssd_dialer_live", ())] == 3 and samples[("vssd_dialer_operators_free", ())] == 5
    assert samples[("vssd_dialer_hopper", ())] == 0


def test_service_health_is_read_at_scrape_time() -> None:
    """`vssd_service_healthy{service}` is the readiness checks (what /health/ready answers), read per scrape;
    a source that raises is one failing check, never a failed scrape."""
    metrics = make_registry()
    checks = {"store": True, "pbx": False}
    metrics.bind_readiness(lambda: checks)
    samples = _samples(generate_latest(metrics.registry).decode())
    assert samples[("vssd_service_healthy", (("service", "store"),))] == 1
    assert samples[("vssd_service_healthy", (("service", "pbx"),))] == 0
    checks["pbx"] = True
    assert _samples(generate_latest(metrics.registry).decode())[("vssd_service_healthy", (("service", "pbx"),))] == 1

    def broken() -> dict[str, bool]:
        raise RuntimeError("boom")

    metrics.bind_readiness(broken)
    samples = _samples(generate_latest(metrics.registry).decode())
    assert [k for k in samples if k[0] == "vssd_service_healthy"] == [("vssd_service_healthy",
                                                                         (("service", "readiness"),))]
