"""PbxSimulator: an Asterisk 18/20-like AMI peer on TCP with a ledger, fault controls and a fast clock."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import random

from vssd.sim.pbx import channel as evs
from vssd.sim.pbx.actions import HANDLERS, UNAUTHENTICATED, resp
from vssd.sim.pbx.blast import blast_calls
from vssd.sim.pbx.calls import InboundCall, Interruptible
from vssd.sim.pbx.channel import Event, SimChannel
from vssd.sim.pbx.clock import SimClock
from vssd.sim.pbx.config import PbxConfig, validate_weights
from vssd.sim.pbx.core import PbxCore
from vssd.sim.pbx.ledger import ActionRecord, ChannelRecord, Ledger
from vssd.sim.pbx.outcomes import OutcomePicker
from vssd.sim.pbx.session import AmiSession
from vssd.sim.pbx.wire import Action, encode
from vssd.tasks import TaskSet

log = logging.getLogger("vssd.sim.pbx")
ENDPOINT_STATES = ("registered", "unregistered", "unreachable")


def require_loopback(host: str) -> None:
    if host == "localhost":
        return
    try:
        ok = ipaddress.ip_address(host).is_loopback
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"the PBX simulator binds loopback addresses only, not {host!r}")


class PbxSimulator:
    def __init__(self, config: PbxConfig) -> None:
        self.config = config
        self.clock = SimClock(config.time_scale)
        self.ledger = Ledger()
        self.core = PbxCore(config, self.clock, self.ledger, self._emit)
        self.picker = OutcomePicker(config)
        self.tasks = TaskSet("pbx-sim")
        self.sessions: set[AmiSession] = set()
        self.silent = False
        self.read_delay_s = 0.0
        self.write_delay_s = 0.0
        self.host = ""
        self.port = 0
        self._server: asyncio.Server | None = None
        self._calls: dict[Interruptible, asyncio.Task[None]] = {}
        self._client_seq = 0
        self._challenge_rng = random.Random(config.seed ^ 0x5EED)
        self._endpoint_state = {ep.name: "registered" if ep.registered else "unregistered"
                                for ep in config.all_endpoints()}

    # ---- lifecycle -----------------------------------------------------------------------------------
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        require_loopback(host)
        self._server = await asyncio.start_server(self._on_connect, host, port)
        sock = self._server.sockets[0].getsockname()
        self.host, self.port = sock[0], sock[1]
        log.info("PBX simulator listening on %s:%s (time_scale=%s)", self.host, self.port, self.config.time_scale)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for s in list(self.sessions):
            s.abort()
        await self.tasks.cancel_all()
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._client_seq += 1
        session = AmiSession(self, reader, writer, self._client_seq)
        self.sessions.add(session)
        self.tasks.spawn(session.run(), f"ami-session-{self._client_seq}")

    # ---- events and actions --------------------------------------------------------------------------
    def _emit(self, event: Event) -> None:
        data: bytes | None = None
        for s in list(self.sessions):
            if s.accepts(event.category):
                data = data or encode(event.wire_headers(self.config.system_name))
                s.send_raw(data)

    async def handle_action(self, session: AmiSession, action: Action) -> None:
        name = action.name.lower()
        headers = {k: ("***" if k.lower() in ("secret", "key") else v) for k, v in action.as_dict().items()}
        self.ledger.actions.append(ActionRecord(session.client_id, action.name, action.action_id, headers,
                                                self.clock.now(), ignored=self.silent))
        if self.silent:
            return
        if not name:
            session.send(resp(action, "Error", "Missing action in request"))
            return
        if not session.authenticated and name not in UNAUTHENTICATED:
            session.send(resp(action, "Error", "Permission denied"))
            return
        handler = HANDLERS.get(name)
        if handler is None:
            session.send(resp(action, "Error", "Invalid/unknown command"))
            return
        try:
            await handler(self, session, action)
        except Exception:
            log.exception("action %s failed", action.name)
            session.send(resp(action, "Error", "Internal error"))

    def rng_challenge(self) -> int:
        return self._challenge_rng.randrange(100_000_000, 999_999_999)

    # ---- calls ---------------------------------------------------------------------------------------
    def start_call(self, call: Interruptible, name: str) -> None:
        task = self.tasks.spawn(call.run(), name)
        self._calls[call] = task
        task.add_done_callback(lambda _t: self._calls.pop(call, None))

    def request_hangup(self, ch: SimChannel, cause: int = 16) -> None:
        call = ch.call
        if isinstance(call, Interruptible) and call in self._calls:
            call.request_hangup(ch, cause)
        else:
            self.core.hangup(ch, cause)

    def live_channels(self) -> list[ChannelRecord]:
        return [self.ledger.channels[uid] for uid in self.core.channels if uid in self.ledger.channels]

    def script(self, number: str, outcome: str | None, ring_s: float | None = None,
               talk_s: float | None = None) -> None:
        """Make every next call to `number` end with `outcome` until cleared with `outcome=None`. A `ring_s` or
        `talk_s` of HOLD rings or talks until `settle()` (or a Hangup action) ends it."""
        self.picker.script(number, outcome, ring_s=ring_s, talk_s=talk_s)

    def settle(self, key: str | None = None) -> int:
        """End the held phase of live calls with a HOLD in their script — every such call, or those `key` names
        (the number dialled, the slot endpoint, the Originate's ChannelId or ActionID; an inbound call's
        uniqueid, endpoint or caller). A held ring reaches its outcome, a held talk ends with the far end
        hanging up; a call held in both needs two settles. A call not yet in its held phase ends it as soon as
        it gets there. Returns how many calls were released."""
        hits = self._held(key)
        for call in hits:
            call.release()
        return len(hits)

    def held_calls(self, key: str | None = None) -> int:
        """How many live calls (named by `key`, as in settle()) have a HOLD in their script."""
        return len(self._held(key))

    def _held(self, key: str | None) -> list[Interruptible]:
        return [c for c in self._calls if c.holds() and (key is None or key in c.names())]

    def set_weights(self, weights: dict[str, float]) -> dict[str, float]:
        """Replace the outcome mix for every Originate drawn from now on (outcomes not named weigh 0); scripted
        numbers are unaffected. Ledgered in `weight_changes` with the simulated time. ValueError if invalid."""
        valid = validate_weights(dict(weights))
        self.config.outcome_weights = valid
        self.ledger.weight_changes.append((self.clock.now(), dict(valid)))
        return dict(valid)

    def inbound_call(self, endpoint: str, caller: str, talk_s: float = 20.0) -> str:
        """A call from `caller` on a slot's leg, answered by the PBX; talks `talk_s` (HOLD: until settle())."""
        if self.config.endpoint(endpoint) is None:
            raise KeyError(f"unknown endpoint {endpoint!r}")
        call = InboundCall(self.core, endpoint, caller, talk_s)
        self.start_call(call, f"inbound-{call.ch.uniqueid}")
        return call.ch.uniqueid

    # ---- endpoints -----------------------------------------------------------------------------------
    def endpoint_state(self, name: str) -> str:
        return self._endpoint_state.get(name, "unknown")

    def endpoint_reachable(self, name: str) -> bool:
        return self._endpoint_state.get(name) == "registered"

    def set_registered(self, name: str, registered: bool) -> None:
        self.set_endpoint_state(name, "registered" if registered else "unregistered")

    def set_endpoint_state(self, name: str, state: str) -> None:
        """registered / unregistered / unreachable (contact kept, qualify failing)."""
        ep = self.config.endpoint(name)
        if ep is None:
            raise KeyError(f"unknown endpoint {name!r}")
        if state not in ENDPOINT_STATES:
            raise ValueError(f"state must be one of {ENDPOINT_STATES}")
        old = self._endpoint_state[name]
        if old == state:
            return
        self._endpoint_state[name] = state
        ep.registered = state == "registered"
        for event in _registration_events(ep.name, ep.uri, old, state):
            self._emit(event)

    # ---- faults --------------------------------------------------------------------------------------
    async def drop_links(self) -> None:
        """Close every AMI client socket abruptly; calls go on in the PBX."""
        sessions = list(self.sessions)
        for s in sessions:
            s.abort()
        for _ in range(100):
            if not any(s in self.sessions for s in sessions):
                break
            await asyncio.sleep(0.01)

    def go_silent(self, on: bool = True) -> None:
        """Sockets stay open but nothing reaches any client, ever: replies and events are discarded and
        incoming actions are read but not executed (ledgered with ignored=True)."""
        self.silent = on
        if on:
            for s in self.sessions:
                while not s.queue.empty():
                    s.queue.get_nowait()

    async def restart(self) -> None:
        """Links drop, every live channel vanishes without a Hangup, CoreStartupTime changes."""
        await self.drop_links()
        for call, task in list(self._calls.items()):
            call.vanish()
            task.cancel()
        await asyncio.gather(*self._calls.values(), return_exceptions=True)
        self._calls.clear()
        await asyncio.sleep(self.clock.real_s(1.0))
        self.core.vanish_all()

    def set_read_delay(self, seconds: float) -> None:
        self.read_delay_s = max(0.0, seconds)

    def set_write_delay(self, seconds: float) -> None:
        self.write_delay_s = max(0.0, seconds)

    # ---- benchmark feed ------------------------------------------------------------------------------
    async def blast(self, n_events: int) -> int:
        """Stream about `n_events` events (complete answered-call sets) to connected clients in big batches;
        returns the number of events queued per client."""
        return await blast_calls(self, n_events)


def _registration_events(name: str, uri: str, old: str, new: str) -> list[Event]:
    def contact(status: str, rtt: str) -> Event:
        return evs.ev("ContactStatus", [("URI", uri), ("ContactStatus", status), ("AOR", name),
                                        ("EndpointName", name), ("RoundtripUsec", rtt)], category="system")

    def peer(status: str) -> Event:
        return evs.ev("PeerStatus", [("ChannelType", "PJSIP"), ("Peer", f"PJSIP/{name}"),
                                     ("PeerStatus", status)], category="system")

    def device(state: str) -> Event:
        return evs.ev("DeviceStateChange", [("Device", f"PJSIP/{name}"), ("State", state)])

    out: list[Event] = []
    if new == "registered":
        if old == "unregistered":
            out.append(contact("Created", "0"))
        out += [contact("Reachable", "1500"), peer("Reachable"), device("NOT_INUSE")]
    elif new == "unregistered":
        out += [contact("Removed", "0"), peer("Unreachable"), device("UNAVAILABLE")]
    else:
        if old == "unregistered":
            out.append(contact("Created", "0"))
        out += [contact("Unreachable", "0"), peer("Unreachable"), device("UNAVAILABLE")]
    return out
