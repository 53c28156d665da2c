"""Manual calls, call history and the PBX view for the API: the `CallDesk` and `PbxDesk` ports of
`vssd/api/ports.py`, over the slot farm, the AMI call pump, the store and the one dial gate.

A manual call takes a lease on its number from the `DialGate` before anything is dialled; the lease is held
until the call has an outcome (`on_final`, or found ended on the next gate check) — never two live calls to
one number. Refusals are `DialRefused(reason, message)`; the API maps the reason to a status and code.

Wiring (vssd/app.py): `CallControl(farm, pump, store_history, store.writer, live=…, recent=…)`.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from vssd.actors.slot import SlotBusy
from vssd.calls.gate import DialGate, DialRefused, Lease
from vssd.calls.model import Call
from vssd.fsm import TransitionNotAllowed
from vssd.fsm.types import SlotType
from vssd.views.calls import call_view, iso, row_view, seed_view

SLOT_TYPES = tuple(t.value for t in SlotType)
DIALABLE = "free"
OFFLINE = ("offline", "error")
OWNERS_KEPT = 10_000  # call → starter, newest kept; the store keeps them all (calls.user_id)
DEFAULT_CONTEXT = "vssd-connect"
LiveCalls = Callable[[], Iterable[tuple[Call, str]]]


class SlotViews(Protocol):
    """Slot views as the API shows them (`SlotFarm`, or `SlotControl` with trunk names)."""

    def slot_views(self) -> list[dict[str, Any]]: ...

    def slot_view(self, slot_id: str) -> dict[str, Any] | None: ...


class SlotCommands(SlotViews, Protocol):
    """What CallControl needs of the slot farm (`SlotFarm` implements it)."""

    async def command(self, slot_id: str, name: str, timeout_s: float = 10.0, **args: Any) -> Any: ...


class AmiLinkLike(Protocol):
    @property
    def is_up(self) -> bool: ...

    version: str

    async def send(self, headers: dict[str, str | list[str]], timeout_s: float | None = None) -> Any: ...


class PbxLike(Protocol):
    """What CallControl needs of the AMI call pump (`CallPump` implements it)."""

    @property
    def link(self) -> AmiLinkLike: ...

    async def endpoints(self) -> Sequence[Mapping[str, str]]: ...


class CallHistory(Protocol):
    """Stored calls (`vssd.adapters.store_calls.StoreCallHistory` implements it); rows are the columns of
    `calls` (times as datetimes); filters: see `StoreCallHistory.FILTERS`."""

    async def find_calls(self, limit: int, offset: int,
                         filters: Mapping[str, str]) -> tuple[list[dict[str, Any]], int]: ...

    async def find_call(self, call_id: str) -> dict[str, Any] | None: ...

    async def legs_of(self, attempt_id: str) -> list[dict[str, Any]]: ...


class CallNotes(Protocol):
    """Non-blocking CDR writes (`BatchWriter.submit_call`)."""

    def submit_call(self, attempt_id: str, **fields: Any) -> None: ...


def _slot_key(value: Any) -> str:
    return str(value).strip()


def _user_uuid(user_id: str | None) -> str | None:
    try:
        return str(uuid.UUID(user_id)) if user_id else None
    except ValueError:
        return None


class CallControl:
    """Implements the API's CallDesk and PbxDesk ports. `live`/`recent` give (Call, slot_id) pairs: the
    farm's current calls and the daemon's recently finished ones; `views` (default: the farm) are the slot
    views that pick slots and name trunks."""

    def __init__(self, farm: SlotCommands, pbx: PbxLike, history: CallHistory, notes: CallNotes, *,
                 live: LiveCalls, recent: LiveCalls, gate: DialGate | None = None,
                 clock: Callable[[], float] | None = None, views: SlotViews | None = None) -> None:
        self.farm = farm
        self.views: SlotViews = views if views is not None else farm
        self.pbx = pbx
        self.history = history
        self.notes = notes
        self.gate = gate or DialGate()
        self._live = live
        self._recent = recent
        self._clock = clock
        self._leases: dict[str, tuple[Call, Lease]] = {}
        self._owners: OrderedDict[str, str] = OrderedDict()

    # ---- the dial gate ---------------------------------------------------------------------------------------
    def on_final(self, call: Call) -> None:
        """The PBX ended a call: free its number at once (else the next gate check finds it ended)."""
        held = self._leases.pop(call.call_id, None)
        if held is not None:
            held[1].release()

    def _sweep(self) -> None:
        for call_id, (call, lease) in list(self._leases.items()):
            if call.outcome is not None:
                lease.release()
                del self._leases[call_id]

    def _acquire(self, number: str) -> Lease:
        self._sweep()
        return self.gate.acquire(number)

    # ---- starting and ending ---------------------------------------------------------------------------------
    async def start_call(self, number: str, slot: str, *, caller_id: str = "", user_id: str | None = None,
                         trunk: str | None = None) -> dict[str, Any]:
        """Dial `number` on slot `slot` (an id, `slot_<id>`, or a type: AUTO/MF/LS picks a free slot of that
        type), optionally only on `trunk` (id or name)."""
        candidates = self._candidates(_slot_key(slot), trunk)
        lease = self._acquire(number)
        try:
            call, slot_id = await self._dial(candidates, lease.number, caller_id)
        except BaseException:
            lease.release()
            raise
        if call.outcome is not None:
            lease.release()
            raise DialRefused("call_failed", f"the PBX refused the call: {call.note or call.outcome}")
        self._leases[call.call_id] = (call, lease)
        self._remember(call, user_id, caller_id)
        view = seed_view(call_view(call, slot_id), self._owners.get(call.call_id))
        view.update(state="RING", caller_id=caller_id or None, phone_number=lease.number, number=lease.number)
        return view

    def _candidates(self, slot: str, trunk: str | None = None) -> list[str]:
        """Slot ids to try, in order; refusals: no_slot, slot_busy, slot_offline."""
        if slot.upper() in SLOT_TYPES:
            views = [v for v in self.views.slot_views() if str(v.get("type")) == slot.upper()]
            busy, offline = f"every {slot.upper()} slot is busy", f"no {slot.upper()} slot is online"
        else:
            view = self.views.slot_view(slot.removeprefix("slot_"))
            if view is None:
                raise DialRefused("no_slot", f"slot {slot} not found")
            views, busy, offline = [view], f"slot {slot} is busy", f"slot {slot} is offline"
        if trunk:
            views = [v for v in views if trunk in {str(v.get(k)) for k in ("trunk_id", "trunk_name", "trunk")}]
            if not views:
                raise DialRefused("no_slot", f"no slot {slot} on trunk {trunk}")
        free = [_slot_key(v["id"]) for v in views if v.get("status") == DIALABLE]
        if free:
            return free
        if any(v.get("status") not in OFFLINE for v in views):
            raise DialRefused("slot_busy", busy)
        raise DialRefused("slot_offline", offline)

    async def _dial(self, candidates: list[str], number: str, caller_id: str) -> tuple[Call, str]:
        """The first candidate whose actor takes the dial. A slot taken (or removed) meanwhile passes to the next;
        an actor that does not answer in time stops the search (its dial may still run: never dial twice)."""
        last: Exception | None = None
        for slot_id in candidates:
            try:
                call = await self.farm.command(slot_id, "dial", number=number, caller_id=caller_id)
            except (SlotBusy, TransitionNotAllowed, KeyError) as err:
                last = err
                continue
            except TimeoutError as err:
                raise DialRefused("call_failed", f"slot {slot_id} did not answer the dial in time") from err
            return call, slot_id
        raise DialRefused("slot_busy", f"no slot took the call ({last})")

    def _remember(self, call: Call, user_id: str | None, caller_id: str) -> None:
        owner = _user_uuid(user_id)
        if owner is not None:
            self._owners[call.call_id] = owner
            if call.operator_id is None:  # the call is theirs: its views and events say so from now on
                call.operator_id = owner
            while len(self._owners) > OWNERS_KEPT:
                self._owners.popitem(last=False)
        attempt_id = call.attempt.action_id if call.attempt else call.call_id
        fields = {k: v for k, v in (("user_id", owner), ("caller_id", caller_id or None)) if v is not None}
        if fields:
            self.notes.submit_call(attempt_id, **fields)

    async def end_call(self, call_id: str) -> dict[str, Any] | None:
        """Hang a live call up through its slot's actor (an AMI Hangup); None when no such call."""
        found = self._live_call(call_id)
        if found is None:
            return await self.get_call(call_id)
        call, slot_id = found
        try:
            await self.farm.command(slot_id, "hangup")
        except Exception as err:
            raise DialRefused("call_failed", f"could not hang up {call_id}: {err}") from err
        return seed_view(call_view(call, slot_id), self.owner_of_live(call_id))

    # ---- reading ---------------------------------------------------------------------------------------------
    def _live_call(self, call_id: str) -> tuple[Call, str] | None:
        return next(((c, s) for c, s in self._live() if c.call_id == call_id and c.outcome is None), None)

    def owner_of_live(self, call_id: str) -> str | None:
        return self._owners.get(call_id)

    def active_calls(self) -> list[dict[str, Any]]:
        self._sweep()
        return [seed_view(call_view(c, s), self._owners.get(c.call_id)) for c, s in self._live()
                if c.outcome is None]

    async def get_call(self, call_id: str) -> dict[str, Any] | None:
        for call, slot_id in [*self._live(), *self._recent()]:
            if call.call_id == call_id:
                return seed_view(call_view(call, slot_id), self._owners.get(call_id))
        row = await self.history.find_call(call_id)
        if row is None:
            return None
        owner = str(row["user_id"]) if row.get("user_id") else None
        return seed_view(row_view(row), owner)

    async def list_calls(self, limit: int, offset: int,
                         filters: Mapping[str, str]) -> tuple[list[dict[str, Any]], int]:
        """Stored calls, newest first; a call still live shows its live state."""
        rows, total = await self.history.find_calls(limit, offset, filters)
        live = {c.call_id: (c, s) for c, s in self._live()}
        out = []
        for row in rows:
            owner = str(row["user_id"]) if row.get("user_id") else None
            hit = live.get(str(row.get("call_id")))
            view = call_view(*hit) if hit is not None and hit[0].outcome is None else row_view(row)
            out.append(seed_view(view, owner))
        return out, total

    async def cdr(self, call_id: str) -> dict[str, Any] | None:
        """One stored call with its legs (by `c_<n>` or attempt id)."""
        row = await self.history.find_call(call_id)
        if row is None:
            return None
        owner = str(row["user_id"]) if row.get("user_id") else None
        record = seed_view(row_view(row), owner)
        record["legs"] = [{k: iso(v) if isinstance(v, datetime) else v for k, v in leg.items() if k != "id"}
                          for leg in await self.history.legs_of(str(row["attempt_id"]))]
        return record

    # ---- the PBX ---------------------------------------------------------------------------------------------
    async def pbx_status(self) -> dict[str, Any]:
        """Trunk and endpoint states as the AMI link reports them now (PJSIPShowEndpoints)."""
        link = self.pbx.link
        rows: Sequence[Mapping[str, str]] = []
        if link.is_up:
            try:
                rows = await self.pbx.endpoints()
            except Exception:  # the link dropped meanwhile: report it down
                rows = []
        up = link.is_up
        now = iso(self._clock() if self._clock else datetime.now(UTC))
        by_endpoint = {str(v.get("internal_sip_number")): v for v in self.views.slot_views()}
        endpoints = [_endpoint(r, by_endpoint) for r in rows]
        return {"link": {"up": up, "version": link.version or None}, "endpoints": endpoints,
                "trunks": _trunks(by_endpoint.values(), {e["name"]: e for e in endpoints}, up, now),
                "checked_at": now}

    async def route_call(self, call_id: str, exten: str, context: str = DEFAULT_CONTEXT) -> dict[str, Any]:
        """Send a live call's connect side to `exten`@`context` (AMI Redirect)."""
        found = self._live_call(call_id)
        if found is None:
            raise DialRefused("not_live", f"call {call_id} is not live")
        call, slot_id = found
        channel = call.connect_channel
        if channel is None:
            raise DialRefused("not_live", f"call {call_id} has no live channel to route")
        try:
            await self.pbx.link.send({"Action": "Redirect", "Channel": channel, "Context": context,
                                      "Exten": exten, "Priority": "1"})
        except Exception as err:
            raise DialRefused("pbx_refused", f"the PBX refused the route: {err}") from err
        view = seed_view(call_view(call, slot_id), self._owners.get(call_id))
        view.update(routed_to={"exten": exten, "context": context, "channel": channel})
        return view


def _endpoint(row: Mapping[str, str], slots: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    name = row.get("objectname", "")
    contacts = [c for c in row.get("contacts", "").split(",") if c.strip()]
    state = row.get("devicestate", "") or "Unknown"
    slot = slots.get(name)
    return {"name": name, "state": state, "reachable": state != "Unavailable" and bool(contacts),
            "contacts": len(contacts), "slot_id": slot.get("id") if slot else None}


def _trunks(slots: Iterable[Mapping[str, Any]], endpoints: Mapping[str, Mapping[str, Any]], up: bool,
            now: str | None) -> list[dict[str, Any]]:
    """One row per trunk the slots are enrolled on: OK (every endpoint reachable), WARN (some), FAIL (none)."""
    groups: dict[str, list[bool]] = {}
    for view in slots:
        trunk = view.get("trunk_name") or view.get("trunk_id")
        if trunk is None:
            continue
        endpoint = endpoints.get(str(view.get("internal_sip_number")))
        groups.setdefault(str(trunk), []).append(bool(up and endpoint and endpoint["reachable"]))
    out = []
    for name, reach in sorted(groups.items()):
        failed = reach.count(False)
        state = "OK" if failed == 0 else ("FAIL" if failed == len(reach) else "WARN")
        out.append({"name": name, "state": state, "failed": failed, "endpoints": len(reach), "last_check": now})
    return out
