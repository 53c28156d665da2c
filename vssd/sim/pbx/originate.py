"""The Originate action: parse it, record it, and start the call (async) or wait for it (sync)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from vssd.sim.pbx.agents import AgentCall
from vssd.sim.pbx.calls import OriginateCall, OriginateParams
from vssd.sim.pbx.ledger import AgentSessionRecord, OriginateRecord
from vssd.sim.pbx.wire import Action, truthy

if TYPE_CHECKING:
    from vssd.sim.pbx.session import AmiSession
    from vssd.sim.pbx.simulator import PbxSimulator

_CID = re.compile(r'^\s*"?(?P<name>[^"<]*?)"?\s*<(?P<num>[^>]*)>\s*$')


def parse_callerid(value: str) -> tuple[str, str]:
    """'"Name" <num>' → (num, name); a bare number → (num, "")."""
    if not value:
        return "", ""
    m = _CID.match(value)
    if m:
        return m.group("num").strip(), m.group("name").strip()
    return value.strip(), ""


def parse_variables(a: Action) -> dict[str, str]:
    out: dict[str, str] = {}
    for header in a.get_all("Variable"):
        for item in header.split(","):
            key, sep, value = item.partition("=")
            if sep:
                out[key.strip().lstrip("_")] = value.strip()
    return out


def _target(sim: PbxSimulator, channel: str, variables: dict[str, str]) -> tuple[str, str, str, str] | None:
    """Channel string → (tech, number, endpoint, local_context)."""
    tech, _, rest = channel.partition("/")
    if tech.lower() == "local":
        number, _, ctx = rest.partition("@")
        ctx = ctx.split("/")[0]
        return "local", number, variables.get("VSSD_SLOT", ""), ctx or "default"
    if tech.upper() == "PJSIP":
        number, sep, endpoint = rest.partition("@")
        return ("pjsip", number, endpoint, "") if sep else ("pjsip", "", number, "")
    return None


def _params(sim: PbxSimulator, a: Action) -> OriginateParams | str:
    channel = a.get("Channel")
    if not channel:
        return "Channel not specified"
    if not a.get("Exten") and not a.get("Application"):
        return "Exten not specified"
    variables = parse_variables(a)
    target = _target(sim, channel, variables)
    if target is None:
        return "Originate failed"
    tech, number, endpoint, local_ctx = target
    cid_num, cid_name = parse_callerid(a.get("CallerID"))
    timeout = a.get("Timeout")
    timeout_s = int(timeout) / 1000.0 if timeout.isdigit() else 30.0
    priority = a.get("Priority")
    return OriginateParams(
        action_id=a.action_id, channel=channel, tech=tech, number=number, endpoint=endpoint,
        local_context=local_ctx, context=a.get("Context"), exten=a.get("Exten"),
        priority=int(priority) if priority.isdigit() else 1, application=a.get("Application"),
        data=a.get("Data"), cid_num=cid_num, cid_name=cid_name, timeout_s=timeout_s,
        channel_id=a.get("ChannelId") or sim.core.new_uniqueid(),
        other_channel_id=a.get("OtherChannelId") or sim.core.new_uniqueid(),
        async_=truthy(a.get("Async")), account=a.get("Account"), variables=variables)


async def originate(sim: PbxSimulator, s: AmiSession, a: Action) -> None:
    from vssd.sim.pbx.actions import resp

    params = _params(sim, a)
    if isinstance(params, str):
        s.send(resp(a, "Error", params))
        return
    if params.channel_id in sim.core.channels or params.other_channel_id in sim.core.channels:
        s.send(resp(a, "Error", "Uniqueid already in use"))
        return
    call = _agent_call(sim, s, params) if _is_agent(sim, params) else _customer_call(sim, s, params)
    sim.start_call(call, f"originate-{params.channel_id}")
    if params.async_:
        s.send(resp(a, "Success", "Originate successfully queued"))
        return
    answered = await call.result
    if answered:
        s.send(resp(a, "Success", "Originate successfully queued"))
    else:
        s.send(resp(a, "Error", "Originate failed"))


def _is_agent(sim: PbxSimulator, params: OriginateParams) -> bool:
    """`PJSIP/<agent>` (no number): an operator's line, which draws no outcome and is not a customer call."""
    return params.tech == "pjsip" and not params.number and sim.config.is_agent(params.endpoint)


def _agent_call(sim: PbxSimulator, s: AmiSession, params: OriginateParams) -> AgentCall:
    rec = AgentSessionRecord(channel_id=params.channel_id, endpoint=params.endpoint, action_id=params.action_id,
                             requested_at=sim.clock.now(), client_id=s.client_id)
    sim.ledger.agent_sessions.append(rec)
    return AgentCall(sim.core, params, rec, sim.endpoint_reachable(params.endpoint))


def _customer_call(sim: PbxSimulator, s: AmiSession, params: OriginateParams) -> OriginateCall:
    rec = OriginateRecord(
        action_id=params.action_id, channel_id=params.channel_id, other_channel_id=params.other_channel_id,
        endpoint=params.endpoint, number=params.number, async_=params.async_, received_at=sim.clock.now(),
        client_id=s.client_id)
    sim.ledger.originates.append(rec)
    plan = sim.picker.plan(params.number or params.endpoint, params.timeout_s, sim.endpoint_reachable(params.endpoint))
    return OriginateCall(sim.core, params, plan, rec)
