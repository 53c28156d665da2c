"""Helpers for the PBX simulator tests: a raw AMI client, the corpus parser and the leg-sequence rule."""

from __future__ import annotations

import asyncio
import collections
import hashlib
import itertools
from dataclasses import dataclass, field
from pathlib import Path

from vssd.sim.pbx import Endpoint, PbxConfig

WAIT_S = 10.0  # how long a test waits for something the simulator does next (generous: CPUs may be loaded)


async def eventually(predicate, timeout_s: float = WAIT_S, step_s: float = 0.01) -> None:
    """Wait for a condition on state other tasks own (no event to wait on); TimeoutError if it never holds."""
    async with asyncio.timeout(timeout_s):
        while not predicate():  # noqa: ASYNC110
            await asyncio.sleep(step_s)

# Events that say nothing about a leg's life cycle; they are dropped from every leg sequence, simulated or
# captured. DialState is here because the corpus' Asterisk predates it (no transcript carries one).
NOISE = frozenset({
    "VarSet", "Newexten", "RTCPSent", "RTCPReceived", "NewCallerid", "NewConnectedLine", "NewAccountCode",
    "Cdr", "OriginateResponse", "FullyBooted", "DeviceStateChange", "HangupRequest", "SoftHangupRequest",
    "HangupHandlerRun", "HangupHandlerPush", "HangupHandlerPop", "DialState",
})

CALLER_KEYS = frozenset({"Channel", "ChannelState", "ChannelStateDesc", "CallerIDNum", "CallerIDName",
                         "ConnectedLineNum", "ConnectedLineName", "Language", "AccountCode", "Context", "Exten",
                         "Priority", "Uniqueid", "Linkedid"})


@dataclass
class Msg:
    headers: list[tuple[str, str]]
    _low: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for k, v in self.headers:
            self._low.setdefault(k.lower(), v)

    def get(self, key: str, default: str | None = None) -> str | None:
        return self._low.get(key.lower(), default)

    def __getitem__(self, key: str) -> str:
        return self._low[key.lower()]

    def __contains__(self, key: str) -> bool:
        return key.lower() in self._low

    @property
    def event(self) -> str | None:
        return self.get("Event")

    def keys(self) -> set[str]:
        return {k for k, _ in self.headers}


def parse_block(text: str) -> Msg:
    headers = []
    for line in text.split("\r\n"):
        k, sep, v = line.partition(":")
        if sep:
            headers.append((k.strip(), v.strip()))
    return Msg(headers)


_ids = itertools.count(1)


class RawAmi:
    """A bare asyncio AMI client: sees exactly the bytes the simulator writes."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.banner = ""
        self.messages: list[Msg] = []
        self.closed = False
        self._arrived = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @classmethod
    async def open(cls, port: int, *, login: bool = True, secret: str = "vssd-sim-secret",
                   events: str = "on") -> RawAmi:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        self = cls(reader, writer)
        self.banner = (await reader.readline()).decode()
        self._task = asyncio.create_task(self._read_loop(), name="raw-ami-reader")
        if login:
            reply = await self.request("Login", Username="vssd", Secret=secret, Events=events)
            assert reply["Response"] == "Success", reply.headers
        return self

    async def _read_loop(self) -> None:
        try:
            while True:
                raw = await self.reader.readuntil(b"\r\n\r\n")
                self.messages.append(parse_block(raw.decode()))
                self._arrived.set()
        except (asyncio.IncompleteReadError, ConnectionError):
            self.closed = True
            self._arrived.set()

    def send(self, action: str, **headers: str | list[str]) -> str:
        action_id = str(headers.pop("ActionID", f"t-{next(_ids)}"))
        lines = [f"Action: {action}", f"ActionID: {action_id}"]
        for k, v in headers.items():
            for item in v if isinstance(v, list) else [v]:
                lines.append(f"{k}: {item}")
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        return action_id

    async def wait_for(self, pred, wait_s: float = WAIT_S) -> Msg:
        async with asyncio.timeout(wait_s):
            seen = 0
            while True:
                for m in self.messages[seen:]:
                    if pred(m):
                        return m
                seen = len(self.messages)
                if self.closed:
                    raise ConnectionError("AMI link closed")
                self._arrived.clear()
                await self._arrived.wait()

    async def request(self, action: str, wait_s: float = WAIT_S, **headers) -> Msg:
        aid = self.send(action, **headers)
        return await self.wait_for(lambda m: m.get("ActionID") == aid and "Response" in m
                                   and m.event is None, wait_s)

    async def list_request(self, action: str, complete: str, **headers) -> tuple[Msg, list[Msg], Msg]:
        aid = self.send(action, **headers)
        done = await self.wait_for(lambda m: m.get("ActionID") == aid and m.event == complete)
        mine = [m for m in self.messages if m.get("ActionID") == aid]
        return mine[0], mine[1:-1], done

    async def wait_closed(self, wait_s: float = WAIT_S) -> None:
        """Wait until the simulator has closed the link."""
        async with asyncio.timeout(wait_s):
            while not self.closed:
                self._arrived.clear()
                await self._arrived.wait()

    def events(self, name: str | None = None) -> list[Msg]:
        return [m for m in self.messages if m.event and (name is None or m.event == name)]

    async def close(self) -> None:
        self.writer.close()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        try:
            await self.writer.wait_closed()
        except (ConnectionError, OSError):
            pass


def md5_key(challenge: str, secret: str) -> str:
    return hashlib.md5((challenge + secret).encode()).hexdigest()


def originate_headers(number: str, slot: str, channel_id: str, **extra: str) -> dict[str, str]:
    h = {"ChannelId": channel_id, "Channel": f"Local/{number}@vssd-out", "Variable": f"__VSSD_SLOT={slot}",
         "Context": "vssd-connect", "Exten": "s", "Priority": "1", "CallerID": '"VSSD" <74950000000>',
         "Timeout": "30000", "Async": "true"}
    h.update(extra)
    return h


# ---- corpus ----------------------------------------------------------------------------------------
def parse_transcript(path: Path) -> list[Msg]:
    text = "\n".join(line for line in path.read_text().split("\n") if not line.startswith("# "))
    blocks = text.replace("\r\n", "\n").split("\n\n")
    return [parse_block(b.strip("\n").replace("\n", "\r\n")) for b in blocks if b.strip()]


def leg_sequences(msgs: list[Msg]) -> dict[str, dict]:
    """Leg = uniqueid. A message belongs to a leg if its Uniqueid (or, for Dial*, DestUniqueid) is the leg.
    Returns uniqueid → {seq: [event types], keys: {event: set(header keys)}, channel, cause, dial_status}."""
    legs: dict[str, dict] = collections.OrderedDict()
    for m in msgs:
        ev = m.event
        if not ev or ev in NOISE:
            continue
        ids = [m.get("Uniqueid")] if m.get("Uniqueid") else []
        if ev.startswith("Dial") and m.get("DestUniqueid"):
            ids.append(m.get("DestUniqueid"))
        for uid in ids:
            leg = legs.setdefault(uid, {"seq": [], "keys": collections.defaultdict(set), "channel": None,
                                        "cause": None, "dest_status": None, "own_status": None})
            leg["seq"].append(ev)
            leg["keys"][ev] |= m.keys()
            if m.get("Uniqueid") == uid and m.get("Channel"):
                leg["channel"] = m.get("Channel")
            if ev == "Hangup" and m.get("Uniqueid") == uid:
                leg["cause"] = int(m.get("Cause") or 0)
            if ev == "DialEnd" and m.get("DestUniqueid") == uid:
                leg["dest_status"] = m.get("DialStatus")
            elif ev == "DialEnd":
                leg["own_status"] = m.get("DialStatus")
    return legs


STATUS_OUTCOME = {"ANSWER": "answered", "BUSY": "busy", "NOANSWER": "no_answer", "CANCEL": "cancelled",
                  "CONGESTION": "congestion", "CHANUNAVAIL": "unavailable"}
CAUSE_OUTCOME = {17: "busy", 18: "no_answer", 19: "no_answer", 21: "rejected", 34: "congestion"}


def leg_outcome(leg: dict, reject_scenario: bool) -> str | None:
    """The outcome of the dial this leg took part in: the DialEnd status where it was dialled, else the
    status of the Dial it placed, else its Hangup cause. BUSY is `rejected` when the cause is 21 or the
    transcript is a reject scenario (EXPECTED.json's test name says so: phones reject with 486)."""
    status = leg["dest_status"] or leg["own_status"]
    if status in STATUS_OUTCOME:
        outcome = STATUS_OUTCOME[status]
        if outcome == "busy" and (leg["cause"] == 21 or reject_scenario):
            return "rejected"
        return outcome
    return CAUSE_OUTCOME.get(leg["cause"] or -1)


def corpus_legs(corpus: Path) -> list[tuple[str, str, str, dict]]:
    """(file, channel, outcome, leg) for every leg of every v2 cacofonisk transcript."""
    import json

    folder = corpus / "ami" / "cacofonisk"
    expected = json.loads((folder / "EXPECTED.json").read_text())
    out = []
    for path in sorted(folder.glob("*.txt")):
        tests = " ".join(t["test"] for t in expected.get(path.name, []))
        for leg in leg_sequences(parse_transcript(path)).values():
            outcome = leg_outcome(leg, "reject" in tests)
            if outcome:
                out.append((path.name, leg["channel"] or "?", outcome, leg))
    return out


def make_config(**kw) -> PbxConfig:
    """The simulator configuration the PBX tests share (kept out of conftest: conftest names collide)."""
    base = dict(seed=7, time_scale=200.0,
                endpoints=[Endpoint("6001"), Endpoint("7001", registered=False), Endpoint("8001")],
                ring_mean_s=4.0, talk_mean_s=6.0)
    base.update(kw)
    return PbxConfig(**base)
