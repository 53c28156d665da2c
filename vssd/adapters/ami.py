"""The AMI link: panoramisk's protocol, with its 1.4 traps neutralised, kept alive and resynced.

panoramisk 1.4 is used for what it does well (the asyncio ``Protocol`` plumbing, ``Action`` serialisation and
ActionID generation) and subclassed where it would hurt a dialer:

- ``data_received`` decodes each TCP read on its own with ``errors='ignore'``: a UTF-8 character split across two
  reads vanishes. → :class:`VssdAmiProtocol` feeds bytes to an incremental :class:`FrameParser`.
- frames are split on ``\\r\\n\\r\\n`` only; ``\\r\\n\\n`` endings and embedded newlines corrupt the stream. → same.
- ``close()`` puts every unanswered action on ``awaiting_actions`` and the manager re-sends them after the next
  ``FullyBooted``: an Originate would be dialled twice. → :meth:`VssdAmiProtocol.close` fails pending actions with
  :class:`AmiLinkLost` instead; nothing is ever re-sent.
- an Originate without ``Async`` makes ``Action.multi`` raise inside ``data_received``; an async Originate's future
  only resolves with the OriginateResponse. → actions are correlated here: the first ``Response`` resolves an
  action unless it opens an EventList; ``OriginateResponse`` is an event and goes to the event sink.
- ``send_action`` on a dead link returns a future that never resolves. → every action is bounded by a timeout and
  refused at once while the link is down.
- async event callbacks are wrapped in ``ensure_future`` and forgotten. → the sink is one synchronous callable.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import hashlib
import logging
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from panoramisk.actions import Action
from panoramisk.ami_protocol import AMIProtocol

from vssd.calls.amiwire import Frame, FrameParser
from vssd.tasks import TaskSet

log = logging.getLogger("vssd.ami")

EventSink = Callable[[Frame], None]
ReadyHook = Callable[["AmiLink", bool], Awaitable[None]]


class AmiError(Exception):
    """Base of every AMI adapter error."""


class AmiNotReady(AmiError):
    """The link is down or not logged in yet: retry later."""


class AmiLinkLost(AmiNotReady):
    """The link dropped while the action was in flight: the PBX may or may not have acted on it."""


class AmiTimeout(AmiNotReady):
    """The PBX did not answer the action in time."""


class AmiAuthFailed(AmiError):
    """The PBX refused the credentials: stop, do not hammer it."""


class AmiFatal(AmiError):
    """Misconfiguration or a protocol violation that retrying will not fix."""


class AmiActionFailed(AmiError):
    """The PBX answered the action with ``Response: Error``."""

    def __init__(self, action: str, message: str) -> None:
        super().__init__(f"{action}: {message}")
        self.message = message


class LinkState(enum.StrEnum):
    DOWN = "down"
    CONNECTING = "connecting"
    UP = "up"
    AUTH_FAILED = "auth_failed"
    STOPPED = "stopped"


@dataclass(slots=True)
class AmiSettings:
    host: str = "127.0.0.1"
    port: int = 5038
    username: str = "vssd"
    secret: str = field(default="", repr=False)
    auth: str = "md5"  # "md5" (Challenge) or "plain"
    connect_timeout_s: float = 5.0
    action_timeout_s: float = 10.0
    ping_interval_s: float = 5.0
    ping_timeout_s: float = 3.0
    backoff_base_s: float = 0.5
    backoff_cap_s: float = 30.0
    lag_alarm_s: float = 2.0
    event_mask: str = "call,system,cdr"  # what vssd uses: channel/dial/bridge, registrations, CDRs


@dataclass(slots=True)
class _Pending:
    name: str
    future: asyncio.Future[Frame | list[Frame]]
    listing: bool = False
    items: list[Frame] = field(default_factory=list)


class VssdAmiProtocol(AMIProtocol):
    """panoramisk's protocol with vssd's framing, correlation and no replay of in-flight actions."""

    closed: bool  # set by AMIProtocol.connection_made

    def __init__(self, link: AmiLink) -> None:
        self.link = link
        self.pending: dict[str, _Pending] = {}
        self.parser = FrameParser()
        self.closed_future: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self.encoding = "utf-8"

    def data_received(self, data: bytes) -> None:
        before = self.parser.malformed
        for frame in self.parser.feed(data):
            try:
                self.handle_frame(frame)
            except Exception:  # one bad frame must never take the link down
                self.link.counts["handler_errors"] += 1
                log.exception("AMI frame handling failed: %.200r", frame)
        if self.parser.malformed != before:
            self.link.counts["malformed"] += self.parser.malformed - before
            log.warning("skipped %d malformed AMI frame(s)", self.parser.malformed - before)

    def handle_frame(self, frame: Frame) -> None:
        pending = self.pending.get(frame.get("actionid", "")) if "actionid" in frame else None
        if pending is not None and self._settle(pending, frame):
            return
        if "event" in frame:
            self.link.on_frame(frame)

    def _settle(self, pending: _Pending, frame: Frame) -> bool:
        """Feed a frame carrying a pending ActionID; False when it is an ordinary event after all."""
        if "response" in frame and not pending.listing:
            if frame.get("eventlist", "").lower() == "start" or "will follow" in frame.get("message", ""):
                pending.listing = frame["response"] == "Success"
                if pending.listing:
                    return True
            self._resolve(frame.get("actionid", ""), frame)
            return True
        if pending.listing and "event" in frame:
            if frame["event"].endswith("Complete") or frame.get("eventlist", "").lower() == "complete":
                self._resolve(frame.get("actionid", ""), [*pending.items, frame])
            else:
                pending.items.append(frame)
            return True
        return False

    def _resolve(self, action_id: str, result: Frame | list[Frame]) -> None:
        pending = self.pending.pop(action_id, None)
        if pending is not None and not pending.future.done():
            pending.future.set_result(result)

    def send_action(self, action: Action) -> asyncio.Future[Frame | list[Frame]]:
        future: asyncio.Future[Frame | list[Frame]] = asyncio.get_running_loop().create_future()
        self.pending[action.action_id] = _Pending(name=action["Action"], future=future)
        self.transport.write(str(action).encode("utf-8"))
        return future

    def connection_lost(self, exc: Exception | None) -> None:
        self.close()

    def close(self) -> None:
        """Fail every in-flight action; unlike panoramisk, never queue it for re-sending."""
        pending, self.pending = self.pending, {}
        for item in pending.values():
            if not item.future.done():
                item.future.set_exception(AmiLinkLost(f"link lost with {item.name} in flight"))
        if not self.closed:
            self.closed = True
            self.transport.close()
        if not self.closed_future.done():
            self.closed_future.set_result(None)


class AmiLink:
    """One logged-in AMI connection, kept up with backoff, checked by Ping, resynced by a hook on every login."""

    def __init__(
        self,
        settings: AmiSettings,
        sink: EventSink,
        on_ready: ReadyHook | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self._sink = sink
        self._on_ready = on_ready
        self._rng = rng or random.Random()
        self._tasks = TaskSet("ami")
        self._protocol: VssdAmiProtocol | None = None
        self._up = asyncio.Event()
        self.state = LinkState.DOWN
        self.counts: Counter[str] = Counter()
        self.events = 0
        self.events_by_type: dict[str, int] = {}
        self.startup: str | None = None
        self.version = ""
        self.last_rtt_s: float | None = None
        self.lag_s = 0.0
        self.failures = 0

    # ---- lifecycle -----------------------------------------------------------------------------------------
    async def start(self) -> None:
        self._tasks.spawn(self._run(), "link")

    async def wait_up(self, timeout_s: float) -> None:
        try:
            await asyncio.wait_for(self._up.wait(), timeout_s)
        except TimeoutError as err:
            raise AmiNotReady(f"AMI link not up after {timeout_s}s (state {self.state})") from err

    @property
    def is_up(self) -> bool:
        return self.state is LinkState.UP

    async def stop(self) -> None:
        self.state = LinkState.STOPPED
        if self._protocol is not None:
            with contextlib.suppress(AmiError):
                await self.send({"Action": "Logoff"}, timeout_s=1.0)
            self._protocol.close()
        await self._tasks.cancel_all()

    # ---- actions -------------------------------------------------------------------------------------------
    async def send(self, headers: dict[str, str | list[str]], timeout_s: float | None = None) -> Frame | list[Frame]:
        """Send one action and wait for its answer (an EventList comes back as a list). Never re-sent."""
        protocol = self._protocol
        if protocol is None or protocol.closed or self.state not in (LinkState.UP, LinkState.CONNECTING):
            raise AmiNotReady(f"AMI link is {self.state}")
        action = Action(dict(headers))
        future = protocol.send_action(action)
        limit_s = timeout_s or self.settings.action_timeout_s
        try:
            result = await asyncio.wait_for(future, limit_s)
        except TimeoutError as err:
            protocol.pending.pop(action.action_id, None)
            raise AmiTimeout(f"{headers.get('Action')} unanswered after {limit_s}s") from err
        if isinstance(result, dict) and result.get("response") == "Error":
            raise AmiActionFailed(str(headers.get("Action")), result.get("message", ""))
        return result

    async def send_list(self, headers: dict[str, str | list[str]], timeout_s: float | None = None) -> list[Frame]:
        result = await self.send(headers, timeout_s)
        return result if isinstance(result, list) else []

    # ---- events --------------------------------------------------------------------------------------------
    def on_frame(self, frame: Frame) -> None:
        """Synchronous: count, measure lag, hand to the sink. No awaits, no I/O."""
        self.events += 1
        kind = frame["event"]
        by_type = self.events_by_type
        by_type[kind] = by_type.get(kind, 0) + 1
        if "timestamp" in frame:
            self._observe_lag(frame["timestamp"])
        self._sink(frame)

    def _observe_lag(self, ts: str) -> None:
        try:
            lag = time.time() - float(ts)
        except ValueError:
            return
        self.lag_s = lag
        if lag > self.settings.lag_alarm_s:
            self.counts["lag_alarms"] += 1
            if self.counts["lag_alarms"] in (1, 10, 100) or self.counts["lag_alarms"] % 1000 == 0:
                log.warning("AMI event lag %.2fs above %.2fs", lag, self.settings.lag_alarm_s)

    # ---- connection loop -----------------------------------------------------------------------------------
    async def _run(self) -> None:
        while self.state is not LinkState.STOPPED:
            try:
                await self._session()
            except AmiAuthFailed as err:
                self.state = LinkState.AUTH_FAILED
                log.error("AMI login refused by %s:%s: %s; not retrying", self.settings.host, self.settings.port, err)
                return
            except (OSError, AmiNotReady, AmiActionFailed, AmiFatal) as err:
                if self.state is not LinkState.STOPPED:
                    log.warning("AMI link to %s:%s down: %s", self.settings.host, self.settings.port, err)
            finally:
                self._drop()
            if self.state is LinkState.STOPPED:
                return
            await asyncio.sleep(self._backoff())

    def _backoff(self) -> float:
        self.failures += 1
        cap = min(self.settings.backoff_cap_s, self.settings.backoff_base_s * 2 ** min(self.failures, 16))
        return self._rng.uniform(self.settings.backoff_base_s / 2, cap)

    def _drop(self) -> None:
        if self._protocol is not None:
            self._protocol.close()
            self._protocol = None
        self._up.clear()
        if self.state is not LinkState.STOPPED and self.state is not LinkState.AUTH_FAILED:
            self.state = LinkState.DOWN

    async def _session(self) -> None:
        self.state = LinkState.CONNECTING
        loop = asyncio.get_running_loop()
        _, protocol = await asyncio.wait_for(
            loop.create_connection(lambda: VssdAmiProtocol(self), self.settings.host, self.settings.port),
            self.settings.connect_timeout_s,
        )
        self._protocol = protocol
        await self._login()
        restarted = await self._check_core()
        if self._on_ready is not None:
            await self._on_ready(self, restarted)
        self.state = LinkState.UP
        self.failures = 0
        self.counts["logins"] += 1
        self._up.set()
        log.info("AMI link up to %s:%s (%s)%s", self.settings.host, self.settings.port, self.version,
                 " after a PBX restart" if restarted else "")
        await self._keepalive(protocol)

    async def _login(self) -> None:
        s = self.settings
        headers: dict[str, str | list[str]] = {"Action": "Login", "Username": s.username, "Events": s.event_mask}
        if s.auth == "md5":
            challenge = await self.send({"Action": "Challenge", "AuthType": "MD5"})
            assert isinstance(challenge, dict)
            key = hashlib.md5((challenge.get("challenge", "") + s.secret).encode()).hexdigest()
            headers.update({"AuthType": "MD5", "Key": key})
        else:
            headers["Secret"] = s.secret
        try:
            await self.send(headers)
        except AmiActionFailed as err:
            raise AmiAuthFailed(err.message) from err

    async def _check_core(self) -> bool:
        """Read the PBX's startup time: a change since the last login means every old channel is gone."""
        status = await self.send({"Action": "CoreStatus"})
        settings = await self.send({"Action": "CoreSettings"})
        assert isinstance(status, dict) and isinstance(settings, dict)
        self.version = settings.get("asteriskversion", "")
        startup = f"{status.get('corestartupdate', '')} {status.get('corestartuptime', '')}"
        restarted = self.startup is not None and startup != self.startup
        if self.startup is not None and not restarted:
            self.counts["reconnects"] += 1
        if restarted:
            self.counts["pbx_restarts"] += 1
        self.startup = startup
        return restarted

    async def _keepalive(self, protocol: VssdAmiProtocol) -> None:
        """Ping on an interval; a Ping left unanswered means a silent, open socket: drop and reconnect."""
        while not protocol.closed:
            try:
                await asyncio.wait_for(asyncio.shield(protocol.closed_future), self.settings.ping_interval_s)
                raise AmiLinkLost("connection closed by peer")
            except TimeoutError:
                pass
            started = time.monotonic()
            try:
                await self.send({"Action": "Ping"}, timeout_s=self.settings.ping_timeout_s)
            except AmiTimeout as err:
                self.counts["silent_links"] += 1
                raise AmiLinkLost("Ping unanswered: the link is silent") from err
            self.last_rtt_s = time.monotonic() - started
