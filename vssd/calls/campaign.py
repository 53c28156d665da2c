"""A campaign's settings, as the API takes them (the operating manual's max_concurrent_calls, retry_count,
retry_delay) plus the dial mode, pacing and compliance policy. Stored as `campaigns.settings` (jsonb); validated
on the way in (unknown keys are refused, so a typo never silently does nothing)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, model_validator

from vssd.calls.gate import DialRefused, check_valid, normalise
from vssd.calls.policy import Policy

DialMode = Literal["preview", "progressive", "ratio", "predictive"]


class AbandonMessage(BaseModel):
    """What an answered call with no operator in time hears (TSR: seller's name and a call-back number)."""

    model_config = ConfigDict(extra="forbid")
    seller_name: str = Field("VSS", min_length=1, max_length=120)
    callback_number: str = Field("+10000000000", min_length=3, max_length=32)


class CampaignSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_concurrent_calls: int = Field(50, ge=1, le=10_000)
    retry_count: int = Field(3, ge=0, le=50, description="redials after the first attempt (callee outcomes)")
    retry_delay: float = Field(300.0, ge=0, le=30 * 86400, description="seconds between attempts of one lead")
    mode: DialMode = "progressive"
    ratio: float = Field(1.5, ge=1.0, le=10.0, description="calls per free operator in ratio mode")
    policy: str = Field("us_tsr", description="compliance preset: us_tsr | none")
    slot_type: Literal["AUTO", "MF", "LS"] | None = None
    caller_id: str = Field("", max_length=64)
    ring_timeout_s: float = Field(25.0, ge=15.0, le=120.0, description="never under 15 s (TSR)")
    abandon_message: AbandonMessage = Field(default_factory=AbandonMessage)
    default_tz: str = Field("UTC", description="zone for numbers whose zone cannot be told from the number")
    abandon_cap_pct: float | None = Field(None, gt=0, le=100, description="a stricter abandon cap than the "
                                          "policy's (percent of answered calls per period)")

    @model_validator(mode="after")
    def _known_policy(self) -> CampaignSettings:
        if self.policy not in ("us_tsr", "none"):
            raise ValueError(f"policy must be us_tsr or none, not {self.policy!r}")
        return self

    @property
    def max_attempts(self) -> int:
        return 1 + self.retry_count


# ---- leads as the API takes them ---------------------------------------------------------------------------
LEAD_KEYS = ("phone", "number", "name", "tz", "data", "region")
MAX_LEADS_PER_REQUEST = 100_000


def parse_leads(items: Any, region: str | None = None,
                policy: Policy | None = None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Leads in either documented shape (the operating manual's `{"phone", "name"}`, the WORKSPACE API's
    `{"number", "name"}`), optional `tz` (IANA) and `data` (object). Returns (valid rows for the store, rejected
    [{index, reason}]): one bad row never loses the others. With `policy`, a number the dial gate would refuse as
    `invalid_number` is rejected here (the gate's own rule, `check_valid`)."""
    if not isinstance(items, list):
        raise ValueError("INVALID_PARAMS", "leads must be an array")
    if len(items) > MAX_LEADS_PER_REQUEST:
        raise ValueError("INVALID_PARAMS", f"at most {MAX_LEADS_PER_REQUEST} leads per request")
    valid: list[dict[str, Any]] = []
    rejected: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        try:
            valid.append(_lead_row(item, region, policy))
        except DialRefused as err:
            rejected.append(_rejection(index, item, err.reason, err.message))
        except ValueError as err:
            rejected.append(_rejection(index, item, "invalid_lead", str(err.args[-1])))
    return valid, rejected


def _rejection(index: int, item: Any, reason: str, message: str) -> dict[str, Any]:
    """One rejected row: its index, the number as given (when there is one), a reason code (`invalid_number`,
    the dial gate's; `invalid_lead` for a malformed row) and a message a person can act on."""
    phone = item.get("phone", item.get("number")) if isinstance(item, dict) else item
    row: dict[str, Any] = {"index": index, "reason": reason, "message": message}
    if isinstance(phone, str | int) and not isinstance(phone, bool):
        row["phone"] = str(phone)
    return row


def _lead_row(item: Any, region: str | None, policy: Policy | None = None) -> dict[str, Any]:
    if isinstance(item, str):
        item = {"phone": item}
    if not isinstance(item, dict):
        raise ValueError("a lead is an object with phone (or number) and name")
    phone = item.get("phone", item.get("number"))
    if not isinstance(phone, str | int) or isinstance(phone, bool) or not str(phone).strip():
        raise ValueError("phone (or number) is required")
    e164 = normalise(str(phone), item.get("region") if isinstance(item.get("region"), str) else region)
    if policy is not None:
        check_valid(e164, str(phone), policy)
    name = item.get("name", "")
    if not isinstance(name, str) or len(name) > 200:
        raise ValueError("name must be a string of at most 200 characters")
    tz = item.get("tz")
    if tz is not None and not _known_zone(tz):
        raise ValueError(f"tz {tz!r} is not an IANA time zone")
    data = item.get("data", {})
    if not isinstance(data, dict):
        raise ValueError("data must be an object")
    return {"phone": str(phone).strip(), "phone_e164": e164 if e164.startswith("+") else None, "name": name,
            "tz": tz, "data": data}


def _known_zone(tz: Any) -> bool:
    if not isinstance(tz, str) or not tz or len(tz) > 64:
        return False
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def parse_csv(text: str) -> list[dict[str, Any]]:
    """CSV with a header row naming `phone` (or `number`), and optionally `name`, `tz`; other columns go to
    `data`. A file with no header names is read as phone[,name] per line."""
    rows = list(csv.reader(io.StringIO(text)))
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        return []
    header = [h.strip().lower() for h in rows[0]]
    if "phone" in header or "number" in header:
        out = []
        for r in rows[1:]:
            record = dict(zip(header, (c.strip() for c in r), strict=False))
            extra = {k: v for k, v in record.items() if k not in LEAD_KEYS}
            lead: dict[str, Any] = {k: v for k, v in record.items() if k in LEAD_KEYS and v}
            lead["data"] = extra
            out.append(lead)
        return out
    return [{"phone": r[0].strip(), "name": r[1].strip() if len(r) > 1 else ""} for r in rows]


def policy_for(settings: CampaignSettings) -> Policy:
    """The campaign's compliance policy: its preset, zoned by the campaign's default zone."""
    overrides: dict[str, Any] = {"tz": settings.default_tz}
    if settings.abandon_cap_pct is not None:
        overrides["abandon_cap_pct"] = min(settings.abandon_cap_pct, Policy.preset(settings.policy).abandon_cap_pct)
    return Policy.preset(settings.policy, **overrides)


def abandon_cap(policy: Policy) -> float:
    """The policy's abandon cap as a fraction the pacer takes (0 < cap < 1)."""
    return min(max(policy.abandon_cap_pct / 100.0, 0.001), 0.99)


class DeadLetterLike(Protocol):
    """What the dialer reads and the store keeps of a dead letter — the actors' `DeadLetter`, the adapters'
    `DeadMessage` — here, beside the campaign's other shared types, so both sides name one structural type
    (adapters never import actors)."""

    @property
    def reason(self) -> str: ...

    @property
    def queue(self) -> str: ...

    @property
    def body(self) -> bytes: ...

    @property
    def message_id(self) -> str | None: ...

    @property
    def headers(self) -> dict[str, Any]: ...


@dataclass(slots=True)
class Reservation:
    """What `LeadStore.reserve` returns (vssd/actors/dialer_ports.py): the lead now `dialing`, one attempt
    `reserved`. Here, beside the campaign's other shared types, so the store and the dialer name one class."""

    attempt_id: str
    lead_id: int
    campaign_id: str
    phone: str
    attempt_no: int
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True, frozen=True)
class ReserveAsk:
    """One reservation `LeadStore.reserve_many` is asked for: this lead, dialled as `attempt_id` on `slot_id`."""

    lead_id: int
    attempt_id: str
    slot_id: str
    number: str
    sim_key: str | None = None


@dataclass(slots=True, frozen=True)
class AttemptEnd:
    """One attempt's outcome for `LeadStore.finish_attempts`: the attempt final, its lead to `lead_status`
    (`retry` at `retry_at`, or a final status)."""

    attempt_id: str
    outcome: str
    answered: bool
    abandoned: bool
    operator_id: str | None
    talk_s: float | None
    lead_status: str
    retry_at: float | None = None
