"""The composition root: config → adapters → reconcile → actors → intake → API, and the exact reverse on stop.

The only module that knows every other. Each stage is named and timed; `stop()` undoes the stages that started,
in reverse, each bounded by its own timeout, so a stuck part cannot keep the daemon from exiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from vssd.actors.call_control import CallControl
from vssd.actors.campaign_desk import CampaignDesk
from vssd.actors.control import DeviceControl, Monitor, SlotControl
from vssd.actors.dial_slots import FarmSlots
from vssd.actors.dialer import Dialer
from vssd.actors.farm import SlotFarm
from vssd.actors.feed import CallFeedView, call_view
from vssd.actors.operators import OperatorPool
from vssd.actors.slot import SlotSpec
from vssd.actors.supervisor import Supervisor
from vssd.adapters.adb import AdbAdapter, AdbError
from vssd.adapters.ami import AmiFatal, AmiSettings
from vssd.adapters.ami_calls import AGENT_CONTEXT, CallPump
from vssd.adapters.amqp import AmqpBus, AmqpSettings
from vssd.adapters.broker_local import BusNames, LocalBroker, LocalBus
from vssd.adapters.redis_state import RedisAuthState
from vssd.adapters.store import Store
from vssd.adapters.store_audit import StoreAuditLog
from vssd.adapters.store_calls import StoreCallHistory
from vssd.adapters.store_dialer_records import DialerRecords
from vssd.adapters.store_dnc import StoreDnc
from vssd.adapters.store_leads import StoreLeads
from vssd.adapters.store_trunks import TrunkStore
from vssd.adapters.store_users import StoreUserDirectory, ensure_admin, sync_builtin_roles, verify_password
from vssd.api.app import make_app
from vssd.api.deps import ApiDeps
from vssd.api.rbac import BUILTIN_ROLES
from vssd.api.server import ApiServer
from vssd.calls.campaign import policy_for
from vssd.calls.gate import DialGate
from vssd.calls.model import Attempt, Call
from vssd.config.models import Config
from vssd.events import CallUpdate, EventDispatcher, SlotUpdate
from vssd.events.forward import to_broker
from vssd.fsm import LoopClock, SlotEnv, Timeouts, TransitionRecorder
from vssd.metrics import AMI_EVENTS, Metrics, loop_lag_monitor, make_registry
from vssd.notify import Notifier, keep_alive
from vssd.tasks import TaskSet

log = logging.getLogger("vssd.app")

Stage = Callable[[], Awaitable[None]]
SIMULATOR_MARK = "vssd-sim"  # in the simulator's AsteriskVersion
DEMO_ADMIN_PASSWORD = "admin123"  # SPEC: demo credentials unless VSSD_ADMIN_PASSWORD is set


class _MetricsBus:
    """Slot transitions: counted, and emitted as the slot's view with the transition (`slot.update`)."""

    def __init__(self, metrics: Metrics, events: EventDispatcher,
                 view_of: Callable[[str], dict[str, Any] | None]) -> None:
        self.on_state: Callable[[str, str], None] | None = None  # (slot_id, new state): the dialer's READY set
        self._metrics = metrics
        self._events = events
        self._view_of = view_of

    def publish(self, topic: str, payload: Mapping[str, Any]) -> None:
        to_state = str(payload.get("to_state", ""))
        self._metrics.slot_transition(to_state)
        view = self._view_of(str(payload.get("slot_id", "")))
        data = {**payload, **view, "slot_id": view.get("id")} if view is not None else dict(payload)
        self._events.emit(SlotUpdate({**data, "fsm_state": to_state}))  # type: ignore[typeddict-item]
        if self.on_state is not None:
            self.on_state(str(payload.get("slot_id", "")), to_state)


@dataclass(slots=True)
class SlotPlan:
    """A slot the daemon should own: from the store, or seeded by the demo."""

    endpoint: str
    type: str
    device_serial: str | None = None
    device_model: str = ""
    enroll_trunk: str | None = None  # enrolled at start when set


@dataclass
class Daemon:
    config: Config
    slot_plan: list[SlotPlan] = field(default_factory=list)
    ami_secret: str = ""
    stage_timeout_s: float = 15.0
    call_grace_s: float = 5.0
    intake_jobs: list[tuple[str, Callable[[Daemon], Awaitable[None]]]] = field(default_factory=list)
    require_simulator: bool = False  # demo: refuse to drive anything but the PBX simulator

    def __post_init__(self) -> None:
        self.clock = LoopClock()
        self.tasks = TaskSet("daemon")
        self.notifier = Notifier()
        self.store: Store | None = None
        self.pump: CallPump | None = None
        self.adb: AdbAdapter | None = None
        self.farm: SlotFarm | None = None
        self.supervisor: Supervisor | None = None
        self.api: Any = None
        self.call_control: Any = None
        self.auth_state: Any = None  # Redis-backed token and rate-limit state when VSSD_REDIS_URL is set
        self.recent: deque[tuple[Call, str]] = deque(maxlen=2000)
        self.metrics = make_registry()
        self.events = EventDispatcher()
        self.finished_calls = 0
        self._started: list[tuple[str, Stage]] = []
        self._specs: list[tuple[SlotSpec, SlotPlan]] = []
        self._first_call_number = 1
        self._intake: list[asyncio.Task[None]] = []
        self._endpoint_rows: list[Any] = []
        self.gate = DialGate()  # the one dial gate: manual and campaign calls
        self.bus: Any = None
        self.dialer: Any = None
        self.operators: Any = None
        self.records: Any = None
        self.desk: Any = None  # the autodialer desk, built with the API
        self.dial_slots: Any = None  # the farm as the dialer sees it (SIM keys learnt from the devices)
        self._adopted: dict[str, tuple[dict[str, Any], Call]] = {}  # reconciled dial attempts still live
        self._transitions: _MetricsBus | None = None  # slot transitions → metrics, events, the dialer's wake-up
        self._early_finals: list[Call] = []  # calls that ended between reconcile and the dialer's creation
        self._stop_forwarding: Callable[[], None] = lambda: None  # the `vss.events` publisher's listener

    # ---- lifecycle -------------------------------------------------------------------------------------------
    async def start(self) -> None:
        for name, up, down in (
            ("store", self._start_store, self._stop_store),
            ("pbx", self._start_pbx, self._stop_pbx),
            ("devices", self._start_devices, self._stop_devices),
            ("bus", self._start_bus, self._stop_bus),
            ("reconcile", self._reconcile, _nothing),
            ("actors", self._start_actors, self._stop_actors),
            ("intake", self._start_intake, self._stop_intake),
            ("api", self._start_api, self._stop_api),
        ):
            self._started.append((name, down))  # before: a stage that fails half-way is still undone by stop()
            await self._timed(f"start {name}", up)
        self.notifier.ready()
        self.tasks.spawn(keep_alive(self.notifier, healthy=self.ready), "watchdog")

    async def stop(self) -> None:
        self.notifier.stopping()
        while self._started:
            name, down = self._started.pop()
            with contextlib.suppress(Exception):
                await self._timed(f"stop {name}", down)
        await self.tasks.cancel_all()

    async def _timed(self, what: str, stage: Stage) -> None:
        started = time.monotonic()
        try:
            await asyncio.wait_for(stage(), self.stage_timeout_s)
        except Exception:
            log.exception("%s failed after %.2fs", what, time.monotonic() - started)
            raise
        log.info("%s done in %.2fs", what, time.monotonic() - started)

    def ready(self) -> bool:
        return all(self.checks().values())

    def checks(self) -> dict[str, bool]:
        return {
            "store": self.store is not None and self.store.ready,
            "pbx": self.pump is not None and self.pump.link.is_up,
            "actors": self.farm is not None,
        }

    # ---- adapters --------------------------------------------------------------------------------------------
    async def _start_store(self) -> None:
        self.store = await Store.open(self.config, self.tasks)
        await self.store.migrate()

    async def _stop_store(self) -> None:
        if self.store is not None:
            await self.store.close()

    async def _start_pbx(self) -> None:
        ami = self.config.ami
        settings = AmiSettings(
            host=ami.host, port=ami.port, username=ami.username, secret=self.ami_secret,
            connect_timeout_s=ami.connect_timeout_s, action_timeout_s=ami.action_timeout_s,
            ping_interval_s=ami.ping_interval_s, backoff_base_s=ami.reconnect_initial_s,
            backoff_cap_s=ami.reconnect_max_s,
        )
        self.pump = CallPump(settings, on_final=self._on_final, on_update=self._on_update,
                             on_registration=self._on_registration, is_inbound_leg=self._is_slot_leg)
        await self.pump.start()
        await self.pump.link.wait_up(self.stage_timeout_s - 1)
        if self.require_simulator and SIMULATOR_MARK not in self.pump.link.version:
            raise AmiFatal(f"the AMI peer at {ami.host}:{ami.port} is not the PBX simulator "
                           f"({self.pump.link.version!r}); a demo never drives a real PBX")

    async def _stop_pbx(self) -> None:
        if self.pump is not None:
            await self.pump.stop()

    async def _start_devices(self) -> None:
        self.adb = AdbAdapter(host=self.config.adb.host, port=self.config.adb.port)
        with contextlib.suppress(AdbError):
            await self.adb.server_version()

    async def _stop_devices(self) -> None:
        if self.adb is not None:
            await self.adb.close()

    async def _start_bus(self) -> None:
        """RabbitMQ when `amqp.url` (VSSD_AMQP_URL) is set, else the in-process broker behind the same interface."""
        amqp = self.config.amqp
        if amqp.url is not None:
            self.bus = AmqpBus(AmqpSettings(url=amqp.url.get_secret_value(), prefix=amqp.queue_prefix,
                                            lead_ttl_s=float(amqp.lead_ttl_s)))
        else:
            self.bus = LocalBus(LocalBroker(BusNames(amqp.queue_prefix), lead_ttl_s=float(amqp.lead_ttl_s)),
                                own_broker=True)
        await self.bus.start()
        self._stop_forwarding = self.events.listen(to_broker(self.bus))

    async def _stop_bus(self) -> None:
        self._stop_forwarding()
        if self.bus is not None:
            await self.bus.close()

    # ---- reconcile: slots from the store, line state and live calls from the PBX -------------------------------
    async def _reconcile(self) -> None:
        assert self.store is not None and self.pump is not None
        for plan in self.slot_plan:
            await self.store.upsert_slot(internal_sip_number=plan.endpoint, type=plan.type,
                                         device_id=plan.device_serial)
        plans = {p.endpoint: p for p in self.slot_plan}
        for row in await self.store.list_slots():
            plan = plans.get(row["internal_sip_number"]) or SlotPlan(row["internal_sip_number"], row["type"],
                                                                     row.get("device_id"))
            spec = SlotSpec(slot_id=str(row["id"]), type=row["type"], endpoint=plan.endpoint,
                            device_serial=row.get("device_id"), device_model=plan.device_model)
            if plan.enroll_trunk is None and _was_enrolled(row):
                plan = SlotPlan(plan.endpoint, plan.type, plan.device_serial, plan.device_model,
                                enroll_trunk=str(row["trunk_id"]))
            self._specs.append((spec, plan))
        self._first_call_number = await self.store.max_call_number() + 1
        self._endpoint_rows = await self.pump.endpoints()
        live = await self.pump.live_channels()
        await self._hang_up_stale_lines(live)
        await self._resolve_unfinished(live)

    async def _hang_up_stale_lines(self, live: Mapping[str, Mapping[str, str]]) -> None:
        """Operators' lines a previous run left waiting in `vssd-agent`: nobody follows them now; operators who
        stay logged in get fresh ones when the dialer starts."""
        assert self.pump is not None
        for row in live.values():
            if row.get("context") == AGENT_CONTEXT and row.get("channel"):
                with contextlib.suppress(Exception):
                    await self.pump.hangup(row["channel"])

    async def _resolve_unfinished(self, live: Mapping[str, Mapping[str, str]]) -> None:
        """Attempts a previous run left open — call records without an end and dial attempts still `reserved` —
        are adopted if the PBX still has their channel (`live`: Status rows by Uniqueid), else they become
        `unknown` (never redialled)."""
        assert self.store is not None and self.pump is not None
        calls = {r["attempt_id"]: r for r in await self.store.unfinished_calls() if r.get("channel_id")}
        reserved = {r["attempt_id"]: r for r in await StoreLeads(self.store).open_attempts()}
        if not calls and not reserved:
            return
        tracker = self.pump.tracker
        for attempt_id in {*calls, *reserved}:
            row = calls.get(attempt_id) or reserved[attempt_id]
            endpoint = next((p.endpoint for s, p in self._specs if s.slot_id == str(row.get("slot_id"))), "")
            tracker.expect_originate(Attempt(action_id=attempt_id, channel_id=row.get("channel_id")
                                             or f"{attempt_id}-1", other_channel_id=f"{attempt_id}-2",
                                             number=row["number"], endpoint=endpoint))
        tracker.resync(live, restarted=False)
        still_open = {c.call_id: c for c in tracker.open_calls()}
        for attempt_id in calls.keys() - still_open.keys():
            self.store.writer.submit_call(attempt_id, status="ENDED", outcome="unknown", ended_at=time.time(),
                                          notes="left open by a previous run; the PBX no longer knows it")
        gone = [a for a in reserved if a not in still_open]
        if gone:
            await StoreLeads(self.store).mark_unknown(gone)
        self._adopted = {a: (reserved[a], still_open[a]) for a in reserved if a in still_open}
        log.info("reconciled %d unfinished call(s) and %d reserved attempt(s): %d still live, %d unknown",
                 len(calls), len(reserved), len(still_open), len(gone))

    # ---- actors ----------------------------------------------------------------------------------------------
    async def _start_actors(self) -> None:
        assert self.store is not None and self.pump is not None
        slots = self.config.slots
        transitions = _MetricsBus(self.metrics, self.events,
                                  lambda sid: self.farm.slot_view(sid) if self.farm is not None else None)
        self._transitions = transitions
        recorder = TransitionRecorder(self.clock, sink=self.store.writer, listener=transitions)
        timeouts = Timeouts(registration_s=slots.registration_timeout_s, ring_s=slots.ring_timeout_s,
                            max_call_s=slots.max_call_duration_s, wrapup_s=slots.wrapup_s,
                            min_ring_s=min(15.0, slots.ring_timeout_s))
        env = SlotEnv(self.clock, recorder=recorder, timeouts=timeouts)
        self.supervisor = Supervisor(self.clock, random.Random(),
                                     budget=(slots.restart_budget_count, slots.restart_budget_window_s),
                                     on_fault=self._on_fault)
        farm = SlotFarm(self.supervisor, env, self.pump, self.store.writer, self._first_call_number)
        for spec, _ in self._specs:
            await farm.add(spec)
        farm.on_endpoint_list(self._endpoint_rows)
        self.farm = farm
        self.metrics.bind_slots(farm.slot_views)
        self.metrics.bind_writer_backlog(lambda: float(self.store.writer.backlog) if self.store else 0.0)
        for spec, plan in self._specs:
            if plan.enroll_trunk:
                await farm.command(spec.slot_id, "enroll", trunk_id=plan.enroll_trunk, cause="enrolled at start")
        await self._make_dialer(farm)

    async def _make_dialer(self, farm: SlotFarm) -> None:
        """The operators' pool and the dialer (not consuming yet: that is the intake stage); the gate rebuilt from
        the store; reconciled attempts still live on the PBX handed over so their outcomes are stored."""

        assert self.store is not None and self.pump is not None
        self.records = records = DialerRecords(self.store)
        dnc, attempts = await records.gate_history()
        self.gate.load_dnc(dnc)
        self.gate.restore(attempts)
        self.operators = OperatorPool(self.pump, self.clock, self.events, self.tasks,
                                      wrapup_s=self.config.slots.wrapup_s)
        rows = await records.operator_rows()
        self.operators.load(rows)
        for row in rows:  # operators logged in when the last run ended stay logged in (a fresh line each)
            if row.get("status") in ("online", "busy", "wrapup"):
                with contextlib.suppress(Exception):
                    await self.operators.set_status(str(row["id"]), "online")
        self.dial_slots = FarmSlots(farm)
        self.dialer = Dialer(self.bus, records, records, self.dial_slots, self.pump, self.gate, self.operators,
                             self.clock, self.events, call_ids=farm.next_call_id, policy_for=policy_for)
        if self._transitions is not None:
            self._transitions.on_state = self._slot_state_changed
        await self.dialer.load_campaigns()
        self.metrics.bind_dialer(self.dialer.figures)
        self.dialer.adopt(list(self._adopted.values()))
        early, self._early_finals = self._early_finals, []
        for call in early:
            self.dialer.on_call_final(call)

    def _slot_state_changed(self, slot_id: str, state: str) -> None:
        """Every slot transition: the dialer's READY set follows, and a slot that can take a call wakes it."""
        if self.dial_slots is not None:
            self.dial_slots.note_state(slot_id, state)
        if state == "READY" and self.dialer is not None:
            self.dialer.wake()

    async def _stop_actors(self) -> None:
        """Let calls end, hang up what is left after the grace period, record every outcome, stop the actors."""
        if self.farm is None or self.pump is None or self.supervisor is None:
            return
        await self._calls_drained(self.call_grace_s)
        for call in self.pump.tracker.open_calls():
            if (channel := call.hangup_channel) is not None:
                with contextlib.suppress(Exception):
                    await self.pump.hangup(channel)
        await self._calls_drained(3.0)
        await asyncio.sleep(0.1)  # let actors record the last outcomes
        await self.supervisor.stop()

    async def _calls_drained(self, timeout_s: float) -> None:
        """Wait until the PBX has ended every open call, or the timeout. Polls: calls end on AMI events."""
        assert self.pump is not None
        deadline = time.monotonic() + timeout_s
        while self.pump.tracker.open_calls() and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)

    async def _on_fault(self, slot_id: str, reason: str) -> None:
        """The restart budget of a slot is spent: end its call (no actor follows it any more), then FAULT."""
        if self.farm is None or slot_id not in self.farm.cores:
            return
        await self.farm.cores[slot_id].machine.report_budget_exhausted(reason)
        if self.farm.cores[slot_id].call is not None:
            self.tasks.spawn(self._finish_then_fault(slot_id, reason), f"finish-call-{slot_id}")

    async def _finish_then_fault(self, slot_id: str, reason: str) -> None:
        assert self.farm is not None
        await self.farm.finish_call(slot_id)
        await self.farm.cores[slot_id].machine.report_budget_exhausted(reason)

    # ---- intake: device health polling (the dialer and lead queues come here too) -----------------------------
    async def _start_intake(self) -> None:
        if self.dialer is not None:
            await self.dialer.start()
        self._intake = [
            self.tasks.spawn(self._poll_devices(), "device-poller"),
            self.tasks.spawn(loop_lag_monitor(self.metrics), "loop-lag"),
            self.tasks.spawn(self._sync_metrics(), "metrics-sync"),
        ]
        for name, job in self.intake_jobs:
            self._intake.append(self.tasks.spawn(job(self), name))

    async def _stop_intake(self) -> None:
        if self.operators is not None:
            self.operators.closing = True
        if self.dialer is not None:
            await self.dialer.stop()
        for task in self._intake:
            task.cancel()
        await asyncio.gather(*self._intake, return_exceptions=True)

    async def _poll_devices(self) -> None:
        interval = self.config.slots.health_poll_interval_s
        while True:
            if self.adb is not None and self.farm is not None and self.farm.device_serials():
                with contextlib.suppress(AdbError, TimeoutError):
                    await self._poll_once()
            await asyncio.sleep(interval)

    async def _poll_once(self) -> None:
        assert self.adb is not None and self.farm is not None
        present = {d.serial: d.state for d in await self.adb.devices()}
        for serial in self.farm.device_serials():
            if present.get(serial) != "device":
                self.farm.on_device(serial, adb_state=present.get(serial, "absent"))
                continue
            h = await self.adb.health(serial)
            self.farm.on_device(serial, adb_state=h.state, sim_ready=h.sim_state == "READY", in_service=h.in_service,
                                battery_pct=h.battery_level, temperature_c=h.battery_temp_c)
            if self.dial_slots is not None and (h.iccid or h.imsi):
                self.dial_slots.note_sim(serial, h.iccid or h.imsi)

    async def _sync_metrics(self) -> None:
        """Counters kept cheaply on hot paths (plain ints) are folded into Prometheus once a second."""
        seen: dict[str, int] = {}
        reconnects = restarts = 0
        while True:
            await asyncio.sleep(1.0)
            if self.pump is None:
                continue
            link = self.pump.link
            for name, count in list(link.events_by_type.items()):
                delta = count - seen.get(name, 0)
                if delta > 0:
                    self.metrics.ami_events.labels(name if name in AMI_EVENTS else "other").inc(delta)
                    seen[name] = count
            if link.counts["reconnects"] > reconnects:
                self.metrics.ami_reconnects.inc(link.counts["reconnects"] - reconnects)
                reconnects = link.counts["reconnects"]
            self.metrics.ami_link(link.is_up)
            restarts = self._sync_actor_metrics(restarts)

    def _sync_actor_metrics(self, restarts_seen: int) -> int:
        if self.farm is None or self.supervisor is None:
            return restarts_seen
        depths = [core.mailbox.qsize() for core in self.farm.cores.values()]
        self.metrics.inbox_depth(max(depths, default=0))
        restarts = sum(self.supervisor.restarts(slot_id) for slot_id in self.farm.cores)
        if restarts > restarts_seen:
            self.metrics.actor_restarts.inc(restarts - restarts_seen)
        return max(restarts, restarts_seen)

    # ---- API -------------------------------------------------------------------------------------------------
    async def _start_api(self) -> None:
        cfg = self.config
        app = make_app(await self._api_deps(), cors_origins=cfg.http.cors_allow_origins)
        self.api = ApiServer(app, [(a.host, a.port) for a in cfg.http.listen],
                             shutdown_timeout_s=cfg.http.shutdown_grace_s)
        await self.api.start()

    async def _api_deps(self) -> Any:
        """The API's ports, implemented over the farm, the store, the PBX link and the devices."""
        assert self.store is not None and self.farm is not None and self.pump is not None
        cfg, farm, pump, limits = self.config, self.farm, self.pump, self.config.rate_limits
        await self._prepare_auth()

        def live() -> list[tuple[Call, str]]:
            return [(c.call, sid) for sid, c in farm.cores.items() if c.call is not None]

        def recent() -> list[tuple[Call, str]]:
            return list(self.recent)

        control = SlotControl(farm, TrunkStore(self.store), line_state=pump.endpoints)
        await control.load()
        self.call_control = CallControl(farm, pump, StoreCallHistory(self.store), self.store.writer,
                                        live=live, recent=recent, views=control, gate=self.gate)
        return ApiDeps(
            slots=control, calls=CallFeedView(live=live, recent=recent), slot_admin=control, trunks=control,
            devices=DeviceControl(farm, self.adb), monitor=Monitor(farm, self.adb, lambda: pump.link.send(
                {"Action": "Ping"})), users=StoreUserDirectory(self.store), readiness=self,
            verify_password=verify_password, jwt_secret=self._jwt_secret(), metrics=self.metrics,
            demo=cfg.mode == "demo", access_ttl_s=cfg.auth.access_token_ttl_s,
            refresh_ttl_s=cfg.auth.refresh_token_ttl_s, jwt_algorithm=cfg.auth.jwt_algorithm,
            max_body_bytes=cfg.http.max_body_bytes,
            auth_per_minute=limits.auth_per_minute if limits.enabled else None,
            api_per_minute=limits.api_per_minute if limits.enabled else None,
            dashboard_per_minute=limits.dashboard_per_minute if limits.enabled else None,
            auth_state=self.auth_state, audit=StoreAuditLog(self.store), events=self.events,
            call_desk=self.call_control, pbx=self.call_control, autodialer=self._campaign_desk(),
        )

    def _campaign_desk(self) -> Any:
        r = self.records
        self.desk = CampaignDesk(self.dialer, self.operators, self.gate, r.campaigns, r, StoreDnc(r.store),
                                 r.dead, r)
        return self.desk

    async def _prepare_auth(self) -> None:
        """Builtin roles synced, the admin ensured, Redis-backed token state when Redis is configured."""
        assert self.store is not None
        cfg = self.config
        await sync_builtin_roles(self.store, BUILTIN_ROLES)
        if cfg.redis.url is not None:
            self.auth_state = RedisAuthState.from_url(cfg.redis.url.get_secret_value(), time.time, cfg.redis.key_prefix)
        await ensure_admin(self.store, cfg.auth.admin_username, self._admin_password(),
                           reset_password=cfg.auth.admin_password is not None)

    def _admin_password(self) -> str:
        secret = self.config.auth.admin_password
        return secret.get_secret_value() if secret is not None else DEMO_ADMIN_PASSWORD

    def _jwt_secret(self) -> str:
        """Configured, or (demo) generated once and kept in the state directory."""
        if self.config.auth.jwt_secret is not None:
            return self.config.auth.jwt_secret.get_secret_value()
        path = self.config.state.dir / "jwt_secret"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()

    async def _stop_api(self) -> None:
        if self.api is not None:
            await self.api.stop()
        if self.auth_state is not None:
            await self.auth_state.close()

    # ---- AMI callbacks (synchronous) -------------------------------------------------------------------------
    def _on_update(self, call: Call, what: str) -> None:
        if self.operators is not None and self.operators.is_line(call):
            self.operators.on_line_update(call)
            return
        if self.farm is not None:
            self.farm.on_call(call, what)
            core = self.farm.core_for_call(call)
            self.events.emit(CallUpdate(call_view(call, core.spec.slot_id if core else None), what))  # type: ignore[arg-type]
        if self.dialer is not None:
            self.dialer.on_call_update(call, what)

    def _on_final(self, call: Call) -> None:
        if self.operators is not None and self.operators.is_line(call):
            self.operators.on_line_final(call)
            return
        if self.dialer is not None:
            self.dialer.on_call_final(call)
        elif call.call_id in self._adopted:
            self._early_finals.append(call)
        self.finished_calls += 1
        self.metrics.call_outcome(str(call.outcome))
        core = self.farm.core_for_call(call) if self.farm is not None else None
        self.recent.appendleft((call, core.spec.slot_id if core else ""))
        if self.call_control is not None:
            self.call_control.on_final(call)

    def _is_slot_leg(self, channel: str) -> bool:
        return self.farm is not None and self.farm.endpoint_of(channel) is not None

    def _on_registration(self, frame: Mapping[str, str]) -> None:
        if self.farm is not None:
            self.farm.on_registration(frame)


def _was_enrolled(row: Mapping[str, Any]) -> bool:
    """An admin enrolled this slot and did not disable it since (the API marks it ASSIGNED in the store): a
    restarted daemon brings it up again on its trunk."""
    return bool(row.get("enabled")) and row.get("trunk_id") is not None and row.get("fsm_state") not in (None, "IDLE")


async def _nothing() -> None:
    return None
