"""The Smart Call Center API's `SystemSettings`, validated with pydantic (unknown fields refused), plus the two
settings vssd applies live (`wrapup_time`, `api_rate_limit_per_minute`; docs/api.md "System settings").

`asterisk_config.password` is write-only: absent, null or the mask (`********`) keeps the stored one, "" clears it.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

MASK = "********"
HOST = re.compile(r"(?=.{1,253}\Z)[A-Za-z0-9]([A-Za-z0-9.:_-]*[A-Za-z0-9])?\Z")
READ_ONLY = ("updated_by", "updated_at")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


def _host_name(value: str) -> str:
    with contextlib.suppress(ValueError):
        return str(ipaddress.ip_address(value.strip().strip("[]")))
    if not HOST.match(value.strip()):
        raise ValueError("must be a host name or an IP address")
    return value.strip()


def _as_float(value: Any) -> Any:
    """JSON has one number type: an integer is a fine value of a float field (strict mode would refuse it)."""
    return float(value) if isinstance(value, int) and not isinstance(value, bool) else value


class AsteriskConfig(_Strict):
    host: str = "127.0.0.1"
    port: int = Field(default=5038, ge=1, le=65535)
    username: str = Field(default="", max_length=64)
    password: str | None = Field(default=None, max_length=256)
    protocol: Literal["AMI"] = "AMI"
    timeout: float = Field(default=10.0, ge=0.5, le=60)
    enabled: bool = False

    _host = field_validator("host")(_host_name)
    _timeout = field_validator("timeout", mode="before")(_as_float)


class SystemSettings(_Strict):
    call_recording: bool = False
    auto_answer_delay: int = Field(default=0, ge=0, le=60)
    max_call_duration: int = Field(default=3600, ge=10, le=86_400)
    queue_timeout: int = Field(default=300, ge=5, le=3600)
    callback_enabled: bool = False
    sms_notifications: bool = False
    email_notifications: bool = False
    wrapup_time: float = Field(default=5.0, ge=0, le=600)
    api_rate_limit_per_minute: int = Field(default=100, ge=1, le=100_000)
    asterisk_config: AsteriskConfig = Field(default_factory=AsteriskConfig)

    _wrapup = field_validator("wrapup_time", mode="before")(_as_float)


class AsteriskTest(_Strict):
    """`POST /api/admin/settings/asterisk/test`: the document's body; a missing password uses the stored one."""

    host: str
    port: int = Field(ge=1, le=65535)
    username: str = Field(default="", max_length=64)
    password: str | None = Field(default=None, max_length=256)
    protocol: Literal["AMI"] = "AMI"
    timeout: float = Field(default=5.0, ge=0.1, le=30)

    _host = field_validator("host")(_host_name)
    _timeout = field_validator("timeout", mode="before")(_as_float)


def merged(current: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    """`change` over `current`, one level into `asterisk_config` (a PUT may send only what it changes); the
    read-only fields dropped (what a GET answered can be sent back as it is); the masked or absent password
    keeps the current one."""
    out = {**current, **{k: v for k, v in change.items() if k not in READ_ONLY}}
    if isinstance(change.get("asterisk_config"), dict):
        given_fields = {k: v for k, v in change["asterisk_config"].items() if k != "password_set"}  # read-only
        asterisk = {**current.get("asterisk_config", {}), **given_fields}
        given = change["asterisk_config"].get("password", MASK)
        asterisk["password"] = current.get("asterisk_config", {}).get("password") if given in (MASK, None) else given
        out["asterisk_config"] = asterisk
    return out
