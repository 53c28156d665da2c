"""The call pump: the AMI link feeding the call tracker, Originates with pre-assigned ids, resync on login."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable

from vssd.adapters.ami import (
    AmiActionFailed,
    AmiLink,
    AmiLinkLost,
    AmiNotReady,
    AmiSettings,
    AmiTimeout,
)
from vssd.calls.amiwire import Frame
from vssd.calls.model import Attempt, Call, DialRequest
from vssd.calls.tracker import CallTracker, UpdateHook
from vssd.tasks import TaskSet

log = logging.getLogger("vssd.ami.calls")
REGISTRATION_EVENTS = frozenset({"ContactStatus", "PeerStatus"})

DIAL_CONTEXT = "vssd-out"
AGENT_CONTEXT = "vssd-agent"

__all__ = ["CallPump", "DialRequest"]


class CallPump:
    """Owns the tracker; every finished call reaches ``on_final`` exactly once."""

    def __init__(
        self,
        settings: AmiSettings,
        on_final: Callable[[Call], None],
        on_update: UpdateHook | None = None,
        clock: Callable[[], float] = time.time,
        unconfirmed_after_s: float | None = None,
        on_registration: Callable[[Frame], None] | None = None,
        is_inbound_leg: Callable[[str], bool] | None = None,
    ) -> None:
        self.tracker = CallTracker(on_final=on_final, on_update=on_update, clock=clock, is_inbound_leg=is_inbound_leg)
        self._on_registration = on_registration
        sink = self.tracker.feed if on_registration is None else self._route
        self.link = AmiLink(settings, sink=sink, on_ready=self._on_ready)
        self._tasks = TaskSet("ami-calls")
        self._unconfirmed_after_s = unconfirmed_after_s or 2 * settings.action_timeout_s
        self.resyncs = 0

    def _route(self, frame: Frame) -> None:
        """Synchronous routing: registration changes to their handler, everything to the tracker."""
        if frame["event"] in REGISTRATION_EVENTS and self._on_registration is not None:
            self._on_registration(frame)
        self.tracker.feed(frame)

    async def endpoints(self) -> list[Frame]:
        """PJSIPShowEndpoints: one EndpointList frame per endpoint (ObjectName, DeviceState, Contacts)."""
        rows = await self.link.send_list({"Action": "PJSIPShowEndpoints"})
        return [r for r in rows if r.get("event") == "EndpointList"]

    async def live_channels(self) -> dict[str, Frame]:
        """Uniqueid → Status row of every channel the PBX has now."""
        rows = await self.link.send_list({"Action": "Status"})
        return {r["uniqueid"]: r for r in rows if r.get("event") == "Status" and r.get("uniqueid")}

    def open_calls_for(self, endpoint: str) -> list[Call]:
        prefix = f"PJSIP/{endpoint}-"
        return [
            c for c in self.tracker.open_calls()
            if (c.attempt is not None and c.attempt.endpoint == endpoint)
            or any(leg.channel.startswith(prefix) for leg in c.legs.values())
        ]

    async def start(self) -> None:
        await self.link.start()
        self._tasks.spawn(self._housekeeping(), "expire-unconfirmed")

    async def stop(self) -> None:
        await self._tasks.cancel_all()
        await self.link.stop()

    async def _on_ready(self, link: AmiLink, restarted: bool) -> None:
        rows = await link.send_list({"Action": "CoreShowChannels"})
        live = {r["uniqueid"]: r for r in rows if r.get("event") == "CoreShowChannel" and r.get("uniqueid")}
        if self.tracker.open_calls():
            self.tracker.resync(live, restarted)
            self.resyncs += 1
            log.info("resynced %d open call(s) against %d live channel(s)%s",
                     len(self.tracker.open_calls()), len(live), " after a PBX restart" if restarted else "")

    async def _housekeeping(self) -> None:
        while True:
            await asyncio.sleep(min(5.0, self._unconfirmed_after_s / 2))
            if self.link.is_up:
                self.tracker.expire_unconfirmed(self._unconfirmed_after_s)

    async def originate(self, req: DialRequest) -> Call:
        """Dial once. Never re-sent: if the link drops before the PBX acknowledges, resync decides the outcome."""
        action_id = req.action_id or f"a-{uuid.uuid4().hex[:16]}"
        attempt = Attempt(
            action_id=action_id,
            channel_id=f"{action_id}-1",
            other_channel_id=f"{action_id}-2",
            number=req.number,
            endpoint=req.endpoint,
        )
        call = self.tracker.expect_originate(attempt)
        try:
            await self.link.send(self._originate_headers(req, attempt))
        except (AmiTimeout, AmiLinkLost) as err:
            self.tracker.originate_unconfirmed(action_id, f"written, unacknowledged: {err}")
        except AmiActionFailed as err:
            self.tracker.originate_refused(action_id, err.message)
        except AmiNotReady as err:
            self.tracker.originate_refused(action_id, f"not sent: {err}")
        else:
            self.tracker.originate_acknowledged(action_id)
        return call

    @staticmethod
    def _originate_headers(req: DialRequest, attempt: Attempt) -> dict[str, str | list[str]]:
        headers: dict[str, str | list[str]] = {
            "Action": "Originate",
            "ActionID": attempt.action_id,
            "ChannelId": attempt.channel_id,
            "OtherChannelId": attempt.other_channel_id,
            "Channel": f"Local/{req.number}@{DIAL_CONTEXT}",
            "Context": req.context,
            "Exten": req.exten,
            "Priority": "1",
            "Timeout": str(int(req.ring_timeout_s * 1000)),
            "Variable": [f"__VSSD_SLOT={req.endpoint}", f"__VSSD_ATTEMPT={attempt.action_id}"],
            "Async": "true",
        }
        if req.caller_id:
            headers["CallerID"] = req.caller_id
        return headers

    async def originate_agent(self, endpoint: str, channel_id: str) -> Call:
        """An operator's pre-connected line: `PJSIP/<endpoint>` answered into `vssd-agent`/`wait`, where it waits
        to be bridged to answered calls. Tracked like any originate (call id = `channel_id`)."""
        attempt = Attempt(action_id=channel_id, channel_id=channel_id, other_channel_id="", number=endpoint,
                          endpoint=endpoint)
        call = self.tracker.expect_originate(attempt)
        headers: dict[str, str | list[str]] = {
            "Action": "Originate", "ActionID": channel_id, "ChannelId": channel_id,
            "Channel": f"PJSIP/{endpoint}", "Context": AGENT_CONTEXT, "Exten": "wait", "Priority": "1",
            "Timeout": "15000", "Async": "true", "Variable": [f"__VSSD_AGENT={endpoint}"],
        }
        try:
            await self.link.send(headers)
        except AmiActionFailed as err:
            self.tracker.originate_refused(channel_id, err.message)
        except (AmiTimeout, AmiLinkLost, AmiNotReady) as err:
            self.tracker.originate_unconfirmed(channel_id, f"agent line: {err}")
        return call

    async def bridge(self, channel1: str, channel2: str) -> None:
        """AMI Bridge: put two live channels into one bridge (an answered call's connect side and an operator)."""
        await self.link.send({"Action": "Bridge", "Channel1": channel1, "Channel2": channel2, "Tone": "no"})

    async def redirect(self, channel: str, context: str, exten: str = "s") -> None:
        """AMI Redirect: send a live channel to `exten`@`context` (e.g. the abandon message)."""
        await self.link.send({"Action": "Redirect", "Channel": channel, "Context": context, "Exten": exten,
                              "Priority": "1"})

    async def hangup(self, channel: str, cause: int = 16) -> None:
        with contextlib.suppress(AmiActionFailed):
            await self.link.send({"Action": "Hangup", "Channel": channel, "Cause": str(cause)})
