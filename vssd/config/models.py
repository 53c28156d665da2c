"""The daemon's configuration as pydantic models: every section forbids unknown keys, units are in the names.

Secrets (`ami.secret`, `database.url`, `auth.jwt_secret`, `auth.admin_password`, …) are `SecretStr` so they
never show up in a repr or a log line. Which of them may come from the TOML file is decided by the loader.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationInfo, field_validator, model_validator

from vssd.fsm.types import SlotType

DEMO_PORTS = (3000, 8001, 8081, 8082, 8083)
DEMO_CORS_ORIGINS = tuple(f"http://{host}:{port}" for port in (3000, 5173, 8080) for host in ("localhost", "127.0.0.1"))


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


def fernet_key_shape(text: str) -> bool:
    """True when `text` decodes (url-safe base64) to the 32 bytes of a Fernet key."""
    try:
        return len(base64.urlsafe_b64decode(text.strip().encode())) == 32 and len(text.strip()) == 44
    except (ValueError, binascii.Error):
        return False


class ListenAddress(_Section):
    host: str = "127.0.0.1"
    port: int = Field(ge=1, le=65535)

    @property
    def is_loopback(self) -> bool:
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False


class HttpConfig(_Section):
    listen: list[ListenAddress] = Field(
        default_factory=lambda: [ListenAddress(port=p) for p in DEMO_PORTS], min_length=1
    )
    cors_allow_origins: list[str] = Field(
        default_factory=lambda: list(DEMO_CORS_ORIGINS),
        description="browser origins (scheme://host[:port]) allowed to call the API; default: the demo front-ends",
    )
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    shutdown_grace_s: float = Field(default=10.0, ge=0)


class AmiConfig(_Section):
    host: str = "127.0.0.1"
    port: int = Field(default=5038, ge=1, le=65535)
    username: str = Field(default="vssd", min_length=1)
    secret: SecretStr | None = Field(default=None, description="only from VSSD_AMI_SECRET or secret_file")
    secret_file: Path | None = None
    connect_timeout_s: float = Field(default=5.0, gt=0)
    action_timeout_s: float = Field(default=10.0, gt=0)
    ping_interval_s: float = Field(default=10.0, gt=0)
    reconnect_initial_s: float = Field(default=0.5, gt=0)
    reconnect_max_s: float = Field(default=30.0, gt=0)
    test_hosts: list[str] = Field(
        default_factory=list,
        description="hosts besides loopback and `host` that the settings page's Asterisk test may connect to "
                    "(the SSRF rule: any other host is refused before a packet is sent)")


class AdbConfig(_Section):
    host: str = "127.0.0.1"
    port: int = Field(default=5037, ge=1, le=65535)
    command_timeout_s: float = Field(default=20.0, gt=0)
    max_concurrent_commands: int = Field(default=8, ge=1)


class WriterConfig(_Section):
    """The batch writer of transitions and call records (see docs/store.md)."""

    batch_rows: int = Field(default=500, ge=1)
    flush_interval_ms: int = Field(default=200, ge=1)
    buffer_rows: int = Field(default=50_000, ge=1)
    spill_queue_rows: int = Field(default=100_000, ge=1)
    retry_initial_s: float = Field(default=0.1, gt=0)
    retry_max_s: float = Field(default=5.0, gt=0)
    close_timeout_s: float = Field(default=10.0, gt=0)


class DatabaseConfig(_Section):
    url: SecretStr | None = Field(default=None, description="VSSD_DATABASE_URL; none → embedded PostgreSQL")
    pool_min_size: int = Field(default=1, ge=0)
    pool_max_size: int = Field(default=10, ge=1)
    connect_timeout_s: float = Field(default=5.0, gt=0)
    command_timeout_s: float = Field(default=30.0, gt=0)
    health_check_interval_s: float = Field(default=2.0, gt=0, description="how often readiness probes the store")
    writer: WriterConfig = Field(default_factory=WriterConfig)

    @field_validator("pool_max_size")
    @classmethod
    def _pool_sizes(cls, value: int, info: ValidationInfo) -> int:
        if value < info.data.get("pool_min_size", 0):
            raise ValueError("pool_max_size must not be below pool_min_size")
        return value


class AmqpConfig(_Section):
    url: SecretStr | None = Field(default=None, description="VSSD_AMQP_URL; none → in-process broker")
    lead_ttl_s: int = Field(default=3600, ge=1)
    reconnect_max_s: float = Field(default=30.0, gt=0)
    queue_prefix: str = Field(default="", max_length=64, pattern=r"^[A-Za-z0-9_.-]*$",
                              description="prepended to every exchange and queue name (tests, shared brokers)")


class RedisConfig(_Section):
    url: SecretStr | None = Field(default=None, description="VSSD_REDIS_URL; none → in-process")
    key_prefix: str = "vssd:"


class NumberRange(_Section):
    """A block of internal SIP numbers (the endpoint names of one slot type)."""

    first: int = Field(ge=0)
    last: int = Field(ge=0)

    @field_validator("last")
    @classmethod
    def _ordered(cls, value: int, info: ValidationInfo) -> int:
        if value < info.data.get("first", 0):
            raise ValueError("last must not be below first")
        return value

    def __contains__(self, number: int) -> bool:
        return self.first <= number <= self.last


_DEFAULT_BLOCKS = {"auto": (6001, 6999), "mf": (7001, 7999), "ls": (8001, 8999)}


class NumberingConfig(_Section):
    """Internal number blocks per slot type (the operating manual and the DEMIURGE API reference: AUTO 6xxx,
    MF 7xxx, LS 8xxx).

    Keys are case-insensitive (`numbering.AUTO` or `numbering.auto`); a block given in part keeps the
    default for the other bound, so `VSSD_SLOTS__NUMBERING__AUTO__FIRST=6100` works alone.
    """

    auto: NumberRange = NumberRange(first=6001, last=6999)
    mf: NumberRange = NumberRange(first=7001, last=7999)
    ls: NumberRange = NumberRange(first=8001, last=8999)

    @model_validator(mode="before")
    @classmethod
    def _fill(cls, value: object) -> object:
        if not isinstance(value, dict):
            return value
        out: dict[object, object] = {}
        for key, block in value.items():
            name = key.lower() if isinstance(key, str) else key
            if isinstance(block, dict) and name in _DEFAULT_BLOCKS:
                first, last = _DEFAULT_BLOCKS[name]
                block = {"first": first, "last": last, **block}
            out[name] = block
        return out

    @model_validator(mode="after")
    def _disjoint(self) -> NumberingConfig:
        ranges = sorted((self.auto, self.mf, self.ls), key=lambda r: r.first)
        for low, high in zip(ranges, ranges[1:], strict=False):
            if high.first <= low.last:
                raise ValueError(f"ranges overlap: {low.first}-{low.last} and {high.first}-{high.last}")
        return self

    def block(self, slot_type: SlotType) -> NumberRange:
        return getattr(self, slot_type.value.lower())


MIN_RING_TIMEOUT_S = 15.0


class SlotsConfig(_Section):
    """Slot numbering plan and the timers of the slot FSM. Validators run in field order."""

    numbering: NumberingConfig = Field(default_factory=NumberingConfig)
    allow_short_ring: bool = False
    ring_timeout_s: float = Field(default=30.0, gt=0)
    originate_response_timeout_s: float = Field(default=45.0, gt=0)
    registration_timeout_s: float = Field(default=30.0, gt=0)
    wrapup_s: float = Field(default=5.0, ge=0)
    max_call_duration_s: float = Field(default=3600.0, gt=0)
    restart_budget_count: int = Field(default=3, ge=0)
    restart_budget_window_s: float = Field(default=600.0, gt=0)
    health_poll_interval_s: float = Field(default=10.0, gt=0)

    @field_validator("ring_timeout_s")
    @classmethod
    def _ring_long_enough(cls, value: float, info: ValidationInfo) -> float:
        if value < MIN_RING_TIMEOUT_S and not info.data.get("allow_short_ring", False):
            raise ValueError(
                f"below {MIN_RING_TIMEOUT_S:g} s hangs up on callees before they can answer;"
                " set slots.allow_short_ring = true to override"
            )
        return value

    @field_validator("originate_response_timeout_s")
    @classmethod
    def _after_ring(cls, value: float, info: ValidationInfo) -> float:
        ring = info.data.get("ring_timeout_s")
        if ring is not None and value <= ring:
            raise ValueError("must exceed ring_timeout_s")
        return value

    def slot_type_of(self, number: int) -> SlotType | None:
        """The slot type whose numbering block holds this internal number, if any."""
        for slot_type in SlotType:
            if number in self.numbering.block(slot_type):
                return slot_type
        return None


class AuthConfig(_Section):
    jwt_secret: SecretStr | None = Field(default=None, description="VSSD_JWT_SECRET or jwt_secret_file")
    jwt_secret_file: Path | None = None
    jwt_algorithm: Literal["HS256", "HS384", "HS512"] = "HS256"
    access_token_ttl_s: int = Field(default=3600, ge=60)
    refresh_token_ttl_s: int = Field(default=7 * 24 * 3600, ge=60)
    admin_username: str = Field(default="admin", min_length=1)
    admin_password: SecretStr | None = Field(default=None, description="VSSD_ADMIN_PASSWORD")
    admin_password_file: Path | None = None
    settings_key: SecretStr | None = Field(
        default=None, description="VSSD_SETTINGS_KEY or settings_key_file: the Fernet key (32 url-safe base64 "
                                  "bytes) that encrypts secrets in the system settings; demo: generated once into "
                                  "the state directory when not given")
    settings_key_file: Path | None = None

    @field_validator("settings_key")
    @classmethod
    def _fernet_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not fernet_key_shape(value.get_secret_value()):
            raise ValueError("must be a Fernet key: 32 url-safe base64-encoded bytes (e.g. "
                             "base64.urlsafe_b64encode(os.urandom(32)))")
        return value


class RateLimitsConfig(_Section):
    auth_per_minute: int = Field(default=5, ge=1)
    api_per_minute: int = Field(default=100, ge=1)
    dashboard_per_minute: int = Field(default=60, ge=1)
    enabled: bool = True


class LogConfig(_Section):
    level: Literal["debug", "info", "warning", "error", "critical"] = "info"
    format: Literal["json", "console"] = "json"

    @field_validator("level", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value


def default_state_dir(env: Mapping[str, str] | None = None) -> Path:
    """VSSD_STATE_DIR, else /var/lib/vssd for root, else ~/.local/state/vssd."""
    env = os.environ if env is None else env
    if env.get("VSSD_STATE_DIR"):
        return Path(env["VSSD_STATE_DIR"])
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return Path("/var/lib/vssd")
    return Path("~/.local/state/vssd").expanduser()


class StateConfig(_Section):
    dir: Path = Field(default_factory=default_state_dir)


HUB_ID = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?\Z")


class HubConfig(_Section):
    """Who this hub is among several sharing one PostgreSQL and one RabbitMQ (SPEC "several hubs")."""

    id: str = Field(default="hub-1", description="this hub's name: in every vss.events message, and the default "
                                                  "source of its call id number")
    number: int | None = Field(default=None, ge=0, le=1023,
                               description="this hub's number in its call ids (0–1023); none → a stable hash of id "
                                           "(vssd/calls/ids.py); the store refuses a second hub id with one number")

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not HUB_ID.match(value):
            raise ValueError("a short slug: 1–32 lowercase letters, digits and '-', not starting or ending with "
                             "'-' (e.g. hub-1, kyiv-2)")
        return value


class RuntimeConfig(_Section):
    event_loop: Literal["uvloop", "asyncio"] = Field(
        default="uvloop", description="uvloop (default: about half the CPU per dial attempt) or asyncio's own loop")


_WEBSOCKET_ONLY: tuple[Literal["websocket", "email"], ...] = ("websocket",)


class SmtpConfig(_Section):
    """The e-mail channel (aiosmtplib). Disabled: an e-mail delivery fails at once, saying so."""

    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = Field(default=25, ge=1, le=65535)
    sender: str = Field(default="vssd@localhost", min_length=3, description="the From address")
    username: str | None = None
    password: SecretStr | None = Field(default=None, description="VSSD_SMTP_PASSWORD")
    starttls: bool = False
    timeout_s: float = Field(default=10.0, gt=0)


class NotifierConfig(_Section):
    """Notifications and webhooks (docs/notifier.md): at-least-once deliveries with exponential backoff and jitter."""

    max_attempts: int = Field(default=8, ge=1, le=100, description="attempts before a delivery is dead")
    retry_base_s: float = Field(default=2.0, gt=0, description="the first retry's delay (doubling each time)")
    retry_cap_s: float = Field(default=600.0, gt=0, description="no retry waits longer than this")
    webhook_timeout_s: float = Field(default=10.0, gt=0)
    concurrency: int = Field(default=64, ge=1, description="deliveries in flight at once")
    batch: int = Field(default=256, ge=1, description="deliveries taken per round (one INSERT, one UPDATE)")
    queue_size: int = Field(default=10_000, ge=1, description="events waiting for their webhook deliveries")
    alert_min_severity: Literal["info", "warning", "critical"] = "warning"
    alert_roles: list[str] = Field(default_factory=lambda: ["admin"],
                                   description="who a system.alert at or above alert_min_severity reaches")
    alert_channels: list[Literal["websocket", "email"]] = Field(default_factory=lambda: list(_WEBSOCKET_ONLY))
    smtp: SmtpConfig = Field(default_factory=SmtpConfig)


class DciConfig(_Section):
    """DCI: the pipeline runner and the DCI log (docs/dci.md)."""

    max_concurrent_runs: int = Field(default=2, ge=1, description="runs at once over every pipeline (one each)")
    stop_grace_s: float = Field(default=5.0, ge=0, description="SIGTERM, then SIGKILL after this long")
    tail_lines: int = Field(default=20, ge=1, le=1000, description="a run's last output lines kept in its status")
    log_queue_rows: int = Field(default=20_000, ge=1,
                                description="DCI log lines waiting for the database; when full the OLDEST go")
    log_batch_rows: int = Field(default=5000, ge=1, description="lines per COPY (bench/dci_logs.py)")
    log_flush_interval_ms: int = Field(default=200, ge=1)
    log_retention_days: float = Field(default=30.0, gt=0, description="DCI log lines older than this are deleted")
    log_retention_rows: int = Field(default=1_000_000, ge=1, description="and only the newest this many are kept")
    retention_interval_s: float = Field(default=600.0, gt=0)
    daemon_log_level: Literal["warning", "error", "critical"] = Field(
        default="warning", description="the daemon's own log records from this level on land in the DCI log")


class Config(_Section):
    """The whole configuration; `load_config` builds it from the TOML file and the environment."""

    mode: Literal["demo", "production"] = "demo"
    hub: HubConfig = Field(default_factory=HubConfig)
    http: HttpConfig = Field(default_factory=HttpConfig)
    ami: AmiConfig = Field(default_factory=AmiConfig)
    adb: AdbConfig = Field(default_factory=AdbConfig)
    database: DatabaseConfig = Field(default_factory=DatabaseConfig)
    amqp: AmqpConfig = Field(default_factory=AmqpConfig)
    redis: RedisConfig = Field(default_factory=RedisConfig)
    slots: SlotsConfig = Field(default_factory=SlotsConfig)
    auth: AuthConfig = Field(default_factory=AuthConfig)
    rate_limits: RateLimitsConfig = Field(default_factory=RateLimitsConfig)
    log: LogConfig = Field(default_factory=LogConfig)
    state: StateConfig = Field(default_factory=StateConfig)
    runtime: RuntimeConfig = Field(default_factory=RuntimeConfig)
    notifier: NotifierConfig = Field(default_factory=NotifierConfig)
    dci: DciConfig = Field(default_factory=DciConfig)
