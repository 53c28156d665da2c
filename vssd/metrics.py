"""Prometheus metrics of the daemon: one registry, conventional names, bounded label sets.

    metrics = make_registry()
    metrics.bind_slots(directory.slot_views)       # vssd_slots{state,type} counted at scrape time
    metrics.bind_readiness(daemon.checks)          # vssd_service_healthy{service} read at scrape time
    metrics.slot_transition("READY")               # hot path: cached children, no per-slot labels
    tasks.spawn(loop_lag_monitor(metrics, 0.5), "loop-lag")

Every label value is folded into a fixed set ("other" for anything unknown), so a misbehaving peer cannot
grow the series count. `/metrics` renders `metrics.registry`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from vssd.calls.outcomes import Outcome
from vssd.fsm.types import SlotState, SlotType

__all__ = ["AMI_EVENTS", "Metrics", "loop_lag_monitor", "make_registry"]

OTHER = "other"

# The AMI events vssd reads or commonly sees; any other name is counted as "other".
AMI_EVENTS = frozenset({
    "AgentCalled", "AgentComplete", "AgentConnect", "AttendedTransfer", "BlindTransfer", "BridgeCreate",
    "BridgeDestroy", "BridgeEnter", "BridgeLeave", "Cdr", "Cel", "ContactStatus", "CoreShowChannel",
    "CoreShowChannelsComplete", "DeviceStateChange", "DialBegin", "DialEnd", "DialState", "DTMFBegin", "DTMFEnd",
    "EndpointDetail", "EndpointDetailComplete", "FullyBooted", "Hangup", "HangupRequest", "Hold",
    "LocalBridge", "MusicOnHoldStart", "MusicOnHoldStop", "NewAccountCode", "NewCallerid", "NewConnectedLine",
    "Newchannel", "Newexten", "Newstate", "OriginateResponse", "PeerStatus", "QueueCallerAbandon",
    "QueueCallerJoin", "QueueCallerLeave", "Registry", "Rename", "Reload", "Shutdown", "SoftHangupRequest",
    "Status", "StatusComplete", "SuccessfulAuth", "Unhold", "UserEvent", "VarSet",
})
SLOT_STATES = frozenset(s.value for s in SlotState)
SLOT_TYPES = frozenset(t.value for t in SlotType)
OUTCOMES = frozenset(o.value for o in Outcome)

HTTP_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
LOOP_LAG_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
INBOX_BUCKETS = (0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)


def _fold(value: str, known: frozenset[str]) -> str:
    return value if value in known else OTHER


class _SlotCollector(Collector):
    """`vssd_slots{state,type}`: counts slots by FSM state and type when Prometheus scrapes."""

    def __init__(self) -> None:
        self.source: Callable[[], Iterable[Mapping[str, Any]]] | None = None

    def describe(self) -> Iterator[GaugeMetricFamily]:
        yield GaugeMetricFamily("vssd_slots", "Slots by FSM state and type", labels=["state", "type"])

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily("vssd_slots", "Slots by FSM state and type", labels=["state", "type"])
        counts = {(state, kind): 0 for state in SLOT_STATES for kind in SLOT_TYPES}
        if self.source is not None:
            for view in self.source():
                key = (_fold(str(view.get("fsm_state")), SLOT_STATES), _fold(str(view.get("type")), SLOT_TYPES))
                counts[key] = counts.get(key, 0) + 1
        for (state, kind), n in sorted(counts.items()):
            family.add_metric([state, kind], n)
        yield family


class _ReadinessCollector(Collector):
    """`vssd_service_healthy{service}`: 1/0 per readiness check (what `/health/ready` answers), read at scrape
    time. Service names come from the code, so the set is bounded; a source that raises is one failing check."""

    def __init__(self) -> None:
        self.source: Callable[[], Mapping[str, bool]] | None = None

    def describe(self) -> Iterator[GaugeMetricFamily]:
        yield self._family()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = self._family()
        try:
            checks = dict(self.source()) if self.source is not None else {}
        except Exception:
            checks = {"readiness": False}
        for name, ok in sorted(checks.items()):
            family.add_metric([str(name)], 1.0 if ok else 0.0)
        yield family

    @staticmethod
    def _family() -> GaugeMetricFamily:
        return GaugeMetricFamily("vssd_service_healthy", "1 while the service's readiness check passes",
                                 labels=["service"])


class Metrics:
    """The daemon's metrics on one private registry. Methods are the hot-path API (cheap, never raise)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry(auto_describe=True)
        r = self.registry
        self._slots = _SlotCollector()
        r.register(self._slots)
        self.slot_transitions = Counter(
            "vssd_slot_transitions", "Slot FSM transitions by target state", ["to_state"], registry=r)
        self.ami_events = Counter("vssd_ami_events", "AMI events received, by event name", ["type"], registry=r)
        self.ami_reconnects = Counter("vssd_ami_reconnects", "AMI link re-established after a loss", registry=r)
        self.ami_link_up = Gauge("vssd_ami_link_up", "1 while the AMI link is logged in", registry=r)
        self.call_outcomes = Counter("vssd_call_outcomes", "Finished call attempts by outcome", ["outcome"],
                                     registry=r)
        self.actor_inbox_depth = Histogram(
            "vssd_actor_inbox_depth", "Slot actor inbox depth seen at each enqueue", buckets=INBOX_BUCKETS,
            registry=r)
        self.actor_restarts = Counter("vssd_actor_restarts", "Slot actor restarts by the supervisor", registry=r)
        self.writer_backlog_rows = Gauge("vssd_writer_backlog_rows", "Rows waiting in the store writer",
                                         registry=r)
        self.event_loop_lag = Histogram(
            "vssd_event_loop_lag_seconds", "How late the event loop wakes a sleeping task",
            buckets=LOOP_LAG_BUCKETS, registry=r)
        self.http_requests = Counter("vssd_http_requests", "HTTP requests by route and status", ["route", "code"],
                                     registry=r)
        self.http_latency = Histogram(
            "vssd_http_request_duration_seconds", "HTTP request latency by route", ["route"],
            buckets=HTTP_LATENCY_BUCKETS, registry=r)
        self._dialer = _DialerCollector()
        r.register(self._dialer)
        self._readiness = _ReadinessCollector()
        r.register(self._readiness)
        self._transition_children = {s: self.slot_transitions.labels(s) for s in (*SLOT_STATES, OTHER)}
        self._ami_children = {e: self.ami_events.labels(e) for e in (*AMI_EVENTS, OTHER)}
        self._outcome_children = {o: self.call_outcomes.labels(o) for o in (*OUTCOMES, OTHER)}
        self._http_children: dict[tuple[str, int], Any] = {}
        self._latency_children: dict[str, Any] = {}

    # ---- wiring ---------------------------------------------------------------------------------------

    def bind_slots(self, source: Callable[[], Iterable[Mapping[str, Any]]]) -> None:
        """Where `vssd_slots` counts from at scrape time, e.g. `SlotDirectory.slot_views`."""
        self._slots.source = source

    def bind_dialer(self, source: Callable[[], Mapping[str, Any]]) -> None:
        """The dialer's figures (`Dialer.figures()`), read once per scrape."""
        self._dialer.source = source

    def bind_readiness(self, source: Callable[[], Mapping[str, bool]]) -> None:
        """The readiness checks by service name (the daemon's `checks()`), read once per scrape."""
        self._readiness.source = source

    def bind_writer_backlog(self, source: Callable[[], float]) -> None:
        """Read the writer backlog at scrape time instead of setting it on every change."""
        self.writer_backlog_rows.set_function(source)

    # ---- hot path -------------------------------------------------------------------------------------

    def slot_transition(self, to_state: str) -> None:
        self._transition_children.get(to_state, self._transition_children[OTHER]).inc()

    def ami_event(self, name: str) -> None:
        self._ami_children.get(name, self._ami_children[OTHER]).inc()

    def call_outcome(self, outcome: str) -> None:
        self._outcome_children.get(outcome, self._outcome_children[OTHER]).inc()

    def ami_reconnected(self) -> None:
        self.ami_reconnects.inc()

    def ami_link(self, up: bool) -> None:
        self.ami_link_up.set(1 if up else 0)

    def inbox_depth(self, depth: int) -> None:
        self.actor_inbox_depth.observe(depth)

    def actor_restarted(self) -> None:
        self.actor_restarts.inc()

    def http_request(self, route: str, code: int, duration_s: float) -> None:
        """`route` must be a route template (bounded), never a raw path."""
        key = (route, code)
        child = self._http_children.get(key)
        if child is None:
            child = self._http_children[key] = self.http_requests.labels(route, str(code))
        child.inc()
        latency = self._latency_children.get(route)
        if latency is None:
            latency = self._latency_children[route] = self.http_latency.labels(route)
        latency.observe(duration_s)


DIALER_FIGURES = {
    "attempts": "Dial attempts placed by the autodialer since start",
    "deferred": "Leads the dial gate deferred or refused since start",
    "poison": "Lead messages dead-lettered as poison since start",
    "abandoned": "Answered calls with no operator in time (abandon message played) since start",
    "connected": "Answered calls bridged to an operator since start",
    "stalls": "Times the stall watchdog fired (pending leads, READY slots, free operators, no attempt for 30 s)",
    "live": "Dial attempts in flight now",
    "hopper": "Lead messages held for dialing now",
    "waiting_for_operator": "Answered calls waiting for an operator now",
    "operators_free": "Operators on line and free now",
}
DIALER_COUNTERS = frozenset({"attempts", "deferred", "poison", "abandoned", "connected", "stalls"})


class _DialerCollector(Collector):
    """`vssd_dialer_*`: the dialer's figures, read once per scrape — counters for the since-start ones
    (`vssd_dialer_attempts_total` …), gauges for the now ones (`vssd_dialer_live` …); zero before binding."""

    def __init__(self) -> None:
        self.source: Callable[[], Mapping[str, Any]] | None = None

    def describe(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        yield from self._families({})

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        yield from self._families(self.source() if self.source is not None else {})

    @staticmethod
    def _families(figures: Mapping[str, Any]) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        for name, doc in DIALER_FIGURES.items():
            kind = CounterMetricFamily if name in DIALER_COUNTERS else GaugeMetricFamily
            yield kind(f"vssd_dialer_{name}", doc, value=float(figures.get(name, 0) or 0))


def make_registry() -> Metrics:
    """A fresh private registry with every vssd metric registered (never the global default registry)."""
    return Metrics(CollectorRegistry(auto_describe=True))


async def loop_lag_monitor(metrics: Metrics, interval_s: float = 0.5) -> None:
    """Sleep `interval_s` forever and record how much later than asked the loop woke us up.

    Create it through `TaskSet.spawn(loop_lag_monitor(metrics), "loop-lag")`; it ends when cancelled.
    """
    if interval_s <= 0:
        raise ValueError("interval_s must be positive")
    loop = asyncio.get_running_loop()
    while True:
        started = loop.time()
        await asyncio.sleep(interval_s)
        metrics.event_loop_lag.observe(max(0.0, loop.time() - started - interval_s))
