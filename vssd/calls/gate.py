"""The one dial gate every call passes, manual or campaign: today a per-number lock (never two live calls to
one number); the dialer adds DNC lists, calling windows and caps to the same gate.

Pure and synchronous: `acquire` either hands out a `Lease` or raises `DialRefused` before any await, so two
concurrent requests for one number can never both pass. The caller releases the lease when the call ends
(or when it was never placed).

    gate = DialGate()
    lease = gate.acquire("+380 99 123 45 67")   # DialRefused("number_busy", …) while another lease is held
    …
    lease.release()                              # idempotent
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import phonenumbers

_SEPARATORS = re.compile(r"[\s().\-/]")
_DIALABLE = re.compile(r"\+?[0-9*#]{1,32}\Z")


class DialRefused(Exception):
    """The gate refuses this number now. `reason`: number_busy | invalid_number (the dialer adds dnc, window,
    cap)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def normalise(number: str, region: str | None = None) -> str:
    """The key a number is locked under: E.164 when `phonenumbers` finds it a possible number (international,
    or national with a `region`), else the number without separators. A leading `00` is `+`.

    DialRefused("invalid_number") when nothing dialable is left."""
    text = _SEPARATORS.sub("", number.strip())
    if text.startswith("00"):
        text = "+" + text[2:]
    if not _DIALABLE.match(text):
        raise DialRefused("invalid_number", f"{number!r} is not a dialable number")
    if not (text.startswith("+") or region):
        return text
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return text
    if phonenumbers.is_possible_number(parsed):
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return text


class Lease:
    """One number held by one call. `release()` frees the number (idempotent); usable as a context manager."""

    __slots__ = ("_release", "number", "owner", "released")

    def __init__(self, number: str, owner: Any, release: Callable[[Lease], None]) -> None:
        self.number = number
        self.owner = owner
        self.released = False
        self._release = release

    def release(self) -> None:
        if not self.released:
            self.released = True
            self._release(self)

    def __enter__(self) -> Lease:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def __repr__(self) -> str:
        return f"Lease({self.number!r}, released={self.released})"


class DialGate:
    """Per-number locks. `region` is the default region for numbers without `+` (None: keep them as given)."""

    def __init__(self, region: str | None = None) -> None:
        self.region = region
        self._held: dict[str, Lease] = {}

    def key(self, number: str) -> str:
        return normalise(number, self.region)

    def acquire(self, number: str, owner: Any = None) -> Lease:
        """A lease on `number`, or DialRefused: number_busy (a live call holds it), invalid_number."""
        key = self.key(number)
        if key in self._held:
            raise DialRefused("number_busy", f"a call to {key} is already live")
        lease = Lease(key, owner, self._drop)
        self._held[key] = lease
        return lease

    def holder(self, number: str) -> Lease | None:
        return self._held.get(self.key(number))

    def held(self) -> list[Lease]:
        return list(self._held.values())

    def _drop(self, lease: Lease) -> None:
        if self._held.get(lease.number) is lease:
            del self._held[lease.number]
