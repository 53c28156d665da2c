"""Helpers shared by the device simulator tests (a uniquely named module: tests/sim_adb is not a package)."""

from __future__ import annotations

import re
from pathlib import Path

from vssd.sim.adb import AdbSimulator


def serial_of(sim: AdbSimulator, profile_prefix: str) -> str:
    """The serial of the phone built on the profile whose name starts with `profile_prefix`."""
    return next(s for s, p in sim.phones.items() if p.profile.startswith(profile_prefix))


def corpus_blocks(path: Path) -> list[str]:
    """A corpus file's blocks (separated by `# ----` lines) with the `# ` header lines removed."""
    blocks = re.split(r"^# ----\s*$", path.read_text(encoding="utf-8"), flags=re.M)
    return ["\n".join(ln for ln in b.splitlines() if not ln.startswith("# ")) for b in blocks]


async def host_query(port: int, request: str) -> tuple[bytes, str]:
    """One raw smart-socket request: (b"OKAY" | b"FAIL", the hex4-framed payload that follows, or "")."""
    import asyncio

    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(b"%04x" % len(request) + request.encode())
        await writer.drain()
        status = await reader.readexactly(4)
        head = await reader.read(4)
        payload = (await reader.readexactly(int(head, 16))).decode() if head else ""
        return status, payload
    finally:
        writer.close()
        await writer.wait_closed()
