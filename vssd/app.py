"""The composition root: config → adapters → reconcile → actors → dialing → intake → API, and the exact reverse
on stop. The only module that knows every other.

Each part is a service (vssd/services) with `start()`, `stop()` and `health()`, its dependencies passed to its
constructor; `Stages` starts them in order — each stage named and timed — and undoes the ones that started in
reverse, each bounded by its own timeout, so a stuck part cannot keep the daemon from exiting. Readiness is every
service's health, by name (`/health/ready` lists the failing ones).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from vssd.actors.loops import Loops
from vssd.adapters.id_floor import FileFloor
from vssd.calls.gate import DialGate
from vssd.calls.ids import CallIds, hub_number
from vssd.config.models import Config
from vssd.dci.pipelines import Pipeline
from vssd.events import EventDispatcher
from vssd.fsm import LoopClock
from vssd.metrics import make_registry
from vssd.notify import Notifier, keep_alive
from vssd.services.alerts import AlertsService
from vssd.services.api import ApiService
from vssd.services.base import Service, Stages
from vssd.services.broker import BrokerService
from vssd.services.calls import CallRouter
from vssd.services.control import ControlService
from vssd.services.dci import DciService
from vssd.services.devices import DevicePoller, DeviceService
from vssd.services.dialing import DialingService
from vssd.services.farm import FarmService
from vssd.services.intake import IntakeService
from vssd.services.notifier import NotifierService
from vssd.services.pbx import SIMULATOR_MARK, PbxService
from vssd.services.reconcile import Reconciler, SlotPlan
from vssd.services.store import StoreService
from vssd.tasks import TaskSet

__all__ = ["SIMULATOR_MARK", "Daemon", "SlotPlan"]

IntakeJob = tuple[str, Callable[["Daemon"], Awaitable[None]]]


@dataclass
class Daemon:
    config: Config
    slot_plan: list[SlotPlan] = field(default_factory=list)
    ami_secret: str = ""
    stage_timeout_s: float = 15.0
    call_grace_s: float = 5.0
    intake_jobs: list[IntakeJob] = field(default_factory=list)
    require_simulator: bool = False  # demo: refuse to drive anything but the PBX simulator
    pipelines: list[Pipeline] | None = None  # DCI pipelines; None → the built-in ones (vssd/dci/builtin.py)

    def __post_init__(self) -> None:
        cfg = self.config
        self.clock = LoopClock()
        self.tasks = TaskSet("daemon")
        self.notifier = Notifier()
        self.metrics = make_registry()
        self.events = EventDispatcher()
        self.gate = DialGate()  # the one dial gate: manual and campaign calls
        hub = cfg.hub
        self.hub_number = hub_number(hub.id, hub.number)
        self.call_ids = CallIds(self.hub_number, floor=FileFloor(cfg.state.dir / "call-ids"))
        self.loops = Loops("daemon", self.clock, self.events)  # the daemon's own long-running loops, supervised
        self.router = CallRouter(self.events, self.metrics)
        self.stores = StoreService(cfg, self.tasks, self.loops)
        self.alerts = AlertsService(self.stores, self.events, self.loops)
        self.notifications = NotifierService(cfg, self.stores, self.events, self.loops)
        self.pbx = PbxService(cfg.ami, self.ami_secret, self.router, wait_up_s=self.stage_timeout_s - 1,
                              unconfirmed_after_s=cfg.slots.originate_response_timeout_s,
                              require_simulator=self.require_simulator)
        self.device_link = DeviceService(cfg.adb)
        self.broker = BrokerService(cfg.amqp, self.events, hub_id=hub.id)
        self.reconciler = Reconciler(self.stores, self.pump, self.router, self.slot_plan, hub_id=hub.id,
                                     hub_number=self.hub_number)
        self.farms = FarmService(cfg.slots, self.clock, self.metrics, self.events, self.stores, self.pump,
                                 self.router, self.reconciler, self.tasks, call_ids=self.call_ids,
                                 call_grace_s=self.call_grace_s, hub_id=hub.id)
        self.dialing = DialingService(cfg.slots, self.clock, self.events, self.metrics, self.tasks, self.gate,
                                      self.stores, self.pump, self.broker, self.farms, self.router, self.reconciler)
        self.poller = DevicePoller(self.device_link.adb, self.farms, self.dialing, self.loops,
                                   interval_s=cfg.slots.health_poll_interval_s)
        self.control = ControlService(self.stores, self.farms, self.pump, self.device_link.adb, self.gate,
                                      self.router, cfg.slots.numbering)
        jobs = [(name, _bound(job, self)) for name, job in self.intake_jobs]
        self.intake = IntakeService(self.dialing, self.farms, self.pump, self.metrics, self.loops, jobs)
        self.dci = DciService(cfg, self.stores, self.events, self.tasks, self.loops, self.pipelines)
        self.api_service = ApiService(cfg, self.metrics, self.events, self, self.stores, self.control, self.dialing,
                                      self.alerts, self.notifications, self.dci)
        self.services: list[Service] = [
            self.stores, self.alerts, self.notifications, self.pbx, self.device_link, self.broker, self.reconciler,
            self.farms, self.dialing, self.poller, self.control, self.intake, self.dci, self.api_service,
        ]
        self.metrics.bind_readiness(self.checks)
        self._stages = Stages(self.stage_timeout_s)

    # ---- lifecycle -------------------------------------------------------------------------------------------
    async def start(self) -> None:
        await self._stages.start(self.services)
        self.notifier.ready()
        self.tasks.spawn(keep_alive(self.notifier, healthy=self.ready), "watchdog")

    async def stop(self) -> None:
        self.notifier.stopping()
        await self._stages.stop()
        await self.loops.stop()
        await self.tasks.cancel_all()

    def ready(self) -> bool:
        return all(self.checks().values())

    def checks(self) -> dict[str, bool]:
        """Every service's health by its name (the API's Readiness port)."""
        return {service.name: _healthy(service) for service in self.services}

    # ---- what tests, the demo and the CLI read -----------------------------------------------------------------
    @property
    def store(self) -> Any:
        return self.stores.current

    @property
    def pump(self) -> Any:
        return self.pbx.pump

    @property
    def farm(self) -> Any:
        return self.farms.current

    @property
    def adb(self) -> Any:
        return self.device_link.adb

    @property
    def supervisor(self) -> Any:
        return self.farms.supervisor

    @property
    def bus(self) -> Any:
        return self.broker.bus

    @property
    def dialer(self) -> Any:
        return self.dialing.dialer

    @property
    def operators(self) -> Any:
        return self.dialing.operators

    @property
    def desk(self) -> Any:
        return self.dialing.desk

    @property
    def dial_slots(self) -> Any:
        return self.dialing.dial_slots

    @property
    def api(self) -> Any:
        return self.api_service.server

    @property
    def recent(self) -> Any:
        return self.router.recent

    @property
    def finished_calls(self) -> int:
        return self.router.finished_calls


def _healthy(service: Service) -> bool:
    """A service's health; one that raises counts as failing (never a 500 on /health/ready)."""
    try:
        return bool(service.health())
    except Exception:
        return False


def _bound(job: Callable[[Daemon], Awaitable[None]], daemon: Daemon) -> Callable[[], Awaitable[None]]:
    return lambda: job(daemon)
