"""What `make_app` is built from: the ports, the secret, the metrics and a few knobs."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from vssd import __version__
from vssd.api.ports import (
    AlertDesk,
    AmiProbe,
    AuditLog,
    AuthState,
    AutodialerDesk,
    CallDesk,
    CallFeed,
    CallFigures,
    CrmLeads,
    CrmNotes,
    DciDesk,
    DeviceCommands,
    EventSource,
    MonitorFacts,
    NotifierDesk,
    PasswordHasher,
    PasswordVerifier,
    PbxDesk,
    Readiness,
    SettingsStore,
    SlotAdmin,
    SlotDirectory,
    SlotHistory,
    TrunkAdmin,
    UserAdmin,
    UserDirectory,
)
from vssd.metrics import Metrics

MIN_SECRET_BYTES = 32


@dataclass(slots=True)
class ApiDeps:
    """Everything the routes reach. `clock` is wall-clock epoch seconds (token iat/exp); tests inject one."""

    slots: SlotDirectory
    calls: CallFeed
    users: UserDirectory
    readiness: Readiness
    verify_password: PasswordVerifier
    jwt_secret: str
    metrics: Metrics
    demo: bool = False
    clock: Callable[[], float] = time.time
    access_ttl_s: int = 3600
    refresh_ttl_s: int = 7 * 24 * 3600
    jwt_algorithm: str = "HS256"
    max_body_bytes: int = 1_048_576
    auth_per_minute: int | None = 5
    password_threads: int = 2
    password_queue: int = 32
    version: str = __version__
    # Auth state (denylist, refresh families, rate counters): Redis when wired, else in-process.
    auth_state: AuthState | None = None
    # The users/roles routes: `users` itself when it implements UserAdmin, else this (None → 503).
    user_admin: UserAdmin | None = None
    hash_password: PasswordHasher | None = None
    # The audit trail: in-process (bounded) unless a store-backed one is wired.
    audit: AuditLog | None = None
    api_per_minute: int | None = None
    dashboard_per_minute: int | None = None
    events: EventSource | None = None  # real-time routes serve nothing without it
    # Slot/trunk administration, device commands and monitoring (each None → its routes answer 503).
    slot_admin: SlotAdmin | None = None
    trunks: TrunkAdmin | None = None
    devices: DeviceCommands | None = None
    monitor: MonitorFacts | None = None
    adb_command_timeout_s: float = 10.0
    adb_command_max_output: int = 65_536
    # Manual calls, call history and CDR; the PBX view (each None → its routes answer 503).
    call_desk: CallDesk | None = None
    pbx: PbxDesk | None = None
    # Campaigns, leads, DNC and operators (None → their routes answer 503).
    autodialer: AutodialerDesk | None = None
    # The console's reads and notes: slot transition history, stored alerts, CRM notes (None → 503).
    slot_history: SlotHistory | None = None
    alerts: AlertDesk | None = None
    crm_notes: CrmNotes | None = None
    crm_leads: CrmLeads | None = None
    # The dashboards' call figures (None → the dashboard routes answer 503 for them).
    call_figures: CallFigures | None = None
    # The system settings and info (`vssd.api.settings`): the store (None → 503), the AMI test, the defaults of
    # what was never saved, and what applies a saved change to the live daemon (see docs/api.md).
    settings: SettingsStore | None = None
    ami_probe: AmiProbe | None = None
    settings_defaults: Mapping[str, Any] = field(default_factory=dict)
    settings_applied: Callable[[Mapping[str, Any]], None] | None = None
    started_at: float | None = None  # epoch seconds the daemon started (the system info's uptime)
    # Notifications, their delivery history and webhook subscriptions (None → their routes answer 503).
    notifier: NotifierDesk | None = None
    # DCI pipelines and the DCI log (None → their routes answer 503).
    dci: DciDesk | None = None

    def __post_init__(self) -> None:
        if len(self.jwt_secret.encode()) < MIN_SECRET_BYTES:
            raise ValueError(f"jwt_secret must be at least {MIN_SECRET_BYTES} bytes")
        if self.jwt_algorithm not in ("HS256", "HS384", "HS512"):
            raise ValueError(f"unsupported jwt_algorithm {self.jwt_algorithm!r}")
        if self.auth_per_minute is not None and self.auth_per_minute < 1:
            raise ValueError("auth_per_minute must be positive (or None for no limit)")
        for name in ("api_per_minute", "dashboard_per_minute"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"{name} must be positive (or None for no limit)")
        if self.password_threads < 1 or self.password_queue < 1:
            raise ValueError("password_threads and password_queue must be positive")


DEPS: web.AppKey[ApiDeps] = web.AppKey("vssd_api_deps", ApiDeps)


def deps_of(request: web.Request) -> ApiDeps:
    return request.app[DEPS]
