"""One AMI client connection: banner, login state, Events mask, and a bounded, batching writer."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from vssd.sim.pbx.wire import encode, parse_frame

if TYPE_CHECKING:
    from vssd.sim.pbx.simulator import PbxSimulator

log = logging.getLogger("vssd.sim.pbx")
MAX_FRAME = 64 * 1024
BATCH_BYTES = 256 * 1024


class AmiSession:
    """Overflow policy of the outgoing queue: a client that falls `client_queue_limit` messages behind is
    disconnected (Asterisk, too, drops a manager session whose socket stops taking writes)."""

    def __init__(self, sim: PbxSimulator, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 client_id: int) -> None:
        self.sim = sim
        self.reader = reader
        self.writer = writer
        self.client_id = client_id
        self.queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=sim.config.client_queue_limit)
        self.authenticated = False
        self.username = ""
        self.challenge = ""
        self.event_classes: set[str] | None = None  # None = all classes ("on"); empty = off
        self.filters: list[str] = []
        self.closed = False
        self._writer_task: asyncio.Task[None] | None = None

    # ---- outgoing ------------------------------------------------------------------------------------
    def accepts(self, category: str) -> bool:
        if not self.authenticated or self.closed:
            return False
        return self.event_classes is None or category in self.event_classes

    def send_raw(self, data: bytes) -> None:
        if self.closed or self.sim.silent:
            return
        try:
            self.queue.put_nowait(data)
        except asyncio.QueueFull:
            log.warning("AMI client %s fell %s messages behind; disconnecting", self.client_id,
                        self.queue.maxsize)
            self.abort()

    def send(self, headers: list[tuple[str, str]]) -> None:
        self.send_raw(encode(headers))

    async def _write_loop(self) -> None:
        while True:
            batch = [await self.queue.get()]
            size = len(batch[0])
            while size < BATCH_BYTES and not self.queue.empty():
                item = self.queue.get_nowait()
                batch.append(item)
                size += len(item)
            if self.sim.write_delay_s > 0:
                await asyncio.sleep(self.sim.write_delay_s)
            if not self.sim.silent:
                self.writer.write(b"".join(batch))
                await self.writer.drain()
            for _ in batch:
                self.queue.task_done()

    # ---- lifecycle -----------------------------------------------------------------------------------
    async def run(self) -> None:
        self._writer_task = self.sim.tasks.spawn(self._write_loop(), f"ami-writer-{self.client_id}")
        self.send_raw(f"Asterisk Call Manager/{self.sim.config.ami_version}\r\n".encode())
        try:
            while not self.closed:
                try:
                    raw = await self.reader.readuntil(b"\r\n\r\n")
                except asyncio.LimitOverrunError:
                    break
                if self.sim.read_delay_s > 0:
                    await asyncio.sleep(self.sim.read_delay_s)
                action = parse_frame(raw)
                if not action.headers:
                    continue
                await self.sim.handle_action(self, action)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            await self._close()

    async def close_after_flush(self) -> None:
        """Logoff / failed login: let the last reply reach the client, then close."""
        try:
            await asyncio.wait_for(self._drain_queue(), 2.0)
        except TimeoutError:
            pass
        self.closed = True

    async def _drain_queue(self) -> None:
        await self.queue.join()
        await self.writer.drain()

    def abort(self) -> None:
        self.closed = True
        transport = self.writer.transport
        if transport is not None and not transport.is_closing():
            transport.abort()

    async def _close(self) -> None:
        self.closed = True
        if self._writer_task is not None:
            self._writer_task.cancel()
            await asyncio.gather(self._writer_task, return_exceptions=True)
        self.writer.close()
        try:
            await self.writer.wait_closed()
        except (ConnectionError, OSError):
            pass
        self.sim.sessions.discard(self)
