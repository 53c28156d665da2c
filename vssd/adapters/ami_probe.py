"""`vssd.api.ports.AmiProbe`: the settings page's "test the Asterisk connection" — one TCP connection to an
AMI port, its banner read, a Login tried when credentials are given, then Logoff and close.

The SSRF rule (docs/api.md "System settings"): the probe connects only to loopback addresses and to the hosts
the operator configured (`ami.host` and `ami.test_hosts`). Any other host — a LAN address such as the
documents' 192.168.x, a public name — is refused before any packet is sent (`PermissionError`). A name is
resolved once and the probe connects to the address it checked (no second lookup to rebind).
"""

from __future__ import annotations

import asyncio
import ipaddress
import secrets
import socket
import time
from collections.abc import Iterable
from typing import Any

__all__ = ["AmiProbe"]

MAX_LINE = 1024


class AmiProbe:
    def __init__(self, allowed_hosts: Iterable[str] = ()) -> None:
        self.allowed_hosts = frozenset(h.strip().lower() for h in allowed_hosts if h.strip())

    async def target(self, host: str, port: int) -> str:
        """The address to connect to; PermissionError when `host` is neither loopback nor configured. A name
        that is neither `localhost` nor configured is refused without even a DNS lookup."""
        name = host.strip().lower().strip("[]")
        literal = _ip(name)
        if literal is not None:
            if literal.is_loopback or name in self.allowed_hosts:
                return str(literal)
            raise PermissionError(f"{host} is not an allowed AMI host (loopback, ami.host or ami.test_hosts only)")
        if name != "localhost" and name not in self.allowed_hosts:
            raise PermissionError(f"{host} is not an allowed AMI host (loopback, ami.host or ami.test_hosts only)")
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(name, port, type=socket.SOCK_STREAM)
        except socket.gaierror:
            raise ConnectionError(f"cannot resolve {host}") from None
        addresses = [str(info[4][0]) for info in infos]
        if name == "localhost" and not all(_loopback(a) for a in addresses):
            raise PermissionError(f"{host} does not resolve to loopback only")
        return addresses[0]

    async def test(self, host: str, port: int, username: str, password: str | None,
                   timeout_s: float) -> dict[str, Any]:
        """What happened: `result` connected | auth_failed | refused | timeout | not_ami | unreachable, with
        `banner`, `version`, `elapsed_ms` and a `message`. PermissionError for a host not allowed."""
        started = time.monotonic()
        try:
            address = await self.target(host, port)
        except ConnectionError as err:
            return {"result": "unreachable", "banner": None, "version": None, "message": str(err), "elapsed_ms": 0}
        try:
            outcome = await asyncio.wait_for(_talk(address, port, username, password), timeout_s)
        except TimeoutError:
            outcome = {"result": "timeout", "message": f"no answer from {host}:{port} within {timeout_s:g} s"}
        except ConnectionRefusedError:
            outcome = {"result": "refused", "message": f"{host}:{port} refused the connection"}
        except OSError as err:
            outcome = {"result": "unreachable", "message": f"{host}:{port}: {err.strerror or err}"}
        return {"banner": None, "version": None, **outcome, "elapsed_ms": round((time.monotonic() - started) * 1000)}


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.split("%")[0])
    except ValueError:
        return None


def _loopback(address: str) -> bool:
    found = _ip(address)
    return found is not None and found.is_loopback


async def _talk(address: str, port: int, username: str, password: str | None) -> dict[str, Any]:
    reader, writer = await asyncio.open_connection(address, port, limit=MAX_LINE * 4)
    try:
        banner = (await reader.readline())[:MAX_LINE].decode("utf-8", "replace").strip()
        if not banner.startswith("Asterisk Call Manager/"):
            return {"result": "not_ami", "banner": banner or None,
                    "message": "the port answered, but not with an Asterisk Manager banner"}
        version = banner.split("/", 1)[1]
        if not username or not password:
            return {"result": "connected", "banner": banner, "version": version,
                    "message": f"connected to {banner} (no login tried: no credentials)"}
        reply = await _login(reader, writer, username, password)
        if reply.get("response", "").lower() != "success":
            return {"result": "auth_failed", "banner": banner, "version": version,
                    "message": f"login refused: {reply.get('message') or 'authentication failed'}"}
        writer.write(b"Action: Logoff\r\n\r\n")
        await writer.drain()
        return {"result": "connected", "banner": banner, "version": version,
                "message": f"connected and logged in to {banner}"}
    finally:
        writer.close()
        try:
            await writer.wait_closed()
        except OSError:
            pass


async def _login(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, username: str,
                 password: str) -> dict[str, str]:
    action_id = f"vssd-test-{secrets.token_hex(4)}"
    clean = [v.replace("\r", "").replace("\n", "") for v in (username, password)]
    writer.write(f"Action: Login\r\nActionID: {action_id}\r\nUsername: {clean[0]}\r\nSecret: {clean[1]}\r\n"
                 f"Events: off\r\n\r\n".encode())
    await writer.drain()
    while True:
        message = await _message(reader)
        if not message:
            return {"response": "error", "message": "the connection closed during login"}
        if message.get("actionid") == action_id or "response" in message:
            return message


async def _message(reader: asyncio.StreamReader) -> dict[str, str]:
    """One AMI message (headers up to the blank line), keys lower-cased; {} at end of stream."""
    out: dict[str, str] = {}
    while True:
        line = await reader.readline()
        if not line:
            return out
        text = line[:MAX_LINE].decode("utf-8", "replace").strip()
        if not text:
            if out:
                return out
            continue
        key, _, value = text.partition(":")
        out[key.strip().lower()] = value.strip()
