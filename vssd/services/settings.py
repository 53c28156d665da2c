"""The system settings' live side: the key that encrypts their secrets, their defaults (the daemon's config),
and what a saved change does to the running daemon — without a restart:

- `wrapup_time` → the operators' wrap-up after each campaign call (`OperatorPool.wrapup_s`: the next wrap-up);
- `api_rate_limit_per_minute` → the API's per-user request limit (`ApiDeps.api_per_minute`: the next request),
  when rate limits are enabled in the config (`rate_limits.enabled`; off, the value is stored and not applied).

The other fields (recording, notifications, call and queue limits, the Asterisk connection) are stored and
answered; the AMI link itself stays the config's (`[ami]`), the settings' Asterisk block is what the test tries.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from vssd.adapters.secret_box import new_key
from vssd.api.deps import ApiDeps
from vssd.config.models import Config
from vssd.services.dialing import DialingService


def settings_key(config: Config) -> str:
    """The configured key; in demo mode without one, a key generated once and kept in the state directory
    (`settings_key`, mode 0600). Production mode without a key never gets here: the config is refused."""
    if config.auth.settings_key is not None:
        return config.auth.settings_key.get_secret_value().strip()
    if config.mode != "demo":
        raise RuntimeError("production config without auth.settings_key passed validation")
    path = Path(config.state.dir) / "settings_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(new_key())
        path.chmod(0o600)
    return path.read_text().strip()


def _within(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)


def defaults(config: Config) -> dict[str, Any]:
    """What settings never saved read as: the values the daemon was started with (bounded to the model's)."""
    ami, slots = config.ami, config.slots
    return {"wrapup_time": _within(slots.wrapup_s, 0, 600),
            "max_call_duration": int(_within(slots.max_call_duration_s, 10, 86_400)),
            "api_rate_limit_per_minute": int(_within(config.rate_limits.api_per_minute, 1, 100_000)),
            "asterisk_config": {"host": ami.host, "port": ami.port, "username": ami.username,
                                "timeout": _within(ami.connect_timeout_s, 0.5, 60), "enabled": True}}


class LiveSettings:
    """Applies saved settings to the running daemon (the API calls it after each change; start-up once)."""

    def __init__(self, config: Config, dialing: DialingService) -> None:
        self.config, self.dialing = config, dialing
        self.deps: ApiDeps | None = None

    def apply(self, values: Mapping[str, Any]) -> None:
        operators = self.dialing.operators
        if operators is not None and "wrapup_time" in values:
            operators.wrapup_s = float(values["wrapup_time"])
        if self.deps is not None and self.config.rate_limits.enabled and "api_rate_limit_per_minute" in values:
            self.deps.api_per_minute = int(values["api_rate_limit_per_minute"])
