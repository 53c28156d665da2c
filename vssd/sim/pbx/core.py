"""The PBX's channel and bridge state: creates and hangs up channels, emitting the matching AMI events."""

from __future__ import annotations

from collections.abc import Callable

from vssd.sim.pbx import channel as evs
from vssd.sim.pbx.channel import Event, SimChannel
from vssd.sim.pbx.clock import SimClock
from vssd.sim.pbx.config import PbxConfig
from vssd.sim.pbx.ledger import ChannelRecord, Ledger


class PbxCore:
    def __init__(self, config: PbxConfig, clock: SimClock, ledger: Ledger, emit: Callable[[Event], None]) -> None:
        self.config = config
        self.clock = clock
        self.ledger = ledger
        self.emit = emit
        self.channels: dict[str, SimChannel] = {}
        self.bridges: dict[str, list[SimChannel]] = {}
        self._dissolving: set[str] = set()
        self._uid_seq = 0
        self._chan_seq = 0
        self._local_seq = 0
        self._bridge_seq = 0
        self._device_states: dict[str, str] = {}
        self.startup_at = clock.now()
        self.reload_at = self.startup_at

    def new_uniqueid(self) -> str:
        self._uid_seq += 1
        return f"{self.config.system_name}-{int(self.startup_at)}.{self._uid_seq}"

    def next_channel_suffix(self) -> str:
        self._chan_seq += 1
        return f"{self._chan_seq:08x}"

    def next_local_suffix(self) -> str:
        self._local_seq += 1
        return f"{self._local_seq:08x}"

    def add_channel(self, name: str, kind: str, *, uniqueid: str = "", linkedid: str = "", **fields) -> SimChannel:
        uid = uniqueid or self.new_uniqueid()
        if uid in self.channels:
            raise ValueError(f"uniqueid {uid} already in use")
        ch = SimChannel(name=name, uniqueid=uid, linkedid=linkedid or uid, kind=kind,
                        created_at=self.clock.now(), **fields)
        self.channels[uid] = ch
        self.ledger.channels[uid] = ChannelRecord(uid, name, ch.linkedid, ch.created_at, kind)
        return ch

    def find(self, name_or_id: str) -> SimChannel | None:
        if name_or_id in self.channels:
            return self.channels[name_or_id]
        for ch in self.channels.values():
            if ch.name.lower() == name_or_id.lower():
                return ch
        return None

    def set_state(self, ch: SimChannel, state: int) -> None:
        ch.state = state
        if state == 6 and ch.answered_at is None:
            ch.answered_at = self.clock.now()
        self.emit(evs.newstate(ch))
        self.device_changed(ch)

    def device_changed(self, ch: SimChannel) -> None:
        """DeviceStateChange for the slot's PJSIP device when its channels change what it is doing."""
        if not ch.name.startswith("PJSIP/"):
            return
        device = ch.name.rsplit("-", 1)[0]
        legs = [c for c in self.channels.values() if c.name.rsplit("-", 1)[0] == device]
        state = ("INUSE" if any(c.state == 6 for c in legs) else
                 "RINGING" if any(c.state in (4, 5) for c in legs) else "NOT_INUSE")
        if self._device_states.get(device, "NOT_INUSE") != state:
            self._device_states[device] = state
            self.emit(evs.ev("DeviceStateChange", [("Device", device), ("State", state)]))

    def bridge(self, members: list[SimChannel], dissolve: bool = False) -> str:
        """A basic bridge. `dissolve`: when one member leaves (hangup or redirect) the others are put out too and
        go on in their dialplan — what the AMI Bridge action's bridge does (its after-bridge goto). The Dial
        bridge of a Local ;2 and its slot leg is torn down by the call flow itself."""
        self._bridge_seq += 1
        bridge_id = f"{self.config.system_name}-bridge-{int(self.startup_at)}-{self._bridge_seq}"
        self.bridges[bridge_id] = []
        if dissolve:
            self._dissolving.add(bridge_id)
        self.emit(evs.bridge_event("BridgeCreate", bridge_id, 0))
        for ch in members:
            self.enter_bridge(bridge_id, ch)
        return bridge_id

    def enter_bridge(self, bridge_id: str, ch: SimChannel) -> None:
        if ch.bridge_id:
            self.leave_bridge(ch)
        self.bridges[bridge_id].append(ch)
        ch.bridge_id = bridge_id
        if self.config.propagate_linkedid:
            self._share_oldest_linkedid(self.bridges[bridge_id])
        self.emit(evs.bridge_event("BridgeEnter", bridge_id, len(self.bridges[bridge_id]), ch))

    def _share_oldest_linkedid(self, members: list[SimChannel]) -> None:
        """Asterisk 12+ gives every channel in a bridge the oldest linkedid among them (the corpus' transfer
        transcripts show it, e.g. queue_attn_xfer's BridgeEnter); it stays after the channel leaves."""
        def born(ch: SimChannel) -> float:
            rec = self.ledger.channels.get(ch.linkedid)
            return rec.created_at if rec is not None else ch.created_at

        oldest = min(members, key=born).linkedid
        for member in members:
            member.linkedid = oldest

    def leave_bridge(self, ch: SimChannel) -> None:
        bridge_id, ch.bridge_id = ch.bridge_id, ""
        members = self.bridges.get(bridge_id)
        if members is None:
            return
        members.remove(ch)
        self.emit(evs.bridge_event("BridgeLeave", bridge_id, len(members), ch))
        if bridge_id in self._dissolving:
            for other in list(members):
                members.remove(other)
                other.bridge_id = ""
                self.emit(evs.bridge_event("BridgeLeave", bridge_id, len(members), other))
        if not members:
            del self.bridges[bridge_id]
            self._dissolving.discard(bridge_id)
            self.emit(evs.bridge_event("BridgeDestroy", bridge_id, 0))
            self.ledger.bridge_closed(bridge_id, self.clock.now())

    def hangup(self, ch: SimChannel, cause: int) -> None:
        if ch.uniqueid not in self.channels:
            return
        if ch.bridge_id:
            self.leave_bridge(ch)
        del self.channels[ch.uniqueid]
        self.emit(evs.hangup(ch, cause))
        self.device_changed(ch)
        rec = self.ledger.channels.get(ch.uniqueid)
        if rec is not None:
            rec.hungup_at, rec.cause = self.clock.now(), cause
        self.ledger.hangups.append((ch.uniqueid, cause))

    def vanish_all(self) -> list[SimChannel]:
        """A PBX restart: every channel is gone, no Hangup event is ever sent."""
        gone = list(self.channels.values())
        now = self.clock.now()
        for ch in gone:
            rec = self.ledger.channels.get(ch.uniqueid)
            if rec is not None:
                rec.hungup_at = now
        self.channels.clear()
        for bridge_id in list(self.bridges):
            self.ledger.bridge_closed(bridge_id, now)
        self.bridges.clear()
        self._dissolving.clear()
        self._device_states.clear()
        self.startup_at = self.reload_at = now
        return gone
