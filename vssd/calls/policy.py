"""A campaign's compliance policy and its jurisdiction presets.

`Policy` is what the dial gate checks before every call (window, holidays, attempts, SIM caps, slot cool-down)
and what the dialer paces by (ring time floor, abandon cap, connect-within, abandon message):

    policy = Policy.preset("us_tsr", tz="America/New_York", max_attempts_day=3)
    policy.ring_timeout_s(10)      # 15.0: never under the floor
    Policy.preset("none")          # manual calls: only the per-number lock, DNC and a dialable number

US TSR (16 CFR 310.4(b)(4)): abandoned calls ≤ 3 % of calls answered by a person, per campaign per successive
30-day period; an abandoned call is one not connected to a sales representative within 2 s of the greeting;
ring at least 15 s (or 4 rings); a recorded message with the seller's name and a call-back number on abandon;
calls only between 8 am and 9 pm at the callee's location. There is no answering-machine detection here, so every
answered call counts as answered by a person. The proof that a campaign kept it is the store's ledger
(`CampaignStore.ledger`, `GET /api/autodialer/campaigns/{id}/ledger`); the pacer keeps the running period.
"""

from __future__ import annotations

import math
from datetime import date, time
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from vssd.calls.caps import SimCaps
from vssd.calls.window import Window

RING_FLOOR_S = 15.0


class Policy(BaseModel):
    """One campaign's compliance policy (immutable; build from JSON with `Policy.model_validate`). None on a cap
    means no cap. Window times are the callee's local wall-clock time, `window_end` exclusive."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = "custom"
    # calling window
    window_start: time | None = None
    window_end: time | None = None
    weekdays: frozenset[int] = frozenset(range(7))  # 0 = Monday
    holidays: frozenset[date] = frozenset()
    tz: str = "UTC"  # zone when neither the number nor the lead tells one
    trust_lead_tz: bool = False  # a lead's own zone replaces the number's (else it is only the unknown fallback)
    require_valid: bool = True  # phonenumbers must call the number valid (campaigns); False: any dialable string
    # attempts per number (across campaigns and manual calls)
    max_attempts_day: int | None = Field(default=None, ge=0)  # per local day, in every zone the number may be in
    max_attempts_total: int | None = Field(default=None, ge=0)
    busy_retry_s: float = Field(default=60.0, gt=0)  # retry_at offered when the number is busy
    # per-SIM caps (ICCID/IMSI key); days in the gate's SIM zone, months from `sim_reset_day`
    sim_calls_day: int | None = Field(default=None, ge=0)
    sim_minutes_day: float | None = Field(default=None, ge=0)
    sim_calls_month: int | None = Field(default=None, ge=0)
    sim_minutes_month: float | None = Field(default=None, ge=0)
    sim_reset_day: int = Field(default=1, ge=1, le=31)  # 31 in a 30-day month: the month's last day
    # slot cool-down: after N consecutive route failures (congestion/unavailable/failed), rest M seconds
    slot_failures: int | None = Field(default=None, ge=1)
    slot_cooldown_s: float = Field(default=0.0, ge=0)
    # pacing and compliance
    ring_floor_s: float = RING_FLOOR_S
    abandon_cap_pct: float = Field(default=3.0, ge=0, le=100)
    connect_within_s: float = Field(default=2.0, gt=0)
    period_days: int = Field(default=30, ge=1)
    abandon_message_required: bool = False

    @field_validator("ring_floor_s")
    @classmethod
    def _ring_floor(cls, value: float) -> float:
        if not value >= RING_FLOOR_S:
            raise ValueError(f"ring time floor {value} s is under {RING_FLOOR_S:g} s")
        return value

    @field_validator("tz")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as err:
            raise ValueError(f"unknown time zone {value!r}") from err
        return value

    @model_validator(mode="after")
    def _window_ok(self) -> Policy:
        if (self.window_start is None) != (self.window_end is None):
            raise ValueError("window_start and window_end go together")
        _ = self.window  # refuse a bad window at construction
        return self

    # Derived once per (immutable) policy: the gate reads them on every call.
    @cached_property
    def window(self) -> Window:
        """The calling window (hours, weekdays, holidays) as a `vssd.calls.window.Window`."""
        return Window(self.window_start, self.window_end, self.weekdays, self.holidays)

    @cached_property
    def has_window(self) -> bool:
        return not self.window.always_open

    @cached_property
    def sim_caps(self) -> SimCaps:
        return SimCaps(self.sim_calls_day, self.sim_minutes_day, self.sim_calls_month, self.sim_minutes_month,
                       self.sim_reset_day)

    @cached_property
    def has_sim_caps(self) -> bool:
        caps = (self.sim_calls_day, self.sim_minutes_day, self.sim_calls_month, self.sim_minutes_month)
        return any(cap is not None for cap in caps)

    def ring_timeout_s(self, requested: float | None = None) -> float:
        """The ring time to dial with: `requested`, never under the floor (15 s)."""
        if requested is None or not math.isfinite(requested):
            return self.ring_floor_s
        return max(float(requested), self.ring_floor_s)

    @classmethod
    def preset(cls, name: str, **overrides: Any) -> Policy:
        """A jurisdiction preset (`us_tsr`, `none`), optionally with fields overridden."""
        try:
            base = PRESETS[name]
        except KeyError:
            raise ValueError(f"unknown policy preset {name!r} (known: {', '.join(sorted(PRESETS))})") from None
        return cls.model_validate({**base, **overrides})


PRESETS: dict[str, dict[str, Any]] = {
    # US Telemarketing Sales Rule: 3 % abandons of answered calls per 30-day period, 2 s to connect, 15 s ring,
    # recorded message on abandon, 8:00–21:00 at the callee's location.
    "us_tsr": {
        "name": "us_tsr", "window_start": time(8), "window_end": time(21), "abandon_cap_pct": 3.0,
        "connect_within_s": 2.0, "ring_floor_s": RING_FLOOR_S, "period_days": 30,
        "abandon_message_required": True, "require_valid": True,
    },
    # Manual calls: no window, no caps, any dialable string (extensions, USSD) — the lock and DNC still apply.
    "none": {
        "name": "none", "require_valid": False, "abandon_cap_pct": 100.0, "abandon_message_required": False,
    },
}
