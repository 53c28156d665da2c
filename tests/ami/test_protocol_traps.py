"""panoramisk 1.4's traps, shown on bare panoramisk and neutralised in vssd's protocol, over real TCP."""

from __future__ import annotations

import asyncio

from panoramisk import Manager

from vssd.adapters.ami import AmiLink, AmiSettings
from vssd.calls.amiwire import encode_frame

NAME = "Алёна Ким"


async def scripted_peer(chunks: list[bytes]):
    """A TCP peer that answers every action with Success and, after the first, writes ``chunks`` one read apiece."""

    handlers: list[asyncio.Task] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handlers.append(asyncio.current_task())
        writer.write(b"Asterisk Call Manager/7.0.3\r\n")
        buf, sent = b"", False
        while True:
            data = await reader.read(4096)
            if not data:
                break
            buf += data
            while b"\r\n\r\n" in buf:
                frame, buf = buf.split(b"\r\n\r\n", 1)
                ids = [ln.split(b": ", 1)[1] for ln in frame.split(b"\r\n") if ln.lower().startswith(b"actionid:")]
                writer.write(encode_frame({"Response": "Success", "ActionID": (ids or [b""])[0].decode()}))
                if not sent:
                    sent = True
                    for chunk in chunks:
                        await writer.drain()
                        await asyncio.sleep(0.01)  # separate TCP reads
                        writer.write(chunk)
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    server.handlers = handlers  # type: ignore[attr-defined]
    return server, server.sockets[0].getsockname()[1]


async def finish(server) -> None:
    for task in server.handlers:
        task.cancel()
    await asyncio.gather(*server.handlers, return_exceptions=True)


def _split_name_frames() -> list[bytes]:
    frame = encode_frame({"Event": "Newchannel", "Uniqueid": "u1", "CallerIDName": NAME, "Channel": "PJSIP/6001-1"})
    cut = frame.index(NAME.encode()) + 1  # inside the two-byte "А"
    garbage = b"this is no AMI frame\r\n\r\n"
    return [frame[:cut], frame[cut:], garbage, encode_frame({"Event": "Hangup", "Uniqueid": "u1", "Cause": "16"})]


async def test_bare_panoramisk_loses_a_split_character():
    server, port = await scripted_peer(_split_name_frames())
    seen: list[str] = []
    manager = Manager(host="127.0.0.1", port=port, username="u", secret="s", ping_delay=3600)
    manager.register_event("Newchannel", lambda m, e: seen.append(e["CallerIDName"]))
    async with server:
        await manager.connect()
        for _ in range(100):
            if seen:
                break
            await asyncio.sleep(0.02)
        manager.close()
        await finish(server)
    assert seen and seen[0] != NAME  # the trap is real: the split character is dropped


async def test_vssd_protocol_keeps_split_utf8_and_skips_malformed():
    server, port = await scripted_peer(_split_name_frames())
    seen: list[dict[str, str]] = []
    link = AmiLink(AmiSettings(port=port, auth="plain", secret="s", ping_interval_s=3600), sink=seen.append)
    async with server:
        await link.start()
        await link.wait_up(5)
        for _ in range(100):
            if len(seen) >= 2:
                break
            await asyncio.sleep(0.02)
        await link.stop()
        await finish(server)
    assert [f["event"] for f in seen] == ["Newchannel", "Hangup"]
    assert seen[0]["calleridname"] == NAME
    assert link.counts["malformed"] == 1
