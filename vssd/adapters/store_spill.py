"""The writer's on-disk overflow: JSON-lines files in the spill directory, replayed in order.

Only the writer's flusher task calls these, always through `asyncio.to_thread`, so the event loop never
touches the disk and no two callers race on a file. Layout of the spill directory:
  active.jsonl          rows spilled now (appended)
  spill-<ns>.jsonl      rotated files waiting to be replayed, oldest first
  spill-<ns>.jsonl.pos  byte offset up to which a file has been committed (survives a crash mid-replay)
  rejected-<ns>.jsonl   rows PostgreSQL refused as invalid (kept for an operator, never retried)
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson

ACTIVE = "active.jsonl"


def encode(table: str, row: dict[str, Any]) -> bytes:
    return orjson.dumps({"t": table, "r": row}) + b"\n"


def decode(line: bytes) -> tuple[str, dict[str, Any]]:
    item = orjson.loads(line)
    return item["t"], item["r"]


def append(directory: Path, lines: list[bytes]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / ACTIVE).open("ab") as fh:
        fh.writelines(lines)
        fh.flush()
        os.fsync(fh.fileno())


def rotate(directory: Path) -> Path | None:
    """Move the active file aside for replay; None when there is nothing in it."""
    active = directory / ACTIVE
    if not active.exists() or active.stat().st_size == 0:
        return None
    target = directory / f"spill-{time.time_ns():020d}.jsonl"
    os.replace(active, target)
    return target


def pending_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    return sorted(directory.glob("spill-*.jsonl"))


def count_rows(directory: Path) -> int:
    """Rows on disk not yet replayed (lines past each file's committed offset, plus the active file)."""
    files = [*pending_files(directory), directory / ACTIVE]
    total = 0
    for file in files:
        if file.exists():
            with file.open("rb") as fh:
                fh.seek(read_offset(file))
                total += sum(1 for _ in fh)
    return total


def read_offset(file: Path) -> int:
    pos = file.with_name(file.name + ".pos")
    try:
        return int(pos.read_text())
    except (OSError, ValueError):
        return 0


def write_offset(file: Path, offset: int) -> None:
    pos = file.with_name(file.name + ".pos")
    tmp = pos.with_name(pos.name + ".tmp")
    tmp.write_text(str(offset))
    os.replace(tmp, pos)


def read_chunk(file: Path, offset: int, max_lines: int) -> tuple[list[bytes], int]:
    """Up to max_lines complete lines from byte `offset`; returns them and the offset after them."""
    lines: list[bytes] = []
    with file.open("rb") as fh:
        fh.seek(offset)
        while len(lines) < max_lines:
            line = fh.readline()
            if not line.endswith(b"\n"):
                break
            lines.append(line)
            offset += len(line)
    return lines, offset


def finish(file: Path) -> None:
    file.unlink(missing_ok=True)
    file.with_name(file.name + ".pos").unlink(missing_ok=True)


def reject(directory: Path, items: Iterable[tuple[str, dict[str, Any]]]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"rejected-{time.time_ns():020d}.jsonl"
    with target.open("ab") as fh:
        fh.writelines(encode(table, row) for table, row in items)
    return target
