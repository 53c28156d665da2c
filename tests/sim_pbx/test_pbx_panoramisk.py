"""Acceptance 1: panoramisk 1.4 — the client vssd uses — against the simulator over TCP."""

from __future__ import annotations

import asyncio

from panoramisk import Manager
from pbx_testkit import WAIT_S, eventually, md5_key, originate_headers


async def _manager(sim, **kw) -> tuple[Manager, asyncio.Future]:
    loop = asyncio.get_running_loop()
    logged_in: asyncio.Future = loop.create_future()

    def on_login(mgr: Manager) -> None:
        if not logged_in.done():
            logged_in.set_result(True)

    m = Manager(host=sim.host, port=sim.port, ping_delay=0, loop=loop, on_login=on_login, **kw)
    await m.connect()
    return m, logged_in


async def test_plain_login_ping_and_originate_storm(sim):
    m, logged_in = await _manager(sim, username="vssd", secret="vssd-sim-secret")
    events: list = []
    m.register_event("*", lambda mgr, e: events.append(e))
    try:
        await asyncio.wait_for(logged_in, WAIT_S)
        assert m.protocol.version == "7.0.3"
        pong = await m.send_action({"Action": "Ping"})
        assert pong.success and pong["Ping"] == "Pong" and float(pong["Timestamp"]) > 0
        sim.script("79005550001", "answered", ring_s=2, talk_s=1)
        replies = await asyncio.wait_for(
            m.send_action({"Action": "Originate", "ActionID": "a-42",
                           **originate_headers("79005550001", "6001", "cid-42")}), WAIT_S)
        first, final = replies[0], replies[-1]
        assert (first["Response"], first["Message"]) == ("Success", "Originate successfully queued")
        assert (final["Event"], final["Response"], final["Reason"]) == ("OriginateResponse", "Success", "4")
        assert final["Uniqueid"] == "cid-42" and final["ActionID"] == "a-42"
        await eventually(lambda: any(e.event == "Hangup" and e["Uniqueid"] == "cid-42" for e in events))
        names = [e.event for e in events if e.get("Linkedid") == "cid-42"]
        assert names[:2] == ["Newchannel", "Newchannel"] and names.count("Hangup") == 3
        assert {"DialBegin", "DialEnd", "BridgeEnter", "BridgeLeave"} <= set(names)
        assert sim.ledger.originates[-1].outcome == "answered"
    finally:
        m.close()


async def test_md5_login(sim):
    m, _ = await _manager(sim)  # no username: panoramisk does not log in by itself
    try:
        await eventually(lambda: m.protocol is not None)
        chal = await m.send_action({"Action": "Challenge", "AuthType": "MD5"})
        assert chal.success and chal["Challenge"].isdigit()
        denied = await m.send_action({"Action": "Ping"})
        assert (denied["Response"], denied["Message"]) == ("Error", "Permission denied")
        ok = await m.send_action({"Action": "Login", "AuthType": "md5", "Username": "vssd",
                                  "Key": md5_key(chal["Challenge"], "vssd-sim-secret")})
        assert (ok["Response"], ok["Message"]) == ("Success", "Authentication accepted")
        assert (await m.send_action({"Action": "Ping"}))["Ping"] == "Pong"
    finally:
        m.close()


async def test_wrong_secret_is_refused_and_closed(sim):
    m, _ = await _manager(sim, username="vssd", secret="wrong", reconnect_timeout=3600)
    lost = asyncio.get_running_loop().create_future()
    m.on_disconnect = lambda mgr, exc: lost.done() or lost.set_result(True)
    try:
        await eventually(lambda: m.authenticated_future is not None)
        reply = await asyncio.wait_for(m.authenticated_future, WAIT_S)
        assert (reply["Response"], reply["Message"]) == ("Error", "Authentication failed")
        assert m.authenticated is False
        await asyncio.wait_for(lost, WAIT_S)  # the simulator closed the link, as Asterisk does
    finally:
        m.close()
