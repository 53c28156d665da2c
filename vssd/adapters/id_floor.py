"""The call id generator's floor (`vssd.calls.ids.Floor`) in a small file of the hub's state directory.

One decimal number, replaced atomically (write a temporary file, fsync, rename) — at most once per
`RESERVE_MS` of ids, so the synchronous write on the event loop is rare. A missing file is a first start (0);
an unreadable one is logged and treated alike, and so is a failed write (only the wall clock protects the next
restart then).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

log = logging.getLogger("vssd.ids")


class FileFloor:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path).expanduser()

    def load(self) -> int:
        try:
            return max(0, int(self.path.read_text(encoding="ascii").strip()))
        except FileNotFoundError:
            return 0
        except (OSError, ValueError) as err:
            log.warning("call id floor %s unreadable (%s): starting from the wall clock", self.path, err)
            return 0

    def save(self, ms: int) -> None:
        """Never raises: calls go on when the state directory cannot be written (logged; only that restart's
        protection against a clock stepped back is lost)."""
        tmp = self.path.with_name(self.path.name + ".tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(tmp, "w", encoding="ascii") as f:
                f.write(f"{ms}\n")
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except OSError as err:
            log.warning("call id floor %s not saved: %s", self.path, err)
