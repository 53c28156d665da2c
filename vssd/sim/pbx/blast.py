"""Benchmark feed: complete, valid answered-call event sets rendered from one template, written in batches."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from vssd.sim.pbx import channel as evs
from vssd.sim.pbx.channel import Event, SimChannel
from vssd.sim.pbx.wire import encode

if TYPE_CHECKING:
    from vssd.sim.pbx.simulator import PbxSimulator

CALLS_PER_BATCH = 200


def _call_template(endpoint: str, number: str) -> list[Event]:
    base = f"Local/{number}@vssd-out-@LS@"
    l1 = SimChannel(f"{base};1", "@L1@", "@L1@", "local1", "vssd-out", number)
    l2 = SimChannel(f"{base};2", "@L2@", "@L1@", "local2", "vssd-out", number, state=4)
    slot = SimChannel(f"PJSIP/{endpoint}-@SS@", "@S@", "@L1@", "slot", "from-slot", number, cid_num=number)
    out: list[Event] = [evs.newchannel(l1), evs.newchannel(l2), evs.local_bridge(l1, l2),
                        evs.dial_begin(None, l1, f"{number}@vssd-out"), evs.newchannel(slot),
                        evs.dial_begin(l2, slot, f"{number}@{endpoint}")]
    slot.state = l1.state = 5
    out += [evs.newstate(slot), evs.dial_state(l2, slot, "RINGING"), evs.newstate(l1)]
    slot.state = 6
    out += [evs.newstate(slot), evs.dial_end(l2, slot, "ANSWER")]
    l2.state = l1.state = 6
    out += [evs.newstate(l2), evs.newstate(l1), evs.dial_end(None, l1, "ANSWER"),
            evs.bridge_event("BridgeCreate", "@B@", 0), evs.bridge_event("BridgeEnter", "@B@", 1, slot),
            evs.bridge_event("BridgeEnter", "@B@", 2, l2), evs.bridge_event("BridgeLeave", "@B@", 1, slot),
            evs.hangup(slot, 16), evs.bridge_event("BridgeLeave", "@B@", 0, l2),
            evs.bridge_event("BridgeDestroy", "@B@", 0), evs.hangup(l2, 16), evs.hangup(l1, 16)]
    return out


async def blast_calls(sim: PbxSimulator, n_events: int) -> int:
    endpoint = sim.config.endpoints[0].name if sim.config.endpoints else "6001"
    template = _call_template(endpoint, "79000000000")
    text = b"".join(encode(e.wire_headers(sim.config.system_name)) for e in template).decode()
    per_call = len(template)
    calls = max(1, -(-n_events // per_call))
    new_id = sim.core.new_uniqueid
    sent = 0
    for start in range(0, calls, CALLS_PER_BATCH):
        chunk = []
        for i in range(start, min(calls, start + CALLS_PER_BATCH)):
            l1, l2, slot = new_id(), new_id(), new_id()
            chunk.append(text.replace("@L1@", l1).replace("@L2@", l2).replace("@S@", slot)
                         .replace("@LS@", f"{i:08x}").replace("@SS@", f"{i:08x}").replace("@B@", f"blast-{l1}"))
        data = "".join(chunk).encode()
        for s in list(sim.sessions):
            if s.accepts("call"):
                s.send_raw(data)
        sent += len(chunk) * per_call
        await asyncio.sleep(0)
    return sent
