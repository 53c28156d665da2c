"""adb smart-socket framing: `hex4 length + payload` requests, `OKAY`/`FAIL` replies, shell-v2 packets."""

from __future__ import annotations

import asyncio
import struct

MAX_REQUEST = 1024 * 1024  # adb's MAX_PAYLOAD; a longer request is a protocol error
# shell protocol packet ids (adb/shell_protocol.h)
ID_STDIN, ID_STDOUT, ID_STDERR, ID_EXIT, ID_CLOSE_STDIN, ID_WINDOW_SIZE = range(6)


class ProtocolError(Exception):
    pass


def block(payload: str | bytes) -> bytes:
    data = payload.encode() if isinstance(payload, str) else payload
    return b"%04x" % len(data) + data


def okay(payload: str | bytes | None = None) -> bytes:
    return b"OKAY" + (block(payload) if payload is not None else b"")


def fail(message: str) -> bytes:
    return b"FAIL" + block(message)


def shell_packet(packet_id: int, data: bytes) -> bytes:
    return struct.pack("<BI", packet_id, len(data)) + data


async def read_request(reader: asyncio.StreamReader) -> str | None:
    """One request, or None when the client closed the connection cleanly."""
    try:
        head = await reader.readexactly(4)
    except asyncio.IncompleteReadError as err:
        if err.partial:
            raise ProtocolError("truncated length") from err
        return None
    try:
        size = int(head, 16)
    except ValueError as err:
        raise ProtocolError(f"bad length {head!r}") from err
    if size > MAX_REQUEST:
        raise ProtocolError(f"request too long: {size}")
    data = await reader.readexactly(size)
    return data.decode("utf-8", errors="replace")
